//! Property tests of the reductions, softmax family and norms against naive loops over
//! row-major `Vec<f64>`, on awkward shapes (1, primes, odd sizes), random axis subsets and
//! non-contiguous (permuted) inputs, plus finite-difference checks of the softmax backward
//! helpers and large deterministic cases that take every parallel path.

use proptest::prelude::*;
use youshi_tensor::{DType, Element, Tensor};
use youshi_testkit::{assert_close, uniform_vec};

// ---------------------------------------------------------------------------------------------
// Naive references on row-major data.

fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = i % shape[d];
        i /= shape[d];
    }
    idx
}

/// Position of the output (kept axes, row-major) that the element at `idx` reduces into.
fn out_pos(idx: &[usize], shape: &[usize], mask: &[bool]) -> usize {
    let mut p = 0;
    for d in 0..shape.len() {
        if !mask[d] {
            p = p * shape[d] + idx[d];
        }
    }
    p
}

/// The values of each output position, in row-major order of the reduced axes.
fn groups(data: &[f64], shape: &[usize], mask: &[bool]) -> Vec<Vec<f64>> {
    let outs: usize = (0..shape.len())
        .filter(|&d| !mask[d])
        .map(|d| shape[d])
        .product();
    let mut g = vec![Vec::new(); outs];
    for (i, &v) in data.iter().enumerate() {
        let idx = unravel(i, shape);
        g[out_pos(&idx, shape, mask)].push(v);
    }
    g
}

fn naive_reduce(
    data: &[f64],
    shape: &[usize],
    mask: &[bool],
    f: impl Fn(&[f64]) -> f64,
) -> Vec<f64> {
    groups(data, shape, mask).iter().map(|g| f(g)).collect()
}

/// Applies `f` to every lane along `axis`, giving a row-major result of `shape`.
fn naive_lanes(
    data: &[f64],
    shape: &[usize],
    axis: usize,
    f: impl Fn(&[f64]) -> Vec<f64>,
) -> Vec<f64> {
    let mask: Vec<bool> = (0..shape.len()).map(|d| d == axis).collect();
    let mapped: Vec<Vec<f64>> = groups(data, shape, &mask).iter().map(|g| f(g)).collect();
    (0..data.len())
        .map(|i| {
            let idx = unravel(i, shape);
            mapped[out_pos(&idx, shape, &mask)][idx[axis]]
        })
        .collect()
}

fn sum(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for &x in v {
        s += x;
    }
    s
}

fn var(v: &[f64], correction: usize) -> f64 {
    let n = v.len();
    let m = sum(v) / n as f64;
    let mut ss = 0.0;
    for &x in v {
        ss += (x - m) * (x - m);
    }
    ss / n.saturating_sub(correction) as f64
}

fn max(v: &[f64]) -> f64 {
    let mut m = f64::NEG_INFINITY;
    for &x in v {
        if x > m {
            m = x;
        }
    }
    m
}

fn min(v: &[f64]) -> f64 {
    let mut m = f64::INFINITY;
    for &x in v {
        if x < m {
            m = x;
        }
    }
    m
}

/// Index of the first element that no later element beats.
fn first_best(v: &[f64], better: impl Fn(f64, f64) -> bool) -> usize {
    let mut k = 0;
    for i in 1..v.len() {
        if better(v[i], v[k]) {
            k = i;
        }
    }
    k
}

fn logsumexp(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for &x in v {
        s += x.exp();
    }
    s.ln()
}

fn pnorm(v: &[f64], p: f64) -> f64 {
    if p == f64::INFINITY {
        let mut m = 0.0;
        for &x in v {
            if x.abs() > m {
                m = x.abs();
            }
        }
        return m;
    }
    let mut s = 0.0;
    for &x in v {
        s += x.abs().powf(p);
    }
    s.powf(1.0 / p)
}

fn softmax(v: &[f64]) -> Vec<f64> {
    let mut z = 0.0;
    for &x in v {
        z += x.exp();
    }
    v.iter().map(|x| x.exp() / z).collect()
}

