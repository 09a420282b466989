//! Neural-network modules on `youshi-autograd`, with PyTorch's names, layouts and defaults.
//!
//! ```
//! use youshi_autograd::Graph;
//! use youshi_layers::{Linear, Module, ModuleExt, Relu, Sequential};
//! use youshi_tensor::{seeded_rng, Tensor};
//!
//! let mut rng = seeded_rng(0);
//! let model: Sequential = Sequential::new()
//!     .add(Linear::new(784, 128, &mut rng)?)
//!     .add(Relu)
//!     .add(Linear::new(128, 10, &mut rng)?);
//! let names: Vec<String> = model.named_params().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
//!
//! let g = Graph::new();
//! let logits = model.forward(&g.constant(Tensor::zeros([32, 784])))?;
//! assert_eq!(logits.shape(), &[32, 10]);
//! # Ok::<(), youshi_layers::LayerError>(())
//! ```
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs)]

pub mod activation;
pub mod buffer;
pub mod conv;
pub mod dropout;
pub mod embedding;
pub mod error;
pub mod init;
pub mod io;
pub mod linear;
pub mod loss;
pub mod module;
pub mod norm;
pub mod pool;
pub mod recurrent;
pub mod sequential;
pub mod summary;

pub use activation::{
    Elu, Flatten, Gelu, Identity, LeakyRelu, LogSoftmax, Relu, Sigmoid, Silu, Softmax, Softplus,
    Tanh,
};
pub use buffer::Buffer;
pub use conv::{
    Conv1d, Conv1dConfig, Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig, Padding,
};
pub use dropout::{Dropout, Dropout2d};
pub use embedding::{Embedding, EmbeddingConfig};
pub use error::{LayerError, Result};
pub use io::{load_safetensors, load_state_dict, save_safetensors, state_dict};
pub use linear::Linear;
pub use loss::{
    BceLoss, BceWithLogitsLoss, CrossEntropyLoss, HuberLoss, KlDivLoss, KlDivReduction, L1Loss,
    MseLoss, NllLoss, Reduction, SmoothL1Loss,
};
pub use module::{join, walk, walk_modules, Mode, Module, ModuleExt, Slot};
pub use norm::{
    BatchNorm, BatchNorm1d, BatchNorm1dConfig, BatchNorm2d, BatchNorm2dConfig, BatchNormConfig,
    GroupNorm, GroupNormConfig, LayerNorm, LayerNormConfig,
};
pub use pool::{
    AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, Pool1dConfig, Pool2dConfig,
};
pub use recurrent::{
    pad_sequences, Gru, GruCell, GruCellConfig, GruConfig, Lstm, LstmCell, LstmCellConfig,
    LstmConfig, LstmState, RecurrentWeights, Rnn, RnnCell, RnnCellConfig, RnnConfig,
    RnnNonlinearity,
};
pub use sequential::Sequential;
pub use summary::{summary, LayerRow, Summary};
