//! Reverse-mode automatic differentiation over `youshi-tensor` operations.
//!
//! ```
//! use youshi_autograd::{Graph, Param};
//! use youshi_tensor::Tensor;
//!
//! // A parameter lives across steps; each step records a fresh graph.
//! let w = Param::new(Tensor::<f64>::from_vec(vec![0.5, -0.25], [2, 1])?);
//! for _step in 0..3 {
//!     let g = Graph::new();
//!     let x = g.constant(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2])?);
//!     let y = x.matmul(&g.param(&w))?;               // [2, 1]
//!     let loss = y.reshape(&[1, 2])?.matmul(&y)?;     // sum of squares, [1, 1]
//!     w.zero_grad();
//!     loss.backward()?;                               // frees the graph's saved state
//!     w.update(|value, grad| {
//!         let grad = grad.expect("w was used");
//!         value.array_mut().zip_mut_with(&grad.view(), |v, &g| *v -= 0.01 * g);
//!     });
//! }
//! # Ok::<(), youshi_autograd::AutogradError>(())
//! ```
//!
//! # Model
//! - **Define by run.** Operations on [`Var`]s run immediately and, when an input needs a
//!   gradient, record a node on the [`Graph`]: the ids of its inputs and a closure mapping the
//!   output's gradient to the inputs' gradients. Nodes are appended in execution order, so the
//!   reverse of the tape is a topological order.
//! - **Leaves** are constants (no gradient), leaves ([`Graph::leaf`], gradient kept on the
//!   `Var`) or parameters ([`Graph::param`], gradient accumulated into the shared [`Param`]).
//!   Gradients accumulate across backward calls until cleared, and a value used several times
//!   receives the sum of its gradients, as in PyTorch.
//! - **No-grad.** [`Graph::no_grad`] records nothing; operations then cost only their arithmetic.
//! - **Memory.** `backward` frees the saved state of every node (use
//!   [`Var::backward_retain`] to differentiate twice); the graph itself is freed when its last
//!   handle and `Var` are dropped.
//! - **Threads.** `Param`, `Graph` and `Var` are `Send + Sync`; there is no global state, so
//!   independent models train in independent threads. One graph is meant for one thread.
//! - **First order only.** Backward closures compute with plain tensors, so higher-order
//!   gradients (differentiating a gradient) are not supported.
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs)]

pub mod error;
pub mod gradcheck;
pub mod graph;
pub mod ops;
pub mod param;

pub use error::{AutogradError, Result};
pub use gradcheck::{gradcheck, GradcheckOptions, GradcheckReport};
pub use graph::{live_nodes, BackwardFn, Graph, InputGrads, Var};
pub use param::Param;
