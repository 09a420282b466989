//! A/B tests: the two-proportion z-test, sample size, power and minimum detectable effect for
//! conversion rates, Welch's t-test for means (revenue per user), the chi-square test across
//! several variants, and Bonferroni and Holm corrections for multiple comparisons.
//!
//! Differences are always "B minus A": variant B is the treatment, A the control.
//!
//! ```
//! use youshi_user_analytics::abtest::{sample_size_two_proportions, two_proportion_z_test, Sides};
//!
//! // 10% conversion in A, 12% in B, 2,000 users each.
//! let test = two_proportion_z_test(200, 2000, 240, 2000, 0.95)?;
//! assert!((test.z - 2.02133).abs() < 1e-5);
//! assert!(test.p_value_two_sided < 0.05);
//!
//! // Users per group to detect 10% -> 12% with alpha 0.05 and power 0.8 (R: 3840.847).
//! let n = sample_size_two_proportions(0.10, 0.02, 0.05, 0.8, Sides::Two)?;
//! assert_eq!(n.n_per_group_rounded, 3841);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

mod contingency;
mod corrections;
mod means;
mod proportions;

pub use contingency::{chi_square_independence, chi_square_test, ChiSquareTest};
pub use corrections::{bonferroni, holm};
pub use means::{welch_t_test, welch_t_test_from_summaries, GroupSummary, WelchTest};
pub use proportions::{
    minimum_detectable_effect, power_two_proportions, sample_size_two_proportions,
    two_proportion_z_test, ProportionTest, SampleSize,
};

use serde::{Deserialize, Serialize};

use crate::error::{AnalyticsError, Result};

/// Whether a test or a sample-size calculation is two-sided or one-sided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sides {
    /// H₁: the two groups differ (critical value z₁₋α/₂).
    Two,
    /// H₁: the difference has the expected sign (critical value z₁₋α).
    One,
}

pub(crate) fn check_confidence(op: &'static str, confidence: f64) -> Result<()> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(AnalyticsError::invalid(
            op,
            format!("confidence level {confidence} is not strictly between 0 and 1"),
        ))
    }
}

pub(crate) fn check_group(
    op: &'static str,
    name: &str,
    conversions: u64,
    users: u64,
) -> Result<()> {
    if users == 0 {
        return Err(AnalyticsError::invalid(
            op,
            format!("group {name} has n = 0 users"),
        ));
    }
    if conversions > users {
        return Err(AnalyticsError::invalid(
            op,
            format!("group {name} has {conversions} conversions but only {users} users"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
