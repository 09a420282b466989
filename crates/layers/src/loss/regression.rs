//! Regression losses on float targets: [`MseLoss`], [`L1Loss`], [`SmoothL1Loss`], [`HuberLoss`].

use youshi_autograd::Var;
use youshi_tensor::Element;

use super::{check_option, reduce, same_shape, Reduction};
use crate::error::Result;

/// Mean squared error `(x - y)²`, PyTorch's `nn.MSELoss`.
///
/// # Shapes
/// `input` and `target` of the same shape `[*]`; the result is `[]`, or `[*]` with
/// [`Reduction::None`].
///
/// # Errors
/// [`LayerError::Input`](crate::LayerError::Input) if the shapes differ (no broadcasting).
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::loss::MseLoss;
/// use youshi_tensor::Tensor;
/// let g = Graph::<f64>::new();
/// let x = g.leaf(Tensor::from_vec(vec![1.0, 3.0], [2])?);
/// let y = g.constant(Tensor::from_vec(vec![0.0, 1.0], [2])?);
/// let loss = MseLoss::new().forward(&x, &y)?;
/// assert_eq!(loss.value().item()?, 2.5);
/// loss.backward()?;
/// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 2.0]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MseLoss {
    reduction: Reduction,
}

impl MseLoss {
    /// The loss with the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the reduction.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of `input` against `target`.
    ///
    /// # Shapes
    /// As [`MseLoss`].
    ///
    /// # Errors
    /// As [`MseLoss`].
    ///
    /// # Examples
    /// See [`MseLoss`].
    pub fn forward<T: Element>(&self, input: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
        same_shape("MseLoss", input, target)?;
        reduce(input.sub(target)?.square()?, self.reduction)
    }
}

/// Mean absolute error `|x - y|`, PyTorch's `nn.L1Loss` (gradient 0 where `x = y`).
///
/// # Shapes
/// `input` and `target` of the same shape `[*]`; the result is `[]`, or `[*]` with
/// [`Reduction::None`].
///
/// # Errors
/// [`LayerError::Input`](crate::LayerError::Input) if the shapes differ.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::loss::{L1Loss, Reduction};
/// use youshi_tensor::Tensor;
/// let g = Graph::<f64>::new();
/// let x = g.leaf(Tensor::from_vec(vec![1.0, -3.0], [2])?);
/// let y = g.constant(Tensor::zeros([2]));
/// let loss = L1Loss::new().reduction(Reduction::Sum).forward(&x, &y)?;
/// assert_eq!(loss.value().item()?, 4.0);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct L1Loss {
    reduction: Reduction,
}

impl L1Loss {
    /// The loss with the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the reduction.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of `input` against `target`.
    ///
    /// # Shapes
    /// As [`L1Loss`].
    ///
    /// # Errors
    /// As [`L1Loss`].
    ///
    /// # Examples
    /// See [`L1Loss`].
    pub fn forward<T: Element>(&self, input: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
        same_shape("L1Loss", input, target)?;
        reduce(input.sub(target)?.abs()?, self.reduction)
    }
}

/// Quadratic below `threshold`, linear above: `scale_sq d²` where `|d| < threshold`, else
/// `scale_lin (|d| - threshold / 2)`.
fn piecewise<T: Element>(
    d: &Var<T>,
    threshold: f64,
    scale_sq: f64,
    scale_lin: f64,
) -> Result<Var<T>> {
    let a = d.abs()?;
    let inside = a.value().lt_scalar(T::of(threshold));
    let quad = d.square()?.mul_scalar(T::of(scale_sq))?;
    let lin = a.sub_scalar(T::of(0.5 * threshold))?;
    let lin = if scale_lin == 1.0 {
        lin
    } else {
        lin.mul_scalar(T::of(scale_lin))?
    };
    Ok(Var::where_cond(&inside, &quad, &lin)?)
}

