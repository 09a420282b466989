//! Property tests of the elementwise ops and activations against plain loops, on shapes that
//! break kernels (1s, primes, odd sizes) and on non-contiguous operands, plus central
//! finite-difference checks of every `*_backward` helper.

use ndarray::{ArrayD, IxDyn, Slice};
use proptest::prelude::*;
use youshi_tensor::{Element, Tensor, TensorError};
use youshi_testkit::{assert_close, uniform_vec};

// ---------------------------------------------------------------------------------------------
// Building operands

/// Memory layout of a test operand with given logical values.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// Row-major.
    Contiguous,
    /// Dense, with the axes rotated in memory (a permuted view; for rank 3 and more the
    /// permutation is not its own inverse).
    Permuted,
    /// Every other element of a buffer twice as wide along the last axis (not dense).
    Strided,
}

fn layout() -> impl Strategy<Value = Layout> {
    prop_oneof![
        Just(Layout::Contiguous),
        Just(Layout::Permuted),
        Just(Layout::Strided)
    ]
}

/// A tensor of `shape` whose logical row-major values are `data`, stored with `layout`.
fn make<T: Element>(data: &[f64], shape: &[usize], layout: Layout) -> Tensor<T> {
    let vals: Vec<T> = data.iter().map(|&v| T::of(v)).collect();
    let t = Tensor::from_vec(vals.clone(), shape).unwrap();
    match layout {
        Layout::Contiguous => t,
        Layout::Permuted => {
            let r = shape.len();
            // Store axis order [1, 2, .., r-1, 0], then view it back in logical order.
            let rot: Vec<isize> = (0..r).map(|i| ((i + 1) % r) as isize).collect();
            let back: Vec<isize> = (0..r).map(|i| ((i + r - 1) % r) as isize).collect();
            t.permute(&rot)
                .unwrap()
                .contiguous()
                .permute(&back)
                .unwrap()
        }
        Layout::Strided => {
            if shape.is_empty() {
                return t;
            }
            let last = shape.len() - 1;
            let mut wide = shape.to_vec();
            wide[last] *= 2;
            // Gaps hold NaN, so a kernel that reads them fails the comparison.
            let arr = ArrayD::from_shape_fn(IxDyn(&wide), |ix| {
                if ix[last] % 2 == 1 {
                    return T::nan();
                }
                let mut flat = 0;
                for d in 0..=last {
                    let c = if d == last { ix[d] / 2 } else { ix[d] };
                    flat = flat * shape[d] + c;
                }
                vals[flat]
            });
            let mut arc = arr.into_shared();
            arc.slice_each_axis_inplace(|ax| {
                if ax.axis.index() == last {
                    Slice::new(0, None, 2)
                } else {
                    Slice::from(..)
                }
            });
            let s = Tensor::from_arc(arc);
            assert_eq!(s.shape(), shape);
            s
        }
    }
}

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

fn as_f64<T: Element>(t: &Tensor<T>) -> Vec<f64> {
    t.to_vec().into_iter().map(|v| v.as_f64()).collect()
}

/// [`assert_close`], except that exactly equal pairs (two infinities) and pairs of NaNs (a
/// function outside its domain, like `log1p(-2)`) pass.
fn close(got: &[f64], want: &[f64], rtol: f64, atol: f64) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!("lengths differ: {} vs {}", got.len(), want.len()));
    }
    let (g, w): (Vec<f64>, Vec<f64>) = got
        .iter()
        .zip(want)
        .filter(|(g, w)| g != w && !(g.is_nan() && w.is_nan()))
        .map(|(&g, &w)| (g, w))
        .unzip();
    assert_close(&g, &w, rtol, atol)
}

/// Values rounded to quarters, so that ties and equal elements occur often.
fn quantize(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| (x * 4.0).round() / 4.0).collect()
}

// ---------------------------------------------------------------------------------------------
// Naive references: nested loops over row-major Vec<f64>, shapes left-padded to rank 4.

fn pad4(s: &[usize]) -> [usize; 4] {
    let mut p = [1; 4];
    p[4 - s.len()..].copy_from_slice(s);
    p
}

