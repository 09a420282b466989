//! Convolution layers: [`Conv1d`], [`Conv2d`] and [`ConvTranspose2d`], PyTorch's
//! `nn.Conv1d`, `nn.Conv2d` and `nn.ConvTranspose2d` with their layouts, names and default
//! initialisation.
//!
//! Each layer is built from a config holding the required sizes in `new(...)` and builder
//! setters for the rest; `init(&mut rng)` validates every value and draws PyTorch's default
//! initialisation (Kaiming uniform with `a = sqrt(5)`): weight and bias uniform in
//! `±1/sqrt(fan_in)`, `fan_in = in / groups * kernel elements` (for [`ConvTranspose2d`],
//! PyTorch reads the fan-in from weight dimension 1: `out / groups * kh * kw`).

use youshi_autograd::{Param, Var};
use youshi_tensor::{
    Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions, Element, Tensor, TensorRng,
};

use crate::error::{LayerError, Result};
use crate::module::{Module, Slot};

/// How a convolution pads its input.
///
/// # Examples
/// ```
/// use youshi_layers::conv::{Conv2dConfig, Padding};
/// let cfg = Conv2dConfig::new(3, 8, 3).padding(Padding::Same);
/// assert_eq!(cfg.padding, Padding::Same);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Padding {
    /// No padding (PyTorch's `padding="valid"` or `0`).
    #[default]
    Valid,
    /// Output size equal to the input size (PyTorch's `padding="same"`): only with stride 1;
    /// each dimension is padded by `dilation * (kernel - 1)` in total, split with the extra
    /// element after (right/bottom), as PyTorch does for even kernels.
    Same,
    /// The same zero padding on both sides of every spatial dimension (`padding=p`).
    Explicit(usize),
    /// Per-dimension zero padding `[ph, pw]` for 2-d layers (`padding=(ph, pw)`).
    Explicit2([usize; 2]),
}

/// PyTorch's default bound `1/sqrt(fan_in)` for both weight and bias.
fn default_bound(fan_in: usize) -> f64 {
    1.0 / (fan_in as f64).sqrt()
}

fn uniform<T: Element>(shape: &[usize], bound: f64, rng: &mut TensorRng) -> Result<Param<T>> {
    Ok(Param::new(Tensor::rand_uniform(
        shape,
        T::of(-bound),
        T::of(bound),
        rng,
    )?))
}

/// Checks the sizes shared by every convolution, naming `kind` and the values.
fn check_common(
    kind: &'static str,
    in_channels: usize,
    out_channels: usize,
    kernel: &[usize],
    stride: &[usize],
    dilation: &[usize],
    groups: usize,
) -> Result<()> {
    if in_channels == 0 || out_channels == 0 {
        return Err(LayerError::config(
            kind,
            format!("channels must be positive, got in {in_channels} and out {out_channels}"),
        ));
    }
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
    if groups == 0 || in_channels % groups != 0 || out_channels % groups != 0 {
        return Err(LayerError::config(
            kind,
            format!(
                "groups {groups} must be positive and divide in channels {in_channels} and out \
                 channels {out_channels}"
            ),
        ));
    }
    Ok(())
}

/// The padding actually applied: symmetric amounts for the convolution, plus an extra
/// `(before, after)` pad per dimension applied with `Var::pad` when asymmetric.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolved {
    Symmetric(Vec<usize>),
    Asymmetric(Vec<(usize, usize)>),
}

