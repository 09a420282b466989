//! The [`Tensor`] type: construction, inspection and layout.

use std::fmt;

use ndarray::{ArcArray, ArrayD, ArrayViewD, ArrayViewMutD, Dimension, IxDyn};

use crate::element::{DType, Element};
use crate::error::{Result, TensorError};
use crate::shape::{normalize_axis, Shape};

/// Integer indices (argmax results, pooling argmax positions, gather/scatter indices):
/// an owned ndarray array of `usize`.
pub type Indices = ndarray::ArrayD<usize>;

/// An n-dimensional array of `f32` (the default) or `f64`, in row-major order.
///
/// A tensor is a reference-counted, strided view of shared storage: `clone`, [`reshape`] of
/// contiguous data, [`transpose`], [`permute`] and [`slice`] make new views without copying.
/// Writes go through [`array_mut`], which copies the storage first if another tensor shares it
/// (copy on write), so a tensor never changes behind another's back.
///
/// [`reshape`]: Tensor::reshape
/// [`transpose`]: Tensor::transpose
/// [`permute`]: Tensor::permute
/// [`slice`]: Tensor::slice
/// [`array_mut`]: Tensor::array_mut
///
/// # Examples
/// ```
/// use youshi_tensor::Tensor;
/// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
/// assert_eq!(t.shape(), &[2, 3]);
/// assert_eq!(t.get(&[1, 2])?, 6.0);
/// # Ok::<(), youshi_tensor::TensorError>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Tensor<T: Element = f32> {
    pub(crate) data: ArcArray<T, IxDyn>,
}

impl<T: Element> Tensor<T> {
    /// Wraps an ndarray array (no copy).
    pub fn from_array(a: ArrayD<T>) -> Self {
        Tensor {
            data: a.into_shared(),
        }
    }

    /// Wraps a shared ndarray array (no copy).
    pub fn from_arc(a: ArcArray<T, IxDyn>) -> Self {
        Tensor { data: a }
    }