/// Smooth L1 loss, PyTorch's `nn.SmoothL1Loss`: `0.5 d² / beta` where `|d| < beta`, else
/// `|d| - 0.5 beta`, with `d = x - y`; `beta = 0` is the L1 loss.
///
/// # Shapes
/// `input` and `target` of the same shape `[*]`; the result is `[]`, or `[*]` with
/// [`Reduction::None`].
///
/// # Errors
/// [`LayerError::Input`](crate::LayerError::Input) if the shapes differ;
/// [`LayerError::Config`](crate::LayerError::Config) if `beta` is negative or not finite.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::loss::{Reduction, SmoothL1Loss};
/// use youshi_tensor::Tensor;
/// let g = Graph::<f64>::new();
/// let x = g.leaf(Tensor::from_vec(vec![0.5, 3.0], [2])?);
/// let y = g.constant(Tensor::zeros([2]));
/// let loss = SmoothL1Loss::new().beta(1.0).reduction(Reduction::None).forward(&x, &y)?;
/// assert_eq!(loss.value().to_vec(), vec![0.125, 2.5]);
/// assert!(SmoothL1Loss::new().beta(-1.0).forward(&x, &y).is_err());
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmoothL1Loss {
    reduction: Reduction,
    beta: f64,
}

impl Default for SmoothL1Loss {
    fn default() -> Self {
        SmoothL1Loss {
            reduction: Reduction::Mean,
            beta: 1.0,
        }
    }
}

impl SmoothL1Loss {
    /// The loss with `beta = 1` and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the reduction.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// Sets `beta >= 0`, where the loss turns from quadratic to linear (default 1).
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }

    /// The loss of `input` against `target`.
    ///
    /// # Shapes
    /// As [`SmoothL1Loss`].
    ///
    /// # Errors
    /// As [`SmoothL1Loss`].
    ///
    /// # Examples
    /// See [`SmoothL1Loss`].
    pub fn forward<T: Element>(&self, input: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
        let beta = self.beta;
        check_option(
            "SmoothL1Loss",
            "beta",
            beta,
            beta.is_finite() && beta >= 0.0,
            "finite and >= 0",
        )?;
        same_shape("SmoothL1Loss", input, target)?;
        let d = input.sub(target)?;
        let l = if beta == 0.0 {
            d.abs()?
        } else {
            piecewise(&d, beta, 0.5 / beta, 1.0)?
        };
        reduce(l, self.reduction)
    }
}

/// Huber loss, PyTorch's `nn.HuberLoss`: `0.5 d²` where `|d| < delta`, else
/// `delta (|d| - 0.5 delta)`, with `d = x - y`.
///
/// # Shapes
/// `input` and `target` of the same shape `[*]`; the result is `[]`, or `[*]` with
/// [`Reduction::None`].
///
/// # Errors
/// [`LayerError::Input`](crate::LayerError::Input) if the shapes differ;
/// [`LayerError::Config`](crate::LayerError::Config) if `delta` is not positive and finite.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::loss::{HuberLoss, Reduction};
/// use youshi_tensor::Tensor;
/// let g = Graph::<f64>::new();
/// let x = g.leaf(Tensor::from_vec(vec![0.5, 3.0], [2])?);
/// let y = g.constant(Tensor::zeros([2]));
/// let loss = HuberLoss::new().delta(2.0).reduction(Reduction::None).forward(&x, &y)?;
/// assert_eq!(loss.value().to_vec(), vec![0.125, 4.0]);
/// assert!(HuberLoss::new().delta(0.0).forward(&x, &y).is_err());
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HuberLoss {
    reduction: Reduction,
    delta: f64,
}

impl Default for HuberLoss {
    fn default() -> Self {
        HuberLoss {
            reduction: Reduction::Mean,
            delta: 1.0,
        }
    }
}

impl HuberLoss {
    /// The loss with `delta = 1` and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the reduction.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// Sets `delta > 0`, where the loss turns from quadratic to linear (default 1).
    pub fn delta(mut self, delta: f64) -> Self {
        self.delta = delta;
        self
    }

    /// The loss of `input` against `target`.
    ///
    /// # Shapes
    /// As [`HuberLoss`].
    ///
    /// # Errors
    /// As [`HuberLoss`].
    ///
    /// # Examples
    /// See [`HuberLoss`].
    pub fn forward<T: Element>(&self, input: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
        let delta = self.delta;
        check_option(
            "HuberLoss",
            "delta",
            delta,
            delta.is_finite() && delta > 0.0,
            "finite and > 0",
        )?;
        same_shape("HuberLoss", input, target)?;
        let d = input.sub(target)?;
        reduce(piecewise(&d, delta, 0.5, delta)?, self.reduction)
    }
}
