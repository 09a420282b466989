//! Code shared by the MNIST examples: command-line options (standard library only), the MNIST
//! loaders with the usual normalisation, and the LeNet-style CNN of `04_mnist_cnn` and
//! `06_predict`.
//!
//! Each example includes this file with `#[path = "common/mod.rs"] mod common;` and uses part
//! of it.
#![allow(dead_code)]

use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use youshi::data::mnist::{bundled_dir, Mnist};
use youshi::data::transform::Normalize;
use youshi::data::{DataLoader, Pixels, Split};
use youshi::layers::{
    Conv2dConfig, Flatten, Linear, MaxPool2d, Padding, Pool2dConfig, Relu, Sequential,
};
use youshi::optim::fit::{History, Trainer};
use youshi::tensor::TensorRng;

/// Mean of the MNIST training pixels in `[0, 1]` (as in PyTorch's MNIST example).
pub const MNIST_MEAN: f64 = 0.1307;
/// Standard deviation of the MNIST training pixels in `[0, 1]`.
pub const MNIST_STD: f64 = 0.3081;

/// Any error of an example.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// What an example takes by default, and whether it reads a saved model.
#[derive(Debug, Clone)]
pub struct Defaults {
    /// Training epochs.
    pub epochs: usize,
    /// Examples per training batch.
    pub batch_size: usize,
    /// Learning rate.
    pub lr: f64,
    /// The default `--model` path, for an example that reads a saved model; `None` means the
    /// example has no `--model` option.
    pub model: Option<PathBuf>,
    /// Whether the example trains: only then does it take `--epochs`, `--batch-size`, `--lr`,
    /// `--out` and `--seed`.
    pub trains: bool,
}

/// The options of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `--epochs N`.
    pub epochs: usize,
    /// `--batch-size N`.
    pub batch_size: usize,
    /// `--lr X`.
    pub lr: f64,
    /// `--threads N` (0: one per core).
    pub threads: usize,
    /// `--data DIR`: the MNIST files.
    pub data: PathBuf,
    /// `--out DIR`: where outputs go.
    pub out: PathBuf,
    /// `--seed N`: initialisation, shuffling and dropout.
    pub seed: u64,
    /// `--model PATH`, for the examples that read a saved model.
    pub model: Option<PathBuf>,
}

/// A command line that cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The outcome of parsing a command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// `--help` or `-h` was given.
    Help,
    /// Run with these options.
    Run(Options),
}

/// The repository's `target/<name>/`, the default output directory of example `name`.
pub fn default_out(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(name)
}

/// The help text of example `name`.
pub fn usage(name: &str, about: &str, defaults: &Defaults) -> String {
    let mut s = format!(
        "{about}\n\nUsage: cargo run --release --example {name} -- [OPTIONS]\n\nOptions:\n"
    );
    if defaults.trains {
        s += &training_usage(name, defaults);
    }
    s += "  --threads N       kernel threads, 0 for one per core (default 0)\n";
    s += &format!(
        "  --data DIR        directory of the MNIST files (default {})\n",
        bundled_dir().display()
    );
    if let Some(model) = &defaults.model {
        s += &format!(
            "  --model PATH      saved model to load (default {})\n",
            model.display()
        );
    }
    s += "  -h, --help        print this help\n";
    s
}

fn training_usage(name: &str, defaults: &Defaults) -> String {
    let mut s = format!(
        "  --epochs N        training epochs (default {})\n",
        defaults.epochs
    );
    s += &format!(
        "  --batch-size N    examples per training batch (default {})\n",
        defaults.batch_size
    );
    s += &format!(
        "  --lr X            learning rate (default {})\n",
        defaults.lr
    );
    s += &format!(
        "  --out DIR         output directory (default {})\n",
        default_out(name).display()
    );
    s += "  --seed N          seed of initialisation and shuffling (default 0)\n";
    s
}

fn value<'a>(
    flag: &str,
    it: &mut impl Iterator<Item = &'a String>,
) -> Result<&'a String, UsageError> {
    it.next()
        .ok_or_else(|| UsageError(format!("{flag} needs a value")))
}

