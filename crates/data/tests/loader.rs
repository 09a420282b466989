//! DataLoader: seeded order pinned to the reference script, drop_last, background loading
//! identical to foreground loading, early drops, and error propagation.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Fixture;
use rand::RngCore;
use youshi_data::mnist::{bundled_dir, Mnist};
use youshi_data::rng::{
    below, derive_rng, epoch_order, example_rng, permutation, AUGMENT, SHUFFLE, SPLIT,
};
use youshi_data::transform::{Normalize, RandomCrop, RandomHorizontalFlip, Transform};
use youshi_data::{
    Batch, Batches, DataError, DataLoader, Dataset, InMemory, Pixels, Result, Split,
};
use youshi_tensor::random::unit_f64;
use youshi_tensor::{Tensor, TensorRng};

/// `n` examples whose input is `[index, index + 0.5]` and target the index.
fn indexed(n: usize) -> InMemory<f32> {
    InMemory::new(
        Tensor::from_shape_fn([n, 2], |i| i[0] as f32 + 0.5 * i[1] as f32),
        Tensor::from_shape_fn([n], |i| i[0] as f32),
    )
    .unwrap()
}

/// `n` small images `[2, 6, 6]` with distinct pixels.
fn images(n: usize) -> InMemory<f32> {
    InMemory::new(
        Tensor::from_shape_fn([n, 2, 6, 6], |i| {
            (i[0] * 72 + i[1] * 36 + i[2] * 6 + i[3]) as f32 / 100.0
        }),
        Tensor::from_shape_fn([n], |i| (i[0] % 10) as f32),
    )
    .unwrap()
}

/// The example indices of one epoch, read back from the targets.
fn visited<B: Batches>(loader: &mut B, epoch: usize) -> Vec<usize> {
    loader
        .epoch(epoch)
        .flat_map(|b| b.unwrap().targets.to_vec())
        .map(|t| t as usize)
        .collect()
}

fn collect(loader: &DataLoader, epoch: usize) -> Vec<Batch> {
    loader
        .iter_epoch(epoch)
        .collect::<Result<Vec<_>>>()
        .unwrap()
}

fn assert_same(a: &[Batch], b: &[Batch]) {
    assert_eq!(a.len(), b.len());
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.inputs, y.inputs, "inputs of batch {k}");
        assert_eq!(x.targets, y.targets, "targets of batch {k}");
    }
}

#[test]
fn seeded_algorithms_match_the_reference_script() {
    let fx = Fixture::load("rng");
    assert_eq!(
        vec![derive_rng(0, 0, 0, SHUFFLE).next_u64()],
        fx.u64s("first_u64_seed0")
    );
    let mut g = derive_rng(1, 2, 3, AUGMENT);
    let words: Vec<u64> = (0..4).map(|_| g.next_u64()).collect();
    assert_eq!(words, fx.u64s("u64_1_2_3_augment"));
    assert_eq!(epoch_order(0, 0, 10), fx.usizes("order_s0_e0_n10"));
    assert_eq!(epoch_order(0, 1, 10), fx.usizes("order_s0_e1_n10"));
    assert_eq!(
        epoch_order(0, 0, 60_000)[..20].to_vec(),
        fx.usizes("order_s0_e0_n60000_first20")
    );
    assert_eq!(
        epoch_order(12_345, 7, 1000)[..20].to_vec(),
        fx.usizes("order_s12345_e7_n1000_first20")
    );
    assert_eq!(
        permutation(20, &mut derive_rng(0, 0, 0, SPLIT)),
        fx.usizes("split_s0_n20")
    );
    let draws: Vec<usize> = (0..8)
        .flat_map(|index| {
            let mut r = example_rng(3, 2, index);
            let i = below(&mut r, 9) as usize;
            let j = below(&mut r, 9) as usize;
            let flip = usize::from(unit_f64(&mut r) < 0.5);
            [i, j, flip]
        })
        .collect();
    assert_eq!(draws, fx.usizes("crop_flip_s3_e2_i0to8"));
}

