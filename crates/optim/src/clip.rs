//! Gradient clipping: by global norm ([`clip_grad_norm`], [`ClipGradNorm`]) and by value
//! ([`clip_grad_value`]), PyTorch's `clip_grad_norm_` and `clip_grad_value_`.
//!
//! ```
//! use youshi_autograd::Param;
//! use youshi_optim::clip_grad_norm;
//! use youshi_tensor::Tensor;
//! let a = Param::new(Tensor::<f64>::zeros([2]));
//! let b = Param::new(Tensor::<f64>::zeros([1]));
//! a.set_grad(Some(Tensor::from_vec(vec![3.0, 0.0], [2])?))?;
//! b.set_grad(Some(Tensor::from_vec(vec![4.0], [1])?))?;
//! let total = clip_grad_norm(&[a.clone(), b.clone()], 1.0, 2.0)?;
//! assert_eq!(total, 5.0); // the norm before clipping
//! let g = a.grad().unwrap().to_vec()[0];
//! assert!((g - 3.0 / (5.0 + 1e-6)).abs() < 1e-15); // scaled by max_norm / (total + 1e-6)
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use youshi_autograd::Param;
use youshi_tensor::{Element, Tensor};

use crate::error::{OptimError, Result};

/// The norm of one gradient: `(Σ |x|^p)^(1/p)`, `max |x|` for `p = ∞` (NaN propagates).
fn tensor_norm<T: Element>(g: &Tensor<T>, p: f64) -> f64 {
    norm_of(g.view().iter().map(|x| x.as_f64()), p)
}

fn norm_of(values: impl Iterator<Item = f64>, p: f64) -> f64 {
    if p == f64::INFINITY {
        values.map(f64::abs).fold(0.0, |m, x| {
            if m.is_nan() || x.is_nan() {
                f64::NAN
            } else {
                m.max(x)
            }
        })
    } else if p == 1.0 {
        values.map(f64::abs).sum()
    } else if p == 2.0 {
        values.map(|x| x * x).sum::<f64>().sqrt()
    } else {
        values.map(|x| x.abs().powf(p)).sum::<f64>().powf(1.0 / p)
    }
}

fn check_norm_type(op: &'static str, norm_type: f64) -> Result<()> {
    if norm_type > 0.0 {
        Ok(())
    } else {
        Err(OptimError::config(
            op,
            format!(
                "norm_type = {norm_type} must be positive (use f64::INFINITY for the max norm)"
            ),
        ))
    }
}

/// The global norm of the gradients of `params` (those that have one), PyTorch's
/// `get_total_norm`: the `norm_type` norm of the per-tensor `norm_type` norms. 0 if no
/// parameter has a gradient.
///
/// # Errors
/// [`OptimError::Config`] if `norm_type` is not positive (`f64::INFINITY` is the max norm).
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::grad_norm;
/// use youshi_tensor::Tensor;
/// let p = Param::new(Tensor::<f64>::zeros([2]));
/// p.set_grad(Some(Tensor::from_vec(vec![-3.0, 1.0], [2])?))?;
/// assert_eq!(grad_norm(&[p.clone()], 1.0)?, 4.0);
/// assert_eq!(grad_norm(&[p], f64::INFINITY)?, 3.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn grad_norm<T: Element>(params: &[Param<T>], norm_type: f64) -> Result<f64> {
    check_norm_type("grad_norm", norm_type)?;
    Ok(total_norm(params, norm_type))
}

fn total_norm<T: Element>(params: &[Param<T>], norm_type: f64) -> f64 {
    let norms: Vec<f64> = params
        .iter()
        .filter_map(|p| p.grad())
        .map(|g| tensor_norm(&g, norm_type))
        .collect();
    norm_of(norms.into_iter(), norm_type)
}

