//! [`Trainer`]: the builder and the epoch loop.

use std::io::Write;
use std::sync::Mutex;

use rand_chacha::rand_core::SeedableRng;
use youshi_autograd::{Graph, Var};
use youshi_data::Batch;
use youshi_layers::{Module, ModuleExt, Slot};
use youshi_tensor::{Element, TensorRng};

use crate::error::{OptimError, Result};
use crate::fit::callbacks::{Control, SaveRequest};
use crate::fit::metrics::{self, MeanLoss};
use crate::fit::progress::Reporter;
use crate::fit::{
    BatchLogs, Callback, Context, EpochBatches, History, Logs, Loss, Metric, Progress,
    SchedulerStep,
};
use crate::optimizer::Optimizer;
use crate::schedule::LrScheduler;

/// A borrowed model as a sized [`Module`], so that `&M` for any `M: Module<T> + ?Sized`
/// (including `dyn Module<T>`) can be held as `Box<dyn Module<T>>`.
struct Borrowed<'m, M: ?Sized>(&'m M);

impl<T: Element, M: Module<T> + ?Sized> Module<T> for Borrowed<'_, M> {
    fn kind(&self) -> &'static str {
        self.0.kind()
    }
    fn forward(&self, x: &Var<T>) -> youshi_layers::Result<Var<T>> {
        self.0.forward(x)
    }
    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        self.0.visit_own(f);
    }
    fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Module<T>)) {
        self.0.visit_children(f);
    }
    fn visit_rngs_own(&self, f: &mut dyn FnMut(&str, &Mutex<TensorRng>)) {
        self.0.visit_rngs_own(f);
    }
    fn set_training_own(&self, training: bool) {
        self.0.set_training_own(training);
    }
}

/// FNV-1a of a name, the stream of its generator under [`Trainer::seed`].
fn name_stream(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

pub(super) fn lock(rng: &Mutex<TensorRng>) -> std::sync::MutexGuard<'_, TensorRng> {
    rng.lock().unwrap_or_else(|e| e.into_inner())
}

/// Trains a model: Keras's `model.fit` with PyTorch's pieces.
///
/// Built from a borrowed model, a [`Loss`] and an [`Optimizer`] over the model's parameters,
/// then configured with builder methods; [`fit`](Trainer::fit) runs the epochs. The trainer
/// holds the run's state (epochs completed, history, callbacks' state), which
/// [`save_checkpoint`](Trainer::save_checkpoint) writes and
/// [`resume_from`](Trainer::resume_from) restores.
///
/// # Examples
/// See the [module documentation](crate::fit) for a complete run, and
/// [`resume_from`](Trainer::resume_from) for checkpoints.
pub struct Trainer<'a, T: Element = f32> {
    pub(super) model: Box<dyn Module<T> + 'a>,
    pub(super) loss: Box<dyn Loss<T> + 'a>,
    pub(super) optimizer: Box<dyn Optimizer<T> + 'a>,
    pub(super) scheduler: Option<(Box<dyn LrScheduler + 'a>, SchedulerStep)>,
    pub(super) scheduler_monitor: Option<String>,
    pub(super) metrics: Vec<Box<dyn Metric<T> + 'a>>,
    pub(super) callbacks: Vec<Box<dyn Callback<T> + 'a>>,
    pub(super) progress: Progress,
    pub(super) progress_out: Option<Box<dyn Write + Send + 'a>>,
    pub(super) seed: Option<u64>,
    pub(super) terminate_on_nan: bool,
    pub(super) epoch: usize,
    pub(super) seeded: bool,
    pub(super) history: History,
}

impl<T: Element> std::fmt::Debug for Trainer<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("model", &self.model.kind())
            .field("loss", &self.loss.name())
            .field("optimizer", &self.optimizer.name())
            .field(
                "scheduler",
                &self.scheduler.as_ref().map(|(s, k)| (s.name(), *k)),
            )
            .field(
                "metrics",
                &self.metrics.iter().map(|m| m.name()).collect::<Vec<_>>(),
            )
            .field(
                "callbacks",
                &self.callbacks.iter().map(|c| c.name()).collect::<Vec<_>>(),
            )
            .field("progress", &self.progress)
            .field("seed", &self.seed)
            .field("epoch", &self.epoch)
            .finish()
    }
}

