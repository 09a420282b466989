//! Pooling over the spatial dimensions of NCHW tensors: max and average pooling with stride,
//! padding, dilation and ceil mode, adaptive average pooling, their gradients, and the 1-d
//! forms on NCL tensors.
//!
//! Semantics follow PyTorch's `torch.nn.functional` functions of the same names (CPU kernels),
//! including the output size rule of ceil mode, `-inf` padding and NaN propagation of max
//! pooling, and the average divisor of windows that run past the padded input. Like PyTorch,
//! every operation also accepts an unbatched input (`[C, H, W]`, or `[C, L]` in 1-d) and then
//! returns an unbatched result.
//!
//! ```
//! use youshi_tensor::ops::pool::Pool2dOptions;
//! use youshi_tensor::Tensor;
//!
//! let x = Tensor::<f32>::arange(0.0, 16.0, 1.0)?.reshape(&[1, 1, 4, 4])?;
//! let (y, argmax) = x.max_pool2d(Pool2dOptions::new(2))?;
//! assert_eq!(y.to_vec(), vec![5.0, 7.0, 13.0, 15.0]);
//! // The gradient flows back to the positions of the maxima.
//! let g = Tensor::<f32>::max_pool2d_backward(&y.ones_like(), &argmax, x.shape())?;
//! assert_eq!(g.to_vec().iter().sum::<f32>(), 4.0);
//! # Ok::<(), youshi_tensor::TensorError>(())
//! ```

mod options;

use ndarray::{ArrayD, IxDyn};

use self::options::{check_options, pooled_size, Dims};
pub use self::options::{Pool1dOptions, Pool2dOptions};
use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::kernels::pool::{self as kernel, Plan};
use crate::shape::Shape;
use crate::tensor::{Indices, Tensor};

/// The index [`Tensor::max_pool2d`] records for a window that holds no input element.
///
/// Only dilation can make a window lie entirely in the padding (e.g. kernel 2, dilation 2 and
/// padding 1 on an input of height 1); its maximum is `-inf`, and
/// [`Tensor::max_pool2d_backward`] skips it. (PyTorch's CPU kernel records an index past the
/// window there, which may even name another row's element.)
pub const NO_INDEX: usize = kernel::NO_INDEX;

/// The spatial layout of a pooling input: `planes` planes of `h x w` elements.
struct Geometry {
    /// The dimensions before the spatial ones: `[N, C]` or `[C]`.
    lead: Vec<usize>,
    h: usize,
    w: usize,
    dims: Dims,
}

impl Geometry {
    /// Reads `shape` as `[N, C, H, W]` / `[C, H, W]` (2-d) or `[N, C, L]` / `[C, L]` (1-d, with
    /// `H = 1`). As PyTorch, `C` and the spatial sizes must be non-zero, `N` may be zero.
    fn of(op: &'static str, shape: &[usize], dims: Dims) -> Result<Self> {
        let spatial = dims.count();
        let r = shape.len();
        if r != spatial + 1 && r != spatial + 2 {
            let expected = match dims {
                Dims::One => "rank 3 [N, C, L] or rank 2 [C, L]",
                Dims::Two => "rank 4 [N, C, H, W] or rank 3 [C, H, W]",
            };
            return Err(TensorError::rank(op, expected, shape));
        }
        let split = r - spatial;
        let (lead, sp) = shape.split_at(split);
        if lead[split - 1] == 0 || sp.contains(&0) {
            let names = match dims {
                Dims::One => "C and L",
                Dims::Two => "C, H and W",
            };
            return Err(TensorError::invalid(
                op,
                format!(
                    "expected non-zero sizes for {names}, got shape {}",
                    Shape::from(shape)
                ),
            ));
        }
        // Shapes of gradients' inputs come from the user: their sizes must not overflow.
        numel(op, shape)?;
        numel(op, sp)?;
        let (h, w) = match *sp {
            [l] => (1, l),
            [h, w] => (h, w),
            _ => unreachable!("one or two spatial dimensions"),
        };
        Ok(Geometry {
            lead: lead.to_vec(),
            h,
            w,
            dims,
        })
    }

    fn planes(&self) -> usize {
        self.lead.iter().product()
    }

    /// The shape of a result with `oh x ow` planes, in the layout of the input.
    fn out_shape(&self, oh: usize, ow: usize) -> Vec<usize> {
        let mut s = self.lead.clone();
        if self.dims == Dims::Two {
            s.push(oh);
        }
        s.push(ow);
        s
    }

