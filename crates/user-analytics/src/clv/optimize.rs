//! Derivative-free minimisation by the Nelder–Mead simplex method with restarts, used to fit
//! the lifetime-value models by maximum likelihood on log-parameters.
//!
//! ```
//! use youshi_user_analytics::clv::optimize::{nelder_mead, NelderMeadOptions};
//! // Rosenbrock's banana, minimum 0 at (1, 1).
//! let rosen = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
//! let m = nelder_mead(rosen, &[-1.2, 1.0], &NelderMeadOptions::default())?;
//! assert!(m.converged);
//! assert!((m.x[0] - 1.0).abs() < 1e-6 && (m.x[1] - 1.0).abs() < 1e-6);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{AnalyticsError, Result};

/// Settings of [`nelder_mead`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NelderMeadOptions {
    /// Iterations allowed in all runs together (default 20,000).
    pub max_iterations: usize,
    /// A run has converged when every vertex is within `xtol` of the best one in every
    /// coordinate (default 1e-10) ...
    pub xtol: f64,
    /// ... and every vertex's value is within `ftol` of the best one (default 1e-10).
    pub ftol: f64,
    /// The initial simplex is the start point and the start point moved by `initial_step` along
    /// each axis (default 0.5; on log-parameters a factor of e^0.5).
    pub initial_step: f64,
    /// Fresh simplices built around the best point after a run converges (default 5). Restarts
    /// stop early once one improves the value by no more than `ftol`; they guard against the
    /// simplex collapsing onto a non-stationary point.
    pub restarts: usize,
}

impl Default for NelderMeadOptions {
    fn default() -> Self {
        NelderMeadOptions {
            max_iterations: 20_000,
            xtol: 1e-10,
            ftol: 1e-10,
            initial_step: 0.5,
            restarts: 5,
        }
    }
}

/// The outcome of [`nelder_mead`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Minimum {
    /// The best point found.
    pub x: Vec<f64>,
    /// The objective there.
    pub value: f64,
    /// Iterations used (all runs).
    pub iterations: usize,
    /// Objective evaluations (all runs).
    pub evaluations: usize,
    /// Restarts performed.
    pub restarts: usize,
    /// Whether the last run met the tolerances before the iteration budget ran out.
    pub converged: bool,
}

/// Minimises `f` from `x0` by the Nelder–Mead simplex method (reflection 1, expansion 2,
/// contraction ½, shrink ½), then restarts from the best point up to
/// [`NelderMeadOptions::restarts`] times. Non-finite objective values count as +∞, so the
/// simplex backs away from where the objective is undefined.
///
/// Running out of iterations is reported through [`Minimum::converged`] with the best point
/// so far, so that the caller can name its parameters in an
/// [`AnalyticsError::NotConverged`] error.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] if `x0` is empty or non-finite, the options are not
/// positive, or `f(x0)` is not finite.
pub fn nelder_mead(
    mut f: impl FnMut(&[f64]) -> f64,
    x0: &[f64],
    options: &NelderMeadOptions,
) -> Result<Minimum> {
    const OP: &str = "Nelder-Mead";
    if x0.is_empty() || x0.iter().any(|v| !v.is_finite()) {
        return Err(AnalyticsError::invalid(
            OP,
            format!("start point {x0:?} must be non-empty and finite"),
        ));
    }
    if !(options.xtol > 0.0 && options.ftol > 0.0 && options.initial_step > 0.0)
        || options.max_iterations == 0
    {
        return Err(AnalyticsError::invalid(
            OP,
            format!("tolerances, step and iteration budget must be positive, got {options:?}"),
        ));
    }
    let f0 = f(x0);
    if !f0.is_finite() {
        return Err(AnalyticsError::invalid(
            OP,
            format!("objective is {f0} at the start point {x0:?}"),
        ));
    }
    let mut evaluations = 1;
    let mut eval = |x: &[f64], evaluations: &mut usize| {
        *evaluations += 1;
        let v = f(x);
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    };
    let mut best = x0.to_vec();
    let mut best_f = f0;
    let mut iterations = 0;
    let mut restarts = 0;
    loop {
        let (x, fx, converged) = run(
            &mut eval,
            &best,
            best_f,
            options,
            &mut iterations,
            &mut evaluations,
        );
        let improvement = best_f - fx;
        if fx <= best_f {
            best = x;
            best_f = fx;
        }
        if !converged {
            return Ok(Minimum {
                x: best,
                value: best_f,
                iterations,
                evaluations,
                restarts,
                converged: false,
            });
        }
        if restarts >= options.restarts || (restarts > 0 && improvement <= options.ftol) {
            return Ok(Minimum {
                x: best,
                value: best_f,
                iterations,
                evaluations,
                restarts,
                converged: true,
            });
        }
        restarts += 1;
    }
}

