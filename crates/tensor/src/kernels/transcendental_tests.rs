//! Accuracy of the `f32` kernels against `f64` `libm` over a dense grid of bit patterns,
//! special values, agreement of the portable and AVX2 loops, and property tests.

use proptest::prelude::*;

use super::*;

/// Every `STEP`-th `f32` bit pattern (both signs, all exponents, NaNs included).
const STEP: usize = 1009;

fn grid() -> Vec<f32> {
    (0..=u32::MAX).step_by(STEP).map(f32::from_bits).collect()
}

fn reference(op: Transcendental, x: f64) -> f64 {
    match op {
        Transcendental::Exp => x.exp(),
        Transcendental::Tanh => x.tanh(),
        // In f64 these are within a few f64 ulp, far below an f32 ulp.
        Transcendental::Sigmoid => {
            if x >= 0.0 {
                1.0 / (1.0 + (-x).exp())
            } else {
                x.exp() / (1.0 + x.exp())
            }
        }
        Transcendental::Silu => x * reference(Transcendental::Sigmoid, x),
    }
}

/// Error of `got` in units of the f32 spacing at the exact value `exact`; infinite if the
/// value rounds to an infinity (or NaN) that `got` does not match.
fn ulp_error(got: f32, exact: f64) -> f64 {
    if exact.is_nan() {
        return if got.is_nan() { 0.0 } else { f64::INFINITY };
    }
    let rounded = exact as f32;
    if rounded.is_infinite() || got.is_infinite() {
        return if got == rounded { 0.0 } else { f64::INFINITY };
    }
    let a = exact.abs();
    let ulp = if a < f64::from(f32::MIN_POSITIVE) {
        2f64.powi(-149)
    } else {
        2f64.powi(a.log2().floor() as i32 - 23)
    };
    (f64::from(got) - exact).abs() / ulp
}

/// Error of `op` at `x` in ulp. For SiLU with a subnormal sigmoid (`x < -87.3`), whose own
/// rounding is absolute (2^-149), an error within `|x| 2^-149` counts as zero: `x * sigmoid`
/// cannot be more precise than its factor (PyTorch's `x / (1 + e^-x)` gives 0 there).
fn op_error(op: Transcendental, x: f32, y: f32) -> f64 {
    let exact = reference(op, f64::from(x));
    if op == Transcendental::Silu
        && exact.is_finite()
        && (f64::from(y) - exact).abs() <= f64::from(x.abs()) * 2f64.powi(-149)
    {
        return 0.0;
    }
    ulp_error(y, exact)
}

/// The largest error of `op` over `xs` and the input where it occurs.
fn max_error(op: Transcendental, xs: &[f32]) -> (f64, f32) {
    let mut ys = vec![0.0; xs.len()];
    map_f32(op, xs, &mut ys);
    xs.iter()
        .zip(&ys)
        .map(|(&x, &y)| (op_error(op, x, y), x))
        .fold((0.0, 0.0), |m, e| if e.0 > m.0 { e } else { m })
}

#[test]
fn exp_is_within_one_ulp_on_the_grid() {
    let (err, at) = max_error(Transcendental::Exp, &grid());
    eprintln!("exp: max {err} ulp at {at:e}");
    assert!(err <= 1.0, "exp: {err} ulp at {at:e}");
}

#[test]
fn tanh_is_within_two_ulp_on_the_grid() {
    let (err, at) = max_error(Transcendental::Tanh, &grid());
    eprintln!("tanh: max {err} ulp at {at:e}");
    assert!(err <= 2.0, "tanh: {err} ulp at {at:e}");
}

#[test]
fn sigmoid_is_within_two_ulp_on_the_grid() {
    let (err, at) = max_error(Transcendental::Sigmoid, &grid());
    eprintln!("sigmoid: max {err} ulp at {at:e}");
    assert!(err <= 2.0, "sigmoid: {err} ulp at {at:e}");
}

