//! End to end: the CNN of `examples/04_mnist_cnn.rs`, trained for one epoch on 5,000 MNIST
//! training images (Adam, one-cycle schedule), classifies the first 1,000 test images with at
//! least 95 % accuracy.

#[path = "../examples/common/mod.rs"]
mod common;

use std::sync::Arc;

use youshi::data::{DataLoader, Pixels, Split, Subset};
use youshi::layers::{CrossEntropyLoss, ModuleExt};
use youshi::optim::fit::{Accuracy, Progress, SchedulerStep, Trainer};
use youshi::optim::{Adam, AdamConfig, OneCycleConfig, OneCycleLr};
use youshi::tensor::seeded_rng;

type Outcome = Result<(), common::BoxError>;

const TRAIN: usize = 5_000;
const TEST: usize = 1_000;
const BATCH: usize = 16;

#[test]
fn cnn_learns_mnist_in_one_epoch_on_5000_images() -> Outcome {
    let dir = youshi::data::mnist::bundled_dir();
    let train = common::load(&dir, Split::Train)?.to_dataset::<f32>(Pixels::Unit);
    let test = common::load(&dir, Split::Test)?.to_dataset::<f32>(Pixels::Unit);
    let train = Subset::new(Arc::new(train), (0..TRAIN).collect())?;
    let test = Subset::new(Arc::new(test), (0..TEST).collect())?;
    let mut train = DataLoader::new(train, BATCH)?
        .shuffle(0)
        .transform(common::normalize()?);
    let mut test = DataLoader::new(test, 500)?.transform(common::normalize()?);

    let model = common::lenet(&mut seeded_rng(0))?;
    // A single short epoch: a one-cycle schedule (warm-up to 3e-3, then annealing) over its
    // steps learns more from it than a constant learning rate.
    let mut optimizer = Adam::new(model.params(), AdamConfig::default().lr(1e-3))?;
    let schedule = OneCycleLr::new(
        &mut optimizer,
        OneCycleConfig::new(3e-3, TRAIN.div_ceil(BATCH)),
    )?;
    let mut trainer = Trainer::new(&model, CrossEntropyLoss::new(), optimizer)
        .scheduler(schedule, SchedulerStep::PerBatch)
        .metric(Accuracy::new())
        .progress(Progress::Silent)
        .seed(0);
    let history = trainer.fit(&mut train, None, 1)?;
    assert_eq!(history.len(), 1);

    let logs = trainer.evaluate(&mut test)?;
    let accuracy = logs.get("accuracy").ok_or("no accuracy logged")?;
    assert!(
        accuracy >= 0.95,
        "test accuracy {accuracy} on {TEST} images after one epoch on {TRAIN}"
    );
    Ok(())
}

#[test]
fn example_options_parse_and_reject_bad_values() {
    use common::{parse_args, Defaults, Parsed};
    let defaults = Defaults {
        epochs: 3,
        batch_size: 64,
        lr: 1e-3,
        model: None,
        trains: true,
    };
    let args = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    let parsed = parse_args(
        "04_mnist_cnn",
        &defaults,
        &args(&[
            "--epochs",
            "5",
            "--batch-size=32",
            "--lr",
            "0.01",
            "--threads",
            "1",
        ]),
    );
    let Ok(Parsed::Run(opts)) = parsed else {
        panic!("valid options rejected: {parsed:?}");
    };
    assert_eq!(
        (opts.epochs, opts.batch_size, opts.lr, opts.threads),
        (5, 32, 0.01, 1)
    );
    assert!(opts.out.ends_with("target/04_mnist_cnn"));
    assert_eq!(
        parse_args("04_mnist_cnn", &defaults, &args(&["-h"])),
        Ok(Parsed::Help)
    );

    let error = |words: &[&str]| match parse_args("04_mnist_cnn", &defaults, &args(words)) {
        Err(e) => e.to_string(),
        Ok(p) => panic!("{words:?} accepted as {p:?}"),
    };
    assert_eq!(
        error(&["--epochs", "zero"]),
        "--epochs: expected a positive integer, got \"zero\""
    );
    assert_eq!(
        error(&["--batch-size", "0"]),
        "--batch-size: expected a positive integer, got 0"
    );
    assert_eq!(
        error(&["--lr", "-1"]),
        "--lr: expected a positive number, got \"-1\""
    );
    assert_eq!(error(&["--data"]), "--data needs a value");
    assert_eq!(
        error(&["--model", "m.safetensors"]),
        "unknown option \"--model\" (see --help)"
    );
}
