//! The Gaussian hypergeometric function ₂F₁(a, b; c; z) for real parameters and −1 < z < 1, as
//! needed by the BG/NBD expectations.
//!
//! ```
//! use youshi_user_analytics::clv::hypergeometric::hyp2f1;
//! // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z.
//! let z: f64 = 0.9;
//! assert!((hyp2f1(1.0, 1.0, 2.0, z)? + (1.0 - z).ln() / z).abs() < 1e-13);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use crate::error::{AnalyticsError, Result};

/// Terms allowed in one power series.
const MAX_TERMS: usize = 2_000_000;
/// Above this |z| the direct series is replaced by a transformation.
const SERIES_LIMIT: f64 = 0.75;
/// c − a − b closer than this to an integer makes the 1 − z connection formula ill-conditioned.
const NEAR_INTEGER: f64 = 1e-3;

/// ₂F₁(a, b; c; z) = Σₙ (a)ₙ (b)ₙ / ((c)ₙ n!) zⁿ for −1 < z < 1.
///
/// - |z| ≤ 0.75: the power series, summed until a term falls below 10⁻¹⁶ of the sum while the
///   terms shrink.
/// - z < −0.75: Pfaff's transformation (1 − z)^(−a) ₂F₁(a, c − b; c; z/(z − 1)), whose
///   argument lies in (0.43, 0.5).
/// - z > 0.75: the connection formula to 1 − z (Abramowitz and Stegun 15.3.6), two series in
///   1 − z < 0.25 with Γ-function weights; when c − a − b is within 10⁻³ of an integer, where
///   that formula degenerates, the direct series is summed instead (up to 2 × 10⁶ terms).
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] if z is outside (−1, 1), a parameter is not finite, or
/// c is a non-positive integer; [`AnalyticsError::NotConverged`] with the partial sum if a
/// series has not converged within 2 × 10⁶ terms (z extremely close to 1 with c − a − b near
/// an integer).
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    const OP: &str = "hypergeometric 2F1";
    if !(a.is_finite() && b.is_finite() && c.is_finite() && z > -1.0 && z < 1.0) {
        return Err(AnalyticsError::invalid(
            OP,
            format!("needs finite a, b, c and -1 < z < 1, got a = {a}, b = {b}, c = {c}, z = {z}"),
        ));
    }
    if is_non_positive_integer(c) {
        return Err(AnalyticsError::invalid(
            OP,
            format!("c = {c} is a non-positive integer"),
        ));
    }
    if z.abs() <= SERIES_LIMIT {
        return series(a, b, c, z);
    }
    if z < 0.0 {
        let w = z / (z - 1.0);
        return Ok((1.0 - z).powf(-a) * series(a, c - b, c, w)?);
    }
    let s = c - a - b;
    if (s - s.round()).abs() < NEAR_INTEGER {
        return series(a, b, c, z);
    }
    // F(a, b; c; z) = Γ(c)Γ(s)/(Γ(c−a)Γ(c−b)) F(a, b; 1−s; 1−z)
    //              + (1−z)^s Γ(c)Γ(−s)/(Γ(a)Γ(b)) F(c−a, c−b; 1+s; 1−z),   s = c − a − b.
    let w = 1.0 - z;
    let first = gamma_ratio(&[c, s], &[c - a, c - b]);
    let second = gamma_ratio(&[c, -s], &[a, b]);
    let mut total = 0.0;
    if let Some((ln, sign)) = first {
        total += sign * (ln.exp() * series(a, b, 1.0 - s, w)?);
    }
    if let Some((ln, sign)) = second {
        total += sign * (ln + s * w.ln()).exp() * series(c - a, c - b, 1.0 + s, w)?;
    }
    Ok(total)
}

fn is_non_positive_integer(v: f64) -> bool {
    v <= 0.0 && v == v.round()
}

/// ln|Π Γ(num) / Π Γ(den)| and its sign; `None` when a denominator argument is a non-positive
/// integer (1/Γ = 0 there, so the term vanishes).
fn gamma_ratio(num: &[f64], den: &[f64]) -> Option<(f64, f64)> {
    if den.iter().any(|&v| is_non_positive_integer(v)) {
        return None;
    }
    let mut ln = 0.0;
    let mut sign = 1.0;
    for &v in num {
        let (l, s) = libm::lgamma_r(v);
        ln += l;
        sign *= f64::from(s);
    }
    for &v in den {
        let (l, s) = libm::lgamma_r(v);
        ln -= l;
        sign *= f64::from(s);
    }
    Some((ln, sign))
}

/// The power series of ₂F₁ with a convergence check.
fn series(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 0..MAX_TERMS {
        let nf = n as f64;
        let ratio = (a + nf) * (b + nf) / ((c + nf) * (nf + 1.0)) * z;
        term *= ratio;
        sum += term;
        if term == 0.0 {
            // a or b is a non-positive integer: the series terminates.
            return Ok(sum);
        }
        if term.abs() <= 1e-16 * sum.abs() && ratio.abs() < 1.0 {
            return Ok(sum);
        }
    }
    Err(AnalyticsError::NotConverged {
        op: "hypergeometric 2F1",
        iterations: MAX_TERMS,
        reason: format!("series for a = {a}, b = {b}, c = {c}, z = {z} still changing"),
        last_estimate: format!("{sum}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Values written by `tests/fixtures/clv.py` with mpmath at 30 significant digits.
    #[derive(Deserialize)]
    struct Fixture {
        hyp2f1: Vec<[f64; 5]>,
    }

    #[test]
    fn matches_mpmath() {
        let f: Fixture =
            serde_json::from_str(include_str!("../../tests/fixtures/clv.json")).unwrap();
        assert!(f.hyp2f1.len() > 20);
        for [a, b, c, z, want] in f.hyp2f1 {
            let got = hyp2f1(a, b, c, z).unwrap();
            assert!(
                (got - want).abs() <= 1e-11 * want.abs(),
                "2F1({a}, {b}; {c}; {z}) = {got}, mpmath {want}"
            );
        }
    }

    #[test]
    fn closed_forms() {
        for z in [-0.95, -0.5, 0.1, 0.5, 0.8, 0.99] {
            // ₂F₁(a, b; b; z) = (1 − z)^(−a).
            let got = hyp2f1(0.7, 2.5, 2.5, z).unwrap();
            assert!((got - (1.0 - z).powf(-0.7)).abs() < 1e-12 * got, "z = {z}");
        }
        // Terminating series: ₂F₁(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1)).
        let (b, c, z) = (1.5, 3.0, 0.9);
        let want = 1.0 - 2.0 * b * z / c + b * (b + 1.0) * z * z / (c * (c + 1.0));
        assert!((hyp2f1(-2.0, b, c, z).unwrap() - want).abs() < 1e-14);
    }

    #[test]
    fn rejects_arguments_outside_the_domain() {
        let e = hyp2f1(1.0, 1.0, 2.0, 1.0).unwrap_err().to_string();
        assert!(e.contains("z = 1"), "{e}");
        let e = hyp2f1(1.0, 1.0, -2.0, 0.5).unwrap_err().to_string();
        assert!(e.contains("c = -2 is a non-positive integer"), "{e}");
        assert!(hyp2f1(f64::NAN, 1.0, 2.0, 0.5).is_err());
        // Near z = 1 with c − a − b = 0 the series needs too many terms.
        let e = hyp2f1(1.0, 1.0, 2.0, 1.0 - 1e-9).unwrap_err().to_string();
        assert!(
            e.contains("did not converge") && e.contains("last estimate"),
            "{e}"
        );
    }
}
