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

use serde::{Deserialize, Serialize};

use crate::error::{AnalyticsError, Result};
use crate::stats::{
    chi_square_sf, normal_cdf, normal_quantile, normal_sf, student_t_cdf, student_t_quantile,
    student_t_sf,
};

/// Whether a test or a sample-size calculation is two-sided or one-sided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sides {
    /// H₁: the two groups differ (critical value z₁₋α/₂).
    Two,
    /// H₁: the difference has the expected sign (critical value z₁₋α).
    One,
}

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

fn check_confidence(op: &'static str, confidence: f64) -> Result<()> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(AnalyticsError::invalid(
            op,
            format!("confidence level {confidence} is not strictly between 0 and 1"),
        ))
    }
}

fn check_group(op: &'static str, name: &str, conversions: u64, users: u64) -> Result<()> {
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

/// The result of [`chi_square_test`] and [`chi_square_independence`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChiSquareTest {
    /// Pearson's statistic Σ (O − E)² / E.
    pub statistic: f64,
    /// Degrees of freedom (rows − 1)(columns − 1).
    pub df: u64,
    /// P(χ²_df ≥ statistic).
    pub p_value: f64,
    /// Expected counts E = row total · column total / grand total, in the table's layout.
    pub expected: Vec<Vec<f64>>,
}

/// Pearson's chi-square test of independence of a contingency table (rows × columns of
/// non-negative counts), without continuity correction: scipy's
/// `chi2_contingency(correction=False)`.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] if the table has fewer than 2 rows or columns, ragged
/// rows, a negative or non-finite count, or a row or column summing to 0.
pub fn chi_square_independence(table: &[Vec<f64>]) -> Result<ChiSquareTest> {
    const OP: &str = "chi-square test of independence";
    let rows = table.len();
    let cols = table.first().map_or(0, Vec::len);
    if rows < 2 || cols < 2 {
        return Err(AnalyticsError::invalid(
            OP,
            format!("needs at least a 2 x 2 table, got {rows} x {cols}"),
        ));
    }
    for (i, row) in table.iter().enumerate() {
        if row.len() != cols {
            return Err(AnalyticsError::invalid(
                OP,
                format!("row {i} has {} columns, row 0 has {cols}", row.len()),
            ));
        }
        if let Some(j) = row.iter().position(|v| !(*v >= 0.0 && v.is_finite())) {
            return Err(AnalyticsError::invalid(
                OP,
                format!("count at row {i}, column {j} is {}", row[j]),
            ));
        }
    }
    let row_tot: Vec<f64> = table.iter().map(|r| r.iter().sum()).collect();
    let col_tot: Vec<f64> = (0..cols)
        .map(|j| table.iter().map(|r| r[j]).sum())
        .collect();
    if let Some(i) = row_tot.iter().position(|t| *t == 0.0) {
        return Err(AnalyticsError::invalid(
            OP,
            format!("row {i} sums to 0: its expected counts would be 0"),
        ));
    }
    if let Some(j) = col_tot.iter().position(|t| *t == 0.0) {
        return Err(AnalyticsError::invalid(
            OP,
            format!("column {j} sums to 0: its expected counts would be 0"),
        ));
    }
    let total: f64 = row_tot.iter().sum();
    let mut statistic = 0.0;
    let mut expected = Vec::with_capacity(rows);
    for (row, rt) in table.iter().zip(&row_tot) {
        let mut erow = Vec::with_capacity(cols);
        for (o, ct) in row.iter().zip(&col_tot) {
            let e = rt * ct / total;
            statistic += (o - e) * (o - e) / e;
            erow.push(e);
        }
        expected.push(erow);
    }
    let df = ((rows - 1) * (cols - 1)) as u64;
    Ok(ChiSquareTest {
        statistic,
        df,
        p_value: chi_square_sf(statistic, df as f64)?,
        expected,
    })
}

