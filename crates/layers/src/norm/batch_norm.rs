//! [`BatchNorm1d`] and [`BatchNorm2d`]: PyTorch's `nn.BatchNorm1d` / `nn.BatchNorm2d`, both
//! built on the shared [`BatchNorm`].

use std::ops::Deref;

use youshi_autograd::{Param, Var};
use youshi_tensor::{Element, Tensor, TensorRng};

use super::{channel_shape, check_eps};
use crate::buffer::Buffer;
use crate::error::{LayerError, Result};
use crate::module::{Mode, Module, Slot};

/// Settings of a batch norm layer; `D` is its spatial rank: use the aliases
/// [`BatchNorm1dConfig`] and [`BatchNorm2dConfig`]. The channel count is required, the rest
/// has PyTorch's defaults (`eps = 1e-5`, `momentum = Some(0.1)`, `affine = true`,
/// `track_running_stats = true`).
///
/// # Shapes
/// `num_features` is `C` in the inputs `[N, C]`, `[N, C, L]` (1d) or `[N, C, H, W]` (2d).
///
/// # Errors
/// `init` returns [`LayerError::Config`] for zero features, an `eps` that is negative or not
/// finite, or a momentum outside `[0, 1]`.
///
/// # Examples
/// ```
/// use youshi_layers::norm::BatchNorm1dConfig;
/// use youshi_layers::ModuleExt;
/// use youshi_tensor::seeded_rng;
/// let bn = BatchNorm1dConfig::new(16)
///     .momentum(None) // cumulative average, as PyTorch's momentum=None
///     .affine(false)
///     .init::<f64>(&mut seeded_rng(0))?;
/// assert!(bn.named_params().is_empty());
/// assert_eq!(bn.named_buffers().len(), 3);
/// assert!(BatchNorm1dConfig::new(16).momentum(Some(1.5)).init::<f64>(&mut seeded_rng(0)).is_err());
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BatchNormConfig<const D: usize> {
    num_features: usize,
    eps: f64,
    momentum: Option<f64>,
    affine: bool,
    track_running_stats: bool,
}

/// Settings of a [`BatchNorm1d`] (see [`BatchNormConfig`]).
pub type BatchNorm1dConfig = BatchNormConfig<1>;
/// Settings of a [`BatchNorm2d`] (see [`BatchNormConfig`]).
pub type BatchNorm2dConfig = BatchNormConfig<2>;

impl<const D: usize> BatchNormConfig<D> {
    /// Settings for `num_features` channels with PyTorch's defaults.
    pub fn new(num_features: usize) -> Self {
        BatchNormConfig {
            num_features,
            eps: 1e-5,
            momentum: Some(0.1),
            affine: true,
            track_running_stats: true,
        }
    }

    /// The value added to the variance before the square root (default `1e-5`).
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// The weight of a new batch in the running statistics, `running = (1 - m) running + m
    /// batch` (default `Some(0.1)`); `None` keeps a cumulative (equal-weight) average, as
    /// PyTorch's `momentum=None`.
    pub fn momentum(mut self, momentum: Option<f64>) -> Self {
        self.momentum = momentum;
        self
    }

    /// Whether the layer has a per-channel `weight` (ones) and `bias` (zeros) (default `true`).
    pub fn affine(mut self, on: bool) -> Self {
        self.affine = on;
        self
    }

    /// Whether the layer keeps `running_mean`, `running_var` and `num_batches_tracked`
    /// (default `true`); without them it normalises with the batch's statistics in both modes.
    pub fn track_running_stats(mut self, on: bool) -> Self {
        self.track_running_stats = on;
        self
    }

    fn build<T: Element>(&self, kind: &'static str) -> Result<BatchNorm<T>> {
        let c = self.num_features;
        if c == 0 {
            return Err(LayerError::config(
                kind,
                "num_features must be positive, got 0",
            ));
        }
        check_eps(kind, self.eps)?;
        if let Some(m) = self.momentum {
            if !(0.0..=1.0).contains(&m) {
                return Err(LayerError::config(
                    kind,
                    format!("momentum must be in [0, 1] or None, got {m}"),
                ));
            }
        }
        let (weight, bias) = if self.affine {
            (
                Some(Param::new(Tensor::ones([c]))),
                Some(Param::new(Tensor::zeros([c]))),
            )
        } else {
            (None, None)
        };
        let (running_mean, running_var, num_batches_tracked) = if self.track_running_stats {
            (
                Some(Buffer::new(Tensor::zeros([c]))),
                Some(Buffer::new(Tensor::ones([c]))),
                Some(Buffer::new(Tensor::scalar(T::zero()))),
            )
        } else {
            (None, None, None)
        };
        Ok(BatchNorm {
            weight,
            bias,
            running_mean,
            running_var,
            num_batches_tracked,
            num_features: c,
            eps: self.eps,
            momentum: self.momentum,
            mode: Mode::new(),
        })
    }
}

