//! Weight initialisers, PyTorch's `torch.nn.init`: each fills a tensor in place (keeping its
//! shape) from a [`TensorRng`], with PyTorch's formulas for bounds, standard deviations and
//! gains.
//!
//! Use them on a parameter with [`Param::update`](youshi_autograd::Param::update):
//! ```
//! use youshi_layers::init::{self, FanMode, Nonlinearity};
//! use youshi_layers::Linear;
//! use youshi_tensor::seeded_rng;
//! let mut rng = seeded_rng(0);
//! let layer: Linear = Linear::new(64, 32, &mut rng)?;
//! layer.weight.update(|w, _| {
//!     init::kaiming_normal(w, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut rng)
//! })?;
//! assert_eq!(layer.weight.shape(), [32, 64]);
//! # Ok::<(), youshi_layers::LayerError>(())
//! ```

use youshi_tensor::{Element, Tensor, TensorRng};

use crate::error::{LayerError, Result};

/// The non-linearity a layer feeds, for [`calculate_gain`] and the Kaiming initialisers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nonlinearity {
    /// No non-linearity (gain 1); also the gain for convolutions.
    Linear,
    /// Logistic sigmoid (gain 1).
    Sigmoid,
    /// Hyperbolic tangent (gain 5/3).
    Tanh,
    /// ReLU (gain √2).
    Relu,
    /// Leaky ReLU (gain `√(2 / (1 + slope²))`, slope 0.01 unless given).
    LeakyRelu,
    /// SELU (gain 3/4).
    Selu,
}

/// Whether a Kaiming initialiser preserves the variance of the forward pass (`FanIn`, the
/// default) or of the backward pass (`FanOut`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FanMode {
    /// Scale by the number of inputs of a unit.
    #[default]
    FanIn,
    /// Scale by the number of outputs of a unit.
    FanOut,
}

/// The recommended gain for a non-linearity, PyTorch's `calculate_gain`.
///
/// `param` is the negative slope of [`Nonlinearity::LeakyRelu`] (default 0.01) and is
/// ignored by the others.
///
/// # Errors
/// [`LayerError::Config`] for a slope that is not finite.
///
/// # Examples
/// ```
/// use youshi_layers::init::{calculate_gain, Nonlinearity};
/// assert_eq!(calculate_gain(Nonlinearity::Relu, None)?, 2f64.sqrt());
/// assert_eq!(calculate_gain(Nonlinearity::Tanh, None)?, 5.0 / 3.0);
/// assert_eq!(calculate_gain(Nonlinearity::LeakyRelu, Some(0.0))?, 2f64.sqrt());
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn calculate_gain(nonlinearity: Nonlinearity, param: Option<f64>) -> Result<f64> {
    Ok(match nonlinearity {
        Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => 2f64.sqrt(),
        Nonlinearity::Selu => 0.75,
        Nonlinearity::LeakyRelu => {
            let slope = param.unwrap_or(0.01);
            if !slope.is_finite() {
                return Err(LayerError::config(
                    "calculate_gain",
                    format!("negative_slope must be finite, got {slope}"),
                ));
            }
            (2.0 / (1.0 + slope * slope)).sqrt()
        }
    })
}

/// `(fan_in, fan_out)` of a weight shape, PyTorch's `_calculate_fan_in_and_fan_out`:
/// `fan_in = shape[1] * receptive field`, `fan_out = shape[0] * receptive field`, where the
/// receptive field is the product of the dimensions past the second (`[out, in, kH, kW]` for a
/// convolution, `[out, in]` for a linear layer).
///
/// # Errors
/// [`LayerError::Config`] for fewer than 2 dimensions.
///
/// # Examples
/// ```
/// use youshi_layers::init::calculate_fan_in_and_fan_out;
/// assert_eq!(calculate_fan_in_and_fan_out(&[16, 3, 5, 5])?, (75, 400));
/// assert!(calculate_fan_in_and_fan_out(&[10]).is_err());
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn calculate_fan_in_and_fan_out(shape: &[usize]) -> Result<(usize, usize)> {
    if shape.len() < 2 {
        return Err(LayerError::config(
            "calculate_fan_in_and_fan_out",
            format!(
                "fan in and fan out need a tensor of at least 2 dimensions, got shape {shape:?}"
            ),
        ));
    }
    let receptive: usize = shape[2..].iter().product();
    Ok((shape[1] * receptive, shape[0] * receptive))
}

fn check_finite(kind: &'static str, what: &str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(LayerError::config(
            kind,
            format!("{what} must be finite, got {v}"),
        ))
    }
}