fn resolve_padding(
    kind: &'static str,
    padding: Padding,
    kernel: &[usize],
    stride: &[usize],
    dilation: &[usize],
) -> Result<Resolved> {
    let dims = kernel.len();
    match padding {
        Padding::Valid => Ok(Resolved::Symmetric(vec![0; dims])),
        Padding::Explicit(p) => Ok(Resolved::Symmetric(vec![p; dims])),
        Padding::Explicit2(p) => {
            if dims != 2 {
                return Err(LayerError::config(
                    kind,
                    format!("Padding::Explicit2({p:?}) is for 2-d layers, use Padding::Explicit"),
                ));
            }
            Ok(Resolved::Symmetric(p.to_vec()))
        }
        Padding::Same => {
            if stride.iter().any(|&s| s != 1) {
                return Err(LayerError::config(
                    kind,
                    format!("padding Same needs stride 1, got stride {stride:?}"),
                ));
            }
            let totals: Vec<usize> = kernel
                .iter()
                .zip(dilation)
                .map(|(&k, &d)| d * (k - 1))
                .collect();
            if totals.iter().all(|t| t % 2 == 0) {
                Ok(Resolved::Symmetric(totals.iter().map(|t| t / 2).collect()))
            } else {
                Ok(Resolved::Asymmetric(
                    totals.iter().map(|t| (t / 2, t - t / 2)).collect(),
                ))
            }
        }
    }
}

/// Pads `x` for an asymmetric resolved padding and returns the symmetric amounts left for
/// the convolution itself.
fn apply_padding<T: Element>(x: &Var<T>, padding: &Resolved) -> Result<(Var<T>, Vec<usize>)> {
    match padding {
        Resolved::Symmetric(p) => Ok((x.clone(), p.clone())),
        Resolved::Asymmetric(pads) => Ok((x.pad(pads, T::zero())?, vec![0; pads.len()])),
    }
}

fn check_weight(
    kind: &'static str,
    weight: &Tensor<impl Element>,
    rank: usize,
    layout: &str,
    bias: Option<usize>,
    expected_bias: usize,
) -> Result<()> {
    if weight.ndim() != rank || weight.shape().contains(&0) {
        return Err(LayerError::config(
            kind,
            format!(
                "weight must be {layout} with positive sizes, got {}",
                weight.shape_obj()
            ),
        ));
    }
    if let Some(b) = bias {
        if b != expected_bias {
            return Err(LayerError::config(
                kind,
                format!("bias must be [{expected_bias}], got [{b}]"),
            ));
        }
    }
    Ok(())
}

fn bias_len<T: Element>(kind: &'static str, bias: &Option<Tensor<T>>) -> Result<Option<usize>> {
    match bias {
        None => Ok(None),
        Some(b) if b.ndim() == 1 => Ok(Some(b.shape()[0])),
        Some(b) => Err(LayerError::config(
            kind,
            format!("bias must be one-dimensional, got {}", b.shape_obj()),
        )),
    }
}

fn visit_weight_bias<T: Element>(
    weight: &Param<T>,
    bias: &Option<Param<T>>,
    f: &mut dyn FnMut(&str, Slot<'_, T>),
) {
    f("weight", Slot::Param(weight));
    if let Some(b) = bias {
        f("bias", Slot::Param(b));
    }
}

/// Configuration of a [`Conv2d`]: `new(in, out, kernel)` then builder setters.
///
/// Defaults are PyTorch's: stride 1, no padding, dilation 1, groups 1, with a bias.
///
/// # Examples
/// ```
/// use youshi_layers::conv::{Conv2d, Conv2dConfig, Padding};
/// use youshi_tensor::seeded_rng;
/// let conv: Conv2d = Conv2dConfig::new(3, 16, 3)
///     .stride(2)
///     .padding(Padding::Explicit(1))
///     .bias(false)
///     .init(&mut seeded_rng(0))?;
/// assert_eq!(conv.weight.shape(), vec![16, 3, 3, 3]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conv2dConfig {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Kernel `[kh, kw]`.
    pub kernel: [usize; 2],
    /// Stride `[sh, sw]`.
    pub stride: [usize; 2],
    /// Padding.
    pub padding: Padding,
    /// Dilation `[dh, dw]`.
    pub dilation: [usize; 2],
    /// Groups: input and output channels are split into this many independent groups.
    pub groups: usize,
    /// Whether the layer has a bias.
    pub bias: bool,
}

impl Conv2dConfig {
    /// A square `kernel x kernel` convolution from `in_channels` to `out_channels`.
    pub fn new(in_channels: usize, out_channels: usize, kernel: usize) -> Self {
        Conv2dConfig {
            in_channels,
            out_channels,
            kernel: [kernel, kernel],
            stride: [1, 1],
            padding: Padding::Valid,
            dilation: [1, 1],
            groups: 1,
            bias: true,
        }
    }

