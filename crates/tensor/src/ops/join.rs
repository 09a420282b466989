//! Joining and splitting: `concat`, `stack`, `split` / `split_sizes` / `chunk` (views),
//! constant `pad` and its adjoint `unpad`, and `repeat`.
//!
//! Semantics follow PyTorch (`torch.cat`, `torch.stack`, `torch.split`, `torch.chunk`,
//! `torch.nn.functional.pad` with constant mode, `torch.Tensor.repeat`).

use ndarray::{ArrayD, Axis, IxDyn, Slice, Zip};
use rayon::prelude::*;

use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::ops::index::{rows_per_task, PAR_MIN_ELEMS};
use crate::parallel;
use crate::shape::{normalize_axis, Shape};
use crate::tensor::Tensor;

/// The number of elements of `dims`, if it fits an allocation of `T`s.
fn checked_numel<T>(dims: &[usize]) -> Option<usize> {
    let n = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))?;
    let bytes = n.checked_mul(std::mem::size_of::<T>().max(1))?;
    (bytes <= isize::MAX as usize).then_some(n)
}

/// Concatenation along `axis`, reporting errors as `op`.
fn concat_impl<T: Element>(
    op: &'static str,
    tensors: &[&Tensor<T>],
    axis: isize,
) -> Result<Tensor<T>> {
    let Some(first) = tensors.first() else {
        return Err(TensorError::invalid(
            op,
            format!("expected at least one tensor, got an empty list (axis {axis})"),
        ));
    };
    let nd = first.ndim();
    let a = normalize_axis(op, axis, nd)?;
    let mut along = 0usize;
    for (i, t) in tensors.iter().enumerate() {
        if t.ndim() != nd {
            return Err(TensorError::mismatch(
                op,
                first.shape(),
                t.shape(),
                &format!(
                    "tensor {i} has rank {} but tensor 0 has rank {nd} (axis {axis})",
                    t.ndim()
                ),
            ));
        }
        if let Some(d) = (0..nd).find(|&d| d != a && t.shape()[d] != first.shape()[d]) {
            return Err(TensorError::mismatch(
                op,
                first.shape(),
                t.shape(),
                &format!(
                    "tensor {i} differs from tensor 0 in dimension {d}, not only along axis {a}"
                ),
            ));
        }
        along = along.checked_add(t.shape()[a]).ok_or_else(|| {
            TensorError::invalid(op, format!("the sizes along axis {a} overflow"))
        })?;
    }
    let mut out_shape = first.shape().to_vec();
    out_shape[a] = along;
    let total = checked_numel::<T>(&out_shape).ok_or_else(|| {
        TensorError::invalid(
            op,
            format!("the result {} is too large", Shape(out_shape.clone())),
        )
    })?;
    if total == 0 {
        return Ok(Tensor::zeros(out_shape));
    }
    let outer: usize = out_shape[..a].iter().product();
    let inner: usize = out_shape[a + 1..].iter().product();
    let big = total >= PAR_MIN_ELEMS && parallel::threads() > 1;
    let Some(srcs) = tensors
        .iter()
        .map(|p| p.as_slice().map(|s| (s, p.shape()[a] * inner)))
        .collect::<Option<Vec<(&[T], usize)>>>()
    else {
        // Some piece is a strided view: copy each piece straight into its slab of the output
        // (no intermediate contiguous copy).
        let mut out = ArrayD::<T>::zeros(IxDyn(&out_shape));
        let mut at = 0;
        for t in tensors {
            let len = t.shape()[a];
            let mut slab = out.slice_axis_mut(Axis(a), Slice::from(at..at + len));
            let zip = Zip::from(&mut slab).and(t.view());
            if big {
                parallel::install(|| zip.par_for_each(|o, &x| *o = x));
            } else {
                zip.for_each(|o, &x| *o = x);
            }
            at += len;
        }
        return Ok(Tensor::from_array(out));
    };
    let row = along * inner;
    let out = if big && outer >= 2 {
        let mut out = vec![T::zero(); total];
        let per = rows_per_task(outer, row);
        parallel::install(|| {
            out.par_chunks_mut(per * row)
                .enumerate()
                .for_each(|(t, dst)| {
                    for (k, dst_row) in dst.chunks_mut(row).enumerate() {
                        let o = t * per + k;
                        let mut at = 0;
                        for &(s, c) in &srcs {
                            dst_row[at..at + c].copy_from_slice(&s[o * c..(o + 1) * c]);
                            at += c;
                        }
                    }
                });
        });
        out
    } else {
        let mut out = Vec::with_capacity(total);
        for o in 0..outer {
            for &(s, c) in &srcs {
                out.extend_from_slice(&s[o * c..(o + 1) * c]);
            }
        }
        out
    };
    Tensor::from_vec(out, out_shape)
}