#[test]
fn silu_is_within_three_ulp_on_the_grid() {
    // One more rounding (the product) on top of the sigmoid.
    let (err, at) = max_error(Transcendental::Silu, &grid());
    eprintln!("silu: max {err} ulp at {at:e}");
    assert!(err <= 3.0, "silu: {err} ulp at {at:e}");
}

/// Every f32 in `[lo, hi]` (same sign), densely.
fn every_f32(lo: f32, hi: f32) -> Vec<f32> {
    let (a, b) = (
        lo.to_bits().min(hi.to_bits()),
        lo.to_bits().max(hi.to_bits()),
    );
    (a..=b).map(f32::from_bits).collect()
}

#[test]
fn every_f32_near_the_tanh_switch_and_exp_limits() {
    let near_switch = every_f32(0.6, 0.65);
    let (err, at) = max_error(Transcendental::Tanh, &near_switch);
    assert!(err <= 2.0, "tanh: {err} ulp at {at:e}");
    let neg: Vec<f32> = near_switch.iter().map(|x| -x).collect();
    let (err, at) = max_error(Transcendental::Tanh, &neg);
    assert!(err <= 2.0, "tanh: {err} ulp at {at:e}");
    for (lo, hi) in [(88.6, 88.8), (-87.4, -87.2), (-104.1, -103.8)] {
        let (err, at) = max_error(Transcendental::Exp, &every_f32(lo, hi));
        assert!(err <= 1.0, "exp: {err} ulp at {at:e}");
    }
    let (err, at) = max_error(Transcendental::Sigmoid, &every_f32(-104.1, -87.0));
    assert!(err <= 2.0, "sigmoid: {err} ulp at {at:e}");
}

fn one(op: Transcendental, x: f32) -> f32 {
    let mut y = [0.0];
    map_f32(op, &[x], &mut y);
    y[0]
}

