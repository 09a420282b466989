//! [`Param`]: a trainable tensor shared between a model, its graphs and its optimizer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use youshi_tensor::{Element, Tensor};

use crate::error::{AutogradError, Result};

#[derive(Debug)]
struct ParamInner<T: Element> {
    value: RwLock<Tensor<T>>,
    grad: Mutex<Option<Tensor<T>>>,
    requires_grad: AtomicBool,
}

/// A trainable tensor: its value, its accumulated gradient, and whether it is trainable.
///
/// `Param` is a handle: clones share one parameter (as a module and its optimizer do). It is
/// `Send + Sync`, so a model can serve inference from several threads at once. Recording it
/// on a [`Graph`](crate::Graph) with [`Graph::param`](crate::Graph::param) takes a cheap
/// reference to the current value; [`Var::backward`](crate::Var::backward) adds the gradient
/// into [`grad`](Param::grad), where it accumulates until [`zero_grad`](Param::zero_grad), as
/// PyTorch's `.grad` does.
///
/// # Examples
/// ```
/// use youshi_autograd::{Graph, Param};
/// use youshi_tensor::Tensor;
/// let w = Param::new(Tensor::<f64>::from_vec(vec![2.0], [1])?);
/// let g = Graph::new();
/// let x = g.constant(Tensor::from_vec(vec![3.0], [1])?);
/// let y = g.param(&w).matmul(&x)?; // 2 * 3
/// y.backward()?;
/// assert_eq!(w.grad().unwrap().to_vec(), vec![3.0]);
/// # Ok::<(), youshi_autograd::AutogradError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Param<T: Element = f32> {
    inner: Arc<ParamInner<T>>,
}

impl<T: Element> Param<T> {
    /// A trainable parameter holding `value`.
    pub fn new(value: Tensor<T>) -> Self {
        Param {
            inner: Arc::new(ParamInner {
                value: RwLock::new(value),
                grad: Mutex::new(None),
                requires_grad: AtomicBool::new(true),
            }),
        }
    }

    /// The current value (a cheap shared reference to the storage).
    pub fn value(&self) -> Tensor<T> {
        self.inner
            .value
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The shape of the value.
    pub fn shape(&self) -> Vec<usize> {
        self.inner
            .value
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .shape()
            .to_vec()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape().iter().product()
    }

    /// Replaces the value.
    ///
    /// # Errors
    /// [`AutogradError::ParamShape`] if the new value's shape differs.
    pub fn set_value(&self, value: Tensor<T>) -> Result<()> {
        let mut v = self.inner.value.write().unwrap_or_else(|e| e.into_inner());
        if v.shape() != value.shape() {
            return Err(AutogradError::ParamShape {
                op: "set_value",
                expected: v.shape_obj(),
                got: value.shape_obj(),
            });
        }
        *v = value;
        Ok(())
    }

    /// Runs `f` on the value and the accumulated gradient, in place: the optimizer's hook.
    ///
    /// The value is written without a copy when no graph still holds it (graphs release their
    /// references when `backward` finishes or when they are dropped).
    pub fn update<R>(&self, f: impl FnOnce(&mut Tensor<T>, Option<&Tensor<T>>) -> R) -> R {
        let grad = self.inner.grad.lock().unwrap_or_else(|e| e.into_inner());
        let mut v = self.inner.value.write().unwrap_or_else(|e| e.into_inner());
        f(&mut v, grad.as_ref())
    }

    /// The accumulated gradient, if any backward pass reached this parameter since the last
    /// [`zero_grad`](Param::zero_grad).
    pub fn grad(&self) -> Option<Tensor<T>> {
        self.inner
            .grad
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the accumulated gradient (e.g. after clipping).
    ///
    /// # Errors
    /// [`AutogradError::ParamShape`] if `grad`'s shape differs from the value's.
    pub fn set_grad(&self, grad: Option<Tensor<T>>) -> Result<()> {
        if let Some(g) = &grad {
            let shape = self.shape();
            if g.shape() != shape.as_slice() {
                return Err(AutogradError::ParamShape {
                    op: "set_grad",
                    expected: shape.into(),
                    got: g.shape_obj(),
                });
            }
        }
        *self.inner.grad.lock().unwrap_or_else(|e| e.into_inner()) = grad;
        Ok(())
    }

    /// Clears the accumulated gradient (like `optimizer.zero_grad(set_to_none=True)`).
    pub fn zero_grad(&self) {
        *self.inner.grad.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Adds `g` to the accumulated gradient.
    ///
    /// # Errors
    /// [`AutogradError::ParamShape`] if `g`'s shape differs from the value's.
    pub fn accumulate_grad(&self, g: &Tensor<T>) -> Result<()> {
        let shape = self.shape();
        if g.shape() != shape.as_slice() {
            return Err(AutogradError::ParamShape {
                op: "accumulate_grad",
                expected: shape.into(),
                got: g.shape_obj(),
            });
        }
        let mut slot = self.inner.grad.lock().unwrap_or_else(|e| e.into_inner());
        *slot = Some(match slot.take() {
            None => g.clone(),
            Some(old) => crate::graph::add_same_shape(old, g),
        });
        Ok(())
    }

    /// Whether graphs record gradients for this parameter (false when frozen).
    pub fn requires_grad(&self) -> bool {
        self.inner.requires_grad.load(Ordering::Relaxed)
    }

    /// Freezes (`false`) or unfreezes (`true`) the parameter.
    pub fn set_requires_grad(&self, on: bool) {
        self.inner.requires_grad.store(on, Ordering::Relaxed);
    }

    /// True if both handles refer to the same parameter.
    pub fn ptr_eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}
