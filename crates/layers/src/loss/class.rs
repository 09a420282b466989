//! Multi-class losses: [`CrossEntropyLoss`] (from logits) and [`NllLoss`] (from
//! log-probabilities).

use youshi_autograd::{AutogradError, Var};
use youshi_tensor::{Element, Indices, Shape, Tensor};

use super::{check_option, Reduction};
use crate::error::{LayerError, Result};

/// The class-index target checked against `[N, C, d1, ...]` scores.
struct Picked<T: Element> {
    /// `[N, 1, d1, ...]`, ignored positions pointing at class 0.
    gather: Indices,
    /// `[N, d1, ...]`: the class weight of each target, 0 where ignored.
    weights: Tensor<T>,
    /// `[N, d1, ...]`: 1 where ignored, else 0.
    ignored: Tensor<T>,
    /// Sum of `weights`.
    total_weight: T,
}

/// Checks a class weight of `[C]`.
fn check_weight<T: Element>(kind: &'static str, weight: Option<&Tensor<T>>) -> Result<()> {
    if let Some(w) = weight {
        if w.ndim() != 1 {
            return Err(LayerError::config(
                kind,
                format!("weight must be [C], got {}", w.shape_obj()),
            ));
        }
    }
    Ok(())
}

/// Checks the shapes of `[N, C, d1, ...]` scores and a `[N, d1, ...]` target and the target's
/// values, and gathers what the loss needs.
fn pick<T: Element>(
    kind: &'static str,
    input: &Var<T>,
    target: &Indices,
    weight: Option<&Tensor<T>>,
    ignore_index: Option<usize>,
) -> Result<Picked<T>> {
    let shape = input.shape();
    let mut expected_target: Vec<usize> = shape.to_vec();
    if shape.len() < 2
        || target.shape() != {
            expected_target.remove(1);
            expected_target.as_slice()
        }
    {
        let mut want: Vec<String> = target.shape().iter().map(|d| d.to_string()).collect();
        if !want.is_empty() {
            want.insert(1, "C".to_string());
        }
        let want = if want.len() < 2 {
            "[N, C, d1, ...]".to_string()
        } else {
            format!("[{}]", want.join(", "))
        };
        return Err(LayerError::input(
            kind,
            format!(
                "{want} (for a target of shape {})",
                Shape::from(target.shape())
            ),
            shape,
        ));
    }
    let classes = shape[1];
    if let Some(w) = weight {
        if w.shape() != [classes] {
            return Err(LayerError::config(
                kind,
                format!(
                    "weight must have one value per class, [{classes}], got {}",
                    w.shape_obj()
                ),
            ));
        }
    }
    let w = weight.map(|w| w.to_vec());
    let n = target.len();
    let mut gather = Vec::with_capacity(n);
    let mut weights = Vec::with_capacity(n);
    let mut ignored = Vec::with_capacity(n);
    let mut total = T::zero();
    for (pos, &t) in target.iter().enumerate() {
        if Some(t) == ignore_index {
            gather.push(0);
            weights.push(T::zero());
            ignored.push(T::one());
            continue;
        }
        if t >= classes {
            let at: Vec<usize> = unravel(pos, target.shape());
            return Err(AutogradError::InvalidArgument {
                op: kind,
                reason: format!(
                    "class index {t} at {at:?} is out of range for C = {classes} classes"
                ),
            }
            .into());
        }
        let wt = w.as_ref().map_or(T::one(), |w| w[t]);
        gather.push(t);
        weights.push(wt);
        ignored.push(T::zero());
        total += wt;
    }
    let mut gather_shape = target.shape().to_vec();
    gather_shape.insert(1, 1);
    Ok(Picked {
        gather: Indices::from_shape_vec(gather_shape, gather)
            .expect("the index has as many values as its shape"),
        weights: Tensor::from_vec(weights, target.shape())?,
        ignored: Tensor::from_vec(ignored, target.shape())?,
        total_weight: total,
    })
}

