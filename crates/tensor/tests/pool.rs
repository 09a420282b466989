//! Pooling against naive reference loops: forward values and indices, gradients against finite
//! differences of the reference, the adjoint identity of the average poolings, strided inputs,
//! unbatched inputs and the parallel path.

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use youshi_tensor::ops::pool::{Pool1dOptions, Pool2dOptions, NO_INDEX};
use youshi_tensor::{Element, Indices, Tensor};
use youshi_testkit::{assert_close, uniform_vec};

// ---------------------------------------------------------------------------------------------
// Naive references on one row-major H x W plane of f64.
// ---------------------------------------------------------------------------------------------

/// PyTorch's output length rule, written out with explicit floor / ceil divisions.
fn out_len(n: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> i64 {
    let (n, k, s, p, d) = (n as i64, k as i64, s as i64, p as i64, d as i64);
    let room = n + 2 * p - (d * (k - 1) + 1);
    let steps = if ceil {
        -((-room).div_euclid(s))
    } else {
        room.div_euclid(s)
    };
    let mut out = steps + 1;
    // The last window must start inside the input or the left padding.
    if ceil && (out - 1) * s >= n + p {
        out -= 1;
    }
    out
}

fn out_hw(h: usize, w: usize, o: &Pool2dOptions) -> Option<(usize, usize)> {
    let oh = out_len(
        h,
        o.kernel[0],
        o.stride[0],
        o.padding[0],
        o.dilation[0],
        o.ceil_mode,
    );
    let ow = out_len(
        w,
        o.kernel[1],
        o.stride[1],
        o.padding[1],
        o.dilation[1],
        o.ceil_mode,
    );
    (oh >= 1 && ow >= 1).then_some((oh as usize, ow as usize))
}

/// Max over every kernel tap in row-major order, skipping taps in the padding; the first
/// in-bounds tap is the starting argmax, a larger value or a NaN replaces it.
fn naive_max_plane(
    x: &[f64],
    (h, w): (usize, usize),
    o: &Pool2dOptions,
    (oh, ow): (usize, usize),
) -> (Vec<f64>, Vec<usize>) {
    let mut vals = Vec::new();
    let mut idx = Vec::new();
    for r in 0..oh {
        for c in 0..ow {
            let mut best = f64::NEG_INFINITY;
            let mut at: Option<usize> = None;
            for i in 0..o.kernel[0] {
                for j in 0..o.kernel[1] {
                    let ih = (r * o.stride[0] + i * o.dilation[0]) as i64 - o.padding[0] as i64;
                    let iw = (c * o.stride[1] + j * o.dilation[1]) as i64 - o.padding[1] as i64;
                    if ih < 0 || iw < 0 || ih >= h as i64 || iw >= w as i64 {
                        continue;
                    }
                    let pos = ih as usize * w + iw as usize;
                    let v = x[pos];
                    if at.is_none() {
                        at = Some(pos);
                    }
                    if v > best || v.is_nan() {
                        best = v;
                        at = Some(pos);
                    }
                }
            }
            vals.push(best);
            idx.push(at.unwrap_or(NO_INDEX));
        }
    }
    (vals, idx)
}

/// Average over every kernel tap: the sum of in-bounds taps over the number of taps inside
/// the padded input (count_include_pad) or inside the input.
fn naive_avg_plane(
    x: &[f64],
    (h, w): (usize, usize),
    o: &Pool2dOptions,
    (oh, ow): (usize, usize),
    count_include_pad: bool,
) -> Vec<f64> {
    let mut out = Vec::new();
    for r in 0..oh {
        for c in 0..ow {
            let (mut sum, mut inside, mut padded) = (0.0, 0usize, 0usize);
            for i in 0..o.kernel[0] {
                for j in 0..o.kernel[1] {
                    let ih = (r * o.stride[0] + i) as i64 - o.padding[0] as i64;
                    let iw = (c * o.stride[1] + j) as i64 - o.padding[1] as i64;
                    if ih < (h + o.padding[0]) as i64 && iw < (w + o.padding[1]) as i64 {
                        padded += 1;
                    }
                    if ih >= 0 && iw >= 0 && ih < h as i64 && iw < w as i64 {
                        inside += 1;
                        sum += x[ih as usize * w + iw as usize];
                    }
                }
            }
            let div = if count_include_pad { padded } else { inside };
            out.push(if inside == 0 { 0.0 } else { sum / div as f64 });
        }
    }
    out
}

fn naive_adaptive_plane(x: &[f64], (h, w): (usize, usize), (oh, ow): (usize, usize)) -> Vec<f64> {
    let mut out = Vec::new();
    for r in 0..oh {
        let (h0, h1) = (
            (r as f64 * h as f64 / oh as f64).floor() as usize,
            ((r + 1) as f64 * h as f64 / oh as f64).ceil() as usize,
        );
        for c in 0..ow {
            let (w0, w1) = (
                (c as f64 * w as f64 / ow as f64).floor() as usize,
                ((c + 1) as f64 * w as f64 / ow as f64).ceil() as usize,
            );
            let mut sum = 0.0;
            for ih in h0..h1 {
                for iw in w0..w1 {
                    sum += x[ih * w + iw];
                }
            }
            out.push(sum / ((h1 - h0) * (w1 - w0)) as f64);
        }
    }
    out
}

/// Applies a per-plane reference to every plane of a row-major `[planes, H, W]` buffer.
fn per_plane(x: &[f64], hw: usize, mut f: impl FnMut(&[f64]) -> Vec<f64>) -> Vec<f64> {
    x.chunks(hw).flat_map(&mut f).collect()
}

// ---------------------------------------------------------------------------------------------
// Inputs.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Case {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    opts: Pool2dOptions,
    count_include_pad: bool,
    /// Hand the kernel a channels-last permuted view instead of contiguous data.
    strided: bool,
    /// Drop N (when it is 1) and pass a rank-3 input.
    unbatched: bool,
    seed: u64,
}

