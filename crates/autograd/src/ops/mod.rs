//! Differentiable operations, one family per file: each file holds the forward (a method on
//! [`Var`](crate::Var) computed with tensor kernels), its backward, the derivative's maths in
//! the docs, and its tests.

pub mod arith;
pub mod conv;
pub mod dropout;
pub mod index;
pub mod join;
pub mod matmul;
pub mod pool;
pub mod recurrent;
pub mod reduce;
pub mod shape;
pub mod softmax;
pub mod unary;

use youshi_tensor::{Element, Tensor};

use crate::error::Result;

/// Sums a broadcast gradient back to `shape` (the reverse of NumPy broadcasting).
pub(crate) fn reduce_to_shape<T: Element>(g: Tensor<T>, shape: &[usize]) -> Result<Tensor<T>> {
    if g.shape() == shape {
        return Ok(g);
    }
    let mut a = g.into_array();
    while a.ndim() > shape.len() {
        a = a.sum_axis(youshi_tensor::ndarray::Axis(0));
    }
    for (axis, &d) in shape.iter().enumerate() {
        if d == 1 && a.shape()[axis] != 1 {
            a = a
                .sum_axis(youshi_tensor::ndarray::Axis(axis))
                .insert_axis(youshi_tensor::ndarray::Axis(axis));
        }
    }
    Ok(Tensor::from_array(a))
}
