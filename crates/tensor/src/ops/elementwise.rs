//! Elementwise arithmetic with NumPy broadcasting: binary ops, comparisons (0/1 masks),
//! `where_cond`, scalar forms, unary math and in-place updates for optimisers.
//!
//! Binary ops broadcast like NumPy and PyTorch: shapes are aligned on the right and each pair
//! of dimensions must be equal or one of them 1, so `[4, 1, 3] + [2, 1]` gives `[4, 2, 3]`.
//!
//! # Performance
//! Equal-shaped row-major operands run as one slice loop; broadcasts of row-major operands run
//! a kernel that merges dimensions so its inner loop is a slice against a slice or against a
//! repeated value; dense transposed or permuted operands are processed in memory order and the
//! result keeps their layout (as PyTorch does); other strided operands go through ndarray's
//! `Zip`. Large tensors are split over the kernel pool (see [`crate::set_num_threads`]).

mod kernel;
mod unary;

use ndarray::{ArrayD, IxDyn};

use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;

use kernel::{
    from_row_major, map_view, map_view_chunks, zip3_slices, zip3_views, zip_same_shape, zip_views,
    BroadcastPlan,
};
pub(crate) use kernel::{PAR_MIN_CHEAP, PAR_MIN_COSTLY};

/// 1 where `b` holds, 0 elsewhere.
#[inline]
fn mask<T: Element>(b: bool) -> T {
    if b {
        T::one()
    } else {
        T::zero()
    }
}

/// `max` that propagates NaN from either side, like `torch.maximum`.
#[inline]
fn nan_max<T: Element>(a: T, b: T) -> T {
    if a > b || a.is_nan() {
        a
    } else {
        b
    }
}

/// `min` that propagates NaN from either side, like `torch.minimum`.
#[inline]
fn nan_min<T: Element>(a: T, b: T) -> T {
    if a < b || a.is_nan() {
        a
    } else {
        b
    }
}

