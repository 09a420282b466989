//! Feature standardisation: each column shifted to mean 0 and scaled to unit (population)
//! standard deviation, as scikit-learn's `StandardScaler`, so that k-means distances weigh
//! features alike.
//!
//! ```
//! use youshi_user_analytics::scale::Standardizer;
//! let data = vec![vec![1.0, 100.0], vec![3.0, 300.0]];
//! let scaler = Standardizer::fit(&data)?;
//! assert_eq!(scaler.transform(&data)?, vec![vec![-1.0, -1.0], vec![1.0, 1.0]]);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{AnalyticsError, Result};

/// Checks that `data` is a non-empty rectangular matrix of finite numbers with at least one
/// column; returns the number of columns.
pub(crate) fn check_matrix(op: &'static str, data: &[Vec<f64>]) -> Result<usize> {
    let Some(first) = data.first() else {
        return Err(AnalyticsError::empty(op, "no points"));
    };
    let dims = first.len();
    if dims == 0 {
        return Err(AnalyticsError::invalid(op, "points have no features"));
    }
    for (i, row) in data.iter().enumerate() {
        if row.len() != dims {
            return Err(AnalyticsError::invalid(
                op,
                format!("point {i} has {} features, point 0 has {dims}", row.len()),
            ));
        }
        if let Some(j) = row.iter().position(|v| !v.is_finite()) {
            return Err(AnalyticsError::invalid(
                op,
                format!("feature {j} of point {i} is {}", row[j]),
            ));
        }
    }
    Ok(dims)
}

/// Per-feature means and scales learned by [`Standardizer::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    /// Each feature's mean.
    pub mean: Vec<f64>,
    /// Each feature's population standard deviation (divisor n), or 1 where it is 0 so that
    /// constant features map to 0 rather than NaN.
    pub scale: Vec<f64>,
}

impl Standardizer {
    /// Learns each column's mean and standard deviation.
    ///
    /// # Errors
    /// [`AnalyticsError::Empty`] with no rows; [`AnalyticsError::InvalidArgument`] for ragged
    /// rows, no columns or a non-finite value (naming the point and feature).
    pub fn fit(data: &[Vec<f64>]) -> Result<Self> {
        let dims = check_matrix("fit standardizer", data)?;
        let n = data.len() as f64;
        let mut mean = vec![0.0; dims];
        for row in data {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v / n;
            }
        }
        let mut var = vec![0.0; dims];
        for row in data {
            for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += (v - m) * (v - m) / n;
            }
        }
        let scale = var
            .into_iter()
            .map(|v| if v > 0.0 { v.sqrt() } else { 1.0 })
            .collect();
        Ok(Standardizer { mean, scale })
    }

    fn check_width(&self, op: &'static str, data: &[Vec<f64>]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let dims = check_matrix(op, data)?;
        if dims != self.mean.len() {
            return Err(AnalyticsError::invalid(
                op,
                format!(
                    "points have {dims} features, the standardizer was fitted on {}",
                    self.mean.len()
                ),
            ));
        }
        Ok(())
    }

    /// (x − mean) / scale, column by column.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] if the width differs from the fitted one or a value
    /// is not finite.
    pub fn transform(&self, data: &[Vec<f64>]) -> Result<Vec<Vec<f64>>> {
        self.check_width("standardize", data)?;
        Ok(data
            .iter()
            .map(|row| {
                row.iter()
                    .zip(self.mean.iter().zip(&self.scale))
                    .map(|(v, (m, s))| (v - m) / s)
                    .collect()
            })
            .collect())
    }

    /// x · scale + mean: back to the original units (centroids, say).
    ///
    /// # Errors
    /// As [`Standardizer::transform`].
    pub fn inverse_transform(&self, data: &[Vec<f64>]) -> Result<Vec<Vec<f64>>> {
        self.check_width("undo standardization", data)?;
        Ok(data
            .iter()
            .map(|row| {
                row.iter()
                    .zip(self.mean.iter().zip(&self.scale))
                    .map(|(v, (m, s))| v * s + m)
                    .collect()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardizes_and_round_trips() {
        let data = vec![
            vec![1.0, 5.0, 2.0],
            vec![2.0, 5.0, 4.0],
            vec![6.0, 5.0, 9.0],
        ];
        let s = Standardizer::fit(&data).unwrap();
        assert_eq!(s.mean, vec![3.0, 5.0, 5.0]);
        // Population variance of (1, 2, 6) is 14/3; the constant column keeps scale 1.
        assert!((s.scale[0] - (14.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(s.scale[1], 1.0);
        let z = s.transform(&data).unwrap();
        for j in 0..3 {
            let mean: f64 = z.iter().map(|r| r[j]).sum::<f64>() / 3.0;
            assert!(mean.abs() < 1e-15);
        }
        assert!(z.iter().all(|r| r[1] == 0.0));
        let back = s.inverse_transform(&z).unwrap();
        for (r, b) in data.iter().zip(&back) {
            for (x, y) in r.iter().zip(b) {
                assert!((x - y).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn errors_name_point_and_feature() {
        let e = Standardizer::fit(&[]).unwrap_err().to_string();
        assert!(e.contains("no points"), "{e}");
        let e = Standardizer::fit(&[vec![1.0, 2.0], vec![1.0]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("point 1 has 1 features, point 0 has 2"), "{e}");
        let e = Standardizer::fit(&[vec![1.0, f64::NAN]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("feature 1 of point 0 is NaN"), "{e}");
        assert!(Standardizer::fit(&[vec![]]).is_err());
        let s = Standardizer::fit(&[vec![1.0, 2.0]]).unwrap();
        let e = s.transform(&[vec![1.0]]).unwrap_err().to_string();
        assert!(
            e.contains("points have 1 features, the standardizer was fitted on 2"),
            "{e}"
        );
        assert!(s.transform(&[]).unwrap().is_empty());
    }
}
