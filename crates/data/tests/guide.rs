//! The code of `docs/data.md`, compiled and run.

use std::sync::Arc;

use youshi_data::mnist::{bundled_dir, Mnist, FASHION_MNIST_CLASSES};
use youshi_data::rng::example_rng;
use youshi_data::tabular::{CsvOptions, Standardizer};
use youshi_data::transform::{Compose, Normalize, RandomCrop, RandomHorizontalFlip, Transform};
use youshi_data::{
    random_split, train_val_split, Batches, DataError, DataLoader, Dataset, InMemory, Pixels,
    Split, Subset,
};
use youshi_tensor::Tensor;

#[test]
fn quick_start() -> Result<(), DataError> {
    // --- begin guide code ---
    // The MNIST test split bundled in data/mnist: 10,000 images of 28 x 28.
    let mnist = Mnist::load(bundled_dir(), Split::Test)?;
    let (train, val) = train_val_split(mnist.to_dataset::<f32>(Pixels::Unit), 0.1, 0)?;

    let mut train = DataLoader::new(train, 64)?
        .shuffle(0) // epoch k's order is a function of (0, k)
        .drop_last(true)
        .transform(RandomCrop::new([28, 28], 2)?)
        .transform(Normalize::new(vec![0.1307], vec![0.3081])?)
        .prefetch(2); // prepare 2 batches ahead on a background thread
    let mut val = DataLoader::new(val, 256)?.transform(Normalize::new(vec![0.1307], vec![0.3081])?);

    for epoch in 0..2 {
        for batch in train.epoch(epoch) {
            let batch = batch?;
            // Inputs [N, C, H, W] and targets holding class indices.
            assert_eq!(batch.inputs.shape(), &[64, 1, 28, 28]);
            assert_eq!(batch.targets.shape(), &[64]);
            // forward, loss, backward, step ...
        }
        let seen: usize = val
            .epoch(epoch)
            .map(|b| b.map(|b| b.len()))
            .sum::<Result<_, _>>()?;
        assert_eq!(seen, 1_000);
    }
    // --- end guide code ---
    Ok(())
}

#[test]
fn mnist_section() -> Result<(), DataError> {
    let train = Mnist::load(bundled_dir(), Split::Train)?; // any directory works
    assert_eq!(train.len(), 60_000);
    assert_eq!(&train.labels()[..5], &[5, 0, 4, 1, 9]);
    assert_eq!(train.label_counts()[1], 6742);
    let x = train.images::<f32>(Pixels::Unit); // [60000, 1, 28, 28], bytes / 255
    let y = train.targets::<f32>(); // [60000]
    assert_eq!((x.shape()[0], y.shape()[0]), (60_000, 60_000));
    assert_eq!(FASHION_MNIST_CLASSES[9], "Ankle boot");
    Ok(())
}

#[test]
fn csv_section() -> Result<(), DataError> {
    let csv = "age,income,city,bought\n34,52000,Oslo,yes\n51,61000,Lima,no\n29,38000,Oslo,yes\n";
    let mut table = CsvOptions::new("bought")
        .features(["age", "income"]) // default: every column but the label
        .categorical() // the label is a string: classes in sorted order
        .read(csv.as_bytes(), "shop.csv")?; // or .load(path)
    assert_eq!(table.classes().unwrap(), &["no", "yes"]);
    assert_eq!(table.targets(), &[1.0, 0.0, 1.0]);

    let scaler = Standardizer::fit(&table)?; // fit on training rows ...
    scaler.apply(&mut table)?; // ... apply to any table with the same columns
    let data = table.to_dataset::<f32>(); // ([2], []) examples
    assert_eq!(data.get(0)?.0.shape(), &[2]);
    Ok(())
}

#[test]
fn in_memory_section() -> Result<(), DataError> {
    let x = Tensor::<f32>::from_shape_fn([100, 4], |i| (i[0] + i[1]) as f32);
    let y = Tensor::<f32>::from_shape_fn([100], |i| (i[0] % 3) as f32);
    let data = InMemory::new(x, y)?; // first axis = examples
    let (input, target) = data.get(7)?; // [4] and []
    assert_eq!((input.shape(), target.shape()), (&[4][..], &[][..]));

    let parts = random_split(data.clone(), &[70, 20, 10], 42)?;
    assert_eq!(parts[2].len(), 10);
    let evens = Subset::new(Arc::new(data), (0..100).step_by(2).collect())?;
    assert_eq!(evens.len(), 50);
    Ok(())
}

#[test]
fn transforms_section() -> Result<(), DataError> {
    let cifar_train = Compose::new()
        .then(RandomCrop::new([32, 32], 4)?)
        .then(RandomHorizontalFlip::new(0.5)?)
        .then(Normalize::new(
            vec![0.4914, 0.4822, 0.4465],
            vec![0.2470, 0.2435, 0.2616],
        )?);
    // What a loader with seed 3 does to example 17 in epoch 2:
    let x = cifar_train.apply(
        Tensor::<f32>::full([3, 32, 32], 0.5),
        &mut example_rng(3, 2, 17),
    )?;
    assert_eq!(x.shape(), &[3, 32, 32]);
    Ok(())
}
