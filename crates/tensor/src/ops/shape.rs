//! Views that change the shape without touching the data: reshape, permute, transpose,
//! squeeze, unsqueeze, broadcast_to / expand and flatten.

use ndarray::{Axis, IxDyn};

use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::shape::{broadcast_shapes, normalize_axis, Shape};
use crate::tensor::Tensor;

fn show_dims(d: &[isize]) -> String {
    let parts: Vec<String> = d.iter().map(|v| v.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

impl<T: Element> Tensor<T> {
    /// Gives the same elements in a new shape; one dimension may be `-1` and is inferred.
    ///
    /// A contiguous tensor is reshaped as a view (no copy); a non-contiguous one is copied
    /// first, like `torch.reshape`.
    ///
    /// # Errors
    /// [`TensorError::Reshape`] if the element counts differ, more than one dimension is `-1`,
    /// or a dimension is below `-1`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let t = Tensor::<f32>::arange(0.0, 6.0, 1.0)?.reshape(&[2, -1])?;
    /// assert_eq!(t.shape(), &[2, 3]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn reshape(&self, shape: &[isize]) -> Result<Self> {
        let err = || TensorError::Reshape {
            op: "reshape",
            from: self.shape_obj(),
            to: show_dims(shape),
        };
        let mut infer = None;
        let mut known = 1usize;
        let mut dims = Vec::with_capacity(shape.len());
        for (i, &d) in shape.iter().enumerate() {
            if d == -1 {
                if infer.replace(i).is_some() {
                    return Err(err());
                }
                dims.push(0);
            } else if d < 0 {
                return Err(err());
            } else {
                known = known.checked_mul(d as usize).ok_or_else(err)?;
                dims.push(d as usize);
            }
        }
        let numel = self.numel();
        if let Some(i) = infer {
            if known == 0 || numel % known != 0 {
                return Err(err());
            }
            dims[i] = numel / known;
        } else if known != numel {
            return Err(err());
        }
        self.reshape_exact(&dims)
    }

    /// [`reshape`](Tensor::reshape) with every dimension given (no inference).
    ///
    /// # Errors
    /// [`TensorError::Reshape`] if the element counts differ.
    pub fn reshape_exact(&self, dims: &[usize]) -> Result<Self> {
        if dims.iter().product::<usize>() != self.numel() {
            return Err(TensorError::Reshape {
                op: "reshape",
                from: self.shape_obj(),
                to: Shape::from(dims).to_string(),
            });
        }
        let base = if self.is_contiguous() {
            self.data.clone()
        } else {
            self.contiguous().data
        };
        let out = base
            .into_shape_with_order(IxDyn(dims))
            .expect("reshape: contiguous data with a matching count always reshapes");
        Ok(Tensor { data: out })
    }

    /// Reorders the dimensions (a view): output dimension `i` is input dimension `dims[i]`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] unless `dims` is a permutation of `0..ndim` (negative
    /// values count from the end).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let t = Tensor::<f32>::zeros([2, 3, 4]).permute(&[2, 0, 1])?;
    /// assert_eq!(t.shape(), &[4, 2, 3]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn permute(&self, dims: &[isize]) -> Result<Self> {
        let n = self.ndim();
        let bad = || {
            TensorError::invalid(
                "permute",
                format!(
                    "{} is not a permutation of the {} dimensions of {}",
                    show_dims(dims),
                    n,
                    self.shape_obj()
                ),
            )
        };
        if dims.len() != n {
            return Err(bad());
        }
        let mut axes = Vec::with_capacity(n);
        for &d in dims {
            let a = normalize_axis("permute", d, n)?;
            if axes.contains(&a) {
                return Err(bad());
            }
            axes.push(a);
        }
        Ok(Tensor {
            data: self.data.clone().permuted_axes(IxDyn(&axes)),
        })
    }

    /// Swaps two dimensions (a view), like `torch.transpose`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if either axis is out of range.
    pub fn transpose(&self, a: isize, b: isize) -> Result<Self> {
        let n = self.ndim();
        let a = normalize_axis("transpose", a, n)?;
        let b = normalize_axis("transpose", b, n)?;
        let mut data = self.data.clone();
        data.swap_axes(a, b);
        Ok(Tensor { data })
    }

    /// The transpose of a matrix: `transpose(-2, -1)` for rank ≥ 2.
    ///
    /// # Errors
    /// [`TensorError::Rank`] for a tensor of rank below 2.
    pub fn t(&self) -> Result<Self> {
        if self.ndim() < 2 {
            return Err(TensorError::rank("t", "rank >= 2", self.shape()));
        }
        self.transpose(-2, -1)
    }

    /// Inserts a dimension of size 1 at `axis` (in `-(ndim+1)..=ndim`), a view.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range.
    pub fn unsqueeze(&self, axis: isize) -> Result<Self> {
        let a = normalize_axis("unsqueeze", axis, self.ndim() + 1)?;
        Ok(Tensor {
            data: self.data.clone().insert_axis(Axis(a)),
        })
    }

    /// Removes dimension `axis` if it has size 1 (returns the tensor unchanged otherwise, like
    /// `torch.squeeze(dim)`); a view.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if `axis` is out of range.
    pub fn squeeze(&self, axis: isize) -> Result<Self> {
        let a = normalize_axis("squeeze", axis, self.ndim())?;
        if self.shape()[a] != 1 {
            return Ok(self.clone());
        }
        Ok(Tensor {
            data: self.data.clone().index_axis_move(Axis(a), 0),
        })
    }

    /// Removes every dimension of size 1; a view.
    pub fn squeeze_all(&self) -> Self {
        let mut data = self.data.clone();
        for a in (0..self.ndim()).rev() {
            if data.shape()[a] == 1 {
                data = data.index_axis_move(Axis(a), 0);
            }
        }
        Tensor { data }
    }

    /// Broadcasts to `shape` under NumPy's rules, as a view with zero strides (no copy).
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shape cannot be reached.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0], [2, 1])?.broadcast_to([2, 3])?;
    /// assert_eq!(t.to_vec(), vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn broadcast_to(&self, shape: impl Into<Shape>) -> Result<Self> {
        let shape = shape.into();
        let target = broadcast_shapes("broadcast_to", self.shape(), shape.dims())?;
        if target != shape.dims() {
            return Err(TensorError::Broadcast {
                op: "broadcast_to",
                lhs: self.shape_obj(),
                rhs: shape,
            });
        }
        let view =
            self.data
                .broadcast(IxDyn(shape.dims()))
                .ok_or_else(|| TensorError::Broadcast {
                    op: "broadcast_to",
                    lhs: self.shape_obj(),
                    rhs: shape.clone(),
                })?;
        // A broadcast view borrows; ArcArray cannot hold zero strides itself, so the result is
        // materialised. Callers that only read should use `view().broadcast(..)` directly.
        Ok(Tensor::from_array(view.to_owned()))
    }

    /// Like `torch.Tensor.expand`: [`broadcast_to`](Tensor::broadcast_to) where `-1` keeps a
    /// dimension's size.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shape cannot be reached,
    /// [`TensorError::InvalidArgument`] for a `-1` in a new leading dimension.
    pub fn expand(&self, shape: &[isize]) -> Result<Self> {
        let n = shape.len();
        if n < self.ndim() {
            return Err(TensorError::Broadcast {
                op: "expand",
                lhs: self.shape_obj(),
                rhs: Shape(shape.iter().map(|&d| d.max(0) as usize).collect()),
            });
        }
        let lead = n - self.ndim();
        let mut dims = Vec::with_capacity(n);
        for (i, &d) in shape.iter().enumerate() {
            if d == -1 {
                if i < lead {
                    return Err(TensorError::invalid(
                        "expand",
                        format!(
                            "-1 is not allowed for new leading dimension {i} of {}",
                            show_dims(shape)
                        ),
                    ));
                }
                dims.push(self.shape()[i - lead]);
            } else if d < 0 {
                return Err(TensorError::invalid(
                    "expand",
                    format!("negative size in {}", show_dims(shape)),
                ));
            } else {
                dims.push(d as usize);
            }
        }
        self.broadcast_to(dims)
    }

    /// Flattens dimensions `start..=end` into one, like `torch.flatten(start_dim, end_dim)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidAxis`] if an axis is out of range,
    /// [`TensorError::InvalidArgument`] if `start > end`.
    pub fn flatten(&self, start: isize, end: isize) -> Result<Self> {
        if self.ndim() == 0 {
            return self.reshape_exact(&[1]);
        }
        let s = normalize_axis("flatten", start, self.ndim())?;
        let e = normalize_axis("flatten", end, self.ndim())?;
        if s > e {
            return Err(TensorError::invalid(
                "flatten",
                format!("start dimension {start} comes after end dimension {end}"),
            ));
        }
        let sh = self.shape();
        let mut dims: Vec<usize> = sh[..s].to_vec();
        dims.push(sh[s..=e].iter().product());
        dims.extend_from_slice(&sh[e + 1..]);
        self.reshape_exact(&dims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(shape: &[usize]) -> Tensor<f64> {
        let n: usize = shape.iter().product();
        Tensor::from_vec((0..n).map(|v| v as f64).collect(), shape).unwrap()
    }

    #[test]
    fn reshape_of_contiguous_is_a_view() {
        let t = range(&[2, 3]);
        let r = t.reshape(&[3, -1]).unwrap();
        assert_eq!(r.shape(), &[3, 2]);
        assert_eq!(r.array().as_ptr(), t.array().as_ptr());
    }

    #[test]
    fn reshape_errors_name_shapes() {
        let t = range(&[2, 3]);
        let e = t.reshape(&[4, -1]).unwrap_err();
        assert_eq!(e.to_string(), "reshape: cannot reshape [2, 3] into [4, -1]");
        assert!(t.reshape(&[-1, -1]).is_err());
        assert!(t.reshape(&[5]).is_err());
        assert!(t.reshape(&[-2, 3]).is_err());
    }

    #[test]
    fn transpose_then_reshape_copies_in_logical_order() {
        let t = range(&[2, 3]).t().unwrap();
        assert!(!t.is_contiguous());
        assert_eq!(t.to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        let r = t.reshape(&[6]).unwrap();
        assert_eq!(r.to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    }

    #[test]
    fn permute_is_a_view_and_validates() {
        let t = range(&[2, 3, 4]);
        let p = t.permute(&[2, 0, 1]).unwrap();
        assert_eq!(p.shape(), &[4, 2, 3]);
        assert_eq!(p.array().as_ptr(), t.array().as_ptr());
        assert_eq!(p.get(&[3, 1, 2]).unwrap(), t.get(&[1, 2, 3]).unwrap());
        let e = t.permute(&[0, 0, 1]).unwrap_err();
        assert!(e.to_string().contains("[0, 0, 1] is not a permutation"));
        assert!(t.permute(&[0, 1]).is_err());
    }

    #[test]
    fn squeeze_unsqueeze() {
        let t = range(&[2, 1, 3]);
        assert_eq!(t.squeeze(1).unwrap().shape(), &[2, 3]);
        assert_eq!(t.squeeze(0).unwrap().shape(), &[2, 1, 3]);
        assert_eq!(t.unsqueeze(-1).unwrap().shape(), &[2, 1, 3, 1]);
        assert_eq!(t.unsqueeze(0).unwrap().shape(), &[1, 2, 1, 3]);
        assert!(t.unsqueeze(5).is_err());
        assert_eq!(range(&[1, 1]).squeeze_all().shape(), &[] as &[usize]);
    }

    #[test]
    fn broadcast_and_expand() {
        let t = range(&[3, 1]);
        let b = t.expand(&[2, -1, 4]).unwrap();
        assert_eq!(b.shape(), &[2, 3, 4]);
        assert_eq!(b.get(&[1, 2, 3]).unwrap(), 2.0);
        let e = t.broadcast_to([3, 2, 2]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "broadcast_to: shapes [3, 1] and [3, 2, 2] cannot be broadcast together"
        );
        assert!(t.broadcast_to([4, 1]).is_err());
        assert!(t.expand(&[-1, 3, 4]).is_err());
    }

    #[test]
    fn flatten_ranges() {
        let t = range(&[2, 3, 4, 5]);
        assert_eq!(t.flatten(1, -1).unwrap().shape(), &[2, 60]);
        assert_eq!(t.flatten(0, 1).unwrap().shape(), &[6, 4, 5]);
        assert!(t.flatten(2, 1).is_err());
    }
}
