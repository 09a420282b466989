//! Callbacks: code the training loop runs at fixed points ([`Callback`]), and the built-in
//! ones: [`EarlyStopping`], [`ModelCheckpoint`] and [`CsvLogger`].
//!
//! Callbacks run in the order they were added. At the end of an epoch the loop first
//! records the epoch's logs in the history and steps a per-epoch schedule, then calls every
//! callback's [`on_epoch_end`](Callback::on_epoch_end), then writes the checkpoints they
//! asked for: a checkpoint therefore holds the state of **every** callback after the epoch,
//! whichever order they were added in.
//!
//! ```
//! use youshi_optim::fit::{Callback, Context, Logs};
//! use youshi_optim::Result;
//! use youshi_tensor::Element;
//!
//! /// Stops training once the loss falls below a target.
//! struct StopBelow(f64);
//!
//! impl<T: Element> Callback<T> for StopBelow {
//!     fn name(&self) -> &'static str {
//!         "StopBelow"
//!     }
//!     fn on_epoch_end(&mut self, logs: &Logs, ctx: &mut Context<'_, T>) -> Result<()> {
//!         if logs.get("loss").is_some_and(|l| l < self.0) {
//!             ctx.stop_training(format!("loss below {}", self.0));
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let callbacks: Vec<Box<dyn Callback>> = vec![Box::new(StopBelow(0.01))];
//! assert_eq!(callbacks[0].name(), "StopBelow");
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use youshi_layers::io::state_dict;
use youshi_layers::Module;
use youshi_tensor::{Element, Tensor};

use crate::error::{OptimError, Result};
use crate::fit::history::{History, Logs};
use crate::optimizer::Optimizer;

/// What a callback saves in a checkpoint: named numbers and named tensors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallbackState<T: Element = f32> {
    /// Named numbers (counters, best values).
    pub scalars: BTreeMap<String, f64>,
    /// Named tensors (saved weights).
    pub tensors: BTreeMap<String, Tensor<T>>,
}

impl<T: Element> CallbackState<T> {
    /// True if there is nothing to save.
    pub fn is_empty(&self) -> bool {
        self.scalars.is_empty() && self.tensors.is_empty()
    }

    /// The number `key`, or an [`OptimError::State`] naming `op` and the key.
    ///
    /// # Errors
    /// [`OptimError::State`] if the number is absent.
    pub fn scalar(&self, op: &'static str, key: &str) -> Result<f64> {
        self.scalars
            .get(key)
            .copied()
            .ok_or_else(|| OptimError::state(op, format!("the saved state has no {key:?}")))
    }
}

/// What happened in one training step, for [`Callback::on_batch_end`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchLogs {
    /// The epoch, from 1.
    pub epoch: usize,
    /// The step within the epoch, from 1.
    pub step: usize,
    /// The number of examples in the batch.
    pub size: usize,
    /// The batch's loss.
    pub loss: f64,
}

/// A checkpoint a callback asked for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SaveRequest {
    /// A full training checkpoint.
    Checkpoint(PathBuf),
    /// The model's weights only, as `youshi_layers::save_safetensors` writes them.
    Weights(PathBuf),
}

/// Requests callbacks make of the loop.
#[derive(Debug, Default)]
pub(crate) struct Control {
    pub(crate) stop: Option<String>,
    pub(crate) saves: Vec<SaveRequest>,
}

/// What a callback sees of the training run and can ask of it.
pub struct Context<'c, T: Element = f32> {
    pub(crate) model: &'c dyn Module<T>,
    pub(crate) optimizer: &'c mut dyn Optimizer<T>,
    pub(crate) history: &'c History,
    pub(crate) control: &'c mut Control,
    pub(crate) epoch: usize,
    pub(crate) epochs: usize,
}

impl<'c, T: Element> Context<'c, T> {
    /// The model being trained.
    pub fn model(&self) -> &dyn Module<T> {
        self.model
    }

    /// The optimizer (to read or change learning rates, or reach the parameters and their
    /// gradients in [`Callback::on_after_backward`]).
    pub fn optimizer(&mut self) -> &mut dyn Optimizer<T> {
        &mut *self.optimizer
    }

