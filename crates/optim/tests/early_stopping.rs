//! Early stopping and best-model checkpoints on scripted validation losses.
//!
//! The loss used here is the real cross-entropy during training, but on the no-grad
//! validation graph it returns the next value of a fixed script, one per epoch (each
//! validation set is a single batch). The monitored `val_loss` sequence is therefore known
//! exactly, and the epoch at which training must stop follows from Keras's rule by hand.

#[path = "fit_common/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};

use common::{mlp, param_bits, spirals, temp_dir, MomentumSgd};
use youshi_layers::{CrossEntropyLoss, ModuleExt};
use youshi_optim::fit::{
    loss_fn, Callback, Context, Direction, EarlyStopping, Logs, ModelCheckpoint, Progress, Trainer,
};
use youshi_optim::{Loss, Result};
use youshi_tensor::Tensor;

/// Keeps the weights at the end of every epoch.
struct Snapshots(Arc<Mutex<Vec<Vec<Vec<u32>>>>>);

impl Callback for Snapshots {
    fn name(&self) -> &'static str {
        "Snapshots"
    }
    fn on_epoch_end(&mut self, _logs: &Logs, ctx: &mut Context<'_>) -> Result<()> {
        let bits = ctx
            .model()
            .params()
            .iter()
            .map(|p| p.value().to_vec().iter().map(|v| v.to_bits()).collect())
            .collect();
        self.0.lock().unwrap().push(bits);
        Ok(())
    }
}

/// The outcome of a scripted run.
struct Run {
    /// Epochs run.
    epochs: usize,
    /// The weights when training ended.
    last: Vec<Vec<u32>>,
    /// The weights at the end of each epoch.
    snaps: Vec<Vec<Vec<u32>>>,
}

/// Runs up to `script.len()` epochs with `stop` watching the scripted `val_loss`.
fn run(script: &[f64], stop: EarlyStopping) -> Run {
    let max_epochs = script.len();
    let script = script.to_vec();
    let calls = Arc::new(Mutex::new(0usize));
    let loss = loss_fn("scripted", move |y, t| {
        if y.graph().is_recording() {
            return CrossEntropyLoss::new().loss(y, t);
        }
        let mut k = calls.lock().unwrap();
        let v = script[*k];
        *k += 1;
        Ok(y.constant(Tensor::scalar(v as f32)))
    });
    let model = mlp(8, 2, 0.0, 1);
    let snaps = Arc::new(Mutex::new(Vec::new()));
    let epochs = snaps.clone();
    let mut trainer = Trainer::new(&model, loss, MomentumSgd::new(model.params(), 0.05, 0.9))
        .callback(Snapshots(snaps))
        .callback(stop)
        .progress(Progress::Silent);
    let mut train = spirals(8, 0.1, 1, 4).fixed();
    let mut val = spirals(4, 0.1, 2, 8).fixed();
    let h = trainer.fit(&mut train, Some(&mut val), max_epochs).unwrap();
    drop(trainer);
    let snaps = epochs.lock().unwrap().clone();
    Run {
        epochs: h.len(),
        last: param_bits(&model),
        snaps,
    }
}

fn run_epochs(script: &[f64], stop: EarlyStopping) -> usize {
    run(script, stop).epochs
}

#[test]
fn stops_patience_epochs_after_the_best() {
    // Best at epoch 2 (0.8); epochs 3 and 4 do not improve: with patience 2, stop after 4.
    let script = [1.0, 0.8, 0.9, 0.85, 0.95, 0.7, 0.6, 0.5];
    let epochs = run_epochs(&script, EarlyStopping::new("val_loss").patience(2));
    assert_eq!(epochs, 4);
    // Patience 3 waits for epoch 5 too.
    let epochs = run_epochs(&script, EarlyStopping::new("val_loss").patience(3));
    assert_eq!(epochs, 5);
    // Patience 0 stops at the first epoch that does not improve.
    let epochs = run_epochs(&script, EarlyStopping::new("val_loss"));
    assert_eq!(epochs, 3);
}

#[test]
fn restores_the_best_epochs_weights() {
    let script = [1.0, 0.8, 0.9, 0.85, 0.95, 0.7, 0.6, 0.5];
    let Run {
        epochs,
        last,
        snaps,
    } = run(
        &script,
        EarlyStopping::new("val_loss")
            .patience(2)
            .restore_best(true),
    );
    assert_eq!(epochs, 4);
    assert_eq!(snaps.len(), 4);
    assert_eq!(last, snaps[1], "the weights of epoch 2 are restored");
    assert_ne!(last, snaps[3]);
    // Without restoring, the last epoch's weights stay.
    let Run { last, snaps, .. } = run(&script, EarlyStopping::new("val_loss").patience(2));
    assert_eq!(last, snaps[3]);
}