    /// A rectangular kernel `[kh, kw]`.
    pub fn kernel2(mut self, kernel: [usize; 2]) -> Self {
        self.kernel = kernel;
        self
    }

    /// The same stride in both dimensions.
    pub fn stride(self, s: usize) -> Self {
        self.stride2([s, s])
    }

    /// Stride `[sh, sw]`.
    pub fn stride2(mut self, s: [usize; 2]) -> Self {
        self.stride = s;
        self
    }

    /// Padding.
    pub fn padding(mut self, p: Padding) -> Self {
        self.padding = p;
        self
    }

    /// The same dilation in both dimensions.
    pub fn dilation(self, d: usize) -> Self {
        self.dilation2([d, d])
    }

    /// Dilation `[dh, dw]`.
    pub fn dilation2(mut self, d: [usize; 2]) -> Self {
        self.dilation = d;
        self
    }

    /// Number of groups.
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }

    /// With (`true`, the default) or without a bias.
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    fn check(&self) -> Result<Resolved> {
        check_common(
            "Conv2d",
            self.in_channels,
            self.out_channels,
            &self.kernel,
            &self.stride,
            &self.dilation,
            self.groups,
        )?;
        resolve_padding(
            "Conv2d",
            self.padding,
            &self.kernel,
            &self.stride,
            &self.dilation,
        )
    }

    /// Builds the layer with PyTorch's default initialisation.
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `Conv2d` and the values: a zero size, stride or
    /// dilation, groups that do not divide both channel counts, [`Padding::Same`] with a
    /// stride other than 1.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<Conv2d<T>> {
        let padding = self.check()?;
        let [kh, kw] = self.kernel;
        let cg = self.in_channels / self.groups;
        let bound = default_bound(cg * kh * kw);
        let weight = uniform(&[self.out_channels, cg, kh, kw], bound, rng)?;
        let bias = if self.bias {
            Some(uniform(&[self.out_channels], bound, rng)?)
        } else {
            None
        };
        Ok(Conv2d {
            weight,
            bias,
            config: self.clone(),
            resolved: padding,
        })
    }

    /// Builds the layer around given weights: `weight [out, in / groups, kh, kw]` and, if the
    /// config has a bias, `bias [out]` (the config's channels and kernel are taken from the
    /// weight; its `bias` flag from whether `bias` is given).
    ///
    /// # Errors
    /// [`LayerError::Config`] if the shapes do not fit the config's groups or each other, or
    /// the config is invalid.
    pub fn with_weights<T: Element>(
        &self,
        weight: Tensor<T>,
        bias: Option<Tensor<T>>,
    ) -> Result<Conv2d<T>> {
        let b = bias_len("Conv2d", &bias)?;
        check_weight(
            "Conv2d",
            &weight,
            4,
            "[out, in / groups, kh, kw]",
            b,
            weight.shape().first().copied().unwrap_or(0),
        )?;
        let s = weight.shape();
        let config = Conv2dConfig {
            in_channels: s[1] * self.groups,
            out_channels: s[0],
            kernel: [s[2], s[3]],
            bias: bias.is_some(),
            ..self.clone()
        };
        let resolved = config.check()?;
        Ok(Conv2d {
            weight: Param::new(weight),
            bias: bias.map(Param::new),
            config,
            resolved,
        })
    }
}

