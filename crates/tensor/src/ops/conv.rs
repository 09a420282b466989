//! Convolutions with PyTorch's semantics and layouts: [`conv2d`](Tensor::conv2d),
//! [`conv1d`](Tensor::conv1d), [`conv_transpose2d`](Tensor::conv_transpose2d), and the input,
//! weight and bias gradients of each (for autograd).
//!
//! Layouts are PyTorch's: activations `[N, C, H, W]` (`[N, C, L]` in 1-d), convolution weights
//! `[C_out, C_in / groups, kH, kW]`, transposed-convolution weights
//! `[C_in, C_out / groups, kH, kW]`, biases `[C_out]`. Inputs may be non-contiguous views
//! (they are made contiguous once per call).
//!
//! All of them run on one im2col + GEMM kernel with bounded scratch memory (one column buffer
//! per worker thread, never one for the whole batch), parallel over the batch when it is
//! large and inside each image when it is small; 1x1 convolutions with stride 1 and no padding
//! skip im2col.
//!
//! # Examples
//! ```
//! use youshi_tensor::ops::conv::Conv2dOptions;
//! use youshi_tensor::Tensor;
//!
//! // One 3x3 image, one 2x2 kernel of ones: each output sums a 2x2 window.
//! let x = Tensor::from_vec((1..=9).map(f64::from).collect(), [1, 1, 3, 3])?;
//! let w = Tensor::ones([1, 1, 2, 2]);
//! let y = x.conv2d(&w, None, Conv2dOptions::default())?;
//! assert_eq!(y.shape(), &[1, 1, 2, 2]);
//! assert_eq!(y.to_vec(), vec![12.0, 16.0, 24.0, 28.0]);
//! # Ok::<(), youshi_tensor::TensorError>(())
//! ```

mod checks;
mod options;

use ndarray::{ArrayD, IxDyn};

pub use options::{Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions};

use self::checks::{Checked, Op};
use crate::element::Element;
use crate::error::Result;
use crate::kernels::conv as kernel;
use crate::tensor::Tensor;

/// The row-major elements of a contiguous tensor.
fn data<T: Element>(t: &Tensor<T>) -> &[T] {
    t.as_slice()
        .expect("conv: a contiguous tensor has a row-major slice")
}

/// A zero-filled output of the checked shape.
fn zeros<T: Element>(c: &Checked) -> ArrayD<T> {
    ArrayD::zeros(IxDyn(&c.out_shape))
}

fn slice_mut<T: Element>(a: &mut ArrayD<T>) -> &mut [T] {
    a.as_slice_mut().expect("conv: a new array is contiguous")
}

/// Image → grid (`conv2d`, `conv1d`, and the input gradient of `conv_transpose2d`).
fn run_forward<T: Element>(
    c: &Checked,
    image: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
) -> Tensor<T> {
    let (image, weight) = (image.contiguous(), weight.contiguous());
    let bias = bias.map(Tensor::contiguous);
    let mut out = zeros(c);
    kernel::conv_forward(
        &c.geom,
        data(&image),
        data(&weight),
        bias.as_ref().map(data),
        slice_mut(&mut out),
    );
    Tensor::from_array(out)
}

/// Grid → image (the input gradient of `conv2d` and `conv1d`, and `conv_transpose2d`).
fn run_backward_data<T: Element>(
    c: &Checked,
    grid: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
) -> Tensor<T> {
    let (grid, weight) = (grid.contiguous(), weight.contiguous());
    let bias = bias.map(Tensor::contiguous);
    let mut out = zeros(c);
    kernel::conv_backward_data(
        &c.geom,
        data(&grid),
        data(&weight),
        bias.as_ref().map(data),
        slice_mut(&mut out),
    );
    Tensor::from_array(out)
}

/// Grid and image → weight (the weight gradient of every convolution).
fn run_backward_weight<T: Element>(c: &Checked, grid: &Tensor<T>, image: &Tensor<T>) -> Tensor<T> {
    let (grid, image) = (grid.contiguous(), image.contiguous());
    let mut out = zeros(c);
    kernel::conv_backward_weight(&c.geom, data(&grid), data(&image), slice_mut(&mut out));
    Tensor::from_array(out)
}

