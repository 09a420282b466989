//! Permutation feature importance: how much a model's test AUC drops when one feature column
//! is shuffled, breaking its link to the label while keeping its distribution (Breiman 2001;
//! scikit-learn's `permutation_importance` with the AUC as the score).

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::metrics::roc_auc;
use super::model::ChurnModel;
use crate::{AnalyticsError, Result};

/// One feature's importance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureImportance {
    /// The feature's name.
    pub feature: String,
    /// The mean over repeats of (AUC on the intact rows − AUC with this column shuffled).
    pub mean_drop: f64,
    /// The population standard deviation of that drop over repeats.
    pub std_drop: f64,
}

/// The importances of every feature, with the AUC they are measured against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermutationImportance {
    /// The AUC on the intact rows.
    pub baseline_auc: f64,
    /// Shuffles per feature.
    pub repeats: usize,
    /// One entry per feature, in column order.
    pub features: Vec<FeatureImportance>,
}

impl PermutationImportance {
    /// The features sorted by decreasing mean drop (ties keep column order).
    pub fn ranked(&self) -> Vec<&FeatureImportance> {
        let mut v: Vec<&FeatureImportance> = self.features.iter().collect();
        v.sort_by(|a, b| b.mean_drop.total_cmp(&a.mean_drop));
        v
    }
}

/// Shuffles each feature column of `x` in turn (`repeats` times, seeded), scores the rows
/// with `model` and records the drop in AUC against the intact rows.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] for `repeats = 0`, `names` whose length is not the
/// model's feature count, rows and labels of different lengths, or labels of one class; the
/// model's errors for rows of the wrong width.
///
/// # Complexity
/// `features × repeats` predictions over the rows.
///
/// # Examples
/// ```
/// use youshi_user_analytics::churn::{permutation_importance, LogisticRegression, TrainConfig};
/// let x: Vec<Vec<f64>> = (0..40).map(|i| vec![i as f64, ((i * 7) % 5) as f64]).collect();
/// let y: Vec<bool> = (0..40).map(|i| i >= 20).collect();
/// let model = LogisticRegression::fit(&x, &y, &TrainConfig::default())?;
/// let imp = permutation_importance(&model, &x, &y, &["signal", "noise"], 5, 0)?;
/// assert_eq!(imp.ranked()[0].feature, "signal");
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn permutation_importance(
    model: &dyn ChurnModel,
    x: &[Vec<f64>],
    y: &[bool],
    names: &[&str],
    repeats: usize,
    seed: u64,
) -> Result<PermutationImportance> {
    let op = "permutation importance";
    if repeats == 0 {
        return Err(AnalyticsError::invalid(op, "repeats = 0"));
    }
    if names.len() != model.num_features() {
        return Err(AnalyticsError::invalid(
            op,
            format!(
                "{} feature names for a model of {} features",
                names.len(),
                model.num_features()
            ),
        ));
    }
    if x.len() != y.len() {
        return Err(AnalyticsError::invalid(
            op,
            format!("{} rows but {} labels", x.len(), y.len()),
        ));
    }
    let baseline_auc = roc_auc(&model.predict_proba(x)?, y)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut features = Vec::with_capacity(names.len());
    let mut shuffled: Vec<Vec<f64>> = x.to_vec();
    for (j, name) in names.iter().enumerate() {
        let column: Vec<f64> = x.iter().filter_map(|r| r.get(j).copied()).collect();
        if column.len() != x.len() {
            return Err(AnalyticsError::invalid(
                op,
                format!("a row has no feature {j} ({name})"),
            ));
        }
        let mut drops = Vec::with_capacity(repeats);
        let mut perm = column.clone();
        for _ in 0..repeats {
            perm.shuffle(&mut rng);
            for (row, &v) in shuffled.iter_mut().zip(&perm) {
                row[j] = v;
            }
            drops.push(baseline_auc - roc_auc(&model.predict_proba(&shuffled)?, y)?);
        }
        for (row, &v) in shuffled.iter_mut().zip(&column) {
            row[j] = v;
        }
        let mean = drops.iter().sum::<f64>() / repeats as f64;
        let var = drops.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / repeats as f64;
        features.push(FeatureImportance {
            feature: name.to_string(),
            mean_drop: mean,
            std_drop: var.sqrt(),
        });
    }
    Ok(PermutationImportance {
        baseline_auc,
        repeats,
        features,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed scorer: the first feature is the score, the others are ignored.
    struct FirstColumn;

    impl ChurnModel for FirstColumn {
        fn num_features(&self) -> usize {
            2
        }
        fn predict_proba(&self, x: &[Vec<f64>]) -> Result<Vec<f64>> {
            Ok(x.iter().map(|r| r[0]).collect())
        }
    }

    #[test]
    fn an_ignored_feature_has_zero_importance() {
        let x: Vec<Vec<f64>> = (0..50).map(|i| vec![i as f64, (i % 7) as f64]).collect();
        let y: Vec<bool> = (0..50).map(|i| i >= 25).collect();
        let imp = permutation_importance(&FirstColumn, &x, &y, &["a", "b"], 4, 1).unwrap();
        assert_eq!(imp.baseline_auc, 1.0);
        assert_eq!(imp.features[1].mean_drop, 0.0);
        assert_eq!(imp.features[1].std_drop, 0.0);
        assert!(imp.features[0].mean_drop > 0.3, "{imp:?}");
        assert_eq!(imp.ranked()[0].feature, "a");
        let again = permutation_importance(&FirstColumn, &x, &y, &["a", "b"], 4, 1).unwrap();
        assert_eq!(imp, again);
    }

    #[test]
    fn rejects_bad_arguments() {
        let x = vec![vec![0.0, 1.0], vec![1.0, 0.0]];
        let y = [false, true];
        let err = permutation_importance(&FirstColumn, &x, &y, &["a", "b"], 0, 0).unwrap_err();
        assert!(err.to_string().contains("repeats = 0"), "{err}");
        let err = permutation_importance(&FirstColumn, &x, &y, &["a"], 1, 0).unwrap_err();
        assert!(
            err.to_string().contains("1 feature names for a model of 2"),
            "{err}"
        );
        let err = permutation_importance(&FirstColumn, &x, &y[..1], &["a", "b"], 1, 0).unwrap_err();
        assert!(err.to_string().contains("2 rows but 1 labels"), "{err}");
    }
}