/// The multi-index of flat position `pos` in `shape`.
fn unravel(mut pos: usize, shape: &[usize]) -> Vec<usize> {
    let mut at = vec![0; shape.len()];
    for (a, &d) in at.iter_mut().zip(shape).rev() {
        *a = pos % d;
        pos /= d;
    }
    at
}

/// Shape `[1, C, 1, ...]` of rank `rank`, to broadcast a class weight over `[N, C, d1, ...]`.
fn class_axis_shape(classes: usize, rank: usize) -> Vec<isize> {
    let mut s = vec![1isize; rank];
    s[1] = classes as isize;
    s
}

/// The weighted negative log-likelihood of `log_probs` `[N, C, d1, ...]` at the picked
/// classes, reduced as PyTorch's `nll_loss`.
fn nll<T: Element>(log_probs: &Var<T>, p: &Picked<T>, reduction: Reduction) -> Result<Var<T>> {
    let picked = log_probs.gather(1, &p.gather)?.squeeze(1)?;
    let l = picked.mul(&log_probs.constant(p.weights.clone()))?.neg()?;
    Ok(match reduction {
        Reduction::None => l,
        Reduction::Sum => l.sum_all()?,
        Reduction::Mean => l.sum_all()?.div_scalar(p.total_weight)?,
    })
}

/// Cross entropy from unnormalised logits, PyTorch's `nn.CrossEntropyLoss`: `log_softmax`
/// over the class axis followed by the negative log-likelihood, with class-index
/// ([`forward_indices`](CrossEntropyLoss::forward_indices)) or class-probability
/// ([`forward_probs`](CrossEntropyLoss::forward_probs)) targets.
///
/// Options, as PyTorch: a class `weight` `[C]`; `ignore_index` (index targets only: those
/// positions count for nothing, not even in the mean's denominator); `label_smoothing` in
/// `[0, 1]`, mixing the target with the uniform distribution. With index targets the mean
/// divides by the sum of the weights of the non-ignored targets; with probability targets it
/// divides by the number of positions `N d1 ...`.
///
/// Numerically stable: logits of ±1e4 give finite values and gradients.
///
/// # Shapes
/// Logits `[N, C]` or `[N, C, d1, ...]`; index targets `[N]` or `[N, d1, ...]`, probability
/// targets of the logits' shape. The result is `[]`, or `[N, d1, ...]` with
/// [`Reduction::None`].
///
/// # Errors
/// [`LayerError::Input`](crate::LayerError::Input) for shapes that do not fit;
/// [`LayerError::Config`](crate::LayerError::Config) for a weight that is not `[C]` or a
/// label smoothing outside `[0, 1]`; [`AutogradError::InvalidArgument`] (inside
/// [`LayerError::Autograd`](crate::LayerError::Autograd)) for a class index `>= C`, naming the
/// index, its position and `C`.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::loss::CrossEntropyLoss;
/// use youshi_tensor::{Indices, Tensor};
/// let g = Graph::<f64>::new();
/// let logits = g.leaf(Tensor::zeros([2, 4]));
/// let target = Indices::from_shape_vec(vec![2], vec![3, 255]).unwrap();
/// let ce = CrossEntropyLoss::new()
///     .weight(Tensor::from_vec(vec![1.0, 1.0, 1.0, 2.0], [4])?)
///     .ignore_index(255);
/// let loss = ce.forward_indices(&logits, &target)?;
/// assert!((loss.value().item()? - 4f64.ln()).abs() < 1e-12);
/// loss.backward()?;
/// let bad = Indices::from_shape_vec(vec![2], vec![3, 4]).unwrap();
/// assert!(ce.forward_indices(&logits, &bad).is_err());
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CrossEntropyLoss<T: Element = f32> {
    reduction: Reduction,
    weight: Option<Tensor<T>>,
    ignore_index: Option<usize>,
    label_smoothing: f64,
}

impl<T: Element> Default for CrossEntropyLoss<T> {
    fn default() -> Self {
        CrossEntropyLoss {
            reduction: Reduction::Mean,
            weight: None,
            ignore_index: None,
            label_smoothing: 0.0,
        }
    }
}

