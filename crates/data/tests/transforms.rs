//! Pixel scaling and transforms against PyTorch (fixtures/transforms.py) and naive
//! references, and their error paths.

mod common;

use common::{Fixture, Scratch};
use proptest::prelude::*;
use youshi_data::mnist::Mnist;
use youshi_data::rng::example_rng;
use youshi_data::transform::{Compose, Normalize, RandomCrop, RandomHorizontalFlip, Transform};
use youshi_data::{Pixels, Result};
use youshi_tensor::{seeded_rng, Tensor, TensorRng};

fn x<T: youshi_tensor::Element>(fx: &Fixture) -> Tensor<T> {
    Tensor::from_vec(fx.f64s("x"), [3, 5, 6]).unwrap().cast()
}

const MEAN: [f64; 3] = [0.4914, 0.4822, 0.4465];
const STD: [f64; 3] = [0.2470, 0.2435, 0.2616];

#[test]
fn unit_pixels_equal_torch_to_tensor_scaling() {
    let fx = Fixture::load("transforms");
    // One 16 x 16 image holding every byte value, with one label.
    let dir = Scratch::new("unit-scale");
    let mut images = vec![0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 16, 0, 0, 0, 16];
    images.extend(0..=255u8);
    let a = dir.write("images", &images);
    let b = dir.write("labels", &[0, 0, 8, 1, 0, 0, 0, 1, 3]);
    let m = Mnist::from_files(a, b).unwrap();
    let got: Vec<f64> = m
        .images::<f32>(Pixels::Unit)
        .to_vec()
        .into_iter()
        .map(f64::from)
        .collect();
    assert_eq!(got, fx.f64s("unit_scale"));
}

#[test]
fn normalize_equals_torch_in_f32_and_f64() {
    let fx = Fixture::load("transforms");
    let n = Normalize::new(MEAN, STD).unwrap();
    let mut rng = seeded_rng(0);
    let got32: Vec<f64> = n
        .apply(x::<f32>(&fx), &mut rng)
        .unwrap()
        .to_vec()
        .into_iter()
        .map(f64::from)
        .collect();
    assert_eq!(got32, fx.f64s("normalize_f32"));
    let got64 = n.apply(x::<f64>(&fx), &mut rng).unwrap().to_vec();
    assert_eq!(got64, fx.f64s("normalize_f64"));
    // One mean and std for all channels.
    let one = Normalize::new([1.0], [2.0]).unwrap();
    let y = one
        .apply(
            Tensor::<f64>::from_vec(vec![3.0, 5.0], [2]).unwrap(),
            &mut rng,
        )
        .unwrap();
    assert_eq!(y.to_vec(), vec![1.0, 2.0]);
    assert_eq!((one.mean(), one.std()), (&[1.0][..], &[2.0][..]));
}

#[test]
fn crop_and_flip_equal_torch() {
    let fx = Fixture::load("transforms");
    let input = x::<f64>(&fx);
    let crop = RandomCrop::new([4, 5], 2).unwrap();
    for (i, j) in [(0, 0), (5, 5), (1, 3), (2, 2)] {
        let got = crop.crop_at(&input, i, j).unwrap();
        assert_eq!(got.shape(), &[3, 4, 5]);
        assert_eq!(
            got.to_vec(),
            fx.f64s(&format!("crop_{i}_{j}")),
            "at ({i}, {j})"
        );
    }
    let flipped = RandomHorizontalFlip::flip(&input).unwrap();
    assert_eq!(flipped.to_vec(), fx.f64s("flip"));
}

/// The naive crop: pad with `Tensor::pad`, then slice the window.
fn naive_crop(x: &Tensor<f64>, size: [usize; 2], p: usize, i: usize, j: usize) -> Tensor<f64> {
    let r = x.ndim();
    let mut pads = vec![(0, 0); r];
    pads[r - 2] = (p, p);
    pads[r - 1] = (p, p);
    x.pad(&pads, 0.0)
        .unwrap()
        .narrow(r as isize - 2, i, size[0])
        .unwrap()
        .narrow(r as isize - 1, j, size[1])
        .unwrap()
        .contiguous()
}

