//! Matrix-product throughput: Youshi's `matmul` beside a direct matrixmultiply call and
//! ndarray's `dot`, in the same group and run, so the ratio is visible.
//!
//! Throughput is reported as elements per second where one element is one FLOP
//! (`2 * m * n * k` per product). `youshi_1t` pins the kernel pool to one thread; `youshi_all`
//! uses one thread per core. The two references run on one thread.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::{Array2, ArrayView2};
use youshi::tensor::{seeded_rng, set_num_threads, Tensor};

fn random(shape: [usize; 2], seed: u64) -> Tensor<f32> {
    Tensor::rand_uniform(shape, -1.0, 1.0, &mut seeded_rng(seed)).expect("valid bounds")
}

fn as2(t: &Tensor<f32>) -> ArrayView2<'_, f32> {
    t.view().into_dimensionality().expect("rank 2")
}

fn mm_direct(a: ArrayView2<f32>, b: ArrayView2<f32>, c: &mut Array2<f32>) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    let (rsa, csa) = (a.strides()[0], a.strides()[1]);
    let (rsb, csb) = (b.strides()[0], b.strides()[1]);
    let (rsc, csc) = (c.strides()[0], c.strides()[1]);
    // SAFETY: the pointers come from ndarray views/arrays whose shapes are [m, k], [k, n] and
    // [m, n] with the strides passed; `c` is uniquely borrowed and does not alias `a` or `b`.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            0.0,
            c.as_mut_ptr(),
            rsc,
            csc,
        );
    }
}

/// Runs the four contenders on `lhs · rhs` (either may be a transposed view).
fn contenders(c: &mut Criterion, group: &str, name: &str, lhs: &Tensor<f32>, rhs: &Tensor<f32>) {
    let (m, k) = (lhs.shape()[0], lhs.shape()[1]);
    let n = rhs.shape()[1];
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements((2 * m * n * k) as u64));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    for (label, threads) in [("youshi_1t", 1), ("youshi_all", 0)] {
        set_num_threads(threads).expect("threads start");
        g.bench_with_input(BenchmarkId::new(label, name), &(), |bch, _| {
            bch.iter(|| black_box(lhs.matmul(rhs).expect("shapes agree")))
        });
    }
    let mut out = Array2::<f32>::zeros((m, n));
    g.bench_with_input(
        BenchmarkId::new("matrixmultiply_1t", name),
        &(),
        |bch, _| bch.iter(|| mm_direct(as2(lhs), as2(rhs), black_box(&mut out))),
    );
    g.bench_with_input(BenchmarkId::new("ndarray_dot_1t", name), &(), |bch, _| {
        bch.iter(|| black_box(as2(lhs).dot(&as2(rhs))))
    });
    g.finish();
    set_num_threads(0).expect("threads start");
}

fn square(c: &mut Criterion) {
    for n in [64, 128, 256, 512, 1024] {
        let a = random([n, n], 1);
        let b = random([n, n], 2);
        contenders(c, "matmul_square_f32_flops", &format!("square_{n}"), &a, &b);
    }
}

fn layers(c: &mut Criterion) {
    for (m, k, n) in [(128, 784, 512), (128, 512, 256), (128, 256, 10)] {
        let x = random([m, k], 3);
        let w = random([k, n], 4);
        contenders(
            c,
            "matmul_layer_f32_flops",
            &format!("mlp_{m}x{k}x{n}"),
            &x,
            &w,
        );
    }
}

fn weight_grad(c: &mut Criterion) {
    // dW = Xᵀ G with X [128, 784] and G [128, 512]: Xᵀ is a transposed view, not a copy.
    let x = random([128, 784], 5);
    let grad = random([128, 512], 6);
    let xt = x.t().expect("rank 2");
    contenders(
        c,
        "matmul_weight_grad_f32_flops",
        "xt_g_784x128x512",
        &xt,
        &grad,
    );
}

criterion_group!(benches, square, layers, weight_grad);
criterion_main!(benches);