fn fill_uniform<T: Element>(
    t: &mut Tensor<T>,
    low: f64,
    high: f64,
    rng: &mut TensorRng,
) -> Result<()> {
    if t.is_empty() {
        return Ok(());
    }
    *t = if low == high {
        Tensor::full(t.shape(), T::of(low))
    } else {
        Tensor::rand_uniform(t.shape(), T::of(low), T::of(high), rng)?
    };
    Ok(())
}

fn fill_normal<T: Element>(
    t: &mut Tensor<T>,
    mean: f64,
    std: f64,
    rng: &mut TensorRng,
) -> Result<()> {
    if t.is_empty() {
        return Ok(());
    }
    *t = Tensor::rand_normal(t.shape(), T::of(mean), T::of(std), rng)?;
    Ok(())
}

/// Fills `t` with values drawn uniformly from `[a, b)`, PyTorch's `uniform_`.
///
/// # Shapes
/// Any shape; it is kept.
///
/// # Errors
/// [`LayerError::Config`] unless `a <= b` and both are finite.
///
/// # Examples
/// ```
/// use youshi_layers::init;
/// use youshi_tensor::{seeded_rng, Tensor};
/// let mut w = Tensor::<f32>::zeros([3, 4]);
/// init::uniform(&mut w, -0.5, 0.5, &mut seeded_rng(0))?;
/// assert!(w.to_vec().iter().all(|v| (-0.5..0.5).contains(v)));
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn uniform<T: Element>(t: &mut Tensor<T>, a: f64, b: f64, rng: &mut TensorRng) -> Result<()> {
    check_finite("uniform", "a", a)?;
    check_finite("uniform", "b", b)?;
    if a > b {
        return Err(LayerError::config(
            "uniform",
            format!("needs a <= b, got a {a} and b {b}"),
        ));
    }
    fill_uniform(t, a, b, rng)
}

/// Fills `t` with values drawn from a normal distribution, PyTorch's `normal_`.
///
/// # Shapes
/// Any shape; it is kept.
///
/// # Errors
/// [`LayerError::Config`] unless `mean` is finite and `std` finite and `>= 0`.
///
/// # Examples
/// ```
/// use youshi_layers::init;
/// use youshi_tensor::{seeded_rng, Tensor};
/// let mut w = Tensor::<f64>::zeros([2, 2]);
/// init::normal(&mut w, 1.0, 0.0, &mut seeded_rng(0))?;
/// assert_eq!(w.to_vec(), [1.0; 4]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn normal<T: Element>(
    t: &mut Tensor<T>,
    mean: f64,
    std: f64,
    rng: &mut TensorRng,
) -> Result<()> {
    check_finite("normal", "mean", mean)?;
    check_finite("normal", "std", std)?;
    if std < 0.0 {
        return Err(LayerError::config(
            "normal",
            format!("std must be >= 0, got {std}"),
        ));
    }
    fill_normal(t, mean, std, rng)
}

/// Fills `t` with `value`, PyTorch's `constant_`.
///
/// # Shapes
/// Any shape; it is kept.
///
/// # Errors
/// None; the `Result` keeps the signature of the other initialisers.
///
/// # Examples
/// ```
/// use youshi_layers::init;
/// use youshi_tensor::Tensor;
/// let mut b = Tensor::<f32>::zeros([3]);
/// init::constant(&mut b, 0.1)?;
/// assert_eq!(b.to_vec(), [0.1; 3]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn constant<T: Element>(t: &mut Tensor<T>, value: f64) -> Result<()> {
    *t = Tensor::full(t.shape(), T::of(value));
    Ok(())
}

/// Fills `t` with zeros, PyTorch's `zeros_`.
///
/// # Shapes
/// Any shape; it is kept.
///
/// # Errors
/// None.
///
/// # Examples
/// ```
/// use youshi_layers::init;
/// use youshi_tensor::Tensor;
/// let mut b = Tensor::<f32>::ones([2]);
/// init::zeros(&mut b)?;
/// assert_eq!(b.to_vec(), [0.0; 2]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn zeros<T: Element>(t: &mut Tensor<T>) -> Result<()> {
    constant(t, 0.0)
}

/// Fills `t` with ones, PyTorch's `ones_`.
///
/// # Shapes
/// Any shape; it is kept.
///
/// # Errors
/// None.
///
/// # Examples
/// ```
/// use youshi_layers::init;
/// use youshi_tensor::Tensor;
/// let mut g = Tensor::<f32>::zeros([2]);
/// init::ones(&mut g)?;
/// assert_eq!(g.to_vec(), [1.0; 2]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn ones<T: Element>(t: &mut Tensor<T>) -> Result<()> {
    constant(t, 1.0)
}

