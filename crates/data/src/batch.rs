//! Batches and the [`Batches`] trait: anything that yields a fresh sequence of batches for each
//! epoch, which is what the training loop of `youshi-optim` consumes.

use youshi_tensor::{Element, Tensor};

use crate::error::Result;

/// One mini-batch: inputs and targets, first axis the batch.
///
/// For classification the targets are class indices stored as numbers, shape `[N]` (Keras's
/// "sparse" labels); for regression they have the model output's shape.
///
/// # Examples
/// ```
/// use youshi_data::Batch;
/// use youshi_tensor::Tensor;
/// let b = Batch::new(Tensor::<f32>::zeros([4, 3]), Tensor::from_vec(vec![0.0, 1.0, 2.0, 1.0], [4])?);
/// assert_eq!(b.len(), 4);
/// # Ok::<(), youshi_tensor::TensorError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Batch<T: Element = f32> {
    /// The inputs, `[N, ...]`.
    pub inputs: Tensor<T>,
    /// The targets, `[N]` (class indices) or `[N, ...]`.
    pub targets: Tensor<T>,
}

impl<T: Element> Batch<T> {
    /// A batch of `inputs` and `targets`.
    pub fn new(inputs: Tensor<T>, targets: Tensor<T>) -> Self {
        Batch { inputs, targets }
    }

    /// The number of examples (the inputs' first dimension; 0 for a scalar).
    pub fn len(&self) -> usize {
        self.inputs.shape().first().copied().unwrap_or(0)
    }

    /// Whether the batch holds no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A source of batches that can be iterated once per epoch, like a PyTorch `DataLoader`.
///
/// `epoch` (counted from 0) lets a shuffling source derive that epoch's order from its seed, so
/// epoch `k` yields the same batches whether or not epochs `0..k` ran in this process, which is
/// what makes resuming from a checkpoint exact.
pub trait Batches<T: Element = f32> {
    /// The iterator over one epoch's batches.
    type Iter<'a>: Iterator<Item = Result<Batch<T>>>
    where
        Self: 'a;

    /// The batches of epoch `epoch`.
    fn epoch(&mut self, epoch: usize) -> Self::Iter<'_>;

    /// The number of batches per epoch, when known (for progress bars).
    fn num_batches(&self) -> Option<usize>;
}

/// A fixed list of batches, the same every epoch.
impl<T: Element> Batches<T> for Vec<Batch<T>> {
    type Iter<'a> =
        std::iter::Map<std::slice::Iter<'a, Batch<T>>, fn(&Batch<T>) -> Result<Batch<T>>>;

    fn epoch(&mut self, _epoch: usize) -> Self::Iter<'_> {
        self.iter().map(|b| Ok(b.clone()))
    }

    fn num_batches(&self) -> Option<usize> {
        Some(self.len())
    }
}
