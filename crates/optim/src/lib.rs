//! Optimizers, learning-rate schedules, gradient clipping and a training loop for Youshi.
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