impl BatchNormConfig<1> {
    /// Builds the layer with PyTorch's initialisation (`weight` ones, `bias` zeros,
    /// `running_mean` zeros, `running_var` ones, `num_batches_tracked` 0), in training mode.
    /// The initialisation is deterministic; `rng` is taken for uniformity with the other
    /// layers.
    ///
    /// # Errors
    /// [`LayerError::Config`] for zero features, an `eps` that is negative or not finite, or a
    /// momentum outside `[0, 1]`.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<BatchNorm1d<T>> {
        let _ = rng;
        Ok(BatchNorm1d(self.build("BatchNorm1d")?))
    }
}

impl BatchNormConfig<2> {
    /// Builds the layer with PyTorch's initialisation (`weight` ones, `bias` zeros,
    /// `running_mean` zeros, `running_var` ones, `num_batches_tracked` 0), in training mode.
    /// The initialisation is deterministic; `rng` is taken for uniformity with the other
    /// layers.
    ///
    /// # Errors
    /// [`LayerError::Config`] for zero features, an `eps` that is negative or not finite, or a
    /// momentum outside `[0, 1]`.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<BatchNorm2d<T>> {
        let _ = rng;
        Ok(BatchNorm2d(self.build("BatchNorm2d")?))
    }
}

/// The state and computation shared by [`BatchNorm1d`] and [`BatchNorm2d`] (which dereference
/// to it): per-channel parameters, running statistics and the training flag.
///
/// In training mode (or always, without running statistics) each channel is normalised with
/// the batch's mean and biased variance over every axis but the channel axis, and the running
/// statistics are updated with the batch's mean and *unbiased* variance; in evaluation mode
/// the running statistics are used, so each sample's output does not depend on the batch.
///
/// # Shapes
/// Input `[N, C, *]`; parameters `weight [C]`, `bias [C]`; buffers `running_mean [C]`,
/// `running_var [C]`, `num_batches_tracked []` (a count held as `T`).
///
/// # Errors
/// `forward` of the 1d and 2d layers returns [`LayerError::Input`] for an input of the wrong
/// rank or channel count, or with a single value per channel in training.
///
/// # Examples
/// ```
/// use youshi_layers::norm::BatchNorm2d;
/// let bn = BatchNorm2d::<f32>::new(3)?;
/// assert_eq!(bn.num_features(), 3); // a method of the shared `BatchNorm`
/// assert_eq!(bn.running_var.as_ref().unwrap().value().to_vec(), vec![1.0; 3]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct BatchNorm<T: Element = f32> {
    /// `[C]`, if the layer is affine.
    pub weight: Option<Param<T>>,
    /// `[C]`, if the layer is affine.
    pub bias: Option<Param<T>>,
    /// `[C]`, if the layer tracks running statistics.
    pub running_mean: Option<Buffer<T>>,
    /// `[C]` (unbiased variances), if the layer tracks running statistics.
    pub running_var: Option<Buffer<T>>,
    /// `[]`, the number of training batches seen, if the layer tracks running statistics.
    pub num_batches_tracked: Option<Buffer<T>>,
    num_features: usize,
    eps: f64,
    momentum: Option<f64>,
    mode: Mode,
}

impl<T: Element> BatchNorm<T> {
    /// Number of channels `C`.
    pub fn num_features(&self) -> usize {
        self.num_features
    }

    /// The value added to the variance.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// The running statistics' momentum (`None`: cumulative average).
    pub fn momentum(&self) -> Option<f64> {
        self.momentum
    }

    /// True in training mode.
    pub fn training(&self) -> bool {
        self.mode.training()
    }

