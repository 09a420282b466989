//! Optimizers, learning-rate schedules and gradient clipping for Youshi, with PyTorch's
//! numerics.
//!
//! ```
//! use youshi_autograd::Graph;
//! use youshi_layers::{Linear, Module, ModuleExt, MseLoss};
//! use youshi_optim::{clip_grad_norm, Adam, AdamConfig, CosineAnnealingLr, LrScheduler, Optimizer};
//! use youshi_tensor::{seeded_rng, Tensor};
//!
//! // Fit y = 2a - b + 0.5c + 1 with a linear layer.
//! let mut rng = seeded_rng(0);
//! let model: Linear<f64> = Linear::new(3, 1, &mut rng)?;
//! let x = Tensor::<f64>::rand_normal([64, 3], 0.0, 1.0, &mut rng)?;
//! let w = Tensor::from_vec(vec![2.0, -1.0, 0.5], [3, 1])?;
//! let y = x.matmul(&w)?.map(|v| v + 1.0);
//!
//! let mut opt = Adam::new(model.params(), AdamConfig::default().lr(0.1))?;
//! let mut sched = CosineAnnealingLr::new(&mut opt, 200, 1e-3)?;
//! let mut losses = Vec::new();
//! for _ in 0..200 {
//!     let g = Graph::new();
//!     let pred = model.forward(&g.constant(x.clone()))?;
//!     let loss = MseLoss::new().forward(&pred, &g.constant(y.clone()))?;
//!     losses.push(loss.value().item()?);
//!     opt.zero_grad();
//!     loss.backward()?;
//!     clip_grad_norm(&opt.params(), 10.0, 2.0)?;
//!     opt.step()?;
//!     sched.step(&mut opt, None)?; // once per step here; once per epoch is as common
//! }
//! assert!(losses[199] < 1e-3 * losses[0]);
//! # Ok::<(), youshi_optim::OptimError>(())
//! ```
//!
//! # Contents
//! - **Optimizers** ([`Sgd`], [`Adam`], [`AdamW`], [`RmsProp`], [`Adagrad`]) implement
//!   [`Optimizer`]: each step follows PyTorch's single-tensor (`foreach=False`) formulas in
//!   PyTorch's order of operations, so f64 trajectories agree with PyTorch's to about 1e-14.
//!   Options come as a configuration with PyTorch's defaults (`AdamConfig::default().lr(1e-3)`),
//!   checked as PyTorch's constructors check them.
//! - **Parameter groups** ([`ParamGroup`]) give some parameters their own options;
//!   [`decay_groups`] splits a model's parameters into decay and no-decay groups (biases and
//!   1-d parameters such as normalisation weights take no weight decay).
//! - **Schedules** ([`StepLr`], [`MultiStepLr`], [`ExponentialLr`], [`LinearLr`],
//!   [`ConstantLr`], [`CosineAnnealingLr`], [`CosineAnnealingWarmRestarts`], [`OneCycleLr`],
//!   [`SequentialLr`], [`ReduceLrOnPlateau`]) implement [`LrScheduler`] and act on an optimizer
//!   through [`HyperParams`]; their rates equal PyTorch's bit for bit.
//! - **Clipping**: [`clip_grad_norm`] / [`ClipGradNorm`] (global 1-, 2-, p- and ∞-norm,
//!   returning the total norm) and [`clip_grad_value`], as `torch.nn.utils`.
//! - **State**: [`Optimizer::state`] / [`LrScheduler::state`] and their `load_state` resume
//!   training bit for bit.
//!
//! The guide `docs/optim.md` lists PyTorch's equivalents and the few places where behaviour
//! differs.
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs)]

pub mod adagrad;
pub mod adam;
pub mod clip;
pub mod error;
pub mod group;
pub(crate) mod groupset;
pub mod optimizer;
pub mod rmsprop;
pub mod schedule;
pub mod sgd;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig, AdamW, AdamWConfig};
pub use clip::{clip_grad_norm, clip_grad_value, grad_norm, ClipGradNorm};
pub use error::{OptimError, Result};
pub use group::{decay_groups, is_no_decay, split_decay, GroupOptions, ParamGroup};
pub use optimizer::{HyperParams, Optimizer, OptimizerState};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use schedule::{
    Anneal, ConstantLr, CosineAnnealingLr, CosineAnnealingWarmRestarts, ExponentialLr, LinearLr,
    LrScheduler, MultiStepLr, OneCycleConfig, OneCycleLr, PlateauConfig, PlateauMode,
    ReduceLrOnPlateau, SchedulerState, SequentialLr, StageStart, StepLr, ThresholdMode,
};
pub use sgd::{Sgd, SgdConfig};

// The training loop and its main types.
pub mod fit;
pub use fit::{
    Accuracy, Callback, Checkpoint, CsvLogger, EarlyStopping, History, Loss, Metric,
    ModelCheckpoint, Progress, SchedulerStep, TopKAccuracy, Trainer,
};