impl<'a, T: Element> Trainer<'a, T> {
    /// A trainer for `model` minimising `loss` with `optimizer` (built over the model's
    /// parameters, e.g. from `model.params()`).
    ///
    /// The model is borrowed, not owned: it is trained in place (its parameters are shared
    /// handles) and stays usable for inference between fits. `&impl Module<T>` and
    /// `&dyn Module<T>` both work.
    pub fn new<M>(model: &'a M, loss: impl Loss<T> + 'a, optimizer: impl Optimizer<T> + 'a) -> Self
    where
        M: Module<T> + ?Sized,
    {
        Self::with_boxed_optimizer(model, loss, Box::new(optimizer))
    }

    /// As [`new`](Trainer::new), for an optimizer already boxed.
    pub fn with_boxed_optimizer<M>(
        model: &'a M,
        loss: impl Loss<T> + 'a,
        optimizer: Box<dyn Optimizer<T> + 'a>,
    ) -> Self
    where
        M: Module<T> + ?Sized,
    {
        Trainer {
            model: Box::new(Borrowed(model)),
            loss: Box::new(loss),
            optimizer,
            scheduler: None,
            scheduler_monitor: None,
            metrics: Vec::new(),
            callbacks: Vec::new(),
            progress: Progress::Auto,
            progress_out: None,
            seed: None,
            terminate_on_nan: true,
            epoch: 0,
            seeded: false,
            history: History::new(),
        }
    }

    /// Steps `scheduler` per batch or per epoch. The schedule was built over the same
    /// optimizer (its constructor has set the initial rates).
    pub fn scheduler(mut self, scheduler: impl LrScheduler + 'a, step: SchedulerStep) -> Self {
        self.scheduler = Some((Box::new(scheduler), step));
        self
    }

    /// The logged value a per-epoch schedule receives as its metric (plateau schedules), in
    /// place of the default `val_loss` (or `loss` without validation data).
    pub fn scheduler_monitor(mut self, name: impl Into<String>) -> Self {
        self.scheduler_monitor = Some(name.into());
        self
    }

    /// Adds a metric, logged under its name (and `val_<name>` for validation).
    pub fn metric(mut self, metric: impl Metric<T> + 'a) -> Self {
        self.metrics.push(Box::new(metric));
        self
    }

    /// Adds a callback; callbacks run in the order added.
    pub fn callback(mut self, callback: impl Callback<T> + 'a) -> Self {
        self.callbacks.push(Box::new(callback));
        self
    }

    /// How progress is shown ([`Progress::Auto`] by default).
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Writes progress to `out` instead of standard error ([`Progress::Auto`] then prints
    /// plain lines).
    pub fn progress_output(mut self, out: impl Write + Send + 'a) -> Self {
        self.progress_out = Some(Box::new(out));
        self
    }

    /// Seeds the model's random generators (dropout) when training starts: each generator
    /// becomes ChaCha8 seeded with `seed` on the stream given by its dotted name, so a run
    /// is reproducible however the model was built. Not applied when resuming (the
    /// checkpoint's generator states are).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Whether a NaN or infinite training loss stops training with
    /// [`OptimError::NonFiniteLoss`] (the default, Keras's `TerminateOnNaN` made an error),
    /// before the backward pass, so the weights keep their last finite values.
    pub fn terminate_on_nan(mut self, on: bool) -> Self {
        self.terminate_on_nan = on;
        self
    }

    /// The number of epochs completed (including those restored from a checkpoint).
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The history of every epoch completed.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The model.
    pub fn model(&self) -> &dyn Module<T> {
        self.model.as_ref()
    }

    /// The optimizer.
    pub fn optimizer(&mut self) -> &mut dyn Optimizer<T> {
        self.optimizer.as_mut()
    }

    /// The logged names in order: `loss`, the metrics, then `val_` versions with
    /// validation.
    fn log_names(&self, validation: bool) -> Vec<String> {
        let train: Vec<String> = std::iter::once("loss".to_string())
            .chain(self.metrics.iter().map(|m| m.name()))
            .collect();
        let mut names = train.clone();
        if validation {
            names.extend(train.iter().map(|n| format!("val_{n}")));
        }
        names
    }

    fn check_names(&self, validation: bool) -> Result<()> {
        for m in &self.metrics {
            metrics::check_name(&m.name())?;
        }
        let names = self.log_names(validation);
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(OptimError::config(
                    "Trainer::metric",
                    format!("two logged values are named {n:?}; give each metric its own name"),
                ));
            }
        }
        Ok(())
    }

