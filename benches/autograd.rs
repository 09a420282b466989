//! Autograd: the cost of a forward pass on a graph that records nothing, and of a recorded
//! forward pass plus backward into `Param`s, for two small `f32` networks.
//!
//! | group | network |
//! |---|---|
//! | `autograd_mlp_784_512_256_10_b128` | batch 128: `x W1ᵀ + b1`, relu, `W2ᵀ + b2`, relu, `W3ᵀ + b3`, log-softmax, mean of the target log-probabilities |
//! | `autograd_conv_c2` | conv C2 of the conv bench: N = 64, 32 → 64 channels, 14×14, 3×3 kernel, padding 1, with bias; the loss is the sum of the outputs |
//!
//! `forward` builds the value on `Graph::no_grad()` (parameters enter as constants, nothing is
//! saved); `forward_backward` records the graph and back-propagates into the parameters (and,
//! for the convolution, into its input, as for a layer inside a network).

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use youshi_autograd::{Graph, Param, Result, Var};
use youshi_tensor::{seeded_rng, Conv2dOptions, Indices, Tensor};

// -------------------------------------------------------------------------------------------
// Networks
// -------------------------------------------------------------------------------------------

fn uniform(shape: &[usize], bound: f32, seed: u64) -> Tensor<f32> {
    Tensor::rand_uniform(shape, -bound, bound, &mut seeded_rng(seed)).expect("valid bounds")
}

/// A layer's weight `[out, inp]` and bias `[out]`, PyTorch's default initialisation range.
fn layer(inp: usize, out: usize, seed: u64) -> [Param<f32>; 2] {
    let bound = 1.0 / (inp as f32).sqrt();
    [
        Param::new(uniform(&[out, inp], bound, seed)),
        Param::new(uniform(&[out], bound, seed + 1)),
    ]
}

/// `x wᵀ + b` (the transpose is a view: the GEMM reads `w` in place).
fn linear(x: &Var<f32>, w: &Var<f32>, b: &Var<f32>) -> Result<Var<f32>> {
    x.matmul(&w.t()?)?.add(b)
}

struct Mlp {
    x: Tensor<f32>,
    targets: Indices,
    params: Vec<Param<f32>>,
}

impl Mlp {
    const BATCH: usize = 128;
    const SIZES: [usize; 4] = [784, 512, 256, 10];

    fn new() -> Self {
        let classes = Self::SIZES[3];
        let targets = uniform(&[Self::BATCH, 1], 1.0, 2)
            .to_vec()
            .iter()
            .map(|&u| (((u + 1.0) / 2.0 * classes as f32) as usize).min(classes - 1))
            .collect();
        Mlp {
            x: uniform(&[Self::BATCH, Self::SIZES[0]], 1.0, 1),
            targets: Indices::from_shape_vec(vec![Self::BATCH, 1], targets).expect("[B, 1]"),
            params: Self::SIZES
                .windows(2)
                .enumerate()
                .flat_map(|(k, s)| layer(s[0], s[1], 10 + 2 * k as u64))
                .collect(),
        }
    }

    /// The mean target log-probability (the negative log-likelihood up to its sign).
    fn loss(&self, g: &Graph<f32>) -> Result<Var<f32>> {
        let p: Vec<Var<f32>> = self.params.iter().map(|p| g.param(p)).collect();
        let h = linear(&g.constant(self.x.clone()), &p[0], &p[1])?.relu()?;
        let h = linear(&h, &p[2], &p[3])?.relu()?;
        let logits = linear(&h, &p[4], &p[5])?;
        logits.log_softmax(-1)?.gather(1, &self.targets)?.mean_all()
    }
}

struct ConvLayer {
    x: Tensor<f32>,
    weight: Param<f32>,
    bias: Param<f32>,
    ones: Tensor<f32>,
    opts: Conv2dOptions,
}

impl ConvLayer {
    fn new() -> Self {
        let (n, c_in, c_out, hw) = (64, 32, 64, 14);
        let bound = 1.0 / ((c_in * 9) as f32).sqrt();
        ConvLayer {
            x: uniform(&[n, c_in, hw, hw], 1.0, 20),
            weight: Param::new(uniform(&[c_out, c_in, 3, 3], bound, 21)),
            bias: Param::new(uniform(&[c_out], bound, 22)),
            ones: Tensor::ones([n, c_out, hw, hw]),
            opts: Conv2dOptions::new().padding(1),
        }
    }

    fn forward(&self, g: &Graph<f32>, x: &Var<f32>) -> Result<Var<f32>> {
        x.conv2d(
            &g.param(&self.weight),
            Some(&g.param(&self.bias)),
            self.opts,
        )
    }
}

// -------------------------------------------------------------------------------------------
// Benchmarks
// -------------------------------------------------------------------------------------------

fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
}

fn mlp(c: &mut Criterion) {
    let net = Mlp::new();
    let mut g = c.benchmark_group("autograd_mlp_784_512_256_10_b128");
    configure(&mut g);
    g.bench_function("forward", |b| {
        b.iter(|| {
            let graph = Graph::no_grad();
            black_box(net.loss(&graph).expect("valid shapes"))
        })
    });
    g.bench_function("forward_backward", |b| {
        b.iter(|| {
            net.params.iter().for_each(Param::zero_grad);
            let graph = Graph::new();
            net.loss(&graph)
                .and_then(|loss| loss.backward())
                .expect("valid shapes");
            black_box(&net.params);
        })
    });
    g.finish();
}

fn conv(c: &mut Criterion) {
    let layer = ConvLayer::new();
    let mut g = c.benchmark_group("autograd_conv_c2");
    configure(&mut g);
    g.bench_function("forward", |b| {
        b.iter(|| {
            let graph = Graph::no_grad();
            let x = graph.constant(layer.x.clone());
            black_box(layer.forward(&graph, &x).expect("valid shapes"))
        })
    });
    g.bench_function("forward_backward", |b| {
        b.iter(|| {
            layer.weight.zero_grad();
            layer.bias.zero_grad();
            let graph = Graph::new();
            let x = graph.leaf(layer.x.clone());
            // A gradient of ones is the gradient of the sum of the outputs.
            layer
                .forward(&graph, &x)
                .and_then(|y| y.backward_with(&layer.ones))
                .expect("valid shapes");
            black_box((x.grad(), &layer.weight, &layer.bias));
        })
    });
    g.finish();
}

criterion_group!(benches, mlp, conv);
criterion_main!(benches);