/// Sum over every dimension but the channels (dimension 1).
fn run_bias_grad<T: Element>(
    grad_out: &Tensor<T>,
    (n, ch, plane): (usize, usize, usize),
) -> Tensor<T> {
    let g = grad_out.contiguous();
    let mut out = ArrayD::zeros(IxDyn(&[ch]));
    kernel::channel_sums(data(&g), n, ch, plane, slice_mut(&mut out));
    Tensor::from_array(out)
}

const CONV2D: Op = Op {
    name: "conv2d",
    sd: 2,
};
const CONV1D: Op = Op {
    name: "conv1d",
    sd: 1,
};

impl<T: Element> Tensor<T> {
    /// 2-d convolution (cross-correlation, as every deep-learning library) of `self` by
    /// `weight`, plus an optional per-channel `bias`, like `torch.nn.functional.conv2d`.
    ///
    /// `y[n, o, i, j] = bias[o] + Σ_{c, ki, kj} w[o, c, ki, kj] x[n, g C_in/groups + c,
    /// i sh + ki dh - ph, j sw + kj dw - pw]`, with zeros outside the input and `g` the group
    /// of output channel `o`.
    ///
    /// # Shapes
    /// `self` `[N, C_in, H, W]`, `weight` `[C_out, C_in / groups, kH, kW]`, `bias` `[C_out]`;
    /// the result is `[N, C_out, oH, oW]` with `oH = (H + 2 ph - dh (kH - 1) - 1) / sh + 1`
    /// (see [`Conv2dOptions::output_size`]).
    ///
    /// # Errors
    /// [`TensorError::Rank`](crate::TensorError::Rank) if `self` or `weight` is not of rank 4;
    /// [`TensorError::ShapeMismatch`](crate::TensorError::ShapeMismatch) for a bias that is not
    /// `[C_out]`; [`TensorError::InvalidArgument`](crate::TensorError::InvalidArgument) for a
    /// zero stride, dilation or group count, a group count that does not divide `C_in` or
    /// `C_out`, a weight made for another number of input channels, an empty channel, spatial
    /// or kernel dimension, or a dilated kernel larger than the padded input.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::ops::conv::Conv2dOptions;
    /// use youshi_tensor::Tensor;
    ///
    /// let x = Tensor::<f32>::ones([2, 3, 28, 28]);
    /// let w = Tensor::<f32>::ones([8, 3, 3, 3]);
    /// let b = Tensor::<f32>::full([8], 0.5);
    /// let y = x.conv2d(&w, Some(&b), Conv2dOptions::new().stride(2).padding(1))?;
    /// assert_eq!(y.shape(), &[2, 8, 14, 14]);
    /// // Inside the image each output sums 3 * 3 * 3 ones; a corner sees 3 * 2 * 2.
    /// assert_eq!(y.get(&[1, 7, 5, 5])?, 27.5);
    /// assert_eq!(y.get(&[0, 0, 0, 0])?, 12.5);
    ///
    /// let e = Tensor::<f32>::ones([64, 1, 28, 28])
    ///     .conv2d(&Tensor::ones([32, 3, 3, 3]), None, Conv2dOptions::new())
    ///     .unwrap_err();
    /// assert_eq!(
    ///     e.to_string(),
    ///     "conv2d: weight [32, 3, 3, 3] expects 3 input channels, got input [64, 1, 28, 28]"
    /// );
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn conv2d(&self, weight: &Self, bias: Option<&Self>, opts: Conv2dOptions) -> Result<Self> {
        let c = checks::forward(
            CONV2D,
            self.shape(),
            weight.shape(),
            bias.map(|b| b.shape()),
            &opts,
        )?;
        Ok(run_forward(&c, self, weight, bias))
    }

