//! In-place slice kernels for the transcendental functions of activations and recurrences:
//! `e^x`, `tanh`, the logistic sigmoid and SiLU.
//!
//! ```
//! use youshi_tensor::math;
//!
//! let mut gates = vec![-2.0f32, 0.0, 3.0];
//! math::sigmoid_in_place(&mut gates);
//! assert_eq!(gates[1], 0.5);
//! assert!((gates[2] - 1.0 / (1.0 + (-3.0f32).exp())).abs() < 2e-7);
//! ```
//!
//! For `f32` the loops are vectorised: a branch-free range reduction and polynomial per
//! function, compiled for the baseline SIMD width and, on x86-64 CPUs that have it, for AVX2
//! (chosen at run time; `YOUSHI_FORCE_KERNEL=portable` turns that off). The results are within
//! 2 ulp of the exact values (1 ulp for `exp`), identical on both paths, with exact special
//! values: `exp` overflows to `inf` above about 88.72 and underflows to 0 below about -103.97,
//! `tanh` saturates to ±1 and keeps the sign of zero, `sigmoid(-inf) = 0`, NaN stays NaN.
//!
//! For `f64` the functions run the scalar `libm` routines element by element, so they agree
//! bit for bit with [`f64::exp`], [`f64::tanh`] and the sigmoid `Tensor::sigmoid` computes.
//!
//! The tensor methods [`Tensor::exp`](crate::Tensor::exp), [`Tensor::tanh`](crate::Tensor::tanh),
//! [`Tensor::sigmoid`](crate::Tensor::sigmoid), [`Tensor::silu`](crate::Tensor::silu) and
//! [`Tensor::gelu_tanh`](crate::Tensor::gelu_tanh) use these kernels.

use crate::element::Element;
use crate::kernels::Transcendental;

/// Replaces every element `x` of `xs` by `e^x`, like `torch.exp_`.
///
/// # Examples
/// ```
/// let mut xs = vec![0.0f32, 1.0, f32::NEG_INFINITY, 100.0];
/// youshi_tensor::math::exp_in_place(&mut xs);
/// assert_eq!(xs, vec![1.0, std::f32::consts::E, 0.0, f32::INFINITY]);
/// ```
pub fn exp_in_place<T: Element>(xs: &mut [T]) {
    T::transcendental_apply(Transcendental::Exp, xs)
}

/// Replaces every element `x` of `xs` by `tanh(x)`, like `torch.tanh_`.
///
/// # Examples
/// ```
/// let mut xs = vec![-0.0f32, 20.0, -20.0];
/// youshi_tensor::math::tanh_in_place(&mut xs);
/// assert_eq!(xs, vec![-0.0, 1.0, -1.0]);
/// assert!(xs[0].is_sign_negative());
/// ```
pub fn tanh_in_place<T: Element>(xs: &mut [T]) {
    T::transcendental_apply(Transcendental::Tanh, xs)
}

/// Replaces every element `x` of `xs` by the logistic function `1 / (1 + e^-x)`, like
/// `torch.sigmoid_`; no intermediate overflows, so `±inf` give exactly 1 and 0.
///
/// # Examples
/// ```
/// let mut xs = vec![0.0f64, f64::INFINITY, f64::NEG_INFINITY];
/// youshi_tensor::math::sigmoid_in_place(&mut xs);
/// assert_eq!(xs, vec![0.5, 1.0, 0.0]);
/// ```
pub fn sigmoid_in_place<T: Element>(xs: &mut [T]) {
    T::transcendental_apply(Transcendental::Sigmoid, xs)
}

/// Replaces every element `x` of `xs` by SiLU `x * sigmoid(x)`, like
/// `torch.nn.functional.silu(x, inplace=True)`.
///
/// # Examples
/// ```
/// let mut xs = vec![0.0f32, 30.0];
/// youshi_tensor::math::silu_in_place(&mut xs);
/// assert_eq!(xs, vec![0.0, 30.0]);
/// ```
pub fn silu_in_place<T: Element>(xs: &mut [T]) {
    T::transcendental_apply(Transcendental::Silu, xs)
}