/// 2-d convolution (cross-correlation) over `[N, C, H, W]`, PyTorch's `nn.Conv2d`.
///
/// # Shapes
/// Input `[N, in, H, W]`, output `[N, out, oH, oW]` with
/// `oH = (H + 2 ph - dh (kh - 1) - 1) / sh + 1` (`oH = H` with [`Padding::Same`]);
/// parameters `weight [out, in / groups, kh, kw]` (OIHW) and `bias [out]`.
///
/// # Errors
/// `forward` returns [`LayerError::Input`] naming `Conv2d`, `[N, in, H, W]` and the shape
/// received for an input that is not of rank 4 or has the wrong channel count; convolution
/// errors (an input smaller than the kernel) otherwise.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::conv::{Conv2d, Conv2dConfig, Padding};
/// use youshi_layers::Module;
/// use youshi_tensor::{seeded_rng, Tensor};
/// let conv: Conv2d = Conv2dConfig::new(3, 8, 4).padding(Padding::Same).init(&mut seeded_rng(0))?;
/// let y = conv.forward(&Graph::no_grad().constant(Tensor::ones([2, 3, 10, 10])))?;
/// assert_eq!(y.shape(), &[2, 8, 10, 10]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Conv2d<T: Element = f32> {
    /// `[out, in / groups, kh, kw]`.
    pub weight: Param<T>,
    /// `[out]`, if the layer has a bias.
    pub bias: Option<Param<T>>,
    config: Conv2dConfig,
    resolved: Resolved,
}

impl<T: Element> Conv2d<T> {
    /// The layer's configuration.
    pub fn config(&self) -> &Conv2dConfig {
        &self.config
    }
}

impl<T: Element> Module<T> for Conv2d<T> {
    fn kind(&self) -> &'static str {
        "Conv2d"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        let c = &self.config;
        if x.shape().len() != 4 || x.shape()[1] != c.in_channels {
            return Err(LayerError::input(
                "Conv2d",
                format!("[N, {}, H, W]", c.in_channels),
                x.shape(),
            ));
        }
        let (x, p) = apply_padding(x, &self.resolved)?;
        let opts = Conv2dOptions::new()
            .stride2(c.stride)
            .padding2([p[0], p[1]])
            .dilation2(c.dilation)
            .groups(c.groups);
        let g = x.graph();
        let w = g.param(&self.weight);
        let b = self.bias.as_ref().map(|b| g.param(b));
        Ok(x.conv2d(&w, b.as_ref(), opts)?)
    }

    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        visit_weight_bias(&self.weight, &self.bias, f);
    }
}

/// Configuration of a [`Conv1d`]: `new(in, out, kernel)` then builder setters.
///
/// Defaults are PyTorch's: stride 1, no padding, dilation 1, groups 1, with a bias.
///
/// # Examples
/// ```
/// use youshi_layers::conv::{Conv1d, Conv1dConfig, Padding};
/// use youshi_tensor::seeded_rng;
/// let conv: Conv1d = Conv1dConfig::new(4, 8, 5).padding(Padding::Explicit(2)).init(&mut seeded_rng(0))?;
/// assert_eq!(conv.weight.shape(), vec![8, 4, 5]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conv1dConfig {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Kernel length.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Padding ([`Padding::Explicit2`] is rejected).
    pub padding: Padding,
    /// Dilation.
    pub dilation: usize,
    /// Groups.
    pub groups: usize,
    /// Whether the layer has a bias.
    pub bias: bool,
}

impl Conv1dConfig {
    /// A convolution of length `kernel` from `in_channels` to `out_channels`.
    pub fn new(in_channels: usize, out_channels: usize, kernel: usize) -> Self {
        Conv1dConfig {
            in_channels,
            out_channels,
            kernel,
            stride: 1,
            padding: Padding::Valid,
            dilation: 1,
            groups: 1,
            bias: true,
        }
    }