fn number<N: FromStr>(flag: &str, text: &str, what: &str) -> Result<N, UsageError> {
    text.parse()
        .map_err(|_| UsageError(format!("{flag}: expected {what}, got {text:?}")))
}

fn positive(flag: &str, text: &str) -> Result<usize, UsageError> {
    let n: usize = number(flag, text, "a positive integer")?;
    if n == 0 {
        return Err(UsageError(format!(
            "{flag}: expected a positive integer, got 0"
        )));
    }
    Ok(n)
}

/// Parses the arguments after the program name; `--name value` and `--name=value` are both
/// accepted.
///
/// # Errors
/// A [`UsageError`] naming the option for an unknown option, a missing value, or a value
/// that is not a number in range.
pub fn parse_args(name: &str, defaults: &Defaults, args: &[String]) -> Result<Parsed, UsageError> {
    let mut opts = Options {
        epochs: defaults.epochs,
        batch_size: defaults.batch_size,
        lr: defaults.lr,
        threads: 0,
        data: bundled_dir(),
        out: default_out(name),
        seed: 0,
        model: defaults.model.clone(),
    };
    // Split `--flag=value` into two words.
    let words: Vec<String> = args
        .iter()
        .flat_map(|a| match a.split_once('=') {
            Some((flag, v)) if a.starts_with("--") => vec![flag.to_string(), v.to_string()],
            _ => vec![a.clone()],
        })
        .collect();
    let mut it = words.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--epochs" if defaults.trains => opts.epochs = positive(flag, value(flag, &mut it)?)?,
            "--batch-size" if defaults.trains => {
                opts.batch_size = positive(flag, value(flag, &mut it)?)?
            }
            "--lr" if defaults.trains => {
                let text = value(flag, &mut it)?;
                let lr: f64 = number(flag, text, "a positive number")?;
                if !(lr.is_finite() && lr > 0.0) {
                    return Err(UsageError(format!(
                        "{flag}: expected a positive number, got {text:?}"
                    )));
                }
                opts.lr = lr;
            }
            "--threads" => {
                opts.threads = number(flag, value(flag, &mut it)?, "a non-negative integer")?
            }
            "--seed" if defaults.trains => {
                opts.seed = number(flag, value(flag, &mut it)?, "a non-negative integer")?
            }
            "--data" => opts.data = PathBuf::from(value(flag, &mut it)?),
            "--out" if defaults.trains => opts.out = PathBuf::from(value(flag, &mut it)?),
            "--model" if defaults.model.is_some() => {
                opts.model = Some(PathBuf::from(value(flag, &mut it)?))
            }
            other => return Err(UsageError(format!("unknown option {other:?} (see --help)"))),
        }
    }
    Ok(Parsed::Run(opts))
}

