//! Differentiable indexing: `slice`, `narrow`, `select`, `index_select`, `gather`,
//! `scatter_add` and `masked_fill`.
//!
//! Each forward picks (or overwrites) elements of its input, so each backward is the adjoint
//! linear map applied to the output gradient `G`, computed with the tensor crate's adjoint
//! kernels:
//!
//! - **`slice` / `narrow` / `select`** (`Y = X[.., s:e:k, ..]`): `dL/dX` is zero except at the
//!   selected positions, which receive `G`. With step 1 (and for `narrow`, and `select` after
//!   re-inserting the removed axis) this is [`Tensor::pad`] of `G` with zeros along the axis,
//!   `(s, size - e)`; with a larger step it is [`Tensor::index_add`] of `G` into zeros at the
//!   positions `s, s + k, ..`, which are distinct, so nothing accumulates.
//! - **`index_select`** (`Y[.., j, ..] = X[.., i_j, ..]`): `dL/dX[.., i, ..] = Σ_{j: i_j = i}
//!   G[.., j, ..]`, i.e. [`Tensor::index_add`] of `G` into zeros; repeated indices accumulate.
//! - **`gather`** along axis `a` (`Y[p] = X[p with p_a replaced by I[p]]`): every position `p` of
//!   the index sends `G[p]` back to the element it read, so `dL/dX` is
//!   [`Tensor::scatter_add`] of `G` into zeros at `I`; repeated targets accumulate.
//! - **`scatter_add`** (`Y = X + scatter(I, S)`): `dL/dX = G`, and `dL/dS[p] = G[p with p_a
//!   replaced by I[p]]` for the positions `p` the index covers, i.e. `G.gather(a, I)`, padded
//!   with zeros to the shape of `S` when `S` is larger than the index (those elements are not
//!   read).
//! - **`masked_fill`** (`Y = X` where the mask is zero, the constant elsewhere): `dL/dX = G`
//!   with zeros where the mask is set, i.e. `G.masked_fill(mask, 0)`. The mask gets no
//!   gradient.
//!
//! Index arguments (`&[usize]`, [`Indices`]) are plain integers, not [`Var`]s: they are not
//! differentiable.

use youshi_tensor::{normalize_axis, Element, Indices, Tensor};

use crate::error::Result;
use crate::graph::Var;

/// `g` padded with zeros along the resolved `axis`: `before` entries in front, `after` behind.
/// This writes `g` into its slot of a zero tensor, the adjoint of taking a window of `axis`.
pub(crate) fn pad_axis<T: Element>(
    g: &Tensor<T>,
    axis: usize,
    before: usize,
    after: usize,
) -> Result<Tensor<T>> {
    // `pad` takes pairs for the trailing dimensions, so pass one pair for `axis` and no
    // padding for the dimensions after it.
    let mut pads = vec![(0, 0); g.ndim() - axis];
    pads[0] = (before, after);
    Ok(g.pad(&pads, T::zero())?)
}

