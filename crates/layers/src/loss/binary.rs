//! Binary classification losses: [`BceLoss`] on probabilities and [`BceWithLogitsLoss`] on
//! logits.

use youshi_autograd::{AutogradError, Var};
use youshi_tensor::{broadcast_shapes, Element, Tensor};

use super::{reduce, same_shape, Reduction};
use crate::error::{LayerError, Result};

/// `w` broadcast to `shape`, or an input error naming `name`.
fn broadcast_weight<T: Element>(
    kind: &'static str,
    name: &str,
    w: &Tensor<T>,
    shape: &[usize],
) -> Result<Tensor<T>> {
    match broadcast_shapes(kind, w.shape(), shape) {
        Ok(s) if s == shape => Ok(w.broadcast_to(shape)?),
        _ => Err(LayerError::input(
            kind,
            format!("a shape {name} {} broadcasts to", w.shape_obj()),
            shape,
        )),
    }
}

/// Binary cross entropy on probabilities, PyTorch's `nn.BCELoss`:
/// `-w (y ln x + (1 - y) ln(1 - x))`, each logarithm clamped to `>= -100` as PyTorch does, so
/// inputs of exactly 0 or 1 give finite values; the gradient is PyTorch's
/// `w (x - y) / max(x (1 - x), ε)` with `ε` the `f32` nearest `1e-12`, finite too. The mean reduction divides by the number
/// of elements (not by the weights).
///
/// Prefer [`BceWithLogitsLoss`] on logits: it is stable where the sigmoid saturates.
///
/// # Shapes
/// `input` and `target` of the same shape `[*]`; `weight` broadcasts to it. The result is
/// `[]`, or `[*]` with [`Reduction::None`].
///
/// # Errors
/// [`LayerError::Input`](crate::LayerError::Input) if the shapes differ or the weight does
/// not broadcast; [`AutogradError::InvalidArgument`] for an input outside `[0, 1]` (or NaN).
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::loss::BceLoss;
/// use youshi_tensor::Tensor;
/// let g = Graph::<f64>::new();
/// let p = g.leaf(Tensor::from_vec(vec![0.0, 0.5], [2])?);
/// let y = g.constant(Tensor::from_vec(vec![1.0, 1.0], [2])?);
/// let loss = BceLoss::new().forward(&p, &y)?;
/// assert!((loss.value().item()? - (100.0 + 2f64.ln()) / 2.0).abs() < 1e-12);
/// loss.backward()?;
/// assert!(p.grad().unwrap().to_vec().iter().all(|v| v.is_finite()));
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct BceLoss<T: Element = f32> {
    reduction: Reduction,
    weight: Option<Tensor<T>>,
}

impl<T: Element> Default for BceLoss<T> {
    fn default() -> Self {
        BceLoss {
            reduction: Reduction::Mean,
            weight: None,
        }
    }
}

impl<T: Element> BceLoss<T> {
    /// The loss with no weight and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the reduction.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// Sets a weight of each element, broadcast to the input's shape.
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// The loss of probabilities `input` against `target`.
    ///
    /// # Shapes
    /// As [`BceLoss`].
    ///
    /// # Errors
    /// As [`BceLoss`].
    ///
    /// # Examples
    /// See [`BceLoss`].
    pub fn forward(&self, input: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
        let kind = "BceLoss";
        same_shape(kind, input, target)?;
        let shape = input.shape().to_vec();
        let w = match &self.weight {
            Some(w) => Some(broadcast_weight(kind, "weight", w, &shape)?.to_vec()),
            None => None,
        };
        let x = input.value().to_vec();
        if let Some((i, v)) = x
            .iter()
            .enumerate()
            .find(|(_, v)| !(**v >= T::zero() && **v <= T::one()))
        {
            return Err(AutogradError::InvalidArgument {
                op: kind,
                reason: format!(
                    "input values must be probabilities in [0, 1], got {v} at flat position {i}"
                ),
            }
            .into());
        }
        let y = target.value().to_vec();
        let floor = T::of(-100.0);
        let wt = move |i: usize| w.as_ref().map_or(T::one(), |w| w[i]);
        let value: Vec<T> = (0..x.len())
            .map(|i| {
                let log_x = x[i].ln().max(floor);
                let log_1mx = (-x[i]).ln_1p().max(floor);
                ((y[i] - T::one()) * log_1mx - y[i] * log_x) * wt(i)
            })
            .collect();
        let value = Tensor::from_vec(value, shape.as_slice())?;
        let out_shape = shape.clone();
        let l = Var::record("binary_cross_entropy", &[input, target], value, move |g| {
            let g = g.to_vec();
            // PyTorch's EPSILON is the f32 nearest 1e-12.
            let eps = T::of(f64::from(1e-12f32));
            let gx: Vec<T> = (0..x.len())
                .map(|i| g[i] * wt(i) * (x[i] - y[i]) / ((T::one() - x[i]) * x[i]).max(eps))
                .collect();
            // PyTorch's binary_cross_entropy_target_backward: -logit(x).
            let gy: Vec<T> = (0..x.len())
                .map(|i| g[i] * wt(i) * ((-x[i]).ln_1p() - x[i].ln()))
                .collect();
            Ok(vec![
                Some(Tensor::from_vec(gx, out_shape.as_slice())?),
                Some(Tensor::from_vec(gy, out_shape.as_slice())?),
            ])
        })?;
        reduce(l, self.reduction)
    }
}

