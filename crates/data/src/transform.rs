//! Per-example transforms: normalisation and the standard image augmentations.
//!
//! A [`Transform`] maps one example's input to a new input, drawing any randomness from the
//! generator it is given. A [`DataLoader`](crate::DataLoader) gives each example its own
//! generator, [`example_rng(seed, epoch, index)`](crate::rng::example_rng), so augmentations
//! depend only on the seed, the epoch and the example, and are the same whether batches are
//! prepared in the foreground or on a background thread.
//!
//! The image transforms work on the last two axes, `[..., H, W]`, typically one image
//! `[C, H, W]`; [`Normalize`] works per entry of the first axis (the channel of an image, the
//! feature of a row of tabular data).
//!
//! ```
//! use youshi_data::transform::{Compose, Normalize, RandomCrop, RandomHorizontalFlip, Transform};
//! use youshi_data::rng::example_rng;
//! use youshi_tensor::Tensor;
//!
//! // The usual CIFAR augmentation: pad by 4 and crop back to 32 x 32, flip half the images,
//! // then normalise each channel.
//! let augment = Compose::new()
//!     .then(RandomCrop::new([32, 32], 4)?)
//!     .then(RandomHorizontalFlip::new(0.5)?)
//!     .then(Normalize::new(vec![0.49, 0.48, 0.45], vec![0.25, 0.24, 0.26])?);
//! let image = Tensor::<f32>::full([3, 32, 32], 0.5);
//! let out = augment.apply(image, &mut example_rng(0, 0, 17))?;
//! assert_eq!(out.shape(), &[3, 32, 32]);
//! # Ok::<(), youshi_data::DataError>(())
//! ```

use std::sync::Arc;

use youshi_tensor::random::unit_f64;
use youshi_tensor::{Element, Tensor, TensorRng};

use crate::error::{DataError, Result};
use crate::rng::below;

/// A map from one example's input to a new input, possibly random.
///
/// Closures `Fn(Tensor<T>, &mut TensorRng) -> Result<Tensor<T>>` are transforms too.
pub trait Transform<T: Element = f32>: Send + Sync {
    /// Transforms `input`, drawing randomness from `rng` only.
    ///
    /// # Errors
    /// Whatever the transform rejects (an input of the wrong rank or size).
    fn apply(&self, input: Tensor<T>, rng: &mut TensorRng) -> Result<Tensor<T>>;
}

impl<T, F> Transform<T> for F
where
    T: Element,
    F: Fn(Tensor<T>, &mut TensorRng) -> Result<Tensor<T>> + Send + Sync,
{
    fn apply(&self, input: Tensor<T>, rng: &mut TensorRng) -> Result<Tensor<T>> {
        self(input, rng)
    }
}

/// Several transforms applied in order, sharing one generator.
pub struct Compose<T: Element = f32> {
    steps: Vec<Arc<dyn Transform<T>>>,
}

impl<T: Element> Compose<T> {
    /// No transforms (the identity).
    pub fn new() -> Self {
        Compose { steps: Vec::new() }
    }

    /// Appends `t`, to run after the transforms already added.
    pub fn then(mut self, t: impl Transform<T> + 'static) -> Self {
        self.steps.push(Arc::new(t));
        self
    }

    /// Appends a shared transform.
    pub fn then_shared(mut self, t: Arc<dyn Transform<T>>) -> Self {
        self.steps.push(t);
        self
    }

    /// The number of transforms.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether there are no transforms.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl<T: Element> Default for Compose<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Element> Clone for Compose<T> {
    fn clone(&self) -> Self {
        Compose {
            steps: self.steps.clone(),
        }
    }
}

impl<T: Element> std::fmt::Debug for Compose<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Compose({} transforms)", self.steps.len())
    }
}

impl<T: Element> Transform<T> for Compose<T> {
    fn apply(&self, mut input: Tensor<T>, rng: &mut TensorRng) -> Result<Tensor<T>> {
        for t in &self.steps {
            input = t.apply(input, rng)?;
        }
        Ok(input)
    }
}

/// `(x - mean[c]) / std[c]` for each entry `c` of the first axis, like torchvision's
/// `Normalize`: the statistics are rounded to the element type and the arithmetic is done in
/// it, so `f32` results equal PyTorch's.
///
/// A single mean and std apply to every channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Normalize {
    mean: Vec<f64>,
    std: Vec<f64>,
}

