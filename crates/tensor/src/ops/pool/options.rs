//! Pooling options and PyTorch's output size rule.

use std::fmt::Display;

use crate::error::{Result, TensorError};
use crate::shape::Shape;

/// Options of a 2-d pooling: kernel size, stride, padding, dilation and ceil mode, each per
/// spatial axis as `[height, width]`.
///
/// [`Pool2dOptions::new`] gives PyTorch's defaults for a square kernel (stride equal to the
/// kernel, no padding, dilation 1, floor mode); the builder methods change one setting.
///
/// # Examples
/// ```
/// use youshi_tensor::ops::pool::Pool2dOptions;
/// let opts = Pool2dOptions::new(3).stride(2).padding(1).ceil_mode(true);
/// assert_eq!(opts.kernel, [3, 3]);
/// assert_eq!(opts.stride, [2, 2]);
/// assert_eq!(opts.output_size([6, 7])?, [4, 4]);
/// # Ok::<(), youshi_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool2dOptions {
    /// Window size `[kh, kw]`; must be positive.
    pub kernel: [usize; 2],
    /// Step between windows `[sh, sw]`; must be positive.
    pub stride: [usize; 2],
    /// Implicit padding on both sides `[ph, pw]`; at most half the kernel size, as PyTorch.
    pub padding: [usize; 2],
    /// Spacing between window taps `[dh, dw]`; must be positive (1 for average pooling).
    pub dilation: [usize; 2],
    /// Round the output size up instead of down, as PyTorch's `ceil_mode`.
    pub ceil_mode: bool,
}

impl Pool2dOptions {
    /// A `kernel x kernel` window with PyTorch's defaults: stride `kernel`, padding 0,
    /// dilation 1, floor mode.
    pub fn new(kernel: usize) -> Self {
        Pool2dOptions {
            kernel: [kernel, kernel],
            stride: [kernel, kernel],
            padding: [0, 0],
            dilation: [1, 1],
            ceil_mode: false,
        }
    }

    /// Sets a `kh x kw` window, and (like [`new`](Pool2dOptions::new) and PyTorch's default)
    /// the stride to the same `[kh, kw]`: set a different stride after this call.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::ops::pool::Pool2dOptions;
    /// let opts = Pool2dOptions::new(1).kernel2([3, 2]);
    /// assert_eq!((opts.kernel, opts.stride), ([3, 2], [3, 2]));
    /// ```
    pub fn kernel2(mut self, kernel: [usize; 2]) -> Self {
        self.kernel = kernel;
        self.stride = kernel;
        self
    }

    /// Sets the same stride on both axes.
    pub fn stride(self, stride: usize) -> Self {
        self.stride2([stride, stride])
    }

    /// Sets the stride `[sh, sw]`.
    pub fn stride2(mut self, stride: [usize; 2]) -> Self {
        self.stride = stride;
        self
    }

    /// Sets the same padding on both axes.
    pub fn padding(self, padding: usize) -> Self {
        self.padding2([padding, padding])
    }

    /// Sets the padding `[ph, pw]`.
    pub fn padding2(mut self, padding: [usize; 2]) -> Self {
        self.padding = padding;
        self
    }

    /// Sets the same dilation on both axes.
    pub fn dilation(self, dilation: usize) -> Self {
        self.dilation2([dilation, dilation])
    }

    /// Sets the dilation `[dh, dw]`.
    pub fn dilation2(mut self, dilation: [usize; 2]) -> Self {
        self.dilation = dilation;
        self
    }

    /// Sets ceil mode: round the output size up, as PyTorch's `ceil_mode`.
    pub fn ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }

    /// The output size `[OH, OW]` of pooling an `input_hw = [H, W]` plane, by PyTorch's rule:
    /// `floor_or_ceil((H + 2 ph - dh (kh - 1) - 1) / sh) + 1`, where in ceil mode a last window
    /// that would start in the right padding is dropped.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if a kernel size, stride or dilation is zero, a padding
    /// exceeds half its kernel size, or an output size would be below 1.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::ops::pool::Pool2dOptions;
    /// let opts = Pool2dOptions::new(2).stride(3).padding(1).ceil_mode(true);
    /// // A third window would start at 2 * 3 - 1 = 5, past the input of size 4: dropped.
    /// assert_eq!(opts.output_size([4, 4])?, [2, 2]);
    /// assert!(Pool2dOptions::new(3).output_size([2, 2]).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn output_size(&self, input_hw: [usize; 2]) -> Result<[usize; 2]> {
        check_options("pool2d", self, Dims::Two, false)?;
        pooled_size("pool2d", self, Dims::Two, input_hw, &input_hw)
    }
}

/// Options of a 1-d pooling (see [`Pool2dOptions`]): kernel size, stride, padding, dilation and
/// ceil mode along `L`.
///
/// # Examples
/// ```
/// use youshi_tensor::ops::pool::Pool1dOptions;
/// let opts = Pool1dOptions::new(3).stride(2).padding(1);
/// assert_eq!(opts.output_size(10)?, 5);
/// # Ok::<(), youshi_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool1dOptions {
    /// Window size; must be positive.
    pub kernel: usize,
    /// Step between windows; must be positive.
    pub stride: usize,
    /// Implicit padding on both sides; at most half the kernel size.
    pub padding: usize,
    /// Spacing between window taps; must be positive (1 for average pooling).
    pub dilation: usize,
    /// Round the output size up instead of down.
    pub ceil_mode: bool,
}

impl Pool1dOptions {
    /// A window of `kernel` taps with PyTorch's defaults: stride `kernel`, padding 0,
    /// dilation 1, floor mode.
    pub fn new(kernel: usize) -> Self {
        Pool1dOptions {
            kernel,
            stride: kernel,
            padding: 0,
            dilation: 1,
            ceil_mode: false,
        }
    }