#[test]
fn special_values_are_exact() {
    use Transcendental::*;
    let (inf, nan) = (f32::INFINITY, f32::NAN);
    assert_eq!(one(Exp, 0.0), 1.0);
    assert_eq!(one(Exp, -0.0), 1.0);
    assert_eq!(one(Exp, inf), inf);
    assert_eq!(one(Exp, -inf).to_bits(), 0);
    assert_eq!(one(Exp, 88.73), inf);
    assert_eq!(one(Exp, 1e30), inf);
    assert!(one(Exp, 88.72).is_finite());
    assert_eq!(one(Exp, -103.98).to_bits(), 0);
    assert_eq!(one(Exp, -1e30).to_bits(), 0);
    assert_eq!(one(Exp, -103.9), f32::from_bits(1));
    assert!(one(Exp, nan).is_nan());

    assert_eq!(one(Tanh, 0.0).to_bits(), 0.0f32.to_bits());
    assert_eq!(one(Tanh, -0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(one(Tanh, 9.5), 1.0);
    assert_eq!(one(Tanh, -9.5), -1.0);
    assert_eq!(one(Tanh, inf), 1.0);
    assert_eq!(one(Tanh, -inf), -1.0);
    assert_eq!(one(Tanh, 1e-30), 1e-30);
    assert_eq!(one(Tanh, f32::from_bits(1)), f32::from_bits(1));
    assert!(one(Tanh, nan).is_nan());

    assert_eq!(one(Sigmoid, 0.0), 0.5);
    assert_eq!(one(Sigmoid, -0.0), 0.5);
    assert_eq!(one(Sigmoid, inf), 1.0);
    assert_eq!(one(Sigmoid, 20.0), 1.0);
    assert_eq!(one(Sigmoid, -inf).to_bits(), 0);
    assert_eq!(one(Sigmoid, -200.0).to_bits(), 0);
    assert!(
        one(Sigmoid, -100.0) > 0.0,
        "tiny results keep subnormal precision"
    );
    assert!(one(Sigmoid, nan).is_nan());

    assert!(one(Silu, -inf).is_nan(), "-inf * 0, as in PyTorch");
    assert_eq!(one(Silu, -200.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(one(Silu, inf), inf);
    assert!(one(Silu, nan).is_nan());
}

#[test]
fn portable_and_avx2_loops_agree_bit_for_bit() {
    let xs: Vec<f32> = (0..=u32::MAX)
        .step_by(STEP * 7)
        .map(f32::from_bits)
        .collect();
    for op in [
        Transcendental::Exp,
        Transcendental::Tanh,
        Transcendental::Sigmoid,
        Transcendental::Silu,
    ] {
        let mut want = vec![0.0; xs.len()];
        portable::map(op, &xs, &mut want);
        let scalar: Vec<f32> = xs
            .iter()
            .map(|&x| match op {
                Transcendental::Exp => exp_f32(x),
                Transcendental::Tanh => tanh_f32(x),
                Transcendental::Sigmoid => sigmoid_f32(x),
                Transcendental::Silu => silu_f32(x),
            })
            .collect();
        let same = |a: &[f32], b: &[f32], what: &str| {
            if let Some(i) = (0..a.len())
                .find(|&i| a[i].to_bits() != b[i].to_bits() && !(a[i].is_nan() && b[i].is_nan()))
            {
                panic!("{op:?} {what}: {:e} vs {:e} at x = {:e}", a[i], b[i], xs[i]);
            }
        };
        same(&want, &scalar, "loop vs scalar");
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") {
            let mut got = vec![0.0; xs.len()];
            // SAFETY: AVX2 was detected just above.
            unsafe { avx2::map(op, &xs, &mut got) };
            same(&got, &want, "avx2 vs portable");
            let mut inplace = xs.clone();
            // SAFETY: AVX2 was detected just above.
            unsafe { avx2::apply(op, &mut inplace) };
            same(&inplace, &want, "avx2 in place");
        }
        let mut inplace = xs.clone();
        portable::apply(op, &mut inplace);
        same(&inplace, &want, "portable in place");
    }
}

#[test]
fn f64_paths_are_the_scalar_libm_functions() {
    let xs: Vec<f64> = (-400..=400).map(|i| f64::from(i) * 0.37).collect();
    let mut e = vec![0.0; xs.len()];
    map_f64(Transcendental::Exp, &xs, &mut e);
    let mut t = xs.clone();
    apply_f64(Transcendental::Tanh, &mut t);
    let mut s = vec![0.0; xs.len()];
    map_f64(Transcendental::Sigmoid, &xs, &mut s);
    let mut si = xs.clone();
    apply_f64(Transcendental::Silu, &mut si);
    for (i, &x) in xs.iter().enumerate() {
        assert_eq!(e[i].to_bits(), x.exp().to_bits());
        assert_eq!(t[i].to_bits(), x.tanh().to_bits());
        let naive = 1.0 / (1.0 + (-x).exp());
        assert!((s[i] - naive).abs() <= 1e-15, "sigmoid({x}) = {}", s[i]);
        assert_eq!(si[i].to_bits(), (x * s[i]).to_bits());
    }
}

fn op_strategy() -> impl Strategy<Value = Transcendental> {
    prop_oneof![
        Just(Transcendental::Exp),
        Just(Transcendental::Tanh),
        Just(Transcendental::Sigmoid),
        Just(Transcendental::Silu),
    ]
}

proptest! {
    #[test]
    fn kernels_match_libm_in_place_and_mapped(
        op in op_strategy(),
        xs in prop::collection::vec(
            prop_oneof![any::<f32>(), -12.0f32..12.0, -110.0f32..95.0],
            0..70,
        ),
    ) {
        let mut mapped = vec![0.0; xs.len()];
        map_f32(op, &xs, &mut mapped);
        let mut inplace = xs.clone();
        apply_f32(op, &mut inplace);
        let bound = if op == Transcendental::Silu { 3.0 } else { 2.0 };
        for (i, &x) in xs.iter().enumerate() {
            prop_assert!(
                mapped[i].to_bits() == inplace[i].to_bits()
                    || (mapped[i].is_nan() && inplace[i].is_nan())
            );
            let err = op_error(op, x, mapped[i]);
            prop_assert!(err <= bound, "{:?}({:e}) = {:e}: {} ulp", op, x, mapped[i], err);
        }
    }
}
