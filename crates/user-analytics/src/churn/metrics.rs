//! Binary-classification metrics: ROC AUC, the confusion matrix, accuracy, precision and
//! recall at a threshold, and the majority-class baseline.
//!
//! ```
//! use youshi_user_analytics::churn::{classification_report, roc_auc};
//! let scores = [0.9, 0.8, 0.3, 0.2];
//! let labels = [true, false, true, false];
//! assert_eq!(roc_auc(&scores, &labels)?, 0.75);
//! let report = classification_report(&scores, &labels, 0.5)?;
//! assert_eq!((report.precision, report.recall, report.accuracy), (0.5, 0.5, 0.5));
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::{AnalyticsError, Result};

fn check(op: &'static str, scores: &[f64], labels: &[bool]) -> Result<()> {
    if scores.len() != labels.len() {
        return Err(AnalyticsError::invalid(
            op,
            format!("{} scores but {} labels", scores.len(), labels.len()),
        ));
    }
    if scores.is_empty() {
        return Err(AnalyticsError::empty(op, "no scores"));
    }
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(AnalyticsError::invalid(
            op,
            format!("score {i} is {}", scores[i]),
        ));
    }
    Ok(())
}

/// The area under the ROC curve: the probability that a random positive scores higher than a
/// random negative, ties counting one half. Computed from ranks (the Mann–Whitney U
/// statistic): with average ranks `r` over all scores (tied scores share the mean of their
/// ranks), `AUC = (Σ_{positives} r − P(P + 1)/2) / (P·N)`. Equal to scikit-learn's
/// `roc_auc_score`.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] for lengths that differ, a non-finite score, or labels
/// of a single class (the AUC is undefined); [`AnalyticsError::Empty`] for no scores.
///
/// # Complexity
/// O(n log n).
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Result<f64> {
    let op = "roc auc";
    check(op, scores, labels)?;
    let positives = labels.iter().filter(|&&y| y).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(AnalyticsError::invalid(
            op,
            format!("labels hold {positives} positives and {negatives} negatives; both classes are needed"),
        ));
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && scores[order[j]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i + 1 ..= j share their mean.
        let mean_rank = (i + 1 + j) as f64 / 2.0;
        let tied_positives = order[i..j].iter().filter(|&&k| labels[k]).count();
        rank_sum += mean_rank * tied_positives as f64;
        i = j;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Ok((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// Counts of predictions against labels at a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// Predicted positive, labelled positive.
    pub true_positives: usize,
    /// Predicted positive, labelled negative.
    pub false_positives: usize,
    /// Predicted negative, labelled negative.
    pub true_negatives: usize,
    /// Predicted negative, labelled positive.
    pub false_negatives: usize,
}

/// The confusion counts when a score `>= threshold` predicts positive.
///
/// # Errors
/// As [`roc_auc`], except that one class is allowed; also
/// [`AnalyticsError::InvalidArgument`] for a NaN threshold.
pub fn confusion(scores: &[f64], labels: &[bool], threshold: f64) -> Result<Confusion> {
    let op = "confusion matrix";
    check(op, scores, labels)?;
    if threshold.is_nan() {
        return Err(AnalyticsError::invalid(op, "threshold is NaN"));
    }
    let mut c = Confusion {
        true_positives: 0,
        false_positives: 0,
        true_negatives: 0,
        false_negatives: 0,
    };
    for (&s, &y) in scores.iter().zip(labels) {
        match (s >= threshold, y) {
            (true, true) => c.true_positives += 1,
            (true, false) => c.false_positives += 1,
            (false, false) => c.true_negatives += 1,
            (false, true) => c.false_negatives += 1,
        }
    }
    Ok(c)
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

impl Confusion {
    /// The number of rows counted.
    pub fn total(&self) -> usize {
        self.true_positives + self.false_positives + self.true_negatives + self.false_negatives
    }

    /// (TP + TN) / total, 0 when empty.
    pub fn accuracy(&self) -> f64 {
        ratio(self.true_positives + self.true_negatives, self.total())
    }

    /// TP / (TP + FP), 0 when nothing is predicted positive (scikit-learn's
    /// `zero_division=0`).
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// TP / (TP + FN), 0 when there are no positives.
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// The harmonic mean of precision and recall, 0 when both are 0.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Every metric of a scored, labelled set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassificationReport {
    /// The rows scored.
    pub n: usize,
    /// The share of positive labels.
    pub positive_rate: f64,
    /// [`roc_auc`].
    pub auc: f64,
    /// The threshold the counts below use (score `>=` threshold predicts positive).
    pub threshold: f64,
    /// The counts.
    pub confusion: Confusion,
    /// [`Confusion::accuracy`].
    pub accuracy: f64,
    /// [`Confusion::precision`].
    pub precision: f64,
    /// [`Confusion::recall`].
    pub recall: f64,
    /// [`Confusion::f1`].
    pub f1: f64,
    /// The accuracy of always predicting the more common label, [`majority_baseline`].
    pub baseline_accuracy: f64,
}

/// The AUC, confusion counts and the metrics derived from them at `threshold`.
///
/// # Errors
/// As [`roc_auc`] and [`confusion`].
pub fn classification_report(
    scores: &[f64],
    labels: &[bool],
    threshold: f64,
) -> Result<ClassificationReport> {
    let auc = roc_auc(scores, labels)?;
    let c = confusion(scores, labels, threshold)?;
    Ok(ClassificationReport {
        n: labels.len(),
        positive_rate: ratio(labels.iter().filter(|&&y| y).count(), labels.len()),
        auc,
        threshold,
        confusion: c,
        accuracy: c.accuracy(),
        precision: c.precision(),
        recall: c.recall(),
        f1: c.f1(),
        baseline_accuracy: majority_baseline(labels),
    })
}

/// The accuracy of always predicting the more common label: `max(P, N) / (P + N)`, 0 for no
/// labels.
pub fn majority_baseline(labels: &[bool]) -> f64 {
    let p = labels.iter().filter(|&&y| y).count();
    ratio(p.max(labels.len() - p), labels.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_a_perfect_and_a_reversed_ranking() {
        let labels = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.3, 0.4], &labels).unwrap(), 1.0);
        assert_eq!(roc_auc(&[0.4, 0.3, 0.2, 0.1], &labels).unwrap(), 0.0);
    }

    #[test]
    fn auc_counts_ties_as_half() {
        // Every score tied: each pair counts 1/2.
        assert_eq!(
            roc_auc(&[0.5; 4], &[true, false, true, false]).unwrap(),
            0.5
        );
        // Pairs (positive, negative): (0.8, 0.1) win, (0.8, 0.4) win, (0.4, 0.1) win,
        // (0.4, 0.4) tie: (3 + 0.5) / 4.
        let scores = [0.8, 0.4, 0.4, 0.1];
        let labels = [true, true, false, false];
        assert_eq!(roc_auc(&scores, &labels).unwrap(), 0.875);
    }

    #[test]
    fn auc_matches_pair_counting() {
        let scores = [0.3, 0.7, 0.7, 0.2, 0.9, 0.5, 0.5, 0.5, 0.1, 0.7];
        let labels = [
            false, true, false, false, true, true, false, true, false, false,
        ];
        let mut wins = 0.0;
        let mut pairs = 0.0;
        for (i, &yi) in labels.iter().enumerate() {
            for (j, &yj) in labels.iter().enumerate() {
                if yi && !yj {
                    pairs += 1.0;
                    if scores[i] > scores[j] {
                        wins += 1.0;
                    } else if scores[i] == scores[j] {
                        wins += 0.5;
                    }
                }
            }
        }
        let auc = roc_auc(&scores, &labels).unwrap();
        assert!(
            (auc - wins / pairs).abs() < 1e-12,
            "{auc} vs {}",
            wins / pairs
        );
    }

    #[test]
    fn auc_rejects_one_class_mismatch_empty_and_nan() {
        let err = roc_auc(&[0.1, 0.2], &[true, true]).unwrap_err();
        assert!(
            err.to_string().contains("2 positives and 0 negatives"),
            "{err}"
        );
        let err = roc_auc(&[0.1], &[true, false]).unwrap_err();
        assert!(err.to_string().contains("1 scores but 2 labels"), "{err}");
        let err = roc_auc(&[], &[]).unwrap_err();
        assert!(err.to_string().contains("no scores"), "{err}");
        let err = roc_auc(&[0.1, f64::NAN], &[true, false]).unwrap_err();
        assert!(err.to_string().contains("score 1 is NaN"), "{err}");
        let err = confusion(&[0.1], &[true], f64::NAN).unwrap_err();
        assert!(err.to_string().contains("threshold is NaN"), "{err}");
    }

    #[test]
    fn confusion_and_derived_metrics() {
        let scores = [0.9, 0.6, 0.5, 0.4, 0.2, 0.1];
        let labels = [true, false, true, true, false, false];
        let c = confusion(&scores, &labels, 0.5).unwrap();
        assert_eq!(
            c,
            Confusion {
                true_positives: 2,
                false_positives: 1,
                true_negatives: 2,
                false_negatives: 1
            }
        );
        assert_eq!(c.accuracy(), 4.0 / 6.0);
        assert_eq!(c.precision(), 2.0 / 3.0);
        assert_eq!(c.recall(), 2.0 / 3.0);
        assert!((c.f1() - 2.0 / 3.0).abs() < 1e-12);
        let none = confusion(&scores, &labels, 2.0).unwrap();
        assert_eq!(
            (none.precision(), none.recall(), none.f1()),
            (0.0, 0.0, 0.0)
        );
        let r = classification_report(&scores, &labels, 0.5).unwrap();
        assert_eq!((r.n, r.positive_rate, r.baseline_accuracy), (6, 0.5, 0.5));
        assert_eq!(majority_baseline(&[true, false, false]), 2.0 / 3.0);
        assert_eq!(majority_baseline(&[]), 0.0);
    }
}
