//! Gradient checking against central finite differences, like `torch.autograd.gradcheck`.

use youshi_tensor::{seeded_rng, Tensor};

use crate::error::{AutogradError, Result};
use crate::graph::{Graph, Var};

/// Step and tolerances of [`gradcheck`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradcheckOptions {
    /// Finite-difference step (default `1e-6`).
    pub eps: f64,
    /// Absolute tolerance (default `1e-5`).
    pub atol: f64,
    /// Relative tolerance, against the numeric derivative (default `1e-3`).
    pub rtol: f64,
    /// Seed of the random projection of non-scalar outputs (default 0).
    pub seed: u64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
            seed: 0,
        }
    }
}

/// What [`gradcheck`] measured: the worst element over all inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct GradcheckReport {
    /// Number of derivatives compared.
    pub checked: usize,
    /// Largest `|analytic - numeric|`.
    pub max_abs_err: f64,
}

/// Compares the analytic gradient of `f` with central finite differences, in `f64`.
///
/// `f` receives a fresh graph and one leaf per input and returns the output. A non-scalar
/// output `y` is reduced to the scalar `<y, r>` with a fixed random `r`, so every output
/// element takes part. For each input element `x_i` the numeric derivative is
/// `(L(x + eps e_i) - L(x - eps e_i)) / (2 eps)`; the check passes when
/// `|analytic - numeric| <= atol + rtol * |numeric|` everywhere. Avoid kinks (relu at 0, ties
/// in max) in the inputs: finite differences are wrong there.
///
/// # Errors
/// [`AutogradError::GradcheckFailed`] naming the input, the element's index and both values
/// for the worst element when the check fails; any error `f` returns.
///
/// # Examples
/// ```
/// use youshi_autograd::{gradcheck, GradcheckOptions};
/// use youshi_tensor::Tensor;
/// let a = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.25], [2, 2])?;
/// let b = Tensor::from_vec(vec![1.5, 0.5, -0.5, 1.0], [2, 2])?;
/// let report = gradcheck(|_g, x| x[0].matmul(&x[1]), &[a, b], GradcheckOptions::default())?;
/// assert_eq!(report.checked, 8);
/// # Ok::<(), youshi_autograd::AutogradError>(())
/// ```
pub fn gradcheck<F>(f: F, inputs: &[Tensor<f64>], opts: GradcheckOptions) -> Result<GradcheckReport>
where
    F: Fn(&Graph<f64>, &[Var<f64>]) -> Result<Var<f64>>,
{
    // Analytic gradients.
    let g = Graph::<f64>::new();
    let leaves: Vec<Var<f64>> = inputs.iter().map(|t| g.leaf(t.clone())).collect();
    let out = f(&g, &leaves)?;
    let proj = Tensor::<f64>::rand_uniform(out.shape(), 0.5, 1.5, &mut seeded_rng(opts.seed))?;
    if out.requires_grad() {
        out.backward_with(&proj)?;
    }
    let analytic: Vec<Vec<f64>> = leaves
        .iter()
        .zip(inputs)
        .map(|(l, t)| {
            l.grad()
                .map(|g| g.to_vec())
                .unwrap_or_else(|| vec![0.0; t.numel()])
        })
        .collect();
    // Numeric gradients, on graphs that record nothing.
    let loss = |xs: &[Tensor<f64>]| -> Result<f64> {
        let g = Graph::<f64>::no_grad();
        let vars: Vec<Var<f64>> = xs.iter().map(|t| g.constant(t.clone())).collect();
        let y = f(&g, &vars)?;
        if y.shape() != proj.shape() {
            return Err(AutogradError::InvalidArgument {
                op: "gradcheck",
                reason: format!(
                    "the function's output shape changed from {} to {}",
                    proj.shape_obj(),
                    y.value().shape_obj()
                ),
            });
        }
        Ok(y.value()
            .to_vec()
            .iter()
            .zip(proj.to_vec())
            .map(|(a, b)| a * b)
            .sum())
    };
    let mut xs: Vec<Tensor<f64>> = inputs.iter().map(|t| t.contiguous()).collect();
    let mut checked = 0;
    let mut worst: Option<AutogradError> = None;
    let mut worst_excess = 0.0;
    let mut max_abs_err: f64 = 0.0;
    for input in 0..xs.len() {
        let shape = xs[input].shape().to_vec();
        for flat in 0..xs[input].numel() {
            let orig = xs[input].to_vec()[flat];
            let set = |xs: &mut Vec<Tensor<f64>>, v: f64| {
                let mut data = xs[input].to_vec();
                data[flat] = v;
                xs[input] = Tensor::from_vec(data, shape.clone()).expect("same shape");
            };
            set(&mut xs, orig + opts.eps);
            let up = loss(&xs)?;
            set(&mut xs, orig - opts.eps);
            let down = loss(&xs)?;
            set(&mut xs, orig);
            let numeric = (up - down) / (2.0 * opts.eps);
            let a = analytic[input][flat];
            let err = (a - numeric).abs();
            let tol = opts.atol + opts.rtol * numeric.abs();
            max_abs_err = max_abs_err.max(err);
            checked += 1;
            // NaN errors count as failures.
            let within = err <= tol;
            if !within && (err - tol >= worst_excess || worst.is_none()) {
                worst_excess = err - tol;
                worst = Some(AutogradError::GradcheckFailed {
                    input,
                    index: unravel(flat, &shape),
                    analytic: a,
                    numeric,
                    abs_err: err,
                    tol,
                });
            }
        }
    }
    match worst {
        Some(e) => Err(e),
        None => Ok(GradcheckReport {
            checked,
            max_abs_err,
        }),
    }
}

fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (i, &d) in shape.iter().enumerate().rev() {
        if d > 0 {
            idx[i] = flat % d;
            flat /= d;
        }
    }
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_worst_element_of_a_wrong_gradient() {
        // A deliberately wrong backward: claims d(2x)/dx = 1.
        let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], [3]).unwrap();
        let err = gradcheck(
            |_g, v| {
                let value = v[0].value().map(|a| 2.0 * a);
                Var::record("double_wrong", &[&v[0]], value, |g| {
                    Ok(vec![Some(g.clone())])
                })
            },
            &[x],
            GradcheckOptions::default(),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("gradcheck: input 0 element ["), "{msg}");
        assert!(matches!(
            err,
            AutogradError::GradcheckFailed { input: 0, .. }
        ));
    }

    #[test]
    fn unravel_is_row_major() {
        assert_eq!(unravel(5, &[2, 3]), vec![1, 2]);
        assert_eq!(unravel(0, &[]), Vec::<usize>::new());
    }
}
