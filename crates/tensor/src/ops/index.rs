//! Slicing and indexing: `slice`, `narrow` and `select` (views), `index_select` /
//! `index_add`, `gather` / `scatter_add` (in `index/gather.rs`; each pair adjoint, as autograd
//! needs) and `masked_fill`.
//!
//! Semantics follow PyTorch. Copying kernels work on contiguous row-major buffers and split
//! large outputs across the kernel pool; every index is validated before any work starts, so
//! nothing panics on user input.

use ndarray::{ArrayD, ArrayViewMut3, ArrayViewMutD, Axis, IxDyn, Slice, Zip};
use rayon::prelude::*;

use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::parallel;
use crate::shape::{normalize_axis, Shape};
use crate::tensor::Tensor;

mod gather;

/// Below this many elements an indexing kernel runs on the calling thread.
pub(crate) const PAR_MIN_ELEMS: usize = 1 << 16;

/// An [`TensorError::IndexOutOfBounds`] for `index` along `axis` of extent `size`.
pub(crate) fn out_of_bounds(
    op: &'static str,
    index: usize,
    axis: usize,
    size: usize,
) -> TensorError {
    TensorError::IndexOutOfBounds {
        op,
        index: i64::try_from(index).unwrap_or(i64::MAX),
        axis,
        size,
    }
}

/// Checks that every index is below `size`, naming the first one that is not.
pub(crate) fn check_indices<'a>(
    op: &'static str,
    indices: impl IntoIterator<Item = &'a usize>,
    axis: usize,
    size: usize,
) -> Result<()> {
    match indices.into_iter().find(|&&i| i >= size) {
        Some(&i) => Err(out_of_bounds(op, i, axis, size)),
        None => Ok(()),
    }
}

/// `(prod(shape[..axis]), shape[axis], prod(shape[axis + 1..]))`.
fn outer_inner(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (
        shape[..axis].iter().product(),
        shape[axis],
        shape[axis + 1..].iter().product(),
    )
}

/// How many rows of `row_len` elements one parallel task handles: about four tasks per
/// thread, and at least a few thousand elements each.
pub(crate) fn rows_per_task(rows: usize, row_len: usize) -> usize {
    let by_threads = rows.div_ceil(parallel::threads() * 4);
    let by_size = 4096usize.div_ceil(row_len.max(1));
    by_threads.max(by_size).max(1)
}

