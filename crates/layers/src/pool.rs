//! Pooling layers: [`MaxPool2d`], [`AvgPool2d`], [`AdaptiveAvgPool2d`], [`MaxPool1d`] and
//! [`AvgPool1d`], PyTorch's `nn` pooling modules.
//!
//! The fixed-window layers are built from [`Pool2dConfig`] / [`Pool1dConfig`]
//! (`new(kernel)` then builder setters, stride defaulting to the kernel as in PyTorch), whose
//! `max()` / `avg()` validate the values.

use youshi_autograd::Var;
use youshi_tensor::{Element, Pool1dOptions, Pool2dOptions};

use crate::error::{LayerError, Result};
use crate::module::Module;

fn check_pool(
    kind: &'static str,
    kernel: &[usize],
    stride: &[usize],
    padding: &[usize],
    dilation: &[usize],
) -> Result<()> {
    for (name, v) in [
        ("kernel size", kernel),
        ("stride", stride),
        ("dilation", dilation),
    ] {
        if v.contains(&0) {
            return Err(LayerError::config(
                kind,
                format!("{name} must be positive, got {v:?}"),
            ));
        }
    }
    if padding.iter().zip(kernel).any(|(&p, &k)| p > k / 2) {
        return Err(LayerError::config(
            kind,
            format!("padding {padding:?} must be at most half the kernel size {kernel:?}"),
        ));
    }
    Ok(())
}

/// Options of a 2-d pooling layer: `new(kernel)` then builder setters; `max()` builds a
/// [`MaxPool2d`], `avg()` an [`AvgPool2d`].
///
/// Defaults are PyTorch's: stride equal to the kernel, no padding, dilation 1, floor mode,
/// `count_include_pad = true`.
///
/// # Examples
/// ```
/// use youshi_layers::pool::Pool2dConfig;
/// let pool = Pool2dConfig::new(3).stride(2).padding(1).ceil_mode(true).max()?;
/// assert_eq!(pool.options().stride, [2, 2]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool2dConfig {
    /// Window `[kh, kw]`, stride, padding, dilation and ceil mode.
    pub options: Pool2dOptions,
    /// Whether average pooling divides by the full window, padding included.
    pub count_include_pad: bool,
}

impl Pool2dConfig {
    /// A square `kernel x kernel` window with stride `kernel`.
    pub fn new(kernel: usize) -> Self {
        Pool2dConfig {
            options: Pool2dOptions::new(kernel),
            count_include_pad: true,
        }
    }

    /// A rectangular window `[kh, kw]` (the stride follows unless set afterwards).
    pub fn kernel2(mut self, kernel: [usize; 2]) -> Self {
        self.options = self.options.kernel2(kernel);
        self
    }

    /// The same stride in both dimensions.
    pub fn stride(self, s: usize) -> Self {
        self.stride2([s, s])
    }

    /// Stride `[sh, sw]`.
    pub fn stride2(mut self, s: [usize; 2]) -> Self {
        self.options = self.options.stride2(s);
        self
    }

    /// The same padding in both dimensions (implicit `-inf` for max, zeros for average).
    pub fn padding(self, p: usize) -> Self {
        self.padding2([p, p])
    }

    /// Padding `[ph, pw]`.
    pub fn padding2(mut self, p: [usize; 2]) -> Self {
        self.options = self.options.padding2(p);
        self
    }

    /// The same dilation in both dimensions (max pooling only).
    pub fn dilation(self, d: usize) -> Self {
        self.dilation2([d, d])
    }

    /// Dilation `[dh, dw]` (max pooling only).
    pub fn dilation2(mut self, d: [usize; 2]) -> Self {
        self.options = self.options.dilation2(d);
        self
    }

    /// Rounds the output size up instead of down (PyTorch's `ceil_mode`).
    pub fn ceil_mode(mut self, on: bool) -> Self {
        self.options = self.options.ceil_mode(on);
        self
    }

    /// Whether average pooling counts padded elements in the divisor (default `true`).
    pub fn count_include_pad(mut self, on: bool) -> Self {
        self.count_include_pad = on;
        self
    }

