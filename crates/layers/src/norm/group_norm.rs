//! [`GroupNorm`]: PyTorch's `nn.GroupNorm`.

use youshi_autograd::{Param, Var};
use youshi_tensor::{Element, Tensor, TensorRng};

use super::{channel_shape, check_eps};
use crate::error::{LayerError, Result};
use crate::module::{Module, Slot};

/// Settings of a [`GroupNorm`]: groups and channels are required, the rest has PyTorch's
/// defaults (`eps = 1e-5`, `affine = true`).
///
/// # Shapes
/// The layer takes `[N, num_channels, *]`; `num_channels` must be a multiple of `num_groups`.
///
/// # Errors
/// [`init`](GroupNormConfig::init) returns [`LayerError::Config`] for a zero count, channels
/// that are not a multiple of the groups, or an `eps` that is negative or not finite.
///
/// # Examples
/// ```
/// use youshi_layers::norm::GroupNormConfig;
/// use youshi_tensor::seeded_rng;
/// let gn = GroupNormConfig::new(4, 32).eps(1e-6).init::<f32>(&mut seeded_rng(0))?;
/// assert_eq!(gn.num_groups(), 4);
/// assert!(GroupNormConfig::new(3, 32).init::<f32>(&mut seeded_rng(0)).is_err());
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GroupNormConfig {
    num_groups: usize,
    num_channels: usize,
    eps: f64,
    affine: bool,
}

impl GroupNormConfig {
    /// Settings splitting `num_channels` channels into `num_groups` groups.
    pub fn new(num_groups: usize, num_channels: usize) -> Self {
        GroupNormConfig {
            num_groups,
            num_channels,
            eps: 1e-5,
            affine: true,
        }
    }

    /// The value added to the variance before the square root (default `1e-5`).
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Whether the layer has a per-channel `weight` (ones) and `bias` (zeros) (default `true`).
    pub fn affine(mut self, on: bool) -> Self {
        self.affine = on;
        self
    }

    /// Builds the layer with PyTorch's initialisation (`weight` ones, `bias` zeros). The
    /// initialisation is deterministic; `rng` is taken for uniformity with the other layers.
    ///
    /// # Errors
    /// [`LayerError::Config`] for a zero count, channels that are not a multiple of the
    /// groups, or an `eps` that is negative or not finite.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<GroupNorm<T>> {
        let _ = rng;
        let (g, c) = (self.num_groups, self.num_channels);
        if g == 0 || c == 0 || c % g != 0 {
            return Err(LayerError::config(
                "GroupNorm",
                format!(
                    "num_channels must be a positive multiple of num_groups, got {c} channels \
                     in {g} groups"
                ),
            ));
        }
        check_eps("GroupNorm", self.eps)?;
        let (weight, bias) = if self.affine {
            (
                Some(Param::new(Tensor::ones([c]))),
                Some(Param::new(Tensor::zeros([c]))),
            )
        } else {
            (None, None)
        };
        Ok(GroupNorm {
            weight,
            bias,
            num_groups: g,
            num_channels: c,
            eps: self.eps,
        })
    }
}

/// Group normalisation, PyTorch's `nn.GroupNorm`: the channels of each sample are split into
/// groups, each group is normalised over its channels and positions with the biased variance,
/// then each channel is scaled and shifted. The same computation in training and evaluation.
///
/// # Shapes
/// Input `[N, C, *]` (any number of trailing dimensions, none included), output the same;
/// parameters `weight [C]`, `bias [C]`.
///
/// # Errors
/// `forward` returns [`LayerError::Input`] for an input of rank below 2 or whose second
/// dimension is not `C`, naming both shapes.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::norm::GroupNorm;
/// use youshi_layers::Module;
/// use youshi_tensor::Tensor;
/// let gn = GroupNorm::<f32>::new(2, 6)?;
/// let y = gn.forward(&Graph::no_grad().constant(Tensor::ones([3, 6, 4, 4])))?;
/// assert_eq!(y.shape(), &[3, 6, 4, 4]);
/// let err = gn.forward(&Graph::no_grad().constant(Tensor::ones([3, 5, 4])));
/// assert_eq!(err.unwrap_err().to_string(), "GroupNorm: expected input [N, 6, *], got [3, 5, 4]");
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct GroupNorm<T: Element = f32> {
    /// `[C]`, if the layer is affine.
    pub weight: Option<Param<T>>,
    /// `[C]`, if the layer is affine.
    pub bias: Option<Param<T>>,
    num_groups: usize,
    num_channels: usize,
    eps: f64,
}

impl<T: Element> GroupNorm<T> {
    /// A layer with PyTorch's defaults ([`GroupNormConfig::new`]).
    ///
    /// # Errors
    /// As [`GroupNormConfig::init`].
    pub fn new(num_groups: usize, num_channels: usize) -> Result<Self> {
        GroupNormConfig::new(num_groups, num_channels).init(&mut youshi_tensor::seeded_rng(0))
    }

    /// Number of groups.
    pub fn num_groups(&self) -> usize {
        self.num_groups
    }

    /// Number of channels.
    pub fn num_channels(&self) -> usize {
        self.num_channels
    }

    /// The value added to the variance.
    pub fn eps(&self) -> f64 {
        self.eps
    }
}

impl<T: Element> Module<T> for GroupNorm<T> {
    fn kind(&self) -> &'static str {
        "GroupNorm"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        let shape = x.shape().to_vec();
        if shape.len() < 2 || shape[1] != self.num_channels {
            return Err(LayerError::input(
                "GroupNorm",
                format!("[N, {}, *]", self.num_channels),
                &shape,
            ));
        }
        let n = shape[0] as isize;
        let grouped = x.reshape(&[n, self.num_groups as isize, -1])?;
        let mean = grouped.mean(&[2], true)?;
        let var = grouped.var(&[2], 0, true)?;
        let normed = grouped
            .sub(&mean)?
            .mul(&var.add_scalar(T::of(self.eps))?.rsqrt()?)?;
        let full: Vec<isize> = shape.iter().map(|&s| s as isize).collect();
        let y = normed.reshape(&full)?;
        let g = x.graph();
        let cshape = channel_shape(shape.len(), self.num_channels);
        let y = match &self.weight {
            Some(w) => y.mul(&g.param(w).reshape(&cshape)?)?,
            None => y,
        };
        match &self.bias {
            Some(b) => Ok(y.add(&g.param(b).reshape(&cshape)?)?),
            None => Ok(y),
        }
    }

    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        if let Some(w) = &self.weight {
            f("weight", Slot::Param(w));
        }
        if let Some(b) = &self.bias {
            f("bias", Slot::Param(b));
        }
    }
}
