//! Differentiable joining, splitting, padding and tiling: `concat`, `stack`, `split`,
//! `split_sizes`, `chunk`, `pad`, `unpad` and `repeat`.
//!
//! All are linear rearrangements, so each backward is the adjoint rearrangement of the output
//! gradient `G`:
//!
//! - **`concat`** along `a` of `X_1, .., X_n`: `dL/dX_i` is the slab of `G` that `X_i` filled,
//!   i.e. [`Tensor::split_sizes`] of `G` with the inputs' extents along `a` (views, no copy).
//! - **`stack`** along a new axis `a`: `dL/dX_i = G.select(a, i)` (a view).
//! - **`split` / `split_sizes` / `chunk`**: each piece is a [`narrow`](Var::narrow) of the
//!   input, recorded separately, so its backward writes its gradient into its slot of a zero
//!   gradient of the input (zero padding along the axis); the pieces' gradients add up in the
//!   input. Pieces that do not reach the loss contribute nothing.
//! - **`pad`** with a constant: the padding does not depend on the input, so
//!   `dL/dX = G.unpad(pads)`, the interior of `G` (a view).
//! - **`unpad`**: the removed border gets no gradient, so `dL/dX = G.pad(pads, 0)`.
//! - **`repeat`** by `r`: `Y[k_0 s_0 + i_0, ..] = X[i_0, ..]` for every tile `k`, so
//!   `dL/dX[i] = Σ_k G[k s + i]`: `G` is viewed as `[r_0, s_0, r_1, s_1, ..]` and summed over
//!   the `r` axes (and over the new leading dimensions `repeat` added).

use youshi_tensor::{normalize_axis, Element, Tensor};

use crate::error::Result;
use crate::graph::Var;
use crate::ops::index::pad_axis;
use crate::ops::reduce_to_shape;

