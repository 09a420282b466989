//! Largest and smallest values: `max_axis`/`min_axis` with indices, `argmax`/`argmin`,
//! `amax`/`amin` over several axes, and `max_all`/`min_all`.
//!
//! NaN propagates, as in PyTorch: a NaN is larger and smaller than everything, so a lane with
//! a NaN has NaN as its max and min, and the index of its first NaN.

use ndarray::ArrayD;

use super::kernels::{ArgExtreme, Extreme};
use super::{axis_flags, check_nonempty, keep_dims, reduce_all, reduce_tensor, single_flag};
use crate::element::Element;
use crate::error::Result;
use crate::shape::normalize_axis;
use crate::tensor::{Indices, Tensor};

impl<T: Element> Tensor<T> {
    /// Values and indices of the extreme along one axis.
    fn arg_extreme(
        &self,
        op: &'static str,
        axis: isize,
        keepdim: bool,
        min: bool,
    ) -> Result<ArrayD<(T, usize)>> {
        let a = normalize_axis(op, axis, self.ndim())?;
        let flags = single_flag(self.ndim(), a);
        check_nonempty(op, self, &flags)?;
        let out = super::driver::reduce(self.view(), &flags, &ArgExtreme { min });
        Ok(keep_dims(out, &flags, keepdim))
    }

