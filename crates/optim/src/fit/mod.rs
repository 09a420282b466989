//! The training loop: [`Trainer`] fits a model with a loss, an optimizer, an optional
//! learning-rate schedule, metrics and callbacks, Keras-style, and returns the [`History`].
//!
//! ```
//! use youshi_data::Batch;
//! use youshi_layers::{CrossEntropyLoss, Linear, ModuleExt, Relu, Sequential};
//! use youshi_optim::fit::{Accuracy, EarlyStopping, Progress, Trainer};
//! use youshi_optim::{Sgd, SgdConfig};
//! use youshi_tensor::{seeded_rng, Tensor};
//!
//! // Two Gaussian blobs, classes 0 and 1, in batches of 20.
//! let mut rng = seeded_rng(0);
//! let mut batches = Vec::new();
//! for _ in 0..5 {
//!     let noise = Tensor::<f32>::rand_normal([20, 2], 0.0, 0.5, &mut rng)?;
//!     let labels: Vec<f32> = (0..20).map(|i| (i % 2) as f32).collect();
//!     let centres: Vec<f32> = labels.iter().flat_map(|&c| [4.0 * c - 2.0, 0.0]).collect();
//!     let inputs = noise.add(&Tensor::from_vec(centres, [20, 2])?)?;
//!     batches.push(Batch::new(inputs, Tensor::from_vec(labels, [20])?));
//! }
//!
//! let model: Sequential = Sequential::new()
//!     .add(Linear::new(2, 8, &mut rng)?)
//!     .add(Relu)
//!     .add(Linear::new(8, 2, &mut rng)?);
//! let optimizer = Sgd::new(model.params(), SgdConfig::default().lr(0.1))?;
//! let mut trainer = Trainer::new(&model, CrossEntropyLoss::new(), optimizer)
//!     .metric(Accuracy::new())
//!     .callback(EarlyStopping::new("val_loss").patience(3).restore_best(true))
//!     .progress(Progress::Silent);
//! let val = batches.split_off(4);
//! let history = trainer.fit(&mut batches, Some(&mut val.clone()), 10)?;
//! assert!(history.last("val_accuracy").unwrap() > 0.9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Each step
//! `model.train()`, a new [`Graph`](youshi_autograd::Graph), the forward pass, the loss, a check that it is finite,
//! the backward pass, [`Callback::on_after_backward`], the optimizer's step, cleared
//! gradients, and the schedule's step if it steps per batch. After the epoch, validation
//! runs with `model.eval()` on a [`Graph::no_grad`](youshi_autograd::Graph::no_grad) graph.
//!
//! # What is reported
//! The loss and every metric are averaged **per example** over the epoch, as Keras does:
//! each batch's mean loss is weighted by its number of examples. Training values are
//! accumulated while the weights change during the epoch (they are not re-evaluated at the
//! end); validation values use the weights at the end of the epoch. Validation values are
//! logged with a `val_` prefix.
//!
//! # Determinism
//! Nothing in the loop depends on time or on thread scheduling: with the same seeds (model
//! initialisation, [`Trainer::seed`], data order) and the same kernel thread count
//! ([`youshi_tensor::set_num_threads`]), two runs give bit-identical weights, and a run
//! resumed from a checkpoint gives the weights of the uninterrupted run.

mod atomic;
pub mod callbacks;
mod chart;
pub mod checkpoint;
pub mod history;
pub mod loss;
pub mod metrics;
pub mod progress;
mod resume;
mod trainer;

use serde::{Deserialize, Serialize};
use youshi_data::{Batch, Batches};
use youshi_tensor::Element;

pub use callbacks::{
    BatchLogs, Callback, CallbackState, Context, CsvLogger, Direction, EarlyStopping,
    ModelCheckpoint,
};
pub use checkpoint::{Checkpoint, RngState, CHECKPOINT_VERSION};
pub use history::{History, Logs};
pub use loss::{class_indices, loss_fn, Loss, LossFn};
pub use metrics::{metric_fn, Accuracy, Metric, MetricFn, TopKAccuracy};
pub use progress::Progress;
pub use trainer::Trainer;

/// When the learning-rate schedule steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchedulerStep {
    /// After every optimizer step (warm-up, one-cycle, cosine over steps); the schedule's
    /// metric is the batch's loss.
    PerBatch,
    /// After every epoch (step decay, plateau); the schedule's metric is the monitored value
    /// ([`Trainer::scheduler_monitor`], by default `val_loss` when there is validation data
    /// and `loss` otherwise).
    PerEpoch,
}

/// A source of batches for [`Trainer::fit`]: anything implementing
/// [`youshi_data::Batches`] (a `Vec<Batch>`, the data crate's loaders), seen through an
/// object-safe view so that `fit` takes `None` for no validation data.
pub trait EpochBatches<T: Element = f32> {
    /// The batches of epoch `epoch` (from 0).
    fn epoch_batches(
        &mut self,
        epoch: usize,
    ) -> Box<dyn Iterator<Item = youshi_data::Result<Batch<T>>> + '_>;

    /// The number of batches per epoch, when known.
    fn batches_per_epoch(&self) -> Option<usize>;
}

impl<T: Element, B: Batches<T>> EpochBatches<T> for B {
    fn epoch_batches(
        &mut self,
        epoch: usize,
    ) -> Box<dyn Iterator<Item = youshi_data::Result<Batch<T>>> + '_> {
        Box::new(self.epoch(epoch))
    }

    fn batches_per_epoch(&self) -> Option<usize> {
        self.num_batches()
    }
}
