//! Differentiable reductions: `sum`, `mean`, `sum_all`, `mean_all`, `var`, `std`,
//! `max_axis`/`min_axis`, `amax`/`amin`, `max_all`/`min_all`, `logsumexp` and `norm`.
//!
//! A reduction over a set of axes maps each *lane* (the elements that share the indices of
//! the kept axes) to one output element. Write `X` for the input, `Y` for the output, `G` for
//! the output gradient `dL/dY`, `ℓ(q)` for the lane of input position `q`, and `N` for the
//! number of elements in a lane. Every gradient below is computed lane-wise with tensor
//! kernels: `G` (and `Y` where needed) is reshaped to the input's rank with the reduced axes
//! as size 1 (PyTorch's `unsqueeze_multiple`, whatever `keepdim` was) and broadcast against
//! `X`.
//!
//! - **`sum`**: `Y = Σ_{q ∈ ℓ} X[q]`, so `dL/dX[q] = G[ℓ(q)]`: `G` broadcast to the input.
//! - **`mean`**: `Y = (1/N) Σ X[q]`, so `dL/dX[q] = G[ℓ(q)] / N`.
//! - **`sum_all` / `mean_all`**: the same over every element, with a rank-0 output (the usual
//!   way to make a scalar loss).
//! - **`var`** with Bessel's `correction` `c`: `V = Σ (X[q] - μ)² / (N - c)` with `μ` the lane
//!   mean. Since `Σ (X[q] - μ) = 0`, the term through `μ` vanishes and
//!   `dL/dX[q] = G 2 (X[q] - μ) / (N - c)`.
//! - **`std`**: `S = √V`, so `dS = dV / (2 S)` and `dL/dX[q] = G (X[q] - μ) / ((N - c) S)`.
//!   Where `S = 0` (a constant lane) the gradient is 0, PyTorch's subgradient. When
//!   `N <= c` the value is NaN or `+inf` and so is the gradient (there is no derivative).
//! - **`max_axis` / `min_axis`** along one axis: `Y = X[i]` with `i` the index of the first
//!   extreme of the lane (the index returned with the value), so `dL/dX[q] = G` at `q = i` and
//!   0 elsewhere: the tensor crate's [`Tensor::scatter_add`] of `G` into zeros at the indices
//!   (PyTorch's `max(dim)`: ties send everything to the reported index). A lane holding NaN
//!   reports its first NaN, which then receives the gradient.
//! - **`amax` / `amin`** over several axes: where `k` elements of a lane tie for the extreme,
//!   each receives `G / k` (PyTorch's `amax`/`amin`, which split the gradient evenly among
//!   ties): `dL/dX[q] = G [X[q] = Y] / Σ_{ℓ} [X = Y]`. A lane whose extreme is NaN has no
//!   element equal to it, so its gradient is NaN, as in PyTorch.
//! - **`max_all` / `min_all`**: the same over every element, with a rank-0 output (PyTorch's
//!   `max()` without `dim` also splits evenly among ties). If the result is NaN, the NaN
//!   elements share the gradient evenly, as in PyTorch.
//! - **`logsumexp`**: `Y = log Σ exp X[q]`, so `dL/dX[q] = G exp(X[q] - Y)`: `G` times the
//!   softmax of the lane, computed from the output so large inputs stay finite.
//! - **`norm`** of order `p`, `Y = (Σ |X[q]|^p)^(1/p)`: for finite `p`,
//!   `dY/dX[q] = sign(X[q]) (|X[q]| / Y)^(p - 1)`, evaluated in that form (the ratio is at most
//!   1, so neither huge nor tiny inputs overflow); `p = 1` gives `sign(X[q])` and `p = 2` gives
//!   `X[q] / Y`. For `p = ∞`, `Y = max |X[q]|` and each of the `k` elements with `|X[q]| = Y`
//!   receives `sign(X[q]) G / k` (ties split evenly). At non-differentiable points the
//!   gradient follows PyTorch's subgradients: it is 0 for a lane whose norm is 0 (every `p`;
//!   for `p = 2` this is the usual convention at the origin), and 0 for an element equal to 0
//!   (for `p = 1` because `sign(0) = 0`, for `p < 1` where the derivative is infinite, and
//!   exactly for `p > 1`).
//!
//! The backward closures keep only what these formulas read: shapes for `sum` and `mean`,
//! the input for `var`, the input and output (cheap shared references) for the others, and
//! the indices for `max_axis`/`min_axis`.

