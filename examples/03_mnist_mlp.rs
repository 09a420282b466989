//! Trains a multilayer perceptron on MNIST: 784 → 512 → 256 → 10 with ReLU, Adam with a
//! learning rate halved every 3 epochs. Ten epochs reach about 98 % test accuracy.
//!
//! Writes `history.csv` and `history.svg` to `--out` (default `target/03_mnist_mlp/`).
//!
//! Run with `cargo run --release --example 03_mnist_mlp` (`-- --help` for the options).

#[path = "common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::time::Instant;

use common::{BoxError, Defaults, Options};
use youshi::layers::{CrossEntropyLoss, Flatten, Linear, ModuleExt, Relu, Sequential};
use youshi::optim::fit::{Accuracy, Progress, SchedulerStep, Trainer};
use youshi::optim::{Adam, AdamConfig, StepLr};
use youshi::tensor::seeded_rng;

const NAME: &str = "03_mnist_mlp";
const ABOUT: &str = "Trains a 784-512-256-10 multilayer perceptron on MNIST.";

fn train(opts: &Options) -> Result<(), BoxError> {
    let (mut train, mut test) = common::mnist_loaders(&opts.data, opts.batch_size, opts.seed)?;
    let mut rng = seeded_rng(opts.seed);
    let model: Sequential = Sequential::new()
        .add(Flatten::default()) // [N, 1, 28, 28] -> [N, 784]
        .add(Linear::new(784, 512, &mut rng)?)
        .add(Relu)
        .add(Linear::new(512, 256, &mut rng)?)
        .add(Relu)
        .add(Linear::new(256, 10, &mut rng)?);
    let (params, _) = model.param_counts();
    println!(
        "MLP 784-512-256-10, {params} parameters; {} epochs, batch size {}, Adam lr {} halved every 3 epochs, {} threads",
        opts.epochs,
        opts.batch_size,
        opts.lr,
        youshi::tensor::num_threads()
    );

    let mut optimizer = Adam::new(model.params(), AdamConfig::default().lr(opts.lr))?;
    let schedule = StepLr::new(&mut optimizer, 3, 0.5)?;
    let mut trainer = Trainer::new(&model, CrossEntropyLoss::new(), optimizer)
        .scheduler(schedule, SchedulerStep::PerEpoch)
        .metric(Accuracy::new())
        .progress(Progress::Auto)
        .seed(opts.seed);
    let start = Instant::now();
    // The test set serves as validation data for the per-epoch report.
    let history = trainer.fit(&mut train, Some(&mut test), opts.epochs)?;
    common::report(&mut trainer, &history, &mut test, start.elapsed(), opts)?;
    Ok(())
}

fn main() -> ExitCode {
    let defaults = Defaults {
        epochs: 10,
        batch_size: 128,
        lr: 1e-3,
        model: None,
        trains: true,
    };
    common::run(NAME, ABOUT, defaults, train)
}
