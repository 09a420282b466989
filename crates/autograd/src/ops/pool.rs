//! Differentiable pooling: `max_pool2d` (and `max_pool2d_with_indices`), `avg_pool2d`,
//! `adaptive_avg_pool2d`, and the 1-d forms `max_pool1d` (and `max_pool1d_with_indices`) and
//! `avg_pool1d`.
//!
//! Every pooling maps each output element `p` to a window `Ω(p)` of input positions, so its
//! backward spreads the output gradient `G = dL/dY` back over the windows; overlapping
//! windows accumulate. The tensor crate's gradient kernels do it:
//!
//! - **Max pooling**: `Y[p] = X[a(p)]` with `a(p)` the position of the window's maximum
//!   (the first one in row-major window order on ties, as PyTorch). Then
//!   `dL/dX[q] = Σ_{p: a(p) = q} G[p]`: the forward's argmax indices are kept in the closure
//!   and [`Tensor::max_pool2d_backward`] (or [`Tensor::max_pool1d_backward`]) adds each `G[p]`
//!   at `a(p)`. A window that lies entirely in the padding (only possible with dilation) has
//!   no argmax and sends nothing back. The derivative is that of the piecewise-linear map
//!   away from ties; at a tie it picks the first maximum, as PyTorch does.
//! - **Average pooling**: `Y[p] = (1 / d(p)) Σ_{q ∈ Ω(p)} X[q]`, where the divisor `d(p)` is
//!   the window's size clipped to the padded input with `count_include_pad`, else the number
//!   of input elements in the window. Then `dL/dX[q] = Σ_{p: q ∈ Ω(p)} G[p] / d(p)`
//!   ([`Tensor::avg_pool2d_backward`], [`Tensor::avg_pool1d_backward`]).
//! - **Adaptive average pooling** to `[OH, OW]`: the same with the windows
//!   `floor(i H / OH) .. ceil((i + 1) H / OH)` (likewise for columns) and `d(p)` their size
//!   ([`Tensor::adaptive_avg_pool2d_backward`]).
//!
//! As the tensor ops, each accepts a batched (`[N, C, H, W]`, `[N, C, L]`) or unbatched
//! (`[C, H, W]`, `[C, L]`) input. Indices returned by the `*_with_indices` forms are plain
//! integers, not [`Var`]s: they are not differentiable.

use youshi_tensor::{
    Element, Indices, Pool1dOptions, Pool2dOptions, Result as TensorResult, Tensor,
};

use crate::error::Result;
use crate::graph::Var;

/// The gradient kernel of a max pooling: `(G, argmax, input shape) -> dL/dX`.
type MaxBackward<T> = fn(&Tensor<T>, &Indices, &[usize]) -> TensorResult<Tensor<T>>;

impl<T: Element> Var<T> {
    /// True if an operation on `self` records a node (and so needs its saved state).
    fn records(&self) -> bool {
        self.requires_grad() && self.graph().is_recording()
    }

    /// Records a max pooling of `self` whose argmax positions are `indices`.
    fn record_max_pool(
        &self,
        op: &'static str,
        value: Tensor<T>,
        indices: Indices,
        backward: MaxBackward<T>,
    ) -> Result<Var<T>> {
        let shape = self.shape().to_vec();
        Var::record(op, &[self], value, move |g| {
            Ok(vec![Some(backward(g, &indices, &shape)?)])
        })
    }

    /// Like [`record_max_pool`](Var::record_max_pool), also returning the indices: they are
    /// copied for the closure only when a node is recorded.
    fn record_max_pool_with_indices(
        &self,
        op: &'static str,
        (value, indices): (Tensor<T>, Indices),
        backward: MaxBackward<T>,
    ) -> Result<(Var<T>, Indices)> {
        let y = if self.records() {
            self.record_max_pool(op, value, indices.clone(), backward)?
        } else {
            self.constant(value)
        };
        Ok((y, indices))
    }