/// One simplex run from `start`; returns the best vertex, its value and whether it converged
/// within the remaining iteration budget.
fn run(
    eval: &mut impl FnMut(&[f64], &mut usize) -> f64,
    start: &[f64],
    f_start: f64,
    options: &NelderMeadOptions,
    iterations: &mut usize,
    evaluations: &mut usize,
) -> (Vec<f64>, f64, bool) {
    let n = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.to_vec(), f_start));
    for i in 0..n {
        let mut v = start.to_vec();
        v[i] += options.initial_step;
        let fv = eval(&v, evaluations);
        simplex.push((v, fv));
    }
    let point = |base: &[f64], toward: &[f64], t: f64| -> Vec<f64> {
        base.iter()
            .zip(toward)
            .map(|(b, w)| b + t * (w - b))
            .collect()
    };
    loop {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, f_best) = (&simplex[0].0, simplex[0].1);
        let x_spread = simplex[1..]
            .iter()
            .flat_map(|(v, _)| v.iter().zip(best).map(|(a, b)| (a - b).abs()))
            .fold(0.0f64, f64::max);
        let f_spread = simplex[1..]
            .iter()
            .map(|(_, fv)| (fv - f_best).abs())
            .fold(0.0f64, f64::max);
        if x_spread <= options.xtol && f_spread <= options.ftol {
            return (simplex[0].0.clone(), f_best, true);
        }
        if *iterations >= options.max_iterations {
            return (simplex[0].0.clone(), f_best, false);
        }
        *iterations += 1;
        // Centroid of all vertices but the worst.
        let mut centroid = vec![0.0; n];
        for (v, _) in &simplex[..n] {
            for (c, x) in centroid.iter_mut().zip(v) {
                *c += x / n as f64;
            }
        }
        let worst = simplex[n].0.clone();
        let f_worst = simplex[n].1;
        let f_second = simplex[n - 1].1.max(f_best);
        // Reflection: centroid + (centroid − worst).
        let xr = point(&centroid, &worst, -1.0);
        let fr = eval(&xr, evaluations);
        if fr < f_best {
            let xe = point(&centroid, &worst, -2.0);
            let fe = eval(&xe, evaluations);
            simplex[n] = if fe < fr { (xe, fe) } else { (xr, fr) };
            continue;
        }
        if fr < f_second {
            simplex[n] = (xr, fr);
            continue;
        }
        // Contraction, outside if the reflection improved on the worst, else inside.
        let (xc, fc) = if fr < f_worst {
            let xc = point(&centroid, &worst, -0.5);
            let fc = eval(&xc, evaluations);
            (xc, fc)
        } else {
            let xc = point(&centroid, &worst, 0.5);
            let fc = eval(&xc, evaluations);
            (xc, fc)
        };
        if fc < fr.min(f_worst) {
            simplex[n] = (xc, fc);
            continue;
        }
        // Shrink towards the best vertex.
        let best = simplex[0].0.clone();
        for vertex in simplex.iter_mut().skip(1) {
            let v = point(&best, &vertex.0, 0.5);
            let fv = eval(&v, evaluations);
            *vertex = (v, fv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_minimum_of_a_quadratic_in_four_dimensions() {
        let centre = [1.5, -2.0, 0.25, 3.0];
        let f = |x: &[f64]| {
            x.iter()
                .zip(&centre)
                .enumerate()
                .map(|(i, (a, c))| (i as f64 + 1.0) * (a - c) * (a - c))
                .sum::<f64>()
        };
        let m = nelder_mead(f, &[0.0; 4], &NelderMeadOptions::default()).unwrap();
        assert!(m.converged);
        for (x, c) in m.x.iter().zip(&centre) {
            assert!((x - c).abs() < 1e-6, "{:?}", m.x);
        }
        assert!(m.value < 1e-12);
    }

    #[test]
    fn backs_away_from_undefined_regions() {
        // ln is undefined for x <= 0; the minimum of x - ln x is at x = 1.
        let f = |x: &[f64]| x[0] - x[0].ln();
        let m = nelder_mead(f, &[0.3], &NelderMeadOptions::default()).unwrap();
        assert!((m.x[0] - 1.0).abs() < 1e-6, "{:?}", m.x);
    }

    #[test]
    fn reports_running_out_of_iterations() {
        let rosen = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let opts = NelderMeadOptions {
            max_iterations: 10,
            ..Default::default()
        };
        let m = nelder_mead(rosen, &[-1.2, 1.0], &opts).unwrap();
        assert!(!m.converged);
        assert_eq!(m.iterations, 10);
        assert!(m.value < rosen(&[-1.2, 1.0]));
    }

    #[test]
    fn rejects_bad_start() {
        let f = |x: &[f64]| x[0].ln();
        let e = nelder_mead(f, &[-1.0], &NelderMeadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("objective is NaN at the start point [-1.0]"),
            "{e}"
        );
        let e = nelder_mead(f, &[], &NelderMeadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("non-empty"), "{e}");
        let opts = NelderMeadOptions {
            xtol: 0.0,
            ..Default::default()
        };
        assert!(nelder_mead(f, &[1.0], &opts).is_err());
    }
}