    /// Checks that `grad` has this input's rank and leading sizes; returns its `[OH, OW]`.
    fn grad_plane(
        &self,
        op: &'static str,
        grad: &[usize],
        input_shape: &[usize],
    ) -> Result<[usize; 2]> {
        let r = self.lead.len() + self.dims.count();
        if grad.len() != r || grad[..self.lead.len()] != self.lead[..] {
            return Err(TensorError::mismatch(
                op,
                grad,
                input_shape,
                "grad_out must have the rank and the batch and channel sizes of the input",
            ));
        }
        Ok(match (self.dims, &grad[self.lead.len()..]) {
            (Dims::Two, &[oh, ow]) => [oh, ow],
            (_, sp) => [1, sp.iter().product()],
        })
    }
}

/// The number of elements of `shape`, which may come from the user (a gradient's input shape,
/// an adaptive output size): an error instead of an overflow.
fn numel(op: &'static str, shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| {
            TensorError::invalid(
                op,
                format!("shape {} has too many elements", Shape::from(shape)),
            )
        })
}

/// The row-major elements of a tensor made by [`Tensor::contiguous`].
fn slice_of<T: Element>(t: &Tensor<T>) -> &[T] {
    t.as_slice()
        .expect("a contiguous tensor has a row-major slice")
}

fn tensor_from<T: Element>(shape: &[usize], data: Vec<T>) -> Tensor<T> {
    Tensor::from_array(
        ArrayD::from_shape_vec(IxDyn(shape), data).expect("kernel output matches its shape"),
    )
}

/// Window tables of a strided pooling of `geo` with validated `opts`.
fn strided_plan(geo: &Geometry, opts: &Pool2dOptions, out: [usize; 2], cip: bool) -> Plan {
    let w = |a: usize, input: usize| {
        kernel::strided_windows(
            input,
            out[a],
            opts.kernel[a],
            opts.stride[a],
            opts.padding[a],
            opts.dilation[a],
            cip,
        )
    };
    Plan {
        h: geo.h,
        w: geo.w,
        dh: opts.dilation[0],
        dw: opts.dilation[1],
        rows: w(0, geo.h),
        cols: w(1, geo.w),
    }
}

fn adaptive_plan(geo: &Geometry, out: [usize; 2]) -> Plan {
    Plan {
        h: geo.h,
        w: geo.w,
        dh: 1,
        dw: 1,
        rows: kernel::adaptive_windows(geo.h, out[0]),
        cols: kernel::adaptive_windows(geo.w, out[1]),
    }
}

fn max_pool<T: Element>(
    x: &Tensor<T>,
    opts: &Pool2dOptions,
    op: &'static str,
    dims: Dims,
) -> Result<(Tensor<T>, Indices)> {
    let geo = Geometry::of(op, x.shape(), dims)?;
    check_options(op, opts, dims, false)?;
    let out = pooled_size(op, opts, dims, [geo.h, geo.w], x.shape())?;
    let plan = strided_plan(&geo, opts, out, false);
    let x = x.contiguous();
    let n = geo.planes() * out[0] * out[1];
    let mut y = vec![T::zero(); n];
    let mut idx = vec![0usize; n];
    kernel::max_pool_forward(&plan, slice_of(&x), &mut y, &mut idx);
    let shape = geo.out_shape(out[0], out[1]);
    let idx = Indices::from_shape_vec(IxDyn(&shape), idx).expect("indices match their shape");
    Ok((tensor_from(&shape, y), idx))
}

fn avg_pool<T: Element>(
    x: &Tensor<T>,
    opts: &Pool2dOptions,
    count_include_pad: bool,
    op: &'static str,
    dims: Dims,
) -> Result<Tensor<T>> {
    let geo = Geometry::of(op, x.shape(), dims)?;
    check_options(op, opts, dims, true)?;
    let out = pooled_size(op, opts, dims, [geo.h, geo.w], x.shape())?;
    let plan = strided_plan(&geo, opts, out, count_include_pad);
    let x = x.contiguous();
    let mut y = vec![T::zero(); geo.planes() * out[0] * out[1]];
    kernel::avg_pool_forward(&plan, slice_of(&x), &mut y);
    Ok(tensor_from(&geo.out_shape(out[0], out[1]), y))
}