proptest! {
    #[test]
    fn random_crop_matches_pad_then_slice(
        c in 1usize..4, h in 1usize..9, w in 1usize..9, p in 0usize..4,
        th in 1usize..9, tw in 1usize..9, seed: u64,
    ) {
        let x = Tensor::<f64>::from_shape_fn([c, h, w], |i| (i[0] * 100 + i[1] * 10 + i[2]) as f64 + 1.0);
        let crop = RandomCrop::new([th, tw], p).unwrap();
        let mut rng = seeded_rng(seed);
        let fits = th <= h + 2 * p && tw <= w + 2 * p;
        match crop.apply(x.clone(), &mut rng) {
            Ok(y) => {
                prop_assert!(fits);
                // Replay the draws: top row first, then left column.
                let mut replay = seeded_rng(seed);
                let i = youshi_data::rng::below(&mut replay, (h + 2 * p - th + 1) as u64) as usize;
                let j = youshi_data::rng::below(&mut replay, (w + 2 * p - tw + 1) as u64) as usize;
                prop_assert_eq!(y, naive_crop(&x, [th, tw], p, i, j));
            }
            Err(e) => {
                prop_assert!(!fits);
                let want = format!("RandomCrop: cannot crop {} x {}", th, tw);
                prop_assert!(e.to_string().starts_with(&want), "{}", e);
            }
        }
    }

    #[test]
    fn flipping_twice_is_the_identity(r in 1usize..4, n in 1usize..7, seed: u64) {
        let shape: Vec<usize> = (0..r).map(|k| n + k).collect();
        let x = Tensor::<f32>::rand_uniform(shape, 0.0, 1.0, &mut seeded_rng(seed)).unwrap();
        let y = RandomHorizontalFlip::flip(&x).unwrap();
        prop_assert_eq!(RandomHorizontalFlip::flip(&y).unwrap(), x.clone());
        let last = x.ndim() - 1;
        let w = x.shape()[last];
        prop_assert_eq!(y.select(last as isize, 0).unwrap(), x.select(last as isize, w - 1).unwrap());
    }
}

#[test]
fn crop_reaches_every_position_and_flip_rate_is_p() {
    let crop = RandomCrop::new([3, 3], 1).unwrap();
    let x = Tensor::<f32>::from_shape_fn([1, 3, 3], |i| (i[1] * 3 + i[2] + 1) as f32);
    let mut seen = std::collections::HashSet::new();
    for index in 0..300 {
        let y = crop
            .apply(x.clone(), &mut example_rng(0, 0, index))
            .unwrap();
        seen.insert(y.to_vec().iter().map(|v| *v as u32).collect::<Vec<_>>());
    }
    assert_eq!(seen.len(), 9, "all 3 x 3 offsets of a 5 x 5 padded image");

    let img = Tensor::<f32>::from_shape_fn([1, 1, 2], |i| i[2] as f32);
    for (p, lo, hi) in [(0.0, 0, 0), (0.3, 250, 350), (1.0, 1000, 1000)] {
        let flip = RandomHorizontalFlip::new(p).unwrap();
        let flips = (0..1000)
            .filter(|&k| {
                let y = flip.apply(img.clone(), &mut example_rng(1, 0, k)).unwrap();
                y.to_vec() == vec![1.0, 0.0]
            })
            .count();
        assert!((lo..=hi).contains(&flips), "p {p}: {flips} flips of 1000");
    }
}

