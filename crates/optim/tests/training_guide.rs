//! The code of `docs/training.md`, compiled and run; a last test checks that every Rust block
//! of the page appears here line for line.

#[path = "fit_common/mod.rs"]
mod common;

use std::error::Error;

use common::{mlp, spirals, temp_dir, Shuffled};
use youshi_autograd::Var;
use youshi_data::Batch;
use youshi_layers::{CrossEntropyLoss, ModuleExt, Sequential};
use youshi_optim::fit::{
    loss_fn, Accuracy, Callback, Context, EarlyStopping, Logs, Progress, SchedulerStep,
    TopKAccuracy, Trainer,
};
use youshi_optim::{Result, Sgd, SgdConfig, StepLr};

type Outcome = std::result::Result<(), Box<dyn Error>>;

/// The page's starting point: an MLP with dropout, an optimizer over its parameters, a
/// shuffled training set and a validation set.
fn setup() -> (Sequential, Sgd, Shuffled, Vec<Batch>) {
    let model = mlp(16, 2, 0.1, 1);
    let optimizer = Sgd::new(model.params(), SgdConfig::default().lr(0.05).momentum(0.9))
        .expect("valid SGD options");
    (
        model,
        optimizer,
        spirals(100, 0.05, 7, 32),
        spirals(50, 0.05, 8, 50).fixed(),
    )
}

#[test]
fn a_first_run() -> Outcome {
    let (model, optimizer, mut train, mut val) = setup();
    // --- guide ---
    let mut trainer = Trainer::new(&model, CrossEntropyLoss::new(), optimizer)
        .metric(Accuracy::new())
        .metric(TopKAccuracy::new(2)?)
        .callback(
            EarlyStopping::new("val_loss")
                .patience(5)
                .restore_best(true),
        )
        .progress(Progress::Silent)
        .seed(42);
    let history = trainer.fit(&mut train, Some(&mut val), 30)?;
    println!("val accuracy {:?}", history.last("val_accuracy"));
    // --- end ---
    let names: Vec<&str> = history.names().collect();
    assert_eq!(
        names,
        [
            "loss",
            "accuracy",
            "top2_accuracy",
            "val_loss",
            "val_accuracy",
            "val_top2_accuracy"
        ]
    );
    assert!(history.last("val_accuracy").unwrap() > 0.7);
    Ok(())
}

#[test]
fn a_closure_loss() -> Outcome {
    // --- guide ---
    let half_mse = loss_fn("half_mse", |y: &Var, t: &Var| {
        Ok(y.sub(t)?.square()?.mean_all()?.mul_scalar(0.5)?)
    });
    // --- end ---
    let g = youshi_autograd::Graph::no_grad();
    let y = g.constant(youshi_tensor::Tensor::from_vec(vec![2.0, 0.0], [2])?);
    let t = g.constant(youshi_tensor::Tensor::from_vec(vec![0.0, 0.0], [2])?);
    use youshi_optim::fit::Loss;
    assert_eq!(half_mse.loss(&y, &t)?.value().item()?, 1.0);
    Ok(())
}

#[test]
fn a_schedule() -> Outcome {
    let (model, mut optimizer, mut train, mut val) = setup();
    let schedule = StepLr::new(&mut optimizer, 1, 0.5)?;
    // --- guide ---
    let trainer = Trainer::new(&model, CrossEntropyLoss::new(), optimizer)
        .scheduler(schedule, SchedulerStep::PerEpoch)
        .scheduler_monitor("val_loss");
    // --- end ---
    let mut trainer = trainer.progress(Progress::Silent);
    trainer.fit(&mut train, Some(&mut val), 3)?;
    assert_eq!(trainer.optimizer().lr(0), 0.05 / 8.0);
    Ok(())
}

// --- guide ---
/// Stops once the training loss falls below a target.
struct StopBelow(f64);

impl Callback for StopBelow {
    fn name(&self) -> &'static str {
        "StopBelow"
    }
    fn on_epoch_end(&mut self, logs: &Logs, ctx: &mut Context<'_>) -> Result<()> {
        if logs.get("loss").is_some_and(|l| l < self.0) {
            ctx.stop_training(format!("loss below {}", self.0));
        }
        Ok(())
    }
}
// --- end ---

#[test]
fn a_callback_of_ones_own() -> Outcome {
    let (model, optimizer, mut train, _) = setup();
    let mut trainer = Trainer::new(&model, CrossEntropyLoss::new(), optimizer)
        .callback(StopBelow(0.6))
        .progress(Progress::Silent);
    let h = trainer.fit(&mut train, None, 50)?;
    let loss = h.get("loss").unwrap();
    assert!(h.len() < 50);
    assert!(*loss.last().unwrap() < 0.6);
    assert!(loss[..loss.len() - 1].iter().all(|&l| l >= 0.6));
    Ok(())
}

#[test]
fn checkpoints_and_resumption() -> Outcome {
    let dir = temp_dir("guide");
    let path = dir.join("run.safetensors");
    let (model, optimizer, mut train, mut val) = setup();
    let mut trainer =
        Trainer::new(&model, CrossEntropyLoss::new(), optimizer).progress(Progress::Silent);
    trainer.fit(&mut train, Some(&mut val), 2)?;
    // A second, fresh set-up (the first model stays borrowed by `trainer`).
    let (model, optimizer, mut train, mut val) = setup();
    // --- guide ---
    trainer.save_checkpoint(&path)?;

    // Later, in a fresh process: build the same set-up, then resume.
    let mut resumed =
        Trainer::new(&model, CrossEntropyLoss::new(), optimizer).progress(Progress::Silent);
    let done = resumed.resume_from(&path)?;
    // Runs epochs done+1..=30.
    let history = resumed.fit(&mut train, Some(&mut val), 30)?;
    // --- end ---
    assert_eq!(done, 2);
    assert_eq!(history.len(), 30);
    std::fs::remove_dir_all(dir).ok();
    Ok(())
}

#[test]
fn history_files() -> Outcome {
    let dir = temp_dir("guide-history");
    let (model, optimizer, mut train, mut val) = setup();
    let mut trainer = Trainer::new(&model, CrossEntropyLoss::new(), optimizer)
        .metric(Accuracy::new())
        .progress(Progress::Silent);
    trainer.fit(&mut train, Some(&mut val), 3)?;
    // --- guide ---
    let history = trainer.history();
    history.write_csv(dir.join("history.csv"))?;
    history.write_svg(dir.join("history.svg"))?;
    // --- end ---
    let csv = std::fs::read_to_string(dir.join("history.csv"))?;
    assert_eq!(csv.lines().count(), 4);
    let svg = std::fs::read_to_string(dir.join("history.svg"))?;
    assert_eq!(svg.matches("<polyline").count(), 4);
    std::fs::remove_dir_all(dir).ok();
    Ok(())
}

/// Every Rust block of the page appears in this file, line for line (indentation aside).
#[test]
fn the_page_shows_this_code() {
    let page = include_str!("../../../docs/training.md");
    let here: Vec<&str> = include_str!("training_guide.rs")
        .lines()
        .map(str::trim)
        .collect();
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in page.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```rust") => current = Some(Vec::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), l) => b.push(l.trim()),
            (None, _) => {}
        }
    }
    assert_eq!(blocks.len(), 6);
    for block in blocks {
        let found = here
            .windows(block.len())
            .any(|w| w.iter().zip(&block).all(|(a, b)| a == b));
        assert!(
            found,
            "this block of docs/training.md is not in training_guide.rs:\n{}",
            block.join("\n")
        );
    }
}