impl Case {
    fn planes(&self) -> usize {
        self.n * self.c
    }
    fn shape(&self) -> Vec<usize> {
        if self.unbatched {
            vec![self.c, self.h, self.w]
        } else {
            vec![self.n, self.c, self.h, self.w]
        }
    }
}

prop_compose! {
    fn case(max_dilation: usize)(
        n in 1..=2usize,
        c in 1..=3usize,
        hw in prop::array::uniform2(1..=11usize),
        k in prop::array::uniform2(1..=4usize),
        s in prop::array::uniform2(1..=3usize),
        p in prop::array::uniform2(0..12usize),
        d in prop::array::uniform2(1..=max_dilation),
        flags in prop::array::uniform4(any::<bool>()),
        seed in 0..1_000_000u64,
    ) -> Case {
        let opts = Pool2dOptions {
            kernel: k,
            stride: s,
            padding: [p[0] % (k[0] / 2 + 1), p[1] % (k[1] / 2 + 1)],
            dilation: d,
            ceil_mode: flags[0],
        };
        Case {
            n,
            c,
            h: hw[0],
            w: hw[1],
            opts,
            count_include_pad: flags[1],
            strided: flags[2],
            unbatched: flags[3] && n == 1,
            seed,
        }
    }
}

/// A tensor with logical row-major NCHW values `data`, contiguous or as a permuted
/// channels-last view, batched or not.
fn input<T: Element>(data: &[f64], case: &Case) -> Tensor<T> {
    let (n, c, h, w) = (case.n, case.c, case.h, case.w);
    let at = |b: usize, ch: usize, i: usize, j: usize| T::of(data[((b * c + ch) * h + i) * w + j]);
    let x = if case.strided {
        let s = Tensor::from_shape_fn([n, h, w, c], |ix| at(ix[0], ix[3], ix[1], ix[2]));
        s.permute(&[0, 3, 1, 2]).unwrap()
    } else {
        Tensor::from_shape_fn([n, c, h, w], |ix| at(ix[0], ix[1], ix[2], ix[3]))
    };
    if case.unbatched {
        x.squeeze(0).unwrap()
    } else {
        x
    }
}

