//! The [`Loss`] trait: what the training loop minimises, implemented for every loss of
//! `youshi-layers` and for closures ([`loss_fn`]).
//!
//! A loss takes the model's output and the batch's targets (both on the step's graph) and
//! returns a scalar. The loop reports the loss per example, so a loss should use the mean
//! reduction (PyTorch's and Youshi's default): the epoch's loss is then the mean over every
//! example, as Keras reports it.
//!
//! ```
//! use youshi_autograd::Graph;
//! use youshi_layers::CrossEntropyLoss;
//! use youshi_optim::fit::Loss;
//! use youshi_tensor::Tensor;
//!
//! let g = Graph::<f32>::new();
//! let logits = g.leaf(Tensor::from_vec(vec![2.0, 0.0, 0.0, 2.0], [2, 2])?);
//! // Class indices stored as numbers, as the data crate's batches carry them.
//! let targets = g.constant(Tensor::from_vec(vec![0.0, 1.0], [2])?);
//! let loss = Loss::loss(&CrossEntropyLoss::new(), &logits, &targets)?;
//! assert!((loss.value().item()? - 0.126928).abs() < 1e-5);
//! # Ok::<(), youshi_optim::OptimError>(())
//! ```

use youshi_autograd::Var;
use youshi_layers::{
    BceLoss, BceWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MseLoss, NllLoss, SmoothL1Loss,
};
use youshi_tensor::{Element, Indices, Shape, Tensor};

use crate::error::{OptimError, Result};

/// An objective the training loop minimises.
///
/// Implemented for the losses of `youshi-layers` (see the impls for how each reads the
/// targets) and, through [`loss_fn`], for any closure.
///
/// # Shapes
/// `output` is the model's output `[N, ...]`, `target` the batch's targets `[N, ...]`; the
/// result is a one-element value (any rank).
pub trait Loss<T: Element = f32>: Send {
    /// The loss's name (`"CrossEntropyLoss"`), for summaries and errors.
    fn name(&self) -> &str;

    /// The loss of `output` against `target`, recorded on their graph.
    ///
    /// # Errors
    /// Targets that do not fit the output (wrong shape, a class index that is not a
    /// non-negative integer), or an error of the loss itself.
    fn loss(&self, output: &Var<T>, target: &Var<T>) -> Result<Var<T>>;
}

/// Class indices stored as numbers (`[N, d1, ...]`) as an index array, checking each value
/// is a non-negative integer.
///
/// # Errors
/// [`OptimError::Input`] naming `op`, the position and the value of the first target that is
/// not a class index.
///
/// # Examples
/// ```
/// use youshi_optim::fit::class_indices;
/// use youshi_tensor::Tensor;
/// let idx = class_indices("demo", &Tensor::<f32>::from_vec(vec![2.0, 0.0], [2])?)?;
/// assert_eq!(idx.as_slice().unwrap(), &[2, 0]);
/// let err = class_indices("demo", &Tensor::<f32>::from_vec(vec![1.5], [1])?).unwrap_err();
/// assert_eq!(err.to_string(), "demo: target 0 is 1.5, not a class index (a non-negative integer)");
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
pub fn class_indices<T: Element>(op: &'static str, target: &Tensor<T>) -> Result<Indices> {
    // Indices above 2^53 cannot be told apart in f64, let alone in f32; no model has that
    // many classes.
    const LIMIT: f64 = 9_007_199_254_740_992.0;
    let values = target.to_vec();
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let v = v.as_f64();
        if !((0.0..LIMIT).contains(&v) && v.fract() == 0.0) {
            return Err(OptimError::input(
                op,
                format!("target {i} is {v}, not a class index (a non-negative integer)"),
            ));
        }
        out.push(v as usize);
    }
    Indices::from_shape_vec(target.shape().to_vec(), out).map_err(|e| {
        OptimError::input(
            op,
            format!(
                "targets of shape {} cannot be indexed: {e}",
                target.shape_obj()
            ),
        )
    })
}

/// The target reshaped to the output's shape when the output has a trailing axis of one and
/// the target lacks it (`[N, 1]` against `[N]`: a single logit or a single regression
/// output against one number per example); otherwise the target unchanged.
fn fit_target<T: Element>(output: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
    let (o, t) = (output.shape(), target.shape());
    if o.len() == t.len() + 1 && o.last() == Some(&1) && o[..t.len()] == *t {
        let dims: Vec<isize> = o.iter().map(|&d| d as isize).collect();
        return Ok(target.reshape(&dims)?);
    }
    Ok(target.clone())
}