    /// Normalises an input already checked to be `[N, C, *]`.
    fn normalise(&self, kind: &'static str, expected: &str, x: &Var<T>) -> Result<Var<T>> {
        let shape = x.shape().to_vec();
        let rank = shape.len();
        let c = self.num_features;
        let cshape = channel_shape(rank, c);
        let g = x.graph();
        let training = self.mode.training();
        let stats = match (&self.running_mean, &self.running_var) {
            (Some(m), Some(v)) => Some((m, v)),
            _ => None,
        };
        let eps = T::of(self.eps);
        let y = match stats {
            Some((rm, rv)) if !training => {
                let mean = g.constant(rm.value().reshape(&cshape)?);
                let inv = rv.value().add_scalar(eps).rsqrt().reshape(&cshape)?;
                x.sub(&mean)?.mul(&g.constant(inv))?
            }
            _ => {
                let n = shape.iter().product::<usize>() / c;
                if n <= 1 {
                    return Err(LayerError::input(
                        kind,
                        format!("{expected} with more than 1 value per channel in training"),
                        &shape,
                    ));
                }
                let axes: Vec<isize> = (0..rank as isize).filter(|&a| a != 1).collect();
                let mean = x.mean(&axes, true)?;
                let var = x.var(&axes, 0, true)?;
                if training {
                    self.update_running_stats(mean.value(), var.value(), n)?;
                }
                x.sub(&mean)?.mul(&var.add_scalar(eps)?.rsqrt()?)?
            }
        };
        let y = match &self.weight {
            Some(w) => y.mul(&g.param(w).reshape(&cshape)?)?,
            None => y,
        };
        match &self.bias {
            Some(b) => Ok(y.add(&g.param(b).reshape(&cshape)?)?),
            None => Ok(y),
        }
    }

    /// PyTorch's update, outside the graph: `num_batches_tracked += 1`, then
    /// `running = (1 - f) running + f batch` with `f = momentum` or `1 / num_batches_tracked`,
    /// using the unbiased batch variance.
    fn update_running_stats(&self, mean: &Tensor<T>, var: &Tensor<T>, n: usize) -> Result<()> {
        let (Some(rm), Some(rv)) = (&self.running_mean, &self.running_var) else {
            return Ok(());
        };
        let mut count = 0.0;
        if let Some(nbt) = &self.num_batches_tracked {
            count = nbt.value().item()?.as_f64() + 1.0;
            nbt.set(Tensor::scalar(T::of(count)))?;
        }
        let f = match self.momentum {
            Some(m) => m,
            None if count > 0.0 => 1.0 / count,
            None => 0.0,
        };
        let c = self.num_features as isize;
        let mean = mean.reshape(&[c])?;
        let unbiased = var
            .reshape(&[c])?
            .mul_scalar(T::of(n as f64 / (n as f64 - 1.0)));
        let keep = T::of(1.0 - f);
        let take = T::of(f);
        rm.set(rm.value().mul_scalar(keep).add(&mean.mul_scalar(take))?)?;
        rv.set(
            rv.value()
                .mul_scalar(keep)
                .add(&unbiased.mul_scalar(take))?,
        )?;
        Ok(())
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        if let Some(w) = &self.weight {
            f("weight", Slot::Param(w));
        }
        if let Some(b) = &self.bias {
            f("bias", Slot::Param(b));
        }
        if let Some(m) = &self.running_mean {
            f("running_mean", Slot::Buffer(m));
        }
        if let Some(v) = &self.running_var {
            f("running_var", Slot::Buffer(v));
        }
        if let Some(n) = &self.num_batches_tracked {
            f("num_batches_tracked", Slot::Buffer(n));
        }
    }
}

/// Batch normalisation over a batch of vectors or sequences, PyTorch's `nn.BatchNorm1d`;
/// see [`BatchNorm`] (its fields and methods are reached through this layer) for the
/// computation in each mode.
///
/// # Shapes
/// Input `[N, C]` or `[N, C, L]`, output the same; parameters `weight [C]`, `bias [C]`;
/// buffers `running_mean [C]`, `running_var [C]`, `num_batches_tracked []`.
///
/// # Errors
/// `forward` returns [`LayerError::Input`] for an input that is not `[N, C]` or `[N, C, L]`,
/// or with a single value per channel in training (`N * L == 1`), naming both shapes.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::norm::BatchNorm1d;
/// use youshi_layers::{Module, ModuleExt};
/// use youshi_tensor::Tensor;
/// let bn = BatchNorm1d::<f64>::new(2)?;
/// let g = Graph::new();
/// let x = g.constant(Tensor::from_vec(vec![1.0, 10.0, 3.0, 30.0], [2, 2])?);
/// let y = bn.forward(&x)?; // training: batch statistics
/// assert!((y.value().get(&[0, 0])? + 1.0).abs() < 1e-4);
/// // running_mean = 0.9 * 0 + 0.1 * batch mean
/// assert_eq!(bn.running_mean.as_ref().unwrap().value().to_vec(), vec![0.2, 2.0]);
/// bn.eval();
/// let err = bn.forward(&g.constant(Tensor::ones([2, 3])));
/// assert_eq!(err.unwrap_err().to_string(), "BatchNorm1d: expected input [N, 2] or [N, 2, L], got [2, 3]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct BatchNorm1d<T: Element = f32>(BatchNorm<T>);

