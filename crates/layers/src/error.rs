//! The crate's error type, [`LayerError`].

use youshi_autograd::AutogradError;
use youshi_tensor::{Shape, TensorError};

/// Shorthand for `Result<T, LayerError>`.
pub type Result<T, E = LayerError> = std::result::Result<T, E>;

/// Every way building, running, saving or loading a model can fail on user input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// A differentiable operation failed; the message names the operation and the shapes.
    #[error(transparent)]
    Autograd(#[from] AutogradError),
    /// A module received an input of the wrong rank, channels or features.
    #[error("{}: expected input {expected}, got {got}", location(path, kind))]
    Input {
        /// Dotted path of the module inside the model (`features.3`), empty at the top.
        path: String,
        /// The module's type (`Conv2d`).
        kind: &'static str,
        /// The expected shape, with letters for free dimensions (`[N, 32, H, W]`).
        expected: String,
        /// The shape received.
        got: Shape,
    },
    /// A module received an argument besides its input (an initial state, sequence lengths)
    /// that does not fit the input.
    #[error("{}: {arg} {reason}", location(path, kind))]
    Argument {
        /// Dotted path of the module inside the model, empty at the top.
        path: String,
        /// The module's type (`Lstm`).
        kind: &'static str,
        /// The argument (`h0`, `lengths`).
        arg: &'static str,
        /// What is wrong, with the shapes or values involved.
        reason: String,
    },
    /// A module was configured with invalid values.
    #[error("{kind}: {reason}")]
    Config {
        /// The module's type.
        kind: &'static str,
        /// What is wrong, with the values involved.
        reason: String,
    },
    /// A state dict did not match the model; every problem is listed.
    #[error("load_state_dict: {}", describe_mismatch(missing, unexpected, shapes))]
    StateDict {
        /// Names the model has but the file lacks.
        missing: Vec<String>,
        /// Names the file has but the model lacks.
        unexpected: Vec<String>,
        /// `(name, model shape, file shape or dtype)` for each entry that differs.
        shapes: Vec<(String, String, String)>,
    },
    /// Reading or writing a file failed.
    #[error("{op} {path}: {reason}")]
    Io {
        /// The operation (`save`, `load`).
        op: &'static str,
        /// The file.
        path: String,
        /// The operating system's message.
        reason: String,
    },
    /// A file's contents are malformed.
    #[error("{path}: {reason} (at byte offset {offset})")]
    Format {
        /// The file.
        path: String,
        /// Byte offset of the problem.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
}

fn location(path: &str, kind: &str) -> String {
    if path.is_empty() {
        kind.to_string()
    } else {
        format!("{path} ({kind})")
    }
}

fn describe_mismatch(
    missing: &[String],
    unexpected: &[String],
    shapes: &[(String, String, String)],
) -> String {
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing {}", missing.join(", ")));
    }
    if !unexpected.is_empty() {
        parts.push(format!("unexpected {}", unexpected.join(", ")));
    }
    for (name, model, file) in shapes {
        parts.push(format!("{name}: model has {model}, file has {file}"));
    }
    parts.join("; ")
}

impl From<TensorError> for LayerError {
    fn from(e: TensorError) -> Self {
        LayerError::Autograd(AutogradError::Tensor(e))
    }
}

impl LayerError {
    /// Prefixes the module path of an [`Input`](LayerError::Input) or
    /// [`Argument`](LayerError::Argument) error with `name`, as a container does for its
    /// children (`3` inside `features` becomes `features.3`).
    pub fn within(self, name: &str) -> Self {
        let prefixed = |path: String| {
            if path.is_empty() {
                name.to_string()
            } else {
                format!("{name}.{path}")
            }
        };
        match self {
            LayerError::Input {
                path,
                kind,
                expected,
                got,
            } => LayerError::Input {
                path: prefixed(path),
                kind,
                expected,
                got,
            },
            LayerError::Argument {
                path,
                kind,
                arg,
                reason,
            } => LayerError::Argument {
                path: prefixed(path),
                kind,
                arg,
                reason,
            },
            other => other,
        }
    }

    /// Builds an [`Input`](LayerError::Input) error for a module at the top of its path.
    pub fn input(kind: &'static str, expected: impl Into<String>, got: &[usize]) -> Self {
        LayerError::Input {
            path: String::new(),
            kind,
            expected: expected.into(),
            got: got.into(),
        }
    }

    /// Builds an [`Argument`](LayerError::Argument) error for a module at the top of its path.
    pub fn argument(kind: &'static str, arg: &'static str, reason: impl Into<String>) -> Self {
        LayerError::Argument {
            path: String::new(),
            kind,
            arg,
            reason: reason.into(),
        }
    }

    /// Builds a [`Config`](LayerError::Config) error.
    pub fn config(kind: &'static str, reason: impl Into<String>) -> Self {
        LayerError::Config {
            kind,
            reason: reason.into(),
        }
    }
}