fn max_unpool_grad<T: Element>(
    grad_out: &Tensor<T>,
    indices: &Indices,
    input_shape: &[usize],
    op: &'static str,
    dims: Dims,
) -> Result<Tensor<T>> {
    let geo = Geometry::of(op, input_shape, dims)?;
    if grad_out.shape() != indices.shape() {
        return Err(TensorError::mismatch(
            op,
            grad_out.shape(),
            indices.shape(),
            "grad_out and indices must have the same shape",
        ));
    }
    let [oh, ow] = geo.grad_plane(op, grad_out.shape(), input_shape)?;
    let in_plane = geo.h * geo.w;
    if let Some(&bad) = indices.iter().find(|&&i| i >= in_plane && i != NO_INDEX) {
        let planes = match dims {
            Dims::One => format!("inputs of length {in_plane}"),
            Dims::Two => format!("input planes of {}x{} = {in_plane} elements", geo.h, geo.w),
        };
        return Err(TensorError::invalid(
            op,
            format!(
                "index {bad} is out of range for {planes} (input shape {})",
                Shape::from(input_shape)
            ),
        ));
    }
    let g = grad_out.contiguous();
    let idx = indices.as_standard_layout();
    let idx = idx.as_slice().expect("standard layout has a slice");
    let mut gin = vec![T::zero(); numel(op, input_shape)?];
    kernel::max_pool_backward(in_plane, oh * ow, slice_of(&g), idx, &mut gin);
    Ok(tensor_from(input_shape, gin))
}

fn avg_pool_grad<T: Element>(
    grad_out: &Tensor<T>,
    input_shape: &[usize],
    opts: &Pool2dOptions,
    count_include_pad: bool,
    op: &'static str,
    dims: Dims,
) -> Result<Tensor<T>> {
    let geo = Geometry::of(op, input_shape, dims)?;
    check_options(op, opts, dims, true)?;
    let out = pooled_size(op, opts, dims, [geo.h, geo.w], input_shape)?;
    let expected = geo.out_shape(out[0], out[1]);
    if grad_out.shape() != expected.as_slice() {
        return Err(TensorError::mismatch(
            op,
            grad_out.shape(),
            expected,
            &format!(
                "grad_out must have the pooled shape of input {}",
                Shape::from(input_shape)
            ),
        ));
    }
    let plan = strided_plan(&geo, opts, out, count_include_pad);
    let g = grad_out.contiguous();
    let mut gin = vec![T::zero(); numel(op, input_shape)?];
    kernel::avg_pool_backward(&plan, slice_of(&g), &mut gin);
    Ok(tensor_from(input_shape, gin))
}

impl<T: Element> Tensor<T> {
    /// 2-d max pooling with PyTorch's `max_pool2d(..., return_indices=True)` semantics.
    ///
    /// Each output element is the maximum of its window of `kernel` taps spaced by `dilation`,
    /// windows stepping by `stride` over the input padded with `-inf` by `padding` on each
    /// side. As PyTorch: a NaN in a window is its maximum; among equal maxima the first in
    /// row-major window order wins; with `ceil_mode` the last window may run past the input
    /// but must start inside the input or its left padding.
    ///
    /// The indices give each maximum's position `h * W + w` in its input plane, like PyTorch's;
    /// a window entirely in the padding (only possible with dilation) gives `-inf` and
    /// [`NO_INDEX`].
    ///
    /// # Shapes
    /// Input `[N, C, H, W]` or `[C, H, W]`; output and indices `[N, C, OH, OW]` or
    /// `[C, OH, OW]`, with `OH` and `OW` from [`Pool2dOptions::output_size`].
    ///
    /// # Errors
    /// [`TensorError::Rank`] for an input of another rank; [`TensorError::InvalidArgument`]
    /// if `C`, `H` or `W` is zero, a kernel size, stride or dilation is zero, a padding
    /// exceeds half its kernel size, or the output would be empty.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::{ops::pool::Pool2dOptions, Tensor};
    /// let x = Tensor::<f32>::arange(0.0, 16.0, 1.0)?.reshape(&[1, 4, 4])?;
    /// let (y, idx) = x.max_pool2d(Pool2dOptions::new(3).stride(1).padding(1))?;
    /// assert_eq!(y.shape(), &[1, 4, 4]);
    /// assert_eq!(y.get(&[0, 0, 0])?, 5.0);
    /// assert_eq!(idx[[0, 0, 0]], 5);
    /// let err = x.max_pool2d(Pool2dOptions::new(3).padding(2)).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "max_pool2d: padding [2, 2] must be at most half the kernel size [3, 3]"
    /// );
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn max_pool2d(&self, opts: Pool2dOptions) -> Result<(Self, Indices)> {
        max_pool(self, &opts, "max_pool2d", Dims::Two)
    }

