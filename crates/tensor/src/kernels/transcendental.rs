//! Vectorisable `f32` kernels for `e^x`, `tanh`, the logistic sigmoid and SiLU.
//!
//! Each function is written without branches or calls (range reduction, a polynomial and
//! selects between precomputed candidates), so LLVM turns the loops over slices into SIMD
//! code: four lanes with the x86-64 baseline (SSE2), eight lanes in the AVX2 copy chosen at
//! run time. Both copies run the same IEEE operations in the same order (no fused
//! multiply-add), so they give bit-identical results. Every result is within 2 ulp of the
//! exact value (1 ulp for `exp`), with exact special values: `exp` overflows to `inf` above
//! 88.72 and underflows (through the subnormals) to 0 below -103.97, `tanh` saturates to ±1
//! and keeps the sign of zero, `sigmoid(-inf) = 0`, and NaN gives NaN.
//!
//! `f64` keeps the platform's `libm` (the slice entry points of
//! [`KernelScalar`](super::KernelScalar) loop over it), so double-precision results stay those
//! of the scalar functions.
//!
//! Setting the environment variable `YOUSHI_FORCE_KERNEL=portable` disables the AVX2 copies.

use std::sync::OnceLock;

/// The functions with a slice kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transcendental {
    /// `e^x`.
    Exp,
    /// Hyperbolic tangent.
    Tanh,
    /// The logistic function `1 / (1 + e^-x)`.
    Sigmoid,
    /// `x * sigmoid(x)`.
    Silu,
}

/// `e^x` for `f32` within 1 ulp.
///
/// Cody-Waite reduction `x = n ln2 + r` with `|r| <= ln2 / 2` (keeping the rounding error of
/// `r`), the Taylor polynomial of degree 7 for `e^r` (remainder below 1e-8 relative) summed
/// as `(1 + r) + (tail + q)` with the rounding of `1 + r` recovered, so that about one
/// rounding reaches the result; then `2^n` applied in two halves so that results in the
/// subnormal range are rounded once and overflow gives `inf`.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    // 1.5 * 2^23: adding it rounds to an integer, which then sits in the low mantissa bits.
    const MAGIC: f32 = 12_582_912.0;
    // ln 2 split so that `n * LN2_HI` is exact for |n| < 2^8 (LN2_HI has 16 significant bits).
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Beyond these bounds e^x is 0 or inf in f32 whatever the clamp; `clamp` keeps NaN.
    let x = x.clamp(-110.0, 90.0);
    let t = x * std::f32::consts::LOG2_E + MAGIC;
    let n = t.to_bits() as i32 - MAGIC.to_bits() as i32;
    let nf = t - MAGIC;
    // `x - nf * LN2_HI` is exact; `r + r_err` is the reduced argument to about 2^-48.
    let r_hi = x - nf * LN2_HI;
    let n_lo = nf * LN2_LO;
    let r = r_hi - n_lo;
    let r_err = (r_hi - r) - n_lo;
    let q = ((((((1.0 / 5040.0) * r + 1.0 / 720.0) * r + 1.0 / 120.0) * r + 1.0 / 24.0) * r
        + 1.0 / 6.0)
        * r
        + 0.5)
        * (r * r);
    // `one_r + tail` is exactly `1 + r` (|r| < 1).
    let one_r = 1.0 + r;
    let tail = (1.0 - one_r) + r;
    let p = one_r + (tail + (r_err + q));
    // n lies in [-159, 130]: both halves are normal powers of two.
    let n1 = n >> 1;
    let n2 = n - n1;
    let s1 = f32::from_bits(((n1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((n2 + 127) as u32) << 23);
    // `p * s1` is exact (a normal number), so the only rounding into the result is the last.
    (p * s1) * s2
}

/// `|x|` below which [`tanh_f32`] uses its odd polynomial.
const TANH_POLY_MAX: f32 = 0.625;

/// `tanh` for `f32` within 2 ulp.
///
/// For `|x| < 0.625`, `x + x s P(s)` with `s = x²` and `P` a degree-4 fit of
/// `(tanh(x) / x - 1) / s` (relative error below 5e-9); above, `1 - 2u / (1 + u)` with
/// `u = e^{-2|x|} <= 0.29`, which has no cancellation and saturates to 1. The sign is copied
/// from `x`, so `tanh(-0) = -0`.
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    let s = a * a;
    let poly = (((-5.706_578_5e-3 * s + 2.064_011_6e-2) * s - 5.373_982_7e-2) * s + 1.333_143_9e-1)
        * s
        - 3.333_328e-1;
    let small = a + a * (s * poly);
    let u = exp_f32(-2.0 * a);
    let large = 1.0 - (u + u) / (1.0 + u);
    let t = if a < TANH_POLY_MAX { small } else { large };
    t.copysign(x)
}

/// The logistic function for `f32` within 2 ulp: `e / (1 + e)` with `e = e^{-|x|}`, and
/// numerator 1 instead of `e` for `x >= 0`, so nothing overflows and tiny results keep their
/// precision down to the subnormals. The rounding error `d_lo` of `d = 1 + e` is recovered and
/// removed to first order, `y (1 - d_lo / d)`, with `1 / d` read off `y` (it is `y` or `1 - y`).
#[inline(always)]
pub(crate) fn sigmoid_f32(x: f32) -> f32 {
    let e = exp_f32(-x.abs());
    let d = 1.0 + e;
    let d_lo = (1.0 - d) + e;
    let pos = x >= 0.0;
    let num = if pos { 1.0 } else { e };
    let y = num / d;
    let inv_d = if pos { y } else { 1.0 - y };
    y - y * (d_lo * inv_d)
}

