//! Seeded random tensors that are identical on every machine.
//!
//! Sampling draws raw 64-bit words from the generator and turns them into values with fixed
//! arithmetic (53-bit uniform doubles, Box-Muller for normals), so a seed gives the same
//! tensor on every platform and with every version of the `rand` crate. [`seeded_rng`] gives
//! the recommended generator, ChaCha8, whose output stream is specified and portable.

use rand::RngCore;
use rand::SeedableRng;

use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::shape::Shape;
use crate::tensor::Tensor;

/// The generator Youshi uses everywhere it needs randomness: ChaCha8, portable and seedable.
pub type TensorRng = rand_chacha::ChaCha8Rng;

/// A [`TensorRng`] seeded from a `u64`.
///
/// # Examples
/// ```
/// use youshi_tensor::{seeded_rng, Tensor};
/// let a = Tensor::<f32>::rand_uniform([3], 0.0, 1.0, &mut seeded_rng(7))?;
/// let b = Tensor::<f32>::rand_uniform([3], 0.0, 1.0, &mut seeded_rng(7))?;
/// assert_eq!(a, b);
/// # Ok::<(), youshi_tensor::TensorError>(())
/// ```
pub fn seeded_rng(seed: u64) -> TensorRng {
    TensorRng::seed_from_u64(seed)
}

/// A uniform double in `[0, 1)` with 53 random bits.
#[inline]
pub fn unit_f64<R: RngCore + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal double by the Box-Muller transform (both outputs are returned).
#[inline]
fn normal_pair<R: RngCore + ?Sized>(rng: &mut R) -> (f64, f64) {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - unit_f64(rng);
    let u2 = unit_f64(rng);
    let r = (-2.0 * u1.ln()).sqrt();
    let t = std::f64::consts::TAU * u2;
    (r * t.cos(), r * t.sin())
}

impl<T: Element> Tensor<T> {
    /// Samples uniformly from `[low, high)`, like `torch.rand(...) * (high - low) + low`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] unless `low < high` and both are finite.
    pub fn rand_uniform<R: RngCore + ?Sized>(
        shape: impl Into<Shape>,
        low: T,
        high: T,
        rng: &mut R,
    ) -> Result<Self> {
        let (lo, hi) = (low.as_f64(), high.as_f64());
        if !lo.is_finite() || !hi.is_finite() || lo >= hi {
            return Err(TensorError::invalid(
                "rand_uniform",
                format!("needs finite low < high, got low {lo} and high {hi}"),
            ));
        }
        let shape = shape.into();
        let data = (0..shape.numel())
            .map(|_| {
                let v = T::of(lo + (hi - lo) * unit_f64(rng));
                // Rounding to f32 can land on `high`; keep the interval half-open.
                if v >= high {
                    low
                } else {
                    v
                }
            })
            .collect();
        Tensor::from_vec(data, shape)
    }

    /// Samples from a normal distribution with the given mean and standard deviation.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `std` is negative or either value is not finite.
    pub fn rand_normal<R: RngCore + ?Sized>(
        shape: impl Into<Shape>,
        mean: T,
        std: T,
        rng: &mut R,
    ) -> Result<Self> {
        let (m, s) = (mean.as_f64(), std.as_f64());
        if !s.is_finite() || !m.is_finite() || s < 0.0 {
            return Err(TensorError::invalid(
                "rand_normal",
                format!("needs a finite mean and std >= 0, got mean {m} and std {s}"),
            ));
        }
        let shape = shape.into();
        let n = shape.numel();
        let mut data = Vec::with_capacity(n);
        while data.len() < n {
            let (a, b) = normal_pair(rng);
            data.push(T::of(m + s * a));
            if data.len() < n {
                data.push(T::of(m + s * b));
            }
        }
        Tensor::from_vec(data, shape)
    }

    /// Samples 1 with probability `p` and 0 otherwise.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] unless `0 <= p <= 1`.
    pub fn rand_bernoulli<R: RngCore + ?Sized>(
        shape: impl Into<Shape>,
        p: f64,
        rng: &mut R,
    ) -> Result<Self> {
        if !(0.0..=1.0).contains(&p) {
            return Err(TensorError::invalid(
                "rand_bernoulli",
                format!("probability must lie in [0, 1], got {p}"),
            ));
        }
        let shape = shape.into();
        let data = (0..shape.numel())
            .map(|_| {
                if unit_f64(rng) < p {
                    T::one()
                } else {
                    T::zero()
                }
            })
            .collect();
        Tensor::from_vec(data, shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_values_on_every_machine() {
        // Fixed expectations: these values must never change across platforms or versions.
        let u = Tensor::<f64>::rand_uniform([3], 0.0, 1.0, &mut seeded_rng(42)).unwrap();
        assert_eq!(
            u.to_vec(),
            vec![0.6818961923066714, 0.950275407672484, 0.4275164028565197]
        );
        let n = Tensor::<f64>::rand_normal([3], 0.0, 1.0, &mut seeded_rng(42)).unwrap();
        assert_eq!(
            n.to_vec(),
            vec![1.4402540791191, -0.4652130780080701, -0.735682235615744]
        );
        let f = Tensor::<f32>::rand_uniform([2], -1.0, 1.0, &mut seeded_rng(7)).unwrap();
        assert_eq!(f.to_vec(), vec![-0.68440783f32, -0.66402125]);
        let t = Tensor::<f64>::rand_uniform([3], 0.0, 1.0, &mut seeded_rng(42)).unwrap();
        let again = Tensor::<f64>::rand_uniform([3], 0.0, 1.0, &mut seeded_rng(42)).unwrap();
        assert_eq!(t, again);
        let other = Tensor::<f64>::rand_uniform([3], 0.0, 1.0, &mut seeded_rng(43)).unwrap();
        assert_ne!(t, other);
    }

    #[test]
    fn moments_are_right() {
        let mut rng = seeded_rng(1);
        let n = 200_000;
        let u = Tensor::<f64>::rand_uniform([n], -1.0, 3.0, &mut rng)
            .unwrap()
            .to_vec();
        let mean = u.iter().sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 0.02, "uniform mean {mean}");
        assert!(u.iter().all(|&v| (-1.0..3.0).contains(&v)));
        let g = Tensor::<f64>::rand_normal([n], 2.0, 0.5, &mut rng)
            .unwrap()
            .to_vec();
        let mean = g.iter().sum::<f64>() / n as f64;
        let var = g.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 2.0).abs() < 0.01, "normal mean {mean}");
        assert!((var.sqrt() - 0.5).abs() < 0.01, "normal std {}", var.sqrt());
        let b = Tensor::<f32>::rand_bernoulli([n], 0.3, &mut rng)
            .unwrap()
            .to_vec();
        let p = b.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
        assert!((p - 0.3).abs() < 0.01, "bernoulli rate {p}");
    }

    #[test]
    fn bad_parameters_are_errors() {
        let mut rng = seeded_rng(0);
        let e = Tensor::<f32>::rand_uniform([2], 1.0, 1.0, &mut rng).unwrap_err();
        assert_eq!(
            e.to_string(),
            "rand_uniform: needs finite low < high, got low 1 and high 1"
        );
        assert!(Tensor::<f32>::rand_normal([2], 0.0, -1.0, &mut rng).is_err());
        assert!(Tensor::<f32>::rand_normal([2], f32::NAN, 1.0, &mut rng).is_err());
        let e = Tensor::<f32>::rand_bernoulli([2], 1.5, &mut rng).unwrap_err();
        assert!(e.to_string().contains("1.5"));
    }
}