impl<T: Element> Var<T> {
    /// [`Tensor::slice`], differentiable: the view `x[..., start:end:step, ...]` along `axis`,
    /// with Python's clamping.
    ///
    /// The gradient is zero outside the slice and the output gradient inside: `G` padded
    /// with zeros along `axis` for `step == 1`, an `index_add` into zeros otherwise.
    ///
    /// # Shapes
    /// The extent of `axis` becomes `ceil((min(end, size) - start) / step)` (0 if negative);
    /// the other dimensions are unchanged.
    ///
    /// # Errors
    /// As [`Tensor::slice`]: an axis out of range or a zero step, as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::arange(0.0, 5.0, 1.0)?);
    /// let y = x.slice(0, 1, 5, 2)?; // x[1::2]
    /// assert_eq!(y.value().to_vec(), vec![1.0, 3.0]);
    /// y.backward_with(&Tensor::from_vec(vec![10.0, 20.0], [2])?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 10.0, 0.0, 20.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn slice(&self, axis: isize, start: usize, end: usize, step: usize) -> Result<Var<T>> {
        let value = self.value().slice(axis, start, end, step)?;
        let a = normalize_axis("slice", axis, self.value().ndim())?;
        let shape = self.shape().to_vec();
        // The clamping of `Tensor::slice`, so the backward writes where the forward read.
        let size = shape[a];
        let start = start.min(size);
        let end = end.clamp(start, size);
        let step = step.min(size.max(1));
        Var::record("slice", &[self], value, move |g| {
            let grad = if step == 1 {
                pad_axis(g, a, start, size - end)?
            } else {
                let rows: Vec<usize> = (start..end).step_by(step).collect();
                Tensor::zeros(shape.as_slice()).index_add(a as isize, &rows, g)?
            };
            Ok(vec![Some(grad)])
        })
    }

    /// [`Tensor::narrow`], differentiable: `len` consecutive entries of `axis` from `start`.
    ///
    /// The gradient is the output gradient padded with zeros along `axis`:
    /// `(start, size - start - len)`.
    ///
    /// # Shapes
    /// The extent of `axis` becomes `len`.
    ///
    /// # Errors
    /// As [`Tensor::narrow`]: an axis out of range, or `start + len` past the size of `axis`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::arange(0.0, 4.0, 1.0)?);
    /// let y = x.narrow(0, 1, 2)?;
    /// assert_eq!(y.value().to_vec(), vec![1.0, 2.0]);
    /// y.backward_with(&Tensor::ones([2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 1.0, 0.0]);
    /// assert!(x.narrow(0, 3, 2).is_err());
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn narrow(&self, axis: isize, start: usize, len: usize) -> Result<Var<T>> {
        let value = self.value().narrow(axis, start, len)?;
        let a = normalize_axis("narrow", axis, self.value().ndim())?;
        let after = self.shape()[a] - start - len;
        Var::record("narrow", &[self], value, move |g| {
            Ok(vec![Some(pad_axis(g, a, start, after)?)])
        })
    }

    /// [`Tensor::select`], differentiable: position `index` of `axis`, with the axis removed.
    ///
    /// The gradient re-inserts the axis into the output gradient and pads it with zeros:
    /// `(index, size - index - 1)`.
    ///
    /// # Shapes
    /// `[d0, .., d(axis), .., dn]` gives `[d0, .., dn]` without `d(axis)`.
    ///
    /// # Errors
    /// As [`Tensor::select`]: an axis out of range, or `index` not below its size.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::arange(0.0, 6.0, 1.0)?.reshape(&[2, 3])?);
    /// let y = x.select(1, 2)?; // x[:, 2]
    /// assert_eq!(y.value().to_vec(), vec![2.0, 5.0]);
    /// y.backward_with(&Tensor::from_vec(vec![1.0, 2.0], [2])?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0, 1.0, 0.0, 0.0, 2.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn select(&self, axis: isize, index: usize) -> Result<Var<T>> {
        let value = self.value().select(axis, index)?;
        let a = normalize_axis("select", axis, self.value().ndim())?;
        let after = self.shape()[a] - index - 1;
        Var::record("select", &[self], value, move |g| {
            let g = g.unsqueeze(a as isize)?;
            Ok(vec![Some(pad_axis(&g, a, index, after)?)])
        })
    }

    /// [`Tensor::index_select`], differentiable: the entries `indices` of `axis`, in that
    /// order, repeats allowed.
    ///
    /// The gradient is [`Tensor::index_add`] of the output gradient into zeros, so an entry
    /// picked several times receives the sum of its gradients.
    ///
    /// # Shapes
    /// The extent of `axis` becomes `indices.len()`.
    ///
    /// # Errors
    /// As [`Tensor::index_select`]: an axis out of range, or an index not below its size.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0], [3])?);
    /// let y = x.index_select(0, &[2, 0, 2])?;
    /// assert_eq!(y.value().to_vec(), vec![3.0, 1.0, 3.0]);
    /// y.backward_with(&Tensor::from_vec(vec![1.0, 10.0, 100.0], [3])?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![10.0, 0.0, 101.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn index_select(&self, axis: isize, indices: &[usize]) -> Result<Var<T>> {
        let value = self.value().index_select(axis, indices)?;
        if !self.requires_grad() {
            // Spare the copy of the indices: nothing is recorded anyway.
            return Ok(self.constant(value));
        }
        let shape = self.shape().to_vec();
        let indices = indices.to_vec();
        Var::record("index_select", &[self], value, move |g| {
            let grad = Tensor::zeros(shape.as_slice()).index_add(axis, &indices, g)?;
            Ok(vec![Some(grad)])
        })
    }

    /// [`Tensor::gather`], differentiable: values picked along `axis` by `index`
    /// (`torch.gather`).
    ///
    /// The gradient is [`Tensor::scatter_add`] of the output gradient into zeros at `index`,
    /// so an element read several times receives the sum of its gradients.
    ///
    /// # Shapes
    /// `index` has the rank of `self` and `index.shape[d] <= self.shape[d]` for every
    /// `d != axis`; the result has the shape of `index`.
    ///
    /// # Errors
    /// As [`Tensor::gather`]: an axis out of range, ranks that differ, an index too large
    /// outside `axis`, or an index value not below the size of `axis`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::{Indices, Tensor};
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2])?);
    /// let index = Indices::from_shape_vec(vec![2, 2], vec![0, 0, 1, 0]).unwrap();
    /// let y = x.gather(1, &index)?;
    /// assert_eq!(y.value().to_vec(), vec![1.0, 1.0, 4.0, 3.0]);
    /// y.backward_with(&Tensor::ones([2, 2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 0.0, 1.0, 1.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn gather(&self, axis: isize, index: &Indices) -> Result<Var<T>> {
        let value = self.value().gather(axis, index)?;
        if !self.requires_grad() {
            // Spare the copy of the index: nothing is recorded anyway.
            return Ok(self.constant(value));
        }
        let shape = self.shape().to_vec();
        let index = index.clone();
        Var::record("gather", &[self], value, move |g| {
            let grad = Tensor::zeros(shape.as_slice()).scatter_add(axis, &index, g)?;
            Ok(vec![Some(grad)])
        })
    }

    /// [`Tensor::scatter_add`], differentiable in both `self` and `src`: a copy of `self`
    /// with `src` added at the positions `index` names along `axis`.
    ///
    /// The gradient of `self` is the output gradient `G`; that of `src` is `G.gather(axis,
    /// index)` on the block the index covers and zero on the rest of `src` (never read).
    ///
    /// # Shapes
    /// `self`, `index` and `src` have the same rank; `index.shape[d] <= src.shape[d]` for all
    /// `d` and `index.shape[d] <= self.shape[d]` for `d != axis`. The result has the shape of
    /// `self`.
    ///
    /// # Errors
    /// As [`Tensor::scatter_add`], and
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::{Indices, Tensor};
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::zeros([3]));
    /// let src = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [4])?);
    /// let index = Indices::from_shape_vec(vec![3], vec![0, 2, 0]).unwrap();
    /// let y = x.scatter_add(0, &index, &src)?;
    /// assert_eq!(y.value().to_vec(), vec![4.0, 0.0, 2.0]);
    /// y.backward_with(&Tensor::from_vec(vec![1.0, 10.0, 100.0], [3])?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 10.0, 100.0]);
    /// // src[3] is not read by the index of length 3.
    /// assert_eq!(src.grad().unwrap().to_vec(), vec![1.0, 100.0, 1.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn scatter_add(&self, axis: isize, index: &Indices, src: &Var<T>) -> Result<Var<T>> {
        let value = self.value().scatter_add(axis, index, src.value())?;
        let (need_self, need_src) = (self.requires_grad(), src.requires_grad());
        // Only the gradient of `src` needs the index and the shapes.
        let src_grad = need_src.then(|| {
            let pads: Vec<(usize, usize)> = index
                .shape()
                .iter()
                .zip(src.shape())
                .map(|(&i, &s)| (0, s - i))
                .collect();
            (index.clone(), pads)
        });
        Var::record("scatter_add", &[self, src], value, move |g| {
            let gs = match &src_grad {
                Some((index, pads)) => {
                    let picked = g.gather(axis, index)?;
                    Some(if pads.iter().all(|&(_, e)| e == 0) {
                        picked
                    } else {
                        picked.pad(pads, T::zero())?
                    })
                }
                None => None,
            };
            Ok(vec![need_self.then(|| g.clone()), gs])
        })
    }

    /// [`Tensor::masked_fill`], differentiable in `self`: a copy with `value` wherever `mask`
    /// is nonzero.
    ///
    /// The gradient of `self` is the output gradient with zeros where the mask is set (those
    /// elements no longer depend on `self`); the mask gets no gradient.
    ///
    /// # Shapes
    /// `mask` broadcasts to the shape of `self`; the result has the shape of `self`.
    ///
    /// # Errors
    /// As [`Tensor::masked_fill`] (a mask that does not broadcast to `self`), and
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch).
    ///
    /// # Examples
    /// ```
    /// # use youshi_autograd::Graph;
    /// # use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2])?);
    /// let mask = g.constant(Tensor::from_vec(vec![0.0, 1.0], [2])?); // broadcast over rows
    /// let y = x.masked_fill(&mask, -1.0)?;
    /// assert_eq!(y.value().to_vec(), vec![1.0, -1.0, 3.0, -1.0]);
    /// y.backward_with(&Tensor::ones([2, 2]))?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 0.0, 1.0, 0.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn masked_fill(&self, mask: &Var<T>, value: T) -> Result<Var<T>> {
        let out = self.value().masked_fill(mask.value(), value)?;
        let need_self = self.requires_grad();
        let m = mask.value().clone();
        Var::record("masked_fill", &[self, mask], out, move |g| {
            let gx = if need_self {
                Some(g.masked_fill(&m, T::zero())?)
            } else {
                None
            };
            Ok(vec![gx, None])
        })
    }
}

