//! Differentiable elementwise arithmetic: `add`, `sub`, `mul`, `div`, `pow`, `maximum`,
//! `minimum` (all with NumPy broadcasting), their scalar forms, `neg`, `where_cond` and
//! `clamp`.
//!
//! For `Y = f(A, B)` computed elementwise on the broadcast shape, with `G = dL/dY`:
//!
//! | op | `dL/dA` | `dL/dB` |
//! |----|---------|---------|
//! | `A + B` | `G` | `G` |
//! | `A - B` | `G` | `-G` |
//! | `A * B` | `G B` | `G A` |
//! | `A / B` | `G / B` | `-G A / B²` |
//! | `A ^ B` | `G B A^(B-1)`, 0 where `B = 0` | `G A^B ln A`, 0 where `A = 0, B >= 0` |
//! | `maximum(A, B)` | `G` where `A > B`, `G/2` where `A = B` | `G` where `B > A`, `G/2` where `A = B` |
//! | `minimum(A, B)` | `G` where `A < B`, `G/2` where `A = B` | `G` where `B < A`, `G/2` where `A = B` |
//!
//! Each gradient is computed on the broadcast shape and then summed back to its operand's
//! shape (`reduce_to_shape`), the reverse of broadcasting.
//!
//! Conventions at the edges follow PyTorch's `derivatives.yaml`:
//!
//! - **`pow`.** `d/dA` uses `B A^(B-1)` with the exponent-zero case forced to 0 (so `0^0`
//!   has no `0 * inf`). `d/dB = A^B ln A` is the derivative only where `A > 0`; at `A = 0`
//!   with `B >= 0` it is taken as 0 (the one-sided limit), and for `A < 0` the real power is
//!   not differentiable in `B` (it is only defined for integer `B`), so `ln A` makes it NaN,
//!   as in PyTorch.
//! - **`maximum` / `minimum`.** At ties each operand receives half the gradient (PyTorch's
//!   `where(a == b, grad / 2, grad).masked_fill_(a < b, 0)`), so the two halves add up to the
//!   gradient of the output. Where an operand is NaN no comparison holds and both receive
//!   the full gradient, again as in PyTorch.
//! - **`clamp(min, max)`.** The gradient passes where `min <= x <= max` (bounds included) and
//!   is zero strictly outside, as `torch.clamp`'s backward does; NaN inputs get zero.
//! - **`where_cond(C, X, Y)`.** `dL/dX = G` where `C != 0`, `dL/dY = G` where `C == 0` (each
//!   zero elsewhere); the condition is a plain tensor and gets no gradient.
//!
//! Scalar forms treat the scalar as a constant: `x + v`, `x - v` pass `G`; `v - x` and `-x`
//! give `-G`; `x * v` gives `G v`; `x / v` gives `G / v`; `x ^ v` gives `G v x^(v-1)` (0 for
//! `v = 0`).

use youshi_tensor::{Element, Tensor};

use crate::error::Result;
use crate::graph::Var;
use crate::ops::reduce_to_shape;

/// The gradient share of the first operand of `maximum`: 1 where it wins, 1/2 at ties, 0
/// where it loses (NaN compares false everywhere, so it keeps 1).
#[inline]
fn max_share<T: Element>(a: T, b: T) -> T {
    if a == b {
        T::of(0.5)
    } else if a < b {
        T::zero()
    } else {
        T::one()
    }
}

/// The gradient share of the first operand of `minimum`: 1 where it wins, 1/2 at ties, 0
/// where it loses.
#[inline]
fn min_share<T: Element>(a: T, b: T) -> T {
    if a == b {
        T::of(0.5)
    } else if a > b {
        T::zero()
    } else {
        T::one()
    }
}

/// `g * factor` summed back to `shape` (`factor` has the broadcast shape of `g`).
fn scaled_to<T: Element>(g: &Tensor<T>, factor: &Tensor<T>, shape: &[usize]) -> Result<Tensor<T>> {
    reduce_to_shape(g.mul(factor)?, shape)
}

