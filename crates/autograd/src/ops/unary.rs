//! Differentiable unary maths and activations.
//!
//! For `y = f(x)` elementwise with `g = dL/dy`, `dL/dx = g f'(x)`:
//!
//! | op | `f'(x)` | computed from |
//! |----|---------|---------------|
//! | `exp` | `e^x = y` | the output |
//! | `log` | `1 / x` | the input |
//! | `log1p` | `1 / (1 + x)` | the input |
//! | `expm1` | `e^x = y + 1` | the output |
//! | `sqrt` | `1 / (2 sqrt x) = 1 / (2 y)` | the output |
//! | `rsqrt` | `-x^(-3/2) / 2 = -y³ / 2` | the output |
//! | `abs` | `sign(x)` (0 at 0, as PyTorch) | the input |
//! | `square` | `2 x` | the input |
//! | `recip` | `-1 / x² = -y²` | the output |
//! | `sin` | `cos x` | the input |
//! | `cos` | `-sin x` | the input |
//! | `tanh` | `1 - y²` | the output ([`Tensor::tanh_backward`]) |
//! | `sigmoid` | `y (1 - y)` | the output ([`Tensor::sigmoid_backward`]) |
//! | `relu` | 1 for `x > 0`, else 0 | [`Tensor::relu_backward`] |
//! | `leaky_relu(s)` | 1 for `x > 0`, else `s` | [`Tensor::leaky_relu_backward`] |
//! | `elu(α)` | 1 for `x > 0`, else `α e^x` | [`Tensor::elu_backward`] |
//! | `gelu` | `Φ(x) + x φ(x)` | [`Tensor::gelu_backward`] |
//! | `gelu_tanh` | derivative of the tanh approximation | [`Tensor::gelu_tanh_backward`] |
//! | `softplus(β, t)` | `sigmoid(β x)`, 1 where `β x > t` | [`Tensor::softplus_backward`] |
//! | `silu` | `s (1 + x (1 - s))`, `s = sigmoid(x)` | [`Tensor::silu_backward`] |
//!
//! Where the output gives the derivative more cheaply (as PyTorch's formulas do), the closure
//! keeps the output instead of the input. The activations reuse the tensor crate's
//! `*_backward` kernels, so their conventions at kinks (`relu'(0) = 0`, `leaky_relu'(0) = s`,
//! `elu'(0) = α`) are PyTorch's.

use youshi_tensor::{Element, Tensor};

use crate::error::Result;
use crate::graph::Var;

/// Records `value = f(x)` whose gradient is `back(saved, g)`, with `saved` the input or the
/// output (whichever the derivative reads).
fn record_unary<T: Element>(
    x: &Var<T>,
    op: &'static str,
    value: Tensor<T>,
    saved: Tensor<T>,
    back: impl Fn(&Tensor<T>, &Tensor<T>) -> youshi_tensor::Result<Tensor<T>> + Send + Sync + 'static,
) -> Result<Var<T>> {
    Var::record(op, &[x], value, move |g| Ok(vec![Some(back(&saved, g)?)]))
}