    /// Gradient of [`conv2d`](Tensor::conv2d) with respect to its input, given the gradient
    /// `grad_out` of its output (what `torch.nn.grad.conv2d_input` computes).
    ///
    /// `input_hw` is the input's spatial size: with a stride above 1 several input sizes give
    /// the same output size, so it cannot be inferred.
    ///
    /// # Shapes
    /// `grad_out` `[N, C_out, oH, oW]`, `weight` `[C_out, C_in / groups, kH, kW]`; the result
    /// is `[N, C_in, H, W]` with `[H, W] = input_hw`.
    ///
    /// # Errors
    /// [`TensorError::Rank`](crate::TensorError::Rank) if `grad_out` or `weight` is not of rank
    /// 4; [`TensorError::InvalidArgument`](crate::TensorError::InvalidArgument) for invalid
    /// options, an empty weight or `input_hw`, a channel count that does not match the weight
    /// or the groups, or a `grad_out` whose spatial size is not the output size of `input_hw`.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::ops::conv::Conv2dOptions;
    /// use youshi_tensor::Tensor;
    ///
    /// let w = Tensor::<f64>::ones([1, 1, 2, 2]);
    /// let gy = Tensor::<f64>::ones([1, 1, 2, 2]);
    /// let gx = Tensor::conv2d_backward_input(&gy, &w, [3, 3], Conv2dOptions::new())?;
    /// // The centre of the 3x3 input is read by all four outputs.
    /// assert_eq!(gx.to_vec(), vec![1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn conv2d_backward_input(
        grad_out: &Self,
        weight: &Self,
        input_hw: [usize; 2],
        opts: Conv2dOptions,
    ) -> Result<Self> {
        let op = Op::new("conv2d_backward_input", 2);
        let c = checks::backward_input(op, grad_out.shape(), weight.shape(), input_hw, &opts)?;
        Ok(run_backward_data(&c, grad_out, weight, None))
    }

    /// Gradient of [`conv2d`](Tensor::conv2d) with respect to its weight, given the
    /// gradient `grad_out` of its output and its `input` (what
    /// `torch.nn.grad.conv2d_weight` computes).
    ///
    /// # Shapes
    /// `grad_out` `[N, C_out, oH, oW]`, `input` `[N, C_in, H, W]`, `kernel_hw = [kH, kW]`; the
    /// result is `[C_out, C_in / groups, kH, kW]`.
    ///
    /// # Errors
    /// [`TensorError::Rank`](crate::TensorError::Rank) if `grad_out` or `input` is not of rank
    /// 4; [`TensorError::ShapeMismatch`](crate::TensorError::ShapeMismatch) if their batch
    /// sizes differ; [`TensorError::InvalidArgument`](crate::TensorError::InvalidArgument) for
    /// invalid options, an empty kernel, channel or spatial size, channel counts that the
    /// groups do not divide, or a `grad_out` whose spatial size is not the output size.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::ops::conv::Conv2dOptions;
    /// use youshi_tensor::Tensor;
    ///
    /// let x = Tensor::from_vec((1..=9).map(f64::from).collect(), [1, 1, 3, 3])?;
    /// let gy = Tensor::<f64>::ones([1, 1, 2, 2]);
    /// let gw = Tensor::conv2d_backward_weight(&gy, &x, [2, 2], Conv2dOptions::new())?;
    /// // Each tap sums the 2x2 block of inputs it read.
    /// assert_eq!(gw.to_vec(), vec![12.0, 16.0, 24.0, 28.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn conv2d_backward_weight(
        grad_out: &Self,
        input: &Self,
        kernel_hw: [usize; 2],
        opts: Conv2dOptions,
    ) -> Result<Self> {
        let op = Op::new("conv2d_backward_weight", 2);
        let c = checks::backward_weight(op, grad_out.shape(), input.shape(), kernel_hw, &opts)?;
        Ok(run_backward_weight(&c, grad_out, input))
    }

    /// Gradient of a convolution's bias: `grad_out` summed over the batch and both spatial
    /// dimensions. It is also the bias gradient of
    /// [`conv_transpose2d`](Tensor::conv_transpose2d).
    ///
    /// # Shapes
    /// `grad_out` `[N, C, H, W]`; the result is `[C]`.
    ///
    /// # Errors
    /// [`TensorError::Rank`](crate::TensorError::Rank) if `grad_out` is not of rank 4.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::Tensor;
    /// let gy = Tensor::<f32>::ones([2, 3, 4, 5]);
    /// assert_eq!(Tensor::conv2d_backward_bias(&gy)?.to_vec(), vec![40.0; 3]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn conv2d_backward_bias(grad_out: &Self) -> Result<Self> {
        let dims = checks::bias_grad(Op::new("conv2d_backward_bias", 2), grad_out.shape())?;
        Ok(run_bias_grad(grad_out, dims))
    }

    /// 1-d convolution of `self` by `weight`, plus an optional per-channel `bias`, like
    /// `torch.nn.functional.conv1d`; it runs as a 2-d convolution of height 1.
    ///
    /// # Shapes
    /// `self` `[N, C_in, L]`, `weight` `[C_out, C_in / groups, K]`, `bias` `[C_out]`; the
    /// result is `[N, C_out, oL]` with `oL = (L + 2 p - d (K - 1) - 1) / s + 1`.
    ///
    /// # Errors
    /// As [`conv2d`](Tensor::conv2d), with rank 3 instead of 4.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::ops::conv::Conv1dOptions;
    /// use youshi_tensor::Tensor;
    ///
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [1, 1, 4])?;
    /// let w = Tensor::from_vec(vec![1.0f32, -1.0], [1, 1, 2])?;
    /// let y = x.conv1d(&w, None, Conv1dOptions::new().padding(1))?;
    /// assert_eq!(y.to_vec(), vec![-1.0, -1.0, -1.0, -1.0, 4.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn conv1d(&self, weight: &Self, bias: Option<&Self>, opts: Conv1dOptions) -> Result<Self> {
        let c = checks::forward(
            CONV1D,
            self.shape(),
            weight.shape(),
            bias.map(|b| b.shape()),
            &opts.to_2d(),
        )?;
        Ok(run_forward(&c, self, weight, bias))
    }

    /// Gradient of [`conv1d`](Tensor::conv1d) with respect to its input; `input_len` is the
    /// input's length.
    ///
    /// # Shapes
    /// `grad_out` `[N, C_out, oL]`, `weight` `[C_out, C_in / groups, K]`; the result is
    /// `[N, C_in, input_len]`.
    ///
    /// # Errors
    /// As [`conv2d_backward_input`](Tensor::conv2d_backward_input), with rank 3 instead of 4.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::ops::conv::Conv1dOptions;
    /// use youshi_tensor::Tensor;
    ///
    /// let w = Tensor::from_vec(vec![1.0f64, -1.0], [1, 1, 2])?;
    /// let gy = Tensor::from_vec(vec![1.0f64, 10.0], [1, 1, 2])?;
    /// let gx = Tensor::conv1d_backward_input(&gy, &w, 3, Conv1dOptions::new())?;
    /// assert_eq!(gx.to_vec(), vec![1.0, 9.0, -10.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn conv1d_backward_input(
        grad_out: &Self,
        weight: &Self,
        input_len: usize,
        opts: Conv1dOptions,
    ) -> Result<Self> {
        let op = Op::new("conv1d_backward_input", 1);
        let c = checks::backward_input(
            op,
            grad_out.shape(),
            weight.shape(),
            [1, input_len],
            &opts.to_2d(),
        )?;
        Ok(run_backward_data(&c, grad_out, weight, None))
    }

    /// Gradient of [`conv1d`](Tensor::conv1d) with respect to its weight; `kernel_len` is the
    /// kernel's length.
    ///
    /// # Shapes
    /// `grad_out` `[N, C_out, oL]`, `input` `[N, C_in, L]`; the result is
    /// `[C_out, C_in / groups, kernel_len]`.
    ///
    /// # Errors
    /// As [`conv2d_backward_weight`](Tensor::conv2d_backward_weight), with rank 3 instead of 4.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::ops::conv::Conv1dOptions;
    /// use youshi_tensor::Tensor;
    ///
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], [1, 1, 3])?;
    /// let gy = Tensor::from_vec(vec![1.0f64, 10.0], [1, 1, 2])?;
    /// let gw = Tensor::conv1d_backward_weight(&gy, &x, 2, Conv1dOptions::new())?;
    /// assert_eq!(gw.to_vec(), vec![21.0, 32.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn conv1d_backward_weight(
        grad_out: &Self,
        input: &Self,
        kernel_len: usize,
        opts: Conv1dOptions,
    ) -> Result<Self> {
        let op = Op::new("conv1d_backward_weight", 1);
        let c = checks::backward_weight(
            op,
            grad_out.shape(),
            input.shape(),
            [1, kernel_len],
            &opts.to_2d(),
        )?;
        Ok(run_backward_weight(&c, grad_out, input))
    }

    /// Gradient of a 1-d convolution's bias: `grad_out` summed over the batch and the length.
    ///
    /// # Shapes
    /// `grad_out` `[N, C, L]`; the result is `[C]`.
    ///
    /// # Errors
    /// [`TensorError::Rank`](crate::TensorError::Rank) if `grad_out` is not of rank 3.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::Tensor;
    /// let gy = Tensor::<f64>::ones([2, 3, 4]);
    /// assert_eq!(Tensor::conv1d_backward_bias(&gy)?.to_vec(), vec![8.0; 3]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn conv1d_backward_bias(grad_out: &Self) -> Result<Self> {
        let dims = checks::bias_grad(Op::new("conv1d_backward_bias", 1), grad_out.shape())?;
        Ok(run_bias_grad(grad_out, dims))
    }

    /// 2-d transposed convolution (the adjoint of [`conv2d`](Tensor::conv2d), sometimes
    /// called deconvolution) of `self` by `weight`, plus an optional per-channel `bias`, like
    /// `torch.nn.functional.conv_transpose2d`.
    ///
    /// It is the input gradient of a `conv2d` with the same stride, padding, dilation and
    /// groups whose weight is `weight`: each input element scatters `weight` times itself into
    /// the output.
    ///
    /// # Shapes
    /// `self` `[N, C_in, H, W]`, `weight` `[C_in, C_out / groups, kH, kW]`, `bias` `[C_out]`;
    /// the result is `[N, C_out, oH, oW]` with
    /// `oH = (H - 1) sh - 2 ph + dh (kH - 1) + oph + 1` (see
    /// [`ConvTranspose2dOptions::output_size`]).
    ///
    /// # Errors
    /// [`TensorError::Rank`](crate::TensorError::Rank) if `self` or `weight` is not of rank 4;
    /// [`TensorError::ShapeMismatch`](crate::TensorError::ShapeMismatch) for a bias that is not
    /// `[C_out]`; [`TensorError::InvalidArgument`](crate::TensorError::InvalidArgument) for a
    /// zero stride, dilation or group count, an output padding not below the stride or the
    /// dilation, a group count that does not divide `C_in`, a weight made for another number
    /// of input channels, an empty dimension, or an output size below 1.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::ops::conv::ConvTranspose2dOptions;
    /// use youshi_tensor::Tensor;
    ///
    /// // Stride 2 with a 2x2 kernel of ones: each input becomes a 2x2 block.
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [1, 1, 2, 2])?;
    /// let w = Tensor::<f32>::ones([1, 1, 2, 2]);
    /// let y = x.conv_transpose2d(&w, None, ConvTranspose2dOptions::new().stride(2))?;
    /// assert_eq!(y.shape(), &[1, 1, 4, 4]);
    /// assert_eq!(
    ///     y.to_vec(),
    ///     vec![1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 3.0, 3.0, 4.0, 4.0]
    /// );
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn conv_transpose2d(
        &self,
        weight: &Self,
        bias: Option<&Self>,
        opts: ConvTranspose2dOptions,
    ) -> Result<Self> {
        let op = Op::new("conv_transpose2d", 2);
        let c = checks::transposed(
            op,
            self.shape(),
            weight.shape(),
            bias.map(|b| b.shape()),
            &opts,
        )?;
        Ok(run_backward_data(&c, self, weight, bias))
    }

    /// Gradient of [`conv_transpose2d`](Tensor::conv_transpose2d) with respect to its input:
    /// the `conv2d` of `grad_out` by `weight` with the same options; `input_hw` is the input's
    /// spatial size.
    ///
    /// # Shapes
    /// `grad_out` `[N, C_out, oH, oW]`, `weight` `[C_in, C_out / groups, kH, kW]`; the result
    /// is `[N, C_in, H, W]` with `[H, W] = input_hw`.
    ///
    /// # Errors
    /// [`TensorError::Rank`](crate::TensorError::Rank) if `grad_out` or `weight` is not of rank
    /// 4; [`TensorError::InvalidArgument`](crate::TensorError::InvalidArgument) for invalid
    /// options, an empty weight or `input_hw`, a channel count that does not match the weight
    /// or the groups, or a `grad_out` whose spatial size is not the output size of `input_hw`.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::ops::conv::ConvTranspose2dOptions;
    /// use youshi_tensor::Tensor;
    ///
    /// let w = Tensor::<f32>::ones([1, 1, 2, 2]);
    /// let gy = Tensor::from_vec((0..16).map(|v| v as f32).collect(), [1, 1, 4, 4])?;
    /// let opts = ConvTranspose2dOptions::new().stride(2);
    /// let gx = Tensor::conv_transpose2d_backward_input(&gy, &w, [2, 2], opts)?;
    /// // Each input element gathers the 2x2 block it was spread to.
    /// assert_eq!(gx.to_vec(), vec![10.0, 18.0, 42.0, 50.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn conv_transpose2d_backward_input(
        grad_out: &Self,
        weight: &Self,
        input_hw: [usize; 2],
        opts: ConvTranspose2dOptions,
    ) -> Result<Self> {
        let op = Op::new("conv_transpose2d_backward_input", 2);
        let c = checks::transposed_backward_input(
            op,
            grad_out.shape(),
            weight.shape(),
            input_hw,
            &opts,
        )?;
        Ok(run_forward(&c, grad_out, weight, None))
    }

    /// Gradient of [`conv_transpose2d`](Tensor::conv_transpose2d) with respect to its weight,
    /// given the gradient `grad_out` of its output and its `input`: the `conv2d` weight
    /// gradient with the roles of input and output swapped.
    ///
    /// # Shapes
    /// `grad_out` `[N, C_out, oH, oW]`, `input` `[N, C_in, H, W]`, `kernel_hw = [kH, kW]`; the
    /// result is `[C_in, C_out / groups, kH, kW]`.
    ///
    /// # Errors
    /// [`TensorError::Rank`](crate::TensorError::Rank) if `grad_out` or `input` is not of rank
    /// 4; [`TensorError::ShapeMismatch`](crate::TensorError::ShapeMismatch) if their batch
    /// sizes differ; [`TensorError::InvalidArgument`](crate::TensorError::InvalidArgument) for
    /// invalid options, an empty kernel, channel or spatial size, channel counts that the
    /// groups do not divide, or a `grad_out` whose spatial size is not the output size.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::ops::conv::ConvTranspose2dOptions;
    /// use youshi_tensor::Tensor;
    ///
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0], [1, 1, 1, 2])?;
    /// let gy = Tensor::<f64>::ones([1, 1, 2, 3]);
    /// let opts = ConvTranspose2dOptions::new();
    /// let gw = Tensor::conv_transpose2d_backward_weight(&gy, &x, [2, 2], opts)?;
    /// assert_eq!(gw.shape(), &[1, 1, 2, 2]);
    /// assert_eq!(gw.to_vec(), vec![3.0, 3.0, 3.0, 3.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn conv_transpose2d_backward_weight(
        grad_out: &Self,
        input: &Self,
        kernel_hw: [usize; 2],
        opts: ConvTranspose2dOptions,
    ) -> Result<Self> {
        let op = Op::new("conv_transpose2d_backward_weight", 2);
        let c = checks::transposed_backward_weight(
            op,
            grad_out.shape(),
            input.shape(),
            kernel_hw,
            &opts,
        )?;
        Ok(run_backward_weight(&c, input, grad_out))
    }
}

#[cfg(test)]
mod tests;
