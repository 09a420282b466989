//! Matrix products with `torch.matmul` semantics.

use ndarray::{ArrayD, ArrayView2, Axis, Ix2, IxDyn};
use rayon::prelude::*;

use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::kernels::gemm::{gemm, gemm_serial};
use crate::parallel;
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    /// Matrix product with the semantics of `torch.matmul`.
    ///
    /// - `[k] · [k]` gives a scalar (dot product);
    /// - `[m, k] · [k, n]` gives `[m, n]`;
    /// - `[k] · [k, n]` gives `[n]` and `[m, k] · [k]` gives `[m]` (vector operands are
    ///   promoted to a matrix and the added dimension removed afterwards);
    /// - operands of rank ≥ 3 are stacks of matrices: the leading (batch) dimensions broadcast,
    ///   so `[b, m, k] · [k, n]` gives `[b, m, n]` and `[2, 1, m, k] · [3, k, n]` gives
    ///   `[2, 3, m, n]`.
    ///
    /// Transposed and sliced operands are passed to the GEMM with their strides, not copied.
    ///
    /// # Shapes
    /// `m, k, n` as above; batch dimensions broadcast under NumPy's rules.
    ///
    /// # Errors
    /// [`TensorError::MatmulMismatch`] if the inner dimensions differ,
    /// [`TensorError::Rank`] for a rank-0 operand, [`TensorError::Broadcast`] if the batch
    /// dimensions are incompatible.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::{Tensor, TensorError};
    /// let a = Tensor::from_vec(vec![1.0, 2.0], [1, 2])?;
    /// let b = Tensor::from_vec(vec![3.0, 4.0], [2, 1])?;
    /// assert_eq!(a.matmul(&b)?.to_vec(), vec![11.0]);
    /// # Ok::<(), TensorError>(())
    /// ```
    pub fn matmul(&self, rhs: &Self) -> Result<Self> {
        let (ra, rb) = (self.ndim(), rhs.ndim());
        if ra == 0 || rb == 0 {
            let got = if ra == 0 { self.shape() } else { rhs.shape() };
            return Err(TensorError::rank("matmul", "operands of rank >= 1", got));
        }
        let k_lhs = self.shape()[ra - 1];
        let k_rhs = if rb == 1 {
            rhs.shape()[0]
        } else {
            rhs.shape()[rb - 2]
        };
        if k_lhs != k_rhs {
            return Err(TensorError::MatmulMismatch {
                lhs: self.shape_obj(),
                rhs: rhs.shape_obj(),
                k_lhs,
                k_rhs,
            });
        }
        // Promote vectors to matrices, remembering which dimensions to drop.
        let a = if ra == 1 {
            self.unsqueeze(0)?
        } else {
            self.clone()
        };
        let b = if rb == 1 {
            rhs.unsqueeze(1)?
        } else {
            rhs.clone()
        };
        let mut out = batched_matmul(&a, &b)?;
        if ra == 1 {
            out = out.squeeze(-2)?;
        }
        if rb == 1 {
            out = out.squeeze(-1)?;
        }
        Ok(out)
    }
}

/// Product of two operands of rank ≥ 2 with broadcast batch dimensions.
fn batched_matmul<T: Element>(a: &Tensor<T>, b: &Tensor<T>) -> Result<Tensor<T>> {
    let (ra, rb) = (a.ndim(), b.ndim());
    let (m, k) = (a.shape()[ra - 2], a.shape()[ra - 1]);
    let n = b.shape()[rb - 1];
    if ra == 2 && rb == 2 {
        let av = a.data.view().into_dimensionality::<Ix2>().expect("rank 2");
        let bv = b.data.view().into_dimensionality::<Ix2>().expect("rank 2");
        let mut out = ArrayD::<T>::zeros(IxDyn(&[m, n]));
        let ov = out.view_mut().into_dimensionality::<Ix2>().expect("rank 2");
        gemm(T::one(), av, bv, T::zero(), ov);
        return Ok(Tensor::from_array(out));
    }
    let batch = broadcast_shapes("matmul", &a.shape()[..ra - 2], &b.shape()[..rb - 2])?;
    let nb: usize = batch.iter().product();
    let mut a_shape = batch.clone();
    a_shape.extend_from_slice(&[m, k]);
    let mut b_shape = batch.clone();
    b_shape.extend_from_slice(&[k, n]);
    // Broadcast views have zero strides on repeated batch dimensions: nothing is copied.
    let av = a
        .data
        .broadcast(IxDyn(&a_shape))
        .expect("batch shapes were checked to broadcast");
    let bv = b
        .data
        .broadcast(IxDyn(&b_shape))
        .expect("batch shapes were checked to broadcast");
    let av = av.into_shape_with_order(IxDyn(&[nb, m, k]));
    let bv = bv.into_shape_with_order(IxDyn(&[nb, k, n]));
    let mut out_shape = batch.clone();
    out_shape.extend_from_slice(&[m, n]);
    let mut out = ArrayD::<T>::zeros(IxDyn(&[nb, m, n]));
    // Flattening the batch dimensions of a broadcast view fails when its strides do not merge;
    // then walk the batch index explicitly.
    let mats_a: Vec<ArrayView2<T>> = match av {
        Ok(v) => (0..nb)
            .map(|i| {
                v.clone()
                    .index_axis_move(Axis(0), i)
                    .into_dimensionality::<Ix2>()
                    .expect("rank 2")
            })
            .collect(),
        Err(_) => batch_views(a, &a_shape, nb),
    };
    let mats_b: Vec<ArrayView2<T>> = match bv {
        Ok(v) => (0..nb)
            .map(|i| {
                v.clone()
                    .index_axis_move(Axis(0), i)
                    .into_dimensionality::<Ix2>()
                    .expect("rank 2")
            })
            .collect(),
        Err(_) => batch_views(b, &b_shape, nb),
    };
    let outs: Vec<_> = out
        .axis_iter_mut(Axis(0))
        .map(|x| x.into_dimensionality::<Ix2>().expect("rank 2"))
        .collect();
    let threads = parallel::threads();
    if nb >= threads && threads > 1 {
        // Many small products: one per task, each on one thread.
        parallel::install(|| {
            outs.into_par_iter()
                .zip(mats_a.into_par_iter().zip(mats_b.into_par_iter()))
                .for_each(|(o, (x, y))| gemm_serial(T::one(), x, y, T::zero(), o));
        });
    } else {
        for (o, (x, y)) in outs.into_iter().zip(mats_a.into_iter().zip(mats_b)) {
            gemm(T::one(), x, y, T::zero(), o);
        }
    }
    let out = out
        .into_shape_with_order(IxDyn(&out_shape))
        .expect("contiguous output reshapes");
    Ok(Tensor::from_array(out))
}