    /// The history so far (at the end of an epoch, including that epoch).
    pub fn history(&self) -> &History {
        self.history
    }

    /// The current epoch, from 1 (0 before the first).
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The epoch training runs to.
    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// Asks the loop to stop: during an epoch, after the current step the epoch is finished
    /// (validation, logs, callbacks) and training ends; from
    /// [`on_train_begin`](Callback::on_train_begin), no epoch runs. `reason` is printed with
    /// the progress output.
    pub fn stop_training(&mut self, reason: impl Into<String>) {
        if self.control.stop.is_none() {
            self.control.stop = Some(reason.into());
        }
    }

    /// True once a callback asked to stop.
    pub fn stop_requested(&self) -> bool {
        self.control.stop.is_some()
    }

    /// Asks for a full training checkpoint at `path`, written once every callback has seen
    /// the end of the current epoch (asked from [`on_train_begin`](Callback::on_train_begin)
    /// or [`on_train_end`](Callback::on_train_end): once every callback has run it). Missing
    /// directories are created.
    pub fn save_checkpoint(&mut self, path: impl Into<PathBuf>) {
        self.control
            .saves
            .push(SaveRequest::Checkpoint(path.into()));
    }

    /// Asks for the model's weights only at `path` (a PyTorch-compatible safetensors file),
    /// written when [`save_checkpoint`](Context::save_checkpoint)'s would be.
    pub fn save_weights(&mut self, path: impl Into<PathBuf>) {
        self.control.saves.push(SaveRequest::Weights(path.into()));
    }
}

/// Code the training loop runs at fixed points of training, like Keras's callbacks.
///
/// Every method has a default that does nothing. A callback with state that matters for
/// resuming (counters, best values, saved weights) returns it from
/// [`state`](Callback::state) and takes it back in [`load_state`](Callback::load_state); it
/// is saved in checkpoints under the callback's [`name`](Callback::name) (with `.0`, `.1`,
/// ... telling apart callbacks of the same name, in the order they were added).
///
/// # Errors
/// An error returned by any method stops training and is returned by `fit`.
pub trait Callback<T: Element = f32>: Send {
    /// The callback's name, its key in checkpoints (`"EarlyStopping"`).
    fn name(&self) -> &'static str;