impl<T: Element> BatchNorm1d<T> {
    /// A layer with PyTorch's defaults ([`BatchNormConfig::new`]).
    ///
    /// # Errors
    /// As [`BatchNorm1dConfig::init`](BatchNormConfig::init).
    pub fn new(num_features: usize) -> Result<Self> {
        BatchNorm1dConfig::new(num_features).init(&mut youshi_tensor::seeded_rng(0))
    }
}

impl<T: Element> Deref for BatchNorm1d<T> {
    type Target = BatchNorm<T>;
    fn deref(&self) -> &BatchNorm<T> {
        &self.0
    }
}

impl<T: Element> Module<T> for BatchNorm1d<T> {
    fn kind(&self) -> &'static str {
        "BatchNorm1d"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        let c = self.0.num_features;
        let expected = format!("[N, {c}] or [N, {c}, L]");
        let s = x.shape();
        if !(s.len() == 2 || s.len() == 3) || s[1] != c {
            return Err(LayerError::input("BatchNorm1d", expected, s));
        }
        self.0.normalise("BatchNorm1d", &expected, x)
    }

    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        self.0.visit(f);
    }

    fn set_training_own(&self, training: bool) {
        self.0.mode.set(training);
    }
}

/// Batch normalisation over a batch of images, PyTorch's `nn.BatchNorm2d`; see
/// [`BatchNorm`] (its fields and methods are reached through this layer) for the computation
/// in each mode.
///
/// # Shapes
/// Input `[N, C, H, W]`, output the same; parameters `weight [C]`, `bias [C]`; buffers
/// `running_mean [C]`, `running_var [C]`, `num_batches_tracked []`.
///
/// # Errors
/// `forward` returns [`LayerError::Input`] for an input that is not `[N, C, H, W]`, or with a
/// single value per channel in training (`N * H * W == 1`), naming both shapes.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::norm::BatchNorm2d;
/// use youshi_layers::{Module, ModuleExt};
/// use youshi_tensor::Tensor;
/// let bn = BatchNorm2d::<f32>::new(3)?;
/// let g = Graph::new();
/// bn.forward(&g.constant(Tensor::ones([4, 3, 5, 5])))?;
/// assert_eq!(bn.num_batches_tracked.as_ref().unwrap().value().item()?, 1.0);
/// bn.eval(); // running statistics from now on
/// let y = bn.forward(&g.constant(Tensor::ones([1, 3, 5, 5])))?;
/// assert_eq!(y.shape(), &[1, 3, 5, 5]);
/// let err = bn.forward(&g.constant(Tensor::ones([4, 3, 5])));
/// assert_eq!(err.unwrap_err().to_string(), "BatchNorm2d: expected input [N, 3, H, W], got [4, 3, 5]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct BatchNorm2d<T: Element = f32>(BatchNorm<T>);

impl<T: Element> BatchNorm2d<T> {
    /// A layer with PyTorch's defaults ([`BatchNormConfig::new`]).
    ///
    /// # Errors
    /// As [`BatchNorm2dConfig::init`](BatchNormConfig::init).
    pub fn new(num_features: usize) -> Result<Self> {
        BatchNorm2dConfig::new(num_features).init(&mut youshi_tensor::seeded_rng(0))
    }
}

impl<T: Element> Deref for BatchNorm2d<T> {
    type Target = BatchNorm<T>;
    fn deref(&self) -> &BatchNorm<T> {
        &self.0
    }
}

impl<T: Element> Module<T> for BatchNorm2d<T> {
    fn kind(&self) -> &'static str {
        "BatchNorm2d"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        let c = self.0.num_features;
        let expected = format!("[N, {c}, H, W]");
        let s = x.shape();
        if s.len() != 4 || s[1] != c {
            return Err(LayerError::input("BatchNorm2d", expected, s));
        }
        self.0.normalise("BatchNorm2d", &expected, x)
    }

    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        self.0.visit(f);
    }

    fn set_training_own(&self, training: bool) {
        self.0.mode.set(training);
    }
}
