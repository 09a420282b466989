//! Means: Welch's unequal-variance t-test.

use serde::{Deserialize, Serialize};

use super::check_confidence;
use crate::error::{AnalyticsError, Result};
use crate::stats::{student_t_cdf, student_t_quantile, student_t_sf};

/// Summary statistics of one group of a continuous metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Number of observations.
    pub n: u64,
    /// Sample mean.
    pub mean: f64,
    /// Unbiased sample variance (divisor n − 1).
    pub variance: f64,
}

impl GroupSummary {
    /// The summary of `values`.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] with fewer than 2 values or a non-finite one.
    pub fn from_values(values: &[f64]) -> Result<Self> {
        const OP: &str = "summarise group";
        if values.len() < 2 {
            return Err(AnalyticsError::invalid(
                OP,
                format!("needs at least 2 observations, got {}", values.len()),
            ));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(AnalyticsError::invalid(
                OP,
                format!("observation {i} is {}", values[i]),
            ));
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
        Ok(GroupSummary {
            n: values.len() as u64,
            mean,
            variance,
        })
    }
}

/// The result of [`welch_t_test`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WelchTest {
    /// Group A's summary.
    pub a: GroupSummary,
    /// Group B's summary.
    pub b: GroupSummary,
    /// mean_B − mean_A.
    pub difference: f64,
    /// √(s²_A/n_A + s²_B/n_B).
    pub standard_error: f64,
    /// t = difference / standard error.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom
    /// (s²_A/n_A + s²_B/n_B)² / ((s²_A/n_A)²/(n_A − 1) + (s²_B/n_B)²/(n_B − 1)).
    pub df: f64,
    /// P(|T| ≥ |t|).
    pub p_value_two_sided: f64,
    /// P(T ≥ t): H₁ mean_B > mean_A.
    pub p_value_greater: f64,
    /// P(T ≤ t): H₁ mean_B < mean_A.
    pub p_value_less: f64,
    /// The confidence level of the interval.
    pub confidence: f64,
    /// Lower end of difference ± t_{df, 1−(1−c)/2} · standard error.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
}

/// Welch's unequal-variance t-test of H₀ mean_A = mean_B on raw observations (revenue per
/// user, ...); scipy's `ttest_ind(equal_var=False)` and R's `t.test` default.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] if a group has fewer than 2 observations or a
/// non-finite one, `confidence` is not in (0, 1), or both variances are 0.
///
/// # Examples
/// ```
/// use youshi_user_analytics::abtest::welch_t_test;
/// let a = [3.0, 4.0, 5.0, 4.0];
/// let b = [6.0, 7.0, 5.0, 8.0, 9.0];
/// let t = welch_t_test(&a, &b, 0.95)?;
/// assert!((t.difference - 3.0).abs() < 1e-12);
/// assert!(t.p_value_two_sided < 0.05);
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn welch_t_test(a: &[f64], b: &[f64], confidence: f64) -> Result<WelchTest> {
    welch_t_test_from_summaries(
        GroupSummary::from_values(a)?,
        GroupSummary::from_values(b)?,
        confidence,
    )
}

/// [`welch_t_test`] from each group's size, mean and variance.
///
/// # Errors
/// As [`welch_t_test`], and if a variance is negative or a mean non-finite.
pub fn welch_t_test_from_summaries(
    a: GroupSummary,
    b: GroupSummary,
    confidence: f64,
) -> Result<WelchTest> {
    const OP: &str = "Welch t-test";
    check_confidence(OP, confidence)?;
    for (name, g) in [("A", a), ("B", b)] {
        if g.n < 2 {
            return Err(AnalyticsError::invalid(
                OP,
                format!(
                    "group {name} has n = {} observations, needs at least 2",
                    g.n
                ),
            ));
        }
        if !(g.variance >= 0.0 && g.variance.is_finite() && g.mean.is_finite()) {
            return Err(AnalyticsError::invalid(
                OP,
                format!(
                    "group {name} has mean {} and variance {}",
                    g.mean, g.variance
                ),
            ));
        }
    }
    let va = a.variance / a.n as f64;
    let vb = b.variance / b.n as f64;
    let se2 = va + vb;
    if se2 == 0.0 {
        return Err(AnalyticsError::invalid(
            OP,
            "both groups have zero variance: the test is undefined",
        ));
    }
    let se = se2.sqrt();
    let diff = b.mean - a.mean;
    let t = diff / se;
    let df = se2 * se2 / (va * va / (a.n as f64 - 1.0) + vb * vb / (b.n as f64 - 1.0));
    let crit = student_t_quantile(0.5 + 0.5 * confidence, df)?;
    let sf = student_t_sf(t.abs(), df)?;
    Ok(WelchTest {
        a,
        b,
        difference: diff,
        standard_error: se,
        t,
        df,
        p_value_two_sided: (2.0 * sf).min(1.0),
        p_value_greater: student_t_sf(t, df)?,
        p_value_less: student_t_cdf(t, df)?,
        confidence,
        ci_low: diff - crit * se,
        ci_high: diff + crit * se,
    })
}