    /// Before the first epoch of a `fit`.
    ///
    /// # Errors
    /// Any error stops training.
    fn on_train_begin(&mut self, ctx: &mut Context<'_, T>) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// Before each epoch.
    ///
    /// # Errors
    /// Any error stops training.
    fn on_epoch_begin(&mut self, ctx: &mut Context<'_, T>) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// After each backward pass, before the optimizer's step: the parameters hold their
    /// gradients (reach them through [`Context::optimizer`]; clip them here).
    ///
    /// # Errors
    /// Any error stops training.
    fn on_after_backward(&mut self, ctx: &mut Context<'_, T>) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// After each training step.
    ///
    /// # Errors
    /// Any error stops training.
    fn on_batch_end(&mut self, batch: &BatchLogs, ctx: &mut Context<'_, T>) -> Result<()> {
        let _ = (batch, ctx);
        Ok(())
    }

    /// After each epoch, with its logs (already in the history).
    ///
    /// # Errors
    /// Any error stops training.
    fn on_epoch_end(&mut self, logs: &Logs, ctx: &mut Context<'_, T>) -> Result<()> {
        let _ = (logs, ctx);
        Ok(())
    }

    /// After the last epoch of a `fit` (not after an error).
    ///
    /// # Errors
    /// Any error is returned by `fit`.
    fn on_train_end(&mut self, ctx: &mut Context<'_, T>) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// The state to save in a checkpoint (empty by default).
    fn state(&self) -> CallbackState<T> {
        CallbackState::default()
    }

    /// Restores a state from [`state`](Callback::state).
    ///
    /// # Errors
    /// [`OptimError::State`] for a state this callback cannot use.
    fn load_state(&mut self, state: &CallbackState<T>) -> Result<()> {
        let _ = state;
        Ok(())
    }
}

/// Whether a monitored quantity should fall or rise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Rising if the name contains `acc` (accuracies), falling otherwise (losses), as
    /// Keras's `mode="auto"`.
    #[default]
    Auto,
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

impl Direction {
    /// `Min` or `Max` for `monitor`.
    fn resolve(self, monitor: &str) -> Direction {
        match self {
            Direction::Auto if monitor.contains("acc") => Direction::Max,
            Direction::Auto => Direction::Min,
            d => d,
        }
    }

    /// The worst possible value.
    fn worst(self) -> f64 {
        if self == Direction::Max {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }
    }

    /// True if `current` beats `reference` by more than `min_delta` (NaN never does).
    fn improves(self, current: f64, reference: f64, min_delta: f64) -> bool {
        if self == Direction::Max {
            current - min_delta > reference
        } else {
            current + min_delta < reference
        }
    }
}

/// The monitored value in `logs`, or an error naming what is available.
fn monitored(op: &'static str, monitor: &str, logs: &Logs) -> Result<f64> {
    logs.get(monitor).ok_or_else(|| {
        let have: Vec<&str> = logs.names().collect();
        OptimError::config(
            op,
            format!(
                "the monitored value {monitor:?} is not logged (epoch {} logs {}); validation metrics need validation data",
                logs.epoch(),
                have.join(", ")
            ),
        )
    })
}

/// Stops training when a monitored quantity stops improving, Keras's `EarlyStopping`.
///
/// After each epoch (from `start_from_epoch` on), the monitored value either improves on
/// the best so far by more than `min_delta` (it becomes the best, and the wait resets unless
/// a `baseline` is set and not yet beaten) or the wait grows by one. Training stops when the
/// wait reaches `patience`, i.e. at epoch `best_epoch + patience` (never at the first epoch).
/// With [`restore_best`](EarlyStopping::restore_best), the weights of the best epoch are kept
/// and put back into the model when training ends (whether or not it stopped early).
///
/// The wait, the best value and epoch and the best weights are saved in checkpoints.
///
/// # Errors
/// At the end of an epoch, [`OptimError::Config`] if the monitored value is not logged.
///
/// # Examples
/// ```
/// use youshi_optim::fit::EarlyStopping;
/// let stop = EarlyStopping::<f32>::new("val_loss").patience(3).min_delta(1e-4).restore_best(true);
/// assert_eq!(stop.monitor(), "val_loss");
/// ```
#[derive(Debug, Clone)]
pub struct EarlyStopping<T: Element = f32> {
    monitor: String,
    patience: usize,
    min_delta: f64,
    direction: Direction,
    baseline: Option<f64>,
    restore_best: bool,
    start_from_epoch: usize,
    best: f64,
    best_epoch: usize,
    wait: usize,
    stopped_epoch: usize,
    best_weights: Option<Vec<(String, Tensor<T>)>>,
}

impl<T: Element> EarlyStopping<T> {
    /// Early stopping on `monitor` (`"val_loss"`, `"val_accuracy"`, `"loss"`), patience 0.
    pub fn new(monitor: impl Into<String>) -> Self {
        let monitor = monitor.into();
        let direction = Direction::Auto;
        EarlyStopping {
            best: direction.resolve(&monitor).worst(),
            monitor,
            patience: 0,
            min_delta: 0.0,
            direction,
            baseline: None,
            restore_best: false,
            start_from_epoch: 0,
            best_epoch: 0,
            wait: 0,
            stopped_epoch: 0,
            best_weights: None,
        }
    }

    /// Epochs without improvement to wait before stopping.
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// The smallest change that counts as an improvement (its absolute value is used).
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta.abs();
        self
    }

    /// Whether the monitored value should fall or rise.
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self.best = direction.resolve(&self.monitor).worst();
        self
    }

    /// A value the monitored quantity must beat before the wait resets.
    pub fn baseline(mut self, baseline: f64) -> Self {
        self.baseline = Some(baseline);
        self
    }

    /// Whether to put the best epoch's weights back when training ends.
    pub fn restore_best(mut self, restore: bool) -> Self {
        self.restore_best = restore;
        self
    }

    /// Ignores epochs before this one (counted from 1; warm-up).
    pub fn start_from_epoch(mut self, epoch: usize) -> Self {
        self.start_from_epoch = epoch;
        self
    }

    /// The monitored name.
    pub fn monitor(&self) -> &str {
        &self.monitor
    }

    /// The best value seen.
    pub fn best(&self) -> f64 {
        self.best
    }

    /// The epoch of the best value (0 before any).
    pub fn best_epoch(&self) -> usize {
        self.best_epoch
    }

    /// The epoch at which it stopped training (0 if it has not).
    pub fn stopped_epoch(&self) -> usize {
        self.stopped_epoch
    }
}

impl<T: Element> Callback<T> for EarlyStopping<T> {
    fn name(&self) -> &'static str {
        "EarlyStopping"
    }

    fn on_epoch_end(&mut self, logs: &Logs, ctx: &mut Context<'_, T>) -> Result<()> {
        let current = monitored("EarlyStopping", &self.monitor, logs)?;
        let epoch = logs.epoch();
        if epoch < self.start_from_epoch {
            return Ok(());
        }
        let dir = self.direction.resolve(&self.monitor);
        if self.restore_best && self.best_weights.is_none() {
            self.best_weights = Some(state_dict(ctx.model()));
        }
        self.wait += 1;
        if dir.improves(current, self.best, self.min_delta) {
            self.best = current;
            self.best_epoch = epoch;
            if self.restore_best {
                self.best_weights = Some(state_dict(ctx.model()));
            }
            if self
                .baseline
                .map_or(true, |b| dir.improves(current, b, self.min_delta))
            {
                self.wait = 0;
            }
            return Ok(());
        }
        if self.wait >= self.patience && epoch > 1 {
            self.stopped_epoch = epoch;
            ctx.stop_training(format!(
                "EarlyStopping: {} has not improved for {} epochs (best {:.4} at epoch {}); stopping after epoch {epoch}",
                self.monitor, self.wait, self.best, self.best_epoch
            ));
        }
        Ok(())
    }

    fn on_train_end(&mut self, ctx: &mut Context<'_, T>) -> Result<()> {
        if let (true, Some(w)) = (self.restore_best, &self.best_weights) {
            youshi_layers::load_state_dict(ctx.model(), w.clone(), true).map_err(|e| {
                OptimError::state(
                    "EarlyStopping",
                    format!("cannot restore the best weights: {e}"),
                )
            })?;
        }
        Ok(())
    }

    fn state(&self) -> CallbackState<T> {
        let scalars = BTreeMap::from([
            ("best".to_string(), self.best),
            ("best_epoch".to_string(), self.best_epoch as f64),
            ("wait".to_string(), self.wait as f64),
            ("stopped_epoch".to_string(), self.stopped_epoch as f64),
        ]);
        let tensors = self
            .best_weights
            .iter()
            .flatten()
            .map(|(n, t)| (format!("best.{n}"), t.clone()))
            .collect();
        CallbackState { scalars, tensors }
    }

    fn load_state(&mut self, state: &CallbackState<T>) -> Result<()> {
        let op = "EarlyStopping::load_state";
        let count = |key: &str| -> Result<usize> {
            let v = state.scalar(op, key)?;
            if v >= 0.0 && v.fract() == 0.0 && v <= usize::MAX as f64 {
                Ok(v as usize)
            } else {
                Err(OptimError::state(op, format!("{key} = {v} is not a count")))
            }
        };
        let best = state.scalar(op, "best")?;
        let (best_epoch, wait, stopped) = (
            count("best_epoch")?,
            count("wait")?,
            count("stopped_epoch")?,
        );
        let weights: Vec<(String, Tensor<T>)> = state
            .tensors
            .iter()
            .filter_map(|(k, t)| Some((k.strip_prefix("best.")?.to_string(), t.clone())))
            .collect();
        if weights.len() != state.tensors.len() {
            return Err(OptimError::state(
                op,
                "saved tensors must be named best.<parameter>",
            ));
        }
        self.best = best;
        self.best_epoch = best_epoch;
        self.wait = wait;
        self.stopped_epoch = stopped;
        self.best_weights = (!weights.is_empty()).then_some(weights);
        Ok(())
    }
}

/// Saves checkpoints while training, Keras's `ModelCheckpoint`: every `n` epochs, or only
/// when a monitored quantity improves.
///
/// The path may hold `{epoch}`, replaced by the epoch number (`"ckpt/epoch-{epoch}.safetensors"`).
/// By default each file is a full training checkpoint (model, optimizer, schedule,
/// generators, history, callbacks), from which
/// [`Trainer::resume_from`](crate::fit::Trainer::resume_from) continues exactly;
/// [`weights_only`](ModelCheckpoint::weights_only) writes the model's weights only, as a
/// PyTorch-compatible safetensors file. Files are written atomically.
///
/// # Errors
/// At the end of an epoch, [`OptimError::Config`] if the monitored value is not logged; the
/// write's errors.
///
/// # Examples
/// ```
/// use youshi_optim::fit::ModelCheckpoint;
/// let every_two = ModelCheckpoint::new("runs/epoch-{epoch}.safetensors").every(2);
/// let best = ModelCheckpoint::new("runs/best.safetensors").save_best_only("val_loss");
/// assert_eq!(every_two.path_for(4).to_str(), Some("runs/epoch-4.safetensors"));
/// assert_eq!(best.path_for(4).to_str(), Some("runs/best.safetensors"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCheckpoint {
    path: String,
    every: usize,
    monitor: Option<String>,
    direction: Direction,
    min_delta: f64,
    weights_only: bool,
    best: f64,
}