    /// Makes a tensor of `shape` from row-major data.
    ///
    /// # Errors
    /// [`TensorError::LengthMismatch`] if `data.len()` is not the number of elements of `shape`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], [3])?;
    /// assert_eq!(t.shape(), &[3]);
    /// assert!(Tensor::from_vec(vec![1.0f32; 5], [2, 3]).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn from_vec(data: Vec<T>, shape: impl Into<Shape>) -> Result<Self> {
        let shape = shape.into();
        let numel = shape.numel();
        if data.len() != numel {
            return Err(TensorError::LengthMismatch {
                op: "from_vec",
                len: data.len(),
                shape,
                numel,
            });
        }
        let a = ArrayD::from_shape_vec(IxDyn(shape.dims()), data)
            .expect("from_vec: length was checked against the shape");
        Ok(Self::from_array(a))
    }

    /// Makes a tensor of `shape` whose element at each index is `f(index)`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let t = Tensor::<f32>::from_shape_fn([2, 2], |i| (i[0] * 10 + i[1]) as f32);
    /// assert_eq!(t.to_vec(), vec![0.0, 1.0, 10.0, 11.0]);
    /// ```
    pub fn from_shape_fn(shape: impl Into<Shape>, mut f: impl FnMut(&[usize]) -> T) -> Self {
        let shape = shape.into();
        Self::from_array(ArrayD::from_shape_fn(IxDyn(shape.dims()), |ix| {
            f(ix.slice())
        }))
    }

    /// A rank-0 tensor holding `v`.
    pub fn scalar(v: T) -> Self {
        Self::from_array(ArrayD::from_elem(IxDyn(&[]), v))
    }

    /// A tensor of `shape` filled with `v`.
    pub fn full(shape: impl Into<Shape>, v: T) -> Self {
        let shape = shape.into();
        Self::from_array(ArrayD::from_elem(IxDyn(shape.dims()), v))
    }

    /// A tensor of `shape` filled with zeros.
    pub fn zeros(shape: impl Into<Shape>) -> Self {
        Self::full(shape, T::zero())
    }

    /// A tensor of `shape` filled with ones.
    pub fn ones(shape: impl Into<Shape>) -> Self {
        Self::full(shape, T::one())
    }

    /// A tensor of zeros with the shape of `self`.
    pub fn zeros_like(&self) -> Self {
        Self::zeros(self.shape())
    }

    /// A tensor of ones with the shape of `self`.
    pub fn ones_like(&self) -> Self {
        Self::ones(self.shape())
    }

    /// Values `start, start + step, ...` below `end` (above it for a negative step), like
    /// `torch.arange`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `step` is zero or not finite, or if it points away
    /// from `end`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// assert_eq!(Tensor::<f32>::arange(0.0, 1.0, 0.25)?.to_vec(), vec![0.0, 0.25, 0.5, 0.75]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn arange(start: T, end: T, step: T) -> Result<Self> {
        let (s, e, d) = (start.as_f64(), end.as_f64(), step.as_f64());
        if d == 0.0 || !d.is_finite() || !s.is_finite() || !e.is_finite() {
            return Err(TensorError::invalid(
                "arange",
                format!("start {s}, end {e} and step {d} must be finite with a non-zero step"),
            ));
        }
        if (e - s) * d < 0.0 {
            return Err(TensorError::invalid(
                "arange",
                format!("step {d} does not lead from {s} to {e}"),
            ));
        }
        let n = ((e - s) / d).ceil().max(0.0) as usize;
        Ok(Self::from_array(ArrayD::from_shape_fn(IxDyn(&[n]), |ix| {
            T::of(s + d * ix[0] as f64)
        })))
    }

    /// `steps` values evenly spaced from `start` to `end` inclusive, like `torch.linspace`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// assert_eq!(Tensor::<f64>::linspace(0.0, 1.0, 5).to_vec(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: T, end: T, steps: usize) -> Self {
        let (s, e) = (start.as_f64(), end.as_f64());
        let step = if steps > 1 {
            (e - s) / (steps - 1) as f64
        } else {
            0.0
        };
        Self::from_array(ArrayD::from_shape_fn(IxDyn(&[steps]), |ix| {
            let i = ix[0];
            // Like PyTorch, fill the second half from the end so `end` is hit exactly.
            if i < steps / 2 {
                T::of(s + step * i as f64)
            } else {
                T::of(e - step * (steps - 1 - i) as f64)
            }
        }))
    }

    /// The `n x n` identity matrix.
    pub fn eye(n: usize) -> Self {
        Self::from_array(ArrayD::from_shape_fn(IxDyn(&[n, n]), |ix| {
            if ix[0] == ix[1] {
                T::one()
            } else {
                T::zero()
            }
        }))
    }

    /// The extent of each dimension.
    pub fn shape(&self) -> &[usize] {
        self.data.shape()
    }

    /// The shape as an owned [`Shape`] (for error messages and comparisons).
    pub fn shape_obj(&self) -> Shape {
        Shape::from(self.shape())
    }

    /// The extent of dimension `axis` (negative counts from the end).
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range.
    pub fn size(&self, axis: isize) -> Result<usize> {
        Ok(self.shape()[normalize_axis("size", axis, self.ndim())?])
    }

    /// Strides in elements, per dimension.
    pub fn strides(&self) -> &[isize] {
        self.data.strides()
    }

    /// Number of dimensions (rank).
    pub fn ndim(&self) -> usize {
        self.data.ndim()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// True if the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        T::DTYPE
    }

    /// A read-only ndarray view.
    pub fn view(&self) -> ArrayViewD<'_, T> {
        self.data.view()
    }

    /// The underlying shared ndarray array.
    pub fn array(&self) -> &ArcArray<T, IxDyn> {
        &self.data
    }

    /// A mutable ndarray view; copies the storage first if other tensors share it.
    pub fn array_mut(&mut self) -> ArrayViewMutD<'_, T> {
        self.data.view_mut()
    }

    /// Converts into an owned ndarray array (no copy if this tensor is the only owner of
    /// contiguous storage).
    pub fn into_array(self) -> ArrayD<T> {
        self.data.into_owned()
    }

    /// True if the elements lie in row-major order without gaps.
    pub fn is_contiguous(&self) -> bool {
        self.data.is_standard_layout()
    }

    /// A row-major contiguous tensor with the same values: `self` (shared) if it already is,
    /// a copy otherwise.
    pub fn contiguous(&self) -> Self {
        if self.is_contiguous() {
            self.clone()
        } else {
            Self::from_array(self.data.as_standard_layout().into_owned())
        }
    }

    /// The elements as a row-major slice, if the tensor is contiguous.
    pub fn as_slice(&self) -> Option<&[T]> {
        self.data.as_slice()
    }

    /// The elements in row-major (logical) order, copied.
    pub fn to_vec(&self) -> Vec<T> {
        match self.data.as_slice() {
            Some(s) => s.to_vec(),
            None => self.data.iter().copied().collect(),
        }
    }

    /// The single value of a one-element tensor (of any rank).
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if the tensor does not hold exactly one element.
    pub fn item(&self) -> Result<T> {
        if self.numel() != 1 {
            return Err(TensorError::invalid(
                "item",
                format!(
                    "a tensor of shape {} has {} elements, not 1",
                    self.shape_obj(),
                    self.numel()
                ),
            ));
        }
        Ok(*self.data.iter().next().expect("one element"))
    }

    /// The element at `index`.
    ///
    /// # Errors
    /// [`TensorError::Rank`] if `index` has the wrong length,
    /// [`TensorError::IndexOutOfBounds`] if a coordinate is too large.
    pub fn get(&self, index: &[usize]) -> Result<T> {
        if index.len() != self.ndim() {
            return Err(TensorError::rank(
                "get",
                format!("an index of rank {}", index.len()),
                self.shape(),
            ));
        }
        for (axis, (&i, &d)) in index.iter().zip(self.shape()).enumerate() {
            if i >= d {
                return Err(TensorError::IndexOutOfBounds {
                    op: "get",
                    index: i as i64,
                    axis,
                    size: d,
                });
            }
        }
        Ok(self.data[IxDyn(index)])
    }

    /// Converts every element to another element type.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let t = Tensor::<f32>::ones([2]).cast::<f64>();
    /// assert_eq!(t.to_vec(), vec![1.0f64, 1.0]);
    /// ```
    pub fn cast<U: Element>(&self) -> Tensor<U> {
        Tensor::from_array(self.data.mapv(|v| U::of(v.as_f64())))
    }

    /// Applies `f` to every element, giving a new contiguous tensor.
    pub fn map(&self, f: impl Fn(T) -> T) -> Self {
        Self::from_array(self.data.map(|&v| f(v)))
    }

    /// True if both tensors have the same shape and every pair of elements satisfies
    /// `|a - b| <= atol + rtol * |b|` (like `torch.allclose`; NaNs are never close).
    pub fn allclose(&self, other: &Self, rtol: f64, atol: f64) -> bool {
        self.shape() == other.shape()
            && self.data.iter().zip(other.data.iter()).all(|(&a, &b)| {
                let (a, b) = (a.as_f64(), b.as_f64());
                (a - b).abs() <= atol + rtol * b.abs()
            })
    }
}

