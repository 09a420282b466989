//! Conversion rates: the two-proportion z-test, sample size, power and minimum detectable
//! effect.

use serde::{Deserialize, Serialize};

use super::{check_confidence, check_group, Sides};
use crate::error::{AnalyticsError, Result};
use crate::stats::{normal_cdf, normal_quantile, normal_sf};

/// The result of [`two_proportion_z_test`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProportionTest {
    /// Conversions in A.
    pub conversions_a: u64,
    /// Users in A.
    pub users_a: u64,
    /// Conversions in B.
    pub conversions_b: u64,
    /// Users in B.
    pub users_b: u64,
    /// p̂_A = conversions_a / users_a.
    pub rate_a: f64,
    /// p̂_B.
    pub rate_b: f64,
    /// p̂_B − p̂_A.
    pub difference: f64,
    /// p̂_B / p̂_A − 1; `None` when p̂_A = 0.
    pub relative_lift: Option<f64>,
    /// The pooled rate p̂ = (x_A + x_B) / (n_A + n_B).
    pub pooled_rate: f64,
    /// The pooled standard error √(p̂(1 − p̂)(1/n_A + 1/n_B)) used for z.
    pub standard_error_pooled: f64,
    /// z = (p̂_B − p̂_A) / pooled standard error.
    pub z: f64,
    /// P(|Z| ≥ |z|): H₁ p_B ≠ p_A.
    pub p_value_two_sided: f64,
    /// P(Z ≥ z): H₁ p_B > p_A.
    pub p_value_greater: f64,
    /// P(Z ≤ z): H₁ p_B < p_A.
    pub p_value_less: f64,
    /// The confidence level of the interval (0.95).
    pub confidence: f64,
    /// The unpooled (Wald) standard error √(p̂_A(1 − p̂_A)/n_A + p̂_B(1 − p̂_B)/n_B) used for
    /// the interval.
    pub standard_error_unpooled: f64,
    /// Lower end of the Wald interval of p_B − p_A.
    pub ci_low: f64,
    /// Upper end of the Wald interval.
    pub ci_high: f64,
}

/// The two-proportion z-test of H₀ p_A = p_B with the pooled standard error (the test of R's
/// `prop.test(correct = FALSE)`, whose chi-square statistic is z²), with one- and two-sided
/// p-values and a Wald confidence interval of p_B − p_A at level `confidence` using the
/// unpooled standard error: (p̂_B − p̂_A) ± z₁₋₍₁₋c₎/₂ · SE_unpooled.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] if a group has no users, more conversions than users,
/// `confidence` is not in (0, 1), or the pooled rate is 0 or 1 (no variation: z is undefined).
///
/// # Examples
/// ```
/// use youshi_user_analytics::abtest::two_proportion_z_test;
/// let t = two_proportion_z_test(120, 1000, 150, 1000, 0.95)?;
/// assert!((t.difference - 0.03).abs() < 1e-12);
/// assert!(t.ci_low < 0.03 && 0.03 < t.ci_high);
/// assert!(two_proportion_z_test(5, 0, 1, 10, 0.95).is_err());
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn two_proportion_z_test(
    conversions_a: u64,
    users_a: u64,
    conversions_b: u64,
    users_b: u64,
    confidence: f64,
) -> Result<ProportionTest> {
    const OP: &str = "two-proportion z-test";
    check_group(OP, "A", conversions_a, users_a)?;
    check_group(OP, "B", conversions_b, users_b)?;
    check_confidence(OP, confidence)?;
    let (xa, na, xb, nb) = (
        conversions_a as f64,
        users_a as f64,
        conversions_b as f64,
        users_b as f64,
    );
    let (pa, pb) = (xa / na, xb / nb);
    let pooled = (xa + xb) / (na + nb);
    if pooled == 0.0 || pooled == 1.0 {
        return Err(AnalyticsError::invalid(
            OP,
            format!("pooled conversion rate is {pooled}: with no variation the test is undefined"),
        ));
    }
    let se_pooled = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    let diff = pb - pa;
    let z = diff / se_pooled;
    let se_unpooled = (pa * (1.0 - pa) / na + pb * (1.0 - pb) / nb).sqrt();
    let crit = normal_quantile(0.5 + 0.5 * confidence)?;
    Ok(ProportionTest {
        conversions_a,
        users_a,
        conversions_b,
        users_b,
        rate_a: pa,
        rate_b: pb,
        difference: diff,
        relative_lift: (pa > 0.0).then(|| pb / pa - 1.0),
        pooled_rate: pooled,
        standard_error_pooled: se_pooled,
        z,
        p_value_two_sided: (2.0 * normal_sf(z.abs())).min(1.0),
        p_value_greater: normal_sf(z),
        p_value_less: normal_cdf(z),
        confidence,
        standard_error_unpooled: se_unpooled,
        ci_low: diff - crit * se_unpooled,
        ci_high: diff + crit * se_unpooled,
    })
}

/// The result of [`sample_size_two_proportions`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSize {
    /// The baseline rate p₁.
    pub baseline: f64,
    /// The rate to detect, p₂ = p₁ + minimum detectable effect.
    pub target: f64,
    /// The significance level α.
    pub alpha: f64,
    /// The power 1 − β.
    pub power: f64,
    /// Two- or one-sided.
    pub sides: Sides,
    /// The exact solution n of the power equation, per group.
    pub n_per_group: f64,
    /// `n_per_group` rounded up: the users to enrol in each group.
    pub n_per_group_rounded: u64,
}