impl<T: Element> Tensor<T> {
    /// Joins tensors along an existing axis, like `torch.cat`.
    ///
    /// # Shapes
    /// All tensors have the same rank and agree on every dimension except `axis`; the result's
    /// extent along `axis` is the sum of theirs.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] for an empty list, [`TensorError::InvalidAxis`] if
    /// `axis` is out of range for the first tensor, [`TensorError::ShapeMismatch`] naming both
    /// shapes and the axis if a rank or another dimension differs.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let a = Tensor::<f32>::from_vec(vec![1.0, 2.0], [1, 2])?;
    /// let b = Tensor::<f32>::from_vec(vec![3.0, 4.0, 5.0, 6.0], [2, 2])?;
    /// let c = Tensor::concat(&[&a, &b], 0)?;
    /// assert_eq!(c.shape(), &[3, 2]);
    /// assert_eq!(c.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    /// assert!(Tensor::concat(&[&a, &b], 1).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn concat(tensors: &[&Tensor<T>], axis: isize) -> Result<Tensor<T>> {
        concat_impl("concat", tensors, axis)
    }

    /// Joins tensors of one shape along a new axis, like `torch.stack`.
    ///
    /// # Shapes
    /// `n` tensors of shape `[d0, .., dk]` give a result with `n` inserted at position `axis`
    /// (in `-(k+2)..=k+1`).
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] for an empty list, [`TensorError::InvalidAxis`] if
    /// `axis` is out of range, [`TensorError::ShapeMismatch`] naming both shapes if two
    /// tensors differ in shape.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let a = Tensor::<f64>::from_vec(vec![1.0, 2.0], [2])?;
    /// let b = Tensor::<f64>::from_vec(vec![3.0, 4.0], [2])?;
    /// assert_eq!(Tensor::stack(&[&a, &b], 0)?.to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
    /// let s = Tensor::stack(&[&a, &b], -1)?;
    /// assert_eq!(s.shape(), &[2, 2]);
    /// assert_eq!(s.to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn stack(tensors: &[&Tensor<T>], axis: isize) -> Result<Tensor<T>> {
        let Some(first) = tensors.first() else {
            return Err(TensorError::invalid(
                "stack",
                format!("expected at least one tensor, got an empty list (axis {axis})"),
            ));
        };
        let a = normalize_axis("stack", axis, first.ndim() + 1)?;
        if let Some((i, t)) = tensors
            .iter()
            .enumerate()
            .find(|(_, t)| t.shape() != first.shape())
        {
            return Err(TensorError::mismatch(
                "stack",
                first.shape(),
                t.shape(),
                &format!("tensor {i} differs from tensor 0; all must have one shape (axis {axis})"),
            ));
        }
        let views = tensors
            .iter()
            .map(|t| t.unsqueeze(a as isize))
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&Tensor<T>> = views.iter().collect();
        concat_impl("stack", &refs, a as isize)
    }

    /// Splits into views of `size` entries along `axis`, the last one smaller if `size` does
    /// not divide the extent, like `torch.split` with an integer.
    ///
    /// An axis of extent 0 gives one empty piece, as in PyTorch.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range, [`TensorError::InvalidArgument`]
    /// if `size` is 0.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 5.0, 1.0)?;
    /// let parts = x.split(2, 0)?;
    /// let sizes: Vec<usize> = parts.iter().map(|p| p.numel()).collect();
    /// assert_eq!(sizes, vec![2, 2, 1]);
    /// assert_eq!(parts[2].to_vec(), vec![4.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn split(&self, size: usize, axis: isize) -> Result<Vec<Self>> {
        let a = normalize_axis("split", axis, self.ndim())?;
        if size == 0 {
            return Err(TensorError::invalid(
                "split",
                format!(
                    "split size must be positive, got 0 for dimension {a} of shape {}",
                    self.shape_obj()
                ),
            ));
        }
        Ok(self.split_views(a, size))
    }

    /// Views of `size` entries along the resolved axis `a` (`size > 0`).
    fn split_views(&self, a: usize, size: usize) -> Vec<Self> {
        let dim = self.shape()[a];
        if dim == 0 {
            return vec![self.clone()];
        }
        (0..dim)
            .step_by(size)
            .map(|s| self.slice_view(a, s, s.saturating_add(size), 1))
            .collect()
    }

    /// Splits into views of the given sizes along `axis`, like `torch.split` with a list.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range, [`TensorError::InvalidArgument`]
    /// if the sizes do not sum to the extent of `axis`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 6.0, 1.0)?.reshape(&[2, 3])?;
    /// let parts = x.split_sizes(&[1, 0, 2], 1)?;
    /// assert_eq!(parts[0].to_vec(), vec![0.0, 3.0]);
    /// assert_eq!(parts[1].shape(), &[2, 0]);
    /// assert_eq!(parts[2].to_vec(), vec![1.0, 2.0, 4.0, 5.0]);
    /// assert!(x.split_sizes(&[1, 1], 1).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn split_sizes(&self, sizes: &[usize], axis: isize) -> Result<Vec<Self>> {
        let a = normalize_axis("split_sizes", axis, self.ndim())?;
        let dim = self.shape()[a];
        let sum = sizes.iter().try_fold(0usize, |acc, &s| acc.checked_add(s));
        if sum != Some(dim) {
            let sum = sum.map_or_else(|| "overflow".to_string(), |s| s.to_string());
            return Err(TensorError::invalid(
                "split_sizes",
                format!(
                    "sizes {sizes:?} sum to {sum} but dimension {a} of shape {} has size {dim}",
                    self.shape_obj()
                ),
            ));
        }
        let mut start = 0;
        Ok(sizes
            .iter()
            .map(|&s| {
                let v = self.slice_view(a, start, start + s, 1);
                start += s;
                v
            })
            .collect())
    }

    /// Splits into at most `n` views along `axis`, each of `ceil(dim / n)` entries but the last,
    /// like `torch.chunk` (so fewer than `n` pieces may come back; an axis of extent 0 gives
    /// `n` empty pieces).
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range, [`TensorError::InvalidArgument`]
    /// if `n` is 0.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f32>::zeros([5, 2]);
    /// let sizes: Vec<usize> = x.chunk(4, 0)?.iter().map(|p| p.shape()[0]).collect();
    /// assert_eq!(sizes, vec![2, 2, 1]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn chunk(&self, n: usize, axis: isize) -> Result<Vec<Self>> {
        let a = normalize_axis("chunk", axis, self.ndim())?;
        if n == 0 {
            return Err(TensorError::invalid(
                "chunk",
                format!(
                    "number of chunks must be positive, got 0 for dimension {a} of shape {}",
                    self.shape_obj()
                ),
            ));
        }
        let dim = self.shape()[a];
        if dim == 0 {
            return Ok(vec![self.clone(); n]);
        }
        Ok(self.split_views(a, dim.div_ceil(n)))
    }

    /// Pads with the constant `value`, like `torch.nn.functional.pad(mode="constant")` but
    /// with the pairs in natural order: `pads[k] = (before, after)` applies to dimension
    /// `ndim - pads.len() + k`. For NCHW, `x.pad(&[(1, 1), (2, 2)], 0.0)` pads H by 1 and W
    /// by 2 on each side. The adjoint is [`unpad`](Tensor::unpad).
    ///
    /// # Shapes
    /// Each padded dimension grows by `before + after`; the others are unchanged.
    ///
    /// # Errors
    /// [`TensorError::Rank`] if `pads` has more pairs than `self` has dimensions,
    /// [`TensorError::InvalidArgument`] if the padded shape overflows.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f32>::ones([1, 2]);
    /// let p = x.pad(&[(1, 0), (0, 2)], 0.0)?;
    /// assert_eq!(p.shape(), &[2, 4]);
    /// assert_eq!(p.to_vec(), vec![0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn pad(&self, pads: &[(usize, usize)], value: T) -> Result<Self> {
        let first = self.first_padded("pad", pads)?;
        let mut shape = self.shape().to_vec();
        for (k, &(b, e)) in pads.iter().enumerate() {
            let d = first + k;
            shape[d] = shape[d]
                .checked_add(b)
                .and_then(|v| v.checked_add(e))
                .ok_or_else(|| {
                    TensorError::invalid(
                        "pad",
                        format!(
                            "padding ({b}, {e}) overflows dimension {d} of shape {}",
                            self.shape_obj()
                        ),
                    )
                })?;
        }
        if checked_numel::<T>(&shape).is_none() {
            return Err(TensorError::invalid(
                "pad",
                format!("padding {pads:?} makes {} too large", self.shape_obj()),
            ));
        }
        let mut out = ArrayD::from_elem(IxDyn(&shape), value);
        if self.numel() > 0 {
            let mut interior = out.slice_each_axis_mut(|ax| {
                let d = ax.axis.index();
                if d >= first {
                    let b = pads[d - first].0;
                    Slice::from(b..b + self.shape()[d])
                } else {
                    Slice::from(..)
                }
            });
            let zip = Zip::from(&mut interior).and(self.view());
            if self.numel() >= PAR_MIN_ELEMS && parallel::threads() > 1 {
                parallel::install(|| zip.par_for_each(|o, &x| *o = x));
            } else {
                zip.for_each(|o, &x| *o = x);
            }
        }
        Ok(Self::from_array(out))
    }

    /// Removes padding: the view without `before` leading and `after` trailing entries of each
    /// padded dimension, with `pads` laid out as in [`pad`](Tensor::pad) (whose adjoint this
    /// is).
    ///
    /// # Errors
    /// [`TensorError::Rank`] if `pads` has more pairs than `self` has dimensions,
    /// [`TensorError::InvalidArgument`] if a dimension is smaller than `before + after`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f32>::ones([2, 3]);
    /// let p = x.pad(&[(1, 2), (0, 1)], 0.0)?;
    /// assert_eq!(p.unpad(&[(1, 2), (0, 1)])?, x);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn unpad(&self, pads: &[(usize, usize)]) -> Result<Self> {
        let first = self.first_padded("unpad", pads)?;
        let mut data = self.data.clone();
        for (k, &(b, e)) in pads.iter().enumerate() {
            let d = first + k;
            let size = self.shape()[d];
            match b.checked_add(e) {
                Some(s) if s <= size => {
                    data.slice_axis_inplace(Axis(d), Slice::from(b..size - e));
                }
                _ => {
                    return Err(TensorError::invalid(
                        "unpad",
                        format!(
                            "cannot remove padding ({b}, {e}) from dimension {d} of size {size} \
                             (shape {})",
                            self.shape_obj()
                        ),
                    ))
                }
            }
        }
        Ok(Tensor { data })
    }

    /// The first dimension `pads` applies to, or a rank error naming `op`.
    fn first_padded(&self, op: &'static str, pads: &[(usize, usize)]) -> Result<usize> {
        self.ndim().checked_sub(pads.len()).ok_or_else(|| {
            TensorError::rank(
                op,
                format!("rank >= {0} for {0} (before, after) pairs", pads.len()),
                self.shape(),
            )
        })
    }

    /// Tiles the tensor `reps[d]` times along each dimension, like `torch.Tensor.repeat`;
    /// extra leading entries of `reps` add new leading dimensions.
    ///
    /// # Shapes
    /// With `self` viewed as `[1, .., 1, d0, .., dk]` of rank `reps.len()`, the result has
    /// shape `[reps[0] * 1, .., reps[i] * d(i)]`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `reps` has fewer entries than `self` has
    /// dimensions, or the result is too large.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f32>::from_vec(vec![1.0, 2.0], [2])?;
    /// let r = x.repeat(&[2, 2])?;
    /// assert_eq!(r.shape(), &[2, 4]);
    /// assert_eq!(r.to_vec(), vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn repeat(&self, reps: &[usize]) -> Result<Self> {
        let nd = self.ndim();
        let m = reps.len();
        if m < nd {
            return Err(TensorError::invalid(
                "repeat",
                format!(
                    "{m} repeats {reps:?} for shape {}: need at least one per dimension",
                    self.shape_obj()
                ),
            ));
        }
        let mut src = vec![1usize; m - nd];
        src.extend_from_slice(self.shape());
        let too_large = || {
            TensorError::invalid(
                "repeat",
                format!("repeating {} by {reps:?} is too large", self.shape_obj()),
            )
        };
        let out_shape = reps
            .iter()
            .zip(&src)
            .map(|(&r, &s)| r.checked_mul(s))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(too_large)?;
        checked_numel::<T>(&out_shape).ok_or_else(too_large)?;
        // View `self` as [1, s0, 1, s1, ...] and broadcast it to [r0, s0, r1, s1, ...].
        let mut v = self.view();
        for _ in nd..m {
            v = v.insert_axis(Axis(0));
        }
        for i in (0..m).rev() {
            v = v.insert_axis(Axis(i));
        }
        let tiled: Vec<usize> = reps.iter().zip(&src).flat_map(|(&r, &s)| [r, s]).collect();
        let b = v.broadcast(IxDyn(&tiled)).ok_or_else(too_large)?;
        let out = b
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order(IxDyn(&out_shape))
            .map_err(|_| too_large())?;
        Ok(Self::from_array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(shape: &[usize]) -> Tensor<f64> {
        let n: usize = shape.iter().product();
        Tensor::from_vec((0..n).map(|v| v as f64).collect(), shape).unwrap()
    }

    #[test]
    fn concat_values_and_axes() {
        let a = range(&[2, 2]);
        let b = range(&[2, 3]).map(|v| v + 10.0);
        let c = Tensor::concat(&[&a, &b], -1).unwrap();
        assert_eq!(c.shape(), &[2, 5]);
        assert_eq!(
            c.to_vec(),
            vec![0., 1., 10., 11., 12., 2., 3., 13., 14., 15.]
        );
        // non-contiguous pieces and a single piece
        let t = range(&[3, 2]).t().unwrap();
        let c = Tensor::concat(&[&t, &a], 1).unwrap();
        assert_eq!(c.to_vec(), vec![0., 2., 4., 0., 1., 1., 3., 5., 2., 3.]);
        assert_eq!(Tensor::concat(&[&a], 0).unwrap(), a);
        // empty pieces are fine when the other dimensions agree
        let e = Tensor::<f64>::zeros([0, 2]);
        assert_eq!(Tensor::concat(&[&e, &a, &e], 0).unwrap(), a);
    }

    #[test]
    fn concat_errors_name_shapes_and_axis() {
        let a = range(&[2, 2]);
        let b = range(&[3, 3]);
        let e = Tensor::concat(&[&a, &b], 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "concat: shapes [2, 2] and [3, 3] do not match: tensor 1 differs from tensor 0 in \
             dimension 0, not only along axis 1"
        );
        let e = Tensor::concat(&[&a, &range(&[2])], 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "concat: shapes [2, 2] and [2] do not match: tensor 1 has rank 1 but tensor 0 has \
             rank 2 (axis 0)"
        );
        let e = Tensor::<f64>::concat(&[], 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "concat: expected at least one tensor, got an empty list (axis 0)"
        );
        let e = Tensor::concat(&[&a], 2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "concat: axis 2 is out of range for a tensor of rank 2"
        );
        let s = Tensor::<f64>::scalar(1.0);
        assert!(Tensor::concat(&[&s, &s], 0).is_err());
    }

    #[test]
    fn stack_values_and_errors() {
        let a = range(&[2, 3]);
        let b = a.map(|v| -v);
        let s = Tensor::stack(&[&a, &b], 1).unwrap();
        assert_eq!(s.shape(), &[2, 2, 3]);
        assert_eq!(s.select(1, 1).unwrap(), b);
        assert_eq!(Tensor::stack(&[&a, &b], 2).unwrap().shape(), &[2, 3, 2]);
        assert_eq!(Tensor::stack(&[&a], -3).unwrap().shape(), &[1, 2, 3]);
        let x = Tensor::<f64>::scalar(4.0);
        assert_eq!(
            Tensor::stack(&[&x, &x], 0).unwrap().to_vec(),
            vec![4.0, 4.0]
        );
        let e = Tensor::stack(&[&a, &range(&[3, 2])], 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "stack: shapes [2, 3] and [3, 2] do not match: tensor 1 differs from tensor 0; all \
             must have one shape (axis 0)"
        );
        let e = Tensor::stack(&[&a], 3).unwrap_err();
        assert_eq!(
            e.to_string(),
            "stack: axis 3 is out of range for a tensor of rank 3"
        );
        assert!(Tensor::<f64>::stack(&[], 0).is_err());
    }

    #[test]
    fn split_chunk_are_views() {
        let x = range(&[7, 2]);
        let parts = x.split(3, 0).unwrap();
        let sizes: Vec<usize> = parts.iter().map(|p| p.shape()[0]).collect();
        assert_eq!(sizes, vec![3, 3, 1]);
        assert_eq!(parts[2].to_vec(), vec![12., 13.]);
        let x0 = x.as_slice().unwrap();
        assert_eq!(parts[1].array().as_ptr(), &x0[6] as *const f64);
        assert_eq!(x.split(10, 0).unwrap().len(), 1);
        assert_eq!(
            x.split(1, -1).unwrap()[1].to_vec(),
            vec![1., 3., 5., 7., 9., 11., 13.]
        );
        let chunks = x.chunk(3, 0).unwrap();
        assert_eq!(
            chunks.iter().map(|c| c.shape()[0]).collect::<Vec<_>>(),
            vec![3, 3, 1]
        );
        // fewer pieces than asked, like torch.chunk
        assert_eq!(range(&[6]).chunk(4, 0).unwrap().len(), 3);
        assert_eq!(range(&[2]).chunk(5, 0).unwrap().len(), 2);
        // empty dimensions
        let e = Tensor::<f64>::zeros([0, 3]);
        assert_eq!(e.split(2, 0).unwrap().len(), 1);
        assert_eq!(e.chunk(3, 0).unwrap().len(), 3);
        let s = x.split_sizes(&[0, 5, 2], 0).unwrap();
        assert_eq!(s[0].shape(), &[0, 2]);
        assert_eq!(s[2].to_vec(), vec![10., 11., 12., 13.]);
        assert_eq!(s[2].array().as_ptr(), &x0[10] as *const f64);
    }

    #[test]
    fn split_errors() {
        let x = range(&[7, 2]);
        let e = x.split(0, 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "split: split size must be positive, got 0 for dimension 0 of shape [7, 2]"
        );
        let e = x.split_sizes(&[3, 3], 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "split_sizes: sizes [3, 3] sum to 6 but dimension 0 of shape [7, 2] has size 7"
        );
        let e = x.split_sizes(&[usize::MAX, 8], 0).unwrap_err();
        assert!(e.to_string().contains("sum to overflow"));
        let e = x.chunk(0, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "chunk: number of chunks must be positive, got 0 for dimension 1 of shape [7, 2]"
        );
        assert!(x.split(1, 2).is_err());
        assert!(x.chunk(1, -3).is_err());
    }

    #[test]
    fn pad_unpad_values() {
        let x = range(&[1, 2, 2]);
        let p = x.pad(&[(1, 0), (0, 1)], -1.0).unwrap();
        assert_eq!(p.shape(), &[1, 3, 3]);
        assert_eq!(p.to_vec(), vec![-1., -1., -1., 0., 1., -1., 2., 3., -1.]);
        assert_eq!(x.pad(&[], 0.0).unwrap(), x);
        let full = x.pad(&[(1, 1), (0, 0), (2, 0)], 0.0).unwrap();
        assert_eq!(full.shape(), &[3, 2, 4]);
        assert_eq!(full.unpad(&[(1, 1), (0, 0), (2, 0)]).unwrap(), x);
        // non-contiguous input
        let t = range(&[2, 3]).t().unwrap();
        let pt = t.pad(&[(0, 1)], 9.0).unwrap();
        assert_eq!(pt.to_vec(), vec![0., 3., 9., 1., 4., 9., 2., 5., 9.]);
        // unpad is a view
        let u = p.unpad(&[(1, 0), (0, 1)]).unwrap();
        assert_eq!(u.array().as_ptr(), &p.as_slice().unwrap()[3] as *const f64);
        // padding an empty tensor
        let e = Tensor::<f64>::zeros([0, 2]).pad(&[(1, 1)], 5.0).unwrap();
        assert_eq!(e.shape(), &[0, 4]);
    }

    #[test]
    fn pad_errors() {
        let x = range(&[2, 2]);
        let e = x.pad(&[(0, 0); 3], 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "pad: expected rank >= 3 for 3 (before, after) pairs, got shape [2, 2]"
        );
        let e = x.pad(&[(usize::MAX, 1)], 0.0).unwrap_err();
        assert!(e.to_string().starts_with("pad: padding ("));
        assert!(e
            .to_string()
            .contains("overflows dimension 1 of shape [2, 2]"));
        assert!(x.pad(&[(usize::MAX / 4, 0), (0, 0)], 0.0).is_err());
        let e = x.unpad(&[(1, 2)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unpad: cannot remove padding (1, 2) from dimension 1 of size 2 (shape [2, 2])"
        );
        assert!(x.unpad(&[(usize::MAX, 1)]).is_err());
        assert!(x.unpad(&[(0, 0); 3]).is_err());
    }

    #[test]
    fn repeat_tiles() {
        let x = range(&[2, 2]);
        let r = x.repeat(&[1, 2]).unwrap();
        assert_eq!(r.to_vec(), vec![0., 1., 0., 1., 2., 3., 2., 3.]);
        let r = x.repeat(&[2, 1, 1]).unwrap();
        assert_eq!(r.shape(), &[2, 2, 2]);
        assert_eq!(r.select(0, 1).unwrap(), x);
        let t = x.t().unwrap().repeat(&[2, 1]).unwrap();
        assert_eq!(t.to_vec(), vec![0., 2., 1., 3., 0., 2., 1., 3.]);
        assert_eq!(x.repeat(&[0, 3]).unwrap().shape(), &[0, 6]);
        let e = x.repeat(&[2]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "repeat: 1 repeats [2] for shape [2, 2]: need at least one per dimension"
        );
        assert!(x.repeat(&[usize::MAX, 2]).is_err());
        assert_eq!(
            Tensor::<f64>::scalar(3.0).repeat(&[3]).unwrap().to_vec(),
            vec![3.0; 3]
        );
    }

    #[test]
    fn large_concat_takes_the_parallel_path() {
        let a = range(&[64, 700]);
        let b = range(&[64, 333]).map(|v| -v);
        let c = Tensor::concat(&[&a, &b], 1).unwrap();
        let parts = c.split_sizes(&[700, 333], 1).unwrap();
        assert!(parts[0] == a && parts[1] == b);
        // Strided pieces are copied straight into the output.
        let at = a.t().unwrap();
        let ct = Tensor::concat(&[&at, &at], 0).unwrap();
        assert!(ct.narrow(0, 700, 700).unwrap() == at && ct.narrow(0, 0, 700).unwrap() == at);
        let p = c.pad(&[(1, 1), (2, 3)], 7.0).unwrap();
        assert!(p.unpad(&[(1, 1), (2, 3)]).unwrap() == c);
        assert_eq!(p.get(&[0, 5]).unwrap(), 7.0);
    }
}