/// Clipping by global norm with all of PyTorch's options; [`clip_grad_norm`] is the common
/// case.
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{ClipGradNorm, OptimError};
/// use youshi_tensor::Tensor;
/// let p = Param::new(Tensor::<f64>::zeros([2]));
/// p.set_grad(Some(Tensor::from_vec(vec![f64::INFINITY, 1.0], [2])?))?;
/// let clip = ClipGradNorm::new(1.0).error_if_nonfinite(true);
/// assert!(matches!(clip.apply(&[p]), Err(OptimError::NonFiniteNorm { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipGradNorm {
    /// The largest total norm allowed (`>= 0`).
    pub max_norm: f64,
    /// The norm's order: any `p > 0`, `f64::INFINITY` for the max norm (default 2).
    pub norm_type: f64,
    /// Fail with [`OptimError::NonFiniteNorm`] instead of scaling when the total norm is NaN
    /// or infinite (default `false`, as PyTorch).
    pub error_if_nonfinite: bool,
}

impl ClipGradNorm {
    /// Clipping to `max_norm` in the 2-norm.
    pub fn new(max_norm: f64) -> Self {
        ClipGradNorm {
            max_norm,
            norm_type: 2.0,
            error_if_nonfinite: false,
        }
    }

    /// Sets the norm's order.
    pub fn norm_type(mut self, norm_type: f64) -> Self {
        self.norm_type = norm_type;
        self
    }

    /// Sets whether a non-finite total norm is an error.
    pub fn error_if_nonfinite(mut self, on: bool) -> Self {
        self.error_if_nonfinite = on;
        self
    }

    /// Scales the gradients of `params` in place by `min(1, max_norm / (total + 1e-6))`, where
    /// `total` is their global norm ([`grad_norm`]), and returns `total`, as PyTorch's
    /// `clip_grad_norm_`. Parameters without a gradient are left alone.
    ///
    /// # Errors
    /// [`OptimError::Config`] for a negative or NaN `max_norm` or a `norm_type` that is not
    /// positive; [`OptimError::NonFiniteNorm`] with `error_if_nonfinite` when the total is NaN
    /// or infinite (nothing is changed then).
    pub fn apply<T: Element>(&self, params: &[Param<T>]) -> Result<f64> {
        if self.max_norm.is_nan() || self.max_norm < 0.0 {
            return Err(OptimError::config(
                "clip_grad_norm",
                format!("max_norm = {} must be >= 0", self.max_norm),
            ));
        }
        check_norm_type("clip_grad_norm", self.norm_type)?;
        let total = total_norm(params, self.norm_type);
        if self.error_if_nonfinite && !total.is_finite() {
            return Err(OptimError::NonFiniteNorm {
                norm_type: self.norm_type,
                total,
            });
        }
        let coef = self.max_norm / (total + 1e-6);
        // `torch.clamp(coef, max=1.0)`, which keeps a NaN.
        let clamped = if coef > 1.0 { 1.0 } else { coef };
        if clamped != 1.0 {
            let c = T::of(clamped);
            for p in params {
                if let Some(g) = p.grad() {
                    p.set_grad(Some(g.map(|x| x * c)))?;
                }
            }
        }
        Ok(total)
    }
}

/// Clips the gradients of `params` to a global `norm_type` norm of at most `max_norm` and
/// returns their norm before clipping, PyTorch's `clip_grad_norm_(params, max_norm,
/// norm_type)`. See [`ClipGradNorm::apply`] for the rule and [`ClipGradNorm`] for
/// `error_if_nonfinite`.
///
/// # Errors
/// [`OptimError::Config`] for a negative or NaN `max_norm` or a `norm_type` that is not
/// positive.
///
/// # Examples
/// See the [module documentation](self).
pub fn clip_grad_norm<T: Element>(
    params: &[Param<T>],
    max_norm: f64,
    norm_type: f64,
) -> Result<f64> {
    ClipGradNorm::new(max_norm)
        .norm_type(norm_type)
        .apply(params)
}

