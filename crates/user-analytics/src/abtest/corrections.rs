//! Multiple comparisons: Bonferroni and Holm adjusted p-values.

use crate::error::{AnalyticsError, Result};

fn check_p_values(op: &'static str, p_values: &[f64]) -> Result<()> {
    if let Some(i) = p_values.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(AnalyticsError::invalid(
            op,
            format!("p-value {i} is {}, not in [0, 1]", p_values[i]),
        ));
    }
    Ok(())
}

/// Bonferroni-adjusted p-values min(1, m · pᵢ) for m tests, in the input order (R's
/// `p.adjust(method = "bonferroni")`).
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] if a p-value is outside [0, 1] or NaN.
pub fn bonferroni(p_values: &[f64]) -> Result<Vec<f64>> {
    check_p_values("Bonferroni correction", p_values)?;
    let m = p_values.len() as f64;
    Ok(p_values.iter().map(|p| (p * m).min(1.0)).collect())
}

/// Holm's step-down adjusted p-values, in the input order (R's `p.adjust(method = "holm")`):
/// with p₍₁₎ ≤ … ≤ p₍ₘ₎ sorted, the adjusted p₍ᵢ₎ is max_{j ≤ i} min(1, (m − j + 1) p₍ⱼ₎).
/// Rejecting where the adjusted value is ≤ α controls the family-wise error rate at α, and is
/// never less powerful than Bonferroni.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] if a p-value is outside [0, 1] or NaN.
///
/// # Examples
/// ```
/// use youshi_user_analytics::abtest::holm;
/// let adj = holm(&[0.01, 0.04, 0.03])?;
/// for (got, want) in adj.iter().zip([0.03, 0.06, 0.06]) {
///     assert!((got - want).abs() < 1e-15);
/// }
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn holm(p_values: &[f64]) -> Result<Vec<f64>> {
    check_p_values("Holm correction", p_values)?;
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]).then(i.cmp(&j)));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        let v = ((m - rank) as f64 * p_values[i]).min(1.0);
        running = running.max(v);
        adjusted[i] = running;
    }
    Ok(adjusted)
}