impl ModelCheckpoint {
    /// A checkpoint at `path` after every epoch.
    pub fn new(path: impl AsRef<Path>) -> Self {
        ModelCheckpoint {
            path: path.as_ref().to_string_lossy().into_owned(),
            every: 1,
            monitor: None,
            direction: Direction::Auto,
            min_delta: 0.0,
            weights_only: false,
            best: f64::NAN,
        }
    }

    /// Saves every `n` epochs (epochs `n`, `2n`, ...); 0 is taken as 1.
    pub fn every(mut self, n: usize) -> Self {
        self.every = n.max(1);
        self
    }

    /// Saves only when `monitor` improves on its best (at the epochs [`every`] allows).
    ///
    /// [`every`]: ModelCheckpoint::every
    pub fn save_best_only(mut self, monitor: impl Into<String>) -> Self {
        let monitor = monitor.into();
        self.best = self.direction.resolve(&monitor).worst();
        self.monitor = Some(monitor);
        self
    }

    /// Whether the monitored value should fall or rise.
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        if let Some(m) = &self.monitor {
            self.best = direction.resolve(m).worst();
        }
        self
    }

    /// The smallest change that counts as an improvement.
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta.abs();
        self
    }

    /// Writes the model's weights only (no optimizer, schedule or history).
    pub fn weights_only(mut self, on: bool) -> Self {
        self.weights_only = on;
        self
    }

    /// The file written for `epoch`.
    pub fn path_for(&self, epoch: usize) -> PathBuf {
        PathBuf::from(self.path.replace("{epoch}", &epoch.to_string()))
    }
}

