//! Inverted dropout and its building block, multiplication by a constant mask.
//!
//! **`mul_mask`.** `Y = X ⊙ M` for a constant tensor `M` (broadcast against `X`), so
//! `dL/dX = G ⊙ M`, summed back to the shape of `X` if `M` broadcast it to a larger shape.
//! `M` is not differentiable.
//!
//! **`dropout`** is PyTorch's inverted dropout: in training, each element is kept with
//! probability `1 - p` and scaled by `1 / (1 - p)`, so the expectation of the output is the
//! input. It is `mul_mask` with `M = B / (1 - p)`, `B` a Bernoulli(`1 - p`) sample of the
//! input's shape, so the gradient is `G ⊙ M`: zero where an element was dropped and
//! `G / (1 - p)` where it was kept. The edge cases are PyTorch's: not training or `p = 0` is
//! the identity (no node is recorded, no randomness drawn); `p = 1` multiplies by 0 (every
//! output and gradient is 0, no randomness drawn).
//!
//! The generator is [`TensorRng`]: the autograd crate does not depend on `rand`, so
//! `rand::RngCore` cannot be named here; [`youshi_tensor::seeded_rng`] makes one.

use youshi_tensor::{Element, Tensor, TensorRng};

use crate::error::{AutogradError, Result};
use crate::graph::Var;
use crate::ops::reduce_to_shape;

impl<T: Element> Var<T> {
    /// Multiplies by the constant `mask` (any values, broadcast against `self`); the
    /// gradient is `g ⊙ mask`, summed back to the shape of `self`. The mask gets no gradient.
    ///
    /// # Shapes
    /// `self [..a]` and `mask [..m]` give `broadcast_shapes(a, m)`.
    ///
    /// # Errors
    /// [`AutogradError::Tensor`] naming `mul_mask` and both shapes if they do not broadcast.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0], [3])?);
    /// let mask = Tensor::from_vec(vec![2.0, 0.0, 2.0], [3])?;
    /// let y = x.mul_mask(&mask)?;
    /// assert_eq!(y.value().to_vec(), vec![2.0, 0.0, 6.0]);
    /// y.backward_with(&Tensor::ones([3]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 0.0, 2.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn mul_mask(&self, mask: &Tensor<T>) -> Result<Var<T>> {
        let value = self.value().zip_map(mask, "mul_mask", |x, m| x * m)?;
        let shape = self.shape().to_vec();
        let mask = mask.clone();
        Var::record("mul_mask", &[self], value, move |g| {
            Ok(vec![Some(reduce_to_shape(g.mul(&mask)?, &shape)?)])
        })
    }

    /// Inverted dropout, like `torch.nn.functional.dropout(x, p, training)`: in training,
    /// zeroes each element with probability `p` and scales the kept ones by `1 / (1 - p)`.
    ///
    /// The gradient is the output gradient times the same mask (0 where dropped,
    /// `1 / (1 - p)` where kept). When not training, or for `p = 0`, this returns `self`
    /// unchanged (nothing recorded, `rng` untouched); `p = 1` gives zeros (and zero
    /// gradients) without drawing from `rng`.
    ///
    /// # Errors
    /// [`AutogradError::InvalidArgument`] unless `0 <= p <= 1` (checked in evaluation mode
    /// too).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::{seeded_rng, Tensor};
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::ones([1000]));
    /// let y = x.dropout(0.25, true, &mut seeded_rng(0))?;
    /// let kept = y.value().to_vec().iter().filter(|&&v| v != 0.0).count();
    /// assert!((700..800).contains(&kept));
    /// assert!(y.value().to_vec().iter().all(|&v| v == 0.0 || v == 1.0 / 0.75));
    /// // Evaluation mode is the identity.
    /// let z = x.dropout(0.25, false, &mut seeded_rng(0))?;
    /// assert_eq!(z.value(), x.value());
    /// assert!(x.dropout(1.5, true, &mut seeded_rng(0)).is_err());
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn dropout(&self, p: f64, training: bool, rng: &mut TensorRng) -> Result<Var<T>> {
        if !(0.0..=1.0).contains(&p) {
            return Err(AutogradError::InvalidArgument {
                op: "dropout",
                reason: format!("probability must lie in [0, 1], got {p}"),
            });
        }
        if !training || p == 0.0 {
            return Ok(self.clone());
        }
        if p == 1.0 {
            return self.mul_mask(&Tensor::zeros([]));
        }
        let keep = Tensor::<T>::rand_bernoulli(self.shape(), 1.0 - p, rng)?;
        self.mul_mask(&keep.mul_scalar(T::of(1.0 / (1.0 - p))))
    }
}

#[cfg(test)]
mod tests {
    use youshi_tensor::{seeded_rng, Tensor};

    use crate::{AutogradError, Graph};

    #[test]
    fn mul_mask_broadcasts_and_reduces_the_gradient() {
        let g = Graph::<f64>::new();
        let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0], [2, 1]).unwrap());
        let mask = Tensor::from_vec(vec![0.0, 1.0, 3.0], [3]).unwrap();
        let y = x.mul_mask(&mask).unwrap();
        assert_eq!(y.shape(), &[2, 3]);
        assert_eq!(y.value().to_vec(), vec![0.0, 1.0, 3.0, 0.0, 2.0, 6.0]);
        y.backward_with(&Tensor::ones([2, 3])).unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![4.0, 4.0]);
        let e = x.mul_mask(&Tensor::zeros([3, 2])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "mul_mask: shapes [2, 1] and [3, 2] cannot be broadcast together"
        );
    }

    #[test]
    fn edge_probabilities() {
        let g = Graph::<f64>::new();
        let x = g.leaf(Tensor::from_vec(vec![1.0, -2.0, 3.0], [3]).unwrap());
        let n = g.len();
        // p = 0 and evaluation mode: the same node, nothing recorded.
        for (p, training) in [(0.0, true), (0.5, false), (1.0, false)] {
            let y = x.dropout(p, training, &mut seeded_rng(1)).unwrap();
            assert_eq!(y.value(), x.value());
            assert_eq!(g.len(), n);
        }
        // p = 1: zeros, zero gradient.
        let y = x.dropout(1.0, true, &mut seeded_rng(1)).unwrap();
        assert_eq!(y.value().to_vec(), vec![0.0; 3]);
        y.backward_with(&Tensor::ones([3])).unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0.0; 3]);
        for p in [-0.1, 1.1, f64::NAN] {
            let e = x.dropout(p, false, &mut seeded_rng(1)).unwrap_err();
            assert!(matches!(
                e,
                AutogradError::InvalidArgument { op: "dropout", .. }
            ));
            assert!(e
                .to_string()
                .starts_with("dropout: probability must lie in [0, 1]"));
        }
    }

    #[test]
    fn same_seed_same_mask() {
        let g = Graph::<f32>::new();
        let x = g.leaf(Tensor::ones([64]));
        let a = x.dropout(0.5, true, &mut seeded_rng(3)).unwrap();
        let b = x.dropout(0.5, true, &mut seeded_rng(3)).unwrap();
        assert_eq!(a.value(), b.value());
        assert!(a.value().to_vec().iter().all(|&v| v == 0.0 || v == 2.0));
    }
}
