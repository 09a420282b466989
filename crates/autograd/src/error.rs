//! The crate's error type, [`AutogradError`].

use youshi_tensor::{Shape, TensorError};

/// Shorthand for `Result<T, AutogradError>`.
pub type Result<T, E = AutogradError> = std::result::Result<T, E>;

/// Every way recording or differentiating a computation can fail on user input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AutogradError {
    /// A tensor operation failed (bad shapes, axes, ...); the message names the operation.
    #[error(transparent)]
    Tensor(#[from] TensorError),
    /// `backward()` without an output gradient on a value with more than one element.
    #[error("backward: output of shape {shape} is not a scalar; pass an output gradient with backward_with")]
    NonScalarBackward {
        /// Shape of the output.
        shape: Shape,
    },
    /// A gradient's shape differs from the value it belongs to.
    #[error("{op}: gradient of shape {got} does not match value of shape {expected}")]
    GradShape {
        /// The operation (or `backward` for a user-supplied output gradient).
        op: &'static str,
        /// Shape of the value.
        expected: Shape,
        /// Shape of the gradient.
        got: Shape,
    },
    /// Differentiating a value that does not depend on anything that requires a gradient.
    #[error("{op}: value of shape {shape} does not require a gradient (it depends on no parameter or leaf, or was computed without recording)")]
    NoGradient {
        /// The operation asked.
        op: &'static str,
        /// Shape of the value.
        shape: Shape,
    },
    /// An operation mixed values recorded on two different graphs.
    #[error("{op}: operands belong to different graphs; record every input of a computation on the same Graph")]
    GraphMismatch {
        /// The operation.
        op: &'static str,
    },
    /// `backward` on a graph whose saved state was already freed by an earlier `backward`.
    #[error("backward: the graph was freed by an earlier backward; use backward_retain to differentiate twice")]
    GraphFreed,
    /// A parameter update or load with the wrong shape.
    #[error("{op}: parameter has shape {expected}, got {got}")]
    ParamShape {
        /// The operation.
        op: &'static str,
        /// The parameter's shape.
        expected: Shape,
        /// The shape given.
        got: Shape,
    },
    /// An argument has an invalid value.
    #[error("{op}: {reason}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong, with the values involved.
        reason: String,
    },
    /// The gradient check found an analytic gradient that disagrees with finite differences.
    #[error("gradcheck: input {input} element {index:?}: analytic {analytic:.6e} vs numeric {numeric:.6e} (abs error {abs_err:.3e}, tolerance {tol:.3e})")]
    GradcheckFailed {
        /// Which input.
        input: usize,
        /// Multi-index of the worst element.
        index: Vec<usize>,
        /// Analytic derivative.
        analytic: f64,
        /// Central finite-difference derivative.
        numeric: f64,
        /// `|analytic - numeric|`.
        abs_err: f64,
        /// The tolerance it exceeded: `atol + rtol * |numeric|`.
        tol: f64,
    },
}