use youshi_tensor::ndarray::Axis;
use youshi_tensor::{normalize_axes, normalize_axis, Element, Indices, Tensor};

use crate::error::Result;
use crate::graph::Var;

/// How a reduction over some axes of a tensor groups its elements into lanes.
struct Lanes {
    /// The reduced axes, resolved and ascending (for the tensor kernels' axis lists).
    axes: Vec<isize>,
    /// The input's shape with every reduced axis as 1: the output's shape with `keepdim`.
    kept: Vec<usize>,
    /// The input's shape.
    shape: Vec<usize>,
    /// Number of elements in a lane.
    n: usize,
}

impl Lanes {
    /// The lanes of a reduction over `axes` (all axes if empty) of a tensor of `shape`.
    fn new(op: &'static str, axes: &[isize], shape: &[usize]) -> Result<Self> {
        let resolved: Vec<usize> = if axes.is_empty() {
            (0..shape.len()).collect()
        } else {
            normalize_axes(op, axes, shape.len())?
        };
        let mut kept = shape.to_vec();
        let mut n = 1;
        for &a in &resolved {
            n *= shape[a];
            kept[a] = 1;
        }
        Ok(Lanes {
            axes: resolved.iter().map(|&a| a as isize).collect(),
            kept,
            shape: shape.to_vec(),
            n,
        })
    }

    /// A reduced tensor (the output or its gradient, with or without `keepdim`) with the
    /// reduced axes as size 1, ready to broadcast against the input.
    fn unsqueeze<T: Element>(&self, t: &Tensor<T>) -> Result<Tensor<T>> {
        Ok(t.reshape_exact(&self.kept)?)
    }

    /// `t - mean(t)` over the lanes.
    fn centered<T: Element>(&self, t: &Tensor<T>) -> Result<Tensor<T>> {
        Ok(t.sub(&t.mean(&self.axes, true)?)?)
    }

    /// The divisor `N - correction` of `var`, clamped at 0 (as the forward does).
    fn dof(&self, correction: usize) -> f64 {
        (self.n as f64 - correction as f64).max(0.0)
    }
}

