//! Optimizers, learning-rate schedules, gradient clipping and a training loop for Youshi.
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs)]

pub mod error;
pub mod optimizer;
pub mod schedule;

pub use error::{OptimError, Result};
pub use optimizer::{HyperParams, Optimizer, OptimizerState};
pub use schedule::{LrScheduler, SchedulerState};

// The training loop and its main types.
pub mod fit;
pub use fit::{
    Accuracy, Callback, Checkpoint, CsvLogger, EarlyStopping, History, Loss, Metric,
    ModelCheckpoint, Progress, SchedulerStep, TopKAccuracy, Trainer,
};