/// Records `maximum` or `minimum` of `a` and `b`: `share(a, b)` is the first operand's
/// fraction of the gradient, `share(b, a)` the second's.
fn record_selection<T: Element>(
    lhs: &Var<T>,
    op: &'static str,
    rhs: &Var<T>,
    value: Tensor<T>,
    share: fn(T, T) -> T,
) -> Result<Var<T>> {
    let (sa, sb) = (lhs.shape().to_vec(), rhs.shape().to_vec());
    let (need_a, need_b) = (lhs.requires_grad(), rhs.requires_grad());
    let (a, b) = (lhs.value().clone(), rhs.value().clone());
    Var::record(op, &[lhs, rhs], value, move |g| {
        let ga = need_a
            .then(|| scaled_to(g, &a.zip_map(&b, op, share)?, &sa))
            .transpose()?;
        let gb = need_b
            .then(|| scaled_to(g, &b.zip_map(&a, op, share)?, &sb))
            .transpose()?;
        Ok(vec![ga, gb])
    })
}

impl<T: Element> Var<T> {
    /// Elementwise sum with broadcasting ([`Tensor::add`]), differentiable: both operands
    /// receive the output gradient, summed back over the dimensions they were broadcast along.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// As [`Tensor::add`] (shapes that do not broadcast), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor);
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch) for operands on
    /// different graphs.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2])?);
    /// let bias = g.leaf(Tensor::from_vec(vec![10.0, 20.0], [2])?);
    /// let y = x.add(&bias)?;
    /// assert_eq!(y.value().to_vec(), vec![11.0, 22.0, 13.0, 24.0]);
    /// y.backward_with(&Tensor::ones([2, 2]))?;
    /// assert_eq!(bias.grad().unwrap().to_vec(), vec![2.0, 2.0]); // summed over the rows
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn add(&self, rhs: &Var<T>) -> Result<Var<T>> {
        let value = self.value().add(rhs.value())?;
        let (sa, sb) = (self.shape().to_vec(), rhs.shape().to_vec());
        let (need_a, need_b) = (self.requires_grad(), rhs.requires_grad());
        Var::record("add", &[self, rhs], value, move |g| {
            let ga = need_a
                .then(|| reduce_to_shape(g.clone(), &sa))
                .transpose()?;
            let gb = need_b
                .then(|| reduce_to_shape(g.clone(), &sb))
                .transpose()?;
            Ok(vec![ga, gb])
        })
    }

    /// Elementwise difference `self - rhs` with broadcasting ([`Tensor::sub`]),
    /// differentiable: `self` receives the output gradient and `rhs` its negation.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// As [`Tensor::sub`], as [`AutogradError::Tensor`](crate::AutogradError::Tensor);
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![5.0, 7.0], [2, 1])?);
    /// let y = g.leaf(Tensor::from_vec(vec![1.0, 2.0], [2])?);
    /// let d = x.sub(&y)?;
    /// assert_eq!(d.value().to_vec(), vec![4.0, 3.0, 6.0, 5.0]);
    /// d.backward_with(&Tensor::ones([2, 2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 2.0]);
    /// assert_eq!(y.grad().unwrap().to_vec(), vec![-2.0, -2.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn sub(&self, rhs: &Var<T>) -> Result<Var<T>> {
        let value = self.value().sub(rhs.value())?;
        let (sa, sb) = (self.shape().to_vec(), rhs.shape().to_vec());
        let (need_a, need_b) = (self.requires_grad(), rhs.requires_grad());
        Var::record("sub", &[self, rhs], value, move |g| {
            let ga = need_a
                .then(|| reduce_to_shape(g.clone(), &sa))
                .transpose()?;
            // Reduce first: the negation then runs on the (smaller) operand shape.
            let gb = need_b
                .then(|| reduce_to_shape(g.clone(), &sb).map(|r| r.neg()))
                .transpose()?;
            Ok(vec![ga, gb])
        })
    }

    /// Elementwise product with broadcasting ([`Tensor::mul`]), differentiable:
    /// `dL/dA = G B`, `dL/dB = G A`, each summed back to its operand's shape.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// As [`Tensor::mul`], as [`AutogradError::Tensor`](crate::AutogradError::Tensor);
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0], [3])?);
    /// let w = g.leaf(Tensor::scalar(2.0));
    /// let y = x.mul(&w)?;
    /// assert_eq!(y.value().to_vec(), vec![2.0, 4.0, 6.0]);
    /// y.backward_with(&Tensor::ones([3]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 2.0, 2.0]);
    /// assert_eq!(w.grad().unwrap().to_vec(), vec![6.0]); // 1 + 2 + 3
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn mul(&self, rhs: &Var<T>) -> Result<Var<T>> {
        let value = self.value().mul(rhs.value())?;
        let (sa, sb) = (self.shape().to_vec(), rhs.shape().to_vec());
        // Each gradient needs only the other operand.
        let b_for_a = self.requires_grad().then(|| rhs.value().clone());
        let a_for_b = rhs.requires_grad().then(|| self.value().clone());
        Var::record("mul", &[self, rhs], value, move |g| {
            let ga = b_for_a.as_ref().map(|b| scaled_to(g, b, &sa)).transpose()?;
            let gb = a_for_b.as_ref().map(|a| scaled_to(g, a, &sb)).transpose()?;
            Ok(vec![ga, gb])
        })
    }

    /// Elementwise true division `self / rhs` with broadcasting ([`Tensor::div`]),
    /// differentiable: `dL/dA = G / B`, `dL/dB = -G A / B²`.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// As [`Tensor::div`], as [`AutogradError::Tensor`](crate::AutogradError::Tensor);
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let a = g.leaf(Tensor::from_vec(vec![1.0, 6.0], [2])?);
    /// let b = g.leaf(Tensor::from_vec(vec![2.0, 4.0], [2])?);
    /// let q = a.div(&b)?;
    /// assert_eq!(q.value().to_vec(), vec![0.5, 1.5]);
    /// q.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(a.grad().unwrap().to_vec(), vec![0.5, 0.25]);
    /// assert_eq!(b.grad().unwrap().to_vec(), vec![-0.25, -0.375]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn div(&self, rhs: &Var<T>) -> Result<Var<T>> {
        let value = self.value().div(rhs.value())?;
        let (sa, sb) = (self.shape().to_vec(), rhs.shape().to_vec());
        let (need_a, need_b) = (self.requires_grad(), rhs.requires_grad());
        let a = need_b.then(|| self.value().clone());
        let b = rhs.value().clone();
        Var::record("div", &[self, rhs], value, move |g| {
            let ga = need_a
                .then(|| reduce_to_shape(g.div(&b)?, &sa))
                .transpose()?;
            let gb = a
                .as_ref()
                .map(|a| {
                    let factor = a.zip_map(&b, "div_backward", |x, y| -x / (y * y))?;
                    scaled_to(g, &factor, &sb)
                })
                .transpose()?;
            Ok(vec![ga, gb])
        })
    }

    /// Elementwise power `self ^ rhs` with broadcasting ([`Tensor::pow`]), differentiable
    /// in both operands.
    ///
    /// `dL/dA = G B A^(B-1)` (0 where `B = 0`) and `dL/dB = G A^B ln A`, which is the
    /// derivative where `A > 0`; it is 0 where `A = 0` and `B >= 0` and NaN where `A < 0`, as
    /// in PyTorch (see the [module docs](self)).
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// As [`Tensor::pow`], as [`AutogradError::Tensor`](crate::AutogradError::Tensor);
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let a = g.leaf(Tensor::from_vec(vec![2.0, 1.0], [2])?);
    /// let b = g.leaf(Tensor::scalar(3.0));
    /// let y = a.pow(&b)?;
    /// assert_eq!(y.value().to_vec(), vec![8.0, 1.0]);
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(a.grad().unwrap().to_vec(), vec![12.0, 3.0]); // 3 a²
    /// assert_eq!(b.grad().unwrap().to_vec(), vec![8.0 * 2f64.ln()]); // Σ a³ ln a
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn pow(&self, rhs: &Var<T>) -> Result<Var<T>> {
        let value = self.value().pow(rhs.value())?;
        let (sa, sb) = (self.shape().to_vec(), rhs.shape().to_vec());
        let (need_a, need_b) = (self.requires_grad(), rhs.requires_grad());
        let (a, b) = (self.value().clone(), rhs.value().clone());
        // The output, for dL/dB = G A^B ln A.
        let y = need_b.then(|| value.clone());
        Var::record("pow", &[self, rhs], value, move |g| {
            let ga = need_a
                .then(|| {
                    let factor = a.zip_map(&b, "pow_backward", |x, e| {
                        if e == T::zero() {
                            T::zero()
                        } else {
                            e * x.powf(e - T::one())
                        }
                    })?;
                    scaled_to(g, &factor, &sa)
                })
                .transpose()?;
            let gb = y
                .as_ref()
                .map(|y| {
                    // ln A, with A = 0 mapped to a 0 factor where B >= 0 (and A^B = 0 or 1).
                    let log_a = a.zip_map(&b, "pow_backward", |x, e| {
                        if x == T::zero() && e >= T::zero() {
                            T::zero()
                        } else {
                            x.ln()
                        }
                    })?;
                    let factor = y.mul(&log_a)?;
                    scaled_to(g, &factor, &sb)
                })
                .transpose()?;
            Ok(vec![ga, gb])
        })
    }

    /// Elementwise maximum with broadcasting ([`Tensor::maximum`]), differentiable: the
    /// gradient goes to the larger operand, and is split in halves at ties (as PyTorch does).
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// As [`Tensor::maximum`], as [`AutogradError::Tensor`](crate::AutogradError::Tensor);
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let a = g.leaf(Tensor::from_vec(vec![1.0, 5.0, 2.0], [3])?);
    /// let b = g.leaf(Tensor::from_vec(vec![3.0, 4.0, 2.0], [3])?);
    /// let m = a.maximum(&b)?;
    /// assert_eq!(m.value().to_vec(), vec![3.0, 5.0, 2.0]);
    /// m.backward_with(&Tensor::ones([3]))?;
    /// assert_eq!(a.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.5]);
    /// assert_eq!(b.grad().unwrap().to_vec(), vec![1.0, 0.0, 0.5]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn maximum(&self, rhs: &Var<T>) -> Result<Var<T>> {
        let value = self.value().maximum(rhs.value())?;
        record_selection(self, "maximum", rhs, value, max_share)
    }

    /// Elementwise minimum with broadcasting ([`Tensor::minimum`]), differentiable: the
    /// gradient goes to the smaller operand, and is split in halves at ties (as PyTorch does).
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// As [`Tensor::minimum`], as [`AutogradError::Tensor`](crate::AutogradError::Tensor);
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let a = g.leaf(Tensor::from_vec(vec![1.0, 5.0, 2.0], [3])?);
    /// let b = g.leaf(Tensor::scalar(2.0));
    /// let m = a.minimum(&b)?;
    /// assert_eq!(m.value().to_vec(), vec![1.0, 2.0, 2.0]);
    /// m.backward_with(&Tensor::ones([3]))?;
    /// assert_eq!(a.grad().unwrap().to_vec(), vec![1.0, 0.0, 0.5]);
    /// assert_eq!(b.grad().unwrap().to_vec(), vec![1.5]); // 1 (wins) + 1/2 (tie)
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn minimum(&self, rhs: &Var<T>) -> Result<Var<T>> {
        let value = self.value().minimum(rhs.value())?;
        record_selection(self, "minimum", rhs, value, min_share)
    }

    /// Adds the constant `v` to every element ([`Tensor::add_scalar`]); the gradient passes
    /// unchanged.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0], [2])?);
    /// let y = x.add_scalar(0.5)?;
    /// assert_eq!(y.value().to_vec(), vec![1.5, 2.5]);
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn add_scalar(&self, v: T) -> Result<Var<T>> {
        let value = self.value().add_scalar(v);
        Var::record("add_scalar", &[self], value, |g| Ok(vec![Some(g.clone())]))
    }

    /// Subtracts the constant `v` from every element (`x - v`, [`Tensor::sub_scalar`]); the
    /// gradient passes unchanged.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0], [2])?);
    /// let y = x.sub_scalar(0.5)?;
    /// assert_eq!(y.value().to_vec(), vec![0.5, 1.5]);
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn sub_scalar(&self, v: T) -> Result<Var<T>> {
        let value = self.value().sub_scalar(v);
        Var::record("sub_scalar", &[self], value, |g| Ok(vec![Some(g.clone())]))
    }

    /// Subtracts every element from the constant `v` (`v - x`, [`Tensor::rsub_scalar`]); the
    /// gradient is negated.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let p = g.leaf(Tensor::from_vec(vec![0.25, 1.0], [2])?);
    /// let q = p.rsub_scalar(1.0)?;
    /// assert_eq!(q.value().to_vec(), vec![0.75, 0.0]);
    /// q.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(p.grad().unwrap().to_vec(), vec![-1.0, -1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn rsub_scalar(&self, v: T) -> Result<Var<T>> {
        let value = self.value().rsub_scalar(v);
        Var::record("rsub_scalar", &[self], value, |g| Ok(vec![Some(g.neg())]))
    }

    /// Multiplies every element by the constant `v` ([`Tensor::mul_scalar`]); the gradient is
    /// `G v`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, -2.0], [2])?);
    /// let y = x.mul_scalar(3.0)?;
    /// assert_eq!(y.value().to_vec(), vec![3.0, -6.0]);
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![3.0, 3.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn mul_scalar(&self, v: T) -> Result<Var<T>> {
        let value = self.value().mul_scalar(v);
        Var::record("mul_scalar", &[self], value, move |g| {
            Ok(vec![Some(g.mul_scalar(v))])
        })
    }

    /// Divides every element by the constant `v` ([`Tensor::div_scalar`]); the gradient is
    /// `G / v`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, -2.0], [2])?);
    /// let y = x.div_scalar(4.0)?;
    /// assert_eq!(y.value().to_vec(), vec![0.25, -0.5]);
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.25, 0.25]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn div_scalar(&self, v: T) -> Result<Var<T>> {
        let value = self.value().div_scalar(v);
        Var::record("div_scalar", &[self], value, move |g| {
            Ok(vec![Some(g.div_scalar(v))])
        })
    }

    /// Raises every element to the constant power `v` ([`Tensor::pow_scalar`]); the gradient
    /// is `G v x^(v-1)`, and 0 for `v = 0` (as in PyTorch, so `x = 0` gives no `0 * inf`).
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![4.0, 9.0], [2])?);
    /// let y = x.pow_scalar(0.5)?;
    /// assert_eq!(y.value().to_vec(), vec![2.0, 3.0]);
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.25, 1.0 / 6.0]); // 1 / (2 sqrt x)
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn pow_scalar(&self, v: T) -> Result<Var<T>> {
        let value = self.value().pow_scalar(v);
        let x = self.value().clone();
        Var::record("pow_scalar", &[self], value, move |g| {
            if v == T::zero() {
                return Ok(vec![Some(Tensor::zeros(g.shape()))]);
            }
            // x^(v-1) through pow_scalar's fast paths (v = 2, 3, 1.5, ... give x, x², ...).
            let d = x.pow_scalar(v - T::one());
            Ok(vec![Some(g.zip_map(
                &d,
                "pow_scalar_backward",
                move |g, d| g * v * d,
            )?)])
        })
    }

    /// Negates every element ([`Tensor::neg`]); the gradient is negated.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature uniform with the other ops).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, -2.0], [2])?);
    /// let y = x.neg()?;
    /// assert_eq!(y.value().to_vec(), vec![-1.0, 2.0]);
    /// y.backward_with(&Tensor::from_vec(vec![1.0, 3.0], [2])?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![-1.0, -3.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn neg(&self) -> Result<Var<T>> {
        let value = self.value().neg();
        Var::record("neg", &[self], value, |g| Ok(vec![Some(g.neg())]))
    }

    /// Picks `x` where `cond` is non-zero and `y` elsewhere, all three broadcast together
    /// ([`Tensor::where_cond`], like `torch.where`), differentiable in `x` and `y`.
    ///
    /// `dL/dX = G` where `cond != 0` and 0 elsewhere, `dL/dY` the other way round, each summed
    /// back to its operand's shape. `cond` is a plain tensor mask: it gets no gradient.
    ///
    /// # Shapes
    /// `cond [..c]`, `x [..a]`, `y [..b]` give the broadcast of `c`, `a` and `b`.
    ///
    /// # Errors
    /// As [`Tensor::where_cond`] (shapes that do not broadcast together), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor);
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::{Graph, Var};
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![-1.0, 2.0, -3.0], [3])?);
    /// let zero = g.leaf(Tensor::scalar(0.0));
    /// let cond = x.value().gt_scalar(0.0);
    /// let r = Var::where_cond(&cond, &x, &zero)?; // relu
    /// assert_eq!(r.value().to_vec(), vec![0.0, 2.0, 0.0]);
    /// r.backward_with(&Tensor::ones([3]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.0]);
    /// assert_eq!(zero.grad().unwrap().to_vec(), vec![2.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn where_cond(cond: &Tensor<T>, x: &Var<T>, y: &Var<T>) -> Result<Var<T>> {
        let value = Tensor::where_cond(cond, x.value(), y.value())?;
        let (sx, sy) = (x.shape().to_vec(), y.shape().to_vec());
        let (need_x, need_y) = (x.requires_grad(), y.requires_grad());
        let cond = cond.clone();
        Var::record("where_cond", &[x, y], value, move |g| {
            let zero = Tensor::scalar(T::zero());
            let gx = need_x
                .then(|| reduce_to_shape(Tensor::where_cond(&cond, g, &zero)?, &sx))
                .transpose()?;
            let gy = need_y
                .then(|| reduce_to_shape(Tensor::where_cond(&cond, &zero, g)?, &sy))
                .transpose()?;
            Ok(vec![gx, gy])
        })
    }

    /// Limits every element to `[min, max]` ([`Tensor::clamp`]; either bound may be absent),
    /// differentiable: the gradient passes where `min <= x <= max` (bounds included) and is
    /// zero strictly outside, as in PyTorch.
    ///
    /// # Errors
    /// As [`Tensor::clamp`] (both bounds absent, a NaN bound or `min > max`), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![-2.0, 0.5, 1.0, 3.0], [4])?);
    /// let y = x.clamp(Some(0.0), Some(1.0))?;
    /// assert_eq!(y.value().to_vec(), vec![0.0, 0.5, 1.0, 1.0]);
    /// y.backward_with(&Tensor::ones([4]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 1.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn clamp(&self, min: Option<T>, max: Option<T>) -> Result<Var<T>> {
        let value = self.value().clamp(min, max)?;
        let x = self.value().clone();
        Var::record("clamp", &[self], value, move |g| {
            let inside =
                move |v: T| min.map_or(true, |lo| v >= lo) && max.map_or(true, |hi| v <= hi);
            let gx = x.zip_map(
                g,
                "clamp_backward",
                move |v, g| {
                    if inside(v) {
                        g
                    } else {
                        T::zero()
                    }
                },
            )?;
            Ok(vec![Some(gx)])
        })
    }
}