    /// Sets the stride.
    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = stride;
        self
    }

    /// Sets the padding.
    pub fn padding(mut self, padding: usize) -> Self {
        self.padding = padding;
        self
    }

    /// Sets the dilation.
    pub fn dilation(mut self, dilation: usize) -> Self {
        self.dilation = dilation;
        self
    }

    /// Sets ceil mode.
    pub fn ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }

    /// The same pooling as 2-d options over an `H = 1` axis: kernel `[1, k]`, stride `[1, s]`,
    /// padding `[0, p]`, dilation `[1, d]`.
    pub fn to_2d(&self) -> Pool2dOptions {
        Pool2dOptions {
            kernel: [1, self.kernel],
            stride: [1, self.stride],
            padding: [0, self.padding],
            dilation: [1, self.dilation],
            ceil_mode: self.ceil_mode,
        }
    }

    /// The output length of pooling `input_len` positions (see
    /// [`Pool2dOptions::output_size`]).
    ///
    /// # Errors
    /// As [`Pool2dOptions::output_size`].
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::ops::pool::Pool1dOptions;
    /// assert_eq!(Pool1dOptions::new(2).ceil_mode(true).output_size(5)?, 3);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn output_size(&self, input_len: usize) -> Result<usize> {
        let opts = self.to_2d();
        check_options("pool1d", &opts, Dims::One, false)?;
        Ok(pooled_size("pool1d", &opts, Dims::One, [1, input_len], &[input_len])?[1])
    }
}

/// Whether an operation is the 2-d one or the 1-d one run as 2-d with `H = 1`; decides how
/// options and shapes are shown in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dims {
    One,
    Two,
}

impl Dims {
    /// Number of spatial dimensions.
    pub(super) fn count(self) -> usize {
        match self {
            Dims::One => 1,
            Dims::Two => 2,
        }
    }

    /// `[a, b]` for 2-d, `b` for 1-d.
    fn show<V: Display>(self, v: [V; 2]) -> String {
        let [a, b] = v;
        match self {
            Dims::One => b.to_string(),
            Dims::Two => format!("[{a}, {b}]"),
        }
    }
}

/// Checks the options as PyTorch's `pool2d_shape_check` does, plus `dilation == 1` for
/// average pooling.
pub(super) fn check_options(
    op: &'static str,
    o: &Pool2dOptions,
    dims: Dims,
    avg: bool,
) -> Result<()> {
    let positive = [
        ("kernel size", o.kernel),
        ("stride", o.stride),
        ("dilation", o.dilation),
    ];
    for (name, v) in positive {
        if v.contains(&0) {
            return Err(TensorError::invalid(
                op,
                format!("{name} {} must be positive", dims.show(v)),
            ));
        }
    }
    if avg && o.dilation != [1, 1] {
        return Err(TensorError::invalid(
            op,
            format!(
                "dilation {} is not supported, average pooling has none (it must be 1)",
                dims.show(o.dilation)
            ),
        ));
    }
    if o.padding[0] > o.kernel[0] / 2 || o.padding[1] > o.kernel[1] / 2 {
        return Err(TensorError::invalid(
            op,
            format!(
                "padding {} must be at most half the kernel size {}",
                dims.show(o.padding),
                dims.show(o.kernel)
            ),
        ));
    }
    Ok(())
}

/// Output size along one axis, PyTorch's `pooling_output_shape`: may be zero or negative (the
/// caller rejects it); `None` for absurd sizes whose arithmetic would overflow (an output size
/// far below zero).
fn axis_size(input: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> Option<i128> {
    let (n, k, s, p, d) = (input as i128, k as i128, s as i128, p as i128, d as i128);
    let span = d.checked_mul(k - 1)?;
    let num = (n + 2 * p + if ceil { s - 1 } else { 0 })
        .checked_sub(span)?
        .checked_sub(1)?;
    let mut out = num.div_euclid(s) + 1;
    // In ceil mode the last window must start inside the input or its left padding.
    if ceil && (out - 1).checked_mul(s)? >= n + p {
        out -= 1;
    }
    Some(out)
}

/// The output size `[OH, OW]` of pooling an `[H, W]` plane with checked options.
///
/// `shape` is the input's shape, shown in the error message.
pub(super) fn pooled_size(
    op: &'static str,
    o: &Pool2dOptions,
    dims: Dims,
    hw: [usize; 2],
    shape: &[usize],
) -> Result<[usize; 2]> {
    let size = |a: usize| {
        axis_size(
            hw[a],
            o.kernel[a],
            o.stride[a],
            o.padding[a],
            o.dilation[a],
            o.ceil_mode,
        )
    };
    let (oh, ow) = (size(0), size(1));
    let valid = |v: Option<i128>| v.filter(|&v| v >= 1);
    let (Some(oh), Some(ow)) = (valid(oh), valid(ow)) else {
        let show = |v: Option<i128>| v.map_or_else(|| "-inf".to_string(), |v| v.to_string());
        let mut msg = format!(
            "output size {} is too small for input {} (kernel size {}, stride {}, padding {}",
            dims.show([show(oh), show(ow)]),
            Shape::from(shape),
            dims.show(o.kernel),
            dims.show(o.stride),
            dims.show(o.padding),
        );
        if o.dilation != [1, 1] {
            msg += &format!(", dilation {}", dims.show(o.dilation));
        }
        msg += ")";
        return Err(TensorError::invalid(op, msg));
    };
    // Both sizes are at most the padded input size, so they fit in usize.
    Ok([oh as usize, ow as usize])
}
