//! The analytics crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong reading event data or running an analysis.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// A file could not be opened or read.
    #[error("{op}: {path}: {source}")]
    Io {
        /// The operation (`"read events"`).
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A line of input could not be parsed: its number (from 1, counting the header), the
    /// column if known, and why.
    #[error("{op}: line {line}{}: {reason}", column.as_ref().map(|c| format!(", column {c:?}")).unwrap_or_default())]
    Parse {
        /// The operation (`"read CSV events"`).
        op: &'static str,
        /// The line number, from 1.
        line: u64,
        /// The column, when the problem is in one.
        column: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// A required column is missing from the input's header.
    #[error("{op}: no column {column:?}; the header has {available:?}")]
    MissingColumn {
        /// The operation.
        op: &'static str,
        /// The column asked for.
        column: String,
        /// The columns present.
        available: Vec<String>,
    },
    /// An argument is out of range or inconsistent (k = 0, n = 0, more conversions than users,
    /// a funnel with no steps, ...), named with its value.
    #[error("{op}: {reason}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// An analysis has nothing to work on (no events in the range, no repeat buyers, ...).
    #[error("{op}: {reason}")]
    Empty {
        /// The operation.
        op: &'static str,
        /// What is missing.
        reason: String,
    },
    /// An iterative fit did not converge; the last estimate is reported.
    #[error("{op}: did not converge after {iterations} iterations ({reason}); last estimate {last_estimate}")]
    NotConverged {
        /// The model being fitted.
        op: &'static str,
        /// Iterations run.
        iterations: usize,
        /// Why it is considered not converged.
        reason: String,
        /// The last parameter estimate, formatted.
        last_estimate: String,
    },
    /// Building or training a model failed in the layers or optimizer underneath.
    #[error("{op}: {source}")]
    Model {
        /// The operation (`"train churn model"`).
        op: &'static str,
        /// The underlying layer, autograd or optimizer error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Writing JSON failed.
    #[error("{op}: {source}")]
    Json {
        /// The operation.
        op: &'static str,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
}

impl AnalyticsError {
    /// An [`AnalyticsError::InvalidArgument`] error.
    pub fn invalid(op: &'static str, reason: impl Into<String>) -> Self {
        AnalyticsError::InvalidArgument {
            op,
            reason: reason.into(),
        }
    }

    /// An [`AnalyticsError::Model`] error wrapping a layer or optimizer error.
    pub fn model(op: &'static str, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        AnalyticsError::Model {
            op,
            source: Box::new(source),
        }
    }

    /// An [`AnalyticsError::Empty`] error.
    pub fn empty(op: &'static str, reason: impl Into<String>) -> Self {
        AnalyticsError::Empty {
            op,
            reason: reason.into(),
        }
    }
}

/// `Result` with [`AnalyticsError`].
pub type Result<T, E = AnalyticsError> = std::result::Result<T, E>;
