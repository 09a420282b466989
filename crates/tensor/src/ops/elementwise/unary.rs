//! Unary math (`exp`, `sqrt`, `tanh`, ...), `clamp`, arithmetic with a scalar, and the
//! in-place updates optimisers use.

use ndarray::Zip;
use rayon::prelude::*;

use super::kernel::{go_parallel, par_chunk, PAR_MIN_CHEAP, PAR_MIN_COSTLY};
use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::kernels::Transcendental;
use crate::parallel;
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    /// Negates every element (`-x`), like `torch.neg`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, -2.0], [2])?;
    /// assert_eq!(x.neg().to_vec(), vec![-1.0, 2.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn neg(&self) -> Self {
        self.map_par(|x| -x)
    }

    /// Absolute value of every element, like `torch.abs`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.5f32, -2.0], [2])?;
    /// assert_eq!(x.abs().to_vec(), vec![1.5, 2.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn abs(&self) -> Self {
        self.map_par(|x| x.abs())
    }

    /// Sign of every element: -1, 0 or 1 (`±0` gives 0, NaN stays NaN), like `torch.sign`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-3.0f32, 0.0, 0.5], [3])?;
    /// assert_eq!(x.sign().to_vec(), vec![-1.0, 0.0, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn sign(&self) -> Self {
        self.map_par(|x| {
            if x > T::zero() {
                T::one()
            } else if x < T::zero() {
                -T::one()
            } else if x.is_nan() {
                x
            } else {
                T::zero()
            }
        })
    }

    /// Square of every element (`x * x`), like `torch.square`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![3.0f32, -0.5], [2])?;
    /// assert_eq!(x.square().to_vec(), vec![9.0, 0.25]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn square(&self) -> Self {
        self.map_par(|x| x * x)
    }

    /// Reciprocal `1 / x` of every element (IEEE at zero), like `torch.reciprocal`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![4.0f32, -0.5], [2])?;
    /// assert_eq!(x.recip().to_vec(), vec![0.25, -2.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn recip(&self) -> Self {
        self.map_par(|x| T::one() / x)
    }

    /// `e^x` for every element, like `torch.exp`.
    ///
    /// `f32` runs a vectorised kernel within 1 ulp; `f64` uses `libm` (see [`crate::math`]).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, 1.0], [2])?;
    /// assert_eq!(x.exp().to_vec(), vec![1.0, std::f64::consts::E]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn exp(&self) -> Self {
        self.map_chunks_with(PAR_MIN_COSTLY, |s, d| {
            T::transcendental_map(Transcendental::Exp, s, d)
        })
    }

    /// Natural logarithm of every element (`log(0) = -inf`, negative gives NaN), like
    /// `torch.log`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 0.0], [2])?;
    /// assert_eq!(x.log().to_vec(), vec![0.0, f64::NEG_INFINITY]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn log(&self) -> Self {
        self.map_with(PAR_MIN_COSTLY, |x| x.ln())
    }

    /// `log(1 + x)` for every element, accurate for small `x`, like `torch.log1p`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1e-20f64], [1])?;
    /// assert_eq!(x.log1p().to_vec(), vec![1e-20]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn log1p(&self) -> Self {
        self.map_with(PAR_MIN_COSTLY, |x| x.ln_1p())
    }

    /// `e^x - 1` for every element, accurate for small `x`, like `torch.expm1`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1e-20f64], [1])?;
    /// assert_eq!(x.expm1().to_vec(), vec![1e-20]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn expm1(&self) -> Self {
        self.map_with(PAR_MIN_COSTLY, |x| x.exp_m1())
    }

    /// Square root of every element (negative gives NaN), like `torch.sqrt`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![4.0f32, 2.25], [2])?;
    /// assert_eq!(x.sqrt().to_vec(), vec![2.0, 1.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn sqrt(&self) -> Self {
        self.map_par(|x| x.sqrt())
    }

    /// `1 / sqrt(x)` for every element (`rsqrt(0) = inf`), like `torch.rsqrt`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![4.0f32, 0.25], [2])?;
    /// assert_eq!(x.rsqrt().to_vec(), vec![0.5, 2.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn rsqrt(&self) -> Self {
        self.map_par(|x| T::one() / x.sqrt())
    }

    /// Sine of every element (radians), like `torch.sin`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, std::f64::consts::FRAC_PI_2], [2])?;
    /// assert_eq!(x.sin().to_vec(), vec![0.0, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn sin(&self) -> Self {
        self.map_with(PAR_MIN_COSTLY, |x| x.sin())
    }

    /// Cosine of every element (radians), like `torch.cos`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, std::f64::consts::PI], [2])?;
    /// assert_eq!(x.cos().to_vec(), vec![1.0, -1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn cos(&self) -> Self {
        self.map_with(PAR_MIN_COSTLY, |x| x.cos())
    }

    /// Hyperbolic tangent of every element, like `torch.tanh` (its derivative is
    /// [`tanh_backward`](Tensor::tanh_backward)).
    ///
    /// `f32` runs a vectorised kernel within 2 ulp; `f64` uses `libm` (see [`crate::math`]).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, 1e4, -1e4], [3])?;
    /// assert_eq!(x.tanh().to_vec(), vec![0.0, 1.0, -1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn tanh(&self) -> Self {
        self.map_chunks_with(PAR_MIN_COSTLY, |s, d| {
            T::transcendental_map(Transcendental::Tanh, s, d)
        })
    }

    /// Limits every element to `[min, max]`; either bound may be absent. Like `torch.clamp`:
    /// NaN elements stay NaN.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if both bounds are absent (as in PyTorch), if a bound
    /// is NaN, or if `min > max`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], [3])?;
    /// assert_eq!(x.clamp(Some(0.0), Some(1.0))?.to_vec(), vec![0.0, 0.5, 1.0]);
    /// assert_eq!(x.clamp(None, Some(0.0))?.to_vec(), vec![-2.0, 0.0, 0.0]);
    /// let err = x.clamp(Some(1.0), Some(0.0)).unwrap_err();
    /// assert_eq!(err.to_string(), "clamp: min 1 is greater than max 0");
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn clamp(&self, min: Option<T>, max: Option<T>) -> Result<Self> {
        const OP: &str = "clamp";
        if min.is_some_and(|v| v.is_nan()) || max.is_some_and(|v| v.is_nan()) {
            let show =
                |b: Option<T>| b.map_or("none".to_string(), |v| v.to_string().to_lowercase());
            return Err(TensorError::invalid(
                OP,
                format!(
                    "bounds must not be nan, got min {} and max {}",
                    show(min),
                    show(max)
                ),
            ));
        }
        match (min, max) {
            (None, None) => Err(TensorError::invalid(
                OP,
                "at least one of min and max must be given",
            )),
            (Some(lo), Some(hi)) if lo > hi => Err(TensorError::invalid(
                OP,
                format!("min {lo} is greater than max {hi}"),
            )),
            (Some(lo), Some(hi)) => Ok(self.map_par(move |x| {
                if x < lo {
                    lo
                } else if x > hi {
                    hi
                } else {
                    x
                }
            })),
            (Some(lo), None) => Ok(self.map_par(move |x| if x < lo { lo } else { x })),
            (None, Some(hi)) => Ok(self.map_par(move |x| if x > hi { hi } else { x })),
        }
    }

    /// Adds `v` to every element.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], [2])?;
    /// assert_eq!(x.add_scalar(0.5).to_vec(), vec![1.5, 2.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn add_scalar(&self, v: T) -> Self {
        self.map_par(move |x| x + v)
    }

    /// Subtracts `v` from every element (`x - v`).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], [2])?;
    /// assert_eq!(x.sub_scalar(0.5).to_vec(), vec![0.5, 1.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn sub_scalar(&self, v: T) -> Self {
        self.map_par(move |x| x - v)
    }

    /// Subtracts every element from `v` (`v - x`), like `torch.rsub`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let p = Tensor::from_vec(vec![0.25f32, 1.0], [2])?;
    /// assert_eq!(p.rsub_scalar(1.0).to_vec(), vec![0.75, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn rsub_scalar(&self, v: T) -> Self {
        self.map_par(move |x| v - x)
    }

    /// Multiplies every element by `v`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, -2.0], [2])?;
    /// assert_eq!(x.mul_scalar(3.0).to_vec(), vec![3.0, -6.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn mul_scalar(&self, v: T) -> Self {
        self.map_par(move |x| x * v)
    }

    /// Divides every element by `v` (true division, IEEE at zero).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, -2.0], [2])?;
    /// assert_eq!(x.div_scalar(4.0).to_vec(), vec![0.25, -0.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn div_scalar(&self, v: T) -> Self {
        self.map_par(move |x| x / v)
    }

    /// Raises every element to the power `v`, like `torch.pow(x, v)`.
    ///
    /// Exponents 0, 1, 2, 3, 0.5, -0.5, -1 and -2 use multiplication, `sqrt` or a reciprocal
    /// instead of the general `powf`, as PyTorch does.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![4.0f64, 9.0], [2])?;
    /// assert_eq!(x.pow_scalar(2.0).to_vec(), vec![16.0, 81.0]);
    /// assert_eq!(x.pow_scalar(-0.5).to_vec(), vec![0.5, 1.0 / 3.0]);
    /// assert_eq!(x.pow_scalar(1.5).to_vec(), vec![8.0, 27.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn pow_scalar(&self, v: T) -> Self {
        let e = v.as_f64();
        let one = T::one();
        if e == 0.0 {
            self.map_par(move |_| one)
        } else if e == 1.0 {
            self.map_par(|x| x)
        } else if e == 2.0 {
            self.map_par(|x| x * x)
        } else if e == 3.0 {
            self.map_par(|x| x * x * x)
        } else if e == 0.5 {
            self.map_with(PAR_MIN_COSTLY, |x| x.sqrt())
        } else if e == -0.5 {
            self.map_with(PAR_MIN_COSTLY, move |x| one / x.sqrt())
        } else if e == -1.0 {
            self.map_par(move |x| one / x)
        } else if e == -2.0 {
            self.map_par(move |x| one / (x * x))
        } else {
            self.map_with(PAR_MIN_COSTLY, move |x| x.powf(v))
        }
    }

    /// `self += alpha * rhs` in place (like `torch.Tensor.add_(rhs, alpha=alpha)`), for
    /// optimisers. Copies the storage first if another tensor shares it (copy on write).
    ///
    /// # Shapes
    /// `rhs` must have exactly the shape of `self` (no broadcasting).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] naming both shapes if they differ.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let mut w = Tensor::from_vec(vec![1.0f32, 2.0], [2])?;
    /// let grad = Tensor::from_vec(vec![10.0f32, -10.0], [2])?;
    /// w.add_assign_scaled(&grad, -0.1)?;
    /// assert_eq!(w.to_vec(), vec![0.0, 3.0]);
    /// assert!(w.add_assign_scaled(&Tensor::zeros([3]), 1.0).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn add_assign_scaled(&mut self, rhs: &Self, alpha: T) -> Result<()> {
        if self.shape() != rhs.shape() {
            return Err(TensorError::mismatch(
                "add_assign_scaled",
                self.shape(),
                rhs.shape(),
                "the update must have the shape of the tensor",
            ));
        }
        let n = self.numel();
        let par = go_parallel(n, PAR_MIN_CHEAP);
        let src = rhs.view();
        let mut dst = self.array_mut();
        if dst.strides() == src.strides() {
            if let (Some(d), Some(s)) =
                (dst.as_slice_memory_order_mut(), src.as_slice_memory_order())
            {
                let kernel = |d: &mut [T], s: &[T]| {
                    for (d, &s) in d.iter_mut().zip(s) {
                        *d += alpha * s;
                    }
                };
                if par {
                    let chunk = par_chunk(n);
                    parallel::install(|| {
                        d.par_chunks_mut(chunk)
                            .zip(s.par_chunks(chunk))
                            .for_each(|(d, s)| kernel(d, s));
                    });
                } else {
                    kernel(d, s);
                }
                return Ok(());
            }
        }
        let z = Zip::from(dst).and(src);
        if par {
            parallel::install(|| z.par_for_each(|d, &s| *d += alpha * s));
        } else {
            z.for_each(|d, &s| *d += alpha * s);
        }
        Ok(())
    }

    /// `self *= v` in place (like `torch.Tensor.mul_(v)`), e.g. for weight decay. Copies the
    /// storage first if another tensor shares it (copy on write).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let mut w = Tensor::from_vec(vec![1.0f32, -2.0], [2])?;
    /// w.scale_inplace(0.5);
    /// assert_eq!(w.to_vec(), vec![0.5, -1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn scale_inplace(&mut self, v: T) {
        let n = self.numel();
        let par = go_parallel(n, PAR_MIN_CHEAP);
        let mut dst = self.array_mut();
        if let Some(d) = dst.as_slice_memory_order_mut() {
            if par {
                let chunk = par_chunk(n);
                parallel::install(|| {
                    d.par_chunks_mut(chunk)
                        .for_each(|d| d.iter_mut().for_each(|x| *x *= v));
                });
            } else {
                d.iter_mut().for_each(|x| *x *= v);
            }
            return;
        }
        let z = Zip::from(dst);
        if par {
            parallel::install(|| z.par_for_each(|x| *x *= v));
        } else {
            z.for_each(|x| *x *= v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f64]) -> Tensor<f64> {
        Tensor::from_vec(v.to_vec(), [v.len()]).unwrap()
    }

    #[test]
    fn unary_known_values() {
        let x = t(&[-2.0, -0.0, 0.5, 4.0]);
        assert_eq!(x.neg().to_vec(), vec![2.0, 0.0, -0.5, -4.0]);
        assert_eq!(x.abs().to_vec(), vec![2.0, 0.0, 0.5, 4.0]);
        assert_eq!(x.sign().to_vec(), vec![-1.0, 0.0, 1.0, 1.0]);
        assert!(t(&[f64::NAN]).sign().to_vec()[0].is_nan());
        assert_eq!(x.square().to_vec(), vec![4.0, 0.0, 0.25, 16.0]);
        assert_eq!(x.recip().to_vec(), vec![-0.5, f64::NEG_INFINITY, 2.0, 0.25]);
        let p = t(&[0.25, 1.0, 4.0]);
        assert_eq!(p.sqrt().to_vec(), vec![0.5, 1.0, 2.0]);
        assert_eq!(p.rsqrt().to_vec(), vec![2.0, 1.0, 0.5]);
        assert_eq!(p.log().to_vec(), vec![-(4f64.ln()), 0.0, 4f64.ln()]);
        assert_eq!(
            t(&[0.0, 1.0]).exp().to_vec(),
            vec![1.0, std::f64::consts::E]
        );
        assert_eq!(t(&[1e-300]).log1p().to_vec(), vec![1e-300]);
        assert_eq!(t(&[1e-300]).expm1().to_vec(), vec![1e-300]);
        let a = t(&[0.3, -1.2]);
        assert_eq!(a.sin().to_vec(), vec![0.3f64.sin(), (-1.2f64).sin()]);
        assert_eq!(a.cos().to_vec(), vec![0.3f64.cos(), (-1.2f64).cos()]);
        assert_eq!(a.tanh().to_vec(), vec![0.3f64.tanh(), (-1.2f64).tanh()]);
    }

    #[test]
    fn unary_keeps_dense_transposed_layout() {
        let x = Tensor::from_shape_fn([3, 5], |i| (i[0] * 5 + i[1]) as f64 - 7.0);
        let xt = x.t().unwrap();
        let y = xt.abs();
        assert_eq!(y.shape(), &[5, 3]);
        assert_eq!(y.strides(), xt.strides());
        assert_eq!(
            y.to_vec(),
            xt.to_vec().iter().map(|v| v.abs()).collect::<Vec<_>>()
        );
        // A strided (sliced-like) view through permute of a broadcast copy still works.
        let z = Tensor::from_shape_fn([2, 3, 4], |i| i[2] as f64)
            .permute(&[2, 0, 1])
            .unwrap();
        assert_eq!(
            z.square().to_vec(),
            z.to_vec().iter().map(|v| v * v).collect::<Vec<_>>()
        );
    }

    #[test]
    fn scalar_forms() {
        let x = t(&[1.0, 2.0, 4.0]);
        assert_eq!(x.add_scalar(1.0).to_vec(), vec![2.0, 3.0, 5.0]);
        assert_eq!(x.sub_scalar(1.0).to_vec(), vec![0.0, 1.0, 3.0]);
        assert_eq!(x.rsub_scalar(1.0).to_vec(), vec![0.0, -1.0, -3.0]);
        assert_eq!(x.mul_scalar(2.0).to_vec(), vec![2.0, 4.0, 8.0]);
        assert_eq!(x.div_scalar(2.0).to_vec(), vec![0.5, 1.0, 2.0]);
        for e in [0.0, 1.0, 2.0, 3.0, 0.5, -0.5, -1.0, -2.0, 1.7, -3.0] {
            let got = x.pow_scalar(e).to_vec();
            let want: Vec<f64> = x.to_vec().iter().map(|v| v.powf(e)).collect();
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-15 * w.abs(), "pow {e}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn clamp_bounds_and_errors() {
        let x = t(&[-2.0, 0.5, 3.0, f64::NAN]);
        let c = x.clamp(Some(-1.0), Some(1.0)).unwrap().to_vec();
        assert_eq!(&c[..3], &[-1.0, 0.5, 1.0]);
        assert!(c[3].is_nan());
        assert_eq!(
            x.clamp(Some(0.0), None).unwrap().to_vec()[..3],
            [0.0, 0.5, 3.0]
        );
        assert_eq!(
            x.clamp(Some(1.0), Some(1.0)).unwrap().to_vec()[..3],
            [1.0; 3]
        );
        let e = x.clamp(Some(2.0), Some(-2.0)).unwrap_err();
        assert_eq!(e.to_string(), "clamp: min 2 is greater than max -2");
        let e = x.clamp(None, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "clamp: at least one of min and max must be given"
        );
        let e = x.clamp(Some(f64::NAN), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "clamp: bounds must not be nan, got min nan and max none"
        );
    }

    #[test]
    fn in_place_updates_copy_on_write() {
        let mut w = t(&[1.0, 2.0, 3.0]);
        let shared = w.clone();
        w.add_assign_scaled(&t(&[1.0, 1.0, 1.0]), 0.5).unwrap();
        assert_eq!(w.to_vec(), vec![1.5, 2.5, 3.5]);
        assert_eq!(shared.to_vec(), vec![1.0, 2.0, 3.0]);
        w.scale_inplace(2.0);
        assert_eq!(w.to_vec(), vec![3.0, 5.0, 7.0]);
        let e = w.add_assign_scaled(&t(&[1.0, 2.0]), 1.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "add_assign_scaled: shapes [3] and [2] do not match: the update must have the shape of the tensor"
        );
        // Adding a tensor to itself (shared storage) and mixed layouts.
        let mut m = Tensor::from_shape_fn([3, 4], |i| (i[0] * 4 + i[1]) as f64);
        let m0 = m.clone();
        m.add_assign_scaled(&m0, 1.0).unwrap();
        assert_eq!(m, m0.mul_scalar(2.0));
        let mut mt = m0.t().unwrap().contiguous();
        mt.add_assign_scaled(&m0.t().unwrap(), -1.0).unwrap();
        assert_eq!(mt.to_vec(), vec![0.0; 12]);
        let mut v = m0.t().unwrap();
        v.scale_inplace(3.0);
        assert_eq!(v.to_vec(), m0.t().unwrap().mul_scalar(3.0).to_vec());
    }

    #[test]
    fn large_in_place_updates_go_parallel() {
        let n = (1 << 17) + 3;
        let base = Tensor::from_shape_fn([n], |i| i[0] as f32);
        let mut w = base.clone();
        w.add_assign_scaled(&base, 1.0).unwrap();
        w.scale_inplace(0.5);
        assert_eq!(w, base);
        let m = Tensor::from_shape_fn([257, 521], |i| (i[0] + i[1]) as f32);
        let mut mt = m.t().unwrap().contiguous();
        mt.add_assign_scaled(&m.t().unwrap(), 1.0).unwrap();
        assert_eq!(mt.to_vec(), m.t().unwrap().mul_scalar(2.0).to_vec());
    }
}
