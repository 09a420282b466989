//! [`Linear`]: `y = x Wᵀ + b`, PyTorch's `nn.Linear`.

use youshi_autograd::{Param, Var};
use youshi_tensor::{Element, Tensor, TensorRng};

use crate::error::{LayerError, Result};
use crate::module::{Module, Slot};

/// Fully connected layer: `y = x Wᵀ + b` with `W` of shape `[out, in]`, as PyTorch.
///
/// Default initialisation is PyTorch's: `W` and `b` uniform in `±1/sqrt(in)` (Kaiming uniform
/// with `a = sqrt(5)`).
///
/// # Shapes
/// Input `[*, in]`, output `[*, out]`; parameters `weight [out, in]`, `bias [out]`.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::{Linear, Module};
/// use youshi_tensor::{seeded_rng, Tensor};
/// let layer: Linear = Linear::new(3, 2, &mut seeded_rng(0))?;
/// let y = layer.forward(&Graph::no_grad().constant(Tensor::ones([5, 3])))?;
/// assert_eq!(y.shape(), &[5, 2]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Linear<T: Element = f32> {
    /// `[out, in]`.
    pub weight: Param<T>,
    /// `[out]`, if the layer has a bias.
    pub bias: Option<Param<T>>,
    in_features: usize,
    out_features: usize,
}

impl<T: Element> Linear<T> {
    /// A layer with a bias and PyTorch's default initialisation.
    ///
    /// # Errors
    /// [`LayerError::Config`] if a size is zero.
    pub fn new(in_features: usize, out_features: usize, rng: &mut TensorRng) -> Result<Self> {
        Self::with_bias(in_features, out_features, true, rng)
    }

    /// A layer with or without a bias.
    ///
    /// # Errors
    /// [`LayerError::Config`] if a size is zero.
    pub fn with_bias(
        in_features: usize,
        out_features: usize,
        bias: bool,
        rng: &mut TensorRng,
    ) -> Result<Self> {
        if in_features == 0 || out_features == 0 {
            return Err(LayerError::config(
                "Linear",
                format!("sizes must be positive, got in {in_features} and out {out_features}"),
            ));
        }
        let bound = T::of(1.0 / (in_features as f64).sqrt());
        let weight = Tensor::rand_uniform([out_features, in_features], -bound, bound, rng)?;
        let bias = if bias {
            Some(Param::new(Tensor::rand_uniform(
                [out_features],
                -bound,
                bound,
                rng,
            )?))
        } else {
            None
        };
        Ok(Linear {
            weight: Param::new(weight),
            bias,
            in_features,
            out_features,
        })
    }

    /// A layer with the given weight `[out, in]` and optional bias `[out]`.
    ///
    /// # Errors
    /// [`LayerError::Config`] if the shapes do not fit together.
    pub fn from_weights(weight: Tensor<T>, bias: Option<Tensor<T>>) -> Result<Self> {
        if weight.ndim() != 2 {
            return Err(LayerError::config(
                "Linear",
                format!("weight must be [out, in], got {}", weight.shape_obj()),
            ));
        }
        let (out_features, in_features) = (weight.shape()[0], weight.shape()[1]);
        if let Some(b) = &bias {
            if b.shape() != [out_features] {
                return Err(LayerError::config(
                    "Linear",
                    format!("bias must be [{out_features}], got {}", b.shape_obj()),
                ));
            }
        }
        Ok(Linear {
            weight: Param::new(weight),
            bias: bias.map(Param::new),
            in_features,
            out_features,
        })
    }

    /// Input features.
    pub fn in_features(&self) -> usize {
        self.in_features
    }

    /// Output features.
    pub fn out_features(&self) -> usize {
        self.out_features
    }
}

impl<T: Element> Module<T> for Linear<T> {
    fn kind(&self) -> &'static str {
        "Linear"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        if x.shape().last() != Some(&self.in_features) {
            return Err(LayerError::input(
                "Linear",
                format!("[*, {}]", self.in_features),
                x.shape(),
            ));
        }
        let g = x.graph();
        let y = x.matmul(&g.param(&self.weight).t()?)?;
        match &self.bias {
            Some(b) => Ok(y.add(&g.param(b))?),
            None => Ok(y),
        }
    }

    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        f("weight", Slot::Param(&self.weight));
        if let Some(b) = &self.bias {
            f("bias", Slot::Param(b));
        }
    }
}
