//! Test-only helpers for Youshi: seeded data, naive reference kernels and comparisons.
//!
//! References here are written for clarity, not speed: plain loops over row-major slices,
//! accumulated in `f64`. They are what the fast kernels are checked against.

pub mod reference;

use rand::{RngCore, SeedableRng};

/// Seeded generator for tests (ChaCha8: the same stream on every machine).
pub fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

/// `n` values uniform in `[-1, 1)` from `seed`.
pub fn uniform_vec(n: usize, seed: u64) -> Vec<f64> {
    let mut r = rng(seed);
    (0..n)
        .map(|_| (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0)
        .collect()
}

/// Largest absolute elementwise difference; `f64::INFINITY` if the lengths differ or any
/// pair contains a NaN.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() {
        return f64::INFINITY;
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = (x - y).abs();
            if d.is_nan() {
                f64::INFINITY
            } else {
                d
            }
        })
        .fold(0.0, f64::max)
}

/// Checks `|a - b| <= atol + rtol * |b|` elementwise, with a message naming the worst index.
pub fn assert_close(a: &[f64], b: &[f64], rtol: f64, atol: f64) -> Result<(), String> {
    if a.len() != b.len() {
        return Err(format!("lengths differ: {} vs {}", a.len(), b.len()));
    }
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        // Written so that a NaN on either side fails the check.
        let close = (x - y).abs() <= atol + rtol * y.abs();
        if !close {
            return Err(format!(
                "element {i}: got {x}, expected {y} (rtol {rtol}, atol {atol})"
            ));
        }
    }
    Ok(())
}
