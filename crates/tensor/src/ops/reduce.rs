//! Reductions and along-axis maps: `sum`, `mean`, `var`, `std`, max/min with indices,
//! `amax`/`amin`, `logsumexp`, norms, `sum_to_shape` (the reverse of broadcasting), `softmax`,
//! `log_softmax` with their backward helpers, and `cumsum`.
//!
//! # Conventions
//! - Axis lists are `&[isize]` (negative values count from the end); an **empty list reduces
//!   over all axes**, as `torch.sum(x, dim=[])` does. Listing an axis twice is an error.
//! - `keepdim: true` keeps each reduced axis with size 1, so the result broadcasts against the
//!   input, as in PyTorch.
//! - Reductions return row-major (contiguous) tensors. Along-axis maps (`softmax`, ...)
//!   return a tensor with the input's memory order: the result of a permuted view is the
//!   same permutation of contiguous storage, as PyTorch's `preserve_format`.
//! - Reductions over the last axes run as slice loops over contiguous rows, reductions over
//!   other axes as slice loops over the rows of column blocks; permuted views (`t()`,
//!   `permute`) are read in storage order without a copy. Large inputs use the kernel pool
//!   (see [`set_num_threads`](crate::set_num_threads)).
//! - Sums fold eight accumulators per run and combine runs pairwise, so the rounding error
//!   grows slowly with the reduction length; `var`/`std` merge two-pass moments of runs
//!   (Chan et al.), which stays accurate when the mean is large.

mod driver;
mod exp;
mod extrema;
mod kernels;
mod norm;
mod softmax;

use ndarray::{ArrayD, Axis};

use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::shape::normalize_axes;
use crate::tensor::Tensor;

use driver::Reducer;
use kernels::{Sum, Var};

/// One flag per axis of a rank-`ndim` tensor: the axes listed in `axes`, or all axes if the
/// list is empty.
fn axis_flags(op: &'static str, axes: &[isize], ndim: usize) -> Result<Vec<bool>> {
    if axes.is_empty() {
        return Ok(vec![true; ndim]);
    }
    let mut flags = vec![false; ndim];
    for a in normalize_axes(op, axes, ndim)? {
        flags[a] = true;
    }
    Ok(flags)
}

/// One flag per axis, set for `axis` only.
fn single_flag(ndim: usize, axis: usize) -> Vec<bool> {
    (0..ndim).map(|a| a == axis).collect()
}

/// [`TensorError::EmptyReduction`] if a flagged axis of `t` has no elements.
fn check_nonempty<T: Element>(op: &'static str, t: &Tensor<T>, flags: &[bool]) -> Result<()> {
    if flags.iter().zip(t.shape()).any(|(&f, &d)| f && d == 0) {
        return Err(TensorError::EmptyReduction {
            op,
            shape: t.shape_obj(),
        });
    }
    Ok(())
}

/// Re-inserts the reduced axes of `flags` with size 1 if `keepdim`.
fn keep_dims<O>(mut a: ArrayD<O>, flags: &[bool], keepdim: bool) -> ArrayD<O> {
    if keepdim {
        for (i, _) in flags.iter().enumerate().filter(|p| *p.1) {
            a = a.insert_axis(Axis(i));
        }
    }
    a
}

/// Reduces the flagged axes of `t` with `red`.
fn reduce_tensor<T: Element, R: Reducer<T, Out = T>>(
    t: &Tensor<T>,
    flags: &[bool],
    keepdim: bool,
    red: &R,
) -> Tensor<T> {
    Tensor::from_array(keep_dims(
        driver::reduce(t.view(), flags, red),
        flags,
        keepdim,
    ))
}

/// The single value of a reduction over every axis of `t`.
fn reduce_all<T: Element, R: Reducer<T, Out = T>>(t: &Tensor<T>, red: &R) -> T {
    let flags = vec![true; t.ndim()];
    driver::reduce(t.view(), &flags, red)
        .iter()
        .next()
        .copied()
        .unwrap_or_else(T::nan)
}