/// A gradient of logical shape `lead + [oh, ow]` with values `data`, given as a transposed
/// view when `strided`.
fn grad<T: Element>(
    data: &[f64],
    lead: &[usize],
    oh: usize,
    ow: usize,
    strided: bool,
) -> Tensor<T> {
    let mut shape = lead.to_vec();
    shape.extend([oh, ow]);
    let t = Tensor::from_vec(data.iter().map(|&v| T::of(v)).collect(), shape.clone()).unwrap();
    if !strided {
        return t;
    }
    let r = shape.len();
    let mut swapped = shape;
    swapped.swap(r - 2, r - 1);
    let s = t.transpose(-2, -1).unwrap().contiguous();
    assert_eq!(s.shape(), swapped.as_slice());
    s.transpose(-2, -1).unwrap()
}

fn as_f64<T: Element>(t: &Tensor<T>) -> Vec<f64> {
    t.to_vec().into_iter().map(|v| v.as_f64()).collect()
}

fn ids(i: &Indices) -> Vec<usize> {
    i.iter().copied().collect()
}

/// `n` distinct values in (-1, 1), at least `2 / n` apart, in seeded random order.
fn distinct(n: usize, seed: u64) -> Vec<f64> {
    let u = uniform_vec(n, seed);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| u[a].total_cmp(&u[b]));
    let mut out = vec![0.0; n];
    for (rank, &i) in order.iter().enumerate() {
        out[i] = -1.0 + 2.0 * (rank as f64 + 0.5) / n as f64;
    }
    out
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        rng_seed: RngSeed::Fixed(0x5EED_9001),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn check(r: Result<(), String>) -> Result<(), TestCaseError> {
    r.map_err(TestCaseError::fail)
}

// ---------------------------------------------------------------------------------------------
// Forward against the references.
// ---------------------------------------------------------------------------------------------

fn check_max_forward<T: Element>(case: &Case, data: &[f64]) -> Result<(), TestCaseError> {
    let x = input::<T>(data, case);
    let got = x.max_pool2d(case.opts);
    let Some((oh, ow)) = out_hw(case.h, case.w, &case.opts) else {
        let e = got
            .expect_err("an empty output must be an error")
            .to_string();
        prop_assert!(e.starts_with("max_pool2d: output size"), "{}", e);
        prop_assert!(e.contains("is too small"), "{}", e);
        return Ok(());
    };
    let (y, i) = got.unwrap();
    let mut want_shape = case.shape();
    let r = want_shape.len();
    want_shape[r - 2..].copy_from_slice(&[oh, ow]);
    prop_assert_eq!(y.shape(), want_shape.as_slice());
    prop_assert_eq!(i.shape(), want_shape.as_slice());
    // The reference sees the values the tensor holds (rounded to T).
    let held: Vec<f64> = data.iter().map(|&v| T::of(v).as_f64()).collect();
    let (mut want, mut want_i) = (Vec::new(), Vec::new());
    for plane in held.chunks(case.h * case.w) {
        let (v, i) = naive_max_plane(plane, (case.h, case.w), &case.opts, (oh, ow));
        want.extend(v);
        want_i.extend(i);
    }
    // Max pooling only selects: the values must be exactly equal.
    prop_assert_eq!(as_f64(&y), want);
    prop_assert_eq!(ids(&i), want_i);
    Ok(())
}

