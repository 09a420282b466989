//! The crate's error type, [`TensorError`].

use crate::shape::Shape;

/// Shorthand for `Result<T, TensorError>`.
pub type Result<T, E = TensorError> = std::result::Result<T, E>;

/// Every way a tensor operation can fail on user input.
///
/// Each message starts with the operation's name and carries the shapes or values involved,
/// in lowercase without a trailing period, e.g.
/// `matmul: cannot multiply [2, 3] by [4, 5]: inner dimensions 3 and 4 differ`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TensorError {
    /// A buffer's length does not match the number of elements of the requested shape.
    #[error("{op}: {len} elements cannot have shape {shape} ({numel} elements)")]
    LengthMismatch {
        /// The operation.
        op: &'static str,
        /// The number of elements given.
        len: usize,
        /// The requested shape.
        shape: Shape,
        /// The number of elements that shape holds.
        numel: usize,
    },
    /// Two shapes that must be equal (or otherwise agree) do not.
    #[error("{op}: shapes {lhs} and {rhs} do not match{detail}")]
    ShapeMismatch {
        /// The operation.
        op: &'static str,
        /// The first shape.
        lhs: Shape,
        /// The second shape.
        rhs: Shape,
        /// Extra detail, starting with `": "`, or empty.
        detail: String,
    },
    /// Two shapes cannot be broadcast together under NumPy's rules.
    #[error("{op}: shapes {lhs} and {rhs} cannot be broadcast together")]
    Broadcast {
        /// The operation.
        op: &'static str,
        /// The first shape.
        lhs: Shape,
        /// The second shape.
        rhs: Shape,
    },
    /// The inner dimensions of a matrix product differ.
    #[error("matmul: cannot multiply {lhs} by {rhs}: inner dimensions {k_lhs} and {k_rhs} differ")]
    MatmulMismatch {
        /// Shape of the left operand.
        lhs: Shape,
        /// Shape of the right operand.
        rhs: Shape,
        /// Inner dimension of the left operand.
        k_lhs: usize,
        /// Inner dimension of the right operand.
        k_rhs: usize,
    },
    /// A tensor has the wrong number of dimensions.
    #[error("{op}: expected {expected}, got shape {got}")]
    Rank {
        /// The operation.
        op: &'static str,
        /// What was expected, e.g. `"rank 4 [N, C, H, W]"`.
        expected: String,
        /// The shape received.
        got: Shape,
    },
    /// An axis is outside `-rank..rank`.
    #[error("{op}: axis {axis} is out of range for a tensor of rank {rank}")]
    InvalidAxis {
        /// The operation.
        op: &'static str,
        /// The axis given.
        axis: isize,
        /// The tensor's rank.
        rank: usize,
    },
    /// An index is outside the extent of the dimension it indexes.
    #[error("{op}: index {index} is out of bounds for dimension {axis} of size {size}")]
    IndexOutOfBounds {
        /// The operation.
        op: &'static str,
        /// The offending index.
        index: i64,
        /// The dimension indexed.
        axis: usize,
        /// The extent of that dimension.
        size: usize,
    },
    /// A reshape to a shape with a different number of elements, or with an unresolvable `-1`.
    #[error("{op}: cannot reshape {from} into {to}")]
    Reshape {
        /// The operation.
        op: &'static str,
        /// The tensor's shape.
        from: Shape,
        /// The requested shape, with `-1` for an inferred dimension.
        to: String,
    },
    /// An argument has an invalid value (zero stride, negative size, empty list, ...).
    #[error("{op}: {reason}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong, with the values involved.
        reason: String,
    },
    /// A reduction that needs at least one element was given none (max of an empty tensor).
    #[error("{op}: cannot reduce an empty dimension (shape {shape})")]
    EmptyReduction {
        /// The operation.
        op: &'static str,
        /// The input's shape.
        shape: Shape,
    },
}

impl TensorError {
    /// Builds an [`TensorError::InvalidArgument`].
    pub fn invalid(op: &'static str, reason: impl Into<String>) -> Self {
        TensorError::InvalidArgument {
            op,
            reason: reason.into(),
        }
    }

    /// Builds a [`TensorError::ShapeMismatch`] with an optional detail.
    pub fn mismatch(
        op: &'static str,
        lhs: impl Into<Shape>,
        rhs: impl Into<Shape>,
        detail: &str,
    ) -> Self {
        TensorError::ShapeMismatch {
            op,
            lhs: lhs.into(),
            rhs: rhs.into(),
            detail: if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            },
        }
    }

    /// Builds a [`TensorError::Rank`].
    pub fn rank(op: &'static str, expected: impl Into<String>, got: impl Into<Shape>) -> Self {
        TensorError::Rank {
            op,
            expected: expected.into(),
            got: got.into(),
        }
    }
}
