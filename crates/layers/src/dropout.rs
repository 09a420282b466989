//! Dropout layers: [`Dropout`] (elements) and [`Dropout2d`] (whole channels), PyTorch's
//! `nn.Dropout` and `nn.Dropout2d`.
//!
//! Both are active only in training mode (the default, as in PyTorch; see
//! [`ModuleExt::eval`](crate::ModuleExt::eval)) and are the identity in evaluation mode.
//! Each layer owns a seeded [`TensorRng`] given at construction, so a run is reproducible;
//! the generator sits behind a mutex, so a model stays `Send + Sync`.

use std::sync::{Mutex, MutexGuard};

use youshi_autograd::Var;
use youshi_tensor::{Element, Tensor, TensorRng};

use crate::error::{LayerError, Result};
use crate::module::{Mode, Module};

fn check_p(kind: &'static str, p: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&p) {
        return Err(LayerError::config(
            kind,
            format!("probability must lie in [0, 1], got {p}"),
        ));
    }
    Ok(())
}

fn lock(rng: &Mutex<TensorRng>) -> MutexGuard<'_, TensorRng> {
    rng.lock().unwrap_or_else(|e| e.into_inner())
}

/// Inverted dropout, PyTorch's `nn.Dropout`: in training, zeroes each element with
/// probability `p` and scales the others by `1 / (1 - p)`; in evaluation, the identity.
///
/// # Shapes
/// Any input; the output has the same shape.
///
/// # Errors
/// [`new`](Self::new) returns [`LayerError::Config`] unless `0 <= p <= 1`; `forward` does not
/// fail.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::dropout::Dropout;
/// use youshi_layers::Module;
/// use youshi_tensor::{seeded_rng, Tensor};
/// let drop = Dropout::new(0.5, seeded_rng(0))?;
/// let x = Graph::no_grad().constant(Tensor::<f32>::ones([1000]));
/// let y = drop.forward(&x)?;
/// assert!(y.value().to_vec().iter().all(|&v| v == 0.0 || v == 2.0));
/// drop.eval();
/// assert_eq!(drop.forward(&x)?.value(), x.value());
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug)]
pub struct Dropout {
    p: f64,
    mode: Mode,
    rng: Mutex<TensorRng>,
}

impl Dropout {
    /// Dropout with probability `p`, drawing its masks from `rng`.
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `Dropout` and `p` unless `0 <= p <= 1`.
    pub fn new(p: f64, rng: TensorRng) -> Result<Self> {
        check_p("Dropout", p)?;
        Ok(Dropout {
            p,
            mode: Mode::new(),
            rng: Mutex::new(rng),
        })
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// True in training mode.
    pub fn training(&self) -> bool {
        self.mode.training()
    }

    /// Training mode (as [`ModuleExt::train`](crate::ModuleExt::train), without naming the
    /// element type).
    pub fn train(&self) {
        self.mode.set(true);
    }

    /// Evaluation mode: the identity (as [`ModuleExt::eval`](crate::ModuleExt::eval),
    /// without naming the element type).
    pub fn eval(&self) {
        self.mode.set(false);
    }
}

impl Clone for Dropout {
    /// A copy with the same mode and the generator in the same state.
    fn clone(&self) -> Self {
        Dropout {
            p: self.p,
            mode: self.mode.clone(),
            rng: Mutex::new(lock(&self.rng).clone()),
        }
    }
}

impl<T: Element> Module<T> for Dropout {
    fn kind(&self) -> &'static str {
        "Dropout"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        Ok(x.dropout(self.p, self.mode.training(), &mut lock(&self.rng))?)
    }

    fn visit_rngs_own(&self, f: &mut dyn FnMut(&str, &Mutex<TensorRng>)) {
        f("rng", &self.rng);
    }

    fn set_training_own(&self, training: bool) {
        self.mode.set(training);
    }
}

/// Channel dropout, PyTorch's `nn.Dropout2d`: in training, zeroes each whole channel of an
/// `[N, C, H, W]` input with probability `p` and scales the kept ones by `1 / (1 - p)`; in
/// evaluation, the identity.
///
/// The `[N, C, 1, 1]` mask is broadcast over the spatial dimensions, so the gradient is the
/// output gradient times the same mask.
///
/// # Shapes
/// Input `[N, C, H, W]`; the output has the same shape.
///
/// # Errors
/// [`new`](Self::new) returns [`LayerError::Config`] unless `0 <= p <= 1`; `forward` returns
/// [`LayerError::Input`] naming `Dropout2d`, `[N, C, H, W]` and the shape received for an
/// input not of rank 4 (in both modes).
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::dropout::Dropout2d;
/// use youshi_layers::Module;
/// use youshi_tensor::{seeded_rng, Tensor};
/// let drop = Dropout2d::new(0.5, seeded_rng(0))?;
/// let y = drop.forward(&Graph::no_grad().constant(Tensor::<f32>::ones([4, 8, 3, 3])))?;
/// // Each channel is all zeros or all twos.
/// for ch in y.value().to_vec().chunks(9) {
///     assert!(ch.iter().all(|&v| v == ch[0]) && (ch[0] == 0.0 || ch[0] == 2.0));
/// }
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug)]
pub struct Dropout2d {
    p: f64,
    mode: Mode,
    rng: Mutex<TensorRng>,
}

impl Dropout2d {
    /// Channel dropout with probability `p`, drawing its masks from `rng`.
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `Dropout2d` and `p` unless `0 <= p <= 1`.
    pub fn new(p: f64, rng: TensorRng) -> Result<Self> {
        check_p("Dropout2d", p)?;
        Ok(Dropout2d {
            p,
            mode: Mode::new(),
            rng: Mutex::new(rng),
        })
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// True in training mode.
    pub fn training(&self) -> bool {
        self.mode.training()
    }

    /// Training mode (as [`ModuleExt::train`](crate::ModuleExt::train), without naming the
    /// element type).
    pub fn train(&self) {
        self.mode.set(true);
    }

    /// Evaluation mode: the identity (as [`ModuleExt::eval`](crate::ModuleExt::eval),
    /// without naming the element type).
    pub fn eval(&self) {
        self.mode.set(false);
    }
}

impl Clone for Dropout2d {
    /// A copy with the same mode and the generator in the same state.
    fn clone(&self) -> Self {
        Dropout2d {
            p: self.p,
            mode: self.mode.clone(),
            rng: Mutex::new(lock(&self.rng).clone()),
        }
    }
}

impl<T: Element> Module<T> for Dropout2d {
    fn kind(&self) -> &'static str {
        "Dropout2d"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        let s = x.shape();
        if s.len() != 4 {
            return Err(LayerError::input("Dropout2d", "[N, C, H, W]", s));
        }
        if !self.mode.training() || self.p == 0.0 {
            return Ok(x.clone());
        }
        if self.p == 1.0 {
            return Ok(x.mul_mask(&Tensor::zeros([]))?);
        }
        let keep =
            Tensor::<T>::rand_bernoulli([s[0], s[1], 1, 1], 1.0 - self.p, &mut *lock(&self.rng))?;
        Ok(x.mul_mask(&keep.mul_scalar(T::of(1.0 / (1.0 - self.p))))?)
    }

    fn visit_rngs_own(&self, f: &mut dyn FnMut(&str, &Mutex<TensorRng>)) {
        f("rng", &self.rng);
    }

    fn set_training_own(&self, training: bool) {
        self.mode.set(training);
    }
}