    /// Builds a [`MaxPool2d`].
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `MaxPool2d` and the values: a zero kernel, stride or
    /// dilation, or a padding above half the kernel.
    pub fn max(&self) -> Result<MaxPool2d> {
        let o = &self.options;
        check_pool("MaxPool2d", &o.kernel, &o.stride, &o.padding, &o.dilation)?;
        Ok(MaxPool2d { options: *o })
    }

    /// Builds an [`AvgPool2d`].
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `AvgPool2d` and the values: as [`max`](Self::max), and a
    /// dilation other than 1.
    pub fn avg(&self) -> Result<AvgPool2d> {
        let o = &self.options;
        check_pool("AvgPool2d", &o.kernel, &o.stride, &o.padding, &o.dilation)?;
        if o.dilation != [1, 1] {
            return Err(LayerError::config(
                "AvgPool2d",
                format!("dilation {:?} is not supported (it must be 1)", o.dilation),
            ));
        }
        Ok(AvgPool2d {
            options: *o,
            count_include_pad: self.count_include_pad,
        })
    }
}

fn check_nchw(kind: &'static str, x: &[usize]) -> Result<()> {
    if x.len() != 4 {
        return Err(LayerError::input(kind, "[N, C, H, W]", x));
    }
    Ok(())
}

fn check_ncl(kind: &'static str, x: &[usize]) -> Result<()> {
    if x.len() != 3 {
        return Err(LayerError::input(kind, "[N, C, L]", x));
    }
    Ok(())
}

/// 2-d max pooling, PyTorch's `nn.MaxPool2d`: the maximum of each window (the gradient goes
/// to the first maximum of each window).
///
/// # Shapes
/// Input `[N, C, H, W]`, output `[N, C, oH, oW]` with
/// `oH = (H + 2 ph - dh (kh - 1) - 1) / sh + 1` (rounded up in ceil mode, PyTorch's rule).
///
/// # Errors
/// `forward` returns [`LayerError::Input`] naming `MaxPool2d`, `[N, C, H, W]` and the shape
/// received for an input not of rank 4; the pooling's error for an input smaller than the
/// window.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::pool::Pool2dConfig;
/// use youshi_layers::Module;
/// use youshi_tensor::Tensor;
/// let pool = Pool2dConfig::new(2).max()?;
/// let y = Module::<f32>::forward(&pool, &Graph::no_grad().constant(Tensor::ones([1, 3, 8, 6])))?;
/// assert_eq!(y.shape(), &[1, 3, 4, 3]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPool2d {
    options: Pool2dOptions,
}

impl MaxPool2d {
    /// The pooling options.
    pub fn options(&self) -> &Pool2dOptions {
        &self.options
    }
}

impl<T: Element> Module<T> for MaxPool2d {
    fn kind(&self) -> &'static str {
        "MaxPool2d"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        check_nchw("MaxPool2d", x.shape())?;
        Ok(x.max_pool2d(self.options)?)
    }
}

/// 2-d average pooling, PyTorch's `nn.AvgPool2d`.
///
/// With `count_include_pad` (the default) each window divides by its size clipped to the
/// padded input; without, by the number of real input elements it covers.
///
/// # Shapes
/// Input `[N, C, H, W]`, output `[N, C, oH, oW]` with `oH = (H + 2 ph - kh) / sh + 1`
/// (rounded up in ceil mode, PyTorch's rule).
///
/// # Errors
/// `forward` returns [`LayerError::Input`] naming `AvgPool2d`, `[N, C, H, W]` and the shape
/// received for an input not of rank 4.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::pool::Pool2dConfig;
/// use youshi_layers::Module;
/// use youshi_tensor::Tensor;
/// let pool = Pool2dConfig::new(3).stride(1).padding(1).count_include_pad(false).avg()?;
/// let y = Module::<f64>::forward(&pool, &Graph::no_grad().constant(Tensor::ones([1, 1, 4, 4])))?;
/// // Excluding the padding, the average of ones is one everywhere, borders included.
/// assert!(y.value().to_vec().iter().all(|&v| (v - 1.0).abs() < 1e-12));
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvgPool2d {
    options: Pool2dOptions,
    count_include_pad: bool,
}