/// Index targets for `op`: the targets must have the output's shape without its class axis.
fn index_target<T: Element>(op: &'static str, output: &Var<T>, target: &Var<T>) -> Result<Indices> {
    let o = output.shape();
    let t = target.shape();
    let expected: Vec<usize> = o
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 1)
        .map(|(_, &d)| d)
        .collect();
    if o.len() < 2 || t != expected.as_slice() {
        return Err(OptimError::input(
            op,
            format!(
                "class-index targets must have the output's shape without its class axis: output {}, targets {}",
                Shape::from(o),
                Shape::from(t)
            ),
        ));
    }
    class_indices(op, target.value())
}

/// Targets of the output's shape are class probabilities ([`forward_probs`]); targets with
/// the output's shape minus its class axis (`[N]` for `[N, C]` logits) are class indices
/// stored as numbers ([`forward_indices`]).
///
/// [`forward_probs`]: CrossEntropyLoss::forward_probs
/// [`forward_indices`]: CrossEntropyLoss::forward_indices
impl<T: Element> Loss<T> for CrossEntropyLoss<T> {
    fn name(&self) -> &str {
        "CrossEntropyLoss"
    }

    fn loss(&self, output: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
        if output.shape() == target.shape() {
            return Ok(self.forward_probs(output, target)?);
        }
        let idx = index_target("CrossEntropyLoss", output, target)?;
        Ok(self.forward_indices(output, &idx)?)
    }
}

/// The output holds log-probabilities `[N, C, ...]`; targets are class indices stored as
/// numbers, `[N, ...]`.
impl<T: Element> Loss<T> for NllLoss<T> {
    fn name(&self) -> &str {
        "NllLoss"
    }

    fn loss(&self, output: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
        let idx = index_target("NllLoss", output, target)?;
        Ok(self.forward(output, &idx)?)
    }
}

/// Implements [`Loss`] for losses whose `forward` takes a target of the output's shape; a
/// target `[N]` against an output `[N, 1]` is reshaped to `[N, 1]` first.
macro_rules! same_shape_loss {
    ($($ty:ident $(<$g:ident>)?),* $(,)?) => {$(
        #[doc = concat!(
            "The target has the output's shape (a `[N]` target against a `[N, 1]` output is ",
            "reshaped to `[N, 1]`), as `", stringify!($ty), "::forward` requires."
        )]
        impl<T: Element> Loss<T> for $ty $(<$g>)? {
            fn name(&self) -> &str {
                stringify!($ty)
            }

            fn loss(&self, output: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
                let target = fit_target(output, target)?;
                Ok(self.forward(output, &target)?)
            }
        }
    )*};
}

same_shape_loss!(
    MseLoss,
    L1Loss,
    SmoothL1Loss,
    HuberLoss,
    BceLoss<T>,
    BceWithLogitsLoss<T>
);

/// A closure as a [`Loss`]; made by [`loss_fn`].
pub struct LossFn<F> {
    name: String,
    f: F,
}

impl<F> std::fmt::Debug for LossFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LossFn").field("name", &self.name).finish()
    }
}

/// A loss from a closure `(output, target) -> scalar`, named `name`.
///
/// The closure returns this crate's [`Result`], so `?` works on both layer and autograd
/// errors inside it.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_optim::fit::{loss_fn, Loss};
/// use youshi_tensor::Tensor;
/// // Half the mean squared error.
/// let half_mse = loss_fn("half_mse", |y, t| Ok(y.sub(t)?.square()?.mean_all()?.mul_scalar(0.5)?));
/// let g = Graph::<f32>::no_grad();
/// let y = g.constant(Tensor::from_vec(vec![1.0, 3.0], [2])?);
/// let t = g.constant(Tensor::from_vec(vec![0.0, 1.0], [2])?);
/// assert_eq!(half_mse.loss(&y, &t)?.value().item()?, 1.25);
/// assert_eq!(half_mse.name(), "half_mse");
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
pub fn loss_fn<T, F>(name: impl Into<String>, f: F) -> LossFn<F>
where
    T: Element,
    F: Fn(&Var<T>, &Var<T>) -> Result<Var<T>> + Send,
{
    LossFn {
        name: name.into(),
        f,
    }
}