    /// [`Tensor::max_pool2d`], differentiable: 2-d max pooling with PyTorch's semantics
    /// (stride, `-inf` padding, dilation, ceil mode).
    ///
    /// The gradient sends each output gradient to the position of its window's maximum
    /// (kept from the forward), summing where windows overlap; see the [module docs](self).
    ///
    /// # Shapes
    /// `[N, C, H, W]` (or `[C, H, W]`) gives `[N, C, OH, OW]` (or `[C, OH, OW]`), with `OH`
    /// and `OW` from [`Pool2dOptions::output_size`].
    ///
    /// # Errors
    /// As [`Tensor::max_pool2d`] (rank, empty dimensions, invalid options, an empty output),
    /// as [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `max_pool2d`.
    ///
    /// # Examples
    /// ```
    /// use youshi_autograd::Graph;
    /// use youshi_tensor::{Pool2dOptions, Tensor};
    ///
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 4.0, 3.0, 2.0], [1, 1, 2, 2])?);
    /// let y = x.max_pool2d(Pool2dOptions::new(2))?;
    /// assert_eq!(y.value().to_vec(), vec![4.0]);
    /// y.backward()?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn max_pool2d(&self, opts: Pool2dOptions) -> Result<Var<T>> {
        let (value, indices) = self.value().max_pool2d(opts)?;
        self.record_max_pool("max_pool2d", value, indices, Tensor::max_pool2d_backward)
    }

    /// [`max_pool2d`](Var::max_pool2d) that also returns the argmax indices, like PyTorch's
    /// `max_pool2d(..., return_indices=True)`.
    ///
    /// The indices give each maximum's position `h * W + w` in its input plane
    /// ([`NO_INDEX`](youshi_tensor::ops::pool::NO_INDEX) for a window entirely in the
    /// padding); they are not differentiable.
    ///
    /// # Shapes
    /// As [`max_pool2d`](Var::max_pool2d); the indices have the output's shape.
    ///
    /// # Errors
    /// As [`max_pool2d`](Var::max_pool2d).
    ///
    /// # Examples
    /// ```
    /// use youshi_autograd::Graph;
    /// use youshi_tensor::{Pool2dOptions, Tensor};
    ///
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 4.0, 3.0, 2.0, 0.0, 5.0], [1, 2, 3])?);
    /// let (y, idx) = x.max_pool2d_with_indices(Pool2dOptions::new(2).stride(1))?;
    /// assert_eq!(y.value().to_vec(), vec![4.0, 5.0]);
    /// assert_eq!(idx.iter().copied().collect::<Vec<_>>(), vec![1, 5]);
    /// y.backward_with(&Tensor::from_vec(vec![10.0, 20.0], [1, 1, 2])?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 10.0, 0.0, 0.0, 0.0, 20.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn max_pool2d_with_indices(&self, opts: Pool2dOptions) -> Result<(Var<T>, Indices)> {
        self.record_max_pool_with_indices(
            "max_pool2d",
            self.value().max_pool2d(opts)?,
            Tensor::max_pool2d_backward,
        )
    }

    /// [`Tensor::avg_pool2d`], differentiable: 2-d average pooling with PyTorch's semantics;
    /// `count_include_pad` chooses whether padding counts in the divisor.
    ///
    /// The gradient adds each output gradient, divided by its window's divisor, to every
    /// input element of the window; see the [module docs](self).
    ///
    /// # Shapes
    /// `[N, C, H, W]` (or `[C, H, W]`) gives `[N, C, OH, OW]` (or `[C, OH, OW]`), with `OH`
    /// and `OW` from [`Pool2dOptions::output_size`].
    ///
    /// # Errors
    /// As [`Tensor::avg_pool2d`] (as [`max_pool2d`](Var::max_pool2d), and a dilation other
    /// than 1), as [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming
    /// `avg_pool2d`.
    ///
    /// # Examples
    /// ```
    /// use youshi_autograd::Graph;
    /// use youshi_tensor::{Pool2dOptions, Tensor};
    ///
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [1, 1, 2, 2])?);
    /// let y = x.avg_pool2d(Pool2dOptions::new(2), true)?;
    /// assert_eq!(y.value().to_vec(), vec![2.5]);
    /// y.backward()?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.25; 4]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn avg_pool2d(&self, opts: Pool2dOptions, count_include_pad: bool) -> Result<Var<T>> {
        let value = self.value().avg_pool2d(opts, count_include_pad)?;
        let shape = self.shape().to_vec();
        Var::record("avg_pool2d", &[self], value, move |g| {
            let gx = Tensor::avg_pool2d_backward(g, &shape, opts, count_include_pad)?;
            Ok(vec![Some(gx)])
        })
    }

    /// [`Tensor::adaptive_avg_pool2d`], differentiable: average pooling to `output_hw`, with
    /// PyTorch's adaptive windows.
    ///
    /// The gradient adds each output gradient, divided by its window's size, to every input
    /// element of the window; see the [module docs](self).
    ///
    /// # Shapes
    /// `[N, C, H, W]` (or `[C, H, W]`) gives `[N, C, OH, OW]` (or `[C, OH, OW]`) with
    /// `[OH, OW] = output_hw`.
    ///
    /// # Errors
    /// As [`Tensor::adaptive_avg_pool2d`] (rank, an empty channel or spatial dimension), as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `adaptive_avg_pool2d`.
    ///
    /// # Examples
    /// ```
    /// use youshi_autograd::Graph;
    /// use youshi_tensor::Tensor;
    ///
    /// // A global average pool: one output per channel.
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 6.0], [1, 1, 2, 2])?);
    /// let y = x.adaptive_avg_pool2d([1, 1])?;
    /// assert_eq!(y.value().to_vec(), vec![3.0]);
    /// y.backward()?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.25; 4]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn adaptive_avg_pool2d(&self, output_hw: [usize; 2]) -> Result<Var<T>> {
        let value = self.value().adaptive_avg_pool2d(output_hw)?;
        let shape = self.shape().to_vec();
        Var::record("adaptive_avg_pool2d", &[self], value, move |g| {
            Ok(vec![Some(Tensor::adaptive_avg_pool2d_backward(g, &shape)?)])
        })
    }

    /// [`Tensor::max_pool1d`], differentiable: 1-d max pooling of `[N, C, L]` (or `[C, L]`).
    ///
    /// The gradient sends each output gradient to the position of its window's maximum;
    /// see the [module docs](self).
    ///
    /// # Shapes
    /// `[N, C, L]` (or `[C, L]`) gives `[N, C, OL]` (or `[C, OL]`), with `OL` from
    /// [`Pool1dOptions::output_size`].
    ///
    /// # Errors
    /// As [`Tensor::max_pool1d`], as [`AutogradError::Tensor`](crate::AutogradError::Tensor)
    /// naming `max_pool1d`.
    ///
    /// # Examples
    /// ```
    /// use youshi_autograd::Graph;
    /// use youshi_tensor::{Pool1dOptions, Tensor};
    ///
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 3.0, 2.0], [1, 3])?);
    /// // Overlapping windows [1, 3] and [3, 2] share their maximum.
    /// let y = x.max_pool1d(Pool1dOptions::new(2).stride(1))?;
    /// y.backward_with(&Tensor::ones([1, 2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 2.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn max_pool1d(&self, opts: Pool1dOptions) -> Result<Var<T>> {
        let (value, indices) = self.value().max_pool1d(opts)?;
        self.record_max_pool("max_pool1d", value, indices, Tensor::max_pool1d_backward)
    }

    /// [`max_pool1d`](Var::max_pool1d) that also returns the argmax indices (positions along
    /// `L`, not differentiable).
    ///
    /// # Shapes
    /// As [`max_pool1d`](Var::max_pool1d); the indices have the output's shape.
    ///
    /// # Errors
    /// As [`max_pool1d`](Var::max_pool1d).
    ///
    /// # Examples
    /// ```
    /// use youshi_autograd::Graph;
    /// use youshi_tensor::{Pool1dOptions, Tensor};
    ///
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 3.0, 2.0, 5.0, 4.0], [1, 1, 5])?);
    /// let (y, idx) = x.max_pool1d_with_indices(Pool1dOptions::new(2).ceil_mode(true))?;
    /// assert_eq!(y.value().to_vec(), vec![3.0, 5.0, 4.0]);
    /// assert_eq!(idx.iter().copied().collect::<Vec<_>>(), vec![1, 3, 4]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn max_pool1d_with_indices(&self, opts: Pool1dOptions) -> Result<(Var<T>, Indices)> {
        self.record_max_pool_with_indices(
            "max_pool1d",
            self.value().max_pool1d(opts)?,
            Tensor::max_pool1d_backward,
        )
    }

    /// [`Tensor::avg_pool1d`], differentiable: 1-d average pooling of `[N, C, L]` (or
    /// `[C, L]`); `count_include_pad` chooses whether padding counts in the divisor.
    ///
    /// The gradient adds each output gradient, divided by its window's divisor, to every
    /// input element of the window; see the [module docs](self).
    ///
    /// # Shapes
    /// `[N, C, L]` (or `[C, L]`) gives `[N, C, OL]` (or `[C, OL]`), with `OL` from
    /// [`Pool1dOptions::output_size`].
    ///
    /// # Errors
    /// As [`Tensor::avg_pool1d`], as [`AutogradError::Tensor`](crate::AutogradError::Tensor)
    /// naming `avg_pool1d`.
    ///
    /// # Examples
    /// ```
    /// use youshi_autograd::Graph;
    /// use youshi_tensor::{Pool1dOptions, Tensor};
    ///
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 3.0, 2.0], [1, 1, 3])?);
    /// let y = x.avg_pool1d(Pool1dOptions::new(2).stride(1), true)?;
    /// assert_eq!(y.value().to_vec(), vec![2.0, 2.5]);
    /// y.backward_with(&Tensor::ones([1, 1, 2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.5, 1.0, 0.5]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn avg_pool1d(&self, opts: Pool1dOptions, count_include_pad: bool) -> Result<Var<T>> {
        let value = self.value().avg_pool1d(opts, count_include_pad)?;
        let shape = self.shape().to_vec();
        Var::record("avg_pool1d", &[self], value, move |g| {
            let gx = Tensor::avg_pool1d_backward(g, &shape, opts, count_include_pad)?;
            Ok(vec![Some(gx)])
        })
    }
}