/// The `nb` matrices of a broadcast operand, by explicit multi-index over the batch dims.
fn batch_views<'a, T: Element>(
    t: &'a Tensor<T>,
    full: &[usize],
    nb: usize,
) -> Vec<ArrayView2<'a, T>> {
    let bview = t
        .data
        .broadcast(IxDyn(full))
        .expect("batch shapes were checked to broadcast");
    let batch = &full[..full.len() - 2];
    let mut idx = vec![0usize; batch.len()];
    let mut out = Vec::with_capacity(nb);
    for _ in 0..nb {
        let mut v = bview.clone();
        for &i in idx.iter() {
            v = v.index_axis_move(Axis(0), i);
        }
        out.push(v.into_dimensionality::<Ix2>().expect("rank 2"));
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < batch[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(shape: &[usize]) -> Tensor<f64> {
        let n: usize = shape.iter().product();
        Tensor::from_vec((0..n).map(|v| (v % 7) as f64 - 3.0).collect(), shape).unwrap()
    }

    fn naive(a: &Tensor<f64>, b: &Tensor<f64>) -> Vec<f64> {
        let (m, k) = (a.shape()[0], a.shape()[1]);
        let n = b.shape()[1];
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    out[i * n + j] += a.get(&[i, p]).unwrap() * b.get(&[p, j]).unwrap();
                }
            }
        }
        out
    }

    #[test]
    fn vector_forms() {
        let v = seq(&[3]);
        let m = seq(&[3, 2]);
        assert_eq!(v.matmul(&v).unwrap().shape(), &[] as &[usize]);
        assert_eq!(v.matmul(&v).unwrap().item().unwrap(), 9.0 + 4.0 + 1.0);
        assert_eq!(v.matmul(&m).unwrap().shape(), &[2]);
        assert_eq!(m.t().unwrap().matmul(&v).unwrap().shape(), &[2]);
    }

    #[test]
    fn batched_broadcast_matches_loop() {
        let a = seq(&[2, 1, 3, 4]);
        let b = seq(&[3, 4, 5]);
        let c = a.matmul(&b).unwrap();
        assert_eq!(c.shape(), &[2, 3, 3, 5]);
        for i in 0..2 {
            for j in 0..3 {
                let ai = Tensor::from_array(
                    a.view()
                        .index_axis(Axis(0), i)
                        .index_axis(Axis(0), 0)
                        .to_owned(),
                );
                let bj = Tensor::from_array(b.view().index_axis(Axis(0), j).to_owned());
                let cij = c
                    .view()
                    .index_axis(Axis(0), i)
                    .index_axis(Axis(0), j)
                    .to_owned();
                assert_eq!(cij.iter().copied().collect::<Vec<_>>(), naive(&ai, &bj));
            }
        }
    }

    #[test]
    fn mismatch_errors() {
        let e = seq(&[2, 3]).matmul(&seq(&[4, 5])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "matmul: cannot multiply [2, 3] by [4, 5]: inner dimensions 3 and 4 differ"
        );
        let e = seq(&[2, 2, 3]).matmul(&seq(&[3, 3, 1])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "matmul: shapes [2] and [3] cannot be broadcast together"
        );
        let e = Tensor::<f64>::scalar(1.0).matmul(&seq(&[2])).unwrap_err();
        assert!(e.to_string().contains("rank >= 1"));
    }

    #[test]
    fn empty_inner_dimension_gives_zeros() {
        let a = Tensor::<f32>::zeros([2, 0]);
        let b = Tensor::<f32>::zeros([0, 3]);
        assert_eq!(a.matmul(&b).unwrap().to_vec(), vec![0.0; 6]);
    }
}
