//! The optim crate's error type.

use youshi_autograd::AutogradError;
use youshi_data::DataError;
use youshi_layers::LayerError;
use youshi_tensor::TensorError;

/// Everything that can go wrong configuring an optimizer or schedule, stepping, or training.
#[derive(Debug, thiserror::Error)]
pub enum OptimError {
    /// A hyper-parameter is out of range, named with its value (`"Adam: beta1 = 1.2 is not in [0, 1)"`).
    #[error("{op}: {reason}")]
    Config {
        /// The optimizer, schedule or function.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A saved optimizer, schedule or checkpoint state does not fit what it is loaded into.
    #[error("{op}: {reason}")]
    State {
        /// The operation (`"Adam::load_state"`).
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Training stopped because the loss became NaN or infinite.
    #[error("training stopped: the loss is {loss} at epoch {epoch}, step {step}")]
    NonFiniteLoss {
        /// The epoch (from 1).
        epoch: usize,
        /// The step within the epoch (from 1).
        step: usize,
        /// The loss value.
        loss: f64,
    },
    /// A file could not be read or written.
    #[error("{op}: {path}: {source}")]
    Io {
        /// The operation.
        op: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not a valid checkpoint (or log): what is wrong and where.
    #[error("{op}: {path}: {reason}")]
    Format {
        /// The operation.
        op: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong, with the offset or key involved.
        reason: String,
    },
    /// A tensor operation failed.
    #[error(transparent)]
    Tensor(#[from] TensorError),
    /// Recording or differentiating failed.
    #[error(transparent)]
    Autograd(#[from] AutogradError),
    /// A layer or loss failed.
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// Loading a batch failed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Gradient clipping found a NaN or infinite total norm and was asked to fail on it
    /// (`error_if_nonfinite`).
    #[error("clip_grad_norm: the total norm of order {norm_type} of the gradients is {total}, so it cannot be clipped; turn error_if_nonfinite off to scale by it anyway")]
    NonFiniteNorm {
        /// The norm's order.
        norm_type: f64,
        /// The total norm (NaN or infinite).
        total: f64,
    },
    /// The data or the model's output cannot be used by the training loop: targets that are
    /// not class indices, an epoch without batches, a loss that is not a scalar.
    #[error("{op}: {reason}")]
    Input {
        /// The operation (`"Trainer::fit"`, `"Accuracy"`).
        op: &'static str,
        /// What is wrong, with the shapes or values involved.
        reason: String,
    },
}

impl OptimError {
    /// A [`OptimError::Config`] error.
    pub fn config(op: &'static str, reason: impl Into<String>) -> Self {
        OptimError::Config {
            op,
            reason: reason.into(),
        }
    }

    /// A [`OptimError::State`] error.
    pub fn state(op: &'static str, reason: impl Into<String>) -> Self {
        OptimError::State {
            op,
            reason: reason.into(),
        }
    }
}

impl OptimError {
    /// A [`OptimError::Input`] error.
    pub fn input(op: &'static str, reason: impl Into<String>) -> Self {
        OptimError::Input {
            op,
            reason: reason.into(),
        }
    }
}

/// `Result` with [`OptimError`].
pub type Result<T, E = OptimError> = std::result::Result<T, E>;