#[cfg(test)]
mod tests {
    use youshi_tensor::{Pool1dOptions, Pool2dOptions, Tensor};
    use youshi_testkit::uniform_vec;

    use crate::{gradcheck, AutogradError, GradcheckOptions, Graph, Result, Var};

    /// Distinct values of `shape`, at least `1 / numel` apart (no ties for max pooling), in a
    /// seeded order.
    fn distinct(shape: &[usize], seed: u64) -> Tensor<f64> {
        let n: usize = shape.iter().product();
        let keys = uniform_vec(n, seed);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
        let mut v = vec![0.0; n];
        for (rank, &i) in order.iter().enumerate() {
            v[i] = (2 * rank) as f64 / n as f64 - 1.0;
        }
        Tensor::from_vec(v, shape).unwrap()
    }

    fn check(f: impl Fn(&Var<f64>) -> Result<Var<f64>>, x: Tensor<f64>) {
        gradcheck(|_g, v| f(&v[0]), &[x], GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn max_pools_gradcheck() {
        let x = distinct(&[2, 3, 5, 6], 1);
        check(|v| v.max_pool2d(Pool2dOptions::new(2)), x.clone());
        check(
            |v| v.max_pool2d(Pool2dOptions::new(3).stride(1).padding(1)),
            x.clone(),
        );
        check(
            |v| v.max_pool2d(Pool2dOptions::new(2).dilation(2).ceil_mode(true)),
            x,
        );
        // Unbatched, with a rectangular window.
        let x = distinct(&[2, 3, 4], 2);
        let opts = Pool2dOptions::new(1).kernel2([2, 3]).stride(1);
        check(|v| v.max_pool2d(opts), x.clone());
        check(|v| Ok(v.max_pool2d_with_indices(opts)?.0), x);
        let x = distinct(&[2, 2, 7], 3);
        check(
            |v| v.max_pool1d(Pool1dOptions::new(3).stride(2).padding(1)),
            x.clone(),
        );
        check(
            |v| {
                Ok(
                    v.max_pool1d_with_indices(Pool1dOptions::new(2).ceil_mode(true))?
                        .0,
                )
            },
            x,
        );
    }

    #[test]
    fn average_pools_gradcheck() {
        let x = Tensor::from_vec(uniform_vec(2 * 3 * 5 * 6, 4), [2, 3, 5, 6]).unwrap();
        for cip in [false, true] {
            let opts = Pool2dOptions::new(3).stride(2).padding(1).ceil_mode(true);
            check(|v| v.avg_pool2d(opts, cip), x.clone());
            let opts = Pool1dOptions::new(2).stride(1).padding(1);
            check(|v| v.reshape(&[6, 5, 6])?.avg_pool1d(opts, cip), x.clone());
        }
        check(|v| v.adaptive_avg_pool2d([3, 4]), x.clone());
        check(|v| v.adaptive_avg_pool2d([1, 1]), x.clone());
        check(|v| v.select(0, 1)?.adaptive_avg_pool2d([7, 2]), x);
    }

    #[test]
    fn windows_entirely_in_the_padding_send_nothing_back() {
        // Kernel 2, dilation 2 and padding 1 on a height of 1: both taps of every window
        // fall in the padding, so the output is -inf and the gradient zero.
        let g = Graph::<f64>::new();
        let x = g.leaf(distinct(&[1, 2, 1, 3], 7));
        let y = x
            .max_pool2d(Pool2dOptions::new(2).dilation(2).padding(1).stride(1))
            .unwrap();
        assert!(y.value().to_vec().iter().all(|&v| v == f64::NEG_INFINITY));
        y.backward_with(&Tensor::ones(y.shape())).unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0.0; 6]);
    }

