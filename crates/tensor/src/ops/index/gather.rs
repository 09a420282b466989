//! Index-tensor gathers and scatters: `gather` and its adjoint `scatter_add`, with
//! `torch.gather` / `torch.Tensor.scatter_add` semantics.

use rayon::prelude::*;

use super::{check_indices, rows_per_task, PAR_MIN_ELEMS};
use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::parallel;
use crate::shape::normalize_axis;
use crate::tensor::{Indices, Tensor};

/// Row-major strides of `shape`, in elements.
fn row_major_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

/// `t` itself (shared, no copy) with its strides when its elements fill one memory slice with
/// non-negative strides (contiguous, transposed or permuted storage); a row-major copy with its
/// strides otherwise. Element `[0, .., 0]` is at the start of the memory slice either way.
fn memory_order<T: Element>(t: &Tensor<T>) -> (Tensor<T>, Vec<usize>) {
    if t.data.as_slice_memory_order().is_some() && t.strides().iter().all(|&s| s >= 0) {
        (t.clone(), t.strides().iter().map(|&s| s as usize).collect())
    } else {
        let c = t.contiguous();
        let strides = row_major_strides(c.shape());
        (c, strides)
    }
}

/// Walks `count` consecutive rows, starting at row `first`, of a row-major grid of extent
/// `dims`, calling `f(row, offsets)` where `offsets[k]` is the dot product of the row's
/// multi-index with `strides[k]`. Offsets are updated incrementally (no division per row).
///
/// `first + count` must not exceed the number of rows, and every `strides[k]` has `dims.len()`
/// entries.
fn walk_rows<const K: usize>(
    dims: &[usize],
    strides: [&[usize]; K],
    first: usize,
    count: usize,
    mut f: impl FnMut(usize, [usize; K]),
) {
    if count == 0 {
        return;
    }
    let nd = dims.len();
    let mut ctr = vec![0usize; nd];
    let mut rem = first;
    for d in (0..nd).rev() {
        ctr[d] = rem % dims[d];
        rem /= dims[d];
    }
    let mut off = [0usize; K];
    for (o, s) in off.iter_mut().zip(strides) {
        *o = ctr.iter().zip(s).map(|(&c, &st)| c * st).sum();
    }
    for r in first..first + count {
        f(r, off);
        for d in (0..nd).rev() {
            ctr[d] += 1;
            if ctr[d] < dims[d] {
                for (o, s) in off.iter_mut().zip(strides) {
                    *o += s[d];
                }
                break;
            }
            for (o, s) in off.iter_mut().zip(strides) {
                *o -= (dims[d] - 1) * s[d];
            }
            ctr[d] = 0;
        }
    }
}

