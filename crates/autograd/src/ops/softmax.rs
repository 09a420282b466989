//! Differentiable `softmax` and `log_softmax` along one axis.
//!
//! Along each lane of the axis, with `Y` the output and `G = dL/dY`:
//!
//! - **`softmax`**: `Y_i = exp(X_i) / Σ_j exp(X_j)` has Jacobian
//!   `dY_i/dX_j = Y_i ([i = j] - Y_j)`, so `dL/dX_i = Y_i (G_i - Σ_j G_j Y_j)`.
//! - **`log_softmax`**: `Y_i = X_i - log Σ_j exp(X_j)` has Jacobian
//!   `dY_i/dX_j = [i = j] - exp(Y_j)`, so `dL/dX_i = G_i - exp(Y_i) Σ_j G_j`.
//!
//! Both read only the output, which the closures keep (a cheap shared reference), and run
//! as the tensor crate's fused kernels
//! [`Tensor::softmax_backward`](youshi_tensor::Tensor::softmax_backward) and
//! [`Tensor::log_softmax_backward`](youshi_tensor::Tensor::log_softmax_backward)
//! (PyTorch's `_softmax_backward_data` and `_log_softmax_backward_data`). Since the forward
//! subtracts the lane maximum, outputs and gradients stay finite for large logits (`±1e3`
//! and beyond).

use youshi_tensor::Element;

use crate::error::Result;
use crate::graph::Var;

impl<T: Element> Var<T> {
    /// [`Tensor::softmax`](youshi_tensor::Tensor::softmax), differentiable:
    /// `exp(x) / sum(exp(x))` along `axis`, computed stably, like `torch.softmax(x, dim)`.
    ///
    /// The gradient is `y (G - sum(G y, axis))` with `y` the output, through
    /// [`Tensor::softmax_backward`](youshi_tensor::Tensor::softmax_backward).
    ///
    /// # Shapes
    /// The input's shape.
    ///
    /// # Errors
    /// As [`Tensor::softmax`](youshi_tensor::Tensor::softmax) (an axis out of range), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `softmax`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![0.0, 0.0, 1e3, -1e3], [2, 2])?);
    /// let y = x.softmax(-1)?;
    /// assert_eq!(y.value().to_vec(), vec![0.5, 0.5, 1.0, 0.0]);
    /// y.backward_with(&Tensor::from_vec(vec![1.0, 0.0, 1.0, 0.0], [2, 2])?)?;
    /// // 0.5 (1 - 0.5) and 0.5 (0 - 0.5); the saturated row has no gradient.
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.25, -0.25, 0.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn softmax(&self, axis: isize) -> Result<Var<T>> {
        let value = self.value().softmax(axis)?;
        let y = value.clone();
        Var::record("softmax", &[self], value, move |g| {
            Ok(vec![Some(y.softmax_backward(g, axis)?)])
        })
    }

    /// [`Tensor::log_softmax`](youshi_tensor::Tensor::log_softmax), differentiable:
    /// `x - log(sum(exp(x)))` along `axis`, computed stably, like `torch.log_softmax(x, dim)`.
    ///
    /// The gradient is `G - exp(y) sum(G, axis)` with `y` the output, through
    /// [`Tensor::log_softmax_backward`](youshi_tensor::Tensor::log_softmax_backward).
    ///
    /// # Shapes
    /// The input's shape.
    ///
    /// # Errors
    /// As [`Tensor::log_softmax`](youshi_tensor::Tensor::log_softmax) (an axis out of range), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `log_softmax`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1e3, -1e3, 0.0], [3])?);
    /// let y = x.log_softmax(0)?;
    /// assert_eq!(y.value().to_vec(), vec![0.0, -2e3, -1e3]);
    /// // Negative log-likelihood of class 1: the gradient is softmax - onehot.
    /// y.backward_with(&Tensor::from_vec(vec![0.0, -1.0, 0.0], [3])?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, -1.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn log_softmax(&self, axis: isize) -> Result<Var<T>> {
        let value = self.value().log_softmax(axis)?;
        let y = value.clone();
        Var::record("log_softmax", &[self], value, move |g| {
            Ok(vec![Some(y.log_softmax_backward(g, axis)?)])
        })
    }
}

#[cfg(test)]
mod tests {
    use youshi_tensor::Tensor;
    use youshi_testkit::uniform_vec;

    use crate::{gradcheck, AutogradError, GradcheckOptions, Graph};

    fn t(shape: &[usize], seed: u64, scale: f64) -> Tensor<f64> {
        let n = shape.iter().product();
        let v = uniform_vec(n, seed).iter().map(|a| a * scale).collect();
        Tensor::from_vec(v, shape).unwrap()
    }

    #[test]
    fn gradcheck_every_axis() {
        let x = t(&[2, 3, 4], 1, 2.0);
        for axis in [-3, -2, -1, 0, 1, 2] {
            gradcheck(
                |_g, x| x[0].softmax(axis),
                std::slice::from_ref(&x),
                Default::default(),
            )
            .unwrap_or_else(|e| panic!("softmax({axis}): {e}"));
            gradcheck(
                |_g, x| x[0].log_softmax(axis),
                std::slice::from_ref(&x),
                Default::default(),
            )
            .unwrap_or_else(|e| panic!("log_softmax({axis}): {e}"));
        }
    }

    #[test]
    fn transposed_input_gradcheck() {
        let x = t(&[4, 3], 2, 1.0);
        let opts = GradcheckOptions::default();
        gradcheck(|_g, x| x[0].t()?.softmax(1), std::slice::from_ref(&x), opts).unwrap();
        gradcheck(|_g, x| x[0].t()?.log_softmax(0), &[x], opts).unwrap();
    }

    #[test]
    fn large_logits_give_finite_gradients() {
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[3, 5], 3, 1e3));
        let w = t(&[3, 5], 4, 1.0);
        x.softmax(1).unwrap().backward_with(&w).unwrap();
        let g2 = Graph::<f64>::new();
        let x2 = g2.leaf(t(&[3, 5], 3, 1e3));
        x2.log_softmax(0).unwrap().backward_with(&w).unwrap();
        for d in [x.grad().unwrap(), x2.grad().unwrap()] {
            assert!(d.to_vec().iter().all(|v| v.is_finite()), "{d:?}");
        }
    }

    #[test]
    fn bad_axis_is_a_tensor_error() {
        let g = Graph::<f64>::new();
        let x = g.leaf(Tensor::zeros([2, 3]));
        for (e, op) in [
            (x.softmax(2).unwrap_err(), "softmax"),
            (x.log_softmax(-3).unwrap_err(), "log_softmax"),
        ] {
            assert!(matches!(e, AutogradError::Tensor(_)));
            assert!(e.to_string().starts_with(&format!("{op}: axis")), "{e}");
        }
        assert_eq!(g.len(), 1);
    }
}
