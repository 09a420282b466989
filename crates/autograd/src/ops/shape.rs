//! Shape views: reshape, permute, transpose, squeeze, unsqueeze, flatten, expand.
//!
//! Each is a pure rearrangement of elements, so its backward applies the inverse
//! rearrangement to the gradient: reshape back, the inverse permutation, the same transpose,
//! and for `expand` a sum over the broadcast dimensions.

use youshi_tensor::Element;

use crate::error::Result;
use crate::graph::Var;
use crate::ops::reduce_to_shape;

impl<T: Element> Var<T> {
    /// [`Tensor::reshape`](youshi_tensor::Tensor::reshape), differentiable.
    ///
    /// # Errors
    /// As [`Tensor::reshape`](youshi_tensor::Tensor::reshape).
    pub fn reshape(&self, shape: &[isize]) -> Result<Var<T>> {
        let value = self.value().reshape(shape)?;
        let from = self.shape().to_vec();
        Var::record("reshape", &[self], value, move |g| {
            Ok(vec![Some(g.reshape_exact(&from)?)])
        })
    }

    /// [`Tensor::permute`](youshi_tensor::Tensor::permute), differentiable.
    ///
    /// # Errors
    /// As [`Tensor::permute`](youshi_tensor::Tensor::permute).
    pub fn permute(&self, dims: &[isize]) -> Result<Var<T>> {
        let value = self.value().permute(dims)?;
        let n = self.shape().len();
        // Output dim i is input dim axes[i]; the inverse sends input dim axes[i] back to i.
        let mut inverse = vec![0isize; n];
        for (i, &d) in dims.iter().enumerate() {
            let a = if d < 0 { d + n as isize } else { d } as usize;
            inverse[a] = i as isize;
        }
        Var::record("permute", &[self], value, move |g| {
            Ok(vec![Some(g.permute(&inverse)?)])
        })
    }

    /// [`Tensor::transpose`](youshi_tensor::Tensor::transpose), differentiable.
    ///
    /// # Errors
    /// As [`Tensor::transpose`](youshi_tensor::Tensor::transpose).
    pub fn transpose(&self, a: isize, b: isize) -> Result<Var<T>> {
        let value = self.value().transpose(a, b)?;
        Var::record("transpose", &[self], value, move |g| {
            Ok(vec![Some(g.transpose(a, b)?)])
        })
    }

    /// [`Tensor::t`](youshi_tensor::Tensor::t), differentiable.
    ///
    /// # Errors
    /// As [`Tensor::t`](youshi_tensor::Tensor::t).
    pub fn t(&self) -> Result<Var<T>> {
        self.value().t()?;
        self.transpose(-2, -1)
    }

    /// [`Tensor::unsqueeze`](youshi_tensor::Tensor::unsqueeze), differentiable.
    ///
    /// # Errors
    /// As [`Tensor::unsqueeze`](youshi_tensor::Tensor::unsqueeze).
    pub fn unsqueeze(&self, axis: isize) -> Result<Var<T>> {
        self.reshape_like(self.value().unsqueeze(axis)?, "unsqueeze")
    }

    /// [`Tensor::squeeze`](youshi_tensor::Tensor::squeeze), differentiable.
    ///
    /// # Errors
    /// As [`Tensor::squeeze`](youshi_tensor::Tensor::squeeze).
    pub fn squeeze(&self, axis: isize) -> Result<Var<T>> {
        self.reshape_like(self.value().squeeze(axis)?, "squeeze")
    }

    /// [`Tensor::flatten`](youshi_tensor::Tensor::flatten), differentiable.
    ///
    /// # Errors
    /// As [`Tensor::flatten`](youshi_tensor::Tensor::flatten).
    pub fn flatten(&self, start: isize, end: isize) -> Result<Var<T>> {
        self.reshape_like(self.value().flatten(start, end)?, "flatten")
    }

    /// Records `value` (same elements as `self`, another shape) with a reshape backward.
    fn reshape_like(&self, value: youshi_tensor::Tensor<T>, op: &'static str) -> Result<Var<T>> {
        let from = self.shape().to_vec();
        Var::record(op, &[self], value, move |g| {
            Ok(vec![Some(g.reshape_exact(&from)?)])
        })
    }

    /// [`Tensor::broadcast_to`](youshi_tensor::Tensor::broadcast_to), differentiable: the
    /// gradient is summed over the broadcast dimensions.
    ///
    /// # Errors
    /// As [`Tensor::broadcast_to`](youshi_tensor::Tensor::broadcast_to).
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Var<T>> {
        self.broadcast_like(self.value().broadcast_to(shape)?, "broadcast_to")
    }

    /// [`Tensor::expand`](youshi_tensor::Tensor::expand), differentiable.
    ///
    /// # Errors
    /// As [`Tensor::expand`](youshi_tensor::Tensor::expand).
    pub fn expand(&self, shape: &[isize]) -> Result<Var<T>> {
        self.broadcast_like(self.value().expand(shape)?, "expand")
    }

    /// Records `value` (`self` broadcast to a larger shape) with a summing backward.
    fn broadcast_like(&self, value: youshi_tensor::Tensor<T>, op: &'static str) -> Result<Var<T>> {
        let from = self.shape().to_vec();
        Var::record(op, &[self], value, move |g| {
            Ok(vec![Some(reduce_to_shape(g.clone(), &from)?)])
        })
    }
}
