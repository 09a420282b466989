//! Activation functions (sigmoid, ReLU family, GELU, softplus, SiLU, hardtanh) and their
//! derivatives, which autograd calls with the upstream gradient.
//!
//! Forward functions follow `torch.nn.functional`; each `*_backward(grad, ..)` returns
//! `grad * f'(x)` with PyTorch's conventions at kinks (`relu'(0) = 0`). A backward helper is
//! called on the forward *input* `x`, except [`sigmoid_backward`](Tensor::sigmoid_backward)
//! and [`tanh_backward`](Tensor::tanh_backward), which take the forward *output* `y` (the
//! derivative is cheaper from it).

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};

use crate::element::{DType, Element};
use crate::error::{Result, TensorError};
use crate::kernels::Transcendental;
use crate::ops::elementwise::{PAR_MIN_CHEAP, PAR_MIN_COSTLY};
use crate::tensor::Tensor;

/// `sqrt(2 / pi)`, the scale inside the tanh approximation of GELU.
const SQRT_2_OVER_PI: f64 = FRAC_2_SQRT_PI * FRAC_1_SQRT_2;
/// `1 / sqrt(2 pi)`, the peak of the standard normal density.
const INV_SQRT_2PI: f64 = FRAC_2_SQRT_PI * FRAC_1_SQRT_2 * 0.5;
/// The cubic coefficient of the tanh approximation of GELU.
const GELU_KAPPA: f64 = 0.044715;

/// The logistic function `1 / (1 + e^-x)`, without overflow for any `x`: `e^-|x|` is at
/// most 1, so `sigmoid(±1e4)` is exactly 1 or 0.
#[inline]
fn sigmoid_of<T: Element>(x: T) -> T {
    let e = (-x.abs()).exp();
    let r = T::one() / (T::one() + e);
    if x >= T::zero() {
        r
    } else {
        e * r
    }
}

/// The error function, from `libm` in the element's own precision.
#[inline]
fn erf_of<T: Element>(x: T) -> T {
    match T::DTYPE {
        DType::F32 => T::of(f64::from(libm::erff(x.as_f64() as f32))),
        DType::F64 => T::of(libm::erf(x.as_f64())),
    }
}

/// `log(1 + e^z)` without overflow: `max(z, 0) + log1p(e^-|z|)`.
#[inline]
fn log1p_exp<T: Element>(z: T) -> T {
    z.max(T::zero()) + (-z.abs()).exp().ln_1p()
}

/// Checks the arguments of [`Tensor::softplus`] and its backward.
fn check_softplus<T: Element>(op: &'static str, beta: T, threshold: T) -> Result<()> {
    if beta == T::zero() || !beta.is_finite() || threshold.is_nan() {
        return Err(TensorError::invalid(
            op,
            format!(
                "beta must be finite and non-zero and threshold not nan, got beta {} and threshold {}",
                beta.to_string().to_lowercase(),
                threshold.to_string().to_lowercase()
            ),
        ));
    }
    Ok(())
}

/// Checks the bounds of [`Tensor::hardtanh`] and its backward.
fn check_hardtanh<T: Element>(op: &'static str, min: T, max: T) -> Result<()> {
    if min.is_nan() || max.is_nan() || min > max {
        return Err(TensorError::invalid(
            op,
            format!(
                "min {} must not be greater than max {} (nor nan)",
                min.to_string().to_lowercase(),
                max.to_string().to_lowercase()
            ),
        ));
    }
    Ok(())
}

impl<T: Element> Tensor<T> {
    /// `grad * d(x)` elementwise, after checking that `grad` has the shape of `self`.
    fn backward_map<F: Fn(T, T) -> T + Sync + Send>(
        &self,
        grad: &Self,
        op: &'static str,
        min_par: usize,
        f: F,
    ) -> Result<Self> {
        if self.shape() != grad.shape() {
            return Err(TensorError::mismatch(
                op,
                self.shape(),
                grad.shape(),
                "the gradient must have the shape of the forward tensor",
            ));
        }
        self.zip_map_with(grad, op, min_par, f)
    }