impl<T: Element> Callback<T> for ModelCheckpoint {
    fn name(&self) -> &'static str {
        "ModelCheckpoint"
    }

    fn on_epoch_end(&mut self, logs: &Logs, ctx: &mut Context<'_, T>) -> Result<()> {
        let epoch = logs.epoch();
        if epoch % self.every != 0 {
            return Ok(());
        }
        if let Some(m) = &self.monitor {
            let current = monitored("ModelCheckpoint", m, logs)?;
            let dir = self.direction.resolve(m);
            if !dir.improves(current, self.best, self.min_delta) {
                return Ok(());
            }
            self.best = current;
        }
        let path = self.path_for(epoch);
        if self.weights_only {
            ctx.save_weights(path);
        } else {
            ctx.save_checkpoint(path);
        }
        Ok(())
    }

    fn state(&self) -> CallbackState<T> {
        let mut state = CallbackState::default();
        if self.monitor.is_some() {
            state.scalars.insert("best".into(), self.best);
        }
        state
    }

    fn load_state(&mut self, state: &CallbackState<T>) -> Result<()> {
        if self.monitor.is_some() {
            self.best = state.scalar("ModelCheckpoint::load_state", "best")?;
        }
        Ok(())
    }
}

/// Writes the history as CSV after every epoch, Keras's `CSVLogger`: a header
/// `epoch,loss,...` and one row per epoch (epochs from 1), rewritten atomically each time, so
/// the file is always complete and, after a resume, holds the epochs before the checkpoint
/// too.
///
/// # Errors
/// At the end of an epoch, the write's [`OptimError::Io`].
///
/// # Examples
/// ```
/// use youshi_optim::fit::CsvLogger;
/// let log = CsvLogger::new("runs/history.csv");
/// assert_eq!(log.path().to_str(), Some("runs/history.csv"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvLogger {
    path: PathBuf,
}