impl<T: Element> Tensor<T> {
    /// Picks values along `axis` by `index`, like `torch.gather`: for a rank-3 input and
    /// axis 1, `out[i][j][k] = self[i][index[i][j][k]][k]`. The adjoint is
    /// [`scatter_add`](Tensor::scatter_add).
    ///
    /// # Shapes
    /// `index` has the rank of `self` and `index.shape[d] <= self.shape[d]` for every
    /// `d != axis` (any extent along `axis`); the result has the shape of `index`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range, [`TensorError::Rank`] if the
    /// ranks differ, [`TensorError::ShapeMismatch`] if `index` is larger than `self` outside
    /// `axis`, [`TensorError::IndexOutOfBounds`] naming the first index value not below the
    /// size of `axis`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::{Indices, Tensor};
    /// let x = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2])?;
    /// let index = Indices::from_shape_vec(vec![2, 2], vec![0, 0, 1, 0]).unwrap();
    /// assert_eq!(x.gather(1, &index)?.to_vec(), vec![1.0, 1.0, 4.0, 3.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn gather(&self, axis: isize, index: &Indices) -> Result<Self> {
        let nd = self.ndim();
        if index.ndim() != nd {
            return Err(TensorError::rank(
                "gather",
                format!("an index of rank {nd} like the input {}", self.shape_obj()),
                index.shape(),
            ));
        }
        let a = normalize_axis("gather", axis, nd)?;
        for (d, (&i, &s)) in index.shape().iter().zip(self.shape()).enumerate() {
            if d != a && i > s {
                return Err(TensorError::mismatch(
                    "gather",
                    self.shape(),
                    index.shape(),
                    &format!(
                        "index size {i} exceeds input size {s} in dimension {d} \
                         (only the gather axis {a} may be larger)"
                    ),
                ));
            }
        }
        let size = self.shape()[a];
        let idx = index.as_standard_layout();
        let idx = idx.as_slice().expect("gather: standard layout has a slice");
        check_indices("gather", idx, a, size)?;
        let total = idx.len();
        if total == 0 {
            return Ok(Self::zeros(index.shape()));
        }
        // A transposed or permuted input is read in place; only sliced views are copied.
        let (src, mut sstr) = memory_order(self);
        let s = src
            .data
            .as_slice_memory_order()
            .expect("gather: memory_order gives a memory slice");
        let sa = std::mem::replace(&mut sstr[a], 0);
        let ishape = index.shape();
        let l = ishape[nd - 1];
        let s_last = sstr[nd - 1];
        let lead = &ishape[..nd - 1];
        let lead_str = &sstr[..nd - 1];
        let fill = |first: usize, dst: &mut [T]| {
            let count = dst.len() / l;
            let mut rows = dst.chunks_mut(l);
            walk_rows(lead, [lead_str], first, count, |r, [base]| {
                let Some(row) = rows.next() else { return };
                let ir = &idx[r * l..(r + 1) * l];
                for (k, (o, &i)) in row.iter_mut().zip(ir).enumerate() {
                    *o = s[base + k * s_last + i * sa];
                }
            });
        };
        let mut out = vec![T::zero(); total];
        if total >= PAR_MIN_ELEMS && parallel::threads() > 1 {
            let per = rows_per_task(total / l, l);
            parallel::install(|| {
                out.par_chunks_mut(per * l)
                    .enumerate()
                    .for_each(|(t, dst)| fill(t * per, dst));
            });
        } else {
            fill(0, &mut out);
        }
        Self::from_vec(out, ishape)
    }

    /// A copy of `self` with `src` added at the positions `index` names along `axis`, like
    /// PyTorch's out-of-place `scatter_add`: for a rank-3 input and axis 1,
    /// `out[i][index[i][j][k]][k] += src[i][j][k]` over every position of `index`; repeated
    /// targets accumulate. The adjoint of [`gather`](Tensor::gather).
    ///
    /// # Shapes
    /// `self`, `index` and `src` have the same rank; `index.shape[d] <= src.shape[d]` for all
    /// `d` and `index.shape[d] <= self.shape[d]` for `d != axis`. Only the leading
    /// `index.shape` block of `src` is read. The result has the shape of `self`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range, [`TensorError::Rank`] if the
    /// ranks differ, [`TensorError::ShapeMismatch`] if `index` is too large for `src` or for
    /// `self` outside `axis`, [`TensorError::IndexOutOfBounds`] naming the first index value
    /// not below the size of `axis`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::{Indices, Tensor};
    /// let x = Tensor::<f64>::zeros([3]);
    /// let index = Indices::from_shape_vec(vec![4], vec![0, 2, 0, 1]).unwrap();
    /// let src = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [4])?;
    /// assert_eq!(x.scatter_add(0, &index, &src)?.to_vec(), vec![4.0, 4.0, 2.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn scatter_add(&self, axis: isize, index: &Indices, src: &Self) -> Result<Self> {
        let nd = self.ndim();
        for (what, got) in [("an index", index.shape()), ("src", src.shape())] {
            if got.len() != nd {
                return Err(TensorError::rank(
                    "scatter_add",
                    format!("{what} of rank {nd} like self {}", self.shape_obj()),
                    got,
                ));
            }
        }
        let a = normalize_axis("scatter_add", axis, nd)?;
        let ishape = index.shape();
        for d in 0..nd {
            let (i, s, o) = (ishape[d], src.shape()[d], self.shape()[d]);
            if i > s {
                return Err(TensorError::mismatch(
                    "scatter_add",
                    ishape,
                    src.shape(),
                    &format!("index size {i} exceeds src size {s} in dimension {d}"),
                ));
            }
            if d != a && i > o {
                return Err(TensorError::mismatch(
                    "scatter_add",
                    self.shape(),
                    ishape,
                    &format!(
                        "index size {i} exceeds self size {o} in dimension {d} \
                         (only the scatter axis {a} may be larger)"
                    ),
                ));
            }
        }
        let size = self.shape()[a];
        let idx = index.as_standard_layout();
        let idx = idx
            .as_slice()
            .expect("scatter_add: standard layout has a slice");
        check_indices("scatter_add", idx, a, size)?;
        let mut out = self.to_vec();
        if idx.is_empty() {
            return Self::from_vec(out, self.shape());
        }
        let (src, sstr) = memory_order(src);
        let s = src
            .data
            .as_slice_memory_order()
            .expect("scatter_add: memory_order gives a memory slice");
        let mut ostr = row_major_strides(self.shape());
        let oa = std::mem::replace(&mut ostr[a], 0);
        let l = ishape[nd - 1];
        let (o_last, s_last) = (ostr[nd - 1], sstr[nd - 1]);
        // Adds index rows `first..first + count` into `dst`, whose element 0 is element
        // `dst0` of the output.
        let add_rows = |dst: &mut [T], dst0: usize, first: usize, count: usize| {
            let lead = &ishape[..nd - 1];
            walk_rows(
                lead,
                [&ostr[..nd - 1], &sstr[..nd - 1]],
                first,
                count,
                |r, [ob, sb]| {
                    let ir = &idx[r * l..(r + 1) * l];
                    for (k, &i) in ir.iter().enumerate() {
                        dst[ob + k * o_last + i * oa - dst0] += s[sb + k * s_last];
                    }
                },
            );
        };
        let rows = idx.len() / l;
        let blocks = ishape[0];
        if a != 0 && nd >= 2 && blocks >= 2 && idx.len() >= PAR_MIN_ELEMS && parallel::threads() > 1
        {
            // Positions with different leading index write to disjoint leading blocks of the
            // output (the scatter axis is not the leading one).
            let block = ostr[0];
            let rows_per_block = rows / blocks;
            parallel::install(|| {
                out.par_chunks_mut(block)
                    .take(blocks)
                    .enumerate()
                    .for_each(|(b, dst)| {
                        add_rows(dst, b * block, b * rows_per_block, rows_per_block)
                    });
            });
        } else {
            add_rows(&mut out, 0, 0, rows);
        }
        Self::from_vec(out, self.shape())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::IxDyn;

    fn range(shape: &[usize]) -> Tensor<f64> {
        let n: usize = shape.iter().product();
        Tensor::from_vec((0..n).map(|v| v as f64).collect(), shape).unwrap()
    }

    fn ix(shape: &[usize], v: Vec<usize>) -> Indices {
        Indices::from_shape_vec(IxDyn(shape), v).unwrap()
    }

    #[test]
    fn gather_and_scatter_values() {
        let x = range(&[2, 3]);
        let i = ix(&[2, 2], vec![2, 0, 1, 1]);
        assert_eq!(x.gather(1, &i).unwrap().to_vec(), vec![2., 0., 4., 4.]);
        let i0 = ix(&[1, 3], vec![1, 0, 1]);
        assert_eq!(x.gather(0, &i0).unwrap().to_vec(), vec![3., 1., 5.]);
        // the index may be longer than the input along the axis
        let long = ix(&[1, 4], vec![0, 0, 2, 1]);
        assert_eq!(x.gather(1, &long).unwrap().to_vec(), vec![0., 0., 2., 1.]);
        // non-standard index layout
        let it = ix(&[2, 2], vec![0, 1, 1, 0]).reversed_axes();
        assert_eq!(x.gather(1, &it).unwrap().to_vec(), vec![0., 1., 4., 3.]);

        let z = Tensor::<f64>::zeros([2, 3]);
        let src = range(&[2, 4]);
        let r = z
            .scatter_add(1, &ix(&[2, 2], vec![2, 2, 0, 1]), &src)
            .unwrap();
        assert_eq!(r.to_vec(), vec![0., 0., 1., 4., 5., 0.]);
        let r = z.scatter_add(0, &ix(&[2, 1], vec![1, 1]), &src).unwrap();
        assert_eq!(r.to_vec(), vec![0., 0., 0., 4., 0., 0.]);
    }

    #[test]
    fn gather_scatter_errors() {
        let x = range(&[2, 3]);
        let e = x.gather(1, &ix(&[2], vec![0, 0])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "gather: expected an index of rank 2 like the input [2, 3], got shape [2]"
        );
        let e = x.gather(1, &ix(&[3, 1], vec![0, 0, 0])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "gather: shapes [2, 3] and [3, 1] do not match: index size 3 exceeds input size 2 \
             in dimension 0 (only the gather axis 1 may be larger)"
        );
        let e = x.gather(1, &ix(&[1, 2], vec![0, 3])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "gather: index 3 is out of bounds for dimension 1 of size 3"
        );
        assert!(x.gather(2, &ix(&[1, 1], vec![0])).is_err());

        let src = range(&[2, 2]);
        let e = x.scatter_add(1, &ix(&[2], vec![0, 0]), &src).unwrap_err();
        assert_eq!(
            e.to_string(),
            "scatter_add: expected an index of rank 2 like self [2, 3], got shape [2]"
        );
        let e = x
            .scatter_add(1, &ix(&[1, 1], vec![0]), &range(&[4]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "scatter_add: expected src of rank 2 like self [2, 3], got shape [4]"
        );
        let e = x
            .scatter_add(1, &ix(&[1, 3], vec![0; 3]), &src)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "scatter_add: shapes [1, 3] and [2, 2] do not match: index size 3 exceeds src size 2 \
             in dimension 1"
        );
        let big = range(&[3, 3]);
        let e = x
            .scatter_add(1, &ix(&[3, 1], vec![0; 3]), &big)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "scatter_add: shapes [2, 3] and [3, 1] do not match: index size 3 exceeds self size 2 \
             in dimension 0 (only the scatter axis 1 may be larger)"
        );
        let e = x.scatter_add(0, &ix(&[1, 1], vec![5]), &src).unwrap_err();
        assert_eq!(
            e.to_string(),
            "scatter_add: index 5 is out of bounds for dimension 0 of size 2"
        );
    }

    #[test]
    fn large_inputs_take_the_parallel_paths() {
        // Big enough for PAR_MIN_ELEMS; checked against the serial path on one row.
        let (r, c) = (301, 257);
        let x = range(&[r, c]);
        let idx = Indices::from_shape_fn(IxDyn(&[r, c]), |i| (i[0] + 3 * i[1]) % c);
        let g = x.gather(1, &idx).unwrap();
        assert_eq!(g.get(&[5, 7]).unwrap(), x.get(&[5, (5 + 21) % c]).unwrap());
        // Same values in transposed storage are read in place.
        let xt = x.t().unwrap().contiguous().t().unwrap();
        assert!(!xt.is_contiguous());
        assert!(xt.gather(1, &idx).unwrap() == g);
        let s = Tensor::<f64>::zeros([r, c])
            .scatter_add(1, &idx, &g)
            .unwrap();
        let s1 = Tensor::<f64>::zeros([1, c])
            .scatter_add(
                1,
                &idx.slice(ndarray::s![5..6, ..]).to_owned().into_dyn(),
                &g.narrow(0, 5, 1).unwrap(),
            )
            .unwrap();
        assert!(s.select(0, 5).unwrap().to_vec() == s1.select(0, 0).unwrap().to_vec());
    }
}