impl<T: Element> Tensor<T> {
    /// Sum over `axes` (all axes if `axes` is empty), like `torch.sum(x, dim, keepdim)`.
    ///
    /// The sum of no elements is 0.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] for an axis out of range,
    /// [`TensorError::InvalidArgument`] for an axis listed twice.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
    /// assert_eq!(x.sum(&[-1], false)?.to_vec(), vec![6.0, 15.0]);
    /// assert_eq!(x.sum(&[0], true)?.shape(), &[1, 3]);
    /// assert_eq!(x.sum(&[], false)?.item()?, 21.0); // no axes: all of them
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn sum(&self, axes: &[isize], keepdim: bool) -> Result<Self> {
        let flags = axis_flags("sum", axes, self.ndim())?;
        Ok(reduce_tensor(self, &flags, keepdim, &Sum { mean: false }))
    }

    /// Mean over `axes` (all axes if `axes` is empty), like `torch.mean(x, dim, keepdim)`.
    ///
    /// The mean of no elements is NaN, as in PyTorch.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] for an axis out of range,
    /// [`TensorError::InvalidArgument`] for an axis listed twice.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], [2, 2])?;
    /// assert_eq!(x.mean(&[0], false)?.to_vec(), vec![2.0, 3.0]);
    /// assert_eq!(x.mean(&[0, 1], true)?.shape(), &[1, 1]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn mean(&self, axes: &[isize], keepdim: bool) -> Result<Self> {
        let flags = axis_flags("mean", axes, self.ndim())?;
        Ok(reduce_tensor(self, &flags, keepdim, &Sum { mean: true }))
    }

    /// Sum of all elements (0 for an empty tensor).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// assert_eq!(Tensor::<f32>::ones([3, 4]).sum_all(), 12.0);
    /// ```
    pub fn sum_all(&self) -> T {
        reduce_all(self, &Sum { mean: false })
    }

    /// Mean of all elements (NaN for an empty tensor, as in PyTorch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0, 6.0], [3])?;
    /// assert_eq!(x.mean_all(), 3.0);
    /// assert!(Tensor::<f64>::zeros([0]).mean_all().is_nan());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn mean_all(&self) -> T {
        reduce_all(self, &Sum { mean: true })
    }

    /// Variance over `axes` (all axes if `axes` is empty) with Bessel's `correction`, like
    /// `torch.var(x, dim, correction=correction, keepdim=keepdim)`: the sum of squared
    /// deviations from the mean divided by `N - correction`, where `N` is the number of
    /// reduced elements. `correction = 0` gives the biased (population) variance, `1` the
    /// unbiased sample variance.
    ///
    /// When `N <= correction` the divisor is 0, as in PyTorch: the result is NaN if the
    /// squared deviations sum to 0 (e.g. `N = 1`, or no elements) and `+inf` otherwise.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] for an axis out of range,
    /// [`TensorError::InvalidArgument`] for an axis listed twice.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], [4])?;
    /// assert_eq!(x.var(&[0], 0, false)?.item()?, 1.25);
    /// assert!((x.var(&[0], 1, false)?.item()? - 5.0 / 3.0).abs() < 1e-15);
    /// assert!(Tensor::<f64>::ones([1]).var(&[], 1, false)?.item()?.is_nan());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn var(&self, axes: &[isize], correction: usize, keepdim: bool) -> Result<Self> {
        let flags = axis_flags("var", axes, self.ndim())?;
        let red = Var {
            correction,
            sqrt: false,
        };
        Ok(reduce_tensor(self, &flags, keepdim, &red))
    }

    /// Standard deviation over `axes`: the square root of [`var`](Tensor::var) with the same
    /// arguments, like `torch.std(x, dim, correction=correction, keepdim=keepdim)`.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] for an axis out of range,
    /// [`TensorError::InvalidArgument`] for an axis listed twice.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![2.0f32, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], [2, 4])?;
    /// assert_eq!(x.std(&[], 0, false)?.item()?, 2.0);
    /// assert_eq!(x.std(&[1], 1, true)?.shape(), &[2, 1]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn std(&self, axes: &[isize], correction: usize, keepdim: bool) -> Result<Self> {
        let flags = axis_flags("std", axes, self.ndim())?;
        let red = Var {
            correction,
            sqrt: true,
        };
        Ok(reduce_tensor(self, &flags, keepdim, &red))
    }

    /// Sums `self` down to `shape`, the reverse of broadcasting `shape` to `self.shape()`:
    /// leading axes that `shape` lacks are summed away, and axes where `shape` has 1 (and
    /// `self` does not) are summed with the size 1 kept. Autograd uses it to reduce the
    /// gradient of a broadcast operand back to that operand's shape (like
    /// `torch.Tensor.sum_to_size`).
    ///
    /// # Shapes
    /// `self`: any shape that `shape` broadcasts to; the result has exactly `shape`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if `shape` does not broadcast to `self.shape()` (more
    /// axes than `self`, or an axis that is neither 1 nor equal to `self`'s).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let g = Tensor::<f32>::ones([2, 3, 4]);
    /// assert_eq!(g.sum_to_shape(&[3, 1])?.to_vec(), vec![8.0, 8.0, 8.0]);
    /// assert_eq!(g.sum_to_shape(&[4])?.shape(), &[4]);
    /// assert!(g.sum_to_shape(&[2, 4]).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn sum_to_shape(&self, shape: &[usize]) -> Result<Self> {
        let (n, m) = (self.ndim(), shape.len());
        let err = || TensorError::Broadcast {
            op: "sum_to_shape",
            lhs: shape.into(),
            rhs: self.shape_obj(),
        };
        if m > n {
            return Err(err());
        }
        let lead = n - m;
        let mut flags = vec![true; lead];
        for (&want, &have) in shape.iter().zip(&self.shape()[lead..]) {
            if want != have && want != 1 {
                return Err(err());
            }
            flags.push(want != have);
        }
        if !flags.iter().any(|&f| f) {
            return Ok(self.clone());
        }
        reduce_tensor(self, &flags, false, &Sum { mean: false }).reshape_exact(shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
        Tensor::from_vec(data.to_vec(), shape).unwrap()
    }

    fn range(shape: &[usize]) -> Tensor<f64> {
        let n: usize = shape.iter().product();
        Tensor::from_vec((0..n).map(|v| v as f64).collect(), shape).unwrap()
    }

    #[test]
    fn sum_known_values_and_keepdim() {
        let x = range(&[2, 3, 4]);
        let s = x.sum(&[1], false).unwrap();
        assert_eq!(s.shape(), &[2, 4]);
        assert_eq!(
            s.to_vec(),
            vec![12.0, 15.0, 18.0, 21.0, 48.0, 51.0, 54.0, 57.0]
        );
        let s = x.sum(&[-1], true).unwrap();
        assert_eq!(s.shape(), &[2, 3, 1]);
        assert_eq!(s.to_vec(), vec![6.0, 22.0, 38.0, 54.0, 70.0, 86.0]);
        let s = x.sum(&[0, 2], false).unwrap();
        assert_eq!(s.to_vec(), vec![60.0, 92.0, 124.0]);
        let s = x.sum(&[2, -3], true).unwrap();
        assert_eq!(s.shape(), &[1, 3, 1]);
        assert_eq!(s.to_vec(), vec![60.0, 92.0, 124.0]);
        let s = x.sum(&[], false).unwrap();
        assert_eq!(s.shape(), &[] as &[usize]);
        assert_eq!(s.item().unwrap(), 276.0);
        assert_eq!(x.sum(&[], true).unwrap().shape(), &[1, 1, 1]);
        assert_eq!(x.sum_all(), 276.0);
        assert_eq!(x.mean_all(), 11.5);
    }

    #[test]
    fn sum_of_permuted_and_sliced_views() {
        let x = range(&[2, 3, 4]);
        let p = x.permute(&[2, 0, 1]).unwrap();
        let s = p.sum(&[1], false).unwrap();
        assert_eq!(s.shape(), &[4, 3]);
        assert!(s.is_contiguous());
        assert_eq!(s.get(&[1, 2]).unwrap(), 9.0 + 21.0);
        assert_eq!(p.sum_all(), 276.0);
        let tt = range(&[3, 2]).t().unwrap();
        assert_eq!(tt.sum(&[1], false).unwrap().to_vec(), vec![6.0, 9.0]);
        assert_eq!(tt.sum(&[0], false).unwrap().to_vec(), vec![1.0, 5.0, 9.0]);
    }

    #[test]
    fn mean_known_values_and_empty() {
        let x = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        assert_eq!(x.mean(&[0], false).unwrap().to_vec(), vec![2.5, 3.5, 4.5]);
        assert_eq!(x.mean(&[1], true).unwrap().to_vec(), vec![2.0, 5.0]);
        let e = Tensor::<f64>::zeros([0, 3]);
        let m = e.mean(&[0], false).unwrap();
        assert_eq!(m.shape(), &[3]);
        assert!(m.to_vec().iter().all(|v| v.is_nan()));
        assert_eq!(e.sum(&[0], false).unwrap().to_vec(), vec![0.0; 3]);
        assert_eq!(e.sum(&[1], false).unwrap().shape(), &[0]);
        assert_eq!(e.sum_all(), 0.0);
    }

    #[test]
    fn scalar_tensors_reduce_to_themselves() {
        let s = Tensor::<f32>::scalar(2.5);
        assert_eq!(s.sum(&[], false).unwrap().item().unwrap(), 2.5);
        assert_eq!(s.mean(&[], true).unwrap().shape(), &[] as &[usize]);
        assert_eq!(s.sum_all(), 2.5);
    }

    #[test]
    fn var_std_biased_and_unbiased() {
        let x = t(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], &[8]);
        assert_eq!(x.var(&[0], 0, false).unwrap().item().unwrap(), 4.0);
        assert_eq!(x.std(&[0], 0, false).unwrap().item().unwrap(), 2.0);
        let v = x.var(&[], 1, false).unwrap().item().unwrap();
        assert!((v - 32.0 / 7.0).abs() < 1e-14);
        let m = t(&[1.0, 2.0, 3.0, 4.0, 6.0, 8.0], &[2, 3]);
        let v = m.var(&[1], 1, true).unwrap();
        assert_eq!(v.shape(), &[2, 1]);
        assert_eq!(v.to_vec(), vec![1.0, 4.0]);
        let v = m.var(&[0], 0, false).unwrap();
        assert_eq!(v.to_vec(), vec![2.25, 4.0, 6.25]);
        let s = m.std(&[-2], 1, false).unwrap();
        let want = [4.5f64.sqrt(), 8.0f64.sqrt(), 12.5f64.sqrt()];
        for (a, b) in s.to_vec().iter().zip(want) {
            assert!((a - b).abs() < 1e-14);
        }
    }

    #[test]
    fn var_is_stable_with_a_large_mean() {
        let x =
            Tensor::from_vec(vec![1e9 + 4.0f64, 1e9 + 7.0, 1e9 + 13.0, 1e9 + 16.0], [4]).unwrap();
        assert_eq!(x.var(&[], 1, false).unwrap().item().unwrap(), 30.0);
        let x32 = Tensor::from_vec(vec![1e4 + 1.0f32, 1e4 + 2.0, 1e4 + 3.0], [3]).unwrap();
        assert_eq!(x32.var(&[], 0, false).unwrap().item().unwrap(), 2.0 / 3.0);
    }

    #[test]
    fn var_with_too_few_elements_is_nan_or_inf() {
        let one = t(&[3.0], &[1]);
        assert!(one.var(&[0], 1, false).unwrap().item().unwrap().is_nan());
        assert_eq!(one.var(&[0], 0, false).unwrap().item().unwrap(), 0.0);
        let two = t(&[1.0, 3.0], &[2]);
        assert_eq!(
            two.var(&[0], 2, false).unwrap().item().unwrap(),
            f64::INFINITY
        );
        assert_eq!(
            two.std(&[0], 3, false).unwrap().item().unwrap(),
            f64::INFINITY
        );
        let empty = Tensor::<f64>::zeros([0]);
        assert!(empty.var(&[], 0, false).unwrap().item().unwrap().is_nan());
    }

    #[test]
    fn sum_to_shape_cases() {
        let g = range(&[2, 3, 4]);
        let s = g.sum_to_shape(&[3, 4]).unwrap();
        assert_eq!(s.shape(), &[3, 4]);
        assert_eq!(s.get(&[1, 2]).unwrap(), 6.0 + 18.0);
        let s = g.sum_to_shape(&[2, 1, 4]).unwrap();
        assert_eq!(s.shape(), &[2, 1, 4]);
        assert_eq!(s.get(&[1, 0, 3]).unwrap(), 15.0 + 19.0 + 23.0);
        let s = g.sum_to_shape(&[1, 3, 1]).unwrap();
        assert_eq!(s.to_vec(), vec![60.0, 92.0, 124.0]);
        assert_eq!(g.sum_to_shape(&[]).unwrap().item().unwrap(), 276.0);
        let same = g.sum_to_shape(&[2, 3, 4]).unwrap();
        assert_eq!(same, g);
        let p = g.permute(&[1, 0, 2]).unwrap();
        let s = p.sum_to_shape(&[3, 1, 1]).unwrap();
        assert_eq!(s.to_vec(), vec![60.0, 92.0, 124.0]);
        // A zero-size axis summed down to 1 gives zeros.
        let z = Tensor::<f64>::zeros([0, 2]);
        assert_eq!(z.sum_to_shape(&[1, 2]).unwrap().to_vec(), vec![0.0, 0.0]);
    }

    #[test]
    fn sum_to_shape_errors_name_both_shapes() {
        let g = range(&[2, 3, 4]);
        let e = g.sum_to_shape(&[3, 3]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sum_to_shape: shapes [3, 3] and [2, 3, 4] cannot be broadcast together"
        );
        let e = g.sum_to_shape(&[1, 2, 3, 4]).unwrap_err();
        assert!(e.to_string().contains("[1, 2, 3, 4] and [2, 3, 4]"));
        assert!(g.sum_to_shape(&[2, 1, 1, 1]).is_err());
    }

    #[test]
    fn axis_errors_name_the_op_and_values() {
        let x = range(&[2, 3]);
        let e = x.sum(&[2], false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sum: axis 2 is out of range for a tensor of rank 2"
        );
        let e = x.mean(&[-3], false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "mean: axis -3 is out of range for a tensor of rank 2"
        );
        let e = x.var(&[1, -1], 0, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "var: axis -1 appears more than once in [1, -1]"
        );
        let e = x.std(&[5], 0, false).unwrap_err();
        assert!(e.to_string().starts_with("std: axis 5"));
        let e = Tensor::<f32>::scalar(1.0).sum(&[0], false).unwrap_err();
        assert!(e.to_string().contains("rank 0"));
    }

    #[test]
    fn long_f32_sums_stay_accurate() {
        // 2^20 copies of 0.1: a naive f32 loop drifts by percents.
        let n = 1 << 20;
        let x = Tensor::<f32>::full([n], 0.1);
        let want = n as f64 * 0.1f32 as f64;
        assert!((x.sum_all() as f64 - want).abs() / want < 1e-5);
        let c = x.reshape(&[-1, 4]).unwrap().sum(&[0], false).unwrap();
        for v in c.to_vec() {
            assert!((v as f64 - want / 4.0).abs() / want < 1e-5);
        }
    }
}