    /// The largest value along `axis` and the index of its first occurrence, like
    /// `torch.max(x, dim, keepdim)` on the CPU.
    ///
    /// Ties report the smallest index. NaN propagates: a lane holding a NaN gives NaN and
    /// the index of its first NaN.
    ///
    /// # Shapes
    /// Both results have the input's shape without `axis`, or with it as size 1 if `keepdim`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`](crate::TensorError::InvalidAxis) for an axis out of range,
    /// [`TensorError::EmptyReduction`](crate::TensorError::EmptyReduction) if `axis` has size 0.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0, 5.0, 7.0, 2.0, 0.0], [2, 3])?;
    /// let (v, i) = x.max_axis(-1, false)?;
    /// assert_eq!(v.to_vec(), vec![5.0, 7.0]);
    /// assert_eq!(i.iter().copied().collect::<Vec<_>>(), vec![1, 0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn max_axis(&self, axis: isize, keepdim: bool) -> Result<(Self, Indices)> {
        let out = self.arg_extreme("max_axis", axis, keepdim, false)?;
        Ok((Tensor::from_array(out.mapv(|p| p.0)), out.mapv(|p| p.1)))
    }

    /// The smallest value along `axis` and the index of its first occurrence, like
    /// `torch.min(x, dim, keepdim)` on the CPU.
    ///
    /// Ties report the smallest index. NaN propagates: a lane holding a NaN gives NaN and
    /// the index of its first NaN.
    ///
    /// # Shapes
    /// Both results have the input's shape without `axis`, or with it as size 1 if `keepdim`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`](crate::TensorError::InvalidAxis) for an axis out of range,
    /// [`TensorError::EmptyReduction`](crate::TensorError::EmptyReduction) if `axis` has size 0.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![3.0f64, 1.0, 4.0, 1.0], [2, 2])?;
    /// let (v, i) = x.min_axis(0, true)?;
    /// assert_eq!(v.shape(), &[1, 2]);
    /// assert_eq!(v.to_vec(), vec![3.0, 1.0]);
    /// assert_eq!(i.iter().copied().collect::<Vec<_>>(), vec![0, 0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn min_axis(&self, axis: isize, keepdim: bool) -> Result<(Self, Indices)> {
        let out = self.arg_extreme("min_axis", axis, keepdim, true)?;
        Ok((Tensor::from_array(out.mapv(|p| p.0)), out.mapv(|p| p.1)))
    }

    /// Index of the first largest value along `axis`, like `torch.argmax(x, dim, keepdim)`
    /// (the index of the first NaN if the lane holds one).
    ///
    /// # Shapes
    /// The input's shape without `axis`, or with it as size 1 if `keepdim`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`](crate::TensorError::InvalidAxis) for an axis out of range,
    /// [`TensorError::EmptyReduction`](crate::TensorError::EmptyReduction) if `axis` has size 0.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.1f32, 0.7, 0.2], [1, 3])?;
    /// assert_eq!(x.argmax(1, false)?.into_raw_vec_and_offset().0, vec![1]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn argmax(&self, axis: isize, keepdim: bool) -> Result<Indices> {
        Ok(self
            .arg_extreme("argmax", axis, keepdim, false)?
            .mapv(|p| p.1))
    }

    /// Index of the first smallest value along `axis`, like `torch.argmin(x, dim, keepdim)`
    /// (the index of the first NaN if the lane holds one).
    ///
    /// # Shapes
    /// The input's shape without `axis`, or with it as size 1 if `keepdim`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`](crate::TensorError::InvalidAxis) for an axis out of range,
    /// [`TensorError::EmptyReduction`](crate::TensorError::EmptyReduction) if `axis` has size 0.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![2.0f64, -1.0, -1.0], [3])?;
    /// assert_eq!(x.argmin(0, true)?.into_raw_vec_and_offset().0, vec![1]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn argmin(&self, axis: isize, keepdim: bool) -> Result<Indices> {
        Ok(self
            .arg_extreme("argmin", axis, keepdim, true)?
            .mapv(|p| p.1))
    }

    /// The largest element (NaN if any element is NaN), like `torch.max(x)`.
    ///
    /// # Errors
    /// [`TensorError::EmptyReduction`](crate::TensorError::EmptyReduction) for an empty tensor.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 9.0, -3.0], [3])?;
    /// assert_eq!(x.max_all()?, 9.0);
    /// assert!(Tensor::<f32>::zeros([0]).max_all().is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn max_all(&self) -> Result<T> {
        check_nonempty("max_all", self, &vec![true; self.ndim()])?;
        Ok(reduce_all(self, &Extreme { min: false }))
    }

    /// The smallest element (NaN if any element is NaN), like `torch.min(x)`.
    ///
    /// # Errors
    /// [`TensorError::EmptyReduction`](crate::TensorError::EmptyReduction) for an empty tensor.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 9.0, -3.0], [3])?;
    /// assert_eq!(x.min_all()?, -3.0);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn min_all(&self) -> Result<T> {
        check_nonempty("min_all", self, &vec![true; self.ndim()])?;
        Ok(reduce_all(self, &Extreme { min: true }))
    }

    /// Largest values over `axes` (all axes if `axes` is empty), like
    /// `torch.amax(x, dim, keepdim)`; NaN propagates.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`](crate::TensorError::InvalidAxis) for an axis out of range,
    /// [`TensorError::InvalidArgument`](crate::TensorError::InvalidArgument) for an axis listed
    /// twice, [`TensorError::EmptyReduction`](crate::TensorError::EmptyReduction) if a reduced
    /// axis has size 0.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 24.0, 1.0)?.reshape(&[2, 3, 4])?;
    /// assert_eq!(x.amax(&[0, 2], false)?.to_vec(), vec![15.0, 19.0, 23.0]);
    /// assert_eq!(x.amax(&[1], true)?.shape(), &[2, 1, 4]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn amax(&self, axes: &[isize], keepdim: bool) -> Result<Self> {
        let flags = axis_flags("amax", axes, self.ndim())?;
        check_nonempty("amax", self, &flags)?;
        Ok(reduce_tensor(
            self,
            &flags,
            keepdim,
            &Extreme { min: false },
        ))
    }

    /// Smallest values over `axes` (all axes if `axes` is empty), like
    /// `torch.amin(x, dim, keepdim)`; NaN propagates.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`](crate::TensorError::InvalidAxis) for an axis out of range,
    /// [`TensorError::InvalidArgument`](crate::TensorError::InvalidArgument) for an axis listed
    /// twice, [`TensorError::EmptyReduction`](crate::TensorError::EmptyReduction) if a reduced
    /// axis has size 0.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::<f64>::arange(0.0, 6.0, 1.0)?.reshape(&[2, 3])?;
    /// assert_eq!(x.amin(&[-1], false)?.to_vec(), vec![0.0, 3.0]);
    /// assert_eq!(x.amin(&[], false)?.item()?, 0.0);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn amin(&self, axes: &[isize], keepdim: bool) -> Result<Self> {
        let flags = axis_flags("amin", axes, self.ndim())?;
        check_nonempty("amin", self, &flags)?;
        Ok(reduce_tensor(self, &flags, keepdim, &Extreme { min: true }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
        Tensor::from_vec(data.to_vec(), shape).unwrap()
    }

    fn idx(i: &Indices) -> Vec<usize> {
        i.iter().copied().collect()
    }

    #[test]
    fn max_min_values_indices_and_keepdim() {
        let x = t(&[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0], &[2, 4]);
        let (v, i) = x.max_axis(1, false).unwrap();
        assert_eq!(v.to_vec(), vec![4.0, 9.0]);
        assert_eq!(idx(&i), vec![2, 1]);
        let (v, i) = x.min_axis(-2, true).unwrap();
        assert_eq!(v.shape(), &[1, 4]);
        assert_eq!(i.shape(), &[1, 4]);
        assert_eq!(v.to_vec(), vec![3.0, 1.0, 2.0, 1.0]);
        assert_eq!(idx(&i), vec![0, 0, 1, 0]);
        assert_eq!(idx(&x.argmax(0, false).unwrap()), vec![1, 1, 0, 1]);
        assert_eq!(idx(&x.argmin(1, true).unwrap()), vec![1, 2]);
        assert_eq!(x.max_all().unwrap(), 9.0);
        assert_eq!(x.min_all().unwrap(), 1.0);
    }

    #[test]
    fn ties_report_the_first_occurrence() {
        let x = t(&[2.0, 7.0, 7.0, 1.0, 7.0, 1.0, 1.0, 0.0], &[8]);
        assert_eq!(idx(&x.argmax(0, false).unwrap()), vec![1]);
        assert_eq!(idx(&x.argmin(0, false).unwrap()), vec![7]);
        // Column layout: ties down axis 0.
        let c = t(&[5.0, 0.0, 5.0, 0.0, 5.0, 0.0], &[3, 2]);
        assert_eq!(idx(&c.argmax(0, false).unwrap()), vec![0, 0]);
        assert_eq!(idx(&c.argmin(0, false).unwrap()), vec![0, 0]);
        let ninf = t(&[f64::NEG_INFINITY; 3], &[3]);
        assert_eq!(idx(&ninf.argmax(0, false).unwrap()), vec![0]);
        assert_eq!(ninf.max_all().unwrap(), f64::NEG_INFINITY);
        // Long lanes cross the pairwise blocks and the parallel split.
        let mut v = vec![0.0; 5000];
        v[1500] = 2.0;
        v[4000] = 2.0;
        let long = t(&v, &[5000]);
        assert_eq!(idx(&long.argmax(0, false).unwrap()), vec![1500]);
        let col = long
            .reshape(&[5000, 1])
            .unwrap()
            .expand(&[5000, 3])
            .unwrap();
        assert_eq!(idx(&col.argmax(0, false).unwrap()), vec![1500; 3]);
    }

    #[test]
    fn nan_wins_and_reports_its_first_index() {
        let n = f64::NAN;
        let x = t(&[1.0, n, 3.0, n, 2.0, 5.0, -1.0, 0.0], &[2, 4]);
        let (v, i) = x.max_axis(1, false).unwrap();
        assert!(v.to_vec()[0].is_nan());
        assert_eq!(v.to_vec()[1], 5.0);
        assert_eq!(idx(&i), vec![1, 1]);
        let (v, i) = x.min_axis(1, false).unwrap();
        assert!(v.to_vec()[0].is_nan());
        assert_eq!(v.to_vec()[1], -1.0);
        assert_eq!(idx(&i), vec![1, 2]);
        let (v, i) = x.max_axis(0, false).unwrap();
        assert_eq!(idx(&i), vec![1, 0, 0, 0]);
        assert!(v.to_vec()[1].is_nan() && v.to_vec()[3].is_nan());
        let y = t(&[0.0, 1.0, n, 9.0, n], &[5]);
        assert_eq!(idx(&y.argmin(0, false).unwrap()), vec![2]);
        assert!(y.max_all().unwrap().is_nan());
        assert!(y.min_all().unwrap().is_nan());
        assert!(y.amax(&[0], false).unwrap().item().unwrap().is_nan());
        // NaN after the maximum in a column block.
        let c = t(&[1.0, 7.0, 3.0, n], &[2, 2]);
        assert_eq!(idx(&c.argmax(0, false).unwrap()), vec![1, 1]);
        assert_eq!(idx(&c.argmin(0, false).unwrap()), vec![0, 1]);
    }

    #[test]
    fn amax_amin_over_several_axes() {
        let x = Tensor::<f64>::from_shape_fn([2, 3, 4], |i| {
            ((i[0] * 7 + i[1] * 5 + i[2] * 3) % 11) as f64
        });
        let m = x.amax(&[0, 2], false).unwrap();
        assert_eq!(m.shape(), &[3]);
        assert_eq!(m.to_vec(), vec![10.0, 10.0, 10.0]);
        let m = x.amin(&[1, 2], true).unwrap();
        assert_eq!(m.shape(), &[2, 1, 1]);
        assert_eq!(m.to_vec(), vec![0.0, 1.0]);
        assert_eq!(x.amax(&[], false).unwrap().item().unwrap(), 10.0);
        let p = x.permute(&[2, 0, 1]).unwrap();
        assert_eq!(p.amax(&[0, 1], false).unwrap().to_vec(), m_ref(&x));
    }

    fn m_ref(x: &Tensor<f64>) -> Vec<f64> {
        x.amax(&[0, 2], false).unwrap().to_vec()
    }

    #[test]
    fn empty_reductions_are_errors() {
        let e = Tensor::<f32>::zeros([2, 0]);
        let err = e.max_axis(1, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "max_axis: cannot reduce an empty dimension (shape [2, 0])"
        );
        // Reducing a non-empty axis of an empty tensor gives an empty result.
        let (v, i) = e.min_axis(0, false).unwrap();
        assert_eq!(v.shape(), &[0]);
        assert_eq!(i.shape(), &[0]);
        assert!(e
            .argmax(-1, false)
            .unwrap_err()
            .to_string()
            .starts_with("argmax: cannot reduce an empty dimension (shape [2, 0])"));
        assert!(e
            .argmin(1, true)
            .unwrap_err()
            .to_string()
            .contains("[2, 0]"));
        let err = e.max_all().unwrap_err();
        assert_eq!(
            err.to_string(),
            "max_all: cannot reduce an empty dimension (shape [2, 0])"
        );
        assert!(e.min_all().unwrap_err().to_string().starts_with("min_all"));
        let err = e.amax(&[], false).unwrap_err();
        assert!(err.to_string().starts_with("amax: cannot reduce"));
        assert_eq!(e.amin(&[0], false).unwrap().shape(), &[0]);
        assert!(e
            .amin(&[1], true)
            .unwrap_err()
            .to_string()
            .contains("[2, 0]"));
    }

    #[test]
    fn axis_errors() {
        let x = t(&[1.0, 2.0], &[2]);
        let e = x.max_axis(1, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "max_axis: axis 1 is out of range for a tensor of rank 1"
        );
        assert!(x
            .min_axis(-2, false)
            .unwrap_err()
            .to_string()
            .starts_with("min_axis: axis -2"));
        assert!(x
            .argmax(3, false)
            .unwrap_err()
            .to_string()
            .starts_with("argmax: axis 3"));
        assert!(x
            .argmin(2, false)
            .unwrap_err()
            .to_string()
            .starts_with("argmin: axis 2"));
        let e = x.amax(&[0, 0], false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "amax: axis 0 appears more than once in [0, 0]"
        );
        assert!(x
            .amin(&[1], false)
            .unwrap_err()
            .to_string()
            .starts_with("amin: axis 1"));
    }
}
