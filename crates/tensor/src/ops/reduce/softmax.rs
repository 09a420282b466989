//! `logsumexp`, `softmax` and `log_softmax` with their backward helpers, and `cumsum`.
//!
//! All of them subtract the lane maximum before exponentiating, so inputs of any finite
//! magnitude (±1e4 and beyond, in `f32` too) give finite results wherever the true value is
//! finite.

use super::kernels::{CumSum, LogSumExp, Softmax, SoftmaxGrad};
use super::{axis_flags, driver, reduce_tensor};
use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::shape::normalize_axis;
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    /// `log(sum(exp(x)))` over `axes` (all axes if `axes` is empty), computed stably as
    /// `m + log(sum(exp(x - m)))` with `m` the maximum, like `torch.logsumexp(x, dim, keepdim)`.
    ///
    /// A lane whose maximum is `+inf` gives `+inf`; a lane of only `-inf` (or no elements)
    /// gives `-inf`; a NaN gives NaN.
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
    /// let x = Tensor::from_vec(vec![1e4f32, 1e4, f32::NEG_INFINITY, f32::NEG_INFINITY], [2, 2])?;
    /// let l = x.logsumexp(&[1], false)?.to_vec();
    /// assert!((l[0] - (1e4 + 2f32.ln())).abs() < 1e-2);
    /// assert_eq!(l[1], f32::NEG_INFINITY);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn logsumexp(&self, axes: &[isize], keepdim: bool) -> Result<Self> {
        let flags = axis_flags("logsumexp", axes, self.ndim())?;
        Ok(reduce_tensor(self, &flags, keepdim, &LogSumExp))
    }

    /// Softmax along `axis`: `exp(x - m) / sum(exp(x - m))` with `m` the lane maximum, like
    /// `torch.softmax(x, dim)`. Stable for large inputs: `[1e4, -1e4, 0]` gives `[1, 0, 0]`.
    ///
    /// As in PyTorch, a lane of only `-inf`, or holding `+inf` or NaN, gives NaN. The result
    /// has the input's memory order (a permuted input gives a permuted result).
    ///
    /// # Shapes
    /// The input's shape.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, 0.0, 1e4, -1e4], [2, 2])?;
    /// assert_eq!(x.softmax(-1)?.to_vec(), vec![0.5, 0.5, 1.0, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn softmax(&self, axis: isize) -> Result<Self> {
        let a = normalize_axis("softmax", axis, self.ndim())?;
        let out = driver::map_axis(self.view(), None, a, &Softmax { log: false });
        Ok(Tensor::from_array(out))
    }

    /// Log-softmax along `axis`: `x - m - log(sum(exp(x - m)))` with `m` the lane maximum, like
    /// `torch.log_softmax(x, dim)`. Stable for large inputs: `[1e4, -1e4, 0]` gives
    /// `[0, -2e4, -1e4]`.
    ///
    /// As in PyTorch, a lane of only `-inf`, or holding `+inf` or NaN, gives NaN. The result
    /// has the input's memory order.
    ///
    /// # Shapes
    /// The input's shape.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1e4f32, -1e4, 0.0], [3])?;
    /// assert_eq!(x.log_softmax(0)?.to_vec(), vec![0.0, -2e4, -1e4]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn log_softmax(&self, axis: isize) -> Result<Self> {
        let a = normalize_axis("log_softmax", axis, self.ndim())?;
        let out = driver::map_axis(self.view(), None, a, &Softmax { log: true });
        Ok(Tensor::from_array(out))
    }

    /// Gradient of [`softmax`](Tensor::softmax) with respect to its input, from its output
    /// `self` (`y`) and the gradient `grad` (`g`) of its output: `y * (g - sum(g * y, axis))`
    /// (PyTorch's `_softmax_backward_data`).
    ///
    /// # Shapes
    /// `self` and `grad` have the same shape, which is the result's.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] if the shapes differ,
    /// [`TensorError::InvalidAxis`] if `axis` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let y = Tensor::from_vec(vec![0.5f64, 0.5], [2])?.softmax(0)?; // uniform output
    /// let g = Tensor::from_vec(vec![1.0, 0.0], [2])?;
    /// assert_eq!(y.softmax_backward(&g, 0)?.to_vec(), vec![0.25, -0.25]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn softmax_backward(&self, grad: &Self, axis: isize) -> Result<Self> {
        self.softmax_grad("softmax_backward", grad, axis, false)
    }

    /// Gradient of [`log_softmax`](Tensor::log_softmax) with respect to its input, from its
    /// output `self` (`y`) and the gradient `grad` (`g`) of its output:
    /// `g - exp(y) * sum(g, axis)` (PyTorch's `_log_softmax_backward_data`).
    ///
    /// # Shapes
    /// `self` and `grad` have the same shape, which is the result's.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] if the shapes differ,
    /// [`TensorError::InvalidAxis`] if `axis` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let y = Tensor::from_vec(vec![0.0f32, 0.0], [2])?.log_softmax(0)?; // log(1/2) each
    /// let g = Tensor::from_vec(vec![1.0, 0.0], [2])?;
    /// assert_eq!(y.log_softmax_backward(&g, 0)?.to_vec(), vec![0.5, -0.5]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn log_softmax_backward(&self, grad: &Self, axis: isize) -> Result<Self> {
        self.softmax_grad("log_softmax_backward", grad, axis, true)
    }

    fn softmax_grad(&self, op: &'static str, grad: &Self, axis: isize, log: bool) -> Result<Self> {
        if self.shape() != grad.shape() {
            return Err(TensorError::mismatch(
                op,
                self.shape(),
                grad.shape(),
                "the output and its gradient must have the same shape",
            ));
        }
        let a = normalize_axis(op, axis, self.ndim())?;
        let out = driver::map_axis(self.view(), Some(grad.view()), a, &SoftmaxGrad { log });
        Ok(Tensor::from_array(out))
    }

    /// Running sums along `axis`, like `torch.cumsum(x, dim)`: element `i` of each lane is the
    /// sum of elements `0..=i`. Sums are accumulated in `f64`, as PyTorch does on the CPU.
    ///
    /// # Shapes
    /// The input's shape.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [2, 2])?;
    /// assert_eq!(x.cumsum(1)?.to_vec(), vec![1.0, 3.0, 3.0, 7.0]);
    /// assert_eq!(x.cumsum(0)?.to_vec(), vec![1.0, 2.0, 4.0, 6.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn cumsum(&self, axis: isize) -> Result<Self> {
        let a = normalize_axis("cumsum", axis, self.ndim())?;
        Ok(Tensor::from_array(driver::map_axis(
            self.view(),
            None,
            a,
            &CumSum,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
    }

    #[test]
    fn softmax_known_values_both_layouts() {
        let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 1.0, 1.0, 1.0], [2, 3]).unwrap();
        let s = x.softmax(1).unwrap().to_vec();
        let e = [1f64.exp(), 2f64.exp(), 3f64.exp()];
        let z: f64 = e.iter().sum();
        let want = [
            e[0] / z,
            e[1] / z,
            e[2] / z,
            1.0 / 3.0,
            1.0 / 3.0,
            1.0 / 3.0,
        ];
        assert!(close(&s, &want, 1e-15));
        let s0 = x.softmax(0).unwrap().to_vec();
        let a = 1.0 / (1.0 + (-1f64).exp());
        let b = 1.0 / (1.0 + (-2f64).exp());
        let want0 = [0.5, a, b, 0.5, 1.0 - a, 1.0 - b];
        assert!(close(&s0, &want0, 1e-15));
        let ls = x.log_softmax(-1).unwrap().to_vec();
        let lw: Vec<f64> = want.iter().map(|v| v.ln()).collect();
        assert!(close(&ls, &lw, 1e-14));
        let ls0 = x.log_softmax(-2).unwrap().to_vec();
        let lw0: Vec<f64> = want0.iter().map(|v| v.ln()).collect();
        assert!(close(&ls0, &lw0, 1e-14));
    }

    #[test]
    fn softmax_of_huge_inputs_is_finite_f32_and_f64() {
        let x = Tensor::from_vec(vec![1e4f32, -1e4, 0.0], [3]).unwrap();
        assert_eq!(x.softmax(0).unwrap().to_vec(), vec![1.0, 0.0, 0.0]);
        assert_eq!(x.log_softmax(0).unwrap().to_vec(), vec![0.0, -2e4, -1e4]);
        let x = Tensor::from_vec(vec![1e4f64, -1e4, 0.0], [3]).unwrap();
        assert_eq!(x.softmax(0).unwrap().to_vec(), vec![1.0, 0.0, 0.0]);
        assert_eq!(x.log_softmax(0).unwrap().to_vec(), vec![0.0, -2e4, -1e4]);
        // The same down a column block.
        let c = Tensor::from_vec(vec![1e4f32, 1.0, -1e4, 1.0, 0.0, 1.0], [3, 2]).unwrap();
        let s = c.softmax(0).unwrap().to_vec();
        assert_eq!(s[0], 1.0);
        assert_eq!(s[2], 0.0);
        assert!((s[1] - 1.0 / 3.0).abs() < 1e-7);
        let l = c.log_softmax(0).unwrap().to_vec();
        assert_eq!([l[0], l[2], l[4]], [0.0, -2e4, -1e4]);
        assert!(l.iter().all(|v| v.is_finite()));
        let l = Tensor::from_vec(vec![1e4f32, 1e4 - 1.0], [2])
            .unwrap()
            .logsumexp(&[0], false)
            .unwrap()
            .item()
            .unwrap();
        assert!((l as f64 - (1e4 + (1.0 + (-1f64).exp()).ln())).abs() < 1e-3);
    }

    #[test]
    fn softmax_special_lanes_follow_pytorch() {
        let ninf = f64::NEG_INFINITY;
        let x = Tensor::from_vec(vec![ninf, ninf, 0.0, ninf], [2, 2]).unwrap();
        let s = x.softmax(1).unwrap().to_vec();
        assert!(s[0].is_nan() && s[1].is_nan());
        assert_eq!(&s[2..], &[1.0, 0.0]);
        let l = x.log_softmax(1).unwrap().to_vec();
        assert_eq!(&l[2..], &[0.0, ninf]);
    }

    #[test]
    fn logsumexp_known_values_and_infinities() {
        let x = Tensor::from_vec(vec![0.0f64, 0.0, 3f64.ln(), 0.0], [2, 2]).unwrap();
        let l = x.logsumexp(&[1], false).unwrap().to_vec();
        assert!(close(&l, &[2f64.ln(), 4f64.ln()], 1e-15));
        let l = x.logsumexp(&[0], true).unwrap();
        assert_eq!(l.shape(), &[1, 2]);
        assert!(close(&l.to_vec(), &[4f64.ln(), 2f64.ln()], 1e-15));
        let all = x.logsumexp(&[], false).unwrap().item().unwrap();
        assert!((all - 6f64.ln()).abs() < 1e-15);
        let (ninf, inf) = (f64::NEG_INFINITY, f64::INFINITY);
        let y = Tensor::from_vec(vec![ninf, ninf, ninf, inf, 1.0, ninf], [3, 2]).unwrap();
        assert_eq!(
            y.logsumexp(&[1], false).unwrap().to_vec(),
            vec![ninf, inf, 1.0]
        );
        assert_eq!(y.logsumexp(&[0], false).unwrap().to_vec(), vec![1.0, inf]);
        let z = Tensor::<f32>::full([4, 3], f32::NEG_INFINITY);
        assert_eq!(
            z.logsumexp(&[0], false).unwrap().to_vec(),
            vec![f32::NEG_INFINITY; 3]
        );
        assert_eq!(
            z.logsumexp(&[], false).unwrap().item().unwrap(),
            f32::NEG_INFINITY
        );
        let empty = Tensor::<f32>::zeros([0, 2]);
        assert_eq!(
            empty.logsumexp(&[0], false).unwrap().to_vec(),
            vec![f32::NEG_INFINITY; 2]
        );
        let n = Tensor::from_vec(vec![1.0, f64::NAN], [2]).unwrap();
        assert!(n.logsumexp(&[], false).unwrap().item().unwrap().is_nan());
    }

    #[test]
    fn backward_helpers_known_values() {
        let y = Tensor::from_vec(vec![0.2f64, 0.3, 0.5, 0.1, 0.1, 0.8], [2, 3]).unwrap();
        let g = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, -1.0, 0.0, 1.0], [2, 3]).unwrap();
        let d = y.softmax_backward(&g, 1).unwrap().to_vec();
        let s0 = 0.2 + 0.6 + 1.5;
        let s1 = -0.1 + 0.8;
        let want = [
            0.2 * (1.0 - s0),
            0.3 * (2.0 - s0),
            0.5 * (3.0 - s0),
            0.1 * (-1.0 - s1),
            0.1 * (0.0 - s1),
            0.8 * (1.0 - s1),
        ];
        assert!(close(&d, &want, 1e-15));
        // Same along axis 0 of the transposed tensors.
        let d0 = y
            .t()
            .unwrap()
            .softmax_backward(&g.t().unwrap().contiguous(), 0)
            .unwrap();
        assert!(close(&d0.t().unwrap().to_vec(), &want, 1e-15));
        let ly = y.map(|v| v.ln());
        let d = ly.log_softmax_backward(&g, -1).unwrap().to_vec();
        let want = [
            1.0 - 0.2 * 6.0,
            2.0 - 0.3 * 6.0,
            3.0 - 0.5 * 6.0,
            -1.0 - 0.1 * 0.0,
            0.0 - 0.1 * 0.0,
            1.0 - 0.8 * 0.0,
        ];
        assert!(close(&d, &want, 1e-15));
        let d0 = ly.log_softmax_backward(&g, 0).unwrap().to_vec();
        let want0 = [
            1.0 - 0.2 * 0.0,
            2.0 - 0.3 * 2.0,
            3.0 - 0.5 * 4.0,
            -1.0 - 0.1 * 0.0,
            0.0 - 0.1 * 2.0,
            1.0 - 0.8 * 4.0,
        ];
        assert!(close(&d0, &want0, 1e-15));
    }

    #[test]
    fn permuted_input_keeps_its_memory_order() {
        let x = Tensor::<f64>::from_shape_fn([3, 4], |i| (i[0] * 4 + i[1]) as f64 / 7.0);
        let p = x.t().unwrap();
        let s = p.softmax(0).unwrap();
        assert_eq!(s.strides(), p.strides());
        assert_eq!(s.to_vec(), p.contiguous().softmax(0).unwrap().to_vec());
    }

    #[test]
    fn cumsum_known_values() {
        let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]).unwrap();
        assert_eq!(
            x.cumsum(-1).unwrap().to_vec(),
            vec![1.0, 3.0, 6.0, 4.0, 9.0, 15.0]
        );
        assert_eq!(
            x.cumsum(0).unwrap().to_vec(),
            vec![1.0, 2.0, 3.0, 5.0, 7.0, 9.0]
        );
        assert_eq!(
            x.t().unwrap().cumsum(1).unwrap().to_vec(),
            vec![1.0, 5.0, 2.0, 7.0, 3.0, 9.0]
        );
        assert_eq!(
            Tensor::<f32>::zeros([0, 3]).cumsum(0).unwrap().shape(),
            &[0, 3]
        );
    }

    #[test]
    fn errors_name_the_op_and_shapes() {
        let x = Tensor::<f32>::zeros([2, 3]);
        let e = x.softmax(2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "softmax: axis 2 is out of range for a tensor of rank 2"
        );
        assert!(x
            .log_softmax(-3)
            .unwrap_err()
            .to_string()
            .starts_with("log_softmax: axis -3"));
        assert!(x
            .cumsum(9)
            .unwrap_err()
            .to_string()
            .starts_with("cumsum: axis 9"));
        let e = x.logsumexp(&[0, 0], false).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("logsumexp: axis 0 appears more than once"));
        let g = Tensor::<f32>::zeros([3, 2]);
        let e = x.softmax_backward(&g, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "softmax_backward: shapes [2, 3] and [3, 2] do not match: \
             the output and its gradient must have the same shape"
        );
        let e = x.log_softmax_backward(&g, 0).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("log_softmax_backward: shapes [2, 3] and [3, 2]"));
        let e = x.softmax_backward(&x, 2).unwrap_err();
        assert!(e.to_string().starts_with("softmax_backward: axis 2"));
    }
}