#[cfg(test)]
mod tests {
    use youshi_tensor::{Indices, Tensor};
    use youshi_testkit::uniform_vec;

    use crate::{gradcheck, AutogradError, GradcheckOptions, Graph};

    fn t(shape: &[usize], seed: u64) -> Tensor<f64> {
        Tensor::from_vec(uniform_vec(shape.iter().product(), seed), shape).unwrap()
    }

    fn ix(shape: &[usize], v: Vec<usize>) -> Indices {
        Indices::from_shape_vec(shape.to_vec(), v).unwrap()
    }

    fn check(
        f: impl Fn(&[crate::Var<f64>]) -> crate::Result<crate::Var<f64>>,
        xs: &[&Tensor<f64>],
    ) {
        let xs: Vec<Tensor<f64>> = xs.iter().map(|&x| x.clone()).collect();
        gradcheck(|_g, x| f(x), &xs, GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn views_gradcheck() {
        let x = t(&[3, 5, 2], 1);
        check(|x| x[0].slice(1, 1, 4, 1), &[&x]);
        check(|x| x[0].slice(1, 0, 99, 2), &[&x]);
        check(|x| x[0].slice(-1, 1, 2, 7), &[&x]);
        check(|x| x[0].slice(0, 5, 9, 1), &[&x]);
        check(|x| x[0].narrow(1, 2, 3), &[&x]);
        check(|x| x[0].narrow(-3, 0, 0), &[&x]);
        check(|x| x[0].select(1, 4), &[&x]);
        check(|x| x[0].select(-1, 0), &[&x]);
    }

    #[test]
    fn slice_backward_writes_into_the_strided_positions() {
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[2, 7], 3));
        let y = x.slice(1, 1, 100, 3).unwrap(); // columns 1, 4
        assert_eq!(y.shape(), &[2, 2]);
        y.backward_with(&Tensor::from_vec(vec![1., 2., 3., 4.], [2, 2]).unwrap())
            .unwrap();
        assert_eq!(
            x.grad().unwrap().to_vec(),
            vec![0., 1., 0., 0., 2., 0., 0., 0., 3., 0., 0., 4., 0., 0.]
        );
    }