/// Clamps every gradient element of `params` to `[-clip_value, clip_value]` in place,
/// PyTorch's `clip_grad_value_` (NaNs stay NaN).
///
/// # Errors
/// [`OptimError::Config`] if `clip_value` is negative or NaN.
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::clip_grad_value;
/// use youshi_tensor::Tensor;
/// let p = Param::new(Tensor::<f64>::zeros([3]));
/// p.set_grad(Some(Tensor::from_vec(vec![-2.0, 0.25, 9.0], [3])?))?;
/// clip_grad_value(&[p.clone()], 0.5)?;
/// assert_eq!(p.grad().unwrap().to_vec(), vec![-0.5, 0.25, 0.5]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn clip_grad_value<T: Element>(params: &[Param<T>], clip_value: f64) -> Result<()> {
    if clip_value.is_nan() || clip_value < 0.0 {
        return Err(OptimError::config(
            "clip_grad_value",
            format!("clip_value = {clip_value} must be >= 0"),
        ));
    }
    let hi = T::of(clip_value);
    let lo = -hi;
    for p in params {
        if let Some(g) = p.grad() {
            let clipped = g.map(|x| {
                if x < lo {
                    lo
                } else if x > hi {
                    hi
                } else {
                    x
                }
            });
            p.set_grad(Some(clipped))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(g: Option<Vec<f64>>) -> Param<f64> {
        let p = Param::new(Tensor::zeros([2]));
        p.set_grad(g.map(|v| Tensor::from_vec(v, [2]).unwrap()))
            .unwrap();
        p
    }

    #[test]
    fn rejects_invalid_arguments() {
        let ps = [param(Some(vec![1.0, 2.0]))];
        let e = clip_grad_norm(&ps, -1.0, 2.0).unwrap_err();
        assert_eq!(e.to_string(), "clip_grad_norm: max_norm = -1 must be >= 0");
        let e = clip_grad_norm(&ps, f64::NAN, 2.0).unwrap_err();
        assert_eq!(e.to_string(), "clip_grad_norm: max_norm = NaN must be >= 0");
        let e = clip_grad_norm(&ps, 1.0, 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "clip_grad_norm: norm_type = 0 must be positive (use f64::INFINITY for the max norm)"
        );
        let e = grad_norm(&ps, f64::NEG_INFINITY).unwrap_err();
        assert!(
            e.to_string().starts_with("grad_norm: norm_type = -inf"),
            "{e}"
        );
        let e = clip_grad_value(&ps, -0.5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "clip_grad_value: clip_value = -0.5 must be >= 0"
        );
        assert_eq!(ps[0].grad().unwrap().to_vec(), vec![1.0, 2.0]);
    }

    #[test]
    fn nonfinite_norm_is_an_error_only_when_asked() {
        let ps = [
            param(Some(vec![f64::NAN, 1.0])),
            param(Some(vec![1.0, 1.0])),
        ];
        let e = ClipGradNorm::new(1.0)
            .error_if_nonfinite(true)
            .apply(&ps)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "clip_grad_norm: the total norm of order 2 of the gradients is NaN, so it cannot be clipped; turn error_if_nonfinite off to scale by it anyway"
        );
        assert_eq!(ps[1].grad().unwrap().to_vec(), vec![1.0, 1.0]);
        let total = ClipGradNorm::new(1.0)
            .norm_type(f64::INFINITY)
            .apply(&ps)
            .unwrap();
        assert!(total.is_nan());
        assert!(ps[1].grad().unwrap().to_vec().iter().all(|x| x.is_nan()));
    }

    #[test]
    fn no_gradients_give_zero() {
        let ps = [param(None)];
        assert_eq!(clip_grad_norm(&ps, 1.0, 2.0).unwrap(), 0.0);
        assert!(ps[0].grad().is_none());
        clip_grad_value(&ps, 1.0).unwrap();
        assert_eq!(grad_norm::<f64>(&[], 2.0).unwrap(), 0.0);
    }
}