#[test]
fn shuffled_order_is_pinned_for_seed_0() {
    // Pinned so that any change of the shuffling algorithm is caught: these are the first
    // indices of epochs 0 and 1 of a 10-example dataset with seed 0.
    let mut loader = DataLoader::new(indexed(10), 3).unwrap().shuffle(0);
    assert_eq!(visited(&mut loader, 0), vec![7, 4, 2, 3, 9, 8, 0, 5, 6, 1]);
    assert_eq!(visited(&mut loader, 1), vec![9, 6, 4, 0, 5, 1, 3, 2, 8, 7]);
}

#[test]
fn shuffling_is_reproducible_and_changes_with_the_epoch() {
    let mut a = DataLoader::new(indexed(100), 7).unwrap().shuffle(11);
    let mut b = DataLoader::new(indexed(100), 7).unwrap().shuffle(11);
    let mut c = DataLoader::new(indexed(100), 7).unwrap().shuffle(12);
    let e0 = visited(&mut a, 0);
    assert_eq!(e0, visited(&mut b, 0));
    assert_ne!(e0, visited(&mut a, 1));
    assert_ne!(e0, visited(&mut c, 0));
    let mut sorted = e0.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    // Epoch 5 of a fresh loader is epoch 5 of one that ran epochs 0..5 (exact resume).
    for k in 0..5 {
        visited(&mut a, k);
    }
    assert_eq!(visited(&mut a, 5), visited(&mut b, 5));
    assert_eq!(visited(&mut a, 5), a.order(5));
    // Without shuffling: index order every epoch.
    let mut plain = DataLoader::new(indexed(5), 2).unwrap();
    assert!(!plain.is_shuffled());
    assert_eq!(visited(&mut plain, 3), vec![0, 1, 2, 3, 4]);
}

#[test]
fn drop_last_and_batch_counts() {
    let sizes = |loader: &mut DataLoader| -> Vec<usize> {
        loader.epoch(0).map(|b| b.unwrap().len()).collect()
    };
    for (n, bs, keep, drop) in [
        (10, 4, vec![4, 4, 2], vec![4, 4]),
        (8, 4, vec![4, 4], vec![4, 4]),
        (3, 4, vec![3], vec![]),
        (1, 1, vec![1], vec![1]),
    ] {
        let mut l = DataLoader::new(indexed(n), bs).unwrap();
        assert_eq!(l.num_batches(), Some(keep.len()));
        assert_eq!(sizes(&mut l), keep, "n {n}, batch {bs}");
        let mut l = DataLoader::new(indexed(n), bs)
            .unwrap()
            .drop_last(true)
            .shuffle(1)
            .prefetch(2);
        assert_eq!(l.num_batches(), Some(drop.len()));
        assert_eq!(l.is_empty(), drop.is_empty());
        assert_eq!(sizes(&mut l), drop, "n {n}, batch {bs}, drop_last");
    }
    // drop_last leaves out the tail of the epoch's order.
    let mut l = DataLoader::new(indexed(10), 4)
        .unwrap()
        .shuffle(5)
        .drop_last(true);
    assert_eq!(visited(&mut l, 2), l.order(2)[..8].to_vec());
    // An empty dataset has no batches.
    let empty = InMemory::new(Tensor::<f32>::zeros([0, 2]), Tensor::zeros([0])).unwrap();
    let mut l = DataLoader::new(empty, 4).unwrap().prefetch(1);
    assert_eq!(l.num_batches(), Some(0));
    assert!(l.epoch(0).next().is_none());
    let e = DataLoader::new(indexed(3), 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "DataLoader::new: batch size must be at least 1, got 0"
    );
}

/// The CIFAR-style augmentation, sized for 6 x 6 images.
fn augmented(data: InMemory<f32>, batch: usize, seed: u64) -> DataLoader {
    DataLoader::new(data, batch)
        .unwrap()
        .shuffle(seed)
        .transform(RandomCrop::new([6, 6], 2).unwrap())
        .transform(RandomHorizontalFlip::new(0.5).unwrap())
        .transform(Normalize::new(vec![0.3, 0.6], vec![0.2, 0.25]).unwrap())
}