impl Normalize {
    /// Normalisation by per-channel `mean` and `std`.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if the lists are empty or differ in length, or a value is
    /// not finite, or a std is not positive.
    ///
    /// # Examples
    /// ```
    /// use youshi_data::transform::{Normalize, Transform};
    /// use youshi_tensor::{seeded_rng, Tensor};
    /// let n = Normalize::new(vec![0.5, 1.0], vec![0.5, 2.0])?;
    /// let x = Tensor::<f32>::from_vec(vec![1.0, 0.0, 3.0, 5.0], [2, 2])?;
    /// let y = n.apply(x, &mut seeded_rng(0))?;
    /// assert_eq!(y.to_vec(), vec![1.0, -1.0, 1.0, 2.0]);
    /// # Ok::<(), youshi_data::DataError>(())
    /// ```
    pub fn new(mean: impl Into<Vec<f64>>, std: impl Into<Vec<f64>>) -> Result<Self> {
        let (mean, std) = (mean.into(), std.into());
        let op = "Normalize::new";
        if mean.is_empty() || mean.len() != std.len() {
            return Err(DataError::invalid(
                op,
                format!(
                    "mean and std must be non-empty lists of one length, got {} and {} values",
                    mean.len(),
                    std.len()
                ),
            ));
        }
        if let Some(m) = mean.iter().find(|m| !m.is_finite()) {
            return Err(DataError::invalid(op, format!("mean {m} is not finite")));
        }
        if let Some(s) = std.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(DataError::invalid(
                op,
                format!("std {s} is not a positive finite number"),
            ));
        }
        Ok(Normalize { mean, std })
    }

    /// The per-channel means.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The per-channel standard deviations.
    pub fn std(&self) -> &[f64] {
        &self.std
    }
}

impl<T: Element> Transform<T> for Normalize {
    fn apply(&self, input: Tensor<T>, _rng: &mut TensorRng) -> Result<Tensor<T>> {
        let shape = input.shape().to_vec();
        let channels = match shape.first() {
            Some(&c) if self.mean.len() == 1 || self.mean.len() == c => c,
            _ => {
                return Err(DataError::invalid(
                    "Normalize",
                    format!(
                        "input {} needs a first (channel) axis of extent {} to match the \
                         mean and std",
                        input.shape_obj(),
                        self.mean.len()
                    ),
                ))
            }
        };
        let per = input.numel().checked_div(channels).unwrap_or(0);
        let mut values = input.to_vec();
        if per > 0 {
            for (c, plane) in values.chunks_mut(per).enumerate() {
                let k = if self.mean.len() == 1 { 0 } else { c };
                let (m, s) = (T::of(self.mean[k]), T::of(self.std[k]));
                for v in plane {
                    *v = (*v - m) / s;
                }
            }
        }
        Ok(Tensor::from_vec(values, shape)?)
    }
}

/// The height and width of `input` (its last two axes) and the number of planes before them.
fn planes<T: Element>(op: &'static str, input: &Tensor<T>) -> Result<(usize, usize, usize)> {
    let s = input.shape();
    if s.len() < 2 {
        return Err(DataError::invalid(
            op,
            format!(
                "expected an image [..., H, W] of rank >= 2, got shape {}",
                input.shape_obj()
            ),
        ));
    }
    let (h, w) = (s[s.len() - 2], s[s.len() - 1]);
    Ok((s[..s.len() - 2].iter().product(), h, w))
}

/// Pads an image by `padding` zeros on every side of its last two axes and crops a random
/// `size = [height, width]` window, like torchvision's `RandomCrop(size, padding)` with the
/// default constant fill 0.
///
/// The window's top row `i` is drawn first, uniformly in `0..=H + 2p - height`, then its left
/// column `j` in `0..=W + 2p - width`, each with [`below`].
///
/// # Shapes
/// `[..., H, W]` gives `[..., height, width]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandomCrop {
    size: [usize; 2],
    padding: usize,
}

impl RandomCrop {
    /// Crops of `size = [height, width]` after padding by `padding` on every side.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if a size is 0 or their product overflows.
    pub fn new(size: [usize; 2], padding: usize) -> Result<Self> {
        if size.contains(&0) || size[0].checked_mul(size[1]).is_none() {
            return Err(DataError::invalid(
                "RandomCrop::new",
                format!("crop size {size:?} must be positive, with a product that fits in memory"),
            ));
        }
        Ok(RandomCrop { size, padding })
    }

    /// The height and width of an `h x w` input after padding.
    fn padded<T: Element>(&self, input: &Tensor<T>, h: usize, w: usize) -> Result<(usize, usize)> {
        let grow = self.padding.checked_mul(2);
        match (
            grow.and_then(|g| h.checked_add(g)),
            grow.and_then(|g| w.checked_add(g)),
        ) {
            (Some(ph), Some(pw)) => Ok((ph, pw)),
            _ => Err(DataError::invalid(
                "RandomCrop",
                format!(
                    "padding input {} by {} overflows",
                    input.shape_obj(),
                    self.padding
                ),
            )),
        }
    }

