//! Trains a LeNet-style CNN on MNIST: two 3 × 3 convolutions with ReLU and max-pooling, then
//! two linear layers; Adam with learning rate 1e-3, halved after every epoch, and batches of
//! 64. Three epochs reach 99 % test accuracy.
//!
//! Writes `model.safetensors` (the weights, PyTorch-compatible names), `history.csv` and
//! `history.svg` (the per-epoch loss and accuracy) to `--out` (default
//! `target/04_mnist_cnn/`); `06_predict` reads the model.
//!
//! Run with `cargo run --release --example 04_mnist_cnn` (`-- --help` for the options).

#[path = "common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::time::Instant;

use common::{BoxError, Defaults, Options};
use youshi::layers::{save_safetensors, CrossEntropyLoss, ModuleExt};
use youshi::optim::fit::{Accuracy, Progress, SchedulerStep, Trainer};
use youshi::optim::{Adam, AdamConfig, StepLr};
use youshi::tensor::seeded_rng;

const NAME: &str = "04_mnist_cnn";
const ABOUT: &str = "Trains a LeNet-style CNN on MNIST and saves the model and its history.";

fn train(opts: &Options) -> Result<(), BoxError> {
    let (mut train, mut test) = common::mnist_loaders(&opts.data, opts.batch_size, opts.seed)?;
    let model = common::lenet(&mut seeded_rng(opts.seed))?;
    let (params, _) = model.param_counts();
    println!(
        "LeNet-style CNN, {params} parameters; {} epochs, batch size {}, Adam lr {} halved every epoch, {} threads",
        opts.epochs,
        opts.batch_size,
        opts.lr,
        youshi::tensor::num_threads()
    );

    let mut optimizer = Adam::new(model.params(), AdamConfig::default().lr(opts.lr))?;
    // Halving the learning rate after every epoch settles the weights in the last epochs.
    let schedule = StepLr::new(&mut optimizer, 1, 0.5)?;
    let mut trainer = Trainer::new(&model, CrossEntropyLoss::new(), optimizer)
        .scheduler(schedule, SchedulerStep::PerEpoch)
        .metric(Accuracy::new())
        .progress(Progress::Auto)
        .seed(opts.seed);
    let start = Instant::now();
    // The test set serves as validation data for the per-epoch report.
    let history = trainer.fit(&mut train, Some(&mut test), opts.epochs)?;
    let elapsed = start.elapsed();
    common::report(&mut trainer, &history, &mut test, elapsed, opts)?;

    let model_path = opts.out.join("model.safetensors");
    save_safetensors(&model, &model_path)?;
    println!("saved the model to {}", model_path.display());
    Ok(())
}

fn main() -> ExitCode {
    let defaults = Defaults {
        epochs: 3,
        batch_size: 64,
        lr: 1e-3,
        model: None,
        trains: true,
    };
    common::run(NAME, ABOUT, defaults, train)
}