    /// Stride.
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = s;
        self
    }

    /// Padding.
    pub fn padding(mut self, p: Padding) -> Self {
        self.padding = p;
        self
    }

    /// Dilation.
    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = d;
        self
    }

    /// Number of groups.
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }

    /// With (`true`, the default) or without a bias.
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    fn check(&self) -> Result<Resolved> {
        check_common(
            "Conv1d",
            self.in_channels,
            self.out_channels,
            &[self.kernel],
            &[self.stride],
            &[self.dilation],
            self.groups,
        )?;
        resolve_padding(
            "Conv1d",
            self.padding,
            &[self.kernel],
            &[self.stride],
            &[self.dilation],
        )
    }

    /// Builds the layer with PyTorch's default initialisation.
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `Conv1d` and the values (as [`Conv2dConfig::init`]).
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<Conv1d<T>> {
        let resolved = self.check()?;
        let cg = self.in_channels / self.groups;
        let bound = default_bound(cg * self.kernel);
        let weight = uniform(&[self.out_channels, cg, self.kernel], bound, rng)?;
        let bias = if self.bias {
            Some(uniform(&[self.out_channels], bound, rng)?)
        } else {
            None
        };
        Ok(Conv1d {
            weight,
            bias,
            config: self.clone(),
            resolved,
        })
    }

    /// Builds the layer around given weights `weight [out, in / groups, k]` and optional
    /// `bias [out]` (channels and kernel are taken from the weight).
    ///
    /// # Errors
    /// [`LayerError::Config`] if the shapes do not fit, or the config is invalid.
    pub fn with_weights<T: Element>(
        &self,
        weight: Tensor<T>,
        bias: Option<Tensor<T>>,
    ) -> Result<Conv1d<T>> {
        let b = bias_len("Conv1d", &bias)?;
        check_weight(
            "Conv1d",
            &weight,
            3,
            "[out, in / groups, k]",
            b,
            weight.shape().first().copied().unwrap_or(0),
        )?;
        let s = weight.shape();
        let config = Conv1dConfig {
            in_channels: s[1] * self.groups,
            out_channels: s[0],
            kernel: s[2],
            bias: bias.is_some(),
            ..self.clone()
        };
        let resolved = config.check()?;
        Ok(Conv1d {
            weight: Param::new(weight),
            bias: bias.map(Param::new),
            config,
            resolved,
        })
    }
}

/// 1-d convolution over `[N, C, L]`, PyTorch's `nn.Conv1d`.
///
/// # Shapes
/// Input `[N, in, L]`, output `[N, out, oL]` with `oL = (L + 2 p - d (k - 1) - 1) / s + 1`;
/// parameters `weight [out, in / groups, k]` and `bias [out]`.
///
/// # Errors
/// `forward` returns [`LayerError::Input`] naming `Conv1d`, `[N, in, L]` and the shape
/// received for an input that is not of rank 3 or has the wrong channel count.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::conv::{Conv1d, Conv1dConfig};
/// use youshi_layers::Module;
/// use youshi_tensor::{seeded_rng, Tensor};
/// let conv: Conv1d = Conv1dConfig::new(2, 4, 3).stride(2).init(&mut seeded_rng(0))?;
/// let y = conv.forward(&Graph::no_grad().constant(Tensor::ones([1, 2, 9])))?;
/// assert_eq!(y.shape(), &[1, 4, 4]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Conv1d<T: Element = f32> {
    /// `[out, in / groups, k]`.
    pub weight: Param<T>,
    /// `[out]`, if the layer has a bias.
    pub bias: Option<Param<T>>,
    config: Conv1dConfig,
    resolved: Resolved,
}

impl<T: Element> Conv1d<T> {
    /// The layer's configuration.
    pub fn config(&self) -> &Conv1dConfig {
        &self.config
    }
}

impl<T: Element> Module<T> for Conv1d<T> {
    fn kind(&self) -> &'static str {
        "Conv1d"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        let c = &self.config;
        if x.shape().len() != 3 || x.shape()[1] != c.in_channels {
            return Err(LayerError::input(
                "Conv1d",
                format!("[N, {}, L]", c.in_channels),
                x.shape(),
            ));
        }
        let (x, p) = apply_padding(x, &self.resolved)?;
        let opts = Conv1dOptions::new()
            .stride(c.stride)
            .padding(p[0])
            .dilation(c.dilation)
            .groups(c.groups);
        let g = x.graph();
        let w = g.param(&self.weight);
        let b = self.bias.as_ref().map(|b| g.param(b));
        Ok(x.conv1d(&w, b.as_ref(), opts)?)
    }

    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        visit_weight_bias(&self.weight, &self.bias, f);
    }
}