impl<T: Element> Var<T> {
    /// `e^x` ([`Tensor::exp`]), differentiable: the gradient is `g e^x = g y`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![0.0, 1.0], [2])?);
    /// let y = x.exp()?;
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, std::f64::consts::E]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn exp(&self) -> Result<Var<T>> {
        let y = self.value().exp();
        record_unary(self, "exp", y.clone(), y, |y, g| g.mul(y))
    }

    /// Natural logarithm ([`Tensor::log`]), differentiable: the gradient is `g / x`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 4.0], [2])?);
    /// let y = x.log()?;
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 0.25]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn log(&self) -> Result<Var<T>> {
        record_unary(
            self,
            "log",
            self.value().log(),
            self.value().clone(),
            |x, g| g.div(x),
        )
    }

    /// `log(1 + x)` ([`Tensor::log1p`]), differentiable: the gradient is `g / (1 + x)`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![0.0, 3.0], [2])?);
    /// let y = x.log1p()?;
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 0.25]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn log1p(&self) -> Result<Var<T>> {
        record_unary(
            self,
            "log1p",
            self.value().log1p(),
            self.value().clone(),
            |x, g| g.zip_map(x, "log1p_backward", |g, x| g / (x + T::one())),
        )
    }

    /// `e^x - 1` ([`Tensor::expm1`]), differentiable: the gradient is `g e^x = g (y + 1)`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![0.0], [1])?);
    /// let y = x.expm1()?;
    /// y.backward_with(&Tensor::ones([1]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn expm1(&self) -> Result<Var<T>> {
        let y = self.value().expm1();
        record_unary(self, "expm1", y.clone(), y, |y, g| {
            g.zip_map(y, "expm1_backward", |g, y| g * (y + T::one()))
        })
    }

    /// Square root ([`Tensor::sqrt`]), differentiable: the gradient is `g / (2 sqrt x)`
    /// (infinite at 0, as in PyTorch).
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![4.0, 0.25], [2])?);
    /// let y = x.sqrt()?;
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.25, 1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn sqrt(&self) -> Result<Var<T>> {
        let y = self.value().sqrt();
        record_unary(self, "sqrt", y.clone(), y, |y, g| {
            let half = T::of(0.5);
            g.zip_map(y, "sqrt_backward", move |g, y| half * g / y)
        })
    }

    /// `1 / sqrt(x)` ([`Tensor::rsqrt`]), differentiable: the gradient is
    /// `-g x^(-3/2) / 2 = -g y³ / 2`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![4.0, 0.25], [2])?);
    /// let y = x.rsqrt()?;
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![-1.0 / 16.0, -4.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn rsqrt(&self) -> Result<Var<T>> {
        let y = self.value().rsqrt();
        record_unary(self, "rsqrt", y.clone(), y, |y, g| {
            let half = T::of(0.5);
            g.zip_map(y, "rsqrt_backward", move |g, y| -half * g * y * y * y)
        })
    }

    /// Absolute value ([`Tensor::abs`]), differentiable: the gradient is `g sign(x)`, 0 at
    /// `x = 0` (as in PyTorch).
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![-2.0, 0.0, 3.0], [3])?);
    /// let y = x.abs()?;
    /// y.backward_with(&Tensor::ones([3]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![-1.0, 0.0, 1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn abs(&self) -> Result<Var<T>> {
        record_unary(
            self,
            "abs",
            self.value().abs(),
            self.value().clone(),
            |x, g| g.mul(&x.sign()),
        )
    }

    /// Square ([`Tensor::square`]), differentiable: the gradient is `2 g x`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![3.0, -0.5], [2])?);
    /// let y = x.square()?;
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![6.0, -1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn square(&self) -> Result<Var<T>> {
        record_unary(
            self,
            "square",
            self.value().square(),
            self.value().clone(),
            |x, g| {
                let two = T::of(2.0);
                g.zip_map(x, "square_backward", move |g, x| two * g * x)
            },
        )
    }

    /// Reciprocal `1 / x` ([`Tensor::recip`]), differentiable: the gradient is
    /// `-g / x² = -g y²`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![2.0, -0.5], [2])?);
    /// let y = x.recip()?;
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![-0.25, -4.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn recip(&self) -> Result<Var<T>> {
        let y = self.value().recip();
        record_unary(self, "recip", y.clone(), y, |y, g| {
            g.zip_map(y, "recip_backward", |g, y| -g * y * y)
        })
    }

    /// Sine ([`Tensor::sin`]), differentiable: the gradient is `g cos x`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![0.0, std::f64::consts::PI], [2])?);
    /// let y = x.sin()?;
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, -1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn sin(&self) -> Result<Var<T>> {
        record_unary(
            self,
            "sin",
            self.value().sin(),
            self.value().clone(),
            |x, g| g.mul(&x.cos()),
        )
    }

    /// Cosine ([`Tensor::cos`]), differentiable: the gradient is `-g sin x`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![0.0, std::f64::consts::FRAC_PI_2], [2])?);
    /// let y = x.cos()?;
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, -1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn cos(&self) -> Result<Var<T>> {
        record_unary(
            self,
            "cos",
            self.value().cos(),
            self.value().clone(),
            |x, g| g.zip_map(&x.sin(), "cos_backward", |g, s| -g * s),
        )
    }

    /// Hyperbolic tangent ([`Tensor::tanh`]), differentiable: the gradient is `g (1 - y²)`
    /// ([`Tensor::tanh_backward`] on the output).
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![0.0], [1])?);
    /// let y = x.tanh()?;
    /// y.backward_with(&Tensor::ones([1]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn tanh(&self) -> Result<Var<T>> {
        let y = self.value().tanh();
        record_unary(self, "tanh", y.clone(), y, |y, g| y.tanh_backward(g))
    }

    /// Logistic sigmoid ([`Tensor::sigmoid`]), differentiable: the gradient is
    /// `g y (1 - y)` ([`Tensor::sigmoid_backward`] on the output).
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![0.0], [1])?);
    /// let y = x.sigmoid()?;
    /// assert_eq!(y.value().to_vec(), vec![0.5]);
    /// y.backward_with(&Tensor::ones([1]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.25]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn sigmoid(&self) -> Result<Var<T>> {
        let y = self.value().sigmoid();
        record_unary(self, "sigmoid", y.clone(), y, |y, g| y.sigmoid_backward(g))
    }

    /// Rectified linear unit `max(x, 0)` ([`Tensor::relu`]), differentiable: the gradient
    /// passes where `x > 0` ([`Tensor::relu_backward`]; `relu'(0) = 0`, as in PyTorch).
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![-1.0, 0.0, 2.0], [3])?);
    /// let y = x.relu()?;
    /// assert_eq!(y.value().to_vec(), vec![0.0, 0.0, 2.0]);
    /// y.backward_with(&Tensor::ones([3]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0, 1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn relu(&self) -> Result<Var<T>> {
        record_unary(
            self,
            "relu",
            self.value().relu(),
            self.value().clone(),
            |x, g| x.relu_backward(g),
        )
    }

    /// Leaky ReLU ([`Tensor::leaky_relu`]): `x` for `x > 0`, `slope * x` otherwise,
    /// differentiable: the gradient is `g` where `x > 0` and `slope * g` elsewhere
    /// ([`Tensor::leaky_relu_backward`]).
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![-2.0, 3.0], [2])?);
    /// let y = x.leaky_relu(0.5)?;
    /// assert_eq!(y.value().to_vec(), vec![-1.0, 3.0]);
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.5, 1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn leaky_relu(&self, slope: T) -> Result<Var<T>> {
        let value = self.value().leaky_relu(slope);
        record_unary(
            self,
            "leaky_relu",
            value,
            self.value().clone(),
            move |x, g| x.leaky_relu_backward(g, slope),
        )
    }

    /// Exponential linear unit ([`Tensor::elu`]): `x` for `x > 0`, `alpha (e^x - 1)`
    /// otherwise, differentiable: the gradient is `g` where `x > 0` and `g alpha e^x`
    /// elsewhere ([`Tensor::elu_backward`]).
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![2.0, 0.0], [2])?);
    /// let y = x.elu(1.5)?;
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 1.5]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn elu(&self, alpha: T) -> Result<Var<T>> {
        let value = self.value().elu(alpha);
        record_unary(self, "elu", value, self.value().clone(), move |x, g| {
            x.elu_backward(g, alpha)
        })
    }

    /// Exact GELU `x Φ(x)` ([`Tensor::gelu`]), differentiable: the gradient is
    /// `g (Φ(x) + x φ(x))` ([`Tensor::gelu_backward`]).
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![0.0], [1])?);
    /// let y = x.gelu()?;
    /// y.backward_with(&Tensor::ones([1]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.5]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn gelu(&self) -> Result<Var<T>> {
        record_unary(
            self,
            "gelu",
            self.value().gelu(),
            self.value().clone(),
            |x, g| x.gelu_backward(g),
        )
    }

    /// GELU with the tanh approximation ([`Tensor::gelu_tanh`]), differentiable
    /// ([`Tensor::gelu_tanh_backward`], PyTorch's formula for `approximate='tanh'`).
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![0.0], [1])?);
    /// let y = x.gelu_tanh()?;
    /// y.backward_with(&Tensor::ones([1]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.5]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn gelu_tanh(&self) -> Result<Var<T>> {
        let value = self.value().gelu_tanh();
        record_unary(self, "gelu_tanh", value, self.value().clone(), |x, g| {
            x.gelu_tanh_backward(g)
        })
    }

    /// Softplus `log(1 + e^(beta x)) / beta`, the identity where `beta x > threshold`
    /// ([`Tensor::softplus`]), differentiable: the gradient is `g sigmoid(beta x)`, and `g`
    /// where `beta x > threshold` ([`Tensor::softplus_backward`]).
    ///
    /// # Errors
    /// As [`Tensor::softplus`]: `beta` zero or not finite, or `threshold` NaN, as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![0.0, 25.0], [2])?);
    /// let y = x.softplus(1.0, 20.0)?;
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.5, 1.0]);
    /// assert!(x.softplus(0.0, 20.0).is_err());
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn softplus(&self, beta: T, threshold: T) -> Result<Var<T>> {
        let value = self.value().softplus(beta, threshold)?;
        record_unary(
            self,
            "softplus",
            value,
            self.value().clone(),
            move |x, g| x.softplus_backward(g, beta, threshold),
        )
    }

    /// SiLU (swish) `x sigmoid(x)` ([`Tensor::silu`]), differentiable: the gradient is
    /// `g s (1 + x (1 - s))` with `s = sigmoid(x)` ([`Tensor::silu_backward`]).
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![0.0], [1])?);
    /// let y = x.silu()?;
    /// y.backward_with(&Tensor::ones([1]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.5]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn silu(&self) -> Result<Var<T>> {
        record_unary(
            self,
            "silu",
            self.value().silu(),
            self.value().clone(),
            |x, g| x.silu_backward(g),
        )
    }
}

