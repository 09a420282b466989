//! One serialisable report holding the results of every analysis of an event log, as the
//! `07_user_analytics` example produces it, and [`write_json`] to save any result atomically.
//!
//! ```
//! use youshi_user_analytics::report::write_json;
//! use youshi_user_analytics::churn::majority_baseline;
//! let path = std::env::temp_dir().join(format!("youshi-report-{}.json", std::process::id()));
//! write_json(&path, &majority_baseline(&[true, false, false]))?;
//! assert!(std::fs::read_to_string(&path).unwrap().starts_with("0.666"));
//! std::fs::remove_file(&path).ok();
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use std::path::Path;

use serde::Serialize;

use crate::abtest::{ProportionTest, SampleSize};
use crate::churn::{ClassificationReport, LogisticCoefficients, PermutationImportance};
use crate::clv::bgnbd::BgNbdFit;
use crate::clv::gamma_gamma::GammaGammaFit;
use crate::funnel::FunnelReport;
use crate::generate::GeneratorConfig;
use crate::kmeans::SweepPoint;
use crate::paths::TopPaths;
use crate::retention::Retention;
use crate::rfm::SegmentSummary;
use crate::session::SessionStats;
use crate::{AnalyticsError, Result};

/// Every result of a full analysis of one log.
#[derive(Debug, Clone, Serialize)]
pub struct AnalyticsReport {
    /// How the log was generated.
    pub generator: GeneratorConfig,
    /// Events in the log.
    pub events: usize,
    /// Users in the log.
    pub users: usize,
    /// Session statistics.
    pub sessions: SessionStats,
    /// DAU, WAU, MAU and stickiness.
    pub active: ActiveSummary,
    /// The funnel with the first-entry rule (with its breakdown).
    pub funnel_first: FunnelReport,
    /// The funnel with the best-entry rule (with its breakdown).
    pub funnel_best: FunnelReport,
    /// Weekly retention.
    pub retention: Retention,
    /// The most common paths.
    pub top_paths: TopPaths,
    /// RFM segment sizes and means.
    pub rfm_segments: Vec<SegmentSummary>,
    /// k-means on RFM features.
    pub kmeans: KMeansReport,
    /// BG/NBD and Gamma-Gamma lifetime value.
    pub clv: ClvReport,
    /// Churn models and their metrics.
    pub churn: ChurnReport,
    /// An A/B test.
    pub ab_test: AbReport,
}

/// Active-user means, without the per-day series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActiveSummary {
    /// Distinct active users.
    pub users: u64,
    /// Mean daily active users.
    pub mean_dau: f64,
    /// Mean weekly active users over complete days.
    pub mean_wau: Option<f64>,
    /// Mean monthly active users over complete days.
    pub mean_mau: Option<f64>,
    /// Mean DAU / MAU over complete days.
    pub stickiness: Option<f64>,
}

/// A k-means sweep and the chosen clustering.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KMeansReport {
    /// Inertia and silhouette for each k tried.
    pub sweep: Vec<SweepPoint>,
    /// The k chosen (the best silhouette).
    pub chosen_k: usize,
    /// Points per cluster.
    pub cluster_sizes: Vec<usize>,
    /// Centroids in the features' original units (recency days, purchases, revenue).
    pub centroids: Vec<Vec<f64>>,
}

/// Lifetime-value model fits and totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClvReport {
    /// Customers summarised.
    pub customers: usize,
    /// The BG/NBD fit.
    pub bgnbd: BgNbdFit,
    /// The Gamma-Gamma fit, if it succeeded.
    pub gamma_gamma: Option<GammaGammaFit>,
    /// The sum of customer lifetime values.
    pub total_clv: Option<f64>,
    /// Their mean.
    pub mean_clv: Option<f64>,
    /// Why a part is missing, if one is.
    pub note: Option<String>,
}

/// Churn models evaluated on a held-out split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChurnReport {
    /// The cut-off, RFC 3339.
    pub cutoff: String,
    /// The label horizon in days.
    pub horizon_days: u32,
    /// Users in the dataset.
    pub users: usize,
    /// The share churned.
    pub churn_rate: f64,
    /// Training rows.
    pub train: usize,
    /// Test rows.
    pub test: usize,
    /// Logistic regression on the test rows.
    pub logistic: ClassificationReport,
    /// Its weights on standardised features.
    pub logistic_coefficients: LogisticCoefficients,
    /// The MLP on the test rows.
    pub mlp: ClassificationReport,
    /// Permutation importance for the logistic regression.
    pub importance_logistic: PermutationImportance,
    /// Permutation importance for the MLP.
    pub importance_mlp: PermutationImportance,
}

/// An A/B comparison of conversion rates and a sample-size plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbReport {
    /// How the groups and the conversion were defined.
    pub description: String,
    /// The two-proportion z-test.
    pub conversion: ProportionTest,
    /// Users per group needed to detect the planned lift.
    pub sample_size: SampleSize,
}

/// Writes `value` as pretty-printed JSON to `path`, atomically (a temporary file in the same
/// directory, then a rename).
///
/// # Errors
/// [`AnalyticsError::Json`] if serialisation fails; [`AnalyticsError::Io`] naming the file
/// if writing fails.
pub fn write_json<T: Serialize + ?Sized>(path: impl AsRef<Path>, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|source| AnalyticsError::Json {
        op: "write JSON report",
        source,
    })?;
    crate::chart::write_file_atomic(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_json_reports_a_missing_directory() {
        let path = std::env::temp_dir()
            .join(format!("youshi-no-such-dir-{}", std::process::id()))
            .join("r.json");
        let err = write_json(&path, &[1, 2]).unwrap_err();
        assert!(err.to_string().contains("youshi-no-such-dir"), "{err}");
    }
}