/// Configuration of a [`ConvTranspose2d`]: `new(in, out, kernel)` then builder setters.
///
/// Defaults are PyTorch's: stride 1, padding 0, output padding 0, dilation 1, groups 1, with
/// a bias.
///
/// # Examples
/// ```
/// use youshi_layers::conv::{ConvTranspose2d, ConvTranspose2dConfig};
/// use youshi_tensor::seeded_rng;
/// let up: ConvTranspose2d = ConvTranspose2dConfig::new(8, 4, 3)
///     .stride(2)
///     .padding(1)
///     .output_padding(1)
///     .init(&mut seeded_rng(0))?;
/// assert_eq!(up.weight.shape(), vec![8, 4, 3, 3]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvTranspose2dConfig {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Kernel `[kh, kw]`.
    pub kernel: [usize; 2],
    /// Stride `[sh, sw]`.
    pub stride: [usize; 2],
    /// Padding `[ph, pw]` removed from each side of the full output.
    pub padding: [usize; 2],
    /// Extra rows/columns added to the bottom/right of the output.
    pub output_padding: [usize; 2],
    /// Dilation `[dh, dw]`.
    pub dilation: [usize; 2],
    /// Groups.
    pub groups: usize,
    /// Whether the layer has a bias.
    pub bias: bool,
}

impl ConvTranspose2dConfig {
    /// A square `kernel x kernel` transposed convolution from `in_channels` to
    /// `out_channels`.
    pub fn new(in_channels: usize, out_channels: usize, kernel: usize) -> Self {
        ConvTranspose2dConfig {
            in_channels,
            out_channels,
            kernel: [kernel, kernel],
            stride: [1, 1],
            padding: [0, 0],
            output_padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
            bias: true,
        }
    }

    /// A rectangular kernel `[kh, kw]`.
    pub fn kernel2(mut self, kernel: [usize; 2]) -> Self {
        self.kernel = kernel;
        self
    }

    /// The same stride in both dimensions.
    pub fn stride(self, s: usize) -> Self {
        self.stride2([s, s])
    }

    /// Stride `[sh, sw]`.
    pub fn stride2(mut self, s: [usize; 2]) -> Self {
        self.stride = s;
        self
    }

    /// The same padding in both dimensions.
    pub fn padding(self, p: usize) -> Self {
        self.padding2([p, p])
    }

    /// Padding `[ph, pw]`.
    pub fn padding2(mut self, p: [usize; 2]) -> Self {
        self.padding = p;
        self
    }

    /// The same output padding in both dimensions.
    pub fn output_padding(self, p: usize) -> Self {
        self.output_padding2([p, p])
    }

    /// Output padding `[oph, opw]`.
    pub fn output_padding2(mut self, p: [usize; 2]) -> Self {
        self.output_padding = p;
        self
    }

    /// The same dilation in both dimensions.
    pub fn dilation(self, d: usize) -> Self {
        self.dilation2([d, d])
    }

    /// Dilation `[dh, dw]`.
    pub fn dilation2(mut self, d: [usize; 2]) -> Self {
        self.dilation = d;
        self
    }

