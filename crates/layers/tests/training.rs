//! End-to-end training with the layers: a LeNet-style CNN on real MNIST images (the repository's
//! `data/mnist` files) and an MLP on a small regression problem, with plain SGD written here
//! (the optimizers live in a crate above this one).

use std::io::Read;

use youshi_autograd::{Graph, Param};
use youshi_layers::{
    Conv2dConfig, CrossEntropyLoss, Flatten, Linear, MaxPool2d, Module, ModuleExt, MseLoss,
    Padding, Pool2dConfig, Relu, Sequential, Tanh,
};
use youshi_tensor::{seeded_rng, Indices, Tensor};

/// Reads the first `n` items of a gzipped IDX file: `(dims, bytes)`.
fn idx(path: &str, n: usize) -> (Vec<usize>, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut r = flate2::read::GzDecoder::new(file);
    let mut head = [0u8; 4];
    r.read_exact(&mut head).unwrap();
    assert_eq!(
        &head[..3],
        &[0, 0, 8],
        "{path}: not an unsigned-byte IDX file"
    );
    let rank = head[3] as usize;
    let mut dims = vec![0usize; rank];
    for d in dims.iter_mut() {
        let mut b = [0u8; 4];
        r.read_exact(&mut b).unwrap();
        *d = u32::from_be_bytes(b) as usize;
    }
    dims[0] = dims[0].min(n);
    let mut data = vec![0u8; dims.iter().product()];
    r.read_exact(&mut data).unwrap();
    (dims, data)
}

fn sgd(params: &[Param<f32>], lr: f32) {
    for p in params {
        p.update(|v, g| {
            if let Some(g) = g {
                v.array_mut().zip_mut_with(&g.view(), |v, &g| *v -= lr * g);
            }
        });
    }
}

/// conv 1→32 k3 p1, ReLU, max-pool 2; conv 32→64 k3 p1, ReLU, max-pool 2; 3136→128, ReLU, 128→10.
fn lenet(seed: u64) -> Sequential {
    let mut rng = seeded_rng(seed);
    let pool = || -> MaxPool2d { Pool2dConfig::new(2).max().unwrap() };
    Sequential::new()
        .add(
            Conv2dConfig::new(1, 32, 3)
                .padding(Padding::Same)
                .init(&mut rng)
                .unwrap(),
        )
        .add(Relu)
        .add(pool())
        .add(
            Conv2dConfig::new(32, 64, 3)
                .padding(Padding::Same)
                .init(&mut rng)
                .unwrap(),
        )
        .add(Relu)
        .add(pool())
        .add(Flatten::default())
        .add(Linear::new(3136, 128, &mut rng).unwrap())
        .add(Relu)
        .add(Linear::new(128, 10, &mut rng).unwrap())
}

#[test]
fn lenet_loss_falls_on_real_mnist() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist");
    let n = 320;
    let (dims, pixels) = idx(&format!("{root}/train-images-idx3-ubyte.gz"), n);
    let (_, labels) = idx(&format!("{root}/train-labels-idx1-ubyte.gz"), n);
    assert_eq!(dims, [n, 28, 28]);
    assert_eq!(&labels[..5], &[5, 0, 4, 1, 9]);
    let x: Vec<f32> = pixels
        .iter()
        .map(|&p| (p as f32 / 255.0 - 0.1307) / 0.3081)
        .collect();
    let x = Tensor::from_vec(x, [n, 1, 28, 28]).unwrap();
    let model = lenet(0);
    assert_eq!(model.param_counts(), (421_642, 0));
    let loss_fn = CrossEntropyLoss::<f32>::new();
    let batch = 32;
    let mut epoch_losses = Vec::new();
    for _epoch in 0..5 {
        let mut total = 0.0;
        for b in 0..n / batch {
            let xb = x.narrow(0, b * batch, batch).unwrap();
            let yb = Indices::from_shape_vec(
                vec![batch],
                labels[b * batch..(b + 1) * batch]
                    .iter()
                    .map(|&l| l as usize)
                    .collect(),
            )
            .unwrap();
            let g = Graph::new();
            let logits = model.forward(&g.constant(xb)).unwrap();
            let loss = loss_fn.forward_indices(&logits, &yb).unwrap();
            model.zero_grad();
            loss.backward().unwrap();
            sgd(&model.params(), 0.1);
            total += loss.value().item().unwrap();
        }
        epoch_losses.push(total / (n / batch) as f32);
    }
    // From about ln(10) = 2.3 at the start to well below half of it.
    let (first, last) = (epoch_losses[0], epoch_losses[epoch_losses.len() - 1]);
    assert!(last < 0.5 * first && last < 0.8, "{epoch_losses:?}");
}

#[test]
fn mlp_fits_a_small_regression() {
    // y = sin(3 x0) + x1^2 on 256 seeded points.
    let mut rng = seeded_rng(5);
    let x = Tensor::<f32>::rand_uniform([256, 2], -1.0, 1.0, &mut rng).unwrap();
    let y: Vec<f32> = x
        .to_vec()
        .chunks(2)
        .map(|p| (3.0 * p[0]).sin() + p[1] * p[1])
        .collect();
    let y = Tensor::from_vec(y, [256, 1]).unwrap();
    let model: Sequential = Sequential::new()
        .add(Linear::new(2, 32, &mut rng).unwrap())
        .add(Tanh)
        .add(Linear::new(32, 32, &mut rng).unwrap())
        .add(Tanh)
        .add(Linear::new(32, 1, &mut rng).unwrap());
    let mse = MseLoss::new();
    let mut last = f32::INFINITY;
    let mut first = None;
    for _ in 0..1500 {
        let g = Graph::new();
        let pred = model.forward(&g.constant(x.clone())).unwrap();
        let loss = mse.forward(&pred, &g.constant(y.clone())).unwrap();
        model.zero_grad();
        loss.backward().unwrap();
        sgd(&model.params(), 0.1);
        last = loss.value().item().unwrap();
        first.get_or_insert(last);
    }
    assert!(last < 0.01, "regression MSE {last} (started at {first:?})");
}
