//! Optimizers, learning-rate schedules, gradient clipping and a training loop for Youshi.
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs)]

pub mod error;
pub mod optimizer;
pub mod schedule;

pub use error::{OptimError, Result};
pub use optimizer::{HyperParams, Optimizer, OptimizerState};
pub use schedule::{LrScheduler, SchedulerState};
