//! The [`Shape`] of a tensor and axis helpers.

use std::fmt;

use crate::error::{Result, TensorError};

/// The extent of each dimension of a tensor, outermost first (row-major).
///
/// `Shape` displays as `[2, 3]`, which is how shapes appear in every error message.
///
/// # Examples
/// ```
/// use youshi_tensor::Shape;
/// let s = Shape::from([2, 3, 4]);
/// assert_eq!(s.numel(), 24);
/// assert_eq!(s.to_string(), "[2, 3, 4]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(pub Vec<usize>);

impl Shape {
    /// The dimensions as a slice.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Number of dimensions (the rank).
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements: the product of the dimensions (1 for a scalar shape `[]`).
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}

impl From<&[usize]> for Shape {
    fn from(d: &[usize]) -> Self {
        Shape(d.to_vec())
    }
}

impl From<Vec<usize>> for Shape {
    fn from(d: Vec<usize>) -> Self {
        Shape(d)
    }
}

impl From<&Vec<usize>> for Shape {
    fn from(d: &Vec<usize>) -> Self {
        Shape(d.clone())
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(d: [usize; N]) -> Self {
        Shape(d.to_vec())
    }
}

impl<const N: usize> From<&[usize; N]> for Shape {
    fn from(d: &[usize; N]) -> Self {
        Shape(d.to_vec())
    }
}

impl From<&Shape> for Shape {
    fn from(s: &Shape) -> Self {
        s.clone()
    }
}

/// Resolves a possibly negative axis (`-1` is the last) against a rank, as PyTorch's `dim`.
///
/// # Errors
/// [`TensorError::InvalidAxis`] if the axis is outside `-rank..rank`.
pub fn normalize_axis(op: &'static str, axis: isize, rank: usize) -> Result<usize> {
    let r = rank as isize;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        return Err(TensorError::InvalidAxis { op, axis, rank });
    }
    Ok(a as usize)
}

/// Resolves a list of axes with [`normalize_axis`], sorted ascending.
///
/// # Errors
/// [`TensorError::InvalidAxis`] for an axis out of range, [`TensorError::InvalidArgument`]
/// if an axis appears twice.
pub fn normalize_axes(op: &'static str, axes: &[isize], rank: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let n = normalize_axis(op, a, rank)?;
        if out.contains(&n) {
            return Err(TensorError::InvalidArgument {
                op,
                reason: format!("axis {a} appears more than once in {axes:?}"),
            });
        }
        out.push(n);
    }
    out.sort_unstable();
    Ok(out)
}

/// The shape two shapes broadcast to under NumPy's rules: align on the right, and each pair of
/// dimensions must be equal or one of them 1.
///
/// # Errors
/// [`TensorError::Broadcast`] naming `op` and both shapes when a pair is incompatible.
///
/// # Examples
/// ```
/// use youshi_tensor::broadcast_shapes;
/// assert_eq!(broadcast_shapes("add", &[4, 1, 3], &[2, 1]).unwrap(), vec![4, 2, 3]);
/// assert!(broadcast_shapes("add", &[2, 3], &[4]).is_err());
/// ```
pub fn broadcast_shapes(op: &'static str, lhs: &[usize], rhs: &[usize]) -> Result<Vec<usize>> {
    let n = lhs.len().max(rhs.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let l = if i + lhs.len() >= n {
            lhs[i + lhs.len() - n]
        } else {
            1
        };
        let r = if i + rhs.len() >= n {
            rhs[i + rhs.len() - n]
        } else {
            1
        };
        out[i] = if l == r || r == 1 {
            l
        } else if l == 1 {
            r
        } else {
            return Err(TensorError::Broadcast {
                op,
                lhs: lhs.into(),
                rhs: rhs.into(),
            });
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_numel() {
        assert_eq!(Shape::from([]).to_string(), "[]");
        assert_eq!(Shape::from([]).numel(), 1);
        assert_eq!(Shape::from([0, 5]).numel(), 0);
    }

    #[test]
    fn negative_axes_resolve() {
        assert_eq!(normalize_axis("sum", -1, 3).unwrap(), 2);
        assert_eq!(normalize_axis("sum", 0, 3).unwrap(), 0);
        let e = normalize_axis("sum", 3, 3).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sum: axis 3 is out of range for a tensor of rank 3"
        );
        assert!(normalize_axis("sum", -4, 3).is_err());
        let e = normalize_axes("sum", &[0, -3], 3).unwrap_err();
        assert!(e.to_string().contains("more than once"));
    }

    #[test]
    fn broadcast_rules() {
        assert_eq!(broadcast_shapes("add", &[], &[2, 3]).unwrap(), vec![2, 3]);
        assert_eq!(
            broadcast_shapes("add", &[5, 1], &[1, 4]).unwrap(),
            vec![5, 4]
        );
        assert_eq!(broadcast_shapes("add", &[0], &[1]).unwrap(), vec![0]);
        let e = broadcast_shapes("mul", &[2, 3], &[3, 2]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "mul: shapes [2, 3] and [3, 2] cannot be broadcast together"
        );
    }
}
