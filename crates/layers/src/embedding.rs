//! [`Embedding`]: a lookup table of vectors, PyTorch's `nn.Embedding`.

use youshi_autograd::{AutogradError, Graph, Param, Var};
use youshi_tensor::{Element, Indices, Tensor, TensorRng};

use crate::error::{LayerError, Result};
use crate::module::{Module, Slot};

/// Configuration of an [`Embedding`]: `new(num_embeddings, embedding_dim)` then
/// [`padding_idx`](Self::padding_idx).
///
/// # Examples
/// ```
/// use youshi_layers::embedding::{Embedding, EmbeddingConfig};
/// use youshi_tensor::seeded_rng;
/// let emb: Embedding = EmbeddingConfig::new(100, 16).padding_idx(0).init(&mut seeded_rng(0))?;
/// assert_eq!(emb.weight.shape(), vec![100, 16]);
/// assert!(emb.weight.value().to_vec()[..16].iter().all(|&v| v == 0.0));
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddingConfig {
    /// Rows of the table (the vocabulary size).
    pub num_embeddings: usize,
    /// Length of each vector.
    pub embedding_dim: usize,
    /// A row that is zero at initialisation and never receives a gradient.
    pub padding_idx: Option<usize>,
}

impl EmbeddingConfig {
    /// A table of `num_embeddings` vectors of length `embedding_dim`, without padding row.
    pub fn new(num_embeddings: usize, embedding_dim: usize) -> Self {
        EmbeddingConfig {
            num_embeddings,
            embedding_dim,
            padding_idx: None,
        }
    }

    /// Sets the padding row.
    pub fn padding_idx(mut self, idx: usize) -> Self {
        self.padding_idx = Some(idx);
        self
    }