impl<T: Element> CrossEntropyLoss<T> {
    /// The loss with no class weight, no ignored index, no smoothing and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the reduction.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// Sets a weight `[C]` for each class.
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Sets a target value to ignore (PyTorch's `ignore_index`; it may lie outside `0..C`,
    /// like the 255 of segmentation masks). Applies to index targets only.
    pub fn ignore_index(mut self, index: usize) -> Self {
        self.ignore_index = Some(index);
        self
    }

    /// Sets the label smoothing in `[0, 1]` (default 0).
    pub fn label_smoothing(mut self, smoothing: f64) -> Self {
        self.label_smoothing = smoothing;
        self
    }

    fn check(&self) -> Result<()> {
        let ls = self.label_smoothing;
        check_option(
            "CrossEntropyLoss",
            "label_smoothing",
            ls,
            (0.0..=1.0).contains(&ls),
            "in [0, 1]",
        )?;
        check_weight("CrossEntropyLoss", self.weight.as_ref())
    }

    /// The loss of `logits` against class indices.
    ///
    /// # Shapes
    /// Logits `[N, C, d1, ...]`, target `[N, d1, ...]`.
    ///
    /// # Errors
    /// As [`CrossEntropyLoss`].
    ///
    /// # Examples
    /// See [`CrossEntropyLoss`].
    pub fn forward_indices(&self, logits: &Var<T>, target: &Indices) -> Result<Var<T>> {
        self.check()?;
        let kind = "CrossEntropyLoss";
        let p = pick(
            kind,
            logits,
            target,
            self.weight.as_ref(),
            self.ignore_index,
        )?;
        let log_probs = logits.log_softmax(1)?;
        let loss = nll(&log_probs, &p, self.reduction)?;
        let ls = self.label_smoothing;
        if ls == 0.0 {
            return Ok(loss);
        }
        let classes = logits.shape()[1];
        // PyTorch's cross_entropy_loss_label_smoothing.
        let weighted = match &self.weight {
            Some(w) => log_probs.mul(
                &logits.constant(w.reshape(&class_axis_shape(classes, logits.shape().len()))?),
            )?,
            None => log_probs,
        };
        let smooth = weighted
            .sum(&[1], false)?
            .neg()?
            .masked_fill(&logits.constant(p.ignored.clone()), T::zero())?;
        let smooth = match self.reduction {
            Reduction::None => smooth,
            Reduction::Sum => smooth.sum_all()?,
            Reduction::Mean => {
                let denom = if self.weight.is_some() {
                    p.total_weight
                } else {
                    T::of((p.ignored.numel() as f64) - p.ignored.sum_all().as_f64())
                };
                smooth.sum_all()?.div_scalar(denom)?
            }
        };
        Ok(loss
            .mul_scalar(T::of(1.0 - ls))?
            .add(&smooth.mul_scalar(T::of(ls / classes as f64))?)?)
    }

    /// The loss of `logits` against class probabilities (PyTorch's probability targets;
    /// `ignore_index` does not apply).
    ///
    /// # Shapes
    /// Logits and target `[N, C, d1, ...]`.
    ///
    /// # Errors
    /// As [`CrossEntropyLoss`].
    ///
    /// # Examples
    /// ```
    /// use youshi_autograd::Graph;
    /// use youshi_layers::loss::CrossEntropyLoss;
    /// use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let logits = g.leaf(Tensor::from_vec(vec![1e4, -1e4, 0.0, 0.0], [2, 2])?);
    /// let probs = g.constant(Tensor::from_vec(vec![1.0, 0.0, 0.5, 0.5], [2, 2])?);
    /// let loss = CrossEntropyLoss::new().forward_probs(&logits, &probs)?;
    /// assert!((loss.value().item()? - 0.5 * 2f64.ln()).abs() < 1e-12);
    /// # Ok::<(), youshi_layers::LayerError>(())
    /// ```
    pub fn forward_probs(&self, logits: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
        self.check()?;
        let kind = "CrossEntropyLoss";
        let shape = logits.shape();
        if shape.len() < 2 || target.shape() != shape {
            let expected = if target.shape().len() < 2 {
                "[N, C, d1, ...]".to_string()
            } else {
                format!(
                    "{} (the shape of the target probabilities)",
                    Shape::from(target.shape())
                )
            };
            return Err(LayerError::input(kind, expected, shape));
        }
        let classes = shape[1];
        if let Some(w) = &self.weight {
            if w.shape() != [classes] {
                return Err(LayerError::config(
                    kind,
                    format!(
                        "weight must have one value per class, [{classes}], got {}",
                        w.shape_obj()
                    ),
                ));
            }
        }
        let log_probs = logits.log_softmax(1)?;
        let ls = self.label_smoothing;
        let target = if ls == 0.0 {
            target.clone()
        } else {
            target
                .mul_scalar(T::of(1.0 - ls))?
                .add_scalar(T::of(ls / classes as f64))?
        };
        let mut prod = log_probs.mul(&target)?;
        if let Some(w) = &self.weight {
            prod =
                prod.mul(&logits.constant(w.reshape(&class_axis_shape(classes, shape.len()))?))?;
        }
        Ok(match self.reduction {
            Reduction::None => prod.sum(&[1], false)?.neg()?,
            Reduction::Sum => prod.sum_all()?.neg()?,
            Reduction::Mean => {
                let positions = (logits.value().numel() / classes.max(1)) as f64;
                prod.sum_all()?.neg()?.div_scalar(T::of(positions))?
            }
        })
    }
}

/// Negative log-likelihood of log-probabilities, PyTorch's `nn.NLLLoss`: `-w[t] x[n, t]`,
/// with a class `weight` `[C]` and `ignore_index`; the mean divides by the sum of the weights
/// of the non-ignored targets, as PyTorch.
///
/// # Shapes
/// Input `[N, C]` or `[N, C, d1, ...]`, target `[N]` or `[N, d1, ...]`; the result is `[]`,
/// or `[N, d1, ...]` with [`Reduction::None`].
///
/// # Errors
/// [`LayerError::Input`](crate::LayerError::Input) for shapes that do not fit;
/// [`LayerError::Config`](crate::LayerError::Config) for a weight that is not `[C]`;
/// [`AutogradError::InvalidArgument`] for a class index `>= C`, naming the index and `C`.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::loss::NllLoss;
/// use youshi_tensor::{Indices, Tensor};
/// let g = Graph::<f64>::new();
/// let log_probs = g.leaf(Tensor::from_vec(vec![-0.5, -1.0, -2.0, -0.1], [2, 2])?);
/// let target = Indices::from_shape_vec(vec![2], vec![1, 0]).unwrap();
/// let loss = NllLoss::new().forward(&log_probs, &target)?;
/// assert_eq!(loss.value().item()?, 1.5);
/// loss.backward()?;
/// assert_eq!(log_probs.grad().unwrap().to_vec(), vec![0.0, -0.5, -0.5, 0.0]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct NllLoss<T: Element = f32> {
    reduction: Reduction,
    weight: Option<Tensor<T>>,
    ignore_index: Option<usize>,
}

impl<T: Element> Default for NllLoss<T> {
    fn default() -> Self {
        NllLoss {
            reduction: Reduction::Mean,
            weight: None,
            ignore_index: None,
        }
    }
}

impl<T: Element> NllLoss<T> {
    /// The loss with no class weight, no ignored index and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the reduction.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// Sets a weight `[C]` for each class.
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Sets a target value to ignore (it may lie outside `0..C`).
    pub fn ignore_index(mut self, index: usize) -> Self {
        self.ignore_index = Some(index);
        self
    }

    /// The loss of `log_probs` against class indices.
    ///
    /// # Shapes
    /// As [`NllLoss`].
    ///
    /// # Errors
    /// As [`NllLoss`].
    ///
    /// # Examples
    /// See [`NllLoss`].
    pub fn forward(&self, log_probs: &Var<T>, target: &Indices) -> Result<Var<T>> {
        check_weight("NllLoss", self.weight.as_ref())?;
        let p = pick(
            "NllLoss",
            log_probs,
            target,
            self.weight.as_ref(),
            self.ignore_index,
        )?;
        nll(log_probs, &p, self.reduction)
    }
}
