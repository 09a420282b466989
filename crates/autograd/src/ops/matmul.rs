//! Matrix product.
//!
//! For `C = A B` (with `torch.matmul` broadcasting), given `G = dL/dC`:
//! `dL/dA = G Bᵀ` and `dL/dB = Aᵀ G`, each summed over the batch dimensions its operand was
//! broadcast along. Vector operands are promoted to matrices (`[k]` to `[1, k]` on the left,
//! `[k, 1]` on the right) and the gradients reshaped back. Transposes are views, so the
//! backward pass is two GEMMs with strided operands and no copies of `A`, `B` or `G`.

use youshi_tensor::Element;

use crate::error::Result;
use crate::graph::Var;
use crate::ops::reduce_to_shape;

impl<T: Element> Var<T> {
    /// Matrix product with `torch.matmul` semantics (see
    /// [`Tensor::matmul`](youshi_tensor::Tensor::matmul)).
    ///
    /// # Shapes
    /// `[.., m, k] · [.., k, n] -> [.., m, n]`, batch dimensions broadcast; rank-1 operands are
    /// vectors.
    ///
    /// # Errors
    /// As [`Tensor::matmul`](youshi_tensor::Tensor::matmul), and
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let a = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2])?);
    /// let y = a.matmul(&a)?;
    /// assert_eq!(y.value().to_vec(), vec![7.0, 10.0, 15.0, 22.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn matmul(&self, rhs: &Var<T>) -> Result<Var<T>> {
        let value = self.value().matmul(rhs.value())?;
        let (a, b) = (self.value().clone(), rhs.value().clone());
        let (need_a, need_b) = (self.requires_grad(), rhs.requires_grad());
        Var::record("matmul", &[self, rhs], value, move |g| {
            let a2 = if a.ndim() == 1 {
                a.unsqueeze(0)?
            } else {
                a.clone()
            };
            let b2 = if b.ndim() == 1 {
                b.unsqueeze(1)?
            } else {
                b.clone()
            };
            // Restore the dimensions the forward removed for vector operands.
            // (the forward dropped a's row dimension first, then b's column dimension).
            let mut g2 = g.clone();
            if b.ndim() == 1 {
                g2 = g2.unsqueeze(-1)?;
            }
            if a.ndim() == 1 {
                g2 = g2.unsqueeze(-2)?;
            }
            let ga = if need_a {
                let full = g2.matmul(&b2.transpose(-2, -1)?)?;
                Some(reduce_to_shape(full, a2.shape())?.reshape_exact(a.shape())?)
            } else {
                None
            };
            let gb = if need_b {
                let full = a2.transpose(-2, -1)?.matmul(&g2)?;
                Some(reduce_to_shape(full, b2.shape())?.reshape_exact(b.shape())?)
            } else {
                None
            };
            Ok(vec![ga, gb])
        })
    }
}

#[cfg(test)]
mod tests {
    use youshi_tensor::Tensor;
    use youshi_testkit::uniform_vec;

    use crate::{gradcheck, GradcheckOptions};

    fn t(shape: &[usize], seed: u64) -> Tensor<f64> {
        Tensor::from_vec(uniform_vec(shape.iter().product(), seed), shape).unwrap()
    }

    #[test]
    fn gradcheck_every_form() {
        let cases: &[(&[usize], &[usize])] = &[
            (&[3], &[3]),
            (&[3], &[3, 2]),
            (&[2, 3], &[3]),
            (&[2, 3], &[3, 4]),
            (&[2, 2, 3], &[3, 4]),
            (&[3], &[2, 3, 4]),
            (&[2, 1, 2, 3], &[3, 3, 2]),
        ];
        for (i, (sa, sb)) in cases.iter().enumerate() {
            let (a, b) = (t(sa, i as u64), t(sb, 100 + i as u64));
            gradcheck(
                |_g, x| x[0].matmul(&x[1]),
                &[a, b],
                GradcheckOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{sa:?} x {sb:?}: {e}"));
        }
    }

    #[test]
    fn gradcheck_transposed_operand() {
        let (a, b) = (t(&[4, 3], 1), t(&[5, 3], 2));
        gradcheck(
            |_g, x| x[0].matmul(&x[1].t()?),
            &[a, b],
            GradcheckOptions::default(),
        )
        .unwrap();
    }
}