/// Binary cross entropy on logits, PyTorch's `nn.BCEWithLogitsLoss`:
/// `w ((1 - y) x + (1 + (p - 1) y) softplus(-x))` with `p` the `pos_weight` of positives,
/// computed stably (logits of ±1e4 give finite values and gradients).
///
/// # Shapes
/// `input` and `target` of the same shape `[*]`; `weight` and `pos_weight` (usually `[C]`, one
/// per class on the last axis) broadcast to it. The result is `[]`, or `[*]` with
/// [`Reduction::None`].
///
/// # Errors
/// [`LayerError::Input`](crate::LayerError::Input) if the shapes differ or a weight does not
/// broadcast to the input.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::loss::BceWithLogitsLoss;
/// use youshi_tensor::Tensor;
/// let g = Graph::<f64>::new();
/// let x = g.leaf(Tensor::from_vec(vec![1e4, -1e4, 0.0], [1, 3])?);
/// let y = g.constant(Tensor::from_vec(vec![1.0, 1.0, 0.0], [1, 3])?);
/// let loss = BceWithLogitsLoss::new()
///     .pos_weight(Tensor::from_vec(vec![1.0, 2.0, 1.0], [3])?)
///     .forward(&x, &y)?;
/// assert!((loss.value().item()? - (2e4 + 2f64.ln()) / 3.0).abs() < 1e-9);
/// loss.backward()?;
/// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, -2.0 / 3.0, 0.5 / 3.0]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct BceWithLogitsLoss<T: Element = f32> {
    reduction: Reduction,
    weight: Option<Tensor<T>>,
    pos_weight: Option<Tensor<T>>,
}

impl<T: Element> Default for BceWithLogitsLoss<T> {
    fn default() -> Self {
        BceWithLogitsLoss {
            reduction: Reduction::Mean,
            weight: None,
            pos_weight: None,
        }
    }
}

impl<T: Element> BceWithLogitsLoss<T> {
    /// The loss with no weights and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the reduction.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// Sets a weight of each element, broadcast to the input's shape.
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Sets the weight of positive examples, broadcast to the input's shape (`[C]` weighs
    /// each class of a multi-label target).
    pub fn pos_weight(mut self, pos_weight: Tensor<T>) -> Self {
        self.pos_weight = Some(pos_weight);
        self
    }

    /// The loss of logits `input` against `target`.
    ///
    /// # Shapes
    /// As [`BceWithLogitsLoss`].
    ///
    /// # Errors
    /// As [`BceWithLogitsLoss`].
    ///
    /// # Examples
    /// See [`BceWithLogitsLoss`].
    pub fn forward(&self, input: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
        let kind = "BceWithLogitsLoss";
        same_shape(kind, input, target)?;
        let shape = input.shape().to_vec();
        // softplus(-x) = -log_sigmoid(x), stable for any x with an infinite threshold.
        let sp = input.neg()?.softplus(T::one(), T::infinity())?;
        let linear = target.rsub_scalar(T::one())?.mul(input)?;
        let log_term = match &self.pos_weight {
            Some(pw) => {
                let pw = broadcast_weight(kind, "pos_weight", pw, &shape)?;
                let log_weight = target
                    .mul(&input.constant(pw.sub(&Tensor::scalar(T::one()))?))?
                    .add_scalar(T::one())?;
                log_weight.mul(&sp)?
            }
            None => sp,
        };
        let mut l = linear.add(&log_term)?;
        if let Some(w) = &self.weight {
            let w = broadcast_weight(kind, "weight", w, &shape)?;
            l = l.mul(&input.constant(w))?;
        }
        reduce(l, self.reduction)
    }
}
