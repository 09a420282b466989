//! Matrix products against a naive triple loop, for odd sizes and strided operands.

use ndarray::{s, ArrayD, IxDyn};
use proptest::prelude::*;
use youshi_tensor::{Element, Tensor};
use youshi_testkit::{assert_close, uniform_vec};

fn tensor<T: Element>(shape: &[usize], seed: u64) -> Tensor<T> {
    let n = shape.iter().product();
    let v = uniform_vec(n, seed).into_iter().map(T::of).collect();
    Tensor::from_vec(v, shape).unwrap()
}

/// Naive `[m, k] · [k, n]` over logical indices, accumulated in f64.
fn naive<T: Element>(a: &Tensor<T>, b: &Tensor<T>) -> Vec<f64> {
    let (m, k) = (a.shape()[0], a.shape()[1]);
    let n = b.shape()[1];
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0;
            for p in 0..k {
                acc += a.get(&[i, p]).unwrap().as_f64() * b.get(&[p, j]).unwrap().as_f64();
            }
            out[i * n + j] = acc;
        }
    }
    out
}

fn f64s<T: Element>(t: &Tensor<T>) -> Vec<f64> {
    t.to_vec().into_iter().map(|v| v.as_f64()).collect()
}

/// Operand with the requested layout: contiguous, transposed view, or a stepped slice.
fn operand<T: Element>(rows: usize, cols: usize, layout: u8, seed: u64) -> Tensor<T> {
    match layout % 3 {
        0 => tensor(&[rows, cols], seed),
        1 => tensor(&[cols, rows], seed).t().unwrap(),
        _ => {
            let big: Tensor<T> = tensor(&[rows * 2, cols + 3], seed);
            let a: ArrayD<T> = big.view().to_owned();
            let sliced = a.into_shared().slice_move(s![..;2, 1..cols + 1]).into_dyn();
            Tensor::from_arc(sliced)
        }
    }
}

const SIZES: [usize; 10] = [1, 2, 3, 5, 7, 8, 13, 16, 17, 31];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn f64_matches_naive(mi in 0..10usize, ki in 0..10usize, ni in 0..10usize, la in 0u8..3, lb in 0u8..3, seed in 0u64..1000) {
        let (m, k, n) = (SIZES[mi], SIZES[ki], SIZES[ni]);
        let a = operand::<f64>(m, k, la, seed);
        let b = operand::<f64>(k, n, lb, seed + 1);
        let c = a.matmul(&b).unwrap();
        prop_assert_eq!(c.shape(), &[m, n]);
        let r = assert_close(&f64s(&c), &naive(&a, &b), 1e-10, 1e-12);
        prop_assert!(r.is_ok(), "{:?}", r);
    }

    #[test]
    fn f32_matches_naive(mi in 0..10usize, ki in 0..10usize, ni in 0..10usize, la in 0u8..3, lb in 0u8..3, seed in 0u64..1000) {
        let (m, k, n) = (SIZES[mi], SIZES[ki], SIZES[ni]);
        let a = operand::<f32>(m, k, la, seed);
        let b = operand::<f32>(k, n, lb, seed + 1);
        let c = a.matmul(&b).unwrap();
        let tol = 1e-6 * (k as f64 + 1.0);
        let r = assert_close(&f64s(&c), &naive(&a, &b), 0.0, tol);
        prop_assert!(r.is_ok(), "{:?}", r);
    }

    #[test]
    fn batched_broadcast_matches_per_matrix(b1 in 1usize..4, b2 in 1usize..4, mi in 0..6usize, ki in 0..6usize, ni in 0..6usize, seed in 0u64..1000) {
        let (m, k, n) = (SIZES[mi], SIZES[ki], SIZES[ni]);
        let a = tensor::<f64>(&[b1, 1, m, k], seed);
        let b = tensor::<f64>(&[b2, k, n], seed + 7);
        let c = a.matmul(&b).unwrap();
        prop_assert_eq!(c.shape(), &[b1, b2, m, n]);
        for i in 0..b1 {
            for j in 0..b2 {
                let ai = Tensor::from_array(a.view().slice(s![i, 0, .., ..]).to_owned().into_dyn());
                let bj = Tensor::from_array(b.view().slice(s![j, .., ..]).to_owned().into_dyn());
                let cij: Vec<f64> = c.view().slice(s![i, j, .., ..]).iter().copied().collect();
                let r = assert_close(&cij, &naive(&ai, &bj), 1e-10, 1e-12);
                prop_assert!(r.is_ok(), "{:?}", r);
            }
        }
    }
}

#[test]
fn large_products_split_across_threads_and_match() {
    // Big enough for the parallel panel split (by rows, then by columns).
    for (m, k, n) in [(130, 70, 90), (9, 120, 300)] {
        let a = tensor::<f64>(&[m, k], 1);
        let b = tensor::<f64>(&[n, k], 2).t().unwrap();
        let c = a.matmul(&b).unwrap();
        assert_close(&f64s(&c), &naive(&a, &b), 1e-10, 1e-12).unwrap();
    }
}

#[test]
fn thread_count_does_not_change_results() {
    let a = tensor::<f32>(&[200, 150], 3);
    let b = tensor::<f32>(&[150, 170], 4);
    youshi_tensor::set_num_threads(1).unwrap();
    let one = a.matmul(&b).unwrap();
    youshi_tensor::set_num_threads(2).unwrap();
    let two = a.matmul(&b).unwrap();
    youshi_tensor::set_num_threads(0).unwrap();
    assert_eq!(one.to_vec(), two.to_vec());
}

#[test]
fn empty_dimensions() {
    let a = Tensor::<f32>::zeros([0, 3]);
    let b = Tensor::<f32>::zeros([3, 4]);
    assert_eq!(a.matmul(&b).unwrap().shape(), &[0, 4]);
    let z = Tensor::<f32>::from_array(ArrayD::zeros(IxDyn(&[2, 0, 3])));
    assert_eq!(z.matmul(&b).unwrap().shape(), &[2, 0, 4]);
}