/// SiLU `x * sigmoid(x)` for `f32`.
#[inline(always)]
pub(crate) fn silu_f32(x: f32) -> f32 {
    x * sigmoid_f32(x)
}

/// `f(src[i])` into `dst[i]` over the common length, as one loop LLVM can vectorise.
#[inline(always)]
fn map_loop(src: &[f32], dst: &mut [f32], f: impl Fn(f32) -> f32) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = f(s);
    }
}

/// `f` applied in place, as one loop LLVM can vectorise.
#[inline(always)]
fn apply_loop(xs: &mut [f32], f: impl Fn(f32) -> f32) {
    for v in xs {
        *v = f(*v);
    }
}

/// Dispatches `op` to the monomorphic loop `$body!(function)`.
macro_rules! by_op {
    ($op:expr, $body:ident) => {
        match $op {
            Transcendental::Exp => $body!(exp_f32),
            Transcendental::Tanh => $body!(tanh_f32),
            Transcendental::Sigmoid => $body!(sigmoid_f32),
            Transcendental::Silu => $body!(silu_f32),
        }
    };
}

/// The portable loops, compiled for the target's baseline features.
mod portable {
    use super::*;

    pub(super) fn map(op: Transcendental, src: &[f32], dst: &mut [f32]) {
        macro_rules! go {
            ($f:ident) => {
                map_loop(src, dst, $f)
            };
        }
        by_op!(op, go)
    }

    pub(super) fn apply(op: Transcendental, xs: &mut [f32]) {
        macro_rules! go {
            ($f:ident) => {
                apply_loop(xs, $f)
            };
        }
        by_op!(op, go)
    }
}

/// The same loops compiled with AVX2 enabled (eight `f32` lanes).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::*;

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn map(op: Transcendental, src: &[f32], dst: &mut [f32]) {
        macro_rules! go {
            ($f:ident) => {
                map_loop(src, dst, $f)
            };
        }
        by_op!(op, go)
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn apply(op: Transcendental, xs: &mut [f32]) {
        macro_rules! go {
            ($f:ident) => {
                apply_loop(xs, $f)
            };
        }
        by_op!(op, go)
    }
}

/// True if the AVX2 loops may run: the CPU has AVX2 and `YOUSHI_FORCE_KERNEL` does not ask
/// for the portable path. Decided once per process.
fn use_avx2() -> bool {
    static USE: OnceLock<bool> = OnceLock::new();
    *USE.get_or_init(|| {
        let forced_portable = std::env::var("YOUSHI_FORCE_KERNEL").is_ok_and(|v| v == "portable");
        #[cfg(target_arch = "x86_64")]
        {
            !forced_portable && is_x86_feature_detected!("avx2")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = forced_portable;
            false
        }
    })
}

/// `op(src[i])` into `dst[i]` for `i < min(src.len(), dst.len())`.
pub(crate) fn map_f32(op: Transcendental, src: &[f32], dst: &mut [f32]) {
    debug_assert_eq!(src.len(), dst.len());
    #[cfg(target_arch = "x86_64")]
    if use_avx2() {
        // SAFETY: `use_avx2` returned true only after `is_x86_feature_detected!("avx2")`.
        return unsafe { avx2::map(op, src, dst) };
    }
    portable::map(op, src, dst)
}

/// `op` applied to every element of `xs` in place.
pub(crate) fn apply_f32(op: Transcendental, xs: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if use_avx2() {
        // SAFETY: `use_avx2` returned true only after `is_x86_feature_detected!("avx2")`.
        return unsafe { avx2::apply(op, xs) };
    }
    portable::apply(op, xs)
}

/// The logistic function in `f64` from `libm`'s `exp`, without overflow: `e^-|x|` is at most
/// 1, and `e * (1 / (1 + e))` for negative `x`.
#[inline]
pub(crate) fn sigmoid_f64(x: f64) -> f64 {
    let e = (-x.abs()).exp();
    let r = 1.0 / (1.0 + e);
    if x >= 0.0 {
        r
    } else {
        e * r
    }
}

/// `x * sigmoid(x)` in `f64`.
#[inline]
fn silu_f64(x: f64) -> f64 {
    x * sigmoid_f64(x)
}

/// Dispatches `op` to the monomorphic `f64` loop `$body!(function)`.
macro_rules! by_op_f64 {
    ($op:expr, $body:ident) => {
        match $op {
            Transcendental::Exp => $body!(f64::exp),
            Transcendental::Tanh => $body!(f64::tanh),
            Transcendental::Sigmoid => $body!(sigmoid_f64),
            Transcendental::Silu => $body!(silu_f64),
        }
    };
}

/// `op(src[i])` into `dst[i]` in `f64`, element by element through `libm`.
pub(crate) fn map_f64(op: Transcendental, src: &[f64], dst: &mut [f64]) {
    debug_assert_eq!(src.len(), dst.len());
    macro_rules! go {
        ($f:path) => {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = $f(s);
            }
        };
    }
    by_op_f64!(op, go)
}

/// `op` applied in place in `f64` through `libm`.
pub(crate) fn apply_f64(op: Transcendental, xs: &mut [f64]) {
    macro_rules! go {
        ($f:path) => {
            for v in xs.iter_mut() {
                *v = $f(*v);
            }
        };
    }
    by_op_f64!(op, go)
}

#[cfg(test)]
#[path = "transcendental_tests.rs"]
mod tests;
