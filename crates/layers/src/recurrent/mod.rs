//! Recurrent layers: [`Rnn`] (tanh or relu), [`Lstm`] and [`Gru`], multi-layer and
//! bidirectional, and the single-step cells [`RnnCell`], [`LstmCell`] and [`GruCell`], with
//! PyTorch's options, equations, parameter names, layouts and initialisation, so weights move
//! between the two through safetensors.
//!
//! ```
//! use youshi_autograd::Graph;
//! use youshi_layers::recurrent::{LstmConfig, LstmState};
//! use youshi_layers::ModuleExt;
//! use youshi_tensor::{seeded_rng, Tensor};
//!
//! let lstm = LstmConfig::new(8, 16)
//!     .num_layers(2)
//!     .bidirectional(true)
//!     .batch_first(true)
//!     .init::<f32>(&mut seeded_rng(0))?;
//! // PyTorch's names: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._reverse, ...
//! assert_eq!(lstm.named_params().len(), 16);
//!
//! let g = Graph::new();
//! let x = g.constant(Tensor::ones([4, 10, 8])); // [N, L, H_in]
//! let state = LstmState {
//!     h: g.constant(Tensor::zeros([4, 4, 16])), // [D * num_layers, N, H]
//!     c: g.constant(Tensor::zeros([4, 4, 16])),
//! };
//! // Sequences of 10, 7, 3 and 1 real steps, padded to 10.
//! let (y, last) = lstm.forward_full(&x, Some(&state), Some(&[10, 7, 3, 1]))?;
//! assert_eq!(y.shape(), &[4, 10, 32]);
//! assert_eq!(last.h.shape(), &[4, 4, 16]);
//! # Ok::<(), youshi_layers::LayerError>(())
//! ```
//!
//! # Speed
//! Each layer and direction computes the input projections of all time steps with one GEMM;
//! the recurrence is one fused operation ([`Var::recurrence`](youshi_autograd::Var::recurrence))
//! doing one small GEMM per step, whose backward through time reuses the activations the
//! forward kept.

pub mod cell;
pub mod config;
pub mod gru;
pub mod lstm;
pub mod packed;
pub mod rnn;
pub(crate) mod stack;
pub mod weights;

pub use cell::{GruCell, LstmCell, RnnCell};
pub use config::{
    GruCellConfig, GruConfig, LstmCellConfig, LstmConfig, RnnCellConfig, RnnConfig, RnnNonlinearity,
};
pub use gru::Gru;
pub use lstm::{Lstm, LstmState};
pub use packed::pad_sequences;
pub use rnn::Rnn;
pub use weights::RecurrentWeights;
