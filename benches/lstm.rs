//! LSTM: one layer over a sequence, `f32`, with Youshi pinned to one thread and on all
//! threads, beside the same LSTM composed from single autograd operations step by step (the
//! baseline the fused recurrence replaces).
//!
//! | name | L | N | H_in | H | layers |
//! |---|---|---|---|---|---|
//! | `L35_N32_128to256` | 35 | 32 | 128 | 256 | 1 |
//!
//! `forward` runs on `Graph::no_grad()`; `forward_backward` records the graph and
//! back-propagates the sum of the outputs into the parameters. Throughput counts the FLOPs of
//! the forward GEMMs, `2 * L * N * 4H * (H_in + H)`, for both (the backward does about twice
//! the forward's work on top).

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use youshi_autograd::{Graph, Param, Result, Var};
use youshi_layers::recurrent::{Lstm, LstmConfig};
use youshi_layers::{Module, ModuleExt};
use youshi_tensor::{seeded_rng, set_num_threads, Tensor};

const NAME: &str = "L35_N32_128to256";
const STEPS: usize = 35;
const BATCH: usize = 32;
const INPUT: usize = 128;
const HIDDEN: usize = 256;

/// The LSTM composed from matmul, add, narrow, sigmoid, tanh and mul, one step at a time.
fn unfused(lstm: &Lstm<f32>, x: &Var<f32>) -> Result<Var<f32>> {
    let g = x.graph();
    let w = lstm.weights(0, false).expect("layer 0");
    let p = |p: &Param<f32>| g.param(p);
    let (w_ih, w_hh) = (p(&w.weight_ih), p(&w.weight_hh));
    let (b_ih, b_hh) = (
        p(w.bias_ih.as_ref().expect("bias")),
        p(w.bias_hh.as_ref().expect("bias")),
    );
    let xw = x
        .reshape(&[(STEPS * BATCH) as isize, INPUT as isize])?
        .matmul(&w_ih.t()?)?
        .add(&b_ih)?;
    let w_hh_t = w_hh.t()?;
    let mut h = g.constant(Tensor::zeros([BATCH, HIDDEN]));
    let mut c = g.constant(Tensor::zeros([BATCH, HIDDEN]));
    let mut outs = Vec::with_capacity(STEPS);
    for t in 0..STEPS {
        let gates = xw
            .narrow(0, t * BATCH, BATCH)?
            .add(&h.matmul(&w_hh_t)?)?
            .add(&b_hh)?;
        let gate = |k: usize| gates.narrow(1, k * HIDDEN, HIDDEN);
        let (i, f, gg, o) = (
            gate(0)?.sigmoid()?,
            gate(1)?.sigmoid()?,
            gate(2)?.tanh()?,
            gate(3)?.sigmoid()?,
        );
        c = f.mul(&c)?.add(&i.mul(&gg)?)?;
        h = o.mul(&c.tanh()?)?;
        outs.push(h.clone());
    }
    Var::stack(&outs.iter().collect::<Vec<_>>(), 0)
}

fn lstm(c: &mut Criterion) {
    let model: Lstm<f32> = LstmConfig::new(INPUT, HIDDEN)
        .init(&mut seeded_rng(0))
        .expect("valid config");
    let x = Tensor::<f32>::rand_uniform([STEPS, BATCH, INPUT], -1.0, 1.0, &mut seeded_rng(1))
        .expect("valid bounds");
    // The baseline computes the same values.
    let graph = Graph::no_grad();
    let fused = model
        .forward(&graph.constant(x.clone()))
        .expect("valid input");
    let composed = unfused(&model, &graph.constant(x.clone())).expect("valid input");
    assert!(fused.value().allclose(composed.value(), 1e-4, 1e-5));
    let flops = 2 * STEPS * BATCH * 4 * HIDDEN * (INPUT + HIDDEN);
    let mut g = c.benchmark_group("lstm_f32_forward_flops");
    g.throughput(Throughput::Elements(flops as u64));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    for (label, threads) in [("1t", 1), ("all", 0)] {
        set_num_threads(threads).expect("threads start");
        g.bench_function(BenchmarkId::new(format!("forward_{label}"), NAME), |b| {
            b.iter(|| {
                let graph = Graph::no_grad();
                black_box(
                    model
                        .forward(&graph.constant(x.clone()))
                        .expect("valid input"),
                )
            })
        });
        g.bench_function(
            BenchmarkId::new(format!("forward_backward_{label}"), NAME),
            |b| {
                b.iter(|| {
                    let graph = Graph::new();
                    let y = model
                        .forward(&graph.constant(x.clone()))
                        .expect("valid input");
                    model.zero_grad();
                    y.sum_all().expect("sum").backward().expect("backward");
                })
            },
        );
        g.bench_function(
            BenchmarkId::new(format!("forward_unfused_{label}"), NAME),
            |b| {
                b.iter(|| {
                    let graph = Graph::no_grad();
                    black_box(unfused(&model, &graph.constant(x.clone())).expect("valid input"))
                })
            },
        );
        g.bench_function(
            BenchmarkId::new(format!("forward_backward_unfused_{label}"), NAME),
            |b| {
                b.iter(|| {
                    let graph = Graph::new();
                    let y = unfused(&model, &graph.constant(x.clone())).expect("valid input");
                    model.zero_grad();
                    y.sum_all().expect("sum").backward().expect("backward");
                })
            },
        );
    }
    set_num_threads(0).expect("threads start");
    g.finish();
}

criterion_group!(benches, lstm);
criterion_main!(benches);