fn check_gain(kind: &'static str, gain: f64) -> Result<()> {
    if !gain.is_finite() || gain < 0.0 {
        return Err(LayerError::config(
            kind,
            format!("gain must be finite and >= 0, got {gain}"),
        ));
    }
    Ok(())
}

/// Glorot uniform: `U(-a, a)` with `a = gain * √(6 / (fan_in + fan_out))`, PyTorch's
/// `xavier_uniform_`.
///
/// # Shapes
/// At least 2 dimensions (`[out, in, *kernel]`); kept.
///
/// # Errors
/// [`LayerError::Config`] for fewer than 2 dimensions or a negative or non-finite gain.
///
/// # Examples
/// ```
/// use youshi_layers::init;
/// use youshi_tensor::{seeded_rng, Tensor};
/// let mut w = Tensor::<f32>::zeros([20, 30]);
/// init::xavier_uniform(&mut w, 1.0, &mut seeded_rng(0))?;
/// let a = (6.0f32 / 50.0).sqrt();
/// assert!(w.to_vec().iter().all(|v| v.abs() <= a));
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn xavier_uniform<T: Element>(t: &mut Tensor<T>, gain: f64, rng: &mut TensorRng) -> Result<()> {
    check_gain("xavier_uniform", gain)?;
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(t.shape())?;
    if fan_in + fan_out == 0 {
        return Ok(());
    }
    let a = 3f64.sqrt() * gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    fill_uniform(t, -a, a, rng)
}

/// Glorot normal: `N(0, std²)` with `std = gain * √(2 / (fan_in + fan_out))`, PyTorch's
/// `xavier_normal_`.
///
/// # Shapes
/// At least 2 dimensions; kept.
///
/// # Errors
/// [`LayerError::Config`] for fewer than 2 dimensions or a negative or non-finite gain.
///
/// # Examples
/// ```
/// use youshi_layers::init;
/// use youshi_tensor::{seeded_rng, Tensor};
/// let mut w = Tensor::<f64>::zeros([8, 3, 3, 3]);
/// init::xavier_normal(&mut w, 1.0, &mut seeded_rng(0))?;
/// assert_eq!(w.shape(), &[8, 3, 3, 3]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn xavier_normal<T: Element>(t: &mut Tensor<T>, gain: f64, rng: &mut TensorRng) -> Result<()> {
    check_gain("xavier_normal", gain)?;
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(t.shape())?;
    if fan_in + fan_out == 0 {
        return Ok(());
    }
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    fill_normal(t, 0.0, std, rng)
}

fn kaiming_std(
    kind: &'static str,
    shape: &[usize],
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
) -> Result<Option<f64>> {
    check_finite(kind, "a", a)?;
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(shape)?;
    let fan = match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    };
    if fan == 0 {
        // PyTorch: initialising a zero-element tensor is a no-op.
        return Ok(None);
    }
    let gain = calculate_gain(nonlinearity, Some(a))?;
    Ok(Some(gain / (fan as f64).sqrt()))
}

/// He uniform: `U(-bound, bound)` with `bound = gain * √(3 / fan)`, PyTorch's
/// `kaiming_uniform_`. `a` is the negative slope used by [`Nonlinearity::LeakyRelu`]'s gain
/// (PyTorch's default call is `a = 0`, `FanIn`, `LeakyRelu`; `nn.Linear` uses `a = √5`).
///
/// # Shapes
/// At least 2 dimensions; kept.
///
/// # Errors
/// [`LayerError::Config`] for fewer than 2 dimensions or a non-finite `a`.
///
/// # Examples
/// ```
/// use youshi_layers::init::{self, FanMode, Nonlinearity};
/// use youshi_tensor::{seeded_rng, Tensor};
/// let mut w = Tensor::<f32>::zeros([10, 50]);
/// init::kaiming_uniform(&mut w, 5f64.sqrt(), FanMode::FanIn, Nonlinearity::LeakyRelu,
///     &mut seeded_rng(0))?;
/// // nn.Linear's default: bound 1 / sqrt(fan_in).
/// assert!(w.to_vec().iter().all(|v| v.abs() <= 1.0 / 50f32.sqrt()));
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn kaiming_uniform<T: Element>(
    t: &mut Tensor<T>,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut TensorRng,
) -> Result<()> {
    match kaiming_std("kaiming_uniform", t.shape(), a, mode, nonlinearity)? {
        Some(std) => {
            let bound = 3f64.sqrt() * std;
            fill_uniform(t, -bound, bound, rng)
        }
        None => Ok(()),
    }
}

