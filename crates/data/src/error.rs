//! The data crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong reading a dataset or loading batches.
#[derive(Debug, thiserror::Error)]
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

/// `Result` with [`DataError`].
pub type Result<T, E = DataError> = std::result::Result<T, E>;
