//! Tensor operations, one family per file. Each file adds methods to [`Tensor`](crate::Tensor).

pub mod activation;
pub mod conv;
pub mod elementwise;
pub mod index;
pub mod join;
pub mod matmul;
pub mod pool;
pub mod reduce;
pub mod shape;