    /// Trains until `epochs` epochs are completed in total, Keras's `fit(epochs=...)` with
    /// `initial_epoch` at the epochs already completed: a fresh trainer runs epochs
    /// `1..=epochs`, one resumed from the checkpoint of epoch `k` runs `k+1..=epochs`.
    ///
    /// Epoch `e` draws `train.epoch(e - 1)` (and `val.epoch(e - 1)`), so a shuffling loader
    /// gives the same order whether or not the earlier epochs ran in this process. Returns
    /// the whole history (also kept in [`history`](Trainer::history)).
    ///
    /// # Errors
    /// - [`OptimError::NonFiniteLoss`] naming the epoch and step if the training loss is
    ///   NaN or infinite (unless [`terminate_on_nan`](Trainer::terminate_on_nan) is off);
    /// - [`OptimError::Input`] for an epoch without batches, a batch whose inputs and
    ///   targets have different numbers of examples, a loss that is not a scalar, or targets
    ///   a loss or metric cannot read;
    /// - [`OptimError::Config`] for two metrics of the same name or a monitored value that
    ///   is not logged;
    /// - errors of the model, the loss, the data, the optimizer, the schedule and the
    ///   callbacks, as they occur. The epochs completed before an error stay in the history.
    ///
    /// # Examples
    /// See the [module documentation](crate::fit).
    pub fn fit(
        &mut self,
        train: &mut dyn EpochBatches<T>,
        mut val: Option<&mut dyn EpochBatches<T>>,
        epochs: usize,
    ) -> Result<History> {
        self.check_names(val.is_some())?;
        let mut reporter = Reporter::new(self.progress, self.progress_out.take());
        let result = self.run(&mut reporter, train, &mut val, epochs);
        self.progress_out = reporter.into_output();
        result?;
        Ok(self.history.clone())
    }

    fn run(
        &mut self,
        reporter: &mut Reporter<'a>,
        train: &mut dyn EpochBatches<T>,
        val: &mut Option<&mut dyn EpochBatches<T>>,
        epochs: usize,
    ) -> Result<()> {
        if !self.seeded && self.epoch == 0 {
            if let Some(seed) = self.seed {
                self.model.visit_rngs(&mut |name, rng| {
                    let mut r = TensorRng::seed_from_u64(seed);
                    r.set_stream(name_stream(name));
                    *lock(rng) = r;
                });
            }
        }
        self.seeded = true;
        self.optimizer.zero_grad();
        self.model.zero_grad();
        let mut control = Control::default();
        self.each_callback_with(&mut control, self.epoch, epochs, |cb, ctx| {
            cb.on_train_begin(ctx)
        })?;
        let mut stop = self.finish_requests(reporter, &mut control)?;
        while stop.is_none() && self.epoch < epochs {
            let epoch = self.epoch + 1;
            let mut control = Control::default();
            self.each_callback_with(&mut control, epoch, epochs, |cb, ctx| {
                cb.on_epoch_begin(ctx)
            })?;
            let (mut logs, steps) =
                self.train_epoch(reporter, &mut control, train, epoch, epochs)?;
            if let Some(v) = val.as_deref_mut() {
                let (loss, values) = self.evaluate_epoch(v, epoch, "validation")?;
                logs.insert("val_loss", loss);
                for (name, value) in values {
                    logs.insert(format!("val_{name}"), value);
                }
            }
            self.epoch = epoch;
            self.history.push(&logs);
            reporter.end_epoch(steps, &logs);
            self.step_scheduler_epoch(&logs)?;
            self.each_callback_with(&mut control, epoch, epochs, |cb, ctx| {
                cb.on_epoch_end(&logs, ctx)
            })?;
            stop = self.finish_requests(reporter, &mut control)?;
        }
        let mut control = Control::default();
        self.each_callback_with(&mut control, self.epoch, epochs, |cb, ctx| {
            cb.on_train_end(ctx)
        })?;
        self.finish_requests(reporter, &mut control)?;
        Ok(())
    }

    /// Writes the checkpoints callbacks asked for and prints a stop request's reason, which
    /// it returns.
    fn finish_requests(
        &mut self,
        reporter: &mut Reporter<'a>,
        control: &mut Control,
    ) -> Result<Option<String>> {
        for save in std::mem::take(&mut control.saves) {
            self.save_requested(save)?;
        }
        let stop = control.stop.take();
        if let Some(reason) = &stop {
            reporter.message(reason);
        }
        Ok(stop)
    }