impl<T: Element> Tensor<T> {
    /// The view `x[..., start:end:step, ...]` along `axis`, sharing storage (no copy).
    ///
    /// Follows Python and PyTorch: `end` is clamped to the size, and `start >= end` or
    /// `start >= size` gives an empty dimension rather than an error.
    ///
    /// # Shapes
    /// The extent of `axis` becomes `ceil((min(end, size) - start) / step)` (0 if negative);
    /// the other dimensions are unchanged.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range, [`TensorError::InvalidArgument`]
    /// if `step` is 0.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 10.0, 1.0)?.reshape(&[2, 5])?;
    /// let s = x.slice(1, 1, 100, 2)?; // x[:, 1::2]
    /// assert_eq!(s.shape(), &[2, 2]);
    /// assert_eq!(s.to_vec(), vec![1.0, 3.0, 6.0, 8.0]);
    /// assert_eq!(x.slice(0, 5, 9, 1)?.shape(), &[0, 5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn slice(&self, axis: isize, start: usize, end: usize, step: usize) -> Result<Self> {
        let a = normalize_axis("slice", axis, self.ndim())?;
        if step == 0 {
            return Err(TensorError::invalid(
                "slice",
                format!(
                    "step must be positive, got 0 for axis {axis} of shape {}",
                    self.shape_obj()
                ),
            ));
        }
        Ok(self.slice_view(a, start, end, step))
    }

    /// [`slice`](Tensor::slice) on a resolved axis; clamps like Python, never fails.
    pub(crate) fn slice_view(&self, axis: usize, start: usize, end: usize, step: usize) -> Self {
        let size = self.shape()[axis];
        let start = start.min(size);
        let end = end.clamp(start, size);
        // A step past the size selects one element, like any larger step; clamping keeps the
        // stride arithmetic in range. Sizes of allocated arrays fit in `isize`.
        let step = step.min(size.max(1));
        let mut data = self.data.clone();
        data.slice_axis_inplace(
            Axis(axis),
            Slice::new(start as isize, Some(end as isize), step as isize),
        );
        Tensor { data }
    }

    /// The view of `len` consecutive entries of `axis` from `start`, like `torch.narrow`.
    ///
    /// # Shapes
    /// The extent of `axis` becomes `len`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range, [`TensorError::InvalidArgument`]
    /// if `start + len` exceeds the size of `axis` (as PyTorch, no clamping).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f64>::arange(0.0, 6.0, 1.0)?;
    /// assert_eq!(x.narrow(0, 2, 3)?.to_vec(), vec![2.0, 3.0, 4.0]);
    /// assert!(x.narrow(0, 4, 3).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn narrow(&self, axis: isize, start: usize, len: usize) -> Result<Self> {
        let a = normalize_axis("narrow", axis, self.ndim())?;
        let size = self.shape()[a];
        match start.checked_add(len) {
            Some(end) if end <= size => Ok(self.slice_view(a, start, end, 1)),
            _ => Err(TensorError::invalid(
                "narrow",
                format!(
                    "start {start} + length {len} exceeds dimension {a} of size {size} (shape {})",
                    self.shape_obj()
                ),
            )),
        }
    }

    /// The view at position `index` of `axis`, with that axis removed, like
    /// `torch.select(dim, index)` (`x[:, i]` for axis 1).
    ///
    /// # Shapes
    /// `[d0, .., d(axis), .., dn]` gives `[d0, .., dn]` without `d(axis)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range,
    /// [`TensorError::IndexOutOfBounds`] if `index` is not below the size of `axis`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 6.0, 1.0)?.reshape(&[2, 3])?;
    /// assert_eq!(x.select(1, 2)?.to_vec(), vec![2.0, 5.0]);
    /// assert_eq!(x.select(-2, 1)?.to_vec(), vec![3.0, 4.0, 5.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn select(&self, axis: isize, index: usize) -> Result<Self> {
        let a = normalize_axis("select", axis, self.ndim())?;
        let size = self.shape()[a];
        if index >= size {
            return Err(out_of_bounds("select", index, a, size));
        }
        Ok(Tensor {
            data: self.data.clone().index_axis_move(Axis(a), index),
        })
    }

    /// Copies the entries `indices` of `axis`, in that order (repeats allowed), like
    /// `torch.index_select`. The adjoint is [`index_add`](Tensor::index_add).
    ///
    /// # Shapes
    /// The extent of `axis` becomes `indices.len()`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range,
    /// [`TensorError::IndexOutOfBounds`] naming the first index not below the size of `axis`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 6.0, 1.0)?.reshape(&[3, 2])?;
    /// let y = x.index_select(0, &[2, 0, 2])?;
    /// assert_eq!(y.to_vec(), vec![4.0, 5.0, 0.0, 1.0, 4.0, 5.0]);
    /// let e = x.index_select(0, &[3]).unwrap_err();
    /// assert_eq!(e.to_string(), "index_select: index 3 is out of bounds for dimension 0 of size 3");
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn index_select(&self, axis: isize, indices: &[usize]) -> Result<Self> {
        let a = normalize_axis("index_select", axis, self.ndim())?;
        let (outer, size, inner) = outer_inner(self.shape(), a);
        check_indices("index_select", indices, a, size)?;
        let mut out_shape = self.shape().to_vec();
        out_shape[a] = indices.len();
        let n = indices.len();
        let total = outer * n * inner;
        if total == 0 {
            return Ok(Self::zeros(out_shape));
        }
        if !self.is_contiguous() {
            // Copy only the selected slabs of a strided view, never the whole input.
            let mut out = ArrayD::<T>::zeros(IxDyn(&out_shape));
            let v = self.view();
            let take = |(mut o, &i): (ArrayViewMutD<'_, T>, &usize)| {
                o.assign(&v.index_axis(Axis(a), i));
            };
            if total >= PAR_MIN_ELEMS && parallel::threads() > 1 {
                parallel::install(|| {
                    out.axis_iter_mut(Axis(a))
                        .into_par_iter()
                        .zip(indices.par_iter())
                        .for_each(take);
                });
            } else {
                out.axis_iter_mut(Axis(a)).zip(indices).for_each(take);
            }
            return Ok(Self::from_array(out));
        }
        let s = self
            .as_slice()
            .expect("index_select: contiguous tensor has a slice");
        // Output row r = (o, j) of `inner` elements is source row (o, indices[j]).
        let copy_rows = |first: usize, dst: &mut [T]| {
            let (mut o, mut j) = (first / n, first % n);
            for row in dst.chunks_mut(inner) {
                let from = (o * size + indices[j]) * inner;
                row.copy_from_slice(&s[from..from + inner]);
                j += 1;
                if j == n {
                    j = 0;
                    o += 1;
                }
            }
        };
        let out = if total >= PAR_MIN_ELEMS && parallel::threads() > 1 {
            let mut out = vec![T::zero(); total];
            let per = rows_per_task(outer * n, inner);
            parallel::install(|| {
                out.par_chunks_mut(per * inner)
                    .enumerate()
                    .for_each(|(t, dst)| copy_rows(t * per, dst));
            });
            out
        } else if inner == 1 {
            let mut out = Vec::with_capacity(total);
            for o in 0..outer {
                let row = &s[o * size..(o + 1) * size];
                out.extend(indices.iter().map(|&i| row[i]));
            }
            out
        } else {
            let mut out = vec![T::zero(); total];
            copy_rows(0, &mut out);
            out
        };
        Self::from_vec(out, out_shape)
    }

    /// A copy of `self` with the rows of `src` added at `indices` along `axis`:
    /// `out[.., indices[j], ..] += src[.., j, ..]`, where repeated indices accumulate. Like
    /// PyTorch's out-of-place `index_add`; the adjoint of [`index_select`](Tensor::index_select).
    ///
    /// # Shapes
    /// `src` has the shape of `self` with the extent of `axis` replaced by `indices.len()`;
    /// the result has the shape of `self`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range, [`TensorError::ShapeMismatch`]
    /// if `src` has the wrong shape, [`TensorError::IndexOutOfBounds`] naming the first index
    /// not below the size of `axis`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f64>::zeros([3, 2]);
    /// let src = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [3, 2])?;
    /// let y = x.index_add(0, &[2, 0, 2], &src)?;
    /// assert_eq!(y.to_vec(), vec![3.0, 4.0, 0.0, 0.0, 6.0, 8.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn index_add(&self, axis: isize, indices: &[usize], src: &Self) -> Result<Self> {
        let a = normalize_axis("index_add", axis, self.ndim())?;
        let (outer, size, inner) = outer_inner(self.shape(), a);
        let n = indices.len();
        let mut want = self.shape().to_vec();
        want[a] = n;
        if src.shape() != want.as_slice() {
            return Err(TensorError::mismatch(
                "index_add",
                self.shape(),
                src.shape(),
                &format!(
                    "src must have shape {} for {n} indices along dimension {a}",
                    Shape(want)
                ),
            ));
        }
        check_indices("index_add", indices, a, size)?;
        let mut out = self.to_vec();
        if outer * n * inner == 0 {
            return Self::from_vec(out, self.shape());
        }
        let src = src.contiguous();
        let s = src
            .as_slice()
            .expect("index_add: contiguous tensor has a slice");
        // Adds the rows of one outer block (`[n, inner]` of src into `[size, inner]` of out).
        let add_block = |dst: &mut [T], srcb: &[T]| {
            for (j, &i) in indices.iter().enumerate() {
                let d = &mut dst[i * inner..(i + 1) * inner];
                for (x, &v) in d.iter_mut().zip(&srcb[j * inner..(j + 1) * inner]) {
                    *x += v;
                }
            }
        };
        let big = outer * n * inner >= PAR_MIN_ELEMS && parallel::threads() > 1;
        if big && outer >= parallel::threads() {
            // Outer blocks are disjoint in the output.
            parallel::install(|| {
                out.par_chunks_mut(size * inner)
                    .zip(s.par_chunks(n * inner))
                    .for_each(|(d, sb)| add_block(d, sb));
            });
        } else if big && inner >= 64 {
            // Few outer blocks (e.g. an embedding gradient): split the columns instead, so
            // repeated indices never race.
            let width = inner.div_ceil(parallel::threads()).max(32);
            let mut ov = ArrayViewMut3::from_shape((outer, size, inner), &mut out)
                .expect("index_add: buffer matches its shape");
            parallel::install(|| {
                ov.axis_chunks_iter_mut(Axis(2), width)
                    .into_par_iter()
                    .enumerate()
                    .for_each(|(c, mut cols)| {
                        let c0 = c * width;
                        let w = cols.len_of(Axis(2));
                        for o in 0..outer {
                            for (j, &i) in indices.iter().enumerate() {
                                let from = (o * n + j) * inner + c0;
                                let mut d = cols.slice_mut(ndarray::s![o, i, ..]);
                                for (x, &v) in d.iter_mut().zip(&s[from..from + w]) {
                                    *x += v;
                                }
                            }
                        }
                    });
            });
        } else {
            for (d, sb) in out.chunks_mut(size * inner).zip(s.chunks(n * inner)) {
                add_block(d, sb);
            }
        }
        Self::from_vec(out, self.shape())
    }

    /// A copy with `value` wherever `mask` is nonzero, like `torch.masked_fill`. `mask` is a
    /// tensor of the same element type read as booleans (nonzero and NaN are true).
    ///
    /// # Shapes
    /// `mask` broadcasts to the shape of `self` under NumPy's rules; the result has the shape
    /// of `self`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if `mask` does not broadcast to the shape of `self`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2])?;
    /// let mask = Tensor::from_vec(vec![0.0, 1.0], [2])?; // broadcast over the rows
    /// assert_eq!(x.masked_fill(&mask, -1.0)?.to_vec(), vec![1.0, -1.0, 3.0, -1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn masked_fill(&self, mask: &Self, value: T) -> Result<Self> {
        let m = mask
            .data
            .broadcast(IxDyn(self.shape()))
            .ok_or_else(|| TensorError::Broadcast {
                op: "masked_fill",
                lhs: self.shape_obj(),
                rhs: mask.shape_obj(),
            })?;
        let zip = Zip::from(self.data.view()).and(m);
        let pick = |&x: &T, &m: &T| if m != T::zero() { value } else { x };
        let out = if self.numel() >= PAR_MIN_ELEMS && parallel::threads() > 1 {
            parallel::install(|| zip.par_map_collect(pick))
        } else {
            zip.map_collect(pick)
        };
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
    fn slice_is_a_view_with_python_clamping() {
        let x = range(&[3, 5]);
        let s = x.slice(1, 1, 4, 1).unwrap();
        assert_eq!(s.shape(), &[3, 3]);
        assert_eq!(s.array().as_ptr(), elem_addr(&x, 1));
        assert_eq!(s.to_vec(), vec![1., 2., 3., 6., 7., 8., 11., 12., 13.]);
        // end beyond the size is clamped
        assert_eq!(x.slice(1, 3, 99, 1).unwrap().shape(), &[3, 2]);
        // step 2 on an odd size keeps both ends
        assert_eq!(
            x.slice(1, 0, 5, 2).unwrap().select(0, 0).unwrap().to_vec(),
            vec![0., 2., 4.]
        );
        // a step larger than the size keeps one element
        assert_eq!(x.slice(1, 1, 5, usize::MAX).unwrap().shape(), &[3, 1]);
        // empty results: start past the end, start == end, end < start
        assert_eq!(x.slice(0, 7, 9, 1).unwrap().shape(), &[0, 5]);
        assert_eq!(x.slice(0, 2, 2, 1).unwrap().shape(), &[0, 5]);
        assert_eq!(x.slice(-1, 4, 1, 3).unwrap().shape(), &[3, 0]);
        assert_eq!(x.slice(-1, 4, 1, 3).unwrap().to_vec(), Vec::<f64>::new());
    }

    /// The address of element `k` of `x`'s buffer, found through a safe slice.
    fn elem_addr(x: &Tensor<f64>, k: usize) -> *const f64 {
        &x.as_slice().unwrap()[k] as *const f64
    }

    #[test]
    fn slice_errors() {
        let x = range(&[2, 5]);
        let e = x.slice(1, 0, 5, 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "slice: step must be positive, got 0 for axis 1 of shape [2, 5]"
        );
        let e = x.slice(2, 0, 1, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "slice: axis 2 is out of range for a tensor of rank 2"
        );
    }

    #[test]
    fn narrow_and_select() {
        let x = range(&[2, 5]);
        let n = x.narrow(-1, 1, 3).unwrap();
        assert_eq!(n.to_vec(), vec![1., 2., 3., 6., 7., 8.]);
        assert_eq!(n.array().as_ptr(), elem_addr(&x, 1));
        assert_eq!(x.narrow(1, 5, 0).unwrap().shape(), &[2, 0]);
        let e = x.narrow(1, 3, 3).unwrap_err();
        assert_eq!(
            e.to_string(),
            "narrow: start 3 + length 3 exceeds dimension 1 of size 5 (shape [2, 5])"
        );
        assert!(x.narrow(1, usize::MAX, 2).is_err());
        let s = x.select(1, 4).unwrap();
        assert_eq!(s.to_vec(), vec![4., 9.]);
        assert_eq!(s.array().as_ptr(), elem_addr(&x, 4));
        let e = x.select(0, 2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "select: index 2 is out of bounds for dimension 0 of size 2"
        );
        assert_eq!(
            Tensor::<f64>::from_vec(vec![7.0], [1])
                .unwrap()
                .select(0, 0)
                .unwrap()
                .item()
                .unwrap(),
            7.0
        );
    }

    #[test]
    fn index_select_and_add_values() {
        let x = range(&[2, 3, 2]);
        let y = x.index_select(1, &[2, 2, 0]).unwrap();
        assert_eq!(y.shape(), &[2, 3, 2]);
        assert_eq!(
            y.to_vec(),
            vec![4., 5., 4., 5., 0., 1., 10., 11., 10., 11., 6., 7.]
        );
        let y = x.index_select(-1, &[1]).unwrap();
        assert_eq!(y.to_vec(), vec![1., 3., 5., 7., 9., 11.]);
        assert_eq!(x.index_select(0, &[]).unwrap().shape(), &[0, 3, 2]);
        // non-contiguous input
        let t = range(&[3, 2]).t().unwrap();
        assert_eq!(
            t.index_select(1, &[2, 0]).unwrap().to_vec(),
            vec![4., 0., 5., 1.]
        );

        let z = Tensor::<f64>::ones([2, 3]);
        let src = range(&[2, 2]);
        let r = z.index_add(1, &[2, 2], &src).unwrap();
        assert_eq!(r.to_vec(), vec![1., 1., 2.0, 1., 1., 6.0]);
        assert_eq!(z.to_vec(), vec![1.0; 6], "index_add is out of place");
    }

    #[test]
    fn index_errors_name_index_and_shapes() {
        let x = range(&[2, 3]);
        let e = x.index_select(1, &[0, 3]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "index_select: index 3 is out of bounds for dimension 1 of size 3"
        );
        let e = x.index_add(0, &[1], &range(&[1, 2])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "index_add: shapes [2, 3] and [1, 2] do not match: src must have shape [1, 3] \
             for 1 indices along dimension 0"
        );
        let e = x.index_add(0, &[2], &range(&[1, 3])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "index_add: index 2 is out of bounds for dimension 0 of size 2"
        );
        assert!(x.index_select(-3, &[0]).is_err());
    }

    #[test]
    fn masked_fill_broadcasts() {
        let x = range(&[2, 3]);
        let m = Tensor::from_vec(vec![1.0, 0.0], [2, 1]).unwrap();
        assert_eq!(
            x.masked_fill(&m, -1.0).unwrap().to_vec(),
            vec![-1., -1., -1., 3., 4., 5.]
        );
        let nan = Tensor::from_vec(vec![f64::NAN, 0.0, 2.0], [3]).unwrap();
        assert_eq!(
            x.masked_fill(&nan, 9.0).unwrap().to_vec(),
            vec![9., 1., 9., 9., 4., 9.]
        );
        let e = x.masked_fill(&Tensor::zeros([2]), 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "masked_fill: shapes [2, 3] and [2] cannot be broadcast together"
        );
        // the mask must broadcast to self, not the other way round
        assert!(range(&[3])
            .masked_fill(&Tensor::zeros([2, 3]), 0.0)
            .is_err());
    }

    #[test]
    fn large_inputs_take_the_parallel_paths() {
        // Big enough for PAR_MIN_ELEMS; compared against the serial small-input path by rows.
        let (r, c) = (301, 257);
        let x = range(&[r, c]);
        let rows: Vec<usize> = (0..r).map(|i| (i * 11) % r).collect();
        let y = x.index_select(0, &rows).unwrap();
        for (k, &i) in rows.iter().enumerate().step_by(37) {
            assert_eq!(
                y.select(0, k).unwrap().to_vec(),
                x.select(0, i).unwrap().to_vec()
            );
        }
        let back = Tensor::<f64>::zeros([r, c])
            .index_add(0, &rows, &y)
            .unwrap();
        assert!(back == x, "rows is a permutation");
        // A transposed input takes the strided path.
        let xt = x.t().unwrap();
        let yt = xt.index_select(1, &rows).unwrap();
        assert!(yt == xt.contiguous().index_select(1, &rows).unwrap());
        let cols: Vec<usize> = (0..c).map(|j| (j * 5) % c).collect();
        let yc = x.index_select(1, &cols).unwrap();
        let backc = Tensor::<f64>::zeros([r, c])
            .index_add(1, &cols, &yc)
            .unwrap();
        assert!(backc == x);

        let m = x.map(|v| if (v as usize) % 3 == 0 { 1.0 } else { 0.0 });
        let f = x.masked_fill(&m, -1.0).unwrap();
        assert!(f
            .to_vec()
            .iter()
            .zip(x.to_vec())
            .all(|(&a, b)| a == if (b as usize) % 3 == 0 { -1.0 } else { b }));
    }
}
