//! Normalisation layers, PyTorch's `nn.LayerNorm`, `nn.BatchNorm1d`, `nn.BatchNorm2d` and
//! `nn.GroupNorm`, with their parameter and buffer names, defaults and numerics.
//!
//! Every layer is written with differentiable [`Var`](youshi_autograd::Var) operations (mean,
//! variance, subtraction, reciprocal square root, product, sum), so its gradients come from
//! autograd; batch norm's running statistics are updated with plain tensor operations outside
//! the graph.
//!
//! ```
//! use youshi_autograd::Graph;
//! use youshi_layers::norm::{BatchNorm2dConfig, LayerNormConfig};
//! use youshi_layers::{Module, ModuleExt};
//! use youshi_tensor::{seeded_rng, Tensor};
//!
//! let mut rng = seeded_rng(0);
//! let bn = BatchNorm2dConfig::new(8).momentum(None).init::<f32>(&mut rng)?;
//! let names: Vec<String> = bn.named_buffers().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["running_mean", "running_var", "num_batches_tracked"]);
//! let ln = LayerNormConfig::new(&[8]).eps(1e-6).init::<f32>(&mut rng)?;
//! let g = Graph::new();
//! let y = bn.forward(&g.constant(Tensor::ones([2, 8, 4, 4])))?;
//! assert_eq!(y.shape(), &[2, 8, 4, 4]);
//! let z = ln.forward(&g.constant(Tensor::ones([3, 8])))?;
//! assert_eq!(z.shape(), &[3, 8]);
//! # Ok::<(), youshi_layers::LayerError>(())
//! ```

mod batch_norm;
mod group_norm;
mod layer_norm;

pub use batch_norm::{
    BatchNorm, BatchNorm1d, BatchNorm1dConfig, BatchNorm2d, BatchNorm2dConfig, BatchNormConfig,
};
pub use group_norm::{GroupNorm, GroupNormConfig};
pub use layer_norm::{LayerNorm, LayerNormConfig};

use crate::error::{LayerError, Result};

/// Checks that `eps` is finite and not negative.
fn check_eps(kind: &'static str, eps: f64) -> Result<()> {
    if eps.is_finite() && eps >= 0.0 {
        Ok(())
    } else {
        Err(LayerError::config(
            kind,
            format!("eps must be finite and >= 0, got {eps}"),
        ))
    }
}

/// `[1, c, 1, ...]` of the given rank: the shape a per-channel vector broadcasts with.
fn channel_shape(rank: usize, c: usize) -> Vec<isize> {
    (0..rank)
        .map(|a| if a == 1 { c as isize } else { 1 })
        .collect()
}
