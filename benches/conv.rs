//! Convolution and pooling: forward, input gradient and weight gradient of the network
//! shapes below, with Youshi pinned to one thread and on all threads, beside a naive direct
//! loop (forward only) as the reference.
//!
//! | name | N | c_in → c_out | H×W | kernel |
//! |---|---|---|---|---|
//! | C1 | 64 | 1 → 32 | 28×28 | 3, padding 1 |
//! | C2 | 64 | 32 → 64 | 14×14 | 3, padding 1 |
//! | C3 | 8 | 64 → 64 | 56×56 | 3, padding 1 |
//! | C4 | 32 | 3 → 64 | 32×32 | 3, padding 1 |
//!
//! Throughput counts one element per FLOP of the direct convolution (`2 * N * c_out * oh * ow
//! * c_in * kh * kw`).

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use youshi::tensor::ops::conv::Conv2dOptions;
use youshi::tensor::ops::pool::Pool2dOptions;
use youshi::tensor::{seeded_rng, set_num_threads, Tensor};

struct Case {
    name: &'static str,
    n: usize,
    c_in: usize,
    c_out: usize,
    hw: usize,
}

const CASES: [Case; 4] = [
    Case {
        name: "C1_n64_1to32_28",
        n: 64,
        c_in: 1,
        c_out: 32,
        hw: 28,
    },
    Case {
        name: "C2_n64_32to64_14",
        n: 64,
        c_in: 32,
        c_out: 64,
        hw: 14,
    },
    Case {
        name: "C3_n8_64to64_56",
        n: 8,
        c_in: 64,
        c_out: 64,
        hw: 56,
    },
    Case {
        name: "C4_n32_3to64_32",
        n: 32,
        c_in: 3,
        c_out: 64,
        hw: 32,
    },
];

fn random(shape: &[usize], seed: u64) -> Tensor<f32> {
    Tensor::rand_uniform(shape, -1.0, 1.0, &mut seeded_rng(seed)).expect("valid bounds")
}

/// Direct 3×3, stride 1, padding 1 convolution: the plain reference.
fn naive_conv3x3(x: &[f32], w: &[f32], n: usize, ci: usize, co: usize, hw: usize) -> Vec<f32> {
    let mut out = vec![0f32; n * co * hw * hw];
    for b in 0..n {
        for o in 0..co {
            for y in 0..hw {
                for xx in 0..hw {
                    let mut acc = 0f32;
                    for c in 0..ci {
                        for ky in 0..3 {
                            let iy = y as isize + ky as isize - 1;
                            if iy < 0 || iy >= hw as isize {
                                continue;
                            }
                            for kx in 0..3 {
                                let ix = xx as isize + kx as isize - 1;
                                if ix < 0 || ix >= hw as isize {
                                    continue;
                                }
                                acc += x[((b * ci + c) * hw + iy as usize) * hw + ix as usize]
                                    * w[((o * ci + c) * 3 + ky) * 3 + kx];
                            }
                        }
                    }
                    out[((b * co + o) * hw + y) * hw + xx] = acc;
                }
            }
        }
    }
    out
}

fn conv(c: &mut Criterion) {
    let opts = Conv2dOptions::new().padding(1);
    for case in &CASES {
        let x = random(&[case.n, case.c_in, case.hw, case.hw], 1);
        let w = random(&[case.c_out, case.c_in, 3, 3], 2);
        let b = random(&[case.c_out], 3);
        let gout = random(&[case.n, case.c_out, case.hw, case.hw], 4);
        let flops = 2 * case.n * case.c_out * case.hw * case.hw * case.c_in * 9;
        let mut g = c.benchmark_group("conv2d_f32_flops");
        g.throughput(Throughput::Elements(flops as u64));
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(2));
        for (label, threads) in [("1t", 1), ("all", 0)] {
            set_num_threads(threads).expect("threads start");
            g.bench_function(
                BenchmarkId::new(format!("forward_{label}"), case.name),
                |bch| bch.iter(|| black_box(x.conv2d(&w, Some(&b), opts).expect("valid conv"))),
            );
            g.bench_function(
                BenchmarkId::new(format!("grad_input_{label}"), case.name),
                |bch| {
                    bch.iter(|| {
                        black_box(
                            Tensor::conv2d_backward_input(&gout, &w, [case.hw, case.hw], opts)
                                .expect("valid conv"),
                        )
                    })
                },
            );
            g.bench_function(
                BenchmarkId::new(format!("grad_weight_{label}"), case.name),
                |bch| {
                    bch.iter(|| {
                        black_box(
                            Tensor::conv2d_backward_weight(&gout, &x, [3, 3], opts)
                                .expect("valid conv"),
                        )
                    })
                },
            );
        }
        set_num_threads(0).expect("threads start");
        let (xs, ws) = (x.to_vec(), w.to_vec());
        g.bench_function(BenchmarkId::new("forward_naive_1t", case.name), |bch| {
            bch.iter(|| {
                black_box(naive_conv3x3(
                    &xs, &ws, case.n, case.c_in, case.c_out, case.hw,
                ))
            })
        });
        g.finish();
    }
}

fn pool(c: &mut Criterion) {
    // max_pool2d 2×2 on C2's output.
    let x = random(&[64, 64, 14, 14], 5);
    let mut g = c.benchmark_group("max_pool2d_f32");
    g.throughput(Throughput::Elements(x.numel() as u64));
    g.sample_size(20);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    for (label, threads) in [("1t", 1), ("all", 0)] {
        set_num_threads(threads).expect("threads start");
        g.bench_function(
            BenchmarkId::new(format!("forward_{label}"), "C2_out_2x2"),
            |bch| bch.iter(|| black_box(x.max_pool2d(Pool2dOptions::new(2)).expect("valid pool"))),
        );
        let (y, idx) = x.max_pool2d(Pool2dOptions::new(2)).expect("valid pool");
        g.bench_function(
            BenchmarkId::new(format!("backward_{label}"), "C2_out_2x2"),
            |bch| {
                bch.iter(|| {
                    black_box(Tensor::max_pool2d_backward(&y, &idx, x.shape()).expect("valid pool"))
                })
            },
        );
    }
    set_num_threads(0).expect("threads start");
    g.finish();
}

criterion_group!(benches, conv, pool);
criterion_main!(benches);
