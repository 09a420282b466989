//! Vector p-norms: `norm` over axes and `norm_all`.

use super::kernels::{AbsMax, Norm};
use super::{axis_flags, reduce_all, reduce_tensor};
use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    /// The vector p-norm over `axes` (all axes if `axes` is empty): `(sum |x|^p)^(1/p)` for
    /// finite `p > 0`, and the largest `|x|` for `p = f64::INFINITY`, like
    /// `torch.linalg.vector_norm(x, ord=p, dim, keepdim)`.
    ///
    /// Large and tiny values do not overflow or underflow: when `sum |x|^p` would, the lane is
    /// scaled by its largest `|x|` first (as LAPACK's `nrm2`). The norm of no elements is 0,
    /// also for `p = inf` (where PyTorch raises an error).
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] unless `p > 0` (NaN, 0 and negative orders are not
    /// supported), [`TensorError::InvalidAxis`] for an axis out of range, and
    /// [`TensorError::InvalidArgument`] for an axis listed twice.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![3.0f64, -4.0, 0.0, 1.0], [2, 2])?;
    /// assert_eq!(x.norm(2.0, &[1], false)?.to_vec(), vec![5.0, 1.0]);
    /// assert_eq!(x.norm(1.0, &[], false)?.item()?, 8.0);
    /// assert_eq!(x.norm(f64::INFINITY, &[0], true)?.to_vec(), vec![3.0, 4.0]);
    /// let big = Tensor::from_vec(vec![3e30f32, 4e30], [2])?;
    /// assert_eq!(big.norm(2.0, &[], false)?.item()?, 5e30);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn norm(&self, p: f64, axes: &[isize], keepdim: bool) -> Result<Self> {
        if p.is_nan() || p <= 0.0 {
            return Err(TensorError::invalid(
                "norm",
                format!("the order p must be positive or infinity, got {p}"),
            ));
        }
        let flags = axis_flags("norm", axes, self.ndim())?;
        Ok(if p == f64::INFINITY {
            reduce_tensor(self, &flags, keepdim, &AbsMax)
        } else {
            reduce_tensor(self, &flags, keepdim, &Norm::new(p))
        })
    }

    /// The vector p-norm of all elements, as [`norm`](Tensor::norm) over all axes: `p = 1`,
    /// `2`, any finite `p > 0`, or `f64::INFINITY`. An order that is not positive (or NaN)
    /// gives NaN; an empty tensor gives 0.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, -2.0, 2.0], [3])?;
    /// assert_eq!(x.norm_all(2.0), 3.0);
    /// assert_eq!(x.norm_all(f64::INFINITY), 2.0);
    /// assert!(x.norm_all(0.0).is_nan());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn norm_all(&self, p: f64) -> T {
        if p == f64::INFINITY {
            reduce_all(self, &AbsMax)
        } else if p > 0.0 {
            reduce_all(self, &Norm::new(p))
        } else {
            T::nan()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
        Tensor::from_vec(data.to_vec(), shape).unwrap()
    }

    #[test]
    fn norms_p1_p2_p3_inf() {
        let x = t(&[1.0, -2.0, 3.0, -4.0, 0.0, 2.0], &[2, 3]);
        assert_eq!(x.norm(1.0, &[1], false).unwrap().to_vec(), vec![6.0, 6.0]);
        assert_eq!(
            x.norm(2.0, &[0], false).unwrap().to_vec(),
            vec![17f64.sqrt(), 2.0, 13f64.sqrt()]
        );
        let n3 = x.norm(3.0, &[-1], true).unwrap();
        assert_eq!(n3.shape(), &[2, 1]);
        let want = [36f64.powf(1.0 / 3.0), 72f64.powf(1.0 / 3.0)];
        for (a, b) in n3.to_vec().iter().zip(want) {
            assert!((a - b).abs() < 1e-14 * b);
        }
        assert_eq!(
            x.norm(f64::INFINITY, &[1], false).unwrap().to_vec(),
            vec![3.0, 4.0]
        );
        assert_eq!(
            x.norm(f64::INFINITY, &[], false).unwrap().item().unwrap(),
            4.0
        );
        assert_eq!(x.norm_all(1.0), 12.0);
        assert!((x.norm_all(2.0) - 34f64.sqrt()).abs() < 1e-15);
        assert!(
            (x.norm_all(0.5) - (1.0 + 2f64.sqrt() + 3f64.sqrt() + 2.0 + 2f64.sqrt()).powi(2)).abs()
                < 1e-12
        );
        assert_eq!(x.norm_all(f64::INFINITY), 4.0);
    }

    #[test]
    fn norms_avoid_overflow_and_underflow() {
        let big = Tensor::from_vec(vec![3e200f64, 4e200], [2]).unwrap();
        assert!((big.norm_all(2.0) / 5e200 - 1.0).abs() < 1e-15);
        let tiny = Tensor::from_vec(vec![3e-200f64, 4e-200], [2]).unwrap();
        assert!((tiny.norm_all(2.0) / 5e-200 - 1.0).abs() < 1e-15);
        let big32 = Tensor::from_vec(vec![3e30f32, 4e30, 3e30, 4e30], [2, 2]).unwrap();
        let n = big32.norm(2.0, &[0], false).unwrap().to_vec();
        assert!((n[0] / (3e30 * 2f32.sqrt()) - 1.0).abs() < 1e-6);
        let n = big32.norm(3.0, &[1], false).unwrap().to_vec();
        assert!((n[0] as f64 / (91f64.powf(1.0 / 3.0) * 1e30) - 1.0).abs() < 1e-6);
        let tiny32 = Tensor::from_vec(vec![3e-30f32, 4e-30], [2]).unwrap();
        assert!((tiny32.norm_all(2.0) / 5e-30 - 1.0).abs() < 1e-6);
        // A long lane where the halves overflow only when merged.
        let long = Tensor::<f32>::full([4096], 1e18);
        assert!((long.norm_all(2.0) / (64.0 * 1e18) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn norms_of_zeros_infinities_nans_and_empty() {
        let z = Tensor::<f64>::zeros([3, 4]);
        assert_eq!(z.norm(2.0, &[1], false).unwrap().to_vec(), vec![0.0; 3]);
        assert_eq!(z.norm_all(3.0), 0.0);
        let i = t(&[1.0, f64::INFINITY], &[2]);
        assert_eq!(i.norm_all(2.0), f64::INFINITY);
        assert_eq!(i.norm_all(1.0), f64::INFINITY);
        let n = t(&[1.0, f64::NAN, f64::INFINITY], &[3]);
        assert!(n.norm_all(2.0).is_nan());
        assert!(n.norm_all(f64::INFINITY).is_nan());
        let e = Tensor::<f32>::zeros([0, 2]);
        assert_eq!(e.norm(2.0, &[0], false).unwrap().to_vec(), vec![0.0; 2]);
        assert_eq!(e.norm_all(f64::INFINITY), 0.0);
    }

    #[test]
    fn norm_errors() {
        let x = t(&[1.0, 2.0], &[2]);
        let e = x.norm(0.0, &[], false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "norm: the order p must be positive or infinity, got 0"
        );
        assert!(x
            .norm(-1.0, &[0], false)
            .unwrap_err()
            .to_string()
            .contains("got -1"));
        assert!(x
            .norm(f64::NAN, &[0], false)
            .unwrap_err()
            .to_string()
            .contains("got NaN"));
        assert!(x.norm(f64::NEG_INFINITY, &[0], false).is_err());
        let e = x.norm(2.0, &[1], false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "norm: axis 1 is out of range for a tensor of rank 1"
        );
        assert!(x.norm_all(-2.0).is_nan());
    }
}