/// The chi-square test that several variants share one conversion rate: the
/// [`chi_square_independence`] test of the variants × {converted, not converted} table built
/// from `(conversions, users)` pairs.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] with fewer than 2 variants, a variant with no users or
/// more conversions than users, or no conversions (or only conversions) overall.
///
/// # Examples
/// ```
/// use youshi_user_analytics::abtest::chi_square_test;
/// let t = chi_square_test(&[(100, 1000), (120, 1000), (150, 1000)])?;
/// assert_eq!(t.df, 2);
/// assert!(t.p_value < 0.01);
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn chi_square_test(variants: &[(u64, u64)]) -> Result<ChiSquareTest> {
    const OP: &str = "chi-square test across variants";
    if variants.len() < 2 {
        return Err(AnalyticsError::invalid(
            OP,
            format!("needs at least 2 variants, got {}", variants.len()),
        ));
    }
    let mut table = Vec::with_capacity(variants.len());
    for (i, &(conversions, users)) in variants.iter().enumerate() {
        check_group(OP, &format!("{i}"), conversions, users)?;
        table.push(vec![conversions as f64, (users - conversions) as f64]);
    }
    chi_square_independence(&table).map_err(|e| match e {
        AnalyticsError::InvalidArgument { reason, .. } if reason.starts_with("column") => {
            AnalyticsError::invalid(
                OP,
                "every user converted or none did: the conversion rate does not vary",
            )
        }
        other => other,
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Reference values written by `tests/fixtures/abtest.py` with SciPy.
    #[derive(Deserialize)]
    struct Fixture {
        z_tests: Vec<ZCase>,
        welch: Vec<WelchCase>,
        chi2: Vec<ChiCase>,
        power: Vec<[f64; 5]>,
    }
    #[derive(Deserialize)]
    struct ZCase {
        xa: u64,
        na: u64,
        xb: u64,
        nb: u64,
        z: f64,
        p_two: f64,
        p_greater: f64,
        p_less: f64,
        ci_low: f64,
        ci_high: f64,
        prop_test_chi2: f64,
    }
    #[derive(Deserialize)]
    struct WelchCase {
        a: Vec<f64>,
        b: Vec<f64>,
        t: f64,
        df: f64,
        p_two: f64,
        p_greater: f64,
        ci_low: f64,
        ci_high: f64,
    }
    #[derive(Deserialize)]
    struct ChiCase {
        variants: Vec<(u64, u64)>,
        statistic: f64,
        df: u64,
        p_value: f64,
    }

    fn fixture() -> Fixture {
        serde_json::from_str(include_str!("../tests/fixtures/abtest.json")).unwrap()
    }

    fn close(got: f64, want: f64, rel: f64, what: &str) {
        assert!(
            (got - want).abs() <= rel * want.abs().max(1e-300),
            "{what}: got {got}, want {want}"
        );
    }

    #[test]
    fn z_test_hand_computed_example() {
        // 200/2000 vs 240/2000: pooled p = 0.11, SE = sqrt(0.11 * 0.89 * 2 / 2000) = 0.0098944,
        // z = 0.02 / SE = 2.02133; two-sided p = 2 (1 - Phi(2.02133)) = 0.043245.
        let t = two_proportion_z_test(200, 2000, 240, 2000, 0.95).unwrap();
        close(t.pooled_rate, 0.11, 1e-15, "pooled");
        close(
            t.standard_error_pooled,
            (0.11f64 * 0.89 / 1000.0).sqrt(),
            1e-14,
            "se",
        );
        close(t.z, 0.02 / (0.11f64 * 0.89 / 1000.0).sqrt(), 1e-12, "z");
        close(t.p_value_two_sided, 0.043_245, 1e-4, "p");
        close(t.relative_lift.unwrap(), 0.2, 1e-12, "lift");
    }

    #[test]
    fn z_test_matches_scipy_and_prop_test() {
        for c in fixture().z_tests {
            let t = two_proportion_z_test(c.xa, c.na, c.xb, c.nb, 0.95).unwrap();
            let what = format!("{}/{} vs {}/{}", c.xa, c.na, c.xb, c.nb);
            close(t.z, c.z, 1e-12, &what);
            close(t.p_value_two_sided, c.p_two, 1e-10, &what);
            close(t.p_value_greater, c.p_greater, 1e-10, &what);
            close(t.p_value_less, c.p_less, 1e-10, &what);
            close(t.ci_low, c.ci_low, 1e-10, &what);
            close(t.ci_high, c.ci_high, 1e-10, &what);
            close(t.z * t.z, c.prop_test_chi2, 1e-10, &what);
        }
    }

    #[test]
    fn sample_size_matches_r_power_prop_test() {
        // R: power.prop.test(p1 = 0.10, p2 = 0.12, sig.level = 0.05, power = 0.8)
        // n = 3840.847 per group.
        let s = sample_size_two_proportions(0.10, 0.02, 0.05, 0.8, Sides::Two).unwrap();
        assert!((s.n_per_group - 3840.847).abs() < 5e-4, "{}", s.n_per_group);
        assert_eq!(s.n_per_group_rounded, 3841);
        // The same rates in the other direction need the same n.
        let back = sample_size_two_proportions(0.12, -0.02, 0.05, 0.8, Sides::Two).unwrap();
        close(back.n_per_group, s.n_per_group, 1e-12, "symmetric");
        // The power at that n is the power asked for, and the MDE at that n is the effect.
        let pw = power_two_proportions(0.10, 0.12, s.n_per_group, 0.05, Sides::Two).unwrap();
        close(pw, 0.8, 1e-12, "power");
        let mde = minimum_detectable_effect(0.10, s.n_per_group, 0.05, 0.8, Sides::Two).unwrap();
        close(mde, 0.02, 1e-9, "mde");
        let one = sample_size_two_proportions(0.10, 0.02, 0.05, 0.8, Sides::One).unwrap();
        assert!(one.n_per_group < s.n_per_group);
    }

    #[test]
    fn power_matches_scipy_closed_form() {
        for [p1, p2, n, alpha, want] in fixture().power {
            let got = power_two_proportions(p1, p2, n, alpha, Sides::Two).unwrap();
            close(got, want, 1e-12, &format!("power({p1}, {p2}, {n})"));
        }
    }

    #[test]
    fn welch_matches_scipy() {
        for c in fixture().welch {
            let t = welch_t_test(&c.a, &c.b, 0.95).unwrap();
            close(t.t, c.t, 1e-12, "t");
            close(t.df, c.df, 1e-12, "df");
            close(t.p_value_two_sided, c.p_two, 1e-10, "p two-sided");
            close(t.p_value_greater, c.p_greater, 1e-10, "p greater");
            close(t.p_value_less, 1.0 - c.p_greater, 1e-10, "p less");
            close(t.ci_low, c.ci_low, 1e-9, "ci low");
            close(t.ci_high, c.ci_high, 1e-9, "ci high");
        }
    }

    #[test]
    fn chi_square_matches_scipy() {
        for c in fixture().chi2 {
            let t = chi_square_test(&c.variants).unwrap();
            close(t.statistic, c.statistic, 1e-12, "statistic");
            assert_eq!(t.df, c.df);
            close(t.p_value, c.p_value, 1e-10, "p");
        }
        // Two variants: the chi-square statistic is the square of the pooled z.
        let z = two_proportion_z_test(30, 400, 52, 410, 0.95).unwrap().z;
        let c = chi_square_test(&[(30, 400), (52, 410)]).unwrap();
        close(c.statistic, z * z, 1e-12, "z^2");
        close(c.expected[0][0], 400.0 * 82.0 / 810.0, 1e-12, "expected");
    }

    #[test]
    fn corrections_match_r_p_adjust() {
        // R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") = 0.05 0.08 0.09 0.09 0.09;
        // "bonferroni" = 0.05 0.10 0.15 0.20 0.25.
        let p = [0.01, 0.02, 0.03, 0.04, 0.05];
        let h = holm(&p).unwrap();
        for (g, w) in h.iter().zip([0.05, 0.08, 0.09, 0.09, 0.09]) {
            close(*g, w, 1e-12, "holm");
        }
        let b = bonferroni(&p).unwrap();
        for (g, w) in b.iter().zip([0.05, 0.10, 0.15, 0.20, 0.25]) {
            close(*g, w, 1e-12, "bonferroni");
        }
        // Unsorted input keeps its order; values cap at 1.
        let h = holm(&[0.5, 0.001, 0.9]).unwrap();
        for (g, w) in h.iter().zip([1.0, 0.003, 1.0]) {
            close(*g, w, 1e-12, "holm unsorted");
        }
        let b = bonferroni(&[0.5, 0.001]).unwrap();
        for (g, w) in b.iter().zip([1.0, 0.002]) {
            close(*g, w, 1e-12, "bonferroni cap");
        }
        assert!(holm(&[]).unwrap().is_empty());
    }

    #[test]
    fn impossible_inputs_are_typed_errors() {
        let msg = |r: Result<ProportionTest>| r.unwrap_err().to_string();
        let e = msg(two_proportion_z_test(1, 0, 1, 10, 0.95));
        assert!(e.contains("group A has n = 0"), "{e}");
        let e = msg(two_proportion_z_test(1, 10, 11, 10, 0.95));
        assert!(
            e.contains("group B has 11 conversions but only 10 users"),
            "{e}"
        );
        let e = msg(two_proportion_z_test(1, 10, 1, 10, 1.0));
        assert!(e.contains("confidence level 1"), "{e}");
        let e = msg(two_proportion_z_test(0, 10, 0, 10, 0.95));
        assert!(e.contains("pooled conversion rate is 0"), "{e}");

        let e = sample_size_two_proportions(0.1, 0.0, 0.05, 0.8, Sides::Two)
            .unwrap_err()
            .to_string();
        assert!(e.contains("minimum detectable effect 0"), "{e}");
        let e = sample_size_two_proportions(0.95, 0.1, 0.05, 0.8, Sides::Two)
            .unwrap_err()
            .to_string();
        assert!(e.contains("target rate") && e.contains("1.05"), "{e}");
        let e = sample_size_two_proportions(0.1, 0.02, 0.0, 0.8, Sides::Two)
            .unwrap_err()
            .to_string();
        assert!(e.contains("alpha = 0"), "{e}");
        let e = sample_size_two_proportions(0.1, 0.02, 0.05, 1.2, Sides::Two)
            .unwrap_err()
            .to_string();
        assert!(e.contains("power 1.2"), "{e}");
        let e = power_two_proportions(0.1, 0.2, 0.0, 0.05, Sides::Two)
            .unwrap_err()
            .to_string();
        assert!(e.contains("n = 0"), "{e}");
        let e = minimum_detectable_effect(0.1, 2.0, 0.05, 0.999_999, Sides::Two)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot reach power"), "{e}");

        let e = welch_t_test(&[1.0], &[1.0, 2.0], 0.95)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least 2 observations, got 1"), "{e}");
        let e = welch_t_test(&[1.0, 1.0], &[2.0, 2.0], 0.95)
            .unwrap_err()
            .to_string();
        assert!(e.contains("zero variance"), "{e}");
        let e = welch_t_test(&[1.0, f64::NAN], &[2.0, 2.0], 0.95)
            .unwrap_err()
            .to_string();
        assert!(e.contains("observation 1 is NaN"), "{e}");

        let e = chi_square_test(&[(1, 10)]).unwrap_err().to_string();
        assert!(e.contains("at least 2 variants, got 1"), "{e}");
        let e = chi_square_test(&[(1, 10), (3, 2)]).unwrap_err().to_string();
        assert!(
            e.contains("group 1 has 3 conversions but only 2 users"),
            "{e}"
        );
        let e = chi_square_test(&[(0, 10), (0, 20)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not vary"), "{e}");
        let e = chi_square_independence(&[vec![1.0, 2.0], vec![3.0]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 1 has 1 columns"), "{e}");
        let e = chi_square_independence(&[vec![1.0, 2.0], vec![0.0, 0.0]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 1 sums to 0"), "{e}");
        let e = chi_square_independence(&[vec![1.0, -2.0], vec![1.0, 1.0]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 0, column 1 is -2"), "{e}");

        let e = holm(&[0.1, 1.5]).unwrap_err().to_string();
        assert!(e.contains("Holm") && e.contains("p-value 1 is 1.5"), "{e}");
        assert!(bonferroni(&[f64::NAN]).is_err());
    }

    #[test]
    fn results_serialise_to_json() {
        let t = two_proportion_z_test(10, 100, 20, 100, 0.9).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains("\"p_value_two_sided\""), "{json}");
        let back: ProportionTest = serde_json::from_str(&json).unwrap();
        assert_eq!(back.users_b, 100);
        close(
            back.p_value_two_sided,
            t.p_value_two_sided,
            1e-15,
            "round trip",
        );
        let s = sample_size_two_proportions(0.1, 0.02, 0.05, 0.8, Sides::One).unwrap();
        assert!(serde_json::to_string(&s)
            .unwrap()
            .contains("\"sides\":\"one\""));
    }
}