impl<T: Element> From<ArrayD<T>> for Tensor<T> {
    fn from(a: ArrayD<T>) -> Self {
        Tensor::from_array(a)
    }
}

impl<T: Element> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Tensor<{}>{} {:?}",
            T::DTYPE,
            self.shape_obj(),
            self.data
        )
    }
}

impl<T: Element> fmt::Display for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vec_checks_length() {
        let e = Tensor::from_vec(vec![1.0f32; 5], [2, 3]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "from_vec: 5 elements cannot have shape [2, 3] (6 elements)"
        );
    }

    #[test]
    fn creation_values() {
        assert_eq!(Tensor::<f32>::eye(2).to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
        assert_eq!(Tensor::<f64>::full([2], 3.5).to_vec(), vec![3.5, 3.5]);
        assert_eq!(
            Tensor::<f32>::arange(5.0, 1.0, -2.0).unwrap().to_vec(),
            vec![5.0, 3.0]
        );
        assert_eq!(Tensor::<f32>::arange(0.0, 0.0, 1.0).unwrap().numel(), 0);
        assert!(Tensor::<f32>::arange(0.0, 1.0, 0.0).is_err());
        let e = Tensor::<f32>::arange(0.0, 1.0, -1.0).unwrap_err();
        assert!(e.to_string().starts_with("arange: step -1"));
        assert_eq!(Tensor::<f32>::linspace(1.0, 1.0, 1).to_vec(), vec![1.0]);
        assert_eq!(
            Tensor::<f32>::linspace(-1.0, 1.0, 3).to_vec(),
            vec![-1.0, 0.0, 1.0]
        );
        assert_eq!(Tensor::<f32>::scalar(2.0).item().unwrap(), 2.0);
    }

    #[test]
    fn item_and_get_errors() {
        let t = Tensor::<f32>::zeros([2, 2]);
        assert!(t.item().unwrap_err().to_string().contains("[2, 2]"));
        let e = t.get(&[0, 2]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "get: index 2 is out of bounds for dimension 1 of size 2"
        );
        assert!(t.get(&[0]).unwrap_err().to_string().contains("[2, 2]"));
    }

    #[test]
    fn copy_on_write_keeps_other_views_intact() {
        let a = Tensor::from_vec(vec![1.0f32, 2.0], [2]).unwrap();
        let mut b = a.clone();
        b.array_mut()[[0]] = 9.0;
        assert_eq!(a.to_vec(), vec![1.0, 2.0]);
        assert_eq!(b.to_vec(), vec![9.0, 2.0]);
    }
}