    #[test]
    fn with_indices_matches_the_tensor_op_and_records_once() {
        let x = distinct(&[1, 2, 4, 4], 5);
        let opts = Pool2dOptions::new(2);
        let (want, want_idx) = x.max_pool2d(opts).unwrap();
        for g in [Graph::<f64>::new(), Graph::no_grad()] {
            let v = g.leaf(x.clone());
            let (y, idx) = v.max_pool2d_with_indices(opts).unwrap();
            assert_eq!(y.value(), &want);
            assert_eq!(idx, want_idx);
            assert_eq!(y.requires_grad(), g.is_recording());
            assert_eq!(g.len(), if g.is_recording() { 2 } else { 0 });
        }
        let g = Graph::<f64>::new();
        let c = g.constant(x);
        let (y, idx) = c.max_pool2d_with_indices(opts).unwrap();
        assert!(!y.requires_grad());
        assert_eq!(idx, want_idx);
        assert!(g.is_empty());
    }

    #[test]
    fn errors_name_the_op() {
        let g = Graph::<f64>::new();
        let x = g.leaf(distinct(&[1, 1, 3, 3], 6));
        let e = x.max_pool2d(Pool2dOptions::new(3).padding(2)).unwrap_err();
        assert!(matches!(e, AutogradError::Tensor(_)));
        assert!(e.to_string().starts_with("max_pool2d: "), "{e}");
        let e = x
            .avg_pool2d(Pool2dOptions::new(2).dilation(2), true)
            .unwrap_err();
        assert!(e.to_string().starts_with("avg_pool2d: "), "{e}");
        assert_eq!(g.len(), 1);
    }
}