#[test]
fn min_delta_baseline_direction_and_warm_up() {
    // Falling by 0.02 a step: improvements without min_delta, none with 0.15.
    let slow = [1.0, 0.98, 0.96, 0.94, 0.92, 0.9, 0.88, 0.86];
    let epochs = run_epochs(&slow, EarlyStopping::new("val_loss").patience(2));
    assert_eq!(epochs, 8);
    let epochs = run_epochs(
        &slow,
        EarlyStopping::new("val_loss").patience(2).min_delta(0.15),
    );
    assert_eq!(epochs, 3);
    // Improvements that never beat the baseline do not reset the wait: epochs 1 and 2
    // improve (wait 1, 2), epoch 3 does not and the wait (3) exceeds the patience.
    let flat = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9];
    let epochs = run_epochs(
        &flat,
        EarlyStopping::new("val_loss").patience(2).baseline(0.5),
    );
    assert_eq!(epochs, 3);
    let epochs = run_epochs(&flat, EarlyStopping::new("val_loss").patience(2));
    assert_eq!(epochs, 4);
    // Rising is better in Max mode: best 2.0 at epoch 2.
    let rising = [1.0, 2.0, 1.5, 1.8, 2.5, 3.0, 3.5, 4.0];
    let epochs = run_epochs(
        &rising,
        EarlyStopping::new("val_loss")
            .patience(2)
            .direction(Direction::Max),
    );
    assert_eq!(epochs, 4);
    // Epochs before the warm-up are ignored.
    let warm = [0.1, 0.2, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5];
    let epochs = run_epochs(&warm, EarlyStopping::new("val_loss").patience(1));
    assert_eq!(epochs, 2);
    let epochs = run_epochs(
        &warm,
        EarlyStopping::new("val_loss")
            .patience(1)
            .start_from_epoch(3),
    );
    assert_eq!(epochs, 4);
}

#[test]
fn nan_validation_loss_never_improves() {
    let script = [1.0, f64::NAN, f64::NAN, 0.5, 0.4, 0.3, 0.2, 0.1];
    let epochs = run_epochs(&script, EarlyStopping::new("val_loss").patience(2));
    assert_eq!(epochs, 3);
}

#[test]
fn best_only_checkpoints_follow_the_monitored_value() {
    let dir = temp_dir("best");
    let script = [1.0, 0.8, 0.9, 0.7, 0.75, 0.6, 0.65, 0.66];
    let calls = Arc::new(Mutex::new(0usize));
    let loss = loss_fn("scripted", move |y, t| {
        if y.graph().is_recording() {
            return CrossEntropyLoss::new().loss(y, t);
        }
        let mut k = calls.lock().unwrap();
        let v = script[*k];
        *k += 1;
        Ok(y.constant(Tensor::scalar(v as f32)))
    });
    let model = mlp(8, 2, 0.0, 1);
    let mut trainer = Trainer::new(&model, loss, MomentumSgd::new(model.params(), 0.05, 0.9))
        .callback(
            ModelCheckpoint::new(dir.join("best-{epoch}.safetensors")).save_best_only("val_loss"),
        )
        .callback(
            // A directory that does not exist yet: it is created.
            ModelCheckpoint::new(dir.join("weights").join("weights-{epoch}.safetensors"))
                .every(3)
                .weights_only(true),
        )
        .progress(Progress::Silent);
    let mut train = spirals(8, 0.1, 1, 4).fixed();
    let mut val = spirals(4, 0.1, 2, 8).fixed();
    trainer.fit(&mut train, Some(&mut val), 8).unwrap();
    let list = |d: &std::path::Path| {
        let mut files: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        files
    };
    assert_eq!(
        list(&dir),
        [
            "best-1.safetensors",
            "best-2.safetensors",
            "best-4.safetensors",
            "best-6.safetensors",
            "weights"
        ]
    );
    assert_eq!(
        list(&dir.join("weights")),
        ["weights-3.safetensors", "weights-6.safetensors"]
    );
    // A best checkpoint is a full checkpoint whose weights load into a fresh model...
    let ckpt = youshi_optim::Checkpoint::<f32>::load(dir.join("best-6.safetensors")).unwrap();
    assert_eq!(ckpt.epoch(), 6);
    assert_eq!(ckpt.history().last("val_loss"), Some(0.6f32 as f64));
    let fresh = mlp(8, 2, 0.0, 99);
    ckpt.load_model(&fresh).unwrap();
    // ... and a weights-only file is a plain safetensors state dict.
    youshi_layers::load_safetensors(
        &fresh,
        dir.join("weights").join("weights-6.safetensors"),
        true,
    )
    .unwrap();
    let a: Vec<_> = fresh.params().iter().map(|p| p.value()).collect();
    let b: Vec<_> = ckpt.model_state().iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(a, b, "both files hold the weights of epoch 6");
    // A weights file is not a training checkpoint.
    let e =
        youshi_optim::Checkpoint::<f32>::load(dir.join("weights").join("weights-3.safetensors"))
            .unwrap_err();
    assert!(e.to_string().contains("not a training checkpoint"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}