    /// Gradient of [`max_pool2d`](Tensor::max_pool2d): each element of `grad_out` is added to
    /// the input position its index names, as PyTorch's `max_pool2d_backward`.
    ///
    /// # Shapes
    /// `grad_out` and `indices` `[N, C, OH, OW]` (or `[C, OH, OW]`), the shape of the forward
    /// output; `input_shape` `[N, C, H, W]` (or `[C, H, W]`); the result has `input_shape`.
    ///
    /// # Errors
    /// [`TensorError::Rank`] or [`TensorError::InvalidArgument`] for an `input_shape` that
    /// [`max_pool2d`](Tensor::max_pool2d) rejects; [`TensorError::ShapeMismatch`] if
    /// `grad_out` and `indices` differ in shape or do not match the input's rank, batch and
    /// channels; [`TensorError::InvalidArgument`] for an index outside `0..H * W` (other than
    /// [`NO_INDEX`]).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::{ops::pool::Pool2dOptions, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f64, 4.0, 3.0, 2.0], [1, 1, 2, 2])?;
    /// let (y, idx) = x.max_pool2d(Pool2dOptions::new(2))?;
    /// let g = Tensor::max_pool2d_backward(&Tensor::full(y.shape(), 0.5), &idx, x.shape())?;
    /// assert_eq!(g.to_vec(), vec![0.0, 0.5, 0.0, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn max_pool2d_backward(
        grad_out: &Self,
        indices: &Indices,
        input_shape: &[usize],
    ) -> Result<Self> {
        max_unpool_grad(
            grad_out,
            indices,
            input_shape,
            "max_pool2d_backward",
            Dims::Two,
        )
    }

    /// 2-d average pooling with PyTorch's `avg_pool2d` semantics (no divisor override).
    ///
    /// Each output is the sum of the input elements in its window divided by: with
    /// `count_include_pad`, the window's size clipped to the padded input (so a ceil-mode
    /// window that runs past the right padding divides by fewer than `kernel` taps, exactly as
    /// PyTorch); without it, the number of input elements in the window.
    ///
    /// # Shapes
    /// Input `[N, C, H, W]` or `[C, H, W]`; output `[N, C, OH, OW]` or `[C, OH, OW]`, with `OH`
    /// and `OW` from [`Pool2dOptions::output_size`].
    ///
    /// # Errors
    /// As [`max_pool2d`](Tensor::max_pool2d), and [`TensorError::InvalidArgument`] for a
    /// dilation other than 1 (PyTorch's average pooling has none).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::{ops::pool::Pool2dOptions, Tensor};
    /// let x = Tensor::<f64>::ones([1, 1, 3, 3]);
    /// let opts = Pool2dOptions::new(2).padding(1);
    /// // Corner windows hold 1 input element and 3 padding zeros.
    /// assert_eq!(x.avg_pool2d(opts, true)?.get(&[0, 0, 0, 0])?, 0.25);
    /// assert_eq!(x.avg_pool2d(opts, false)?.get(&[0, 0, 0, 0])?, 1.0);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn avg_pool2d(&self, opts: Pool2dOptions, count_include_pad: bool) -> Result<Self> {
        avg_pool(self, &opts, count_include_pad, "avg_pool2d", Dims::Two)
    }

    /// Gradient of [`avg_pool2d`](Tensor::avg_pool2d): each element of `grad_out`, divided by
    /// its window's divisor, is added to every input element of the window.
    ///
    /// # Shapes
    /// `grad_out` has the shape `avg_pool2d` gives for `input_shape` and `opts`; the result has
    /// `input_shape` (`[N, C, H, W]` or `[C, H, W]`).
    ///
    /// # Errors
    /// As [`avg_pool2d`](Tensor::avg_pool2d) for `input_shape` and `opts`, and
    /// [`TensorError::ShapeMismatch`] if `grad_out` does not have the pooled shape.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::{ops::pool::Pool2dOptions, Tensor};
    /// let g = Tensor::<f32>::ones([1, 1, 1, 1]);
    /// let gx = Tensor::avg_pool2d_backward(&g, &[1, 1, 2, 2], Pool2dOptions::new(2), true)?;
    /// assert_eq!(gx.to_vec(), vec![0.25; 4]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn avg_pool2d_backward(
        grad_out: &Self,
        input_shape: &[usize],
        opts: Pool2dOptions,
        count_include_pad: bool,
    ) -> Result<Self> {
        avg_pool_grad(
            grad_out,
            input_shape,
            &opts,
            count_include_pad,
            "avg_pool2d_backward",
            Dims::Two,
        )
    }

    /// Adaptive 2-d average pooling to `output_hw`, as PyTorch's `adaptive_avg_pool2d`.
    ///
    /// Output row `i` averages input rows `floor(i * H / OH) .. ceil((i + 1) * H / OH)`, and
    /// likewise for columns; windows overlap when the sizes do not divide. An output size of
    /// zero gives an empty result, as in PyTorch.
    ///
    /// # Shapes
    /// Input `[N, C, H, W]` or `[C, H, W]`; output `[N, C, OH, OW]` or `[C, OH, OW]`.
    ///
    /// # Errors
    /// [`TensorError::Rank`] for an input of another rank, [`TensorError::InvalidArgument`] if
    /// `C`, `H` or `W` is zero.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 5.0, 1.0)?.reshape(&[1, 1, 5])?;
    /// // Columns [0, 2), [1, 4) and [3, 5).
    /// assert_eq!(x.adaptive_avg_pool2d([1, 3])?.to_vec(), vec![0.5, 2.0, 3.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn adaptive_avg_pool2d(&self, output_hw: [usize; 2]) -> Result<Self> {
        let op = "adaptive_avg_pool2d";
        let geo = Geometry::of(op, self.shape(), Dims::Two)?;
        let shape = geo.out_shape(output_hw[0], output_hw[1]);
        let mut y = vec![T::zero(); numel(op, &shape)?];
        let plan = adaptive_plan(&geo, output_hw);
        let x = self.contiguous();
        kernel::avg_pool_forward(&plan, slice_of(&x), &mut y);
        Ok(tensor_from(&shape, y))
    }

    /// Gradient of [`adaptive_avg_pool2d`](Tensor::adaptive_avg_pool2d): each element of
    /// `grad_out`, divided by its window's size, is added to every input element of the window.
    /// The output size is read from `grad_out`.
    ///
    /// # Shapes
    /// `grad_out` `[N, C, OH, OW]` (or `[C, OH, OW]`), `input_shape` `[N, C, H, W]` (or
    /// `[C, H, W]`); the result has `input_shape`.
    ///
    /// # Errors
    /// As [`adaptive_avg_pool2d`](Tensor::adaptive_avg_pool2d) for `input_shape`, and
    /// [`TensorError::ShapeMismatch`] if `grad_out` does not match the input's rank, batch and
    /// channels.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let g = Tensor::<f64>::ones([1, 1, 1]);
    /// let gx = Tensor::adaptive_avg_pool2d_backward(&g, &[1, 2, 2])?;
    /// assert_eq!(gx.to_vec(), vec![0.25; 4]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn adaptive_avg_pool2d_backward(grad_out: &Self, input_shape: &[usize]) -> Result<Self> {
        let op = "adaptive_avg_pool2d_backward";
        let geo = Geometry::of(op, input_shape, Dims::Two)?;
        let out = geo.grad_plane(op, grad_out.shape(), input_shape)?;
        let plan = adaptive_plan(&geo, out);
        let g = grad_out.contiguous();
        let mut gin = vec![T::zero(); numel(op, input_shape)?];
        kernel::avg_pool_backward(&plan, slice_of(&g), &mut gin);
        Ok(tensor_from(input_shape, gin))
    }

    /// 1-d max pooling of `[N, C, L]` (or `[C, L]`), as PyTorch's
    /// `max_pool1d(..., return_indices=True)`: [`max_pool2d`](Tensor::max_pool2d) with `H = 1`.
    ///
    /// The indices are positions along `L`; the gradient is
    /// [`max_pool1d_backward`](Tensor::max_pool1d_backward).
    ///
    /// # Shapes
    /// Input `[N, C, L]` or `[C, L]`; output and indices `[N, C, OL]` or `[C, OL]`.
    ///
    /// # Errors
    /// As [`max_pool2d`](Tensor::max_pool2d), for the 1-d shapes and options.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::{ops::pool::Pool1dOptions, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 5.0, 4.0], [1, 5])?;
    /// let (y, idx) = x.max_pool1d(Pool1dOptions::new(2).ceil_mode(true))?;
    /// assert_eq!(y.to_vec(), vec![3.0, 5.0, 4.0]);
    /// assert_eq!(idx.iter().copied().collect::<Vec<_>>(), vec![1, 3, 4]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn max_pool1d(&self, opts: Pool1dOptions) -> Result<(Self, Indices)> {
        max_pool(self, &opts.to_2d(), "max_pool1d", Dims::One)
    }

    /// 1-d average pooling of `[N, C, L]` (or `[C, L]`), as PyTorch's `avg_pool1d`:
    /// [`avg_pool2d`](Tensor::avg_pool2d) with `H = 1`.
    ///
    /// The gradient is [`avg_pool1d_backward`](Tensor::avg_pool1d_backward).
    ///
    /// # Shapes
    /// Input `[N, C, L]` or `[C, L]`; output `[N, C, OL]` or `[C, OL]`.
    ///
    /// # Errors
    /// As [`avg_pool2d`](Tensor::avg_pool2d), for the 1-d shapes and options.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::{ops::pool::Pool1dOptions, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f64, 3.0, 2.0], [1, 1, 3])?;
    /// let y = x.avg_pool1d(Pool1dOptions::new(2).stride(1), true)?;
    /// assert_eq!(y.to_vec(), vec![2.0, 2.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn avg_pool1d(&self, opts: Pool1dOptions, count_include_pad: bool) -> Result<Self> {
        avg_pool(
            self,
            &opts.to_2d(),
            count_include_pad,
            "avg_pool1d",
            Dims::One,
        )
    }
    /// Gradient of [`max_pool1d`](Tensor::max_pool1d): each element of `grad_out` is added to
    /// the input position its index names.
    ///
    /// # Shapes
    /// `grad_out` and `indices` `[N, C, OL]` (or `[C, OL]`), `input_shape` `[N, C, L]` (or
    /// `[C, L]`); the result has `input_shape`.
    ///
    /// # Errors
    /// As [`max_pool2d_backward`](Tensor::max_pool2d_backward), for the 1-d shapes.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::{ops::pool::Pool1dOptions, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0], [1, 3])?;
    /// let (y, idx) = x.max_pool1d(Pool1dOptions::new(2).stride(1))?;
    /// let g = Tensor::max_pool1d_backward(&y.ones_like(), &idx, x.shape())?;
    /// assert_eq!(g.to_vec(), vec![0.0, 2.0, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn max_pool1d_backward(
        grad_out: &Self,
        indices: &Indices,
        input_shape: &[usize],
    ) -> Result<Self> {
        max_unpool_grad(
            grad_out,
            indices,
            input_shape,
            "max_pool1d_backward",
            Dims::One,
        )
    }

    /// Gradient of [`avg_pool1d`](Tensor::avg_pool1d): each element of `grad_out`, divided by
    /// its window's divisor, is added to every input element of the window.
    ///
    /// # Shapes
    /// `grad_out` has the shape `avg_pool1d` gives for `input_shape` (`[N, C, L]` or `[C, L]`)
    /// and `opts`; the result has `input_shape`.
    ///
    /// # Errors
    /// As [`avg_pool2d_backward`](Tensor::avg_pool2d_backward), for the 1-d shapes and options.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::{ops::pool::Pool1dOptions, Tensor};
    /// let g = Tensor::<f64>::ones([1, 1, 2]);
    /// let gx = Tensor::avg_pool1d_backward(&g, &[1, 1, 3], Pool1dOptions::new(2).stride(1), true)?;
    /// assert_eq!(gx.to_vec(), vec![0.5, 1.0, 0.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn avg_pool1d_backward(
        grad_out: &Self,
        input_shape: &[usize],
        opts: Pool1dOptions,
        count_include_pad: bool,
    ) -> Result<Self> {
        avg_pool_grad(
            grad_out,
            input_shape,
            &opts.to_2d(),
            count_include_pad,
            "avg_pool1d_backward",
            Dims::One,
        )
    }
}

#[cfg(test)]
mod tests;