    /// Crops `input` at rows `i..i + height` and columns `j..j + width` of its padded
    /// version (the deterministic part of [`Transform::apply`]).
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if `input` has rank below 2, the window does not fit,
    /// or the sizes overflow.
    pub fn crop_at<T: Element>(&self, input: &Tensor<T>, i: usize, j: usize) -> Result<Tensor<T>> {
        let (n, h, w) = planes("RandomCrop", input)?;
        let p = self.padding;
        let [th, tw] = self.size;
        let (ph, pw) = self.padded(input, h, w)?;
        let fits =
            |start: usize, len: usize, end: usize| start.checked_add(len).is_some_and(|e| e <= end);
        if !fits(i, th, ph) || !fits(j, tw, pw) {
            return Err(DataError::invalid(
                "RandomCrop",
                format!(
                    "a {th} x {tw} window at ({i}, {j}) does not fit in input {} padded by {p} \
                     to {ph} x {pw}",
                    input.shape_obj()
                ),
            ));
        }
        let numel = n.checked_mul(th * tw).ok_or_else(|| {
            DataError::invalid(
                "RandomCrop",
                format!(
                    "{n} crops of {th} x {tw} from input {} overflow",
                    input.shape_obj()
                ),
            )
        })?;
        let src = input.contiguous();
        let src = src.as_slice().expect("contiguous tensor has a slice");
        let mut out = vec![T::zero(); numel];
        for (plane, dst) in out.chunks_mut(th * tw).enumerate() {
            let base = plane * h * w;
            for (y, row) in dst.chunks_mut(tw).enumerate() {
                // Row i + y of the padded image is source row i + y - p, if any.
                let sy = (i + y).wrapping_sub(p);
                if sy >= h {
                    continue;
                }
                for (x, v) in row.iter_mut().enumerate() {
                    let sx = (j + x).wrapping_sub(p);
                    if sx < w {
                        *v = src[base + sy * w + sx];
                    }
                }
            }
        }
        let mut shape = input.shape().to_vec();
        let r = shape.len();
        shape[r - 2] = th;
        shape[r - 1] = tw;
        Ok(Tensor::from_vec(out, shape)?)
    }
}

impl<T: Element> Transform<T> for RandomCrop {
    fn apply(&self, input: Tensor<T>, rng: &mut TensorRng) -> Result<Tensor<T>> {
        let (_, h, w) = planes("RandomCrop", &input)?;
        let [th, tw] = self.size;
        let (ph, pw) = self.padded(&input, h, w)?;
        if th > ph || tw > pw {
            return Err(DataError::invalid(
                "RandomCrop",
                format!(
                    "cannot crop {th} x {tw} from input {} padded by {} to {ph} x {pw}",
                    input.shape_obj(),
                    self.padding
                ),
            ));
        }
        let i = below(rng, (ph - th + 1) as u64) as usize;
        let j = below(rng, (pw - tw + 1) as u64) as usize;
        self.crop_at(&input, i, j)
    }
}

/// Mirrors an image left to right (reverses its last axis) with probability `p`, like
/// torchvision's `RandomHorizontalFlip(p)`.
///
/// Each call draws one uniform `u` in `[0, 1)` with
/// [`unit_f64`] and flips when `u < p`.
///
/// # Shapes
/// `[..., W]` unchanged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RandomHorizontalFlip {
    p: f64,
}

impl RandomHorizontalFlip {
    /// Flips with probability `p`.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] unless `0 <= p <= 1`.
    pub fn new(p: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&p) {
            return Err(DataError::invalid(
                "RandomHorizontalFlip::new",
                format!("probability must lie in [0, 1], got {p}"),
            ));
        }
        Ok(RandomHorizontalFlip { p })
    }

    /// Reverses the last axis of `input`.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] for a scalar.
    pub fn flip<T: Element>(input: &Tensor<T>) -> Result<Tensor<T>> {
        let w = match input.shape().last() {
            Some(&w) => w,
            None => {
                return Err(DataError::invalid(
                    "RandomHorizontalFlip",
                    "cannot flip a scalar (shape [])",
                ))
            }
        };
        let mut values = input.to_vec();
        if w > 0 {
            for row in values.chunks_mut(w) {
                row.reverse();
            }
        }
        Ok(Tensor::from_vec(values, input.shape())?)
    }
}

impl<T: Element> Transform<T> for RandomHorizontalFlip {
    fn apply(&self, input: Tensor<T>, rng: &mut TensorRng) -> Result<Tensor<T>> {
        if input.ndim() == 0 {
            return Self::flip(&input);
        }
        if unit_f64(rng) < self.p {
            Self::flip(&input)
        } else {
            Ok(input)
        }
    }
}
