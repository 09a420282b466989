//! Activation modules: stateless wrappers over the differentiable activations, named as
//! PyTorch's `torch.nn` classes.

use youshi_autograd::Var;
use youshi_tensor::Element;

use crate::error::Result;
use crate::module::Module;

macro_rules! activation {
    ($(#[$doc:meta])* $name:ident, $kind:literal, |$x:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        impl<T: Element> Module<T> for $name {
            fn kind(&self) -> &'static str {
                $kind
            }

            fn forward(&self, $x: &Var<T>) -> Result<Var<T>> {
                Ok($body?)
            }
        }
    };
}

activation!(
    /// `max(x, 0)`, PyTorch's `nn.ReLU`.
    Relu, "ReLU", |x| x.relu()
);
activation!(
    /// `1 / (1 + exp(-x))`, PyTorch's `nn.Sigmoid`.
    Sigmoid, "Sigmoid", |x| x.sigmoid()
);
activation!(
    /// `tanh(x)`, PyTorch's `nn.Tanh`.
    Tanh, "Tanh", |x| x.tanh()
);
activation!(
    /// `x * sigmoid(x)`, PyTorch's `nn.SiLU`.
    Silu, "SiLU", |x| x.silu()
);
activation!(
    /// The identity, PyTorch's `nn.Identity`.
    Identity, "Identity", |x| Ok::<_, crate::LayerError>(x.clone())
);

/// `x` where `x > 0`, `slope * x` elsewhere, PyTorch's `nn.LeakyReLU` (default slope 0.01).
#[derive(Debug, Clone, Copy)]
pub struct LeakyRelu {
    /// Slope for negative inputs.
    pub negative_slope: f64,
}

impl Default for LeakyRelu {
    fn default() -> Self {
        LeakyRelu {
            negative_slope: 0.01,
        }
    }
}

impl<T: Element> Module<T> for LeakyRelu {
    fn kind(&self) -> &'static str {
        "LeakyReLU"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        Ok(x.leaky_relu(T::of(self.negative_slope))?)
    }
}

/// `x` where `x > 0`, `alpha * (exp(x) - 1)` elsewhere, PyTorch's `nn.ELU` (default alpha 1).
#[derive(Debug, Clone, Copy)]
pub struct Elu {
    /// Scale of the negative branch.
    pub alpha: f64,
}

impl Default for Elu {
    fn default() -> Self {
        Elu { alpha: 1.0 }
    }
}

impl<T: Element> Module<T> for Elu {
    fn kind(&self) -> &'static str {
        "ELU"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        Ok(x.elu(T::of(self.alpha))?)
    }
}

/// Gaussian error linear unit, PyTorch's `nn.GELU` (`approximate = "none"` by default, or the
/// tanh approximation).
#[derive(Debug, Clone, Copy, Default)]
pub struct Gelu {
    /// Use the tanh approximation (`approximate="tanh"`).
    pub tanh_approximation: bool,
}

impl<T: Element> Module<T> for Gelu {
    fn kind(&self) -> &'static str {
        "GELU"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        Ok(if self.tanh_approximation {
            x.gelu_tanh()?
        } else {
            x.gelu()?
        })
    }
}

/// `log(1 + exp(beta x)) / beta`, linear above `threshold`, PyTorch's `nn.Softplus`
/// (defaults beta 1, threshold 20).
#[derive(Debug, Clone, Copy)]
pub struct Softplus {
    /// Sharpness.
    pub beta: f64,
    /// Above `beta * x > threshold` the output is `x`.
    pub threshold: f64,
}

impl Default for Softplus {
    fn default() -> Self {
        Softplus {
            beta: 1.0,
            threshold: 20.0,
        }
    }
}

impl<T: Element> Module<T> for Softplus {
    fn kind(&self) -> &'static str {
        "Softplus"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        Ok(x.softplus(T::of(self.beta), T::of(self.threshold))?)
    }
}

/// Softmax along `axis`, PyTorch's `nn.Softmax(dim)`.
#[derive(Debug, Clone, Copy)]
pub struct Softmax {
    /// The axis (negative counts from the end).
    pub axis: isize,
}

impl<T: Element> Module<T> for Softmax {
    fn kind(&self) -> &'static str {
        "Softmax"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        Ok(x.softmax(self.axis)?)
    }
}

/// Log-softmax along `axis`, PyTorch's `nn.LogSoftmax(dim)`.
#[derive(Debug, Clone, Copy)]
pub struct LogSoftmax {
    /// The axis (negative counts from the end).
    pub axis: isize,
}

impl<T: Element> Module<T> for LogSoftmax {
    fn kind(&self) -> &'static str {
        "LogSoftmax"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        Ok(x.log_softmax(self.axis)?)
    }
}

/// Flattens dimensions `start..=end` (default `1..=-1`, keeping the batch), PyTorch's
/// `nn.Flatten`.
#[derive(Debug, Clone, Copy)]
pub struct Flatten {
    /// First dimension to flatten.
    pub start: isize,
    /// Last dimension to flatten.
    pub end: isize,
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten { start: 1, end: -1 }
    }
}

impl<T: Element> Module<T> for Flatten {
    fn kind(&self) -> &'static str {
        "Flatten"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        Ok(x.flatten(self.start, self.end)?)
    }
}