    /// Runs `f` on every callback with one context; stops at the first error.
    fn each_callback_with(
        &mut self,
        control: &mut Control,
        epoch: usize,
        epochs: usize,
        mut f: impl FnMut(&mut dyn Callback<T>, &mut Context<'_, T>) -> Result<()>,
    ) -> Result<()> {
        if self.callbacks.is_empty() {
            return Ok(());
        }
        let mut ctx = Context {
            model: self.model.as_ref(),
            optimizer: self.optimizer.as_mut(),
            history: &self.history,
            control,
            epoch,
            epochs,
        };
        for cb in &mut self.callbacks {
            f(cb.as_mut(), &mut ctx)?;
        }
        Ok(())
    }

    /// One training epoch: its logs (loss and metrics) and its step count; callbacks'
    /// requests go to `control`.
    fn train_epoch(
        &mut self,
        reporter: &mut Reporter<'a>,
        control: &mut Control,
        train: &mut dyn EpochBatches<T>,
        epoch: usize,
        epochs: usize,
    ) -> Result<(Logs, usize)> {
        self.model.train();
        for m in &mut self.metrics {
            m.reset();
        }
        reporter.begin_epoch(epoch, epochs, train.batches_per_epoch());
        let mut mean = MeanLoss::default();
        let mut steps = 0;
        for batch in train.epoch_batches(epoch - 1) {
            let batch = batch?;
            steps += 1;
            let n = check_batch(&batch, epoch, steps)?;
            let loss = self.train_step(control, &batch, epoch, epochs, steps)?;
            mean.add(loss, n);
            let logs = BatchLogs {
                epoch,
                step: steps,
                size: n,
                loss,
            };
            self.each_callback_with(control, epoch, epochs, |cb, ctx| {
                cb.on_batch_end(&logs, ctx)
            })?;
            reporter.step(steps, n, mean.value());
            if control.stop.is_some() {
                break;
            }
        }
        if steps == 0 {
            return Err(OptimError::input(
                "Trainer::fit",
                format!("the training data yielded no batches in epoch {epoch}"),
            ));
        }
        let mut logs = Logs::new(epoch).with("loss", mean.value());
        for m in &self.metrics {
            logs.insert(m.name(), m.result());
        }
        Ok((logs, steps))
    }

    /// One optimisation step on `batch`; returns the batch's loss.
    fn train_step(
        &mut self,
        control: &mut Control,
        batch: &Batch<T>,
        epoch: usize,
        epochs: usize,
        step: usize,
    ) -> Result<f64> {
        self.model.train();
        let g = Graph::new();
        let out = self.model.forward(&g.constant(batch.inputs.clone()))?;
        let loss = self.loss.loss(&out, &g.constant(batch.targets.clone()))?;
        let value = scalar_loss(self.loss.name(), loss.value())?;
        if self.terminate_on_nan && !value.is_finite() {
            return Err(OptimError::NonFiniteLoss {
                epoch,
                step,
                loss: value,
            });
        }
        loss.backward()?;
        self.each_callback_with(control, epoch, epochs, |cb, ctx| cb.on_after_backward(ctx))?;
        self.optimizer.step()?;
        self.optimizer.zero_grad();
        if let Some((sched, SchedulerStep::PerBatch)) = &mut self.scheduler {
            sched.step(self.optimizer.hyper_params(), Some(value))?;
        }
        for m in &mut self.metrics {
            m.update(out.value(), &batch.targets)?;
        }
        Ok(value)
    }

    /// Writes a checkpoint a callback asked for, creating its directory if needed.
    fn save_requested(&self, save: SaveRequest) -> Result<()> {
        let path = match &save {
            SaveRequest::Checkpoint(p) | SaveRequest::Weights(p) => p,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| OptimError::Io {
                op: "create checkpoint directory",
                path: dir.to_path_buf(),
                source,
            })?;
        }
        match save {
            SaveRequest::Checkpoint(path) => self.save_checkpoint(&path),
            SaveRequest::Weights(path) => {
                Ok(youshi_layers::save_safetensors(self.model.as_ref(), &path)?)
            }
        }
    }