impl AvgPool2d {
    /// The pooling options.
    pub fn options(&self) -> &Pool2dOptions {
        &self.options
    }

    /// Whether padded elements count in the divisor.
    pub fn count_include_pad(&self) -> bool {
        self.count_include_pad
    }
}

impl<T: Element> Module<T> for AvgPool2d {
    fn kind(&self) -> &'static str {
        "AvgPool2d"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        check_nchw("AvgPool2d", x.shape())?;
        Ok(x.avg_pool2d(self.options, self.count_include_pad)?)
    }
}

/// Adaptive 2-d average pooling to a fixed output size, PyTorch's `nn.AdaptiveAvgPool2d`:
/// output cell `i` averages input rows `floor(i H / oH) .. ceil((i + 1) H / oH)` (and the
/// same for columns).
///
/// # Shapes
/// Input `[N, C, H, W]`, output `[N, C, oH, oW]`.
///
/// # Errors
/// [`new`](Self::new) returns [`LayerError::Config`] for a zero output size; `forward`
/// returns [`LayerError::Input`] naming `AdaptiveAvgPool2d`, `[N, C, H, W]` and the shape
/// received for an input not of rank 4.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::pool::AdaptiveAvgPool2d;
/// use youshi_layers::Module;
/// use youshi_tensor::Tensor;
/// let gap = AdaptiveAvgPool2d::new([1, 1])?;
/// let y = Module::<f32>::forward(&gap, &Graph::no_grad().constant(Tensor::ones([2, 8, 7, 7])))?;
/// assert_eq!(y.shape(), &[2, 8, 1, 1]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdaptiveAvgPool2d {
    output_size: [usize; 2],
}

impl AdaptiveAvgPool2d {
    /// Pools to `output_size = [oH, oW]`.
    ///
    /// # Errors
    /// [`LayerError::Config`] if a size is zero.
    pub fn new(output_size: [usize; 2]) -> Result<Self> {
        if output_size.contains(&0) {
            return Err(LayerError::config(
                "AdaptiveAvgPool2d",
                format!("output size must be positive, got {output_size:?}"),
            ));
        }
        Ok(AdaptiveAvgPool2d { output_size })
    }

    /// The output size `[oH, oW]`.
    pub fn output_size(&self) -> [usize; 2] {
        self.output_size
    }
}

impl<T: Element> Module<T> for AdaptiveAvgPool2d {
    fn kind(&self) -> &'static str {
        "AdaptiveAvgPool2d"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        check_nchw("AdaptiveAvgPool2d", x.shape())?;
        Ok(x.adaptive_avg_pool2d(self.output_size)?)
    }
}

/// Options of a 1-d pooling layer: `new(kernel)` then builder setters; `max()` builds a
/// [`MaxPool1d`], `avg()` an [`AvgPool1d`]. Defaults as [`Pool2dConfig`].
///
/// # Examples
/// ```
/// use youshi_layers::pool::Pool1dConfig;
/// let pool = Pool1dConfig::new(3).stride(2).padding(1).avg()?;
/// assert_eq!(pool.options().kernel, 3);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool1dConfig {
    /// Window, stride, padding, dilation and ceil mode.
    pub options: Pool1dOptions,
    /// Whether average pooling divides by the full window, padding included.
    pub count_include_pad: bool,
}

impl Pool1dConfig {
    /// A window of `kernel` with stride `kernel`.
    pub fn new(kernel: usize) -> Self {
        Pool1dConfig {
            options: Pool1dOptions::new(kernel),
            count_include_pad: true,
        }
    }

    /// Stride.
    pub fn stride(mut self, s: usize) -> Self {
        self.options = self.options.stride(s);
        self
    }

    /// Padding.
    pub fn padding(mut self, p: usize) -> Self {
        self.options = self.options.padding(p);
        self
    }

    /// Dilation (max pooling only).
    pub fn dilation(mut self, d: usize) -> Self {
        self.options = self.options.dilation(d);
        self
    }