impl<T: Element> Var<T> {
    /// [`Tensor::sum`], differentiable: the sum over `axes` (all axes if `axes` is empty),
    /// like `torch.sum(x, dim, keepdim)`.
    ///
    /// The gradient is the output gradient broadcast back over the reduced axes.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// As [`Tensor::sum`] (an axis out of range or listed twice), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `sum`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?);
    /// let y = x.sum(&[-1], false)?;
    /// assert_eq!(y.value().to_vec(), vec![6.0, 15.0]);
    /// y.backward_with(&Tensor::from_vec(vec![1.0, 10.0], [2])?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 1.0, 1.0, 10.0, 10.0, 10.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn sum(&self, axes: &[isize], keepdim: bool) -> Result<Var<T>> {
        let value = self.value().sum(axes, keepdim)?;
        let lanes = Lanes::new("sum", axes, self.shape())?;
        Var::record("sum", &[self], value, move |g| {
            let g = lanes.unsqueeze(g)?;
            Ok(vec![Some(g.broadcast_to(lanes.shape.as_slice())?)])
        })
    }

    /// [`Tensor::mean`], differentiable: the mean over `axes` (all axes if `axes` is empty),
    /// like `torch.mean(x, dim, keepdim)`.
    ///
    /// The gradient is the output gradient divided by the lane size `N` and broadcast back
    /// over the reduced axes.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// As [`Tensor::mean`] (an axis out of range or listed twice), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `mean`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2])?);
    /// let y = x.mean(&[0], true)?;
    /// assert_eq!(y.shape(), &[1, 2]);
    /// y.backward_with(&Tensor::from_vec(vec![1.0, 4.0], [1, 2])?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.5, 2.0, 0.5, 2.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn mean(&self, axes: &[isize], keepdim: bool) -> Result<Var<T>> {
        let value = self.value().mean(axes, keepdim)?;
        let lanes = Lanes::new("mean", axes, self.shape())?;
        Var::record("mean", &[self], value, move |g| {
            let g = lanes.unsqueeze(g)?.mul_scalar(T::of(1.0 / lanes.n as f64));
            Ok(vec![Some(g.broadcast_to(lanes.shape.as_slice())?)])
        })
    }

    /// The sum of all elements as a rank-0 value ([`Tensor::sum_all`], differentiable): the
    /// usual way to make a scalar loss. The sum of no elements is 0.
    ///
    /// Every element's gradient is the output gradient.
    ///
    /// # Shapes
    /// Any input gives `[]`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature of the other operations).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0], [3])?);
    /// let loss = x.sum_all()?;
    /// assert_eq!(loss.shape(), &[] as &[usize]);
    /// assert_eq!(loss.value().item()?, 6.0);
    /// loss.backward()?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 1.0, 1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn sum_all(&self) -> Result<Var<T>> {
        let value = Tensor::scalar(self.value().sum_all());
        let shape = self.shape().to_vec();
        Var::record("sum_all", &[self], value, move |g| {
            Ok(vec![Some(Tensor::full(shape.as_slice(), g.item()?))])
        })
    }

    /// The mean of all elements as a rank-0 value ([`Tensor::mean_all`], differentiable): the
    /// usual way to make a scalar loss. The mean of no elements is NaN, as in PyTorch.
    ///
    /// Every element's gradient is the output gradient divided by the number of elements.
    ///
    /// # Shapes
    /// Any input gives `[]`.
    ///
    /// # Errors
    /// None in practice (the `Result` keeps the signature of the other operations).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 6.0], [2, 2])?);
    /// let loss = x.mean_all()?;
    /// assert_eq!(loss.value().item()?, 3.0);
    /// loss.backward()?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.25; 4]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn mean_all(&self) -> Result<Var<T>> {
        let value = Tensor::scalar(self.value().mean_all());
        let shape = self.shape().to_vec();
        let scale = T::of(1.0 / self.value().numel() as f64);
        Var::record("mean_all", &[self], value, move |g| {
            Ok(vec![Some(Tensor::full(
                shape.as_slice(),
                g.item()? * scale,
            ))])
        })
    }

    /// [`Tensor::var`], differentiable: the variance over `axes` (all axes if `axes` is empty)
    /// with Bessel's `correction`, like `torch.var(x, dim, correction=c, keepdim=keepdim)`.
    ///
    /// The gradient is `G 2 (x - mean) / (N - correction)` for a lane of `N` elements. When
    /// `N <= correction` the variance is NaN or `+inf` and so is its gradient.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// As [`Tensor::var`] (an axis out of range or listed twice), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `var`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 6.0], [4])?);
    /// let v = x.var(&[0], 1, false)?; // mean 3, squared deviations 4 + 1 + 0 + 9
    /// assert_eq!(v.value().item()?, 14.0 / 3.0);
    /// v.backward()?;
    /// // 2 (x - 3) / 3
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![-4.0 / 3.0, -2.0 / 3.0, 0.0, 2.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn var(&self, axes: &[isize], correction: usize, keepdim: bool) -> Result<Var<T>> {
        let value = self.value().var(axes, correction, keepdim)?;
        let lanes = Lanes::new("var", axes, self.shape())?;
        let x = self.value().clone();
        Var::record("var", &[self], value, move |g| {
            let scale = lanes
                .unsqueeze(g)?
                .mul_scalar(T::of(2.0 / lanes.dof(correction)));
            Ok(vec![Some(lanes.centered(&x)?.mul(&scale)?)])
        })
    }

    /// [`Tensor::std`], differentiable: the standard deviation over `axes` (all axes if
    /// `axes` is empty) with Bessel's `correction`, like
    /// `torch.std(x, dim, correction=c, keepdim=keepdim)`.
    ///
    /// The gradient is `d std = d var / (2 std)`, i.e. `G (x - mean) / ((N - correction) std)`
    /// for a lane of `N` elements, and 0 for a lane whose deviation is 0 (PyTorch's
    /// subgradient). When `N <= correction` the value is NaN or `+inf` and so is the gradient.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// As [`Tensor::std`] (an axis out of range or listed twice), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `std`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 3.0, 5.0, 5.0], [2, 2])?);
    /// let s = x.std(&[1], 0, false)?; // rows: deviation 1, then 0
    /// assert_eq!(s.value().to_vec(), vec![1.0, 0.0]);
    /// s.backward_with(&Tensor::ones([2]))?;
    /// // (x - mean) / (2 * 1) on the first row; a constant row gets 0.
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![-0.5, 0.5, 0.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn std(&self, axes: &[isize], correction: usize, keepdim: bool) -> Result<Var<T>> {
        let value = self.value().std(axes, correction, keepdim)?;
        let lanes = Lanes::new("std", axes, self.shape())?;
        let (x, s) = (self.value().clone(), value.clone());
        Var::record("std", &[self], value, move |g| {
            let dof = T::of(lanes.dof(correction));
            let s = lanes.unsqueeze(&s)?;
            let scale = lanes
                .unsqueeze(g)?
                .zip_map(&s, "std_backward", move |g, s| {
                    if s == T::zero() {
                        T::zero()
                    } else {
                        g / (s * dof)
                    }
                })?;
            Ok(vec![Some(lanes.centered(&x)?.mul(&scale)?)])
        })
    }

    /// [`Tensor::max_axis`], differentiable: the largest value along `axis` and the index of
    /// its first occurrence, like `torch.max(x, dim, keepdim)`.
    ///
    /// The gradient goes to the reported index only (on ties, the first extreme; in a lane
    /// with NaN, the first NaN), as in PyTorch. The indices are plain integers, not
    /// differentiable.
    ///
    /// # Shapes
    /// Both results have the input's shape without `axis`, or with it as size 1 if `keepdim`.
    ///
    /// # Errors
    /// As [`Tensor::max_axis`] (an axis out of range, or of size 0), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `max_axis`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 5.0, 5.0, 7.0, 2.0, 0.0], [2, 3])?);
    /// let (m, i) = x.max_axis(1, false)?;
    /// assert_eq!(m.value().to_vec(), vec![5.0, 7.0]);
    /// assert_eq!(i.iter().copied().collect::<Vec<_>>(), vec![1, 0]);
    /// m.backward_with(&Tensor::from_vec(vec![1.0, 2.0], [2])?)?;
    /// // The tie in the first row sends the gradient to its first maximum.
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.0, 2.0, 0.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn max_axis(&self, axis: isize, keepdim: bool) -> Result<(Var<T>, Indices)> {
        let (value, index) = self.value().max_axis(axis, keepdim)?;
        let out = self.route_to_index("max_axis", value, &index, axis, keepdim)?;
        Ok((out, index))
    }

    /// [`Tensor::min_axis`], differentiable: the smallest value along `axis` and the index of
    /// its first occurrence, like `torch.min(x, dim, keepdim)`.
    ///
    /// The gradient goes to the reported index only (on ties, the first extreme; in a lane
    /// with NaN, the first NaN), as in PyTorch. The indices are plain integers, not
    /// differentiable.
    ///
    /// # Shapes
    /// Both results have the input's shape without `axis`, or with it as size 1 if `keepdim`.
    ///
    /// # Errors
    /// As [`Tensor::min_axis`] (an axis out of range, or of size 0), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `min_axis`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![3.0, 1.0, 4.0, 1.0], [2, 2])?);
    /// let (m, i) = x.min_axis(0, true)?;
    /// assert_eq!(m.value().to_vec(), vec![3.0, 1.0]);
    /// assert_eq!(i.iter().copied().collect::<Vec<_>>(), vec![0, 0]);
    /// m.backward_with(&Tensor::from_vec(vec![1.0, 2.0], [1, 2])?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 2.0, 0.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn min_axis(&self, axis: isize, keepdim: bool) -> Result<(Var<T>, Indices)> {
        let (value, index) = self.value().min_axis(axis, keepdim)?;
        let out = self.route_to_index("min_axis", value, &index, axis, keepdim)?;
        Ok((out, index))
    }

    /// Records `value`, picked from `self` at `index` along `axis`, with a backward that
    /// scatters the output gradient to those positions.
    fn route_to_index(
        &self,
        op: &'static str,
        value: Tensor<T>,
        index: &Indices,
        axis: isize,
        keepdim: bool,
    ) -> Result<Var<T>> {
        if !self.requires_grad() {
            // Spare the copy of the indices: nothing is recorded anyway.
            return Ok(self.constant(value));
        }
        let a = normalize_axis(op, axis, self.shape().len())?;
        let index = if keepdim {
            index.clone()
        } else {
            index.clone().insert_axis(Axis(a))
        };
        let shape = self.shape().to_vec();
        let mut kept = shape.clone();
        kept[a] = 1;
        Var::record(op, &[self], value, move |g| {
            let g = g.reshape_exact(&kept)?;
            let grad = Tensor::zeros(shape.as_slice()).scatter_add(a as isize, &index, &g)?;
            Ok(vec![Some(grad)])
        })
    }

    /// [`Tensor::amax`], differentiable: the largest values over `axes` (all axes if `axes` is
    /// empty), like `torch.amax(x, dim, keepdim)`.
    ///
    /// The gradient of a lane is split evenly among the elements that tie for its maximum
    /// (each of `k` ties gets `G / k`), as PyTorch's `amax` does; a lane whose maximum is NaN
    /// gets a NaN gradient.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// As [`Tensor::amax`] (an axis out of range or listed twice, a reduced axis of size 0),
    /// as [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `amax`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 4.0, 4.0, 2.0, 0.0, 3.0], [2, 3])?);
    /// let m = x.amax(&[-1], false)?;
    /// assert_eq!(m.value().to_vec(), vec![4.0, 3.0]);
    /// m.backward_with(&Tensor::from_vec(vec![1.0, 1.0], [2])?)?;
    /// // The two 4s share the first row's gradient.
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.5, 0.5, 0.0, 0.0, 1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn amax(&self, axes: &[isize], keepdim: bool) -> Result<Var<T>> {
        let value = self.value().amax(axes, keepdim)?;
        self.split_among_ties("amax", value, axes)
    }

    /// [`Tensor::amin`], differentiable: the smallest values over `axes` (all axes if `axes`
    /// is empty), like `torch.amin(x, dim, keepdim)`.
    ///
    /// The gradient of a lane is split evenly among the elements that tie for its minimum
    /// (each of `k` ties gets `G / k`), as PyTorch's `amin` does; a lane whose minimum is NaN
    /// gets a NaN gradient.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// As [`Tensor::amin`] (an axis out of range or listed twice, a reduced axis of size 0),
    /// as [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `amin`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![2.0, 0.0, 0.0, 0.0], [4])?);
    /// let m = x.amin(&[], false)?;
    /// assert_eq!(m.value().item()?, 0.0);
    /// m.backward()?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn amin(&self, axes: &[isize], keepdim: bool) -> Result<Var<T>> {
        let value = self.value().amin(axes, keepdim)?;
        self.split_among_ties("amin", value, axes)
    }

    /// Records `value`, the extremes of the lanes over `axes`, with a backward that shares
    /// each lane's gradient evenly among the elements equal to its extreme.
    fn split_among_ties(
        &self,
        op: &'static str,
        value: Tensor<T>,
        axes: &[isize],
    ) -> Result<Var<T>> {
        let lanes = Lanes::new(op, axes, self.shape())?;
        let (x, m) = (self.value().clone(), value.clone());
        Var::record(op, &[self], value, move |g| {
            let ties = x.eq(&lanes.unsqueeze(&m)?)?;
            let share = lanes.unsqueeze(g)?.div(&ties.sum(&lanes.axes, true)?)?;
            Ok(vec![Some(ties.mul(&share)?)])
        })
    }

    /// The largest element as a rank-0 value ([`Tensor::max_all`], differentiable), like
    /// `torch.max(x)`; NaN if any element is NaN.
    ///
    /// The gradient is split evenly among the elements equal to the maximum (among the NaN
    /// elements if the maximum is NaN), as PyTorch's `max()` does.
    ///
    /// # Shapes
    /// Any non-empty input gives `[]`.
    ///
    /// # Errors
    /// As [`Tensor::max_all`] (an empty input), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `max_all`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![9.0, 1.0, 9.0, -3.0], [2, 2])?);
    /// let m = x.max_all()?;
    /// assert_eq!(m.value().item()?, 9.0);
    /// m.backward()?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.5, 0.0, 0.5, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn max_all(&self) -> Result<Var<T>> {
        let value = self.value().max_all()?;
        self.split_all_among_ties("max_all", value)
    }

    /// The smallest element as a rank-0 value ([`Tensor::min_all`], differentiable), like
    /// `torch.min(x)`; NaN if any element is NaN.
    ///
    /// The gradient is split evenly among the elements equal to the minimum (among the NaN
    /// elements if the minimum is NaN), as PyTorch's `min()` does.
    ///
    /// # Shapes
    /// Any non-empty input gives `[]`.
    ///
    /// # Errors
    /// As [`Tensor::min_all`] (an empty input), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `min_all`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![2.0, -1.0, 5.0], [3])?);
    /// let m = x.min_all()?;
    /// assert_eq!(m.value().item()?, -1.0);
    /// m.backward()?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn min_all(&self) -> Result<Var<T>> {
        let value = self.value().min_all()?;
        self.split_all_among_ties("min_all", value)
    }

    /// Records the rank-0 extreme `v` of all elements with a backward that shares the
    /// gradient evenly among the elements equal to it (the NaN elements if `v` is NaN).
    fn split_all_among_ties(&self, op: &'static str, v: T) -> Result<Var<T>> {
        let x = self.value().clone();
        Var::record(op, &[self], Tensor::scalar(v), move |g| {
            let ties = if v.is_nan() {
                x.ne(&x)?
            } else {
                x.eq_scalar(v)
            };
            let share = g.item()? / ties.sum_all();
            Ok(vec![Some(ties.mul_scalar(share))])
        })
    }

    /// [`Tensor::logsumexp`], differentiable: `log(sum(exp(x)))` over `axes` (all axes if
    /// `axes` is empty), computed stably, like `torch.logsumexp(x, dim, keepdim)`.
    ///
    /// The gradient is the output gradient times the softmax of each lane,
    /// `exp(x - logsumexp)`, which stays finite for large inputs.
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// As [`Tensor::logsumexp`] (an axis out of range or listed twice), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `logsumexp`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1e3, 1e3, -1e3], [3])?);
    /// let l = x.logsumexp(&[0], false)?;
    /// assert_eq!(l.value().item()?, 1e3 + 2f64.ln());
    /// l.backward()?;
    /// // The softmax of the input: finite although exp(1e3) overflows.
    /// let d = x.grad().unwrap().to_vec();
    /// assert!((d[0] - 0.5).abs() < 1e-12 && (d[1] - 0.5).abs() < 1e-12 && d[2] == 0.0);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn logsumexp(&self, axes: &[isize], keepdim: bool) -> Result<Var<T>> {
        let value = self.value().logsumexp(axes, keepdim)?;
        let lanes = Lanes::new("logsumexp", axes, self.shape())?;
        let (x, l) = (self.value().clone(), value.clone());
        Var::record("logsumexp", &[self], value, move |g| {
            let soft = x.zip_map(&lanes.unsqueeze(&l)?, "logsumexp_backward", |x, l| {
                (x - l).exp()
            })?;
            Ok(vec![Some(soft.mul(&lanes.unsqueeze(g)?)?)])
        })
    }

    /// [`Tensor::norm`], differentiable: the vector `p`-norm over `axes` (all axes if `axes`
    /// is empty) for `p = 1`, `2`, any finite `p > 0` or `f64::INFINITY`, like
    /// `torch.linalg.vector_norm(x, ord=p, dim, keepdim)`.
    ///
    /// The gradient is `G sign(x) (|x| / norm)^(p - 1)` for finite `p` (`G sign(x)` for
    /// `p = 1`, `G x / norm` for `p = 2`); for `p = inf` it is `G sign(x) / k` on the `k`
    /// elements whose `|x|` ties for the maximum and 0 elsewhere. As PyTorch's subgradients,
    /// a lane whose norm is 0 gets 0 (so the 2-norm has gradient 0 at the origin), and an
    /// element equal to 0 gets 0 (also for `p < 1`, where the derivative is infinite).
    ///
    /// # Shapes
    /// The input's shape without the reduced axes, or with them as size 1 if `keepdim`.
    ///
    /// # Errors
    /// As [`Tensor::norm`] (`p` not positive or NaN, an axis out of range or listed twice),
    /// as [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `norm`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![3.0, -4.0, 0.0, 0.0], [2, 2])?);
    /// let n = x.norm(2.0, &[1], false)?;
    /// assert_eq!(n.value().to_vec(), vec![5.0, 0.0]);
    /// n.backward_with(&Tensor::ones([2]))?;
    /// // x / |x| on the first row; 0 at the origin.
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.6, -0.8, 0.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn norm(&self, p: f64, axes: &[isize], keepdim: bool) -> Result<Var<T>> {
        let value = self.value().norm(p, axes, keepdim)?;
        let lanes = Lanes::new("norm", axes, self.shape())?;
        let (x, n) = (self.value().clone(), value.clone());
        Var::record("norm", &[self], value, move |g| {
            let (n, g) = (lanes.unsqueeze(&n)?, lanes.unsqueeze(g)?);
            let grad = if p == f64::INFINITY {
                let at_max = |a: T, m: T| a.abs() == m || a.is_nan();
                let ties = x.zip_map(&n, "norm_backward", move |a, m| {
                    if at_max(a, m) {
                        T::one()
                    } else {
                        T::zero()
                    }
                })?;
                let share = g.div(&ties.sum(&lanes.axes, true)?)?;
                let signed = x.zip_map(&n, "norm_backward", move |a, m| {
                    if at_max(a, m) {
                        sign(a)
                    } else {
                        T::zero()
                    }
                })?;
                signed.mul(&share)?
            } else {
                let pm1 = T::of(p - 1.0);
                let d = x.zip_map(&n, "norm_backward", move |a, m| {
                    if a == T::zero() || m == T::zero() {
                        T::zero()
                    } else if p == 1.0 {
                        sign(a)
                    } else if p == 2.0 {
                        a / m
                    } else {
                        sign(a) * (a.abs() / m).powf(pm1)
                    }
                })?;
                d.mul(&g)?
            };
            Ok(vec![Some(grad)])
        })
    }
}