impl<T, F> Loss<T> for LossFn<F>
where
    T: Element,
    F: Fn(&Var<T>, &Var<T>) -> Result<Var<T>> + Send,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn loss(&self, output: &Var<T>, target: &Var<T>) -> Result<Var<T>> {
        (self.f)(output, target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use youshi_autograd::Graph;

    fn var(g: &Graph<f64>, v: &[f64], shape: &[usize]) -> Var<f64> {
        g.constant(Tensor::from_vec(v.to_vec(), shape).unwrap())
    }

    #[test]
    fn cross_entropy_reads_indices_and_probabilities() {
        let g = Graph::<f64>::no_grad();
        let logits = var(&g, &[1.0, 2.0, 0.5, 0.0, 0.0, 3.0], &[2, 3]);
        let idx = var(&g, &[1.0, 2.0], &[2]);
        let onehot = var(&g, &[0.0, 1.0, 0.0, 0.0, 0.0, 1.0], &[2, 3]);
        let a = CrossEntropyLoss::new().loss(&logits, &idx).unwrap();
        let b = CrossEntropyLoss::new().loss(&logits, &onehot).unwrap();
        assert!((a.value().item().unwrap() - b.value().item().unwrap()).abs() < 1e-12);
        // Direct reference: mean of -log softmax at the targets.
        let lse = |r: &[f64]| r.iter().map(|v| v.exp()).sum::<f64>().ln();
        let want = 0.5 * ((lse(&[1.0, 2.0, 0.5]) - 2.0) + (lse(&[0.0, 0.0, 3.0]) - 3.0));
        assert!((a.value().item().unwrap() - want).abs() < 1e-12);
    }

    #[test]
    fn index_targets_are_checked() {
        let g = Graph::<f64>::no_grad();
        let logits = var(&g, &[0.0; 6], &[2, 3]);
        let e = CrossEntropyLoss::new()
            .loss(&logits, &var(&g, &[0.0, -1.0], &[2]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "CrossEntropyLoss: target 1 is -1, not a class index (a non-negative integer)"
        );
        let e = NllLoss::new()
            .loss(&logits, &var(&g, &[0.0, 1.0, 2.0], &[3]))
            .unwrap_err();
        assert!(e.to_string().contains("output [2, 3], targets [3]"), "{e}");
        let e = CrossEntropyLoss::new()
            .loss(&logits, &var(&g, &[0.0, 3.0], &[2]))
            .unwrap_err();
        assert!(matches!(e, OptimError::Layer(_)), "{e}");
        let e = class_indices("t", &Tensor::<f64>::from_vec(vec![f64::NAN], [1]).unwrap());
        assert!(e.unwrap_err().to_string().contains("target 0 is NaN"));
    }

    #[test]
    fn single_output_accepts_flat_targets() {
        let g = Graph::<f64>::no_grad();
        let out = var(&g, &[0.0, 2.0], &[2, 1]);
        let t = var(&g, &[1.0, 0.0], &[2]);
        let mse = MseLoss::new().loss(&out, &t).unwrap();
        assert_eq!(mse.value().item().unwrap(), 2.5);
        let bce = BceWithLogitsLoss::new().loss(&out, &t).unwrap();
        let sp = |x: f64| (1.0 + x.exp()).ln();
        let want = 0.5 * (sp(-0.0) + sp(2.0));
        assert!((bce.value().item().unwrap() - want).abs() < 1e-12);
        let e = L1Loss::new()
            .loss(&out, &var(&g, &[1.0, 0.0, 1.0], &[3]))
            .unwrap_err();
        assert!(e.to_string().contains("L1Loss"), "{e}");
    }

    #[test]
    fn every_layer_loss_has_its_name() {
        fn name_of(l: impl Loss<f32>) -> String {
            l.name().to_string()
        }
        let names = [
            name_of(MseLoss::new()),
            name_of(L1Loss::new()),
            name_of(SmoothL1Loss::new()),
            name_of(HuberLoss::new()),
            name_of(BceLoss::<f32>::new()),
            name_of(BceWithLogitsLoss::<f32>::new()),
            name_of(NllLoss::<f32>::new()),
            name_of(CrossEntropyLoss::<f32>::new()),
        ];
        assert_eq!(
            names,
            [
                "MseLoss",
                "L1Loss",
                "SmoothL1Loss",
                "HuberLoss",
                "BceLoss",
                "BceWithLogitsLoss",
                "NllLoss",
                "CrossEntropyLoss"
            ]
        );
    }

    #[test]
    fn regression_losses_match_their_forward() {
        let g = Graph::<f64>::no_grad();
        let out = var(&g, &[0.5, -2.0, 3.0], &[3]);
        let t = var(&g, &[0.0, 0.0, 0.0], &[3]);
        let via_trait = SmoothL1Loss::new().loss(&out, &t).unwrap();
        let direct = SmoothL1Loss::new().forward(&out, &t).unwrap();
        assert_eq!(via_trait.value(), direct.value());
        let h = HuberLoss::new().delta(1.0).loss(&out, &t).unwrap();
        let want = (0.125 + 1.5 + 2.5) / 3.0;
        assert!((h.value().item().unwrap() - want).abs() < 1e-12);
        let p = var(&g, &[0.25, 0.75, 0.5], &[3]);
        let y = var(&g, &[0.0, 1.0, 1.0], &[3]);
        let bce = BceLoss::new().loss(&p, &y).unwrap();
        let want = -(0.75f64.ln() + 0.75f64.ln() + 0.5f64.ln()) / 3.0;
        assert!((bce.value().item().unwrap() - want).abs() < 1e-12);
    }
}