    /// Rounds the output size up instead of down.
    pub fn ceil_mode(mut self, on: bool) -> Self {
        self.options = self.options.ceil_mode(on);
        self
    }

    /// Whether average pooling counts padded elements in the divisor (default `true`).
    pub fn count_include_pad(mut self, on: bool) -> Self {
        self.count_include_pad = on;
        self
    }

    /// Builds a [`MaxPool1d`].
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `MaxPool1d` and the values (as [`Pool2dConfig::max`]).
    pub fn max(&self) -> Result<MaxPool1d> {
        let o = &self.options;
        check_pool(
            "MaxPool1d",
            &[o.kernel],
            &[o.stride],
            &[o.padding],
            &[o.dilation],
        )?;
        Ok(MaxPool1d { options: *o })
    }

    /// Builds an [`AvgPool1d`].
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `AvgPool1d` and the values (as [`Pool2dConfig::avg`]).
    pub fn avg(&self) -> Result<AvgPool1d> {
        let o = &self.options;
        check_pool(
            "AvgPool1d",
            &[o.kernel],
            &[o.stride],
            &[o.padding],
            &[o.dilation],
        )?;
        if o.dilation != 1 {
            return Err(LayerError::config(
                "AvgPool1d",
                format!("dilation {} is not supported (it must be 1)", o.dilation),
            ));
        }
        Ok(AvgPool1d {
            options: *o,
            count_include_pad: self.count_include_pad,
        })
    }
}

/// 1-d max pooling over `[N, C, L]`, PyTorch's `nn.MaxPool1d`.
///
/// # Shapes
/// Input `[N, C, L]`, output `[N, C, oL]` with `oL = (L + 2 p - d (k - 1) - 1) / s + 1`.
///
/// # Errors
/// `forward` returns [`LayerError::Input`] naming `MaxPool1d`, `[N, C, L]` and the shape
/// received for an input not of rank 3.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::pool::Pool1dConfig;
/// use youshi_layers::Module;
/// use youshi_tensor::Tensor;
/// let pool = Pool1dConfig::new(2).max()?;
/// let y = Module::<f32>::forward(&pool, &Graph::no_grad().constant(Tensor::ones([1, 2, 9])))?;
/// assert_eq!(y.shape(), &[1, 2, 4]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPool1d {
    options: Pool1dOptions,
}

impl MaxPool1d {
    /// The pooling options.
    pub fn options(&self) -> &Pool1dOptions {
        &self.options
    }
}

impl<T: Element> Module<T> for MaxPool1d {
    fn kind(&self) -> &'static str {
        "MaxPool1d"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        check_ncl("MaxPool1d", x.shape())?;
        Ok(x.max_pool1d(self.options)?)
    }
}

/// 1-d average pooling over `[N, C, L]`, PyTorch's `nn.AvgPool1d`.
///
/// # Shapes
/// Input `[N, C, L]`, output `[N, C, oL]` with `oL = (L + 2 p - k) / s + 1`.
///
/// # Errors
/// `forward` returns [`LayerError::Input`] naming `AvgPool1d`, `[N, C, L]` and the shape
/// received for an input not of rank 3.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::pool::Pool1dConfig;
/// use youshi_layers::Module;
/// use youshi_tensor::Tensor;
/// let pool = Pool1dConfig::new(3).stride(1).avg()?;
/// let y = Module::<f64>::forward(&pool, &Graph::no_grad().constant(Tensor::ones([1, 1, 5])))?;
/// assert_eq!(y.value().to_vec(), vec![1.0, 1.0, 1.0]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvgPool1d {
    options: Pool1dOptions,
    count_include_pad: bool,
}

impl AvgPool1d {
    /// The pooling options.
    pub fn options(&self) -> &Pool1dOptions {
        &self.options
    }

    /// Whether padded elements count in the divisor.
    pub fn count_include_pad(&self) -> bool {
        self.count_include_pad
    }
}

impl<T: Element> Module<T> for AvgPool1d {
    fn kind(&self) -> &'static str {
        "AvgPool1d"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        check_ncl("AvgPool1d", x.shape())?;
        Ok(x.avg_pool1d(self.options, self.count_include_pad)?)
    }
}
