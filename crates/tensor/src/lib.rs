//! N-dimensional `f32`/`f64` tensors with NumPy broadcasting and fast CPU kernels.
//!
//! ```
//! use youshi_tensor::{seeded_rng, Tensor};
//!
//! // A batch of 4 inputs with 3 features, and a 3 -> 2 weight matrix.
//! let x = Tensor::<f32>::rand_normal([4, 3], 0.0, 1.0, &mut seeded_rng(0))?;
//! let w = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0], [2, 3])?;
//! // y = x wᵀ, passing the transposed view to the GEMM without a copy.
//! let y = x.matmul(&w.t()?)?;
//! assert_eq!(y.shape(), &[4, 2]);
//!
//! // Shape errors are values, and they name the operation and the shapes.
//! let err = x.matmul(&w).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "matmul: cannot multiply [4, 3] by [2, 3]: inner dimensions 3 and 2 differ"
//! );
//! # Ok::<(), youshi_tensor::TensorError>(())
//! ```
//!
//! # Design
//! - [`Tensor<T>`] wraps a reference-counted ndarray array, so clones and views (reshape of
//!   contiguous data, transpose, permute, slice) share storage; writes copy on write.
//! - Every operation that can fail on user input returns [`Result`] with a [`TensorError`]
//!   that names the operation and the shapes; nothing panics on user input.
//! - Axes are `isize` and may be negative, counting from the end, as in PyTorch.
//! - Heavy kernels (GEMM, convolution, pooling) run on a thread pool sized by
//!   [`set_num_threads`]; all matrix products go through one internal GEMM entry point.
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs)]

pub mod element;
pub mod error;
pub mod fs;
pub(crate) mod kernels;
pub mod math;
pub mod ops;
pub mod parallel;
pub mod random;
pub mod shape;
pub mod tensor;

/// The ndarray version this crate is built on, for code that works with [`Tensor::view`] and
/// [`Tensor::from_array`].
pub use ndarray;

pub use element::{DType, Element};
pub use error::{Result, TensorError};
pub use ops::conv::{Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions};
pub use ops::pool::{Pool1dOptions, Pool2dOptions};
pub use parallel::{num_threads, set_num_threads};
pub use random::{seeded_rng, TensorRng};
pub use shape::{broadcast_shapes, normalize_axes, normalize_axis, Shape};
pub use tensor::{Indices, Tensor};