/// He normal: `N(0, std²)` with `std = gain / √fan`, PyTorch's `kaiming_normal_`.
///
/// # Shapes
/// At least 2 dimensions; kept.
///
/// # Errors
/// [`LayerError::Config`] for fewer than 2 dimensions or a non-finite `a`.
///
/// # Examples
/// ```
/// use youshi_layers::init::{self, FanMode, Nonlinearity};
/// use youshi_tensor::{seeded_rng, Tensor};
/// let mut w = Tensor::<f32>::zeros([64, 3, 3, 3]);
/// init::kaiming_normal(&mut w, 0.0, FanMode::FanOut, Nonlinearity::Relu, &mut seeded_rng(0))?;
/// assert_eq!(w.shape(), &[64, 3, 3, 3]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn kaiming_normal<T: Element>(
    t: &mut Tensor<T>,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut TensorRng,
) -> Result<()> {
    match kaiming_std("kaiming_normal", t.shape(), a, mode, nonlinearity)? {
        Some(std) => fill_normal(t, 0.0, std, rng),
        None => Ok(()),
    }
}

/// A (semi-)orthogonal matrix times `gain`, PyTorch's `orthogonal_`: the tensor is viewed as
/// `[shape[0], numel / shape[0]]`, filled with a standard normal matrix, and replaced by the
/// `Q` of its QR decomposition (of the transpose when it is wide), with the signs chosen so
/// that `R` has a positive diagonal (computed in f64 by Gram-Schmidt with
/// re-orthogonalisation). Rows (or columns, whichever are fewer) are orthonormal.
///
/// # Shapes
/// At least 2 dimensions; kept.
///
/// # Errors
/// [`LayerError::Config`] for fewer than 2 dimensions or a negative or non-finite gain.
///
/// # Examples
/// ```
/// use youshi_layers::init;
/// use youshi_tensor::{seeded_rng, Tensor};
/// let mut w = Tensor::<f64>::zeros([3, 5]);
/// init::orthogonal(&mut w, 1.0, &mut seeded_rng(0))?;
/// let v = w.to_vec();
/// let dot: f64 = (0..5).map(|k| v[k] * v[5 + k]).sum();
/// assert!(dot.abs() < 1e-12);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn orthogonal<T: Element>(t: &mut Tensor<T>, gain: f64, rng: &mut TensorRng) -> Result<()> {
    check_gain("orthogonal", gain)?;
    if t.ndim() < 2 {
        return Err(LayerError::config(
            "orthogonal",
            format!(
                "needs a tensor of at least 2 dimensions, got shape {:?}",
                t.shape()
            ),
        ));
    }
    if t.is_empty() {
        return Ok(());
    }
    let rows = t.shape()[0];
    let cols = t.numel() / rows;
    let flat = Tensor::<f64>::rand_normal([rows, cols], 0.0, 1.0, rng)?.to_vec();
    // Work on a tall m x n matrix (m >= n) stored by columns: column j is `a[j]`.
    let wide = rows < cols;
    let (m, n) = if wide { (cols, rows) } else { (rows, cols) };
    let mut a: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            (0..m)
                .map(|i| {
                    if wide {
                        flat[j * cols + i]
                    } else {
                        flat[i * cols + j]
                    }
                })
                .collect()
        })
        .collect();
    for j in 0..n {
        // Two passes of modified Gram-Schmidt keep Q orthogonal to rounding.
        for _ in 0..2 {
            for k in 0..j {
                let (done, rest) = a.split_at_mut(j);
                let q = &done[k];
                let col = &mut rest[0];
                let r: f64 = q.iter().zip(col.iter()).map(|(x, y)| x * y).sum();
                for (c, qv) in col.iter_mut().zip(q) {
                    *c -= r * qv;
                }
            }
        }
        let norm = a[j].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            return Err(LayerError::config(
                "orthogonal",
                "the random matrix was rank deficient; draw again",
            ));
        }
        for v in a[j].iter_mut() {
            *v /= norm;
        }
    }
    // Q (m x n) by columns; the result is Q for a tall tensor and Qᵀ for a wide one.
    let out: Vec<T> = (0..rows * cols)
        .map(|idx| {
            let (i, j) = (idx / cols, idx % cols);
            T::of(gain * if wide { a[i][j] } else { a[j][i] })
        })
        .collect();
    *t = Tensor::from_vec(out, t.shape())?;
    Ok(())
}