#[cfg(test)]
mod tests {
    use youshi_tensor::Tensor;
    use youshi_testkit::assert_close;

    use crate::{Graph, Result, Var};

    fn t(v: &[f64]) -> Tensor<f64> {
        Tensor::from_vec(v.to_vec(), [v.len()]).unwrap()
    }

    /// The gradient of `Σ f(x)` at `x`.
    fn grad(x: &[f64], f: impl Fn(&Var<f64>) -> Result<Var<f64>>) -> Vec<f64> {
        let g = Graph::new();
        let v = g.leaf(t(x));
        f(&v)
            .unwrap()
            .backward_with(&Tensor::ones([x.len()]))
            .unwrap();
        v.grad().unwrap().to_vec()
    }

    #[test]
    fn known_derivatives() {
        let x = [0.5, 2.0];
        let cases: Vec<(&str, Vec<f64>, Vec<f64>)> = vec![
            ("exp", grad(&x, |v| v.exp()), x.map(f64::exp).to_vec()),
            ("log", grad(&x, |v| v.log()), x.map(|a| 1.0 / a).to_vec()),
            (
                "log1p",
                grad(&x, |v| v.log1p()),
                x.map(|a| 1.0 / (1.0 + a)).to_vec(),
            ),
            ("expm1", grad(&x, |v| v.expm1()), x.map(f64::exp).to_vec()),
            (
                "sqrt",
                grad(&x, |v| v.sqrt()),
                x.map(|a| 0.5 / a.sqrt()).to_vec(),
            ),
            (
                "rsqrt",
                grad(&x, |v| v.rsqrt()),
                x.map(|a| -0.5 * a.powf(-1.5)).to_vec(),
            ),
            (
                "square",
                grad(&x, |v| v.square()),
                x.map(|a| 2.0 * a).to_vec(),
            ),
            (
                "recip",
                grad(&x, |v| v.recip()),
                x.map(|a| -1.0 / (a * a)).to_vec(),
            ),
            ("sin", grad(&x, |v| v.sin()), x.map(f64::cos).to_vec()),
            ("cos", grad(&x, |v| v.cos()), x.map(|a| -a.sin()).to_vec()),
            (
                "tanh",
                grad(&x, |v| v.tanh()),
                x.map(|a| 1.0 - a.tanh().powi(2)).to_vec(),
            ),
            (
                "sigmoid",
                grad(&x, |v| v.sigmoid()),
                x.map(|a| {
                    let s = 1.0 / (1.0 + (-a).exp());
                    s * (1.0 - s)
                })
                .to_vec(),
            ),
        ];
        for (name, got, want) in cases {
            assert_close(&got, &want, 1e-14, 1e-15).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn kink_conventions_follow_pytorch() {
        let x = [-1.0, 0.0, 1.0];
        assert_eq!(grad(&x, |v| v.abs()), vec![-1.0, 0.0, 1.0]);
        assert_eq!(grad(&x, |v| v.relu()), vec![0.0, 0.0, 1.0]);
        assert_eq!(grad(&x, |v| v.leaky_relu(0.1)), vec![0.1, 0.1, 1.0]);
        let e = grad(&x, |v| v.elu(2.0));
        assert_eq!(e, vec![2.0 * (-1f64).exp(), 2.0, 1.0]);
    }

    #[test]
    fn softplus_arguments_are_checked_before_recording() {
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[1.0]));
        let e = x.softplus(1.0, f64::NAN).unwrap_err();
        assert!(matches!(e, crate::AutogradError::Tensor(_)));
        assert!(e.to_string().starts_with("softplus: "), "{e}");
        assert_eq!(g.len(), 1);
    }
}
