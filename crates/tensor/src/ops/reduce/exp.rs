//! A vectorizable `e^x` for the softmax family and `logsumexp`.

use crate::element::{DType, Element};

/// `e^x` within about 1 ulp, without branches or calls, so loops over it vectorize:
/// Cody-Waite reduction `x = n ln2 + r` with `|r| <= ln2 / 2`, a polynomial for `e^r`, and
/// `2^n` built from its bits (in two halves, so subnormal results and overflow to `inf` come
/// out right). NaN gives NaN, `-inf` gives 0, `+inf` gives `inf`.
#[inline(always)]
pub(super) fn exp<T: Element>(x: T) -> T {
    // `DTYPE` is a constant: each instantiation keeps one arm, and the f32 <-> f64
    // conversions of the f32 arm cancel out.
    match T::DTYPE {
        DType::F32 => T::of(exp_f32(x.as_f64() as f32) as f64),
        DType::F64 => T::of(exp_f64(x.as_f64())),
    }
}

#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    // 1.5 * 2^23: adding it rounds to an integer, which then sits in the low mantissa bits.
    const MAGIC: f32 = 12_582_912.0;
    // Beyond these e^x is 0 or inf in f32; `clamp` keeps NaN.
    let x = x.clamp(-110.0, 90.0);
    let t = x * std::f32::consts::LOG2_E + MAGIC;
    let n = t.to_bits() as i32 - MAGIC.to_bits() as i32;
    let nf = t - MAGIC;
    // ln 2 = 0.693359375 - 2.12194440e-4, the first part exact in a few bits (Cephes).
    let r = x - nf * 0.693_359_4 - nf * -2.121_944_4e-4;
    let p = (((((1.987_569_2e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 0.166_666_65)
        * r
        + 0.5)
        * (r * r)
        + r
        + 1.0;
    let n1 = n >> 1;
    let n2 = n - n1;
    let s1 = f32::from_bits(((n1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((n2 + 127) as u32) << 23);
    p * s1 * s2
}

#[inline(always)]
fn exp_f64(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = x.clamp(-760.0, 710.0);
    let t = x * std::f64::consts::LOG2_E + MAGIC;
    let n = t.to_bits() as i64 - MAGIC.to_bits() as i64;
    let nf = t - MAGIC;
    let r = x - nf * LN2_HI - nf * LN2_LO;
    // Taylor series to degree 13: the remainder is below 1e-17 for |r| <= ln2 / 2.
    const C: [f64; 12] = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let mut q = C[11];
    for &c in C[..11].iter().rev() {
        q = q * r + c;
    }
    let p = q * (r * r) + r + 1.0;
    let n1 = n >> 1;
    let n2 = n - n1;
    let s1 = f64::from_bits(((n1 + 1023) as u64) << 52);
    let s2 = f64::from_bits(((n2 + 1023) as u64) << 52);
    p * s1 * s2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps_f32(a: f32, b: f32) -> i64 {
        (a.to_bits() as i64 - b.to_bits() as i64).abs()
    }

    #[test]
    fn exp_f32_is_within_two_ulps_of_std() {
        let mut worst = 0;
        for i in 0..=200_000 {
            let x = -110.0 + i as f32 * 0.001;
            let (got, want) = (exp(x), x.exp());
            if want >= f32::MIN_POSITIVE && want.is_finite() {
                worst = worst.max(ulps_f32(got, want));
            } else {
                // Subnormal results: within one subnormal step; overflow: inf.
                assert!(
                    (got - want).abs() <= 2.0 * f32::from_bits(1) || got == want,
                    "{x}"
                );
            }
        }
        assert!(worst <= 2, "worst error {worst} ulps");
    }

    #[test]
    fn exp_f64_is_within_a_few_ulps_of_std() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -745.0 + i as f64 * 0.0072749;
            let (got, want) = (exp(x), x.exp());
            if want >= f64::MIN_POSITIVE && want.is_finite() {
                worst = worst.max(((got - want) / want).abs());
            } else {
                assert!(
                    (got - want).abs() <= 2.0 * f64::from_bits(1) || got == want,
                    "{x}"
                );
            }
        }
        assert!(
            worst <= 4.0 * f64::EPSILON,
            "worst relative error {worst:e}"
        );
    }

    #[test]
    fn exp_special_values() {
        assert!(exp(f32::NAN).is_nan());
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(-1e4f32), 0.0);
        assert_eq!(exp(1e4f64), f64::INFINITY);
        assert_eq!(exp(89.0f32), f32::INFINITY);
        assert_eq!(exp(0.0f32), 1.0);
        assert_eq!(exp(0.0f64), 1.0);
        let e = std::f64::consts::E;
        assert!((exp(1.0f64) - e).abs() <= e * f64::EPSILON);
        assert_eq!(exp(-0.0f32), 1.0);
    }
}