    /// Number of groups.
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }

    /// With (`true`, the default) or without a bias.
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    fn check(&self) -> Result<()> {
        check_common(
            "ConvTranspose2d",
            self.in_channels,
            self.out_channels,
            &self.kernel,
            &self.stride,
            &self.dilation,
            self.groups,
        )?;
        for d in 0..2 {
            let op = self.output_padding[d];
            if op >= self.stride[d] && op >= self.dilation[d] {
                return Err(LayerError::config(
                    "ConvTranspose2d",
                    format!(
                        "output padding {:?} must be smaller than either stride {:?} or \
                         dilation {:?}",
                        self.output_padding, self.stride, self.dilation
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Builds the layer with PyTorch's default initialisation (fan-in
    /// `out / groups * kh * kw`, from weight dimension 1 as PyTorch computes it).
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `ConvTranspose2d` and the values: a zero size, stride or
    /// dilation, groups that do not divide both channel counts, an output padding not smaller
    /// than the stride or the dilation.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<ConvTranspose2d<T>> {
        self.check()?;
        let [kh, kw] = self.kernel;
        let og = self.out_channels / self.groups;
        let bound = default_bound(og * kh * kw);
        let weight = uniform(&[self.in_channels, og, kh, kw], bound, rng)?;
        let bias = if self.bias {
            Some(uniform(&[self.out_channels], bound, rng)?)
        } else {
            None
        };
        Ok(ConvTranspose2d {
            weight,
            bias,
            config: self.clone(),
        })
    }

    /// Builds the layer around given weights `weight [in, out / groups, kh, kw]` and optional
    /// `bias [out]` (channels and kernel are taken from the weight).
    ///
    /// # Errors
    /// [`LayerError::Config`] if the shapes do not fit, or the config is invalid.
    pub fn with_weights<T: Element>(
        &self,
        weight: Tensor<T>,
        bias: Option<Tensor<T>>,
    ) -> Result<ConvTranspose2d<T>> {
        let b = bias_len("ConvTranspose2d", &bias)?;
        let out = weight.shape().get(1).copied().unwrap_or(0) * self.groups;
        check_weight(
            "ConvTranspose2d",
            &weight,
            4,
            "[in, out / groups, kh, kw]",
            b,
            out,
        )?;
        let s = weight.shape();
        let config = ConvTranspose2dConfig {
            in_channels: s[0],
            out_channels: out,
            kernel: [s[2], s[3]],
            bias: bias.is_some(),
            ..self.clone()
        };
        config.check()?;
        Ok(ConvTranspose2d {
            weight: Param::new(weight),
            bias: bias.map(Param::new),
            config,
        })
    }
}

/// 2-d transposed convolution (the adjoint of [`Conv2d`]), PyTorch's `nn.ConvTranspose2d`.
///
/// # Shapes
/// Input `[N, in, H, W]`, output `[N, out, oH, oW]` with
/// `oH = (H - 1) sh - 2 ph + dh (kh - 1) + oph + 1`; parameters
/// `weight [in, out / groups, kh, kw]` and `bias [out]`.
///
/// # Errors
/// `forward` returns [`LayerError::Input`] naming `ConvTranspose2d`, `[N, in, H, W]` and the
/// shape received for an input that is not of rank 4 or has the wrong channel count.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::conv::{ConvTranspose2d, ConvTranspose2dConfig};
/// use youshi_layers::Module;
/// use youshi_tensor::{seeded_rng, Tensor};
/// let up: ConvTranspose2d = ConvTranspose2dConfig::new(4, 2, 3)
///     .stride(2)
///     .padding(1)
///     .output_padding(1)
///     .init(&mut seeded_rng(0))?;
/// let y = up.forward(&Graph::no_grad().constant(Tensor::ones([1, 4, 5, 5])))?;
/// assert_eq!(y.shape(), &[1, 2, 10, 10]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConvTranspose2d<T: Element = f32> {
    /// `[in, out / groups, kh, kw]`.
    pub weight: Param<T>,
    /// `[out]`, if the layer has a bias.
    pub bias: Option<Param<T>>,
    config: ConvTranspose2dConfig,
}

impl<T: Element> ConvTranspose2d<T> {
    /// The layer's configuration.
    pub fn config(&self) -> &ConvTranspose2dConfig {
        &self.config
    }
}

impl<T: Element> Module<T> for ConvTranspose2d<T> {
    fn kind(&self) -> &'static str {
        "ConvTranspose2d"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        let c = &self.config;
        if x.shape().len() != 4 || x.shape()[1] != c.in_channels {
            return Err(LayerError::input(
                "ConvTranspose2d",
                format!("[N, {}, H, W]", c.in_channels),
                x.shape(),
            ));
        }
        let opts = ConvTranspose2dOptions::new()
            .stride2(c.stride)
            .padding2(c.padding)
            .output_padding2(c.output_padding)
            .dilation2(c.dilation)
            .groups(c.groups);
        let g = x.graph();
        let w = g.param(&self.weight);
        let b = self.bias.as_ref().map(|b| g.param(b));
        Ok(x.conv_transpose2d(&w, b.as_ref(), opts)?)
    }

    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        visit_weight_bias(&self.weight, &self.bias, f);
    }
}
