//! Loads the bundled MNIST training set and runs one shuffled, augmented epoch in the
//! foreground and in the background, printing how long each step takes.
//!
//! `cargo run --release -p youshi-data --example load_mnist [DIR]` (DIR defaults to the
//! repository's `data/mnist`; Fashion-MNIST files work the same way).

use std::time::Instant;

use youshi_data::mnist::{bundled_dir, Mnist};
use youshi_data::transform::{Normalize, RandomCrop};
use youshi_data::{Batches, DataLoader, Pixels, Split};

fn main() -> Result<(), youshi_data::DataError> {
    let dir = std::env::args()
        .nth(1)
        .map(Into::into)
        .unwrap_or_else(bundled_dir);

    let start = Instant::now();
    let train = Mnist::load(&dir, Split::Train)?;
    let read = start.elapsed();
    let data = train.to_dataset::<f32>(Pixels::Unit);
    println!(
        "read {} images in {read:.2?}; as a [N, 1, 28, 28] f32 tensor after {:.2?}",
        train.len(),
        start.elapsed()
    );
    println!("label counts: {:?}", train.label_counts());

    for prefetch in [0, 4] {
        let mut loader = DataLoader::new(data.clone(), 64)?
            .shuffle(0)
            .transform(RandomCrop::new([28, 28], 2)?)
            .transform(Normalize::new(vec![0.1307], vec![0.3081])?)
            .prefetch(prefetch);
        let start = Instant::now();
        let mut examples = 0;
        for batch in loader.epoch(0) {
            examples += batch?.len();
        }
        let t = start.elapsed();
        println!(
            "prefetch {prefetch}: one epoch of {examples} examples in {} batches of 64 in {t:.2?} \
             ({:.0} examples/s)",
            loader.num_batches().unwrap_or(0),
            examples as f64 / t.as_secs_f64()
        );
    }
    Ok(())
}