    fn check(&self) -> Result<()> {
        if self.num_embeddings == 0 || self.embedding_dim == 0 {
            return Err(LayerError::config(
                "Embedding",
                format!(
                    "sizes must be positive, got num_embeddings {} and embedding_dim {}",
                    self.num_embeddings, self.embedding_dim
                ),
            ));
        }
        if let Some(p) = self.padding_idx {
            if p >= self.num_embeddings {
                return Err(LayerError::config(
                    "Embedding",
                    format!(
                        "padding_idx {p} must be below num_embeddings {}",
                        self.num_embeddings
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Builds the table with PyTorch's default initialisation: N(0, 1), the padding row
    /// zeroed.
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `Embedding` and the values: a zero size, or a padding
    /// index not below `num_embeddings`.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<Embedding<T>> {
        self.check()?;
        let (n, d) = (self.num_embeddings, self.embedding_dim);
        let mut w = Tensor::<T>::rand_normal([n, d], T::zero(), T::one(), rng)?.to_vec();
        if let Some(p) = self.padding_idx {
            w[p * d..(p + 1) * d].fill(T::zero());
        }
        Ok(Embedding {
            weight: Param::new(Tensor::from_vec(w, [n, d])?),
            config: *self,
        })
    }

    /// Builds the layer around `weight [num_embeddings, embedding_dim]` (sizes taken from
    /// it; the padding row is used as given, like `Embedding.from_pretrained`).
    ///
    /// # Errors
    /// [`LayerError::Config`] if the weight is not a non-empty matrix or the padding index
    /// is out of range.
    pub fn with_weights<T: Element>(&self, weight: Tensor<T>) -> Result<Embedding<T>> {
        if weight.ndim() != 2 {
            return Err(LayerError::config(
                "Embedding",
                format!(
                    "weight must be [num_embeddings, embedding_dim], got {}",
                    weight.shape_obj()
                ),
            ));
        }
        let config = EmbeddingConfig {
            num_embeddings: weight.shape()[0],
            embedding_dim: weight.shape()[1],
            padding_idx: self.padding_idx,
        };
        config.check()?;
        Ok(Embedding {
            weight: Param::new(weight),
            config,
        })
    }
}

/// A lookup table: row `i` of `weight` for each index `i`, PyTorch's `nn.Embedding`.
///
/// Indices come as an [`Indices`] array through [`forward_indices`](Self::forward_indices),
/// or as a `Var` of whole-number floats through [`Module::forward`] (so an embedding fits in
/// a [`Sequential`](crate::Sequential)). A row used several times receives the sum of its
/// gradients; the padding row receives none, as in PyTorch (its value is still looked up).
///
/// # Shapes
/// Indices of any shape `[*]`, output `[*, embedding_dim]`; parameter
/// `weight [num_embeddings, embedding_dim]`.
///
/// # Errors
/// Both forwards return [`LayerError::Autograd`] with
/// [`AutogradError::InvalidArgument`] naming `Embedding` for an index not below
/// `num_embeddings`, and `forward` also for a value that is negative or not a whole number.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::embedding::EmbeddingConfig;
/// use youshi_layers::Module;
/// use youshi_tensor::{seeded_rng, Indices, Tensor};
/// let emb = EmbeddingConfig::new(10, 4).init::<f64>(&mut seeded_rng(0))?;
/// let g = Graph::new();
/// let idx = Indices::from_shape_vec(vec![2, 3], vec![1, 2, 3, 3, 2, 1]).unwrap();
/// let y = emb.forward_indices(&idx, &g)?;
/// assert_eq!(y.shape(), &[2, 3, 4]);
/// // The same lookup from a float tensor of indices.
/// let ids = g.constant(Tensor::from_vec(vec![1.0, 2.0, 3.0, 3.0, 2.0, 1.0], [2, 3])?);
/// assert_eq!(emb.forward(&ids)?.value(), y.value());
/// assert!(emb.forward(&g.constant(Tensor::from_vec(vec![0.5], [1])?)).is_err());
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Embedding<T: Element = f32> {
    /// `[num_embeddings, embedding_dim]`.
    pub weight: Param<T>,
    config: EmbeddingConfig,
}

fn invalid(reason: String) -> LayerError {
    LayerError::Autograd(AutogradError::InvalidArgument {
        op: "Embedding",
        reason,
    })
}

impl<T: Element> Embedding<T> {
    /// The layer's configuration.
    pub fn config(&self) -> &EmbeddingConfig {
        &self.config
    }

    /// Looks up the rows `idx` on `graph`.
    ///
    /// # Shapes
    /// `idx [*]` gives `[*, embedding_dim]`.
    ///
    /// # Errors
    /// [`AutogradError::InvalidArgument`] naming `Embedding` for an index not below
    /// `num_embeddings`.
    pub fn forward_indices(&self, idx: &Indices, graph: &Graph<T>) -> Result<Var<T>> {
        let n = self.config.num_embeddings;
        let flat: Vec<usize> = idx.iter().copied().collect();
        if let Some(bad) = flat.iter().find(|&&i| i >= n) {
            return Err(invalid(format!(
                "index {bad} out of range for {n} embeddings"
            )));
        }
        let w = graph.param(&self.weight);
        let w = match self.config.padding_idx {
            // The padding row's value comes through a detached copy, so it gets no gradient.
            Some(p) => {
                let mut keep = vec![T::one(); n];
                keep[p] = T::zero();
                let mut frozen = vec![T::zero(); n];
                frozen[p] = T::one();
                let keep = Tensor::from_vec(keep, [n, 1])?;
                let frozen = Tensor::from_vec(frozen, [n, 1])?;
                w.mul_mask(&keep)?.add(&w.detach().mul_mask(&frozen)?)?
            }
            None => w,
        };
        let rows = w.index_select(0, &flat)?;
        let mut shape: Vec<isize> = idx.shape().iter().map(|&s| s as isize).collect();
        shape.push(self.config.embedding_dim as isize);
        Ok(rows.reshape(&shape)?)
    }
}

impl<T: Element> Module<T> for Embedding<T> {
    fn kind(&self) -> &'static str {
        "Embedding"
    }

    /// Reads the indices from `x`, whose values must be whole numbers in
    /// `0..num_embeddings`, then as [`Embedding::forward_indices`] on `x`'s graph.
    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        let n = self.config.num_embeddings;
        let mut flat = Vec::with_capacity(x.value().numel());
        for v in x.value().to_vec() {
            let f = v.as_f64();
            if f.fract() != 0.0 || f < 0.0 || f >= n as f64 {
                return Err(invalid(format!(
                    "index {f} is not a whole number in 0..{n}"
                )));
            }
            flat.push(f as usize);
        }
        let idx = Indices::from_shape_vec(x.shape().to_vec(), flat)
            .map_err(|e| invalid(e.to_string()))?;
        self.forward_indices(&idx, x.graph())
    }

    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        f("weight", Slot::Param(&self.weight));
    }
}