impl<T: Element> Var<T> {
    /// [`Tensor::concat`], differentiable: joins values along an existing axis
    /// (`torch.cat`).
    ///
    /// Each input's gradient is its slab of the output gradient along `axis`.
    ///
    /// # Shapes
    /// All values have the same rank and agree on every dimension except `axis`; the result's
    /// extent along `axis` is the sum of theirs.
    ///
    /// # Errors
    /// As [`Tensor::concat`] (an empty list, an axis out of range, shapes that disagree), and
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::{Graph, Var};
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let a = g.leaf(Tensor::from_vec(vec![1.0, 2.0], [1, 2])?);
    /// let b = g.leaf(Tensor::from_vec(vec![3.0, 4.0, 5.0, 6.0], [2, 2])?);
    /// let c = Var::concat(&[&a, &b], 0)?;
    /// assert_eq!(c.shape(), &[3, 2]);
    /// c.backward_with(&Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [3, 2])?)?;
    /// assert_eq!(a.grad().unwrap().to_vec(), vec![1.0, 2.0]);
    /// assert_eq!(b.grad().unwrap().to_vec(), vec![3.0, 4.0, 5.0, 6.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn concat(vars: &[&Var<T>], axis: isize) -> Result<Var<T>> {
        let values: Vec<&Tensor<T>> = vars.iter().map(|v| v.value()).collect();
        let value = Tensor::concat(&values, axis)?;
        let a = normalize_axis("concat", axis, value.ndim())?;
        let sizes: Vec<usize> = values.iter().map(|v| v.shape()[a]).collect();
        let need: Vec<bool> = vars.iter().map(|v| v.requires_grad()).collect();
        Var::record("concat", vars, value, move |g| {
            let pieces = g.split_sizes(&sizes, a as isize)?;
            Ok(pieces
                .into_iter()
                .zip(&need)
                .map(|(p, &n)| n.then_some(p))
                .collect())
        })
    }

    /// [`Tensor::stack`], differentiable: joins values of one shape along a new axis
    /// (`torch.stack`).
    ///
    /// Input `i`'s gradient is the output gradient at position `i` of the new axis.
    ///
    /// # Shapes
    /// `n` values of shape `[d0, .., dk]` give a result with `n` inserted at position `axis`
    /// (in `-(k+2)..=k+1`).
    ///
    /// # Errors
    /// As [`Tensor::stack`] (an empty list, an axis out of range, shapes that differ), and
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::{Graph, Var};
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let a = g.leaf(Tensor::from_vec(vec![1.0, 2.0], [2])?);
    /// let b = g.constant(Tensor::from_vec(vec![3.0, 4.0], [2])?);
    /// let s = Var::stack(&[&a, &b], -1)?;
    /// assert_eq!(s.value().to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
    /// s.backward_with(&Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2])?)?;
    /// assert_eq!(a.grad().unwrap().to_vec(), vec![1.0, 3.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn stack(vars: &[&Var<T>], axis: isize) -> Result<Var<T>> {
        let values: Vec<&Tensor<T>> = vars.iter().map(|v| v.value()).collect();
        let value = Tensor::stack(&values, axis)?;
        let a = normalize_axis("stack", axis, value.ndim())? as isize;
        let need: Vec<bool> = vars.iter().map(|v| v.requires_grad()).collect();
        Var::record("stack", vars, value, move |g| {
            need.iter()
                .enumerate()
                .map(|(i, &n)| Ok(if n { Some(g.select(a, i)?) } else { None }))
                .collect()
        })
    }

    /// [`Tensor::split`], differentiable: pieces of `size` entries along `axis`, the last one
    /// smaller if `size` does not divide the extent (`torch.split` with an integer).
    ///
    /// Each piece is recorded as a [`narrow`](Var::narrow) of `self`, so its gradient lands
    /// in its slot of `self`'s gradient.
    ///
    /// # Errors
    /// As [`Tensor::split`]: an axis out of range, or `size` 0.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::arange(0.0, 5.0, 1.0)?);
    /// let parts = x.split(2, 0)?;
    /// assert_eq!(parts.len(), 3);
    /// assert_eq!(parts[2].value().to_vec(), vec![4.0]);
    /// parts[1].backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn split(&self, size: usize, axis: isize) -> Result<Vec<Var<T>>> {
        let pieces = self.value().split(size, axis)?;
        self.record_pieces("split", axis, pieces)
    }

    /// [`Tensor::split_sizes`], differentiable: pieces of the given sizes along `axis`
    /// (`torch.split` with a list).
    ///
    /// Each piece is recorded as a [`narrow`](Var::narrow) of `self`, so its gradient lands
    /// in its slot of `self`'s gradient.
    ///
    /// # Errors
    /// As [`Tensor::split_sizes`]: an axis out of range, or sizes that do not sum to the
    /// extent of `axis`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::arange(0.0, 6.0, 1.0)?.reshape(&[2, 3])?);
    /// let parts = x.split_sizes(&[1, 2], 1)?;
    /// assert_eq!(parts[1].value().to_vec(), vec![1.0, 2.0, 4.0, 5.0]);
    /// parts[1].backward_with(&Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2])?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 2.0, 0.0, 3.0, 4.0]);
    /// assert!(x.split_sizes(&[1, 1], 1).is_err());
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn split_sizes(&self, sizes: &[usize], axis: isize) -> Result<Vec<Var<T>>> {
        let pieces = self.value().split_sizes(sizes, axis)?;
        self.record_pieces("split_sizes", axis, pieces)
    }

    /// [`Tensor::chunk`], differentiable: at most `n` pieces of `ceil(extent / n)` entries
    /// along `axis`, the last one smaller (`torch.chunk`).
    ///
    /// Each piece is recorded as a [`narrow`](Var::narrow) of `self`, so its gradient lands
    /// in its slot of `self`'s gradient.
    ///
    /// # Errors
    /// As [`Tensor::chunk`]: an axis out of range, or `n` 0.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::arange(0.0, 4.0, 1.0)?);
    /// let parts = x.chunk(2, 0)?;
    /// // The inner product of the two halves, x0 x2 + x1 x3.
    /// let y = parts[0].reshape(&[1, 2])?.matmul(&parts[1].reshape(&[2, 1])?)?;
    /// y.backward()?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 3.0, 0.0, 1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn chunk(&self, n: usize, axis: isize) -> Result<Vec<Var<T>>> {
        let pieces = self.value().chunk(n, axis)?;
        self.record_pieces("chunk", axis, pieces)
    }

    /// Records consecutive pieces of `self` along `axis` (already validated by the tensor
    /// op), each with the backward of a `narrow` at its offset.
    fn record_pieces(
        &self,
        op: &'static str,
        axis: isize,
        pieces: Vec<Tensor<T>>,
    ) -> Result<Vec<Var<T>>> {
        let a = normalize_axis(op, axis, self.value().ndim())?;
        let size = self.shape()[a];
        let mut start = 0;
        pieces
            .into_iter()
            .map(|p| {
                let (before, len) = (start, p.shape()[a]);
                start += len;
                let after = size - before - len;
                Var::record(op, &[self], p, move |g| {
                    Ok(vec![Some(pad_axis(g, a, before, after)?)])
                })
            })
            .collect()
    }

    /// [`Tensor::pad`], differentiable: pads the trailing dimensions with the constant
    /// `value`; `pads[k] = (before, after)` applies to dimension `ndim - pads.len() + k`.
    ///
    /// The gradient is the interior of the output gradient, `G.unpad(pads)`.
    ///
    /// # Shapes
    /// Each padded dimension grows by `before + after`; the others are unchanged.
    ///
    /// # Errors
    /// As [`Tensor::pad`]: more pairs than dimensions, or a padded shape that overflows.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0], [2])?);
    /// let y = x.pad(&[(1, 2)], 0.0)?;
    /// assert_eq!(y.value().to_vec(), vec![0.0, 1.0, 2.0, 0.0, 0.0]);
    /// y.backward_with(&Tensor::arange(1.0, 6.0, 1.0)?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 3.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn pad(&self, pads: &[(usize, usize)], value: T) -> Result<Var<T>> {
        let out = self.value().pad(pads, value)?;
        let pads = pads.to_vec();
        Var::record("pad", &[self], out, move |g| {
            Ok(vec![Some(g.unpad(&pads)?)])
        })
    }

    /// [`Tensor::unpad`], differentiable: removes `before` leading and `after` trailing
    /// entries of the trailing dimensions, laid out as in [`pad`](Var::pad).
    ///
    /// The gradient is the output gradient padded back with zeros, `G.pad(pads, 0)`.
    ///
    /// # Shapes
    /// Each unpadded dimension shrinks by `before + after`; the others are unchanged.
    ///
    /// # Errors
    /// As [`Tensor::unpad`]: more pairs than dimensions, or a dimension smaller than
    /// `before + after`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::arange(0.0, 4.0, 1.0)?);
    /// let y = x.unpad(&[(1, 1)])?;
    /// assert_eq!(y.value().to_vec(), vec![1.0, 2.0]);
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 1.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn unpad(&self, pads: &[(usize, usize)]) -> Result<Var<T>> {
        let out = self.value().unpad(pads)?;
        let pads = pads.to_vec();
        Var::record("unpad", &[self], out, move |g| {
            Ok(vec![Some(g.pad(&pads, T::zero())?)])
        })
    }

    /// [`Tensor::repeat`], differentiable: tiles the value `reps[d]` times along each
    /// dimension (`torch.Tensor.repeat`); extra leading entries of `reps` add dimensions.
    ///
    /// The gradient sums the output gradient over the tiles: viewed as
    /// `[r0, s0, r1, s1, ..]`, it is summed over the `r` axes.
    ///
    /// # Shapes
    /// With `self` viewed as `[1, .., 1, s0, .., sk]` of rank `reps.len()`, the result has
    /// shape `[reps[0] * 1, .., reps[i] * s(i)]`.
    ///
    /// # Errors
    /// As [`Tensor::repeat`]: fewer repeats than dimensions, or a result too large.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0], [2])?);
    /// let y = x.repeat(&[2, 3])?;
    /// assert_eq!(y.shape(), &[2, 6]);
    /// y.backward_with(&Tensor::arange(0.0, 12.0, 1.0)?.reshape(&[2, 6])?)?;
    /// // x[0] feeds 0, 2, 4, 6, 8, 10; x[1] feeds 1, 3, 5, 7, 9, 11.
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![30.0, 36.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn repeat(&self, reps: &[usize]) -> Result<Var<T>> {
        let out = self.value().repeat(reps)?;
        let shape = self.shape().to_vec();
        // `self` viewed at rank `reps.len()`, then the gradient's tiled view and its target.
        let mut src = vec![1usize; reps.len() - shape.len()];
        src.extend_from_slice(&shape);
        let tiled: Vec<usize> = reps.iter().zip(&src).flat_map(|(&r, &s)| [r, s]).collect();
        let target: Vec<usize> = src.iter().flat_map(|&s| [1, s]).collect();
        Var::record("repeat", &[self], out, move |g| {
            let summed = reduce_to_shape(g.reshape_exact(&tiled)?, &target)?;
            Ok(vec![Some(summed.reshape_exact(&shape)?)])
        })
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

    fn check(f: impl Fn(&[Var<f64>]) -> crate::Result<Var<f64>>, xs: &[&Tensor<f64>]) {
        let xs: Vec<Tensor<f64>> = xs.iter().map(|&x| x.clone()).collect();
        gradcheck(|_g, x| f(x), &xs, GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn joins_gradcheck() {
        let (a, b, c) = (t(&[2, 1, 3], 1), t(&[2, 4, 3], 2), t(&[2, 0, 3], 3));
        check(
            |x| Var::concat(&[&x[0], &x[1], &x[2], &x[0]], 1),
            &[&a, &b, &c],
        );
        let d = t(&[2, 1, 3], 4);
        check(|x| Var::stack(&[&x[0], &x[1], &x[0]], 2), &[&a, &d]);
        check(|x| Var::stack(&[&x[0]], 0), &[&a]);
    }

    #[test]
    fn splits_gradcheck() {
        let x = t(&[3, 7], 5);
        // Recombine the pieces in another order so every slot's gradient is checked.
        let rejoin = |parts: Vec<Var<f64>>| {
            let rev: Vec<&Var<f64>> = parts.iter().rev().collect();
            Var::concat(&rev, 1)
        };
        check(|x| rejoin(x[0].split(3, 1)?), &[&x]);
        check(|x| rejoin(x[0].split_sizes(&[2, 0, 5], -1)?), &[&x]);
        check(|x| rejoin(x[0].chunk(4, 1)?), &[&x]);
        // An unused piece: its slot gets no gradient.
        check(|x| Ok(x[0].chunk(3, 0)?.swap_remove(1)), &[&x]);
    }

    #[test]
    fn pad_unpad_repeat_gradcheck() {
        let x = t(&[2, 3, 2], 6);
        check(|x| x[0].pad(&[(1, 0), (2, 1)], 0.7), &[&x]);
        check(|x| x[0].pad(&[], 0.7), &[&x]);
        check(|x| x[0].unpad(&[(1, 1), (0, 1)]), &[&x]);
        check(|x| x[0].repeat(&[2, 1, 3, 2]), &[&x]);
        check(|x| x[0].repeat(&[1, 0, 2]), &[&x]);
        check(|x| x[0].repeat(&[3]), &[&t(&[], 7)]);
    }

    #[test]
    fn pieces_accumulate_in_the_input() {
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[4], 8));
        let parts = x.split(1, 0).unwrap();
        for p in &parts {
            p.backward_retain(Some(&Tensor::ones([1]))).unwrap();
        }
        assert_eq!(x.grad().unwrap().to_vec(), vec![1.0; 4]);
        assert_eq!(g.len(), 5);
    }

    #[test]
    fn errors_name_the_operation() {
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[2, 3], 9));
        let y = g.leaf(t(&[3, 3], 10));
        let cases = [
            (Var::concat(&[&x, &y], 1).unwrap_err(), "concat"),
            (Var::<f64>::concat(&[], 0).unwrap_err(), "concat"),
            (Var::stack(&[&x, &y], 0).unwrap_err(), "stack"),
            (x.split(0, 0).unwrap_err(), "split"),
            (x.split_sizes(&[1, 1], 1).unwrap_err(), "split_sizes"),
            (x.chunk(2, 2).unwrap_err(), "chunk"),
            (x.pad(&[(0, 0); 3], 0.0).unwrap_err(), "pad"),
            (x.unpad(&[(2, 2)]).unwrap_err(), "unpad"),
            (x.repeat(&[2]).unwrap_err(), "repeat"),
        ];
        for (e, op) in cases {
            assert!(matches!(e, AutogradError::Tensor(_)), "{e:?}");
            assert!(e.to_string().starts_with(&format!("{op}: ")), "{e}");
        }
        assert_eq!(g.len(), 2, "failed operations record nothing");
    }
}