/// Flat index into a row-major operand of padded shape `s` at output index `i` (broadcast
/// dimensions of size 1 always read index 0).
fn at(s: &[usize; 4], i: [usize; 4]) -> usize {
    let mut flat = 0;
    for d in 0..4 {
        let c = if s[d] == 1 { 0 } else { i[d] };
        flat = flat * s[d] + c;
    }
    flat
}

fn naive_broadcast2(
    a: &[f64],
    ash: &[usize],
    b: &[f64],
    bsh: &[usize],
    f: impl Fn(f64, f64) -> f64,
) -> (Vec<usize>, Vec<f64>) {
    let (pa, pb) = (pad4(ash), pad4(bsh));
    let mut out = [0; 4];
    for d in 0..4 {
        out[d] = pa[d].max(pb[d]);
    }
    let mut res = Vec::new();
    for i0 in 0..out[0] {
        for i1 in 0..out[1] {
            for i2 in 0..out[2] {
                for i3 in 0..out[3] {
                    let i = [i0, i1, i2, i3];
                    res.push(f(a[at(&pa, i)], b[at(&pb, i)]));
                }
            }
        }
    }
    let rank = ash.len().max(bsh.len());
    (out[4 - rank..].to_vec(), res)
}

fn naive_where(
    c: &[f64],
    csh: &[usize],
    x: &[f64],
    xsh: &[usize],
    y: &[f64],
    ysh: &[usize],
) -> (Vec<usize>, Vec<f64>) {
    let (pc, px, py) = (pad4(csh), pad4(xsh), pad4(ysh));
    let mut out = [0; 4];
    for d in 0..4 {
        out[d] = pc[d].max(px[d]).max(py[d]);
    }
    let mut res = Vec::new();
    for i0 in 0..out[0] {
        for i1 in 0..out[1] {
            for i2 in 0..out[2] {
                for i3 in 0..out[3] {
                    let i = [i0, i1, i2, i3];
                    let v = if c[at(&pc, i)] != 0.0 {
                        x[at(&px, i)]
                    } else {
                        y[at(&py, i)]
                    };
                    res.push(v);
                }
            }
        }
    }
    let rank = csh.len().max(xsh.len()).max(ysh.len());
    (out[4 - rank..].to_vec(), res)
}

// ---------------------------------------------------------------------------------------------
// Shapes

/// `k` shapes that broadcast together: a common shape of rank 0-4 with dims 1-5, in which
/// each operand sees some dimensions as 1 and may drop leading dimensions.
fn broadcastable(k: usize) -> impl Strategy<Value = Vec<Vec<usize>>> {
    (0usize..=4)
        .prop_flat_map(move |r| {
            (
                prop::collection::vec(1usize..=5, r),
                prop::collection::vec((prop::collection::vec(any::<bool>(), r), 0..=r), k),
            )
        })
        .prop_map(|(dims, views)| {
            views
                .into_iter()
                .map(|(ones, drop)| {
                    let s: Vec<usize> = dims
                        .iter()
                        .zip(&ones)
                        .map(|(&d, &one)| if one { 1 } else { d })
                        .collect();
                    s[drop..].to_vec()
                })
                .collect()
        })
}

fn any_shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=5, 0..=4)
}

// ---------------------------------------------------------------------------------------------
// Binary ops