#[cfg(test)]
mod tests {
    use youshi_tensor::Tensor;

    use crate::{AutogradError, Graph};

    fn t(v: &[f64], shape: &[usize]) -> Tensor<f64> {
        Tensor::from_vec(v.to_vec(), shape).unwrap()
    }

    #[test]
    fn broadcast_gradients_are_summed_back() {
        // [2, 1, 3] (*) [2, 3] -> [2, 2, 3].
        let g = Graph::<f64>::new();
        let a = g.leaf(t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 1, 3]));
        let b = g.leaf(t(&[1.0, 0.5, 2.0, -1.0, 3.0, 0.0], &[2, 3]));
        let y = a.mul(&b).unwrap();
        assert_eq!(y.shape(), &[2, 2, 3]);
        y.backward_with(&Tensor::ones([2, 2, 3])).unwrap();
        // dA[i, 0, k] = Σ_j B[j, k]; dB[j, k] = Σ_i A[i, 0, k].
        assert_eq!(
            a.grad().unwrap().to_vec(),
            vec![0.0, 3.5, 2.0, 0.0, 3.5, 2.0]
        );
        assert_eq!(a.grad().unwrap().shape(), &[2, 1, 3]);
        assert_eq!(
            b.grad().unwrap().to_vec(),
            vec![5.0, 7.0, 9.0, 5.0, 7.0, 9.0]
        );
    }

    #[test]
    fn only_inputs_that_need_a_gradient_get_one() {
        let g = Graph::<f64>::new();
        let a = g.leaf(t(&[1.0, 2.0], &[2]));
        let b = g.constant(t(&[3.0, 4.0], &[2]));
        for y in [
            a.add(&b).unwrap(),
            b.sub(&a).unwrap(),
            a.mul(&b).unwrap(),
            b.div(&a).unwrap(),
            b.pow(&a).unwrap(),
            a.maximum(&b).unwrap(),
        ] {
            assert!(y.requires_grad());
        }
        let y = b.div(&a).unwrap();
        y.backward_with(&Tensor::ones([2])).unwrap();
        // d(b / a)/da = -b / a².
        assert_eq!(a.grad().unwrap().to_vec(), vec![-3.0, -1.0]);
    }

    #[test]
    fn pow_edge_conventions_match_pytorch() {
        // Base 0: d/dA with B = 0 is 0 (not 0 * inf), d/dB with B >= 0 is 0; a negative
        // base gives a NaN exponent gradient.
        let g = Graph::<f64>::new();
        let a = g.leaf(t(&[0.0, 0.0, -2.0, 2.0], &[4]));
        let b = g.leaf(t(&[0.0, 2.0, 2.0, 0.0], &[4]));
        let y = a.pow(&b).unwrap();
        assert_eq!(y.value().to_vec(), vec![1.0, 0.0, 4.0, 1.0]);
        y.backward_with(&Tensor::ones([4])).unwrap();
        assert_eq!(a.grad().unwrap().to_vec(), vec![0.0, 0.0, -4.0, 0.0]);
        let gb = b.grad().unwrap().to_vec();
        assert_eq!(&gb[..2], &[0.0, 0.0]);
        assert!(gb[2].is_nan());
        assert_eq!(gb[3], 2f64.ln());
        // pow_scalar with exponent 0 has a zero gradient even at 0.
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[0.0, 3.0], &[2]));
        let y = x.pow_scalar(0.0).unwrap();
        y.backward_with(&Tensor::ones([2])).unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0]);
    }

    #[test]
    fn maximum_minimum_split_ties_and_pass_nan() {
        let g = Graph::<f64>::new();
        let a = g.leaf(t(&[1.0, 2.0, f64::NAN], &[3]));
        let b = g.leaf(t(&[1.0, 3.0, 0.0], &[3]));
        let y = a.maximum(&b).unwrap();
        y.backward_with(&t(&[4.0, 4.0, 4.0], &[3])).unwrap();
        assert_eq!(a.grad().unwrap().to_vec(), vec![2.0, 0.0, 4.0]);
        assert_eq!(b.grad().unwrap().to_vec(), vec![2.0, 4.0, 4.0]);
        let g = Graph::<f64>::new();
        let a = g.leaf(t(&[1.0, 2.0], &[2]));
        let y = a.minimum(&a).unwrap(); // a tie everywhere: halves that add up to G
        y.backward_with(&t(&[1.0, 3.0], &[2])).unwrap();
        assert_eq!(a.grad().unwrap().to_vec(), vec![1.0, 3.0]);
    }

    #[test]
    fn clamp_one_sided_bounds_and_nan() {
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[-1.0, 0.0, 2.0, f64::NAN], &[4]));
        let lo = x.clamp(Some(0.0), None).unwrap();
        let hi = x.clamp(None, Some(0.0)).unwrap();
        let y = lo.add(&hi.mul_scalar(10.0).unwrap()).unwrap();
        y.backward_with(&Tensor::ones([4])).unwrap();
        // min only: passes at x >= 0; max only: passes at x <= 0 (times 10); NaN gets 0.
        assert_eq!(x.grad().unwrap().to_vec(), vec![10.0, 11.0, 1.0, 0.0]);
        let e = x.clamp(None, None).unwrap_err();
        assert!(matches!(e, AutogradError::Tensor(_)));
        assert!(e.to_string().starts_with("clamp: "));
    }

    #[test]
    fn where_cond_broadcasts_condition_and_operands() {
        let g = Graph::<f64>::new();
        let cond = t(&[1.0, 0.0, 1.0], &[3, 1]);
        let x = g.leaf(t(&[10.0, 20.0], &[2]));
        let y = g.leaf(t(&[-1.0], &[1, 1]));
        let w = crate::Var::where_cond(&cond, &x, &y).unwrap();
        assert_eq!(w.value().to_vec(), vec![10.0, 20.0, -1.0, -1.0, 10.0, 20.0]);
        w.backward_with(&Tensor::ones([3, 2])).unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 2.0]);
        assert_eq!(y.grad().unwrap().to_vec(), vec![2.0]);
        assert_eq!(y.grad().unwrap().shape(), &[1, 1]);
    }

    #[test]
    fn scalar_forms_known_gradients() {
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[1.0, 2.0], &[2]));
        let ys = [
            (x.add_scalar(3.0).unwrap(), [1.0, 1.0]),
            (x.sub_scalar(3.0).unwrap(), [1.0, 1.0]),
            (x.rsub_scalar(3.0).unwrap(), [-1.0, -1.0]),
            (x.mul_scalar(3.0).unwrap(), [3.0, 3.0]),
            (x.div_scalar(4.0).unwrap(), [0.25, 0.25]),
            (x.pow_scalar(3.0).unwrap(), [3.0, 12.0]),
            (x.pow_scalar(-1.0).unwrap(), [-1.0, -0.25]),
            (x.neg().unwrap(), [-1.0, -1.0]),
        ];
        for (y, want) in ys {
            x.zero_grad();
            y.backward_retain(Some(&Tensor::ones([2]))).unwrap();
            assert_eq!(x.grad().unwrap().to_vec(), want.to_vec());
        }
    }
}
