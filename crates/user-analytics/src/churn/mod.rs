//! Churn prediction: per-user features at a cut-off, a churn label, two classifiers trained
//! with `youshi-optim`, their metrics and permutation feature importance.
//!
//! ```
//! use youshi_user_analytics::churn::{
//!     churn_dataset, classification_report, stratified_split, ChurnConfig, ChurnModel,
//!     LogisticRegression, TrainConfig,
//! };
//! use youshi_user_analytics::generate::{generate, GeneratorConfig};
//! use youshi_user_analytics::time::MS_PER_DAY;
//!
//! let cfg = GeneratorConfig::new(300, 6_000, 90).with_seed(1);
//! let log = generate(&cfg)?;
//! // Features from the first 60 days, churned = no event in the next 30.
//! let data = churn_dataset(&log, &ChurnConfig::new(cfg.start + 60 * MS_PER_DAY, 30))?;
//! let split = stratified_split(&data.labels, 0.3, 0)?;
//! let (x_train, y_train) = data.select(&split.train);
//! let (x_test, y_test) = data.select(&split.test);
//! let model = LogisticRegression::fit(&x_train, &y_train, &TrainConfig::default())?;
//! let report = classification_report(&model.predict_proba(&x_test)?, &y_test, 0.5)?;
//! assert!(report.auc > 0.6);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```
//!
//! - Data, in [`features`]: [`churn_dataset`] (feature definitions in its module docs) and
//!   [`stratified_split`].
//! - Models, in [`model`]: [`LogisticRegression`], [`ChurnMlp`] and the [`ChurnModel`] trait.
//! - Metrics, in [`metrics`]: [`roc_auc`], [`confusion`], [`classification_report`] and
//!   [`majority_baseline`].
//! - Importance, in [`importance`]: [`permutation_importance`].

pub mod features;
pub mod importance;
pub mod metrics;
pub mod model;

pub use features::{
    churn_dataset, stratified_split, ChurnConfig, ChurnDataset, Split, FEATURE_NAMES,
};
pub use importance::{permutation_importance, FeatureImportance, PermutationImportance};
pub use metrics::{
    classification_report, confusion, majority_baseline, roc_auc, ClassificationReport, Confusion,
};
pub use model::{
    ChurnMlp, ChurnModel, LogisticCoefficients, LogisticRegression, TrainConfig, TrainHistory,
};

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::event::{Event, EventLog};
    use crate::time::MS_PER_DAY as DAY;

    const CUTOFF_DAY: i64 = 56;
    const HORIZON: u32 = 28;

    /// Users with a steady daily rate of activity. Those who will churn (40 %) fade out over
    /// the four weeks before the cut-off (their rate falls linearly to a random factor in
    /// [0, 0.5]), stop at a random day in the last three weeks and never return; the others
    /// keep a factor in [0.6, 1.3] and come back within the horizon.
    fn declining_log(users: usize, seed: u64) -> EventLog {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut events = Vec::new();
        for u in 0..users {
            let id = format!("u{u}");
            let rate: f64 = rng.gen_range(0.2..1.5);
            let churns = rng.gen::<f64>() < 0.4;
            let fade = if churns {
                rng.gen_range(0.0..0.5)
            } else {
                rng.gen_range(0.6..1.3)
            };
            let start = rng.gen_range(0..CUTOFF_DAY - 7);
            events.push(Event::new(&id, start * DAY, "signup"));
            let end = if churns {
                rng.gen_range(CUTOFF_DAY - 21..CUTOFF_DAY).max(start + 1)
            } else {
                CUTOFF_DAY + i64::from(HORIZON)
            };
            for d in start..end {
                // Linear fade from 1 to `fade` over the last 28 days before the cut-off.
                let w = if d < CUTOFF_DAY - 28 {
                    1.0
                } else if d < CUTOFF_DAY {
                    1.0 + (fade - 1.0) * (d - (CUTOFF_DAY - 28)) as f64 / 28.0
                } else {
                    fade
                };
                let mean = rate * w;
                let n = mean.floor() as usize + usize::from(rng.gen::<f64>() < mean.fract());
                for _ in 0..n {
                    events.push(Event::new(&id, d * DAY + rng.gen_range(1..DAY), "use"));
                }
            }
            if !churns {
                let back = CUTOFF_DAY * DAY + rng.gen_range(1..i64::from(HORIZON) * DAY);
                events.push(Event::new(&id, back, "use"));
            }
        }
        EventLog::from_events(events).unwrap()
    }

    #[test]
    fn churn_models_beat_the_majority_baseline_on_declining_users() {
        let log = declining_log(500, 11);
        let data = churn_dataset(&log, &ChurnConfig::new(CUTOFF_DAY * DAY, HORIZON)).unwrap();
        assert_eq!(data.len(), 500);
        let split = stratified_split(&data.labels, 0.3, 2).unwrap();
        let (x_train, y_train) = data.select(&split.train);
        let (x_test, y_test) = data.select(&split.test);
        let cfg = TrainConfig::default().with_epochs(150).with_seed(3);

        let lr = LogisticRegression::fit(&x_train, &y_train, &cfg).unwrap();
        let r = classification_report(&lr.predict_proba(&x_test).unwrap(), &y_test, 0.5).unwrap();
        assert!(r.auc > 0.8, "logistic AUC {}", r.auc);
        assert!(
            r.accuracy > r.baseline_accuracy + 0.05,
            "logistic accuracy {} vs baseline {}",
            r.accuracy,
            r.baseline_accuracy
        );

        let mlp = ChurnMlp::fit(&x_train, &y_train, &cfg.with_batch_size(64)).unwrap();
        let m = classification_report(&mlp.predict_proba(&x_test).unwrap(), &y_test, 0.5).unwrap();
        assert!(m.auc > 0.8, "mlp AUC {}", m.auc);
        assert!(m.accuracy > m.baseline_accuracy + 0.05, "{m:?}");

        let imp = permutation_importance(&lr, &x_test, &y_test, &FEATURE_NAMES, 3, 4).unwrap();
        let top = imp.ranked()[0];
        assert!(top.mean_drop > 0.02, "{imp:?}");
        assert!(
            [
                "recency_days",
                "trend",
                "frequency",
                "active_days",
                "sessions"
            ]
            .contains(&top.feature.as_str()),
            "{imp:?}"
        );
    }

    #[test]
    fn a_split_with_one_class_in_training_is_rejected() {
        let log = declining_log(40, 1);
        let data = churn_dataset(&log, &ChurnConfig::new(CUTOFF_DAY * DAY, HORIZON)).unwrap();
        let retained: Vec<usize> = (0..data.len()).filter(|&i| !data.labels[i]).collect();
        let (x, y) = data.select(&retained);
        let err = ChurnMlp::fit(&x, &y, &TrainConfig::default()).unwrap_err();
        assert!(err.to_string().contains("single class"), "{err}");
    }
}