    #[test]
    fn index_ops_gradcheck() {
        let x = t(&[4, 3], 2);
        check(|x| x[0].index_select(0, &[3, 0, 3, 3]), &[&x]);
        check(|x| x[0].index_select(-1, &[]), &[&x]);
        let i = ix(&[2, 5], vec![0, 2, 2, 1, 0, 1, 1, 1, 0, 2]);
        check(|x| x[0].gather(1, &i), &[&x]);
        let i0 = ix(&[6, 2], vec![3, 0, 3, 3, 1, 2, 0, 0, 2, 1, 1, 3]);
        check(|x| x[0].gather(0, &i0), &[&x]);
        // src larger than the index: the unread block gets a zero gradient.
        let src = t(&[3, 4], 4);
        let i = ix(&[2, 2], vec![2, 2, 0, 1]);
        check(|x| x[0].scatter_add(1, &i, &x[1]), &[&x, &src]);
        let mask = Tensor::from_vec(vec![1.0, 0.0, 1.0], [3]).unwrap();
        check(
            |x| x[0].masked_fill(&x[0].constant(mask.clone()), 0.5),
            &[&x],
        );
    }

    #[test]
    fn scatter_add_gradients_only_where_needed() {
        let g = Graph::<f64>::new();
        let x = g.constant(Tensor::zeros([2, 3]));
        let src = g.leaf(t(&[2, 2], 5));
        let i = ix(&[2, 2], vec![2, 0, 1, 1]);
        let y = x.scatter_add(1, &i, &src).unwrap();
        y.backward_with(&Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], [2, 3]).unwrap())
            .unwrap();
        assert_eq!(src.grad().unwrap().to_vec(), vec![3., 1., 5., 5.]);
    }

    #[test]
    fn mask_that_requires_grad_gets_none() {
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[2, 2], 6));
        let m = g.leaf(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]).unwrap());
        let y = x.masked_fill(&m, 3.0).unwrap();
        y.backward_with(&Tensor::ones([2, 2])).unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0., 1., 1., 0.]);
        assert!(m.grad().is_none());
    }

    #[test]
    fn errors_name_the_operation() {
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[2, 3], 7));
        let cases = [
            (x.slice(1, 0, 3, 0).unwrap_err(), "slice"),
            (x.narrow(1, 2, 2).unwrap_err(), "narrow"),
            (x.select(0, 2).unwrap_err(), "select"),
            (x.index_select(1, &[3]).unwrap_err(), "index_select"),
            (x.gather(1, &ix(&[2], vec![0, 0])).unwrap_err(), "gather"),
            (
                x.scatter_add(0, &ix(&[1, 1], vec![5]), &x).unwrap_err(),
                "scatter_add",
            ),
            (
                x.masked_fill(&x.constant(Tensor::zeros([2])), 0.0)
                    .unwrap_err(),
                "masked_fill",
            ),
        ];
        for (e, op) in cases {
            assert!(matches!(e, AutogradError::Tensor(_)), "{e:?}");
            assert!(e.to_string().starts_with(&format!("{op}: ")), "{e}");
        }
        assert_eq!(g.len(), 1, "failed operations record nothing");
    }
}
