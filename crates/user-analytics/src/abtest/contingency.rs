//! Several variants: Pearson's chi-square test of independence.

use serde::{Deserialize, Serialize};

use super::check_group;
use crate::error::{AnalyticsError, Result};
use crate::stats::chi_square_sf;

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
