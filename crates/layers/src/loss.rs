//! Loss functions, PyTorch's `torch.nn` losses with the same options, values and gradients.
//!
//! Every loss is a plain struct of options with builder setters and a `forward` taking the
//! prediction and the target on the same graph:
//!
//! - regression on float targets ([`MseLoss`], [`L1Loss`], [`SmoothL1Loss`], [`HuberLoss`]):
//!   `forward(&input, &target)`;
//! - classification from logits or log-probabilities with class indices
//!   ([`CrossEntropyLoss::forward_indices`], [`NllLoss::forward`]) or class probabilities
//!   ([`CrossEntropyLoss::forward_probs`]);
//! - binary classification ([`BceLoss`], [`BceWithLogitsLoss`]) and [`KlDivLoss`].
//!
//! The result is reduced as [`Reduction`] says (`Mean` by default, as in PyTorch): a rank-0
//! value for `Mean` and `Sum`, the unreduced per-element losses for `None`.
//!
//! Options are checked when the loss is applied: an invalid option gives
//! [`LayerError::Config`] naming the loss and the value.
//!
//! ```
//! use youshi_autograd::Graph;
//! use youshi_layers::loss::{CrossEntropyLoss, Reduction};
//! use youshi_tensor::{Indices, Tensor};
//!
//! let g = Graph::<f64>::new();
//! let logits = g.leaf(Tensor::from_vec(vec![2.0, 0.5, -1.0, 0.0, 1.0, 3.0], [2, 3])?);
//! let target = Indices::from_shape_vec(vec![2], vec![0, 2]).unwrap();
//! let loss = CrossEntropyLoss::new().label_smoothing(0.1).forward_indices(&logits, &target)?;
//! loss.backward()?;
//! assert_eq!(logits.grad().unwrap().shape(), &[2, 3]);
//! let per_sample = CrossEntropyLoss::new()
//!     .reduction(Reduction::None)
//!     .forward_indices(&logits, &target)?;
//! assert_eq!(per_sample.shape(), &[2]);
//! # Ok::<(), youshi_layers::LayerError>(())
//! ```

use youshi_autograd::Var;
use youshi_tensor::{Element, Shape};

use crate::error::{LayerError, Result};

mod binary;
mod class;
mod kl;
mod regression;

pub use binary::{BceLoss, BceWithLogitsLoss};
pub use class::{CrossEntropyLoss, NllLoss};
pub use kl::{KlDivLoss, KlDivReduction};
pub use regression::{HuberLoss, L1Loss, MseLoss, SmoothL1Loss};

/// How per-element losses are combined, PyTorch's `reduction=` argument.
///
/// # Shapes
/// `Mean` and `Sum` give a rank-0 value `[]`; `None` keeps the per-element shape.
///
/// # Errors
/// None: choosing a reduction cannot fail.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::loss::{MseLoss, Reduction};
/// use youshi_tensor::Tensor;
/// let g = Graph::<f64>::no_grad();
/// let x = g.constant(Tensor::from_vec(vec![1.0, 2.0], [2])?);
/// let y = g.constant(Tensor::from_vec(vec![0.0, 0.0], [2])?);
/// let sum = MseLoss::new().reduction(Reduction::Sum).forward(&x, &y)?;
/// assert_eq!(sum.value().item()?, 5.0);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// The per-element losses, unreduced (`'none'`).
    None,
    /// Their mean (`'mean'`, the default); weighted losses divide by the sum of the weights
    /// where PyTorch does.
    #[default]
    Mean,
    /// Their sum (`'sum'`).
    Sum,
}

/// Reduces per-element losses.
fn reduce<T: Element>(l: Var<T>, r: Reduction) -> Result<Var<T>> {
    Ok(match r {
        Reduction::None => l,
        Reduction::Mean => l.mean_all()?,
        Reduction::Sum => l.sum_all()?,
    })
}

/// Checks that `target` has the shape of `input`.
fn same_shape<T: Element>(kind: &'static str, input: &Var<T>, target: &Var<T>) -> Result<()> {
    if input.shape() != target.shape() {
        return Err(LayerError::input(
            kind,
            format!("{} (the target's shape)", Shape::from(target.shape())),
            input.shape(),
        ));
    }
    Ok(())
}

/// An error for an option out of its range.
fn check_option(kind: &'static str, name: &str, value: f64, ok: bool, range: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(LayerError::config(
            kind,
            format!("{name} must be {range}, got {value}"),
        ))
    }
}