/// -1, 0 or 1 (NaN stays NaN), as [`Tensor::sign`].
fn sign<T: Element>(a: T) -> T {
    if a > T::zero() {
        T::one()
    } else if a < T::zero() {
        -T::one()
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use youshi_tensor::Tensor;
    use youshi_testkit::uniform_vec;

    use crate::{gradcheck, AutogradError, GradcheckOptions, Graph, Var};

    fn t(shape: &[usize], seed: u64) -> Tensor<f64> {
        Tensor::from_vec(uniform_vec(shape.iter().product(), seed), shape).unwrap()
    }

    fn v(data: &[f64], shape: &[usize]) -> Tensor<f64> {
        Tensor::from_vec(data.to_vec(), shape).unwrap()
    }

    fn check(f: impl Fn(&Var<f64>) -> crate::Result<Var<f64>>, x: &Tensor<f64>) {
        gradcheck(
            |_g, x| f(&x[0]),
            std::slice::from_ref(x),
            GradcheckOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }

    /// The gradient of `<w, f(x)>` with `w` all ones.
    fn grad(x: &Tensor<f64>, f: impl Fn(&Var<f64>) -> crate::Result<Var<f64>>) -> Vec<f64> {
        let g = Graph::new();
        let v = g.leaf(x.clone());
        let y = f(&v).unwrap();
        y.backward_with(&Tensor::ones(y.shape())).unwrap();
        v.grad().unwrap().to_vec()
    }

    #[test]
    fn gradcheck_every_reduction_on_a_small_tensor() {
        let x = t(&[2, 3, 4], 1);
        check(|x| x.sum(&[1], false), &x);
        check(|x| x.sum(&[0, -1], true), &x);
        check(|x| x.mean(&[], false), &x);
        check(|x| x.mean(&[2], true), &x);
        check(|x| x.sum_all(), &x);
        check(|x| x.mean_all(), &x);
        check(|x| x.var(&[1, 2], 1, false), &x);
        check(|x| x.std(&[0], 0, true), &x);
        check(|x| Ok(x.max_axis(-1, false)?.0), &x);
        check(|x| Ok(x.min_axis(0, true)?.0), &x);
        check(|x| x.amax(&[0, 2], false), &x);
        check(|x| x.amin(&[1], true), &x);
        check(|x| x.max_all(), &x);
        check(|x| x.min_all(), &x);
        check(|x| x.logsumexp(&[-1, 0], false), &x);
        for p in [1.0, 2.0, 3.0, 0.5, 1.5, f64::INFINITY] {
            check(|x| x.norm(p, &[2], false), &x);
        }
    }

    #[test]
    fn rank0_inputs_reduce_to_themselves() {
        let x = Tensor::scalar(0.75);
        check(|x| x.sum(&[], false), &x);
        check(|x| x.mean(&[], true), &x);
        check(|x| x.sum_all(), &x);
        check(|x| x.amax(&[], false), &x);
        check(|x| x.logsumexp(&[], false), &x);
        check(|x| x.norm(2.0, &[], false), &x);
    }

    #[test]
    fn ties_follow_pytorch() {
        let x = v(&[1.0, 3.0, 3.0, 2.0, 2.0, 0.0], &[2, 3]);
        // max(dim): the first maximum takes it all.
        assert_eq!(
            grad(&x, |x| Ok(x.max_axis(1, false)?.0)),
            vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0]
        );
        // amax: split evenly.
        assert_eq!(
            grad(&x, |x| x.amax(&[1], false)),
            vec![0.0, 0.5, 0.5, 0.5, 0.5, 0.0]
        );
        // amin over every axis: the single minimum.
        assert_eq!(
            grad(&x, |x| x.amin(&[], true)),
            vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
        );
        // max(): evenly among all maxima.
        assert_eq!(
            grad(&x, |x| x.max_all()),
            vec![0.0, 0.5, 0.5, 0.0, 0.0, 0.0]
        );
        // inf-norm: the tied |x| share, with their signs.
        let y = v(&[3.0, -3.0, 1.0], &[3]);
        assert_eq!(
            grad(&y, |x| x.norm(f64::INFINITY, &[], false)),
            vec![0.5, -0.5, 0.0]
        );
    }

    #[test]
    fn nan_extremes() {
        let n = f64::NAN;
        let x = v(&[1.0, n, 2.0, n], &[4]);
        // max(): the NaN elements share the gradient.
        assert_eq!(grad(&x, |x| x.max_all()), vec![0.0, 0.5, 0.0, 0.5]);
        // max(dim): the first NaN gets it.
        assert_eq!(
            grad(&x, |x| Ok(x.max_axis(0, false)?.0)),
            vec![0.0, 1.0, 0.0, 0.0]
        );
        // amax: NaN gradient (no element equals NaN), as PyTorch.
        assert!(grad(&x, |x| x.amax(&[0], false)).iter().all(|d| d.is_nan()));
    }

    #[test]
    fn kinks_use_pytorch_subgradients() {
        let z = v(&[0.0, 0.0, 1.0, -2.0], &[2, 2]);
        for p in [0.5, 1.0, 1.5, 2.0, 3.0, f64::INFINITY] {
            let d = grad(&z, |x| x.norm(p, &[1], false));
            assert_eq!(&d[..2], &[0.0, 0.0], "p = {p}");
            assert!(d.iter().all(|v| v.is_finite()), "p = {p}: {d:?}");
        }
        // An element at 0 in a nonzero lane gets 0 for p <= 1.
        let w = v(&[0.0, 2.0], &[2]);
        assert_eq!(grad(&w, |x| x.norm(1.0, &[], false)), vec![0.0, 1.0]);
        let d = grad(&w, |x| x.norm(0.5, &[], false));
        assert!(d[0] == 0.0 && (d[1] - 1.0).abs() < 1e-15, "{d:?}");
        // A constant lane has std 0 and gradient 0.
        let c = v(&[2.0, 2.0, 2.0], &[3]);
        assert_eq!(grad(&c, |x| x.std(&[], 1, false)), vec![0.0; 3]);
    }

    #[test]
    fn too_few_elements_for_the_correction_give_non_finite_gradients() {
        let x = v(&[1.0, 3.0], &[2]);
        let d = grad(&x, |x| x.var(&[], 2, false));
        assert!(d.iter().all(|v| !v.is_finite()), "{d:?}");
    }

    #[test]
    fn empty_inputs() {
        let e = Tensor::<f64>::zeros([0, 3]);
        assert_eq!(grad(&e, |x| x.sum(&[0], false)), Vec::<f64>::new());
        assert_eq!(grad(&e, |x| x.mean(&[1], true)), Vec::<f64>::new());
        assert_eq!(grad(&e, |x| x.sum_all()), Vec::<f64>::new());
        let g = Graph::<f64>::new();
        let x = g.leaf(e);
        let err = x.max_all().unwrap_err();
        assert!(matches!(err, AutogradError::Tensor(_)));
        assert!(err.to_string().starts_with("max_all: "), "{err}");
    }

    #[test]
    fn f32_backward_runs() {
        let g = Graph::<f32>::new();
        let x = g.leaf(Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [2, 2]).unwrap());
        let loss = x.norm(2.0, &[1], false).unwrap().mean_all().unwrap();
        loss.backward().unwrap();
        let d = x.grad().unwrap().to_vec();
        let r0 = 5f32.sqrt();
        assert!((d[0] - 0.5 / r0).abs() < 1e-6 && (d[3] - 0.5 * 4.0 / 5.0).abs() < 1e-6);
    }
}