    /// The loss and metrics of the model on `data` in evaluation mode, without gradients.
    fn evaluate_epoch(
        &mut self,
        data: &mut dyn EpochBatches<T>,
        epoch: usize,
        what: &str,
    ) -> Result<(f64, Vec<(String, f64)>)> {
        self.model.eval();
        for m in &mut self.metrics {
            m.reset();
        }
        let mut mean = MeanLoss::default();
        let mut steps = 0;
        for batch in data.epoch_batches(epoch.saturating_sub(1)) {
            let batch = batch?;
            steps += 1;
            let n = check_batch(&batch, epoch, steps)?;
            let g = Graph::no_grad();
            let out = self.model.forward(&g.constant(batch.inputs.clone()))?;
            let loss = self.loss.loss(&out, &g.constant(batch.targets.clone()))?;
            mean.add(scalar_loss(self.loss.name(), loss.value())?, n);
            for m in &mut self.metrics {
                m.update(out.value(), &batch.targets)?;
            }
        }
        self.model.train();
        if steps == 0 {
            return Err(OptimError::input(
                "Trainer::fit",
                format!("the {what} data yielded no batches in epoch {epoch}"),
            ));
        }
        let values = self
            .metrics
            .iter()
            .map(|m| (m.name(), m.result()))
            .collect();
        Ok((mean.value(), values))
    }

    fn step_scheduler_epoch(&mut self, logs: &Logs) -> Result<()> {
        let Some((sched, SchedulerStep::PerEpoch)) = &mut self.scheduler else {
            return Ok(());
        };
        let metric = match &self.scheduler_monitor {
            Some(name) => Some(logs.get(name).ok_or_else(|| {
                OptimError::config(
                    "Trainer::scheduler_monitor",
                    format!(
                        "{name:?} is not logged (epoch {} logs {})",
                        logs.epoch(),
                        logs.names().collect::<Vec<_>>().join(", ")
                    ),
                )
            })?),
            None => logs.get("val_loss").or_else(|| logs.get("loss")),
        };
        sched.step(self.optimizer.hyper_params(), metric)
    }

    /// The loss and metrics of the model on `data` (evaluation mode, no gradients), Keras's
    /// `evaluate`: logs `loss` and each metric's name, averaged per example.
    ///
    /// # Errors
    /// [`OptimError::Input`] if `data` yields no batch or a batch cannot be read; errors of
    /// the model, loss, metrics and data.
    pub fn evaluate(&mut self, data: &mut dyn EpochBatches<T>) -> Result<Logs> {
        self.check_names(false)?;
        let (loss, values) = self.evaluate_epoch(data, 0, "evaluation")?;
        let mut logs = Logs::new(self.epoch).with("loss", loss);
        for (n, v) in values {
            logs.insert(n, v);
        }
        Ok(logs)
    }
}

/// The number of examples of a batch, checking inputs and targets agree.
fn check_batch<T: Element>(batch: &Batch<T>, epoch: usize, step: usize) -> Result<usize> {
    let n = batch.len();
    let m = batch.targets.shape().first().copied().unwrap_or(0);
    if batch.inputs.ndim() == 0 || n != m {
        return Err(OptimError::input(
            "Trainer::fit",
            format!(
                "batch {step} of epoch {epoch} has inputs {} and targets {}: both need the same first (batch) dimension",
                batch.inputs.shape_obj(),
                batch.targets.shape_obj()
            ),
        ));
    }
    Ok(n)
}

/// The loss as a number, checking it is a single value.
fn scalar_loss<T: Element>(name: &str, loss: &youshi_tensor::Tensor<T>) -> Result<f64> {
    if loss.numel() != 1 {
        return Err(OptimError::input(
            "Trainer::fit",
            format!(
                "the loss {name} gives a value of shape {}, not a scalar; use the mean reduction",
                loss.shape_obj()
            ),
        ));
    }
    Ok(loss.to_vec()[0].as_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_streams_differ_per_name() {
        assert_ne!(name_stream("1.rng"), name_stream("3.rng"));
        assert_eq!(name_stream(""), 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn batches_must_agree_on_examples() {
        let b = Batch::new(
            youshi_tensor::Tensor::<f32>::zeros([4, 2]),
            youshi_tensor::Tensor::zeros([3]),
        );
        let e = check_batch(&b, 2, 5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Trainer::fit: batch 5 of epoch 2 has inputs [4, 2] and targets [3]: both need the same first (batch) dimension"
        );
        let e = scalar_loss("MseLoss", &youshi_tensor::Tensor::<f32>::zeros([2])).unwrap_err();
        assert!(e
            .to_string()
            .contains("the loss MseLoss gives a value of shape [2], not a scalar"));
    }
}
