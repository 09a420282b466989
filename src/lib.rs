//! Youshi (优势): composable neural networks and user analytics in pure Rust.
//!
//! This facade re-exports the workspace crates:
//! - [`tensor`]: n-d `f32`/`f64` tensors, broadcasting ops and CPU kernels.
//! - [`autograd`]: reverse-mode automatic differentiation (`Graph`, `Var`, `Param`).
//! - [`layers`]: modules, losses, initialisers, safetensors I/O and model summaries.
//!
//! ```
//! use youshi::prelude::*;
//! let t = Tensor::<f32>::ones([2, 2]);
//! assert_eq!(t.matmul(&t)?.to_vec(), vec![2.0; 4]);
//! # Ok::<(), TensorError>(())
//! ```
#![warn(missing_docs)]

pub use youshi_autograd as autograd;
pub use youshi_data as data;
pub use youshi_layers as layers;
pub use youshi_optim as optim;
pub use youshi_tensor as tensor;
pub use youshi_user_analytics as user_analytics;

/// The names most programs need.
pub mod prelude {
    pub use youshi_autograd::{AutogradError, Graph, Param, Var};
    pub use youshi_layers::{LayerError, Module, ModuleExt, Sequential};
    pub use youshi_tensor::{seeded_rng, Element, Shape, Tensor, TensorError};
}