#[test]
fn background_loading_yields_the_foreground_batches() {
    let fg = augmented(images(50), 6, 7);
    for prefetch in [1, 3, 16] {
        let bg = augmented(images(50), 6, 7).prefetch(prefetch);
        for epoch in 0..4 {
            assert_same(&collect(&fg, epoch), &collect(&bg, epoch));
        }
    }
    // A clone shares the dataset and settings.
    let bg = fg.clone().prefetch(2);
    assert!(Arc::ptr_eq(fg.dataset(), bg.dataset()));
    assert_same(&collect(&fg, 5), &collect(&bg, 5));
    // The transforms did something, and differently per epoch.
    let raw = DataLoader::new(images(50), 6).unwrap().shuffle(7);
    assert_ne!(collect(&fg, 0)[0].inputs, collect(&raw, 0)[0].inputs);
    assert_ne!(collect(&fg, 0)[0].inputs, collect(&fg, 1)[0].inputs);
    assert_eq!(collect(&fg, 0)[0].inputs.shape(), &[6, 2, 6, 6]);
}

#[test]
fn each_example_gets_its_own_seeded_augmentation() {
    // Batch composition does not change an example's augmentation: it depends on
    // (seed, epoch, index) only.
    let by3 = augmented(images(12), 3, 9);
    let by5 = augmented(images(12), 5, 9);
    let rows = |l: &DataLoader| -> Vec<(usize, Vec<f32>)> {
        let mut out: Vec<(usize, Vec<f32>)> = Vec::new();
        for b in collect(l, 2) {
            for r in 0..b.len() {
                let index = b.targets.get(&[r]).unwrap() as usize;
                out.push((index, b.inputs.select(0, r).unwrap().to_vec()));
            }
        }
        out
    };
    let (a, b) = (rows(&by3), rows(&by5));
    assert_eq!(a, b);
    // And it is the composed transform run with example_rng(seed, epoch, index).
    let t = youshi_data::transform::Compose::new()
        .then(RandomCrop::new([6, 6], 2).unwrap())
        .then(RandomHorizontalFlip::new(0.5).unwrap())
        .then(Normalize::new(vec![0.3, 0.6], vec![0.2, 0.25]).unwrap());
    let data = images(12);
    let order = by3.order(2);
    let (x, _) = data.get(order[0]).unwrap();
    let want = t.apply(x, &mut example_rng(9, 2, order[0])).unwrap();
    assert_eq!(a[0].1, want.to_vec());
}

#[test]
fn bundled_mnist_epoch_in_the_background() {
    let test = Mnist::load(bundled_dir(), Split::Test).unwrap();
    let counts = test.label_counts();
    let data = Arc::new(test.to_dataset::<f32>(Pixels::Unit));
    let make = || {
        DataLoader::from_shared(data.clone(), 500)
            .unwrap()
            .shuffle(0)
            .transform(RandomCrop::new([28, 28], 2).unwrap())
            .transform(Normalize::new(vec![0.1307], vec![0.3081]).unwrap())
    };
    let fg = collect(&make(), 0);
    let bg = collect(&make().prefetch(2), 0);
    assert_same(&fg, &bg);
    assert_eq!(fg.len(), 20);
    let mut seen = [0usize; 10];
    for b in &fg {
        assert_eq!(b.inputs.shape(), &[500, 1, 28, 28]);
        for t in b.targets.to_vec() {
            seen[t as usize] += 1;
        }
    }
    assert_eq!(seen, counts, "an epoch visits every example once");
}