/// Runs example `name`: parses the command line (printing the help, or a usage error with
/// exit code 2), sets the kernel thread count, then calls `body` and reports its error, if
/// any, with exit code 1.
pub fn run(
    name: &str,
    about: &str,
    defaults: Defaults,
    body: impl FnOnce(&Options) -> Result<(), BoxError>,
) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse_args(name, &defaults, &args) {
        Ok(Parsed::Help) => {
            print!("{}", usage(name, about, &defaults));
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Run(opts)) => opts,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = youshi::tensor::set_num_threads(opts.threads) {
        eprintln!("{name}: --threads {}: {e}", opts.threads);
        return ExitCode::from(2);
    }
    match body(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The normalisation of MNIST inputs: `(x - 0.1307) / 0.3081`.
pub fn normalize() -> Result<Normalize, BoxError> {
    Ok(Normalize::new(vec![MNIST_MEAN], vec![MNIST_STD])?)
}

/// Loads an MNIST split from `dir`.
pub fn load(dir: &Path, split: Split) -> Result<Mnist, BoxError> {
    Ok(Mnist::load(dir, split)?)
}

/// The training loader (shuffled from `seed`, normalised, prefetched on a background
/// thread) and the test loader (in order, batches of 1,000) of the MNIST files in `dir`.
pub fn mnist_loaders(
    dir: &Path,
    batch_size: usize,
    seed: u64,
) -> Result<(DataLoader<f32>, DataLoader<f32>), BoxError> {
    let train = load(dir, Split::Train)?.to_dataset::<f32>(Pixels::Unit);
    let test = load(dir, Split::Test)?.to_dataset::<f32>(Pixels::Unit);
    let train = DataLoader::new(train, batch_size)?
        .shuffle(seed)
        .transform(normalize()?)
        .prefetch(4);
    let test = DataLoader::new(test, 1000)?.transform(normalize()?);
    Ok((train, test))
}

/// The LeNet-style CNN of `04_mnist_cnn`: two 3 × 3 convolutions (32 and 64 channels, padding
/// 1) each followed by ReLU and 2 × 2 max-pooling, then 3136 → 128 → 10 with ReLU between.
///
/// Input `[N, 1, 28, 28]`, output logits `[N, 10]`. Parameter names: `0.weight`, `0.bias`
/// (first convolution), `3.*` (second), `7.*` and `9.*` (the linear layers).
pub fn lenet(rng: &mut TensorRng) -> Result<Sequential, BoxError> {
    let pool = || -> Result<MaxPool2d, BoxError> { Ok(Pool2dConfig::new(2).max()?) };
    Ok(Sequential::new()
        .add(
            Conv2dConfig::new(1, 32, 3)
                .padding(Padding::Explicit(1))
                .init::<f32>(rng)?,
        )
        .add(Relu)
        .add(pool()?)
        .add(
            Conv2dConfig::new(32, 64, 3)
                .padding(Padding::Explicit(1))
                .init::<f32>(rng)?,
        )
        .add(Relu)
        .add(pool()?)
        .add(Flatten::default())
        .add(Linear::new(64 * 7 * 7, 128, rng)?)
        .add(Relu)
        .add(Linear::new(128, 10, rng)?))
}

/// After training: prints the per-epoch history and the time per epoch, evaluates the model
/// on `test` with [`Trainer::evaluate`] and prints the test accuracy, and writes
/// `history.csv` and `history.svg` to `opts.out` (created if missing). Returns the test
/// accuracy in `[0, 1]`.
pub fn report(
    trainer: &mut Trainer<'_, f32>,
    history: &History,
    test: &mut DataLoader<f32>,
    elapsed: Duration,
    opts: &Options,
) -> Result<f64, BoxError> {
    println!("\nepoch      loss  accuracy  val_loss  val_accuracy");
    for row in (0..history.len()).filter_map(|i| history.row(i)) {
        let v = |name: &str| row.get(name).unwrap_or(f64::NAN);
        println!(
            "{:>5}  {:>8.4}  {:>8.4}  {:>8.4}  {:>12.4}",
            row.epoch(),
            v("loss"),
            v("accuracy"),
            v("val_loss"),
            v("val_accuracy")
        );
    }
    let secs = elapsed.as_secs_f64();
    let epochs = history.len().max(1) as f64;
    println!(
        "training took {secs:.1} s ({:.1} s per epoch, validation included)",
        secs / epochs
    );

    let logs = trainer.evaluate(test)?;
    let accuracy = logs
        .get("accuracy")
        .ok_or("the evaluation logged no accuracy")?;
    println!(
        "test accuracy: {:.2} % (loss {:.4})",
        100.0 * accuracy,
        logs.get("loss").unwrap_or(f64::NAN)
    );

    std::fs::create_dir_all(&opts.out)
        .map_err(|e| format!("create the output directory {}: {e}", opts.out.display()))?;
    history.write_csv(opts.out.join("history.csv"))?;
    history.write_svg(opts.out.join("history.svg"))?;
    println!(
        "wrote history.csv and history.svg to {}",
        opts.out.display()
    );
    Ok(accuracy)
}
