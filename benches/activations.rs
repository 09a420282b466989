//! Transcendental activations in `f32`: the vectorised slice kernels of
//! `youshi_tensor::math` beside a loop over the scalar `libm` functions, and the tensor
//! methods built on them, on one thread.
//!
//! | name | elements |
//! |---|---|
//! | `n4096` | 4096 (one LSTM step's gates at batch 4, hidden 256) |
//! | `n65536` | 65536 |
//!
//! Throughput counts elements.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use youshi_tensor::{math, seeded_rng, set_num_threads, Tensor};

fn libm_sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn activations(c: &mut Criterion) {
    set_num_threads(1).expect("threads start");
    let mut g = c.benchmark_group("activations_f32");
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    for n in [4096usize, 65536] {
        let name = format!("n{n}");
        let x = Tensor::<f32>::rand_uniform([n], -6.0, 6.0, &mut seeded_rng(0)).expect("bounds");
        let src = x.to_vec();
        let mut buf = src.clone();
        g.throughput(Throughput::Elements(n as u64));
        type Kernel = fn(&mut [f32]);
        type Scalar = fn(f32) -> f32;
        let fns: [(&str, Kernel, Scalar); 3] = [
            ("exp", math::exp_in_place::<f32>, f32::exp),
            ("tanh", math::tanh_in_place::<f32>, f32::tanh),
            ("sigmoid", math::sigmoid_in_place::<f32>, libm_sigmoid),
        ];
        for (op, kernel, scalar) in fns {
            g.bench_function(BenchmarkId::new(format!("{op}_kernel"), &name), |b| {
                b.iter(|| {
                    buf.copy_from_slice(&src);
                    kernel(black_box(&mut buf));
                })
            });
            g.bench_function(BenchmarkId::new(format!("{op}_libm"), &name), |b| {
                b.iter(|| {
                    buf.copy_from_slice(&src);
                    for v in black_box(&mut buf).iter_mut() {
                        *v = scalar(*v);
                    }
                })
            });
        }
        g.bench_function(BenchmarkId::new("tensor_tanh", &name), |b| {
            b.iter(|| black_box(x.tanh()))
        });
        g.bench_function(BenchmarkId::new("tensor_sigmoid", &name), |b| {
            b.iter(|| black_box(x.sigmoid()))
        });
        g.bench_function(BenchmarkId::new("tensor_silu", &name), |b| {
            b.iter(|| black_box(x.silu()))
        });
    }
    g.finish();
    set_num_threads(0).expect("threads start");
}

criterion_group!(benches, activations);
criterion_main!(benches);