impl CsvLogger {
    /// A logger writing to `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CsvLogger { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl<T: Element> Callback<T> for CsvLogger {
    fn name(&self) -> &'static str {
        "CsvLogger"
    }

    fn on_epoch_end(&mut self, _logs: &Logs, ctx: &mut Context<'_, T>) -> Result<()> {
        ctx.history().write_csv(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_follow_keras_auto_mode() {
        assert_eq!(Direction::Auto.resolve("val_accuracy"), Direction::Max);
        assert_eq!(Direction::Auto.resolve("val_loss"), Direction::Min);
        assert_eq!(Direction::Min.resolve("accuracy"), Direction::Min);
        assert!(Direction::Min.improves(0.5, 0.6, 0.05));
        assert!(!Direction::Min.improves(0.56, 0.6, 0.05));
        assert!(!Direction::Min.improves(f64::NAN, 0.6, 0.0));
        assert!(Direction::Max.improves(0.7, 0.6, 0.05));
        assert!(!Direction::Max.improves(0.64, 0.6, 0.05));
    }

    #[test]
    fn missing_monitor_names_the_logged_values() {
        let logs = Logs::new(3).with("loss", 1.0).with("accuracy", 0.5);
        let e = monitored("EarlyStopping", "val_loss", &logs).unwrap_err();
        assert_eq!(
            e.to_string(),
            "EarlyStopping: the monitored value \"val_loss\" is not logged (epoch 3 logs loss, accuracy); validation metrics need validation data"
        );
    }

    #[test]
    fn early_stopping_state_round_trips_and_is_checked() {
        let mut a = EarlyStopping::<f64>::new("loss");
        a.best = 0.25;
        a.best_epoch = 3;
        a.wait = 2;
        a.best_weights = Some(vec![("w".into(), Tensor::ones([2]))]);
        let s = a.state();
        assert_eq!(s.tensors.keys().collect::<Vec<_>>(), ["best.w"]);
        let mut b = EarlyStopping::<f64>::new("loss");
        b.load_state(&s).unwrap();
        assert_eq!((b.best, b.best_epoch, b.wait), (0.25, 3, 2));
        assert_eq!(b.best_weights, a.best_weights);
        let mut bad = s.clone();
        bad.scalars.insert("wait".into(), 1.5);
        let e = b.load_state(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "EarlyStopping::load_state: wait = 1.5 is not a count"
        );
        let mut bad = s.clone();
        bad.scalars.remove("best");
        let e = b.load_state(&bad).unwrap_err();
        assert!(e.to_string().contains("has no \"best\""), "{e}");
        let mut bad = s;
        bad.tensors.insert("other".into(), Tensor::ones([1]));
        assert!(b.load_state(&bad).is_err());
    }

    #[test]
    fn model_checkpoint_paths_and_state() {
        let c = ModelCheckpoint::new("a/{epoch}/b-{epoch}.st").every(0);
        assert_eq!(c.every, 1);
        assert_eq!(c.path_for(12), PathBuf::from("a/12/b-12.st"));
        let c = ModelCheckpoint::new("best").save_best_only("val_accuracy");
        assert_eq!(c.best, f64::NEG_INFINITY);
        let s = Callback::<f32>::state(&c);
        assert_eq!(s.scalars["best"], f64::NEG_INFINITY);
        let c = c.direction(Direction::Min);
        assert_eq!(c.best, f64::INFINITY);
        assert!(Callback::<f32>::state(&ModelCheckpoint::new("x")).is_empty());
    }
}
