//! [`KlDivLoss`]: the Kullback-Leibler divergence of log-probabilities from a target.

use youshi_autograd::Var;
use youshi_tensor::{Element, Tensor};

use super::{same_shape, Reduction};
use crate::error::Result;

/// The reductions of [`KlDivLoss`]: PyTorch's `'none'`, `'mean'`, `'sum'` and
/// `'batchmean'`.
///
/// # Shapes
/// `BatchMean` divides the sum by the size of the first axis; the others act as
/// [`Reduction`].
///
/// # Errors
/// None: choosing a reduction cannot fail.
///
/// # Examples
/// ```
/// use youshi_layers::loss::{KlDivReduction, Reduction};
/// assert_eq!(KlDivReduction::from(Reduction::Sum), KlDivReduction::Sum);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KlDivReduction {
    /// The per-element terms.
    None,
    /// Their mean over all elements (PyTorch's default; not the mathematical divergence).
    #[default]
    Mean,
    /// Their sum.
    Sum,
    /// Their sum divided by the batch size: the mean divergence per sample.
    BatchMean,
}

impl From<Reduction> for KlDivReduction {
    fn from(r: Reduction) -> Self {
        match r {
            Reduction::None => KlDivReduction::None,
            Reduction::Mean => KlDivReduction::Mean,
            Reduction::Sum => KlDivReduction::Sum,
        }
    }
}

/// Kullback-Leibler divergence, PyTorch's `nn.KLDivLoss`: the input holds log-probabilities
/// `x`; the target holds probabilities `y` (terms `y (ln y - x)`, 0 where `y = 0`) or, with
/// [`log_target`](KlDivLoss::log_target), log-probabilities (terms `e^y (y - x)`).
///
/// # Shapes
/// `input` and `target` of the same shape `[N, *]`; the result is `[]`, or `[N, *]` with
/// [`KlDivReduction::None`].
///
/// # Errors
/// [`LayerError::Input`](crate::LayerError::Input) if the shapes differ.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::loss::{KlDivLoss, KlDivReduction};
/// use youshi_tensor::Tensor;
/// let g = Graph::<f64>::new();
/// let x = g.leaf(Tensor::from_vec(vec![0.5f64.ln(), 0.5f64.ln()], [1, 2])?);
/// let y = g.constant(Tensor::from_vec(vec![1.0, 0.0], [1, 2])?);
/// let kl = KlDivLoss::new().reduction(KlDivReduction::BatchMean).forward(&x, &y)?;
/// assert!((kl.value().item()? - 2f64.ln()).abs() < 1e-12);
/// kl.backward()?;
/// assert_eq!(x.grad().unwrap().to_vec(), vec![-1.0, 0.0]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KlDivLoss {
    reduction: KlDivReduction,
    log_target: bool,
}

impl KlDivLoss {
    /// The loss on probability targets with the mean reduction (PyTorch's defaults).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the reduction ([`KlDivReduction`] or [`Reduction`]).
    pub fn reduction(mut self, reduction: impl Into<KlDivReduction>) -> Self {
        self.reduction = reduction.into();
        self
    }

    /// Takes the target as log-probabilities.
    pub fn log_target(mut self, log_target: bool) -> Self {
        self.log_target = log_target;
        self
    }

    /// The divergence of `input` (log-probabilities) from `target`.
    ///
    /// # Shapes
    /// As [`KlDivLoss`].
    ///
    /// # Errors
    /// As [`KlDivLoss`].
    ///
    /// # Examples
    /// See [`KlDivLoss`].
    pub fn forward<T: Element>(&self, input: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
        same_shape("KlDivLoss", input, target)?;
        let l = if self.log_target {
            target.exp()?.mul(&target.sub(input)?)?
        } else {
            // xlogy(y, y) - y x, with xlogy 0 where y = 0.
            let nonzero = target.value().ne_scalar(T::zero());
            let one = input.constant(Tensor::scalar(T::one()));
            let safe = Var::where_cond(&nonzero, target, &one)?;
            target.mul(&safe.log()?)?.sub(&target.mul(input)?)?
        };
        Ok(match self.reduction {
            KlDivReduction::None => l,
            KlDivReduction::Mean => l.mean_all()?,
            KlDivReduction::Sum => l.sum_all()?,
            KlDivReduction::BatchMean => {
                let n = input.shape().first().copied().unwrap_or(1);
                l.sum_all()?.div_scalar(T::of(n as f64))?
            }
        })
    }
}
