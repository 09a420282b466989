//! Loads the CNN saved by `04_mnist_cnn`, classifies the 10,000 MNIST test images, prints a
//! few of them as ASCII art with their predicted labels (the first ones, then the first
//! mistakes) and the confusion matrix.
//!
//! Run `cargo run --release --example 04_mnist_cnn` first, then
//! `cargo run --release --example 06_predict` (`-- --help` for the options).

#[path = "common/mod.rs"]
mod common;

use std::process::ExitCode;

use common::{BoxError, Defaults, Options};
use youshi::autograd::Graph;
use youshi::data::{Batches, DataLoader, Pixels, Split};
use youshi::layers::{load_safetensors, Module, ModuleExt};
use youshi::tensor::{seeded_rng, Tensor};

const NAME: &str = "06_predict";
const ABOUT: &str = "Classifies MNIST test images with the CNN saved by 04_mnist_cnn.";

/// Shades from dark to light, one character per pixel.
const SHADES: &[u8] = b" .:-=+*#%@";
/// How many correct and how many wrong predictions are drawn.
const SHOWN: usize = 3;

/// An image of `28 × 28` bytes as 14 lines of 28 characters (two pixel rows per line, as
/// characters are about twice as tall as wide).
fn ascii_art(pixels: &[u8]) -> Vec<String> {
    pixels
        .chunks(28 * 2)
        .map(|pair| {
            (0..28)
                .map(|c| {
                    let v = pair.iter().skip(c).step_by(28).copied().max().unwrap_or(0);
                    SHADES[v as usize * (SHADES.len() - 1) / 255] as char
                })
                .collect()
        })
        .collect()
}

fn predict(opts: &Options) -> Result<(), BoxError> {
    let path = opts.model.clone().unwrap_or_else(default_model);
    if !path.exists() {
        return Err(format!(
            "no saved model at {}: train one first with `cargo run --release --example 04_mnist_cnn` \
             (it writes target/04_mnist_cnn/model.safetensors), or pass --model PATH",
            path.display()
        )
        .into());
    }
    let model = common::lenet(&mut seeded_rng(0))?;
    load_safetensors(&model, &path, true)
        .map_err(|e| format!("load the CNN from {}: {e}", path.display()))?;
    model.eval();
    println!("loaded {}", path.display());

    let mnist = common::load(&opts.data, Split::Test)?;
    let mut test = DataLoader::new(mnist.to_dataset::<f32>(Pixels::Unit), 1000)?
        .transform(common::normalize()?);
    let mut predicted = Vec::with_capacity(mnist.len());
    let graph = Graph::no_grad();
    for batch in test.epoch(0) {
        let batch = batch?;
        let logits: Tensor = model
            .forward(&graph.constant(batch.inputs))?
            .value()
            .clone();
        predicted.extend(logits.argmax(-1, false)?.iter().copied());
    }
    let truth = mnist.label_indices();
    if predicted.len() != truth.len() {
        return Err(format!(
            "{} predictions for {} test labels",
            predicted.len(),
            truth.len()
        )
        .into());
    }

    // A few images: the first correct ones and the first mistakes.
    let correct = (0..truth.len()).filter(|&i| predicted[i] == truth[i]);
    let wrong = (0..truth.len()).filter(|&i| predicted[i] != truth[i]);
    let shown: Vec<usize> = correct.take(SHOWN).chain(wrong.take(SHOWN)).collect();
    let images = mnist.images::<f32>(Pixels::Raw);
    let bytes: Vec<u8> = images.to_vec().into_iter().map(|v| v as u8).collect();
    let arts: Vec<Vec<String>> = shown
        .iter()
        .map(|&i| ascii_art(&bytes[i * 784..(i + 1) * 784]))
        .collect();
    // Three images side by side: the correct ones, then the mistakes.
    for (ids, arts) in shown.chunks(SHOWN).zip(arts.chunks(SHOWN)) {
        println!();
        for &i in ids {
            let mark = if predicted[i] == truth[i] {
                "ok"
            } else {
                "WRONG"
            };
            let caption = format!("#{i}: {} (label {}) {mark}", predicted[i], truth[i]);
            print!("{caption:<32}");
        }
        println!();
        for line in 0..14 {
            for art in arts {
                print!("{:<32}", art.get(line).map_or("", String::as_str));
            }
            println!();
        }
    }

    // The confusion matrix: rows are true labels, columns predictions.
    let mut confusion = [[0usize; 10]; 10];
    for (&t, &p) in truth.iter().zip(&predicted) {
        if t < 10 && p < 10 {
            confusion[t][p] += 1;
        }
    }
    println!("\nconfusion matrix (rows: label, columns: prediction)");
    print!("      ");
    for p in 0..10 {
        print!("{p:>6}");
    }
    println!();
    for (t, row) in confusion.iter().enumerate() {
        print!("{t:>6}");
        for n in row {
            print!("{n:>6}");
        }
        println!();
    }
    let right: usize = (0..10).map(|c| confusion[c][c]).sum();
    println!(
        "\naccuracy: {right} / {} = {:.2} %",
        truth.len(),
        100.0 * right as f64 / truth.len() as f64
    );
    Ok(())
}

fn default_model() -> std::path::PathBuf {
    common::default_out("04_mnist_cnn").join("model.safetensors")
}

fn main() -> ExitCode {
    let defaults = Defaults {
        epochs: 0,
        batch_size: 1000,
        lr: 0.0,
        model: Some(default_model()),
        trains: false,
    };
    common::run(NAME, ABOUT, defaults, predict)
}