fn check_avg_forward<T: Element>(
    case: &Case,
    data: &[f64],
    rtol: f64,
    atol: f64,
) -> Result<(), TestCaseError> {
    let opts = Pool2dOptions {
        dilation: [1, 1],
        ..case.opts
    };
    let x = input::<T>(data, case);
    let got = x.avg_pool2d(opts, case.count_include_pad);
    let Some((oh, ow)) = out_hw(case.h, case.w, &opts) else {
        let e = got
            .expect_err("an empty output must be an error")
            .to_string();
        prop_assert!(e.starts_with("avg_pool2d: output size"), "{}", e);
        return Ok(());
    };
    let y = got.unwrap();
    prop_assert_eq!(y.ndim(), case.shape().len());
    let held: Vec<f64> = data.iter().map(|&v| T::of(v).as_f64()).collect();
    let want = per_plane(&held, case.h * case.w, |p| {
        naive_avg_plane(p, (case.h, case.w), &opts, (oh, ow), case.count_include_pad)
    });
    check(assert_close(&as_f64(&y), &want, rtol, atol))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn max_pool2d_matches_reference(case in case(2)) {
        let data = uniform_vec(case.planes() * case.h * case.w, case.seed);
        check_max_forward::<f64>(&case, &data)?;
        check_max_forward::<f32>(&case, &data)?;
    }

    #[test]
    fn max_pool2d_ties_and_nans_match_reference(case in case(2)) {
        // Few distinct values (many ties), some NaNs and infinities.
        let data: Vec<f64> = uniform_vec(case.planes() * case.h * case.w, case.seed)
            .into_iter()
            .map(|u| match (u * 8.0).floor() as i64 {
                -8 => f64::NAN,
                -7 => f64::NEG_INFINITY,
                7 => f64::INFINITY,
                v => (v / 3) as f64,
            })
            .collect();
        let x = input::<f64>(&data, &case);
        if let (Ok((y, i)), Some((oh, ow))) = (x.max_pool2d(case.opts), out_hw(case.h, case.w, &case.opts)) {
            let (mut want, mut want_i) = (Vec::new(), Vec::new());
            for plane in data.chunks(case.h * case.w) {
                let (v, i) = naive_max_plane(plane, (case.h, case.w), &case.opts, (oh, ow));
                want.extend(v);
                want_i.extend(i);
            }
            let got = as_f64(&y);
            prop_assert_eq!(ids(&i), want_i);
            for (a, b) in got.iter().zip(&want) {
                prop_assert!(a == b || (a.is_nan() && b.is_nan()), "{} vs {}", a, b);
            }
        } else {
            prop_assert!(out_hw(case.h, case.w, &case.opts).is_none());
        }
    }

    #[test]
    fn avg_pool2d_matches_reference(case in case(1)) {
        let data = uniform_vec(case.planes() * case.h * case.w, case.seed);
        check_avg_forward::<f64>(&case, &data, 1e-10, 1e-14)?;
        // f32 sums of up to 16 values in [-1, 1]: the error grows with the window size.
        let taps = (case.opts.kernel[0] * case.opts.kernel[1]) as f64;
        check_avg_forward::<f32>(&case, &data, 1e-6, 2.0 * taps * f32::EPSILON as f64)?;
    }

    #[test]
    fn adaptive_avg_pool2d_matches_reference(
        case in case(1),
        out in prop::array::uniform2(1..=13usize),
    ) {
        let data = uniform_vec(case.planes() * case.h * case.w, case.seed);
        let (oh, ow) = (out[0], out[1]);
        let want = per_plane(&data, case.h * case.w, |p| naive_adaptive_plane(p, (case.h, case.w), (oh, ow)));
        let y = input::<f64>(&data, &case).adaptive_avg_pool2d(out).unwrap();
        prop_assert_eq!(y.ndim(), case.shape().len());
        check(assert_close(&as_f64(&y), &want, 1e-10, 1e-14))?;
        let y = input::<f32>(&data, &case).adaptive_avg_pool2d(out).unwrap();
        let taps = (case.h.div_ceil(oh) + 1) * (case.w.div_ceil(ow) + 1);
        check(assert_close(&as_f64(&y), &want, 1e-6, 2.0 * taps as f64 * f32::EPSILON as f64))?;
    }

    #[test]
    fn pool1d_is_pool2d_with_unit_height(case in case(2)) {
        // Reuse the case's width axis as L.
        let o1 = Pool1dOptions {
            kernel: case.opts.kernel[1],
            stride: case.opts.stride[1],
            padding: case.opts.padding[1],
            dilation: case.opts.dilation[1],
            ceil_mode: case.opts.ceil_mode,
        };
        let o2 = o1.to_2d();
        let data = uniform_vec(case.planes() * case.w, case.seed);
        let x = Tensor::<f64>::from_vec(data.clone(), [case.n, case.c, case.w]).unwrap();
        let x = if case.unbatched { x.squeeze(0).unwrap() } else { x };
        match out_hw(1, case.w, &o2) {
            None => {
                let e = x.max_pool1d(o1).unwrap_err().to_string();
                prop_assert!(e.starts_with("max_pool1d: output size"), "{}", e);
                prop_assert!(o1.output_size(case.w).is_err());
            }
            Some((_, ol)) => {
                prop_assert_eq!(o1.output_size(case.w).unwrap(), ol);
                let (y, i) = x.max_pool1d(o1).unwrap();
                prop_assert_eq!(y.ndim(), x.ndim());
                prop_assert_eq!(y.shape().last(), Some(&ol));
                let (mut want, mut want_i) = (Vec::new(), Vec::new());
                for plane in data.chunks(case.w) {
                    let (v, i) = naive_max_plane(plane, (1, case.w), &o2, (1, ol));
                    want.extend(v);
                    want_i.extend(i);
                }
                prop_assert_eq!(as_f64(&y), want);
                prop_assert_eq!(ids(&i), want_i);
                // The 1-d gradient is the 2-d one over an H = 1 axis.
                let g = Tensor::<f64>::from_vec(uniform_vec(y.numel(), case.seed + 2), y.shape()).unwrap();
                let gx = Tensor::max_pool1d_backward(&g, &i, x.shape()).unwrap();
                let mut shape4 = vec![case.n, case.c, 1, ol];
                let mut in4 = vec![case.n, case.c, 1, case.w];
                if case.unbatched {
                    shape4.remove(0);
                    in4.remove(0);
                }
                let i4 = i.clone().into_shape_with_order(shape4.clone()).unwrap();
                let g4 = g.reshape_exact(&shape4).unwrap();
                let gx4 = Tensor::max_pool2d_backward(&g4, &i4, &in4).unwrap();
                prop_assert_eq!(gx.shape(), x.shape());
                prop_assert_eq!(gx.to_vec(), gx4.to_vec());
                if o1.dilation == 1 {
                    let ga = Tensor::avg_pool1d_backward(&g, x.shape(), o1, case.count_include_pad).unwrap();
                    let ya = x.avg_pool1d(o1, case.count_include_pad).unwrap();
                    let (lhs, rhs) = (dot(&ya.to_vec(), &g.to_vec()), dot(&data, &ga.to_vec()));
                    prop_assert!((lhs - rhs).abs() <= 1e-10 * (1.0 + lhs.abs()), "{} vs {}", lhs, rhs);
                    let y = x.avg_pool1d(o1, case.count_include_pad).unwrap();
                    let want = per_plane(&data, case.w, |p| {
                        naive_avg_plane(p, (1, case.w), &o2, (1, ol), case.count_include_pad)
                    });
                    check(assert_close(&as_f64(&y), &want, 1e-10, 1e-14))?;
                }
            }
        }
    }

    #[test]
    fn output_size_agrees_with_reference(case in case(3), big in prop::array::uniform2(1..=64usize)) {
        let got = case.opts.output_size(big);
        match out_hw(big[0], big[1], &case.opts) {
            Some((oh, ow)) => prop_assert_eq!(got.unwrap(), [oh, ow]),
            None => prop_assert!(got.is_err()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Gradients.
// ---------------------------------------------------------------------------------------------

/// `sum_o y_o * d out_o / d x_i` for every input `i`, by central differences of a per-plane
/// reference (perturbing one element only changes its own plane). Outputs that are not finite
/// (windows entirely in the padding) do not count.
fn finite_diff(
    x: &[f64],
    y: &[f64],
    hw: usize,
    ohw: usize,
    eps: f64,
    f: impl Fn(&[f64]) -> Vec<f64>,
) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    for (p, plane) in x.chunks(hw).enumerate() {
        let ys = &y[p * ohw..(p + 1) * ohw];
        let mut xp = plane.to_vec();
        for i in 0..hw {
            let orig = xp[i];
            xp[i] = orig + eps;
            let hi = f(&xp);
            xp[i] = orig - eps;
            let lo = f(&xp);
            xp[i] = orig;
            g[p * hw + i] = hi
                .iter()
                .zip(&lo)
                .zip(ys)
                .filter(|((a, b), _)| a.is_finite() && b.is_finite())
                .map(|((a, b), yv)| (a - b) * yv)
                .sum::<f64>()
                / (2.0 * eps);
        }
    }
    g
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn lead(case: &Case) -> Vec<usize> {
    let s = case.shape();
    s[..s.len() - 2].to_vec()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn max_pool2d_backward_matches_finite_differences(case in case(2)) {
        let hw = case.h * case.w;
        // Distinct values at least 2 / 726 apart: no ties, so the maximum is differentiable
        // and a step of 1e-4 never changes which element wins.
        let data = distinct(case.planes() * hw, case.seed);
        let Some((oh, ow)) = out_hw(case.h, case.w, &case.opts) else { return Ok(()); };
        let x = input::<f64>(&data, &case);
        let (y, idx) = x.max_pool2d(case.opts).unwrap();
        let ydata = uniform_vec(y.numel(), case.seed + 1);
        let g = grad::<f64>(&ydata, &lead(&case), oh, ow, case.strided);
        let gx = Tensor::max_pool2d_backward(&g, &idx, x.shape()).unwrap();
        prop_assert_eq!(gx.shape(), x.shape());
        let want = finite_diff(&data, &ydata, hw, oh * ow, 1e-4, |p| {
            naive_max_plane(p, (case.h, case.w), &case.opts, (oh, ow)).0
        });
        check(assert_close(&as_f64(&gx), &want, 1e-8, 1e-9))?;
        // f32 routes the same gradient (exactly: each input receives the sum of a few y's).
        let (_, idx32) = input::<f32>(&data, &case).max_pool2d(case.opts).unwrap();
        prop_assert_eq!(ids(&idx32), ids(&idx));
        let g32 = grad::<f32>(&ydata, &lead(&case), oh, ow, !case.strided);
        let gx32 = Tensor::max_pool2d_backward(&g32, &idx32, x.shape()).unwrap();
        check(assert_close(&as_f64(&gx32), &want, 1e-5, 1e-5))?;
    }

    #[test]
    fn avg_pool2d_backward_matches_finite_differences_and_adjoint(case in case(1)) {
        let hw = case.h * case.w;
        let opts = case.opts;
        let cip = case.count_include_pad;
        let Some((oh, ow)) = out_hw(case.h, case.w, &opts) else {
            let e = Tensor::<f64>::avg_pool2d_backward(&Tensor::zeros([1, 1, 1, 1]), &case.shape(), opts, cip)
                .unwrap_err()
                .to_string();
            prop_assert!(e.contains("is too small"), "{}", e);
            return Ok(());
        };
        let data = uniform_vec(case.planes() * hw, case.seed);
        let x = input::<f64>(&data, &case);
        let ydata = uniform_vec(case.planes() * oh * ow, case.seed + 7);
        let g = grad::<f64>(&ydata, &lead(&case), oh, ow, case.strided);
        let gx = Tensor::avg_pool2d_backward(&g, x.shape(), opts, cip).unwrap();
        prop_assert_eq!(gx.shape(), x.shape());
        let gx = as_f64(&gx);
        let want = finite_diff(&data, &ydata, hw, oh * ow, 0.5, |p| {
            naive_avg_plane(p, (case.h, case.w), &opts, (oh, ow), cip)
        });
        check(assert_close(&gx, &want, 1e-9, 1e-12))?;
        // <pool(x), y> = <x, pool_backward(y)>.
        let y = as_f64(&x.avg_pool2d(opts, cip).unwrap());
        let (lhs, rhs) = (dot(&y, &ydata), dot(&data, &gx));
        prop_assert!((lhs - rhs).abs() <= 1e-10 * (1.0 + lhs.abs()), "{} vs {}", lhs, rhs);
        // f32 agrees within its precision.
        let g32 = grad::<f32>(&ydata, &lead(&case), oh, ow, !case.strided);
        let gx32 = Tensor::avg_pool2d_backward(&g32, x.shape(), opts, cip).unwrap();
        check(assert_close(&as_f64(&gx32), &gx, 1e-5, 1e-5))?;
    }

    #[test]
    fn adaptive_backward_matches_finite_differences_and_adjoint(
        case in case(1),
        out in prop::array::uniform2(1..=13usize),
    ) {
        let hw = case.h * case.w;
        let (oh, ow) = (out[0], out[1]);
        let data = uniform_vec(case.planes() * hw, case.seed);
        let x = input::<f64>(&data, &case);
        let ydata = uniform_vec(case.planes() * oh * ow, case.seed + 3);
        let g = grad::<f64>(&ydata, &lead(&case), oh, ow, case.strided);
        let gx = as_f64(&Tensor::adaptive_avg_pool2d_backward(&g, x.shape()).unwrap());
        let want = finite_diff(&data, &ydata, hw, oh * ow, 0.5, |p| {
            naive_adaptive_plane(p, (case.h, case.w), (oh, ow))
        });
        check(assert_close(&gx, &want, 1e-9, 1e-12))?;
        let y = as_f64(&x.adaptive_avg_pool2d(out).unwrap());
        let (lhs, rhs) = (dot(&y, &ydata), dot(&data, &gx));
        prop_assert!((lhs - rhs).abs() <= 1e-10 * (1.0 + lhs.abs()), "{} vs {}", lhs, rhs);
    }
}

// ---------------------------------------------------------------------------------------------
// Larger inputs: the parallel path.
// ---------------------------------------------------------------------------------------------

#[test]
fn benchmark_shape_matches_reference() {
    // max_pool2d 2x2 on [64, 64, 14, 14], the benchmark case, on the parallel path.
    let (planes, h, w) = (64 * 64, 14, 14);
    let data = uniform_vec(planes * h * w, 11);
    let x =
        Tensor::<f32>::from_vec(data.iter().map(|&v| v as f32).collect(), [64, 64, h, w]).unwrap();
    let opts = Pool2dOptions::new(2);
    let (y, i) = x.max_pool2d(opts).unwrap();
    assert_eq!(y.shape(), &[64, 64, 7, 7]);
    let held: Vec<f64> = data.iter().map(|&v| v as f32 as f64).collect();
    let (mut want, mut want_i) = (Vec::new(), Vec::new());
    for plane in held.chunks(h * w) {
        let (v, i) = naive_max_plane(plane, (h, w), &opts, (7, 7));
        want.extend(v);
        want_i.extend(i);
    }
    assert_eq!(as_f64(&y), want);
    assert_eq!(ids(&i), want_i);
    // The gradient routes every output to its argmax.
    let gx = Tensor::max_pool2d_backward(&y.ones_like(), &i, x.shape()).unwrap();
    assert_eq!(gx.to_vec().iter().sum::<f32>(), (planes * 49) as f32);
}

#[test]
fn large_strided_inputs_match_reference() {
    let case = Case {
        n: 3,
        c: 17,
        h: 23,
        w: 29,
        opts: Pool2dOptions::new(3).stride(2).padding(1).ceil_mode(true),
        count_include_pad: true,
        strided: true,
        unbatched: false,
        seed: 5,
    };
    let hw = case.h * case.w;
    let data = uniform_vec(case.planes() * hw, case.seed);
    check_max_forward::<f64>(&case, &data).unwrap();
    check_avg_forward::<f64>(&case, &data, 1e-10, 1e-14).unwrap();
    let (oh, ow) = out_hw(case.h, case.w, &case.opts).unwrap();
    let x = input::<f64>(&data, &case);
    // Average backward on the parallel path against the adjoint identity.
    let ydata = uniform_vec(case.planes() * oh * ow, 6);
    let g = grad::<f64>(&ydata, &lead(&case), oh, ow, true);
    let gx = as_f64(&Tensor::avg_pool2d_backward(&g, x.shape(), case.opts, true).unwrap());
    let y = as_f64(&x.avg_pool2d(case.opts, true).unwrap());
    assert!((dot(&y, &ydata) - dot(&data, &gx)).abs() < 1e-9);
    // Adaptive forward and backward likewise.
    let a = as_f64(&x.adaptive_avg_pool2d([7, 5]).unwrap());
    let want = per_plane(&data, hw, |p| {
        naive_adaptive_plane(p, (case.h, case.w), (7, 5))
    });
    assert_close(&a, &want, 1e-10, 1e-14).unwrap();
    let ya = uniform_vec(case.planes() * 35, 8);
    let ga = grad::<f64>(&ya, &lead(&case), 7, 5, false);
    let gxa = as_f64(&Tensor::adaptive_avg_pool2d_backward(&ga, x.shape()).unwrap());
    assert!((dot(&a, &ya) - dot(&data, &gxa)).abs() < 1e-9);
}