type BinOp<T> = fn(&Tensor<T>, &Tensor<T>) -> Result<Tensor<T>, TensorError>;
/// `(name, op, reference, quantize the operands, positive lhs)`.
type BinCase<T> = (&'static str, BinOp<T>, fn(f64, f64) -> f64, bool, bool);

/// Every binary op with its plain reference and the transforms applied to its operands'
/// data (positive bases for `pow`, quantized values where ties matter).
fn binary_ops<T: Element>() -> Vec<BinCase<T>> {
    vec![
        ("add", Tensor::add, |x, y| x + y, false, false),
        ("sub", Tensor::sub, |x, y| x - y, false, false),
        ("mul", Tensor::mul, |x, y| x * y, false, false),
        ("div", Tensor::div, |x, y| x / y, false, false),
        ("pow", Tensor::pow, |x, y| x.powf(y), false, true),
        ("maximum", Tensor::maximum, f64::max, true, false),
        ("minimum", Tensor::minimum, f64::min, true, false),
        (
            "eq",
            Tensor::eq,
            |x, y| f64::from(u8::from(x == y)),
            true,
            false,
        ),
        (
            "ne",
            Tensor::ne,
            |x, y| f64::from(u8::from(x != y)),
            true,
            false,
        ),
        (
            "lt",
            Tensor::lt,
            |x, y| f64::from(u8::from(x < y)),
            true,
            false,
        ),
        (
            "le",
            Tensor::le,
            |x, y| f64::from(u8::from(x <= y)),
            true,
            false,
        ),
        (
            "gt",
            Tensor::gt,
            |x, y| f64::from(u8::from(x > y)),
            true,
            false,
        ),
        (
            "ge",
            Tensor::ge,
            |x, y| f64::from(u8::from(x >= y)),
            true,
            false,
        ),
    ]
}

/// Runs every binary op on operands of shapes `sa`, `sb` with the given layouts and compares
/// with the naive loop.
fn check_binary<T: Element>(
    sa: &[usize],
    sb: &[usize],
    la: Layout,
    lb: Layout,
    seed: u64,
    rtol: f64,
    atol: f64,
) -> Result<(), TestCaseError> {
    let raw_a = uniform_vec(numel(sa), seed);
    let raw_b = uniform_vec(numel(sb), seed ^ 0x9e37_79b9);
    for (name, op, reference, quant, positive) in binary_ops::<T>() {
        let mut da = if quant {
            quantize(&raw_a)
        } else {
            raw_a.clone()
        };
        let db = if quant {
            quantize(&raw_b)
        } else {
            raw_b.clone()
        };
        if positive {
            da.iter_mut().for_each(|v| *v = v.abs() + 0.1);
        }
        // The reference sees exactly the values the tensors hold (rounded to T).
        let (a, b) = (make::<T>(&da, sa, la), make::<T>(&db, sb, lb));
        let (ra, rb) = (as_f64(&a), as_f64(&b));
        let (shape, want) = naive_broadcast2(&ra, sa, &rb, sb, reference);
        let got = op(&a, &b).map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
        prop_assert_eq!(got.shape(), shape.as_slice(), "{} shape", name);
        let r = close(&as_f64(&got), &want, rtol, atol);
        prop_assert!(
            r.is_ok(),
            "{} {:?} {:?} {:?} {:?}: {:?}",
            name,
            sa,
            la,
            sb,
            lb,
            r
        );
    }
    Ok(())
}

/// [`check_binary`] for both operand orders, with row-major operands (the broadcast kernel)
/// and with the drawn layouts.
fn check_binary_all<T: Element>(
    sa: &[usize],
    sb: &[usize],
    la: Layout,
    lb: Layout,
    seed: u64,
    rtol: f64,
    atol: f64,
) -> Result<(), TestCaseError> {
    let c = Layout::Contiguous;
    for (x, lx, y, ly) in [
        (sa, c, sb, c),
        (sb, c, sa, c),
        (sa, la, sb, lb),
        (sb, lb, sa, la),
    ] {
        check_binary::<T>(x, y, lx, ly, seed, rtol, atol)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn binary_ops_match_naive_broadcast_f64(
        shapes in broadcastable(2),
        la in layout(),
        lb in layout(),
        seed in any::<u64>(),
    ) {
        check_binary_all::<f64>(&shapes[0], &shapes[1], la, lb, seed, 1e-10, 0.0)?;
    }

    #[test]
    fn binary_ops_match_naive_broadcast_f32(
        shapes in broadcastable(2),
        la in layout(),
        lb in layout(),
        seed in any::<u64>(),
    ) {
        // One rounding of one operation: a few f32 ulps.
        check_binary_all::<f32>(&shapes[0], &shapes[1], la, lb, seed, 1e-6, 1e-7)?;
    }

    #[test]
    fn zip_map_matches_naive_broadcast(
        shapes in broadcastable(2),
        la in layout(),
        lb in layout(),
        seed in any::<u64>(),
    ) {
        let (sa, sb) = (&shapes[0], &shapes[1]);
        let (da, db) = (uniform_vec(numel(sa), seed), uniform_vec(numel(sb), seed + 1));
        let a = make::<f64>(&da, sa, la);
        let b = make::<f64>(&db, sb, lb);
        let got = a.zip_map(&b, "fma", |x, y| x.mul_add(y, 0.5)).unwrap();
        let (shape, want) = naive_broadcast2(&da, sa, &db, sb, |x, y| x.mul_add(y, 0.5));
        prop_assert_eq!(got.shape(), shape.as_slice());
        prop_assert_eq!(as_f64(&got), want);
    }

    #[test]
    fn incompatible_shapes_name_both(
        prefix in prop::collection::vec(1usize..=3, 0..=2),
        (p, q) in (2usize..=5, 2usize..=5).prop_filter("distinct", |(p, q)| p != q),
        la in layout(),
    ) {
        let mut sa = prefix.clone();
        sa.push(p);
        let sb = vec![q];
        let a = make::<f64>(&vec![1.0; numel(&sa)], &sa, la);
        let b = Tensor::<f64>::zeros(sb.as_slice());
        for (name, op, ..) in binary_ops::<f64>() {
            let e = op(&a, &b).unwrap_err();
            let is_broadcast = matches!(e, TensorError::Broadcast { .. });
            prop_assert!(is_broadcast, "{}: {:?}", name, e);
            let want = format!(
                "{name}: shapes {:?} and {:?} cannot be broadcast together",
                sa, sb
            );
            prop_assert_eq!(e.to_string(), want);
        }
    }

    #[test]
    fn where_cond_matches_naive(
        shapes in broadcastable(3),
        lc in layout(),
        lx in layout(),
        ly in layout(),
        seed in any::<u64>(),
    ) {
        let (sc, sx, sy) = (&shapes[0], &shapes[1], &shapes[2]);
        // Conditions: zeros, ones and other non-zero values.
        let dc: Vec<f64> = uniform_vec(numel(sc), seed)
            .iter()
            .map(|v| if *v < 0.0 { 0.0 } else { (v * 3.0).round() })
            .collect();
        let dx = uniform_vec(numel(sx), seed + 1);
        let dy = uniform_vec(numel(sy), seed + 2);
        let got = Tensor::where_cond(
            &make::<f64>(&dc, sc, lc),
            &make::<f64>(&dx, sx, lx),
            &make::<f64>(&dy, sy, ly),
        )
        .unwrap();
        let (shape, want) = naive_where(&dc, sc, &dx, sx, &dy, sy);
        prop_assert_eq!(got.shape(), shape.as_slice());
        prop_assert_eq!(as_f64(&got), want);
    }
}

#[test]
fn broadcast_4x1x3_plus_2x1_against_naive() {
    for (la, lb) in [
        (Layout::Contiguous, Layout::Contiguous),
        (Layout::Permuted, Layout::Strided),
    ] {
        let da = uniform_vec(12, 1);
        let db = uniform_vec(2, 2);
        let got = make::<f64>(&da, &[4, 1, 3], la)
            .add(&make::<f64>(&db, &[2, 1], lb))
            .unwrap();
        let (shape, want) = naive_broadcast2(&da, &[4, 1, 3], &db, &[2, 1], |x, y| x + y);
        assert_eq!(shape, vec![4, 2, 3]);
        assert_eq!(got.shape(), &[4, 2, 3]);
        assert_eq!(as_f64(&got), want);
    }
}

/// Sizes large enough for every parallel path (> 1 << 16 output elements), with prime
/// extents and all three layouts.
#[test]
fn large_broadcasts_match_naive_on_the_pool() {
    let cases: [(&[usize], &[usize]); 5] = [
        (&[31, 1, 1013], &[11, 1]),
        (&[3, 41, 37, 17], &[3, 41, 37, 17]),
        (&[7, 11, 1021], &[1021]),
        (&[257, 263], &[257, 263]),
        (&[3, 1, 131, 173], &[5, 1, 1]),
    ];
    for (sa, sb) in cases {
        for (la, lb) in [
            (Layout::Contiguous, Layout::Contiguous),
            (Layout::Permuted, Layout::Permuted),
            (Layout::Strided, Layout::Contiguous),
        ] {
            let da = uniform_vec(numel(sa), 3);
            let db = uniform_vec(numel(sb), 4);
            let got = make::<f64>(&da, sa, la)
                .mul(&make::<f64>(&db, sb, lb))
                .unwrap();
            let (shape, want) = naive_broadcast2(&da, sa, &db, sb, |x, y| x * y);
            assert_eq!(got.shape(), shape.as_slice());
            assert_eq!(as_f64(&got), want, "{sa:?} {la:?} * {sb:?} {lb:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Unary ops, scalar forms and activations

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        x.exp() / (1.0 + x.exp())
    }
}

fn gelu(x: f64) -> f64 {
    0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
}

fn gelu_tanh(x: f64) -> f64 {
    let k = (2.0 / std::f64::consts::PI).sqrt();
    0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
}

fn softplus(x: f64, beta: f64, threshold: f64) -> f64 {
    if beta * x > threshold {
        x
    } else {
        (beta * x).exp().ln_1p() / beta
    }
}

type UnOp = fn(&Tensor<f64>) -> Tensor<f64>;
/// `(name, op, reference, needs a positive input)`.
type UnCase = (&'static str, UnOp, fn(f64) -> f64, bool);

/// Every unary op with its reference and whether it needs a positive input.
fn unary_ops() -> Vec<UnCase> {
    vec![
        ("neg", Tensor::neg, |x| -x, false),
        ("abs", Tensor::abs, f64::abs, false),
        (
            "sign",
            Tensor::sign,
            |x| {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            },
            false,
        ),
        ("square", Tensor::square, |x| x * x, false),
        ("recip", Tensor::recip, |x| 1.0 / x, false),
        ("exp", Tensor::exp, f64::exp, false),
        ("log", Tensor::log, f64::ln, true),
        ("log1p", Tensor::log1p, f64::ln_1p, false),
        ("expm1", Tensor::expm1, f64::exp_m1, false),
        ("sqrt", Tensor::sqrt, f64::sqrt, true),
        ("rsqrt", Tensor::rsqrt, |x| 1.0 / x.sqrt(), true),
        ("sin", Tensor::sin, f64::sin, false),
        ("cos", Tensor::cos, f64::cos, false),
        ("tanh", Tensor::tanh, f64::tanh, false),
        ("sigmoid", Tensor::sigmoid, sigmoid, false),
        ("relu", Tensor::relu, |x| x.max(0.0), false),
        (
            "leaky_relu",
            |t| t.leaky_relu(0.01),
            |x| if x > 0.0 { x } else { 0.01 * x },
            false,
        ),
        (
            "elu",
            |t| t.elu(1.3),
            |x| if x > 0.0 { x } else { 1.3 * x.exp_m1() },
            false,
        ),
        ("gelu", Tensor::gelu, gelu, false),
        ("gelu_tanh", Tensor::gelu_tanh, gelu_tanh, false),
        (
            "softplus",
            |t| t.softplus(2.0, 3.0).unwrap(),
            |x| softplus(x, 2.0, 3.0),
            false,
        ),
        ("silu", Tensor::silu, |x| x * sigmoid(x), false),
        (
            "hardtanh",
            |t| t.hardtanh(-0.5, 0.25).unwrap(),
            |x| x.clamp(-0.5, 0.25),
            false,
        ),
        (
            "clamp",
            |t| t.clamp(Some(-0.5), Some(0.25)).unwrap(),
            |x| x.clamp(-0.5, 0.25),
            false,
        ),
        ("add_scalar", |t| t.add_scalar(0.3), |x| x + 0.3, false),
        ("sub_scalar", |t| t.sub_scalar(0.3), |x| x - 0.3, false),
        ("rsub_scalar", |t| t.rsub_scalar(0.3), |x| 0.3 - x, false),
        ("mul_scalar", |t| t.mul_scalar(-1.7), |x| x * -1.7, false),
        ("div_scalar", |t| t.div_scalar(-1.7), |x| x / -1.7, false),
        ("pow_scalar", |t| t.pow_scalar(1.7), |x| x.powf(1.7), true),
        ("pow_scalar_2", |t| t.pow_scalar(2.0), |x| x * x, false),
        (
            "eq_scalar",
            |t| t.eq_scalar(0.25),
            |x| f64::from(u8::from(x == 0.25)),
            false,
        ),
        (
            "ne_scalar",
            |t| t.ne_scalar(0.25),
            |x| f64::from(u8::from(x != 0.25)),
            false,
        ),
        (
            "lt_scalar",
            |t| t.lt_scalar(0.25),
            |x| f64::from(u8::from(x < 0.25)),
            false,
        ),
        (
            "le_scalar",
            |t| t.le_scalar(0.25),
            |x| f64::from(u8::from(x <= 0.25)),
            false,
        ),
        (
            "gt_scalar",
            |t| t.gt_scalar(0.25),
            |x| f64::from(u8::from(x > 0.25)),
            false,
        ),
        (
            "ge_scalar",
            |t| t.ge_scalar(0.25),
            |x| f64::from(u8::from(x >= 0.25)),
            false,
        ),
        (
            "map_par",
            |t| t.map_par(|x| 2.0 * x + 1.0),
            |x| 2.0 * x + 1.0,
            false,
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn unary_ops_match_scalar_functions(
        shape in any_shape(),
        l in layout(),
        seed in any::<u64>(),
    ) {
        // Spread over [-4, 4), quantized to quarters half of the time so ties with the
        // scalar operands and the clamp bounds occur.
        let mut data: Vec<f64> = uniform_vec(numel(&shape), seed).iter().map(|v| 4.0 * v).collect();
        if seed % 2 == 0 {
            data = quantize(&data);
        }
        for (name, op, reference, positive) in unary_ops() {
            let d: Vec<f64> = if positive {
                data.iter().map(|v| v.abs() + 0.1).collect()
            } else {
                data.clone()
            };
            let got = op(&make::<f64>(&d, &shape, l));
            prop_assert_eq!(got.shape(), shape.as_slice(), "{}", name);
            let want: Vec<f64> = d.iter().map(|&v| reference(v)).collect();
            let r = close(&as_f64(&got), &want, 1e-12, 1e-15);
            prop_assert!(r.is_ok(), "{} {:?} {:?}: {:?}", name, shape, l, r);
        }
    }

    #[test]
    fn add_assign_scaled_matches_naive(
        shape in any_shape(),
        l_self in layout(),
        l_rhs in layout(),
        alpha in -2.0f64..2.0,
        seed in any::<u64>(),
    ) {
        let n = numel(&shape);
        let (d, r) = (uniform_vec(n, seed), uniform_vec(n, seed + 7));
        let mut t = make::<f64>(&d, &shape, l_self);
        let keep = t.clone();
        t.add_assign_scaled(&make::<f64>(&r, &shape, l_rhs), alpha).unwrap();
        let want: Vec<f64> = d.iter().zip(&r).map(|(x, y)| x + alpha * y).collect();
        prop_assert_eq!(as_f64(&t), want.clone());
        // Copy on write: the clone taken before is untouched.
        prop_assert_eq!(as_f64(&keep), d);
        t.scale_inplace(0.5);
        let halves: Vec<f64> = want.iter().map(|v| v * 0.5).collect();
        prop_assert_eq!(as_f64(&t), halves);
    }
}

#[test]
fn activation_limits() {
    for x in [-1e4f64, 1e4] {
        let t64 = Tensor::from_vec(vec![x], [1]).unwrap();
        let t32 = Tensor::from_vec(vec![x as f32], [1]).unwrap();
        let want = if x > 0.0 { 1.0 } else { 0.0 };
        assert_eq!(t64.sigmoid().to_vec(), vec![want]);
        assert_eq!(t32.sigmoid().to_vec(), vec![want as f32]);
        for v in [
            t64.silu(),
            t64.gelu(),
            t64.gelu_tanh(),
            t64.softplus(1.0, 20.0).unwrap(),
            t64.elu(1.0),
        ] {
            assert!(v.to_vec()[0].is_finite());
        }
        for v in [
            t32.silu(),
            t32.gelu(),
            t32.gelu_tanh(),
            t32.softplus(1.0, 20.0).unwrap(),
        ] {
            assert!(v.to_vec()[0].is_finite());
        }
    }
    let g = Tensor::from_vec(vec![1.0f64], [1]).unwrap().gelu().to_vec()[0];
    assert!((g - 0.8413447460685429).abs() < 1e-15);
}

// ---------------------------------------------------------------------------------------------
// Finite differences of the backward helpers

type Forward = fn(&Tensor<f64>) -> Tensor<f64>;
type Backward = fn(&Tensor<f64>, &Tensor<f64>) -> Result<Tensor<f64>, TensorError>;

/// Every backward helper, as `(name, forward, backward(x, grad), kinks to stay away from)`.
/// `sigmoid_backward` and `tanh_backward` take the forward output, so their entries apply the
/// forward first.
fn backward_ops() -> Vec<(&'static str, Forward, Backward, Vec<f64>)> {
    vec![
        (
            "sigmoid",
            Tensor::sigmoid,
            |x, g| x.sigmoid().sigmoid_backward(g),
            vec![],
        ),
        (
            "tanh",
            Tensor::tanh,
            |x, g| x.tanh().tanh_backward(g),
            vec![],
        ),
        ("relu", Tensor::relu, |x, g| x.relu_backward(g), vec![0.0]),
        (
            "leaky_relu",
            |x| x.leaky_relu(0.05),
            |x, g| x.leaky_relu_backward(g, 0.05),
            vec![0.0],
        ),
        (
            "elu",
            |x| x.elu(1.3),
            |x, g| x.elu_backward(g, 1.3),
            vec![0.0],
        ),
        ("gelu", Tensor::gelu, |x, g| x.gelu_backward(g), vec![]),
        (
            "gelu_tanh",
            Tensor::gelu_tanh,
            |x, g| x.gelu_tanh_backward(g),
            vec![],
        ),
        (
            "softplus",
            |x| x.softplus(2.0, 3.0).unwrap(),
            |x, g| x.softplus_backward(g, 2.0, 3.0),
            vec![1.5],
        ),
        ("silu", Tensor::silu, |x, g| x.silu_backward(g), vec![]),
        (
            "hardtanh",
            |x| x.hardtanh(-0.5, 1.5).unwrap(),
            |x, g| x.hardtanh_backward(g, -0.5, 1.5),
            vec![-0.5, 1.5],
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn backward_helpers_match_central_differences(
        shape in prop::collection::vec(1usize..=6, 1..=3),
        l in layout(),
        seed in any::<u64>(),
    ) {
        let n = numel(&shape);
        let xs: Vec<f64> = uniform_vec(n, seed).iter().map(|v| 4.0 * v).collect();
        let gs = uniform_vec(n, seed + 1);
        let h = 1.0 / 1048576.0; // 2^-20
        for (name, forward, backward, kinks) in backward_ops() {
            // Move points off the kinks so both differences fall on one side.
            let d: Vec<f64> = xs
                .iter()
                .map(|&v| if kinks.iter().any(|k| (v - k).abs() < 1e-3) { v + 0.01 } else { v })
                .collect();
            let x = make::<f64>(&d, &shape, l);
            let g = make::<f64>(&gs, &shape, Layout::Contiguous);
            let got = as_f64(&backward(&x, &g).unwrap());
            let up = as_f64(&forward(&x.add_scalar(h)));
            let down = as_f64(&forward(&x.sub_scalar(h)));
            let want: Vec<f64> = (0..n).map(|i| gs[i] * (up[i] - down[i]) / (2.0 * h)).collect();
            let r = assert_close(&got, &want, 1e-6, 1e-8);
            prop_assert!(r.is_ok(), "{} at {:?}: {:?}", name, d, r);
        }
    }
}