fn critical_value(op: &'static str, alpha: f64, sides: Sides) -> Result<f64> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(AnalyticsError::invalid(
            op,
            format!("significance level alpha = {alpha} is not strictly between 0 and 1"),
        ));
    }
    normal_quantile(match sides {
        Sides::Two => 1.0 - alpha / 2.0,
        Sides::One => 1.0 - alpha,
    })
}

fn check_rate(op: &'static str, name: &str, p: f64) -> Result<()> {
    if p > 0.0 && p < 1.0 {
        Ok(())
    } else {
        Err(AnalyticsError::invalid(
            op,
            format!("{name} {p} is not a rate strictly between 0 and 1"),
        ))
    }
}

/// Users per group needed to detect a change of the conversion rate from `baseline` p₁ to
/// p₂ = p₁ + `mde` (the absolute minimum detectable effect, either sign) with significance
/// level `alpha` and `power`, by the pooled normal approximation of R's `power.prop.test`
/// (with `strict = FALSE`):
///
/// n = (z_α √(2 p̄ (1 − p̄)) + z_β √(p₁(1 − p₁) + p₂(1 − p₂)))² / (p₁ − p₂)²,
///
/// where p̄ = (p₁ + p₂)/2, z_α = Φ⁻¹(1 − α/2) two-sided (Φ⁻¹(1 − α) one-sided) and
/// z_β = Φ⁻¹(power). This closed form is the exact root of the power equation that R solves
/// numerically: p₁ = 0.10, p₂ = 0.12, α = 0.05, power 0.8 gives 3840.847.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] unless 0 < p₁ < 1, 0 < p₂ < 1, `mde` ≠ 0,
/// 0 < α < 1 and 0 < power < 1.
pub fn sample_size_two_proportions(
    baseline: f64,
    mde: f64,
    alpha: f64,
    power: f64,
    sides: Sides,
) -> Result<SampleSize> {
    const OP: &str = "sample size for two proportions";
    check_rate(OP, "baseline", baseline)?;
    let target = baseline + mde;
    if mde == 0.0 || !mde.is_finite() {
        return Err(AnalyticsError::invalid(
            OP,
            format!("minimum detectable effect {mde} must be non-zero and finite"),
        ));
    }
    check_rate(OP, "target rate (baseline + effect)", target)?;
    if !(power > 0.0 && power < 1.0) {
        return Err(AnalyticsError::invalid(
            OP,
            format!("power {power} is not strictly between 0 and 1"),
        ));
    }
    let z_alpha = critical_value(OP, alpha, sides)?;
    let z_beta = normal_quantile(power)?;
    let (p1, p2) = (baseline, target);
    let pbar = 0.5 * (p1 + p2);
    let root = z_alpha * (2.0 * pbar * (1.0 - pbar)).sqrt()
        + z_beta * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    let n = root * root / (mde * mde);
    Ok(SampleSize {
        baseline,
        target,
        alpha,
        power,
        sides,
        n_per_group: n,
        n_per_group_rounded: n.ceil() as u64,
    })
}

/// The power of the two-proportion test with `n` users per group to tell p₁ from p₂, by the
/// same approximation as [`sample_size_two_proportions`]:
/// Φ((√n |p₁ − p₂| − z_α √(2 p̄(1 − p̄))) / √(p₁(1 − p₁) + p₂(1 − p₂))).
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] unless both rates are in (0, 1), `n` > 0 and
/// 0 < α < 1.
pub fn power_two_proportions(p1: f64, p2: f64, n: f64, alpha: f64, sides: Sides) -> Result<f64> {
    const OP: &str = "power of two-proportion test";
    check_rate(OP, "rate p1", p1)?;
    check_rate(OP, "rate p2", p2)?;
    if !(n > 0.0 && n.is_finite()) {
        return Err(AnalyticsError::invalid(
            OP,
            format!("users per group n = {n} must be positive"),
        ));
    }
    let z_alpha = critical_value(OP, alpha, sides)?;
    let pbar = 0.5 * (p1 + p2);
    let num = n.sqrt() * (p1 - p2).abs() - z_alpha * (2.0 * pbar * (1.0 - pbar)).sqrt();
    Ok(normal_cdf(num / (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt()))
}

/// The smallest absolute lift p₂ − p₁ > 0 above `baseline` that `n` users per group detect with
/// significance level `alpha` and `power`: the root of [`power_two_proportions`] = `power` in
/// p₂ ∈ (p₁, 1), by bisection to 1e-12.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] for rates, α or power outside (0, 1) or n ≤ 0, or if
/// even p₂ → 1 does not reach the power with `n` users.
pub fn minimum_detectable_effect(
    baseline: f64,
    n: f64,
    alpha: f64,
    power: f64,
    sides: Sides,
) -> Result<f64> {
    const OP: &str = "minimum detectable effect";
    check_rate(OP, "baseline", baseline)?;
    if !(power > 0.0 && power < 1.0) {
        return Err(AnalyticsError::invalid(
            OP,
            format!("power {power} is not strictly between 0 and 1"),
        ));
    }
    let f = |p2: f64| power_two_proportions(baseline, p2, n, alpha, sides);
    let (mut lo, mut hi) = (baseline, 1.0 - 1e-12);
    if f(hi)? < power {
        return Err(AnalyticsError::invalid(
            OP,
            format!(
                "n = {n} users per group cannot reach power {power} from baseline {baseline} \
                 at any rate below 1"
            ),
        ));
    }
    while hi - lo > 1e-12 {
        let mid = 0.5 * (lo + hi);
        if mid <= baseline || f(mid)? < power {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(hi - baseline)
}
