//! Checkpoints of a [`Trainer`]: capturing the run and restoring it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use youshi_layers::ModuleExt;
use youshi_tensor::Element;

use crate::error::{OptimError, Result};
use crate::fit::checkpoint::MEMORY;
use crate::fit::trainer::lock;
use crate::fit::{CallbackState, Checkpoint, RngState, Trainer};

impl<T: Element> Trainer<'_, T> {
    /// Loads the optimizer's, the schedule's and the callbacks' states; the error names the
    /// part that failed.
    fn load_parts(&mut self, ckpt: &Checkpoint<T>) -> std::result::Result<(), String> {
        self.optimizer
            .load_state(&ckpt.optimizer)
            .map_err(|e| format!("optimizer state: {e}"))?;
        if let (Some((saved, _)), Some((s, _))) = (&ckpt.scheduler, &mut self.scheduler) {
            s.load_state(saved)
                .map_err(|e| format!("schedule state: {e}"))?;
        }
        for (key, cb) in self.callback_keys().into_iter().zip(&mut self.callbacks) {
            if let Some(state) = ckpt.callbacks.get(&key) {
                cb.load_state(state)
                    .map_err(|e| format!("callback {key}: {e}"))?;
            }
        }
        Ok(())
    }

    /// The checkpoint of the run as it stands: model, optimizer, schedule, generators,
    /// history, callbacks' state and epochs completed.
    pub fn checkpoint(&self) -> Checkpoint<T> {
        let mut rngs = Vec::new();
        self.model.visit_rngs(&mut |name, rng| {
            rngs.push((name.to_string(), RngState::of(&lock(rng))));
        });
        let mut callbacks = BTreeMap::new();
        for (key, cb) in self.callback_keys().into_iter().zip(&self.callbacks) {
            let state = cb.state();
            if !state.is_empty() {
                callbacks.insert(key, state);
            }
        }
        Checkpoint {
            path: PathBuf::from(MEMORY),
            epoch: self.epoch,
            seed: self.seed,
            num_threads: youshi_tensor::num_threads(),
            model: youshi_layers::state_dict(self.model.as_ref()),
            optimizer: self.optimizer.state(),
            scheduler: self.scheduler.as_ref().map(|(s, k)| (s.state(), *k)),
            rngs,
            history: self.history.clone(),
            callbacks,
        }
    }

    /// `name.i`: each callback's key in checkpoints.
    fn callback_keys(&self) -> Vec<String> {
        let mut seen: Vec<&str> = Vec::new();
        self.callbacks
            .iter()
            .map(|cb| {
                let name = cb.name();
                let i = seen.iter().filter(|&&n| n == name).count();
                seen.push(name);
                format!("{name}.{i}")
            })
            .collect()
    }

    /// Writes [`checkpoint`](Trainer::checkpoint) to `path`, atomically.
    ///
    /// # Errors
    /// [`OptimError::Io`] if the file cannot be written (an existing file is left intact).
    pub fn save_checkpoint(&self, path: impl AsRef<Path>) -> Result<()> {
        self.checkpoint().save(path)
    }

    /// Restores the run saved at `path` (see [`restore`](Trainer::restore)) and returns the
    /// number of epochs it had completed; the next [`fit`](Trainer::fit) continues from the
    /// epoch after.
    ///
    /// Build the trainer as for the original run (same model architecture, optimizer kind,
    /// schedule, callbacks), then resume: with the same kernel thread count, epoch `k + 1`
    /// gives exactly the weights of an uninterrupted run.
    ///
    /// # Errors
    /// As [`Checkpoint::load`] and [`restore`](Trainer::restore).
    ///
    /// # Examples
    /// ```
    /// use youshi_data::Batch;
    /// use youshi_layers::{Linear, ModuleExt, MseLoss};
    /// use youshi_optim::fit::{Progress, Trainer};
    /// use youshi_optim::{Sgd, SgdConfig};
    /// use youshi_tensor::{seeded_rng, Tensor};
    /// let x = Tensor::<f32>::rand_normal([16, 3], 0.0, 1.0, &mut seeded_rng(1))?;
    /// let y = x.sum(&[1], false)?; // [16] targets against the [16, 1] output
    /// let mut data = vec![Batch::new(x, y)];
    /// let path = std::env::temp_dir().join(format!("youshi-resume-doc-{}.safetensors", std::process::id()));
    ///
    /// // The first run: 2 epochs, then a checkpoint.
    /// let model = Linear::new(3, 1, &mut seeded_rng(0))?;
    /// let sgd = Sgd::new(model.params(), SgdConfig::default().lr(0.1))?;
    /// let mut first = Trainer::new(&model, MseLoss::new(), sgd)
    ///     .progress(Progress::Silent);
    /// first.fit(&mut data, None, 2)?;
    /// first.save_checkpoint(&path)?;
    ///
    /// // Later, a fresh process: the same set-up, resumed, continues at epoch 3.
    /// let model = Linear::new(3, 1, &mut seeded_rng(0))?;
    /// let sgd = Sgd::new(model.params(), SgdConfig::default().lr(0.1))?;
    /// let mut second = Trainer::new(&model, MseLoss::new(), sgd)
    ///     .progress(Progress::Silent);
    /// assert_eq!(second.resume_from(&path)?, 2);
    /// let history = second.fit(&mut data, None, 4)?;
    /// assert_eq!(history.len(), 4);
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume_from(&mut self, path: impl AsRef<Path>) -> Result<usize> {
        let ckpt = Checkpoint::load(path)?;
        self.restore(&ckpt)?;
        Ok(ckpt.epoch)
    }

    /// Restores a checkpoint into this trainer: model weights and buffers, optimizer state,
    /// schedule state, the model's random generators, history, callbacks' state and epochs
    /// completed. Everything is checked against the trainer before anything changes.
    ///
    /// Callbacks take the saved state of the callback with the same key (`name.i`); a
    /// callback with no saved state keeps its own, and saved states of callbacks the trainer
    /// lacks are ignored.
    ///
    /// # Errors
    /// [`OptimError::State`] naming the file and the key for: model entries missing,
    /// unexpected or of another shape; an optimizer of another kind, or state it rejects;
    /// a schedule present in one and not the other, of another kind or stepping otherwise;
    /// generators that do not match the model's; a callback state its callback rejects.
    pub fn restore(&mut self, ckpt: &Checkpoint<T>) -> Result<()> {
        let op = "Trainer::restore";
        let file = ckpt.path.display().to_string();
        let fail = |reason: String| OptimError::state(op, format!("{file}: {reason}"));
        // Model entries.
        let current = youshi_layers::state_dict(self.model.as_ref());
        for (name, t) in &current {
            match ckpt.model.iter().find(|(n, _)| n == name) {
                None => return Err(fail(format!("model entry {name:?} is missing"))),
                Some((_, saved)) if saved.shape() != t.shape() => {
                    return Err(fail(format!(
                        "model entry {name:?} has shape {}, the model has {}",
                        saved.shape_obj(),
                        t.shape_obj()
                    )))
                }
                Some(_) => {}
            }
        }
        if let Some((name, _)) = ckpt
            .model
            .iter()
            .find(|(n, _)| !current.iter().any(|(c, _)| c == n))
        {
            return Err(fail(format!("model entry {name:?} is not in the model")));
        }
        // Optimizer and schedule kinds.
        if ckpt.optimizer.kind != self.optimizer.name() {
            return Err(fail(format!(
                "the checkpoint holds the state of optimizer {:?}, the trainer's optimizer is {:?}",
                ckpt.optimizer.kind,
                self.optimizer.name()
            )));
        }
        match (&ckpt.scheduler, &self.scheduler) {
            (None, None) => {}
            (Some((s, _)), None) => {
                return Err(fail(format!(
                    "the checkpoint holds the state of schedule {:?}, the trainer has no schedule",
                    s.kind
                )))
            }
            (None, Some((s, _))) => {
                return Err(fail(format!(
                    "the trainer has schedule {:?}, the checkpoint has no schedule state",
                    s.name()
                )))
            }
            (Some((saved, saved_step)), Some((s, step))) => {
                if saved.kind != s.name() || saved_step != step {
                    return Err(fail(format!(
                        "the checkpoint holds schedule {:?} stepped {saved_step:?}, the trainer has {:?} stepped {step:?}",
                        saved.kind,
                        s.name()
                    )));
                }
            }
        }
        // Generators.
        let mut names = Vec::new();
        self.model
            .visit_rngs(&mut |name, _| names.push(name.to_string()));
        let saved: Vec<&str> = ckpt.rngs.iter().map(|(n, _)| n.as_str()).collect();
        if names != saved {
            return Err(fail(format!(
                "random generators [{}] do not match the model's [{}]",
                saved.join(", "),
                names.join(", ")
            )));
        }
        // Stateful parts, all rolled back if one rejects its state.
        let old_opt = self.optimizer.state();
        let old_sched = self.scheduler.as_ref().map(|(s, _)| s.state());
        let old_cbs: Vec<CallbackState<T>> = self.callbacks.iter().map(|c| c.state()).collect();
        if let Err(e) = self.load_parts(ckpt) {
            let _ = self.optimizer.load_state(&old_opt);
            if let (Some((s, _)), Some(old)) = (&mut self.scheduler, &old_sched) {
                let _ = s.load_state(old);
            }
            for (cb, old) in self.callbacks.iter_mut().zip(&old_cbs) {
                let _ = cb.load_state(old);
            }
            return Err(fail(e));
        }
        youshi_layers::load_state_dict(self.model.as_ref(), ckpt.model.clone(), true)
            .map_err(|e| fail(format!("model: {e}")))?;
        let mut i = 0;
        self.model.visit_rngs(&mut |_, rng| {
            if let Some((_, state)) = ckpt.rngs.get(i) {
                *lock(rng) = state.to_rng();
            }
            i += 1;
        });
        self.history = ckpt.history.clone();
        self.epoch = ckpt.epoch;
        self.seeded = true;
        Ok(())
    }
}