#[test]
fn compose_runs_in_order_and_accepts_closures() {
    let add_one =
        |x: Tensor<f64>, _: &mut TensorRng| -> Result<Tensor<f64>> { Ok(x.map(|v| v + 1.0)) };
    let double =
        |x: Tensor<f64>, _: &mut TensorRng| -> Result<Tensor<f64>> { Ok(x.map(|v| v * 2.0)) };
    let t = Compose::new().then(add_one).then(double);
    assert_eq!(t.len(), 2);
    let y = t.apply(Tensor::scalar(1.0), &mut seeded_rng(0)).unwrap();
    assert_eq!(y.item().unwrap(), 4.0);
    let id = Compose::<f64>::default();
    assert!(id.is_empty());
    assert_eq!(
        id.apply(Tensor::scalar(3.0), &mut seeded_rng(0))
            .unwrap()
            .item()
            .unwrap(),
        3.0
    );
    assert_eq!(format!("{t:?}"), "Compose(2 transforms)");
}

#[test]
fn invalid_parameters_and_inputs_are_errors() {
    let mut rng = seeded_rng(0);
    let e = Normalize::new(vec![0.5, 0.5], vec![0.2]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Normalize::new: mean and std must be non-empty lists of one length, got 2 and 1 values"
    );
    assert!(Normalize::new(Vec::new(), Vec::new()).is_err());
    let e = Normalize::new([0.5], [0.0]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Normalize::new: std 0 is not a positive finite number"
    );
    let e = Normalize::new([f64::NAN], [1.0]).unwrap_err();
    assert_eq!(e.to_string(), "Normalize::new: mean NaN is not finite");
    let n = Normalize::new(MEAN, STD).unwrap();
    let e = n
        .apply(Tensor::<f32>::zeros([1, 28, 28]), &mut rng)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Normalize: input [1, 28, 28] needs a first (channel) axis of extent 3 to match the mean \
         and std"
    );
    assert!(n.apply(Tensor::<f32>::scalar(1.0), &mut rng).is_err());

    let e = RandomCrop::new([0, 4], 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "RandomCrop::new: crop size [0, 4] must be positive, with a product that fits in memory"
    );
    assert!(RandomCrop::new([usize::MAX, 2], 0).is_err());
    // Sizes that would overflow are errors, not panics.
    let huge = RandomCrop::new([4, 4], usize::MAX).unwrap();
    let e = huge
        .apply(Tensor::<f32>::zeros([1, 4, 4]), &mut rng)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "RandomCrop: padding input [1, 4, 4] by 18446744073709551615 overflows"
    );
    let e = RandomCrop::new([4, 4], 0)
        .unwrap()
        .crop_at(&Tensor::<f32>::zeros([1, 4, 4]), usize::MAX, 0)
        .unwrap_err();
    assert!(e.to_string().contains("does not fit"), "{e}");
    let wide = RandomCrop::new([1 << 31, 1 << 31], 1 << 31).unwrap();
    let e = wide
        .crop_at(&Tensor::<f32>::zeros([1 << 3, 1, 1]), 0, 0)
        .unwrap_err();
    assert!(e.to_string().contains("overflow"), "{e}");
    let crop = RandomCrop::new([8, 8], 1).unwrap();
    let e = crop
        .apply(Tensor::<f32>::zeros([1, 5, 9]), &mut rng)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "RandomCrop: cannot crop 8 x 8 from input [1, 5, 9] padded by 1 to 7 x 11"
    );
    let e = crop
        .crop_at(&Tensor::<f32>::zeros([1, 8, 8]), 3, 0)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "RandomCrop: a 8 x 8 window at (3, 0) does not fit in input [1, 8, 8] padded by 1 to 10 x 10"
    );
    let e = crop.apply(Tensor::<f32>::zeros([9]), &mut rng).unwrap_err();
    assert!(e.to_string().contains("rank >= 2, got shape [9]"), "{e}");

    let e = RandomHorizontalFlip::new(1.5).unwrap_err();
    assert_eq!(
        e.to_string(),
        "RandomHorizontalFlip::new: probability must lie in [0, 1], got 1.5"
    );
    assert!(RandomHorizontalFlip::new(f64::NAN).is_err());
    let e = RandomHorizontalFlip::new(0.5)
        .unwrap()
        .apply(Tensor::<f32>::scalar(1.0), &mut rng)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "RandomHorizontalFlip: cannot flip a scalar (shape [])"
    );
}