#[test]
fn dropping_an_epoch_early_stops_and_joins_the_worker() {
    let data: Arc<dyn Dataset> = Arc::new(indexed(1000));
    let mut loader = DataLoader::from_shared(Arc::clone(&data), 1)
        .unwrap()
        .prefetch(1);
    assert_eq!(Arc::strong_count(&data), 2);
    {
        let mut it = loader.epoch(0);
        assert_eq!(it.next().unwrap().unwrap().len(), 1);
        // The worker holds the dataset while it runs (blocked on the full channel).
        assert_eq!(Arc::strong_count(&data), 3);
        let start = Instant::now();
        drop(it);
        assert!(start.elapsed() < Duration::from_secs(2));
    }
    // Joined: the worker's reference is gone.
    assert_eq!(Arc::strong_count(&data), 2);
    // Dropped before the first batch, and after a complete epoch.
    drop(loader.epoch(1));
    assert_eq!(Arc::strong_count(&data), 2);
    let mut small = DataLoader::from_shared(Arc::clone(&data), 400)
        .unwrap()
        .prefetch(8);
    let mut it = small.epoch(0);
    assert_eq!(it.by_ref().count(), 3);
    assert!(it.next().is_none());
    assert_eq!(
        Arc::strong_count(&data),
        3,
        "the finished worker has been joined"
    );
}

/// A dataset whose example `bad` cannot be read.
struct Faulty {
    inner: InMemory<f32>,
    bad: usize,
}

impl Dataset for Faulty {
    fn len(&self) -> usize {
        self.inner.len()
    }
    fn get(&self, index: usize) -> Result<(Tensor<f32>, Tensor<f32>)> {
        if index == self.bad {
            return Err(DataError::invalid(
                "Faulty::get",
                format!("example {index} is unreadable"),
            ));
        }
        self.inner.get(index)
    }
}

#[test]
fn errors_reach_the_consumer_and_end_the_epoch() {
    for prefetch in [0, 2] {
        let mut loader = DataLoader::new(
            Faulty {
                inner: indexed(10),
                bad: 5,
            },
            2,
        )
        .unwrap()
        .prefetch(prefetch);
        let items: Vec<Result<Batch>> = loader.epoch(0).collect();
        // Batches [0, 1], [2, 3], then the error in [4, 5], then nothing.
        assert_eq!(items.len(), 3, "prefetch {prefetch}");
        assert!(items[1].is_ok());
        let e = items[2].as_ref().unwrap_err();
        assert_eq!(e.to_string(), "Faulty::get: example 5 is unreadable");
    }
    // A transform that rejects its input.
    let mut loader = DataLoader::new(indexed(4), 2)
        .unwrap()
        .transform(RandomCrop::new([3, 3], 0).unwrap())
        .prefetch(1);
    let e = loader.epoch(0).next().unwrap().unwrap_err();
    assert!(
        e.to_string()
            .starts_with("RandomCrop: expected an image [..., H, W] of rank >= 2, got shape [2]"),
        "{e}"
    );
}

#[test]
fn a_panicking_worker_is_reported_not_propagated() {
    let boom = |x: Tensor<f32>, _rng: &mut TensorRng| -> Result<Tensor<f32>> {
        if x.get(&[0]).unwrap() == 3.0 {
            panic!("boom at example 3");
        }
        Ok(x)
    };
    let mut loader = DataLoader::new(indexed(6), 2)
        .unwrap()
        .transform(boom)
        .prefetch(1);
    let items: Vec<Result<Batch>> = loader.epoch(0).collect();
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    let e = items[1].as_ref().unwrap_err();
    assert!(matches!(e, DataError::Worker { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "background batch loader: the thread panicked: boom at example 3"
    );
}

#[test]
fn loaders_plug_into_code_generic_over_batches() {
    fn examples_per_epoch<B: Batches>(source: &mut B, epochs: usize) -> Vec<usize> {
        (0..epochs)
            .map(|e| source.epoch(e).map(|b| b.unwrap().len()).sum())
            .collect()
    }
    let mut loader = DataLoader::new(indexed(9), 4)
        .unwrap()
        .shuffle(3)
        .prefetch(2);
    assert_eq!(examples_per_epoch(&mut loader, 3), vec![9, 9, 9]);
    let mut fixed = collect(&DataLoader::new(indexed(9), 4).unwrap(), 0);
    assert_eq!(examples_per_epoch(&mut fixed, 2), vec![9, 9]);
    let dbg = format!("{loader:?}");
    assert!(
        dbg.contains("batch_size: 4") && dbg.contains("prefetch: 2"),
        "{dbg}"
    );
    assert_eq!(loader.batch_size(), 4);
    assert_eq!(loader.dataset().len(), 9);
}