fn cumsum(v: &[f64]) -> Vec<f64> {
    let mut s = 0.0;
    v.iter()
        .map(|x| {
            s += x;
            s
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Cases.

#[derive(Debug, Clone)]
struct Case {
    /// Shape of the contiguous storage.
    phys: Vec<usize>,
    /// The tested tensor is `storage.permute(perm)`.
    perm: Vec<usize>,
    seed: u64,
    /// Reduced axes (all false: the empty list, meaning all axes).
    mask: Vec<bool>,
    /// Write axis `d` as a negative number.
    neg: Vec<bool>,
    keepdim: bool,
}

fn case(
    dims: impl Strategy<Value = usize> + Clone,
    rank: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Case> {
    prop::collection::vec(dims, rank)
        .prop_flat_map(|phys| {
            let r = phys.len();
            (
                Just(phys),
                Just((0..r).collect::<Vec<usize>>()).prop_shuffle(),
                any::<u64>(),
                prop::collection::vec(any::<bool>(), r),
                prop::collection::vec(any::<bool>(), r),
                any::<bool>(),
            )
        })
        .prop_map(|(phys, perm, seed, mask, neg, keepdim)| Case {
            phys,
            perm,
            seed,
            mask,
            neg,
            keepdim,
        })
}

impl Case {
    fn shape(&self) -> Vec<usize> {
        self.perm.iter().map(|&p| self.phys[p]).collect()
    }

    fn tensor<T: Element>(&self) -> Tensor<T> {
        let n: usize = self.phys.iter().product();
        let data = uniform_vec(n, self.seed).into_iter().map(T::of).collect();
        let perm: Vec<isize> = self.perm.iter().map(|&p| p as isize).collect();
        Tensor::from_vec(data, self.phys.clone())
            .unwrap()
            .permute(&perm)
            .unwrap()
    }

    fn axis_arg(&self, d: usize) -> isize {
        let r = self.phys.len() as isize;
        if self.neg[d] {
            d as isize - r
        } else {
            d as isize
        }
    }

    /// The axis list (reversed for odd seeds: the order must not matter) and the mask of
    /// reduced axes.
    fn axes(&self) -> (Vec<isize>, Vec<bool>) {
        let mut axes: Vec<isize> = (0..self.mask.len())
            .filter(|&d| self.mask[d])
            .map(|d| self.axis_arg(d))
            .collect();
        if self.seed % 2 == 1 {
            axes.reverse();
        }
        let mask = if axes.is_empty() {
            vec![true; self.mask.len()]
        } else {
            self.mask.clone()
        };
        (axes, mask)
    }

    fn single_axis(&self) -> usize {
        (self.seed / 7) as usize % self.phys.len()
    }

    fn out_shape(&self, mask: &[bool]) -> Vec<usize> {
        let shape = self.shape();
        (0..shape.len())
            .filter_map(|d| {
                if !mask[d] {
                    Some(shape[d])
                } else if self.keepdim {
                    Some(1)
                } else {
                    None
                }
            })
            .collect()
    }
}

/// `(rtol, atol)` for a reduction of `n` elements of magnitude at most 1: `f64` within 1e-10
/// relative; `f32` with a tolerance that grows with the reduction length.
fn tol<T: Element>(n: usize) -> (f64, f64) {
    let n = n.max(1) as f64;
    if T::DTYPE == DType::F64 {
        (1e-10, 1e-13 * n)
    } else {
        (1e-5 * (1.0 + n / 64.0), 1e-6 * n)
    }
}

fn vals<T: Element>(t: &Tensor<T>) -> Vec<f64> {
    t.to_vec().into_iter().map(|v| v.as_f64()).collect()
}

fn check(
    got: &[f64],
    want: &[f64],
    (rtol, atol): (f64, f64),
    what: &str,
) -> Result<(), TestCaseError> {
    assert_close(got, want, rtol, atol).map_err(|e| TestCaseError::fail(format!("{what}: {e}")))
}

fn check_reductions<T: Element>(c: &Case) -> Result<(), TestCaseError> {
    let x = c.tensor::<T>();
    let shape = c.shape();
    prop_assert_eq!(x.shape(), shape.as_slice());
    let data = vals(&x);
    let (axes, mask) = c.axes();
    let n: usize = (0..shape.len())
        .filter(|&d| mask[d])
        .map(|d| shape[d])
        .product();
    let t = tol::<T>(n);
    let want_shape = c.out_shape(&mask);
    let k = c.keepdim;
    let naive = |f: &dyn Fn(&[f64]) -> f64| naive_reduce(&data, &shape, &mask, f);

    let cases: Vec<(&str, Tensor<T>, Vec<f64>)> = vec![
        ("sum", x.sum(&axes, k).unwrap(), naive(&sum)),
        (
            "mean",
            x.mean(&axes, k).unwrap(),
            naive(&|v| sum(v) / v.len() as f64),
        ),
        ("var0", x.var(&axes, 0, k).unwrap(), naive(&|v| var(v, 0))),
        (
            "std1",
            x.std(&axes, 1, k).unwrap(),
            naive(&|v| var(v, 1).sqrt()),
        ),
        ("amax", x.amax(&axes, k).unwrap(), naive(&max)),
        ("amin", x.amin(&axes, k).unwrap(), naive(&min)),
        (
            "logsumexp",
            x.logsumexp(&axes, k).unwrap(),
            naive(&logsumexp),
        ),
        (
            "norm1",
            x.norm(1.0, &axes, k).unwrap(),
            naive(&|v| pnorm(v, 1.0)),
        ),
        (
            "norm2",
            x.norm(2.0, &axes, k).unwrap(),
            naive(&|v| pnorm(v, 2.0)),
        ),
        (
            "norm3",
            x.norm(3.0, &axes, k).unwrap(),
            naive(&|v| pnorm(v, 3.0)),
        ),
        (
            "norm_inf",
            x.norm(f64::INFINITY, &axes, k).unwrap(),
            naive(&|v| pnorm(v, f64::INFINITY)),
        ),
    ];
    for (name, got, want) in cases {
        prop_assert_eq!(got.shape(), want_shape.as_slice(), "{} shape", name);
        prop_assert!(got.is_contiguous(), "{} result is not contiguous", name);
        if name == "std1" && n == 1 {
            // One element with correction 1: 0 / 0 on both sides.
            prop_assert!(vals(&got).iter().all(|v| v.is_nan()), "std1 of one element");
            continue;
        }
        check(&vals(&got), &want, t, name)?;
    }

    let tn = tol::<T>(data.len());
    check(&[x.sum_all().as_f64()], &[sum(&data)], tn, "sum_all")?;
    check(
        &[x.mean_all().as_f64()],
        &[sum(&data) / data.len() as f64],
        tn,
        "mean_all",
    )?;
    prop_assert_eq!(x.max_all().unwrap().as_f64(), max(&data));
    prop_assert_eq!(x.min_all().unwrap().as_f64(), min(&data));
    check(
        &[x.norm_all(2.0).as_f64()],
        &[pnorm(&data, 2.0)],
        tn,
        "norm_all",
    )?;
    Ok(())
}

fn indices(i: &youshi_tensor::Indices) -> Vec<usize> {
    i.iter().copied().collect()
}

fn check_single_axis<T: Element>(c: &Case) -> Result<(), TestCaseError> {
    let x = c.tensor::<T>();
    let shape = c.shape();
    let data = vals(&x);
    let a = c.single_axis();
    let arg = c.axis_arg(a);
    let mask: Vec<bool> = (0..shape.len()).map(|d| d == a).collect();
    let want_shape = c.out_shape(&mask);
    let lanes = groups(&data, &shape, &mask);
    let t = tol::<T>(shape[a]);

    let (v, i) = x.max_axis(arg, c.keepdim).unwrap();
    prop_assert_eq!(v.shape(), want_shape.as_slice());
    prop_assert_eq!(i.shape(), want_shape.as_slice());
    prop_assert_eq!(vals(&v), naive_reduce(&data, &shape, &mask, max));
    let want_i: Vec<usize> = lanes.iter().map(|g| first_best(g, |a, b| a > b)).collect();
    prop_assert_eq!(indices(&i), want_i.clone());
    prop_assert_eq!(indices(&x.argmax(arg, c.keepdim).unwrap()), want_i);

    let (v, i) = x.min_axis(arg, c.keepdim).unwrap();
    prop_assert_eq!(vals(&v), naive_reduce(&data, &shape, &mask, min));
    let want_i: Vec<usize> = lanes.iter().map(|g| first_best(g, |a, b| a < b)).collect();
    prop_assert_eq!(indices(&i), want_i.clone());
    prop_assert_eq!(indices(&x.argmin(arg, c.keepdim).unwrap()), want_i);

    let s = x.softmax(arg).unwrap();
    prop_assert_eq!(s.shape(), shape.as_slice());
    let want_s = naive_lanes(&data, &shape, a, softmax);
    check(&vals(&s), &want_s, t, "softmax")?;
    let ls = x.log_softmax(arg).unwrap();
    let want: Vec<f64> = want_s.iter().map(|v| v.ln()).collect();
    check(&vals(&ls), &want, t, "log_softmax")?;
    let cs = x.cumsum(arg).unwrap();
    check(
        &vals(&cs),
        &naive_lanes(&data, &shape, a, cumsum),
        t,
        "cumsum",
    )?;

    // Backward helpers against their formulas, with a contiguous gradient (the outputs
    // follow the input's permuted layout, so the gradient is re-laid out internally).
    let g = Tensor::from_vec(
        uniform_vec(data.len(), c.seed ^ 0x5eed)
            .into_iter()
            .map(T::of)
            .collect(),
        shape.clone(),
    )
    .unwrap();
    let (gd, yd, lyd) = (vals(&g), vals(&s), vals(&ls));
    let gy: Vec<f64> = yd.iter().zip(&gd).map(|(y, g)| y * g).collect();
    let dot = naive_lanes(&gy, &shape, a, |v| vec![sum(v); v.len()]);
    let want: Vec<f64> = (0..yd.len()).map(|i| yd[i] * (gd[i] - dot[i])).collect();
    let got = s.softmax_backward(&g, arg).unwrap();
    check(&vals(&got), &want, (t.0, t.1 * 4.0), "softmax_backward")?;
    let gs = naive_lanes(&gd, &shape, a, |v| vec![sum(v); v.len()]);
    let want: Vec<f64> = (0..yd.len())
        .map(|i| gd[i] - lyd[i].exp() * gs[i])
        .collect();
    let got = ls.log_softmax_backward(&g, arg).unwrap();
    check(&vals(&got), &want, (t.0, t.1 * 4.0), "log_softmax_backward")?;
    Ok(())
}

fn check_sum_to_shape<T: Element>(c: &Case) -> Result<(), TestCaseError> {
    let x = c.tensor::<T>();
    let shape = c.shape();
    let data = vals(&x);
    // Target: drop `lead` leading axes and set the masked remaining axes to 1.
    let lead = (c.seed / 3) as usize % (shape.len() + 1);
    let target: Vec<usize> = (lead..shape.len())
        .map(|d| if c.mask[d] { 1 } else { shape[d] })
        .collect();
    let mask: Vec<bool> = (0..shape.len()).map(|d| d < lead || c.mask[d]).collect();
    let got = x.sum_to_shape(&target).unwrap();
    prop_assert_eq!(got.shape(), target.as_slice());
    let n: usize = (0..shape.len())
        .filter(|&d| mask[d])
        .map(|d| shape[d])
        .product();
    let want = naive_reduce(&data, &shape, &mask, sum);
    check(&vals(&got), &want, tol::<T>(n), "sum_to_shape")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn reductions_match_naive_loops(c in case(1usize..=6, 1..=4)) {
        check_reductions::<f64>(&c)?;
        check_reductions::<f32>(&c)?;
    }

    #[test]
    fn single_axis_ops_match_naive_loops(c in case(1usize..=6, 1..=4)) {
        check_single_axis::<f64>(&c)?;
        check_single_axis::<f32>(&c)?;
    }

    #[test]
    fn sum_to_shape_matches_naive_loops(c in case(1usize..=6, 1..=4)) {
        check_sum_to_shape::<f64>(&c)?;
        check_sum_to_shape::<f32>(&c)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Long lanes: odd and prime lengths around the 8-lane, 128-row and 1024-element blocks.
    #[test]
    fn long_lanes_match_naive_loops(
        c in case(prop::sample::select(vec![1usize, 2, 3, 127, 129, 1031]), 2..=3)
            .prop_filter("at most 2^15 elements", |c| c.phys.iter().product::<usize>() <= 1 << 15)
    ) {
        check_reductions::<f64>(&c)?;
        check_reductions::<f32>(&c)?;
        check_single_axis::<f64>(&c)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Axis sets that mix kept and reduced axes, with runs long enough (>= 8) to take the
    /// two-stage path for interleaved axes as well as the copying one.
    #[test]
    fn interleaved_axes_match_naive_loops(
        c in case(prop::sample::select(vec![2usize, 3, 5, 9, 13]), 3..=4)
            .prop_filter("kept and reduced axes", |c| {
                c.mask.iter().any(|&m| m) && !c.mask.iter().all(|&m| m)
            })
    ) {
        check_reductions::<f64>(&c)?;
        check_reductions::<f32>(&c)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Finite differences of the softmax backward helpers.

fn fd_check(c: &Case, log: bool) -> Result<(), TestCaseError> {
    let x = c.tensor::<f64>();
    let shape = c.shape();
    let arg = c.axis_arg(c.single_axis());
    let fwd = |t: &Tensor<f64>| {
        if log {
            t.log_softmax(arg).unwrap()
        } else {
            t.softmax(arg).unwrap()
        }
    };
    let g = Tensor::from_vec(uniform_vec(x.numel(), c.seed ^ 0xfd), shape.clone()).unwrap();
    let y = fwd(&x);
    let analytic = if log {
        y.log_softmax_backward(&g, arg).unwrap()
    } else {
        y.softmax_backward(&g, arg).unwrap()
    };
    // L(x) = sum(g * f(x)); dL/dx_j by central differences.
    let base = vals(&x);
    let gv = vals(&g);
    let loss = |d: &[f64]| {
        let f = vals(&fwd(&Tensor::from_vec(d.to_vec(), shape.clone()).unwrap()));
        let mut s = 0.0;
        for (a, b) in f.iter().zip(&gv) {
            s += a * b;
        }
        s
    };
    let h = 1e-5;
    let mut numeric = vec![0.0; base.len()];
    for (j, n) in numeric.iter_mut().enumerate() {
        let (mut p, mut m) = (base.clone(), base.clone());
        p[j] += h;
        m[j] -= h;
        *n = (loss(&p) - loss(&m)) / (2.0 * h);
    }
    let what = if log { "log_softmax fd" } else { "softmax fd" };
    check(&vals(&analytic), &numeric, (1e-6, 1e-8), what)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn softmax_backward_matches_finite_differences(c in case(1usize..=5, 1..=3)) {
        fd_check(&c, false)?;
    }

    #[test]
    fn log_softmax_backward_matches_finite_differences(c in case(1usize..=5, 1..=3)) {
        fd_check(&c, true)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Large deterministic cases: every parallel path of the drivers, run on 3 threads so the splits
// are uneven even on a 2-core machine.

#[test]
fn large_inputs_take_the_parallel_paths() {
    youshi_tensor::set_num_threads(3).unwrap();
    // (storage shape, permutation, reduced axes of the permuted tensor)
    let layouts: [(&[usize], &[usize], &[bool]); 10] = [
        (&[300, 257], &[0, 1], &[false, true]), // many rows
        (&[70001], &[0], &[true]),              // one long row, split
        (&[7, 101, 53], &[0, 1, 2], &[false, true, false]), // blocks, pre >= threads
        (&[1, 131, 300], &[0, 1, 2], &[false, true, false]), // one wide block
        (&[40000, 3], &[0, 1], &[true, false]), // one tall, narrow block
        (&[257, 300], &[1, 0], &[false, true]), // transposed view: column blocks
        // Interleaved [R, K, R] (batch-norm statistics): rows folded, then merged.
        (&[30, 40, 50], &[0, 1, 2], &[true, false, true]),
        // Interleaved [R, K, R, K]: column blocks folded, then merged.
        (&[20, 30, 40, 3], &[0, 1, 2, 3], &[true, false, true, false]),
        // Interleaved with a short innermost run: copied with the reduced axes last.
        (&[300, 30, 5], &[0, 1, 2], &[true, false, true]),
        // NCHW statistics of a permuted (NHWC storage) view.
        (&[4, 30, 20, 16], &[0, 3, 1, 2], &[true, false, true, true]),
    ];
    for (i, (phys, perm, mask)) in layouts.iter().enumerate() {
        let rank = phys.len();
        let a = mask.iter().position(|&m| m).unwrap();
        // A seed whose single axis is the first reduced axis.
        let seed = (1000 * (i as u64 + 1)..)
            .find(|s| (s / 7) as usize % rank == a)
            .unwrap();
        let c = Case {
            phys: phys.to_vec(),
            perm: perm.to_vec(),
            seed,
            mask: mask.to_vec(),
            neg: vec![false; rank],
            keepdim: i % 2 == 0,
        };
        check_reductions::<f64>(&c).unwrap();
        check_reductions::<f32>(&c).unwrap();
        check_single_axis::<f64>(&c).unwrap();
        check_single_axis::<f32>(&c).unwrap();
    }
}

#[test]
fn large_f32_reductions_stay_accurate() {
    // 2^20 values in [0, 2): a sequential f32 sum would be off by about 1e-4 relative.
    let n = 1 << 20;
    let data: Vec<f32> = uniform_vec(n, 7)
        .iter()
        .map(|&v| (v + 1.0) as f32)
        .collect();
    let exact: f64 = data.iter().map(|&v| v as f64).sum();
    let x = Tensor::from_vec(data.clone(), [n]).unwrap();
    assert!((x.sum_all() as f64 - exact).abs() / exact < 2e-6);
    let m = exact / n as f64;
    let ev: f64 = data
        .iter()
        .map(|&a| (a as f64 - m) * (a as f64 - m))
        .sum::<f64>()
        / n as f64;
    let v = x.var(&[], 0, false).unwrap().item().unwrap() as f64;
    assert!((v - ev).abs() / ev < 1e-5);
}
