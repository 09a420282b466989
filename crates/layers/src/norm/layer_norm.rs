//! [`LayerNorm`]: PyTorch's `nn.LayerNorm`.

use youshi_autograd::{Param, Var};
use youshi_tensor::{Element, Tensor, TensorRng};

use super::check_eps;
use crate::error::{LayerError, Result};
use crate::module::{Module, Slot};

/// Settings of a [`LayerNorm`]: the normalised trailing shape is required, the rest has
/// PyTorch's defaults (`eps = 1e-5`, `elementwise_affine = true`, `bias = true`).
///
/// # Shapes
/// `normalized_shape` is the shape of the last dimensions of the input, over which each sample
/// is normalised (`[768]` for a transformer's hidden size, `[C, H, W]` for a whole image).
///
/// # Errors
/// [`init`](LayerNormConfig::init) returns [`LayerError::Config`] for an empty
/// `normalized_shape`, a zero size in it, or an `eps` that is negative or not finite.
///
/// # Examples
/// ```
/// use youshi_layers::norm::LayerNormConfig;
/// use youshi_layers::ModuleExt;
/// use youshi_tensor::seeded_rng;
/// let ln = LayerNormConfig::new(&[4, 5]).eps(1e-6).bias(false).init::<f64>(&mut seeded_rng(0))?;
/// let names: Vec<String> = ln.named_params().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["weight"]);
/// assert_eq!(ln.weight.as_ref().unwrap().shape(), [4, 5]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LayerNormConfig {
    normalized_shape: Vec<usize>,
    eps: f64,
    elementwise_affine: bool,
    bias: bool,
}

impl LayerNormConfig {
    /// Settings normalising over the trailing dimensions `normalized_shape`.
    pub fn new(normalized_shape: &[usize]) -> Self {
        LayerNormConfig {
            normalized_shape: normalized_shape.to_vec(),
            eps: 1e-5,
            elementwise_affine: true,
            bias: true,
        }
    }

    /// The value added to the variance before the square root (default `1e-5`).
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Whether the layer has a learnable `weight` (ones) and `bias` (zeros) of shape
    /// `normalized_shape` (default `true`).
    pub fn elementwise_affine(mut self, on: bool) -> Self {
        self.elementwise_affine = on;
        self
    }

    /// Whether an affine layer has a `bias` (default `true`; PyTorch's `bias=False`).
    pub fn bias(mut self, on: bool) -> Self {
        self.bias = on;
        self
    }

    /// Builds the layer with PyTorch's initialisation (`weight` ones, `bias` zeros). The
    /// initialisation is deterministic; `rng` is taken for uniformity with the other layers.
    ///
    /// # Errors
    /// [`LayerError::Config`] for an empty `normalized_shape`, a zero size in it, or an `eps`
    /// that is negative or not finite.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<LayerNorm<T>> {
        let _ = rng;
        if self.normalized_shape.is_empty() || self.normalized_shape.contains(&0) {
            return Err(LayerError::config(
                "LayerNorm",
                format!(
                    "normalized_shape must be non-empty with positive sizes, got {:?}",
                    self.normalized_shape
                ),
            ));
        }
        check_eps("LayerNorm", self.eps)?;
        let shape = self.normalized_shape.as_slice();
        let (weight, bias) = if self.elementwise_affine {
            (
                Some(Param::new(Tensor::ones(shape))),
                self.bias.then(|| Param::new(Tensor::zeros(shape))),
            )
        } else {
            (None, None)
        };
        Ok(LayerNorm {
            weight,
            bias,
            normalized_shape: self.normalized_shape.clone(),
            eps: self.eps,
        })
    }
}

/// Layer normalisation, PyTorch's `nn.LayerNorm`: each sample is normalised over its last
/// dimensions, `y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`, with the biased
/// variance. The same computation in training and evaluation.
///
/// # Shapes
/// Input `[*, normalized_shape...]`, output the same; parameters `weight` and `bias` of shape
/// `normalized_shape`.
///
/// # Errors
/// `forward` returns [`LayerError::Input`] if the input's trailing dimensions are not
/// `normalized_shape`, naming both shapes.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::norm::LayerNorm;
/// use youshi_layers::Module;
/// use youshi_tensor::Tensor;
/// let ln = LayerNorm::<f64>::new(&[2])?;
/// let g = Graph::no_grad();
/// let y = ln.forward(&g.constant(Tensor::from_vec(vec![1.0, 3.0, 0.0, 0.0], [2, 2])?))?;
/// let v = y.value().to_vec();
/// assert!((v[0] + 1.0).abs() < 1e-5 && (v[1] - 1.0).abs() < 1e-5);
/// assert_eq!(&v[2..], [0.0, 0.0]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct LayerNorm<T: Element = f32> {
    /// `normalized_shape`, if the layer is affine.
    pub weight: Option<Param<T>>,
    /// `normalized_shape`, if the layer is affine with a bias.
    pub bias: Option<Param<T>>,
    normalized_shape: Vec<usize>,
    eps: f64,
}

impl<T: Element> LayerNorm<T> {
    /// A layer with PyTorch's defaults ([`LayerNormConfig::new`]).
    ///
    /// # Errors
    /// As [`LayerNormConfig::init`].
    pub fn new(normalized_shape: &[usize]) -> Result<Self> {
        LayerNormConfig::new(normalized_shape).init(&mut youshi_tensor::seeded_rng(0))
    }

    /// The normalised trailing shape.
    pub fn normalized_shape(&self) -> &[usize] {
        &self.normalized_shape
    }

    /// The value added to the variance.
    pub fn eps(&self) -> f64 {
        self.eps
    }
}

impl<T: Element> Module<T> for LayerNorm<T> {
    fn kind(&self) -> &'static str {
        "LayerNorm"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        let d = self.normalized_shape.len();
        let shape = x.shape();
        if shape.len() < d || shape[shape.len() - d..] != self.normalized_shape[..] {
            let dims: Vec<String> = self
                .normalized_shape
                .iter()
                .map(|s| s.to_string())
                .collect();
            return Err(LayerError::input(
                "LayerNorm",
                format!("[*, {}]", dims.join(", ")),
                shape,
            ));
        }
        let axes: Vec<isize> = (1..=d as isize).map(|a| -a).collect();
        let mean = x.mean(&axes, true)?;
        let var = x.var(&axes, 0, true)?;
        let y = x
            .sub(&mean)?
            .mul(&var.add_scalar(T::of(self.eps))?.rsqrt()?)?;
        let g = x.graph();
        let y = match &self.weight {
            Some(w) => y.mul(&g.param(w))?,
            None => y,
        };
        match &self.bias {
            Some(b) => Ok(y.add(&g.param(b))?),
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
