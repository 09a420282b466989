//! Youshi (优势): composable neural networks and user analytics in pure Rust.
//!
//! This facade re-exports the workspace crates:
//! - [`tensor`]: n-d `f32`/`f64` tensors, broadcasting ops and CPU kernels.
//! - [`autograd`]: reverse-mode automatic differentiation (`Graph`, `Var`, `Param`).
//! - [`layers`]: modules (dense, convolutional, recurrent), losses, initialisers, safetensors
//!   I/O and model summaries.
//! - [`optim`]: optimizers, learning-rate schedules, gradient clipping and the training loop.
//! - [`data`]: datasets (MNIST, CIFAR, CSV) and seeded background batch loaders.
//! - [`user_analytics`]: event logs, funnels, retention, segmentation, lifetime value, churn
//!   and A/B tests.
//!
//! ```
//! use youshi::prelude::*;
//!
//! // Two Gaussian blobs, classes 0 and 1.
//! let mut rng = seeded_rng(0);
//! let noise = Tensor::<f32>::rand_normal([200, 2], 0.0, 0.5, &mut rng)?;
//! let labels: Vec<f32> = (0..200).map(|i| (i % 2) as f32).collect();
//! let centres: Vec<f32> = labels.iter().flat_map(|&c| [4.0 * c - 2.0, 0.0]).collect();
//! let inputs = noise.add(&Tensor::from_vec(centres, [200, 2])?)?;
//! let mut train = DataLoader::new(InMemory::new(inputs, Tensor::from_vec(labels, [200])?)?, 20)?
//!     .shuffle(1);
//!
//! let model: Sequential = Sequential::new()
//!     .add(Linear::new(2, 16, &mut rng)?)
//!     .add(Relu)
//!     .add(Linear::new(16, 2, &mut rng)?);
//! let adam = Adam::new(model.params(), AdamConfig::default().lr(1e-2))?;
//! let mut trainer = Trainer::new(&model, CrossEntropyLoss::new(), adam)
//!     .metric(Accuracy::new())
//!     .progress(Progress::Silent);
//! let history = trainer.fit(&mut train, None, 5)?;
//! assert!(history.last("accuracy").unwrap() > 0.95);
//! # Ok::<(), Box<dyn std::error::Error>>(())
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
    pub use youshi_data::{Batch, Batches, DataError, DataLoader, Dataset, InMemory};
    pub use youshi_layers::{
        Conv2dConfig, CrossEntropyLoss, Dropout, Flatten, LayerError, Linear, Lstm, LstmConfig,
        MaxPool2d, Module, ModuleExt, MseLoss, Padding, Pool2dConfig, Relu, Sequential,
    };
    pub use youshi_optim::{
        Accuracy, Adam, AdamConfig, AdamW, AdamWConfig, EarlyStopping, ModelCheckpoint, OptimError,
        Optimizer, Progress, Sgd, SgdConfig, Trainer,
    };
    pub use youshi_tensor::{seeded_rng, Element, Shape, Tensor, TensorError};
}

// The README's code blocks are compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