impl<T: Element> Tensor<T> {
    /// Applies `f` to each pair of elements of `self` and `rhs` broadcast together: the engine
    /// behind every binary op, public so that autograd and user code can build their own.
    ///
    /// `op` names the operation in errors. `f` must be pure: it may run on several threads
    /// and in any order.
    ///
    /// # Shapes
    /// `self` `[..a]` and `rhs` `[..b]` give `broadcast_shapes(a, b)` (NumPy rules).
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] naming `op` and both shapes if they cannot be broadcast.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3, 1])?;
    /// let b = Tensor::from_vec(vec![10.0f32, 20.0], [2])?;
    /// let hyp = a.zip_map(&b, "hypot", |x, y| x.hypot(y))?;
    /// assert_eq!(hyp.shape(), &[3, 2]);
    /// assert!(a.zip_map(&Tensor::zeros([2, 2]), "hypot", |x, _| x).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn zip_map(
        &self,
        rhs: &Self,
        op: &'static str,
        f: impl Fn(T, T) -> T + Sync + Send,
    ) -> Result<Self> {
        self.zip_map_with(rhs, op, PAR_MIN_CHEAP, f)
    }

    /// [`zip_map`](Tensor::zip_map) with the element count above which the work goes parallel.
    pub(crate) fn zip_map_with<F: Fn(T, T) -> T + Sync + Send>(
        &self,
        rhs: &Self,
        op: &'static str,
        min_par: usize,
        f: F,
    ) -> Result<Self> {
        let (a, b) = (self.view(), rhs.view());
        if a.shape() == b.shape() {
            return Ok(Tensor::from_array(zip_same_shape(a, b, min_par, &f)));
        }
        let shape = broadcast_shapes(op, a.shape(), b.shape())?;
        let numel: usize = shape.iter().product();
        if numel == 0 {
            return Ok(Tensor::from_array(ArrayD::zeros(IxDyn(&shape))));
        }
        if let (Some(x), Some(y)) = (a.to_slice(), b.to_slice()) {
            let plan = BroadcastPlan::new(a.shape(), b.shape(), &shape);
            let out = plan.run(x, y, numel, min_par, &f);
            return Ok(Tensor::from_array(from_row_major(&shape, out)));
        }
        let err = || TensorError::Broadcast {
            op,
            lhs: self.shape_obj(),
            rhs: rhs.shape_obj(),
        };
        let av = a.broadcast(IxDyn(&shape)).ok_or_else(err)?;
        let bv = b.broadcast(IxDyn(&shape)).ok_or_else(err)?;
        Ok(Tensor::from_array(zip_views(av, bv, min_par, &f)))
    }

    /// Applies `f` to every element, like [`map`](Tensor::map) but on the kernel pool for
    /// large tensors; a dense transposed input keeps its memory layout.
    ///
    /// `f` must be pure: it may run on several threads and in any order.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f64, -2.0], [2])?;
    /// assert_eq!(t.map_par(|x| 3.0 * x).to_vec(), vec![3.0, -6.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn map_par(&self, f: impl Fn(T) -> T + Sync + Send) -> Self {
        self.map_with(PAR_MIN_CHEAP, f)
    }

    /// [`map_par`](Tensor::map_par) with the element count above which the work goes parallel.
    pub(crate) fn map_with<F: Fn(T) -> T + Sync + Send>(&self, min_par: usize, f: F) -> Self {
        Tensor::from_array(map_view(self.view(), min_par, &f))
    }

    /// Like [`map_with`](Tensor::map_with) for a slice kernel `f(src, dst)` that writes
    /// `dst[i]` from `src[i]` (the slices have equal lengths; they are chunks of the tensor
    /// when the work goes parallel).
    pub(crate) fn map_chunks_with<F: Fn(&[T], &mut [T]) + Sync>(
        &self,
        min_par: usize,
        f: F,
    ) -> Self {
        Tensor::from_array(map_view_chunks(self.view(), min_par, &f))
    }

    /// Elementwise sum with broadcasting, like `torch.add`.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [2, 2])?;
    /// let bias = Tensor::from_vec(vec![10.0f32, 20.0], [2])?;
    /// assert_eq!(x.add(&bias)?.to_vec(), vec![11.0, 22.0, 13.0, 24.0]);
    /// let err = x.add(&Tensor::zeros([3])).unwrap_err();
    /// assert_eq!(err.to_string(), "add: shapes [2, 2] and [3] cannot be broadcast together");
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn add(&self, rhs: &Self) -> Result<Self> {
        self.zip_map(rhs, "add", |x, y| x + y)
    }

    /// Elementwise difference `self - rhs` with broadcasting, like `torch.sub`.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![5.0f32, 7.0], [2, 1])?;
    /// let y = Tensor::from_vec(vec![1.0f32, 2.0], [2])?;
    /// assert_eq!(x.sub(&y)?.to_vec(), vec![4.0, 3.0, 6.0, 5.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn sub(&self, rhs: &Self) -> Result<Self> {
        self.zip_map(rhs, "sub", |x, y| x - y)
    }

    /// Elementwise product with broadcasting, like `torch.mul`.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], [3])?;
    /// assert_eq!(x.mul(&Tensor::scalar(2.0))?.to_vec(), vec![2.0, 4.0, 6.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn mul(&self, rhs: &Self) -> Result<Self> {
        self.zip_map(rhs, "mul", |x, y| x * y)
    }

    /// Elementwise true division with broadcasting, like `torch.div` (IEEE: `x / 0` is ±inf
    /// or NaN, not an error).
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, -1.0], [2])?;
    /// let y = Tensor::from_vec(vec![4.0f32, 0.0], [2])?;
    /// assert_eq!(x.div(&y)?.to_vec(), vec![0.25, f32::NEG_INFINITY]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn div(&self, rhs: &Self) -> Result<Self> {
        self.zip_map(rhs, "div", |x, y| x / y)
    }

    /// Elementwise power `self ^ rhs` with broadcasting, like `torch.pow` (a negative base
    /// with a non-integer exponent gives NaN).
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![2.0f64, 9.0], [2])?;
    /// let e = Tensor::from_vec(vec![3.0f64, 0.5], [2])?;
    /// assert_eq!(x.pow(&e)?.to_vec(), vec![8.0, 3.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn pow(&self, rhs: &Self) -> Result<Self> {
        self.zip_map_with(rhs, "pow", PAR_MIN_COSTLY, |x, y| x.powf(y))
    }

    /// Elementwise maximum with broadcasting, like `torch.maximum`: NaN in either operand
    /// gives NaN.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0, f32::NAN], [3])?;
    /// let m = x.maximum(&Tensor::scalar(2.0))?.to_vec();
    /// assert_eq!(&m[..2], &[2.0, 5.0]);
    /// assert!(m[2].is_nan());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn maximum(&self, rhs: &Self) -> Result<Self> {
        self.zip_map(rhs, "maximum", nan_max)
    }

    /// Elementwise minimum with broadcasting, like `torch.minimum`: NaN in either operand
    /// gives NaN.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0], [2])?;
    /// assert_eq!(x.minimum(&Tensor::scalar(2.0))?.to_vec(), vec![1.0, 2.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn minimum(&self, rhs: &Self) -> Result<Self> {
        self.zip_map(rhs, "minimum", nan_min)
    }

    /// Mask of `self == rhs` with broadcasting: 1 where equal, 0 elsewhere (`torch.eq`
    /// returns bool; masks here keep the element type).
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3])?;
    /// let y = Tensor::from_vec(vec![1.0f32, 0.0, 3.0], [3])?;
    /// assert_eq!(x.eq(&y)?.to_vec(), vec![1.0, 0.0, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn eq(&self, rhs: &Self) -> Result<Self> {
        self.zip_map(rhs, "eq", |x, y| mask(x == y))
    }

    /// Mask of `self != rhs` with broadcasting (1 where true; NaN is unequal to everything),
    /// like `torch.ne`.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, f32::NAN], [2])?;
    /// assert_eq!(x.ne(&x)?.to_vec(), vec![0.0, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn ne(&self, rhs: &Self) -> Result<Self> {
        self.zip_map(rhs, "ne", |x, y| mask(x != y))
    }

    /// Mask of `self < rhs` with broadcasting (1 where true), like `torch.lt`.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3])?;
    /// assert_eq!(x.lt(&Tensor::scalar(2.0))?.to_vec(), vec![1.0, 0.0, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn lt(&self, rhs: &Self) -> Result<Self> {
        self.zip_map(rhs, "lt", |x, y| mask(x < y))
    }

    /// Mask of `self <= rhs` with broadcasting (1 where true), like `torch.le`.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3])?;
    /// assert_eq!(x.le(&Tensor::scalar(2.0))?.to_vec(), vec![1.0, 1.0, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn le(&self, rhs: &Self) -> Result<Self> {
        self.zip_map(rhs, "le", |x, y| mask(x <= y))
    }

    /// Mask of `self > rhs` with broadcasting (1 where true), like `torch.gt`.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3])?;
    /// assert_eq!(x.gt(&Tensor::scalar(2.0))?.to_vec(), vec![0.0, 0.0, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn gt(&self, rhs: &Self) -> Result<Self> {
        self.zip_map(rhs, "gt", |x, y| mask(x > y))
    }

    /// Mask of `self >= rhs` with broadcasting (1 where true), like `torch.ge`.
    ///
    /// # Shapes
    /// `[..a]` and `[..b]` give `broadcast_shapes(a, b)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3])?;
    /// assert_eq!(x.ge(&Tensor::scalar(2.0))?.to_vec(), vec![0.0, 1.0, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn ge(&self, rhs: &Self) -> Result<Self> {
        self.zip_map(rhs, "ge", |x, y| mask(x >= y))
    }

    /// Mask of `self == v` (1 where equal, 0 elsewhere).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], [2])?;
    /// assert_eq!(x.eq_scalar(2.0).to_vec(), vec![0.0, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn eq_scalar(&self, v: T) -> Self {
        self.map_par(move |x| mask(x == v))
    }

    /// Mask of `self != v` (1 where unequal; NaN is unequal to everything).
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], [2])?;
    /// assert_eq!(x.ne_scalar(2.0).to_vec(), vec![1.0, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn ne_scalar(&self, v: T) -> Self {
        self.map_par(move |x| mask(x != v))
    }

    /// Mask of `self < v`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], [2])?;
    /// assert_eq!(x.lt_scalar(2.0).to_vec(), vec![1.0, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn lt_scalar(&self, v: T) -> Self {
        self.map_par(move |x| mask(x < v))
    }

    /// Mask of `self <= v`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0], [2])?;
    /// assert_eq!(x.le_scalar(1.0).to_vec(), vec![1.0, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn le_scalar(&self, v: T) -> Self {
        self.map_par(move |x| mask(x <= v))
    }

    /// Mask of `self > v`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0f32, 3.0], [2])?;
    /// assert_eq!(x.gt_scalar(0.0).to_vec(), vec![0.0, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn gt_scalar(&self, v: T) -> Self {
        self.map_par(move |x| mask(x > v))
    }

    /// Mask of `self >= v`.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0f32, 0.0], [2])?;
    /// assert_eq!(x.ge_scalar(0.0).to_vec(), vec![0.0, 1.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn ge_scalar(&self, v: T) -> Self {
        self.map_par(move |x| mask(x >= v))
    }

    /// Picks `x` where `cond` is non-zero and `y` elsewhere, all three broadcast together,
    /// like `torch.where(cond, x, y)` (a NaN condition counts as true, as `bool(nan)` does).
    ///
    /// # Shapes
    /// `cond [..c]`, `x [..a]`, `y [..b]` give the broadcast of `c`, `a` and `b`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] naming all three shapes if they cannot be broadcast
    /// together.
    ///
    /// # Examples
    /// ```
    /// # use youshi_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0f32, 2.0, -3.0], [3])?;
    /// let relu = Tensor::where_cond(&x.gt_scalar(0.0), &x, &Tensor::scalar(0.0))?;
    /// assert_eq!(relu.to_vec(), vec![0.0, 2.0, 0.0]);
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn where_cond(cond: &Self, x: &Self, y: &Self) -> Result<Self> {
        const OP: &str = "where_cond";
        let err = || {
            TensorError::invalid(
                OP,
                format!(
                    "shapes {} (cond), {} (x) and {} (y) cannot be broadcast together",
                    cond.shape_obj(),
                    x.shape_obj(),
                    y.shape_obj()
                ),
            )
        };
        let pick = |c: T, a: T, b: T| if c != T::zero() { a } else { b };
        let cx = broadcast_shapes(OP, cond.shape(), x.shape()).map_err(|_| err())?;
        let shape = broadcast_shapes(OP, &cx, y.shape()).map_err(|_| err())?;
        let (cv, xv, yv) = (cond.view(), x.view(), y.view());
        let same = cv.shape() == shape.as_slice()
            && xv.shape() == shape.as_slice()
            && yv.shape() == shape.as_slice();
        if same {
            if let (Some(c), Some(a), Some(b)) = (cv.to_slice(), xv.to_slice(), yv.to_slice()) {
                let out = zip3_slices(c, a, b, PAR_MIN_CHEAP, &pick);
                return Ok(Tensor::from_array(from_row_major(&shape, out)));
            }
        }
        let dim = IxDyn(&shape);
        let cb = cv.broadcast(dim.clone()).ok_or_else(err)?;
        let xb = xv.broadcast(dim.clone()).ok_or_else(err)?;
        let yb = yv.broadcast(dim).ok_or_else(err)?;
        Ok(Tensor::from_array(zip3_views(
            cb,
            xb,
            yb,
            PAR_MIN_CHEAP,
            &pick,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f64], shape: &[usize]) -> Tensor<f64> {
        Tensor::from_vec(v.to_vec(), shape).unwrap()
    }

    fn seq(shape: &[usize]) -> Tensor<f64> {
        let n: usize = shape.iter().product();
        Tensor::from_vec((0..n).map(|v| v as f64).collect(), shape).unwrap()
    }

    #[test]
    fn broadcast_4x1x3_plus_2x1() {
        let a = seq(&[4, 1, 3]);
        let b = t(&[100.0, 200.0], &[2, 1]);
        let c = a.add(&b).unwrap();
        assert_eq!(c.shape(), &[4, 2, 3]);
        for i in 0..4 {
            for j in 0..2 {
                for k in 0..3 {
                    let want = (i * 3 + k) as f64 + 100.0 * (j + 1) as f64;
                    assert_eq!(c.get(&[i, j, k]).unwrap(), want);
                }
            }
        }
        // Commutes through the other operand order too.
        assert_eq!(b.add(&a).unwrap(), c);
    }

    #[test]
    fn binary_known_values() {
        let x = t(&[1.0, -2.0, 3.0], &[3]);
        let y = t(&[2.0, 4.0, -1.0], &[3]);
        assert_eq!(x.sub(&y).unwrap().to_vec(), vec![-1.0, -6.0, 4.0]);
        assert_eq!(x.mul(&y).unwrap().to_vec(), vec![2.0, -8.0, -3.0]);
        assert_eq!(x.div(&y).unwrap().to_vec(), vec![0.5, -0.5, -3.0]);
        assert_eq!(y.pow(&x).unwrap().to_vec(), vec![2.0, 0.0625, -1.0]);
        assert_eq!(x.maximum(&y).unwrap().to_vec(), vec![2.0, 4.0, 3.0]);
        assert_eq!(x.minimum(&y).unwrap().to_vec(), vec![1.0, -2.0, -1.0]);
        let n = t(&[f64::NAN, 1.0], &[2]);
        let m = t(&[0.0, f64::NAN], &[2]);
        assert!(n.maximum(&m).unwrap().to_vec().iter().all(|v| v.is_nan()));
        assert!(n.minimum(&m).unwrap().to_vec().iter().all(|v| v.is_nan()));
    }

    #[test]
    fn every_binary_op_reports_both_shapes() {
        let a = seq(&[2, 3]);
        let b = seq(&[4]);
        type Op = fn(&Tensor<f64>, &Tensor<f64>) -> Result<Tensor<f64>>;
        let ops: [(&str, Op); 13] = [
            ("add", Tensor::add),
            ("sub", Tensor::sub),
            ("mul", Tensor::mul),
            ("div", Tensor::div),
            ("pow", Tensor::pow),
            ("maximum", Tensor::maximum),
            ("minimum", Tensor::minimum),
            ("eq", Tensor::eq),
            ("ne", Tensor::ne),
            ("lt", Tensor::lt),
            ("le", Tensor::le),
            ("gt", Tensor::gt),
            ("ge", Tensor::ge),
        ];
        for (name, op) in ops {
            let e = op(&a, &b).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("{name}: shapes [2, 3] and [4] cannot be broadcast together")
            );
            assert!(matches!(e, TensorError::Broadcast { .. }));
        }
        // Strided operands take another path but report the same error.
        let e = a.t().unwrap().add(&seq(&[3])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "add: shapes [3, 2] and [3] cannot be broadcast together"
        );
        let e = a.zip_map(&b, "custom", |x, _| x).unwrap_err();
        assert!(e.to_string().starts_with("custom: shapes [2, 3] and [4]"));
    }

    #[test]
    fn masks_and_scalar_masks() {
        let x = t(&[1.0, 2.0, 3.0, f64::NAN], &[4]);
        let two = Tensor::scalar(2.0);
        assert_eq!(x.eq(&two).unwrap().to_vec(), vec![0.0, 1.0, 0.0, 0.0]);
        assert_eq!(x.ne(&two).unwrap().to_vec(), vec![1.0, 0.0, 1.0, 1.0]);
        assert_eq!(x.lt(&two).unwrap().to_vec(), vec![1.0, 0.0, 0.0, 0.0]);
        assert_eq!(x.le(&two).unwrap().to_vec(), vec![1.0, 1.0, 0.0, 0.0]);
        assert_eq!(x.gt(&two).unwrap().to_vec(), vec![0.0, 0.0, 1.0, 0.0]);
        assert_eq!(x.ge(&two).unwrap().to_vec(), vec![0.0, 1.0, 1.0, 0.0]);
        assert_eq!(x.eq_scalar(2.0), x.eq(&two).unwrap());
        assert_eq!(x.ne_scalar(2.0), x.ne(&two).unwrap());
        assert_eq!(x.lt_scalar(2.0), x.lt(&two).unwrap());
        assert_eq!(x.le_scalar(2.0), x.le(&two).unwrap());
        assert_eq!(x.gt_scalar(2.0), x.gt(&two).unwrap());
        assert_eq!(x.ge_scalar(2.0), x.ge(&two).unwrap());
    }

    #[test]
    fn where_cond_broadcasts_three_ways() {
        let cond = t(&[1.0, 0.0, f64::NAN], &[3, 1]);
        let x = t(&[10.0, 20.0], &[2]);
        let y = Tensor::scalar(-1.0);
        let w = Tensor::where_cond(&cond, &x, &y).unwrap();
        assert_eq!(w.shape(), &[3, 2]);
        assert_eq!(w.to_vec(), vec![10.0, 20.0, -1.0, -1.0, 10.0, 20.0]);
        // Same-shape fast path.
        let c = t(&[0.0, 2.0], &[2]);
        let w = Tensor::where_cond(&c, &x, &t(&[5.0, 6.0], &[2])).unwrap();
        assert_eq!(w.to_vec(), vec![5.0, 20.0]);
        let e = Tensor::where_cond(&seq(&[2, 1]), &seq(&[1, 3]), &seq(&[4])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "where_cond: shapes [2, 1] (cond), [1, 3] (x) and [4] (y) cannot be broadcast together"
        );
        let e = Tensor::where_cond(&seq(&[2]), &seq(&[3]), &seq(&[1])).unwrap_err();
        assert!(e.to_string().contains("[2] (cond), [3] (x)"));
    }

    #[test]
    fn large_and_strided_paths_agree_with_small_loops() {
        // Big enough for the parallel paths (> 1 << 16 elements).
        let (m, n) = (301, 257);
        let a = Tensor::from_shape_fn([m, n], |i| (i[0] as f64 * 0.5 - i[1] as f64).sin());
        let b = Tensor::from_shape_fn([n], |i| i[0] as f64 * 0.25);
        let col = Tensor::from_shape_fn([m, 1], |i| i[0] as f64);
        let want = |i: usize, j: usize| a.get(&[i, j]).unwrap() * (j as f64 * 0.25) + i as f64;
        let got = a.mul(&b).unwrap().add(&col).unwrap();
        // Transposed operands: strided Zip path, then a dense transposed same-shape path.
        let at = a.t().unwrap();
        let got_t = at
            .mul(&b.unsqueeze(1).unwrap())
            .unwrap()
            .add(&col.t().unwrap())
            .unwrap();
        let sum_tt = at.add(&at).unwrap();
        assert_eq!(sum_tt.strides(), at.strides());
        for i in (0..m).step_by(7) {
            for j in (0..n).step_by(5) {
                assert_eq!(got.get(&[i, j]).unwrap(), want(i, j));
                assert_eq!(got_t.get(&[j, i]).unwrap(), want(i, j));
                assert_eq!(sum_tt.get(&[j, i]).unwrap(), 2.0 * a.get(&[i, j]).unwrap());
            }
        }
        let w = Tensor::where_cond(&a.gt_scalar(0.0), &a, &a.neg()).unwrap();
        assert_eq!(w, a.abs());
        let w_t = Tensor::where_cond(&at.gt_scalar(0.0), &at, &Tensor::scalar(0.0)).unwrap();
        assert_eq!(w_t.to_vec(), at.map(|v| v.max(0.0)).to_vec());
    }

    #[test]
    fn empty_and_scalar_operands() {
        let e = Tensor::<f64>::zeros([0, 3]);
        assert_eq!(e.add(&seq(&[3])).unwrap().shape(), &[0, 3]);
        assert_eq!(e.add(&seq(&[1, 1])).unwrap().shape(), &[0, 3]);
        let s = Tensor::scalar(2.0);
        assert_eq!(s.mul(&s).unwrap().item().unwrap(), 4.0);
        assert_eq!(s.mul(&seq(&[1, 1])).unwrap().shape(), &[1, 1]);
    }
}