    /// The logistic sigmoid `1 / (1 + e^-x)`, like `torch.sigmoid`; stable for any input
    /// (`sigmoid(-1e4)` is exactly 0 and `sigmoid(1e4)` exactly 1, with no overflow).
    ///
    /// `f32` runs a vectorised kernel within 2 ulp; `f64` uses `libm` (see [`crate::math`]).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f32, -1e4, 1e4], [3])?;
    /// assert_eq!(x.sigmoid().to_vec(), vec![0.5, 0.0, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn sigmoid(&self) -> Self {
        self.map_chunks_with(PAR_MIN_COSTLY, |s, d| {
            T::transcendental_map(Transcendental::Sigmoid, s, d)
        })
    }

    /// Gradient of [`sigmoid`](Tensor::sigmoid) from its **output** `y = self`:
    /// `grad * y * (1 - y)`.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] if `grad` does not have the shape of `self`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let y = Tensor::from_vec(vec![0.0f32], [1])?.sigmoid();
    /// assert_eq!(y.sigmoid_backward(&Tensor::ones([1]))?.to_vec(), vec![0.25]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn sigmoid_backward(&self, grad: &Self) -> Result<Self> {
        self.backward_map(grad, "sigmoid_backward", PAR_MIN_CHEAP, |y, g| {
            g * y * (T::one() - y)
        })
    }

    /// Gradient of [`tanh`](Tensor::tanh) from its **output** `y = self`: `grad * (1 - y²)`.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] if `grad` does not have the shape of `self`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let y = Tensor::from_vec(vec![0.0f32, 0.5], [2])?;
    /// assert_eq!(y.tanh_backward(&Tensor::ones([2]))?.to_vec(), vec![1.0, 0.75]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn tanh_backward(&self, grad: &Self) -> Result<Self> {
        self.backward_map(grad, "tanh_backward", PAR_MIN_CHEAP, |y, g| {
            g * (T::one() - y * y)
        })
    }

    /// Rectified linear unit `max(x, 0)`, like `torch.relu` (NaN stays NaN).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0f32, 0.0, 2.0], [3])?;
    /// assert_eq!(x.relu().to_vec(), vec![0.0, 0.0, 2.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn relu(&self) -> Self {
        self.map_par(|x| if x <= T::zero() { T::zero() } else { x })
    }

    /// Gradient of [`relu`](Tensor::relu) from its input `x = self`: `grad` where `x > 0`,
    /// 0 elsewhere (so `relu'(0) = 0`, as in PyTorch).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] if `grad` does not have the shape of `self`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0f32, 0.0, 2.0], [3])?;
    /// let g = Tensor::full([3], 5.0);
    /// assert_eq!(x.relu_backward(&g)?.to_vec(), vec![0.0, 0.0, 5.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn relu_backward(&self, grad: &Self) -> Result<Self> {
        self.backward_map(grad, "relu_backward", PAR_MIN_CHEAP, |x, g| {
            if x <= T::zero() {
                T::zero()
            } else {
                g
            }
        })
    }

    /// Leaky ReLU: `x` for `x > 0`, `slope * x` otherwise, like
    /// `torch.nn.functional.leaky_relu(x, negative_slope=slope)` (PyTorch's default slope is
    /// 0.01).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-2.0f32, 3.0], [2])?;
    /// assert_eq!(x.leaky_relu(0.5).to_vec(), vec![-1.0, 3.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn leaky_relu(&self, slope: T) -> Self {
        self.map_par(move |x| if x > T::zero() { x } else { x * slope })
    }

    /// Gradient of [`leaky_relu`](Tensor::leaky_relu) from its input `x = self`: `grad` where
    /// `x > 0`, `slope * grad` elsewhere (the slope at 0, as in PyTorch).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] if `grad` does not have the shape of `self`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-2.0f32, 3.0], [2])?;
    /// let g = x.leaky_relu_backward(&Tensor::ones([2]), 0.5)?;
    /// assert_eq!(g.to_vec(), vec![0.5, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn leaky_relu_backward(&self, grad: &Self, slope: T) -> Result<Self> {
        self.backward_map(grad, "leaky_relu_backward", PAR_MIN_CHEAP, move |x, g| {
            if x > T::zero() {
                g
            } else {
                g * slope
            }
        })
    }

    /// Exponential linear unit: `x` for `x > 0`, `alpha * (e^x - 1)` otherwise, like
    /// `torch.nn.functional.elu` (PyTorch's default `alpha` is 1).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![2.0f64, 0.0, -1e4], [3])?;
    /// assert_eq!(x.elu(1.5).to_vec(), vec![2.0, 0.0, -1.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn elu(&self, alpha: T) -> Self {
        self.map_with(PAR_MIN_COSTLY, move |x| {
            if x > T::zero() {
                x
            } else {
                alpha * x.exp_m1()
            }
        })
    }

    /// Gradient of [`elu`](Tensor::elu) from its input `x = self`: `grad` where `x > 0`,
    /// `grad * alpha * e^x` elsewhere (`alpha` at 0, as in PyTorch).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] if `grad` does not have the shape of `self`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![2.0f64, 0.0], [2])?;
    /// let g = x.elu_backward(&Tensor::ones([2]), 1.5)?;
    /// assert_eq!(g.to_vec(), vec![1.0, 1.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn elu_backward(&self, grad: &Self, alpha: T) -> Result<Self> {
        self.backward_map(grad, "elu_backward", PAR_MIN_COSTLY, move |x, g| {
            if x <= T::zero() {
                g * alpha * x.exp()
            } else {
                g
            }
        })
    }

    /// Gaussian error linear unit, exact form `x * Φ(x) = x/2 * (1 + erf(x/√2))`, like
    /// `torch.nn.functional.gelu(x)` (approximate='none').
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, 1.0], [2])?;
    /// let y = x.gelu().to_vec();
    /// assert_eq!(y[0], 0.0);
    /// assert!((y[1] - 0.8413447460685429).abs() < 1e-15);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn gelu(&self) -> Self {
        let half = T::of(0.5);
        let inv_sqrt2 = T::of(FRAC_1_SQRT_2);
        self.map_with(PAR_MIN_COSTLY, move |x| {
            x * half * (T::one() + erf_of(x * inv_sqrt2))
        })
    }

    /// Gradient of [`gelu`](Tensor::gelu) from its input `x = self`:
    /// `grad * (Φ(x) + x φ(x))` with `φ` the standard normal density.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] if `grad` does not have the shape of `self`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64], [1])?;
    /// assert_eq!(x.gelu_backward(&Tensor::ones([1]))?.to_vec(), vec![0.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn gelu_backward(&self, grad: &Self) -> Result<Self> {
        let half = T::of(0.5);
        let inv_sqrt2 = T::of(FRAC_1_SQRT_2);
        let inv_sqrt_2pi = T::of(INV_SQRT_2PI);
        self.backward_map(grad, "gelu_backward", PAR_MIN_COSTLY, move |x, g| {
            let cdf = half * (T::one() + erf_of(x * inv_sqrt2));
            let pdf = inv_sqrt_2pi * (-half * x * x).exp();
            g * (cdf + x * pdf)
        })
    }

    /// GELU with the tanh approximation
    /// `x/2 * (1 + tanh(√(2/π) (x + 0.044715 x³)))`, like
    /// `torch.nn.functional.gelu(x, approximate='tanh')`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, 1.0], [2])?;
    /// let y = x.gelu_tanh().to_vec();
    /// assert_eq!(y[0], 0.0);
    /// assert!((y[1] - 0.8411919906082768).abs() < 1e-15);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn gelu_tanh(&self) -> Self {
        let half = T::of(0.5);
        let beta = T::of(SQRT_2_OVER_PI);
        let kappa = T::of(GELU_KAPPA);
        self.map_chunks_with(PAR_MIN_COSTLY, move |s, d| {
            for (d, &x) in d.iter_mut().zip(s) {
                *d = beta * (x + kappa * x * x * x);
            }
            T::transcendental_apply(Transcendental::Tanh, d);
            for (d, &x) in d.iter_mut().zip(s) {
                *d = half * x * (T::one() + *d);
            }
        })
    }

    /// Gradient of [`gelu_tanh`](Tensor::gelu_tanh) from its input `x = self` (PyTorch's
    /// formula for approximate='tanh').
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] if `grad` does not have the shape of `self`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64], [1])?;
    /// assert_eq!(x.gelu_tanh_backward(&Tensor::ones([1]))?.to_vec(), vec![0.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn gelu_tanh_backward(&self, grad: &Self) -> Result<Self> {
        let half = T::of(0.5);
        let beta = T::of(SQRT_2_OVER_PI);
        let kappa = T::of(GELU_KAPPA);
        let three_kappa = T::of(3.0 * GELU_KAPPA);
        self.backward_map(grad, "gelu_tanh_backward", PAR_MIN_COSTLY, move |x, g| {
            let x2 = x * x;
            let t = (beta * (x + kappa * x2 * x)).tanh();
            let left = half * (T::one() + t);
            let right = half * x * (T::one() - t * t) * beta * (T::one() + three_kappa * x2);
            g * (left + right)
        })
    }

    /// Softplus `log(1 + e^(beta x)) / beta`, reverting to the identity where
    /// `beta * x > threshold`, like `torch.nn.functional.softplus(x, beta, threshold)`
    /// (PyTorch's defaults are `beta = 1`, `threshold = 20`). Computed without overflow, so
    /// a large `threshold` is safe.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `beta` is zero or not finite, or `threshold` is
    /// NaN.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, 25.0, -1e4], [3])?;
    /// let y = x.softplus(1.0, 20.0)?.to_vec();
    /// assert_eq!(y, vec![std::f64::consts::LN_2, 25.0, 0.0]);
    /// assert!(x.softplus(0.0, 20.0).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn softplus(&self, beta: T, threshold: T) -> Result<Self> {
        check_softplus("softplus", beta, threshold)?;
        Ok(self.map_with(PAR_MIN_COSTLY, move |x| {
            let z = beta * x;
            if z > threshold {
                x
            } else {
                log1p_exp(z) / beta
            }
        }))
    }

    /// Gradient of [`softplus`](Tensor::softplus) from its input `x = self`:
    /// `grad * sigmoid(beta x)`, or `grad` where `beta * x > threshold` (as in PyTorch).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] if `grad` does not have the shape of `self`,
    /// [`TensorError::InvalidArgument`] for the arguments [`softplus`](Tensor::softplus)
    /// rejects.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, 25.0], [2])?;
    /// let g = x.softplus_backward(&Tensor::ones([2]), 1.0, 20.0)?;
    /// assert_eq!(g.to_vec(), vec![0.5, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn softplus_backward(&self, grad: &Self, beta: T, threshold: T) -> Result<Self> {
        check_softplus("softplus_backward", beta, threshold)?;
        self.backward_map(grad, "softplus_backward", PAR_MIN_COSTLY, move |x, g| {
            let z = beta * x;
            if z > threshold {
                g
            } else {
                g * sigmoid_of(z)
            }
        })
    }

    /// SiLU (swish) `x * sigmoid(x)`, like `torch.nn.functional.silu`; stable for any input.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f32, 1e4, -1e4], [3])?;
    /// assert_eq!(x.silu().to_vec(), vec![0.0, 1e4, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn silu(&self) -> Self {
        self.map_chunks_with(PAR_MIN_COSTLY, |s, d| {
            T::transcendental_map(Transcendental::Silu, s, d)
        })
    }

    /// Gradient of [`silu`](Tensor::silu) from its input `x = self`:
    /// `grad * s * (1 + x (1 - s))` with `s = sigmoid(x)`.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] if `grad` does not have the shape of `self`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f32], [1])?;
    /// assert_eq!(x.silu_backward(&Tensor::ones([1]))?.to_vec(), vec![0.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn silu_backward(&self, grad: &Self) -> Result<Self> {
        self.backward_map(grad, "silu_backward", PAR_MIN_COSTLY, |x, g| {
            let s = sigmoid_of(x);
            g * s * (T::one() + x * (T::one() - s))
        })
    }

    /// Hard tanh: `x` limited to `[min, max]`, like
    /// `torch.nn.functional.hardtanh(x, min_val, max_val)` (PyTorch's defaults are -1 and 1;
    /// NaN stays NaN).
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `min > max` or a bound is NaN.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-3.0f32, 0.5, 2.0], [3])?;
    /// assert_eq!(x.hardtanh(-1.0, 1.0)?.to_vec(), vec![-1.0, 0.5, 1.0]);
    /// assert!(x.hardtanh(1.0, -1.0).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn hardtanh(&self, min: T, max: T) -> Result<Self> {
        check_hardtanh("hardtanh", min, max)?;
        Ok(self.map_par(move |x| {
            if x < min {
                min
            } else if x > max {
                max
            } else {
                x
            }
        }))
    }

    /// Gradient of [`hardtanh`](Tensor::hardtanh) from its input `x = self`: `grad` where
    /// `min < x < max`, 0 elsewhere (including at the bounds, as in PyTorch).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] if `grad` does not have the shape of `self`,
    /// [`TensorError::InvalidArgument`] if `min > max` or a bound is NaN.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-3.0f32, 0.5, 1.0], [3])?;
    /// let g = x.hardtanh_backward(&Tensor::ones([3]), -1.0, 1.0)?;
    /// assert_eq!(g.to_vec(), vec![0.0, 1.0, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn hardtanh_backward(&self, grad: &Self, min: T, max: T) -> Result<Self> {
        check_hardtanh("hardtanh_backward", min, max)?;
        self.backward_map(grad, "hardtanh_backward", PAR_MIN_CHEAP, move |x, g| {
            if x <= min || x >= max {
                T::zero()
            } else {
                g
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f64]) -> Tensor<f64> {
        Tensor::from_vec(v.to_vec(), [v.len()]).unwrap()
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        let x = t(&[-1e4, -745.0, -30.0, 0.0, 30.0, 1e4, f64::NAN]);
        let y = x.sigmoid().to_vec();
        assert_eq!(y[0], 0.0);
        assert!(y[1] >= 0.0 && y[1] < 1e-300);
        assert!((y[2] - (-30f64).exp() / (1.0 + (-30f64).exp())).abs() < 1e-28);
        assert_eq!(y[3], 0.5);
        assert_eq!(y[5], 1.0);
        assert!(y[6].is_nan());
        let y32 = Tensor::from_vec(vec![-1e4f32, -100.0, 100.0, 1e4], [4])
            .unwrap()
            .sigmoid()
            .to_vec();
        assert_eq!(y32[0], 0.0);
        assert!(y32[1].is_finite() && y32[1] >= 0.0);
        assert_eq!(&y32[2..], &[1.0, 1.0]);
        let s = Tensor::<f32>::from_vec(vec![-1e4, 1e4], [2])
            .unwrap()
            .silu();
        assert_eq!(s.to_vec(), vec![-0.0, 1e4]);
    }

    #[test]
    fn known_values() {
        let g = t(&[1.0, -1.0]).gelu().to_vec();
        assert!((g[0] - 0.8413447460685429).abs() < 1e-15, "{}", g[0]);
        assert!((g[1] + 0.15865525393145707).abs() < 1e-15, "{}", g[1]);
        let g32 = Tensor::from_vec(vec![1.0f32], [1]).unwrap().gelu().to_vec();
        assert!((g32[0] - 0.841_344_7).abs() < 1e-6);
        let gt = t(&[1.0, -2.0]).gelu_tanh().to_vec();
        assert!((gt[0] - 0.8411919906082768).abs() < 1e-15);
        assert!((gt[1] + 0.04540230591222494).abs() < 1e-15);
        assert_eq!(t(&[-2.0, 0.0, 3.0]).relu().to_vec(), vec![0.0, 0.0, 3.0]);
        assert!(t(&[f64::NAN]).relu().to_vec()[0].is_nan());
        assert_eq!(t(&[-2.0, 3.0]).leaky_relu(0.01).to_vec(), vec![-0.02, 3.0]);
        let e = t(&[-1.0, 2.0]).elu(2.0).to_vec();
        assert_eq!(e, vec![2.0 * (-1f64).exp_m1(), 2.0]);
        assert!((t(&[1.0]).silu().to_vec()[0] - 0.7310585786300049).abs() < 1e-15);
        assert_eq!(
            t(&[-3.0, 0.25, 3.0]).hardtanh(-2.0, 2.0).unwrap().to_vec(),
            vec![-2.0, 0.25, 2.0]
        );
    }

    #[test]
    fn softplus_threshold() {
        let x = t(&[19.9, 20.0, 20.1, 10.05, 10.0, -800.0, 800.0]);
        let y = x.softplus(1.0, 20.0).unwrap().to_vec();
        // Below the threshold: the formula; above it: the identity.
        assert!((y[0] - (19.9 + (-19.9f64).exp().ln_1p())).abs() < 1e-14);
        assert!(y[0] > 19.9);
        assert!(y[1] > 20.0);
        assert_eq!(y[2], 20.1);
        assert_eq!(y[5], 0.0);
        assert_eq!(y[6], 800.0);
        // beta scales the threshold test: beta * x > threshold.
        let y2 = x.softplus(2.0, 20.0).unwrap().to_vec();
        assert_eq!(y2[3], 10.05);
        assert!(y2[4] > 10.0);
        // A huge threshold does not overflow.
        let big = x.softplus(1.0, 1e6).unwrap().to_vec();
        assert!((big[6] - 800.0).abs() < 1e-12);
        let g = x.softplus_backward(&Tensor::ones([7]), 1.0, 20.0).unwrap();
        assert_eq!(g.to_vec()[2], 1.0);
        assert!(g.to_vec()[0] < 1.0);
    }

    #[test]
    fn argument_errors() {
        let x = t(&[1.0, 2.0]);
        let e = x.softplus(0.0, 20.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "softplus: beta must be finite and non-zero and threshold not nan, got beta 0 and threshold 20"
        );
        assert!(x.softplus(f64::INFINITY, 20.0).is_err());
        assert!(x.softplus(1.0, f64::NAN).is_err());
        let e = x.softplus_backward(&x, f64::NAN, 20.0).unwrap_err();
        assert!(e.to_string().starts_with("softplus_backward: beta must be"));
        let e = x.hardtanh(1.0, -1.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "hardtanh: min 1 must not be greater than max -1 (nor nan)"
        );
        assert!(x.hardtanh(f64::NAN, 1.0).is_err());
        assert!(x.hardtanh_backward(&x, 1.0, -1.0).is_err());
    }

    #[test]
    fn every_backward_checks_the_gradient_shape() {
        let x = Tensor::<f64>::zeros([2, 3]);
        let g = Tensor::<f64>::zeros([3, 2]);
        let results = [
            ("sigmoid_backward", x.sigmoid_backward(&g)),
            ("tanh_backward", x.tanh_backward(&g)),
            ("relu_backward", x.relu_backward(&g)),
            ("leaky_relu_backward", x.leaky_relu_backward(&g, 0.1)),
            ("elu_backward", x.elu_backward(&g, 1.0)),
            ("gelu_backward", x.gelu_backward(&g)),
            ("gelu_tanh_backward", x.gelu_tanh_backward(&g)),
            ("softplus_backward", x.softplus_backward(&g, 1.0, 20.0)),
            ("silu_backward", x.silu_backward(&g)),
            ("hardtanh_backward", x.hardtanh_backward(&g, -1.0, 1.0)),
        ];
        for (name, r) in results {
            let e = r.unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "{name}: shapes [2, 3] and [3, 2] do not match: the gradient must have the shape of the forward tensor"
                )
            );
        }
        // A broadcastable gradient is still rejected: backward never broadcasts.
        assert!(x.relu_backward(&Tensor::zeros([3])).is_err());
    }

    #[test]
    fn derivative_conventions_at_kinks() {
        let x = t(&[0.0]);
        let one = t(&[1.0]);
        assert_eq!(x.relu_backward(&one).unwrap().to_vec(), vec![0.0]);
        assert_eq!(
            x.leaky_relu_backward(&one, 0.2).unwrap().to_vec(),
            vec![0.2]
        );
        assert_eq!(x.elu_backward(&one, 0.7).unwrap().to_vec(), vec![0.7]);
        let b = t(&[-1.0, 1.0]);
        assert_eq!(
            b.hardtanh_backward(&Tensor::ones([2]), -1.0, 1.0)
                .unwrap()
                .to_vec(),
            vec![0.0, 0.0]
        );
    }

    #[test]
    fn large_inputs_use_the_pool_and_agree() {
        let n = (1 << 14) + 7;
        let x = Tensor::from_shape_fn([n], |i| (i[0] as f64 - 8000.0) / 1000.0);
        let y = x.gelu();
        let y_ref = x.map(|v| 0.5 * v * (1.0 + libm::erf(v * FRAC_1_SQRT_2)));
        assert_eq!(y, y_ref);
        let g = x.silu_backward(&x).unwrap();
        let g_ref = x.map(|v| {
            let s = sigmoid_of(v);
            v * s * (1.0 + v * (1.0 - s))
        });
        assert_eq!(g, g_ref);
    }
}
