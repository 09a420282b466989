//! The data crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong reading a dataset or loading batches.
///
/// Messages name the file (and the byte offset, line or column) or the operation, in lowercase
/// without a trailing period, e.g.
/// `data/mnist/train-labels-idx1-ubyte.gz: at byte 8: file ends after 1200 of 60000 declared
/// labels (offset in the decompressed stream)`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file could not be opened or read.
    #[error("{op}: {path}: {source}")]
    Io {
        /// The operation (`"read MNIST images"`).
        op: String,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file's contents are not what its format requires.
    #[error("{path}: at byte {offset}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The byte offset of the problem (in the decompressed stream for gzip files).
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A value of a CSV file is missing, unparsable or out of place.
    #[error("{path}: line {line}, column \"{column}\": {reason}")]
    Csv {
        /// The file (or the name given to an in-memory reader).
        path: PathBuf,
        /// The 1-based line of the record (the header is line 1).
        line: u64,
        /// The column's name (or `#k` for a column beyond the header).
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// A CSV file has no column of a requested name.
    #[error(
        "{path}: no column named \"{column}\"; the columns are: {}",
        .available.join(", ")
    )]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        column: String,
        /// The columns the header has.
        available: Vec<String>,
    },
    /// None of the file names a dataset can be stored under exists in a directory.
    #[error("{op}: {dir}: none of {} exists", .candidates.join(", "))]
    NotFound {
        /// The operation (`"load MNIST train"`).
        op: &'static str,
        /// The directory searched.
        dir: PathBuf,
        /// The file names tried, in order.
        candidates: Vec<String>,
    },
    /// The background thread of a loader stopped without delivering its batches.
    #[error("background batch loader: {reason}")]
    Worker {
        /// What happened (the panic message when the thread panicked).
        reason: String,
    },
    /// A tensor operation failed.
    #[error(transparent)]
    Tensor(#[from] youshi_tensor::TensorError),
    /// An argument is out of range (batch size 0, split fraction above 1, ...).
    #[error("{op}: {reason}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl DataError {
    /// Builds a [`DataError::InvalidArgument`].
    pub fn invalid(op: &'static str, reason: impl Into<String>) -> Self {
        DataError::InvalidArgument {
            op,
            reason: reason.into(),
        }
    }

    /// Builds a [`DataError::Format`].
    pub fn format(path: impl Into<PathBuf>, offset: u64, reason: impl Into<String>) -> Self {
        DataError::Format {
            path: path.into(),
            offset,
            reason: reason.into(),
        }
    }

    /// Builds a [`DataError::Io`].
    pub fn io(op: impl Into<String>, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            op: op.into(),
            path: path.into(),
            source,
        }
    }
}

/// `Result` with [`DataError`].
pub type Result<T, E = DataError> = std::result::Result<T, E>;
