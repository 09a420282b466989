//! The [`Dataset`] trait, in-memory datasets, subsets and seeded random splits.
//!
//! ```
//! use youshi_data::{Dataset, InMemory, train_val_split};
//! use youshi_tensor::Tensor;
//!
//! // Ten examples of 3 features with class labels 0, 1, 0, 1, ...
//! let x = Tensor::<f32>::from_shape_fn([10, 3], |i| (i[0] * 3 + i[1]) as f32);
//! let y = Tensor::<f32>::from_shape_fn([10], |i| (i[0] % 2) as f32);
//! let data = InMemory::new(x, y)?;
//! let (input, target) = data.get(4)?;
//! assert_eq!(input.to_vec(), vec![12.0, 13.0, 14.0]);
//! assert_eq!(target.item()?, 0.0);
//!
//! let (train, val) = train_val_split(data, 0.2, 42)?;
//! assert_eq!((train.len(), val.len()), (8, 2));
//! # Ok::<(), youshi_data::DataError>(())
//! ```

use std::sync::Arc;

use youshi_tensor::{Element, Tensor};

use crate::batch::Batch;
use crate::error::{DataError, Result};
use crate::rng::{derive_rng, permutation, SPLIT};

/// A collection of examples that can be indexed, like PyTorch's map-style `Dataset`.
///
/// An example is a pair `(input, target)`. For classification the target is a scalar tensor
/// holding the class index, so that a batch's targets stack to `[N]`.
///
/// Datasets are `Send + Sync` so a [`DataLoader`](crate::DataLoader) can read them from a
/// background thread.
pub trait Dataset<T: Element = f32>: Send + Sync {
    /// The number of examples.
    fn len(&self) -> usize;

    /// Whether the dataset holds no examples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Example `index`: `(input, target)`.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if `index` is not below [`len`](Dataset::len); whatever
    /// reading the example can fail with.
    fn get(&self, index: usize) -> Result<(Tensor<T>, Tensor<T>)>;

    /// The examples `indices`, in that order, collated into one [`Batch`] whose tensors have
    /// a new first axis of extent `indices.len()`.
    ///
    /// The default stacks the results of [`get`](Dataset::get); in-memory datasets override
    /// it to copy the rows directly.
    ///
    /// # Shapes
    /// Inputs of shape `[...]` give `[indices.len(), ...]`; the same for targets.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] for an empty `indices` or an index out of range;
    /// [`DataError::Tensor`] if two examples differ in shape.
    fn gather(&self, indices: &[usize]) -> Result<Batch<T>> {
        check_indices("gather", indices, self.len())?;
        let mut xs = Vec::with_capacity(indices.len());
        let mut ys = Vec::with_capacity(indices.len());
        for &i in indices {
            let (x, y) = self.get(i)?;
            xs.push(x);
            ys.push(y);
        }
        let stack = |ts: &[Tensor<T>]| Tensor::stack(&ts.iter().collect::<Vec<_>>(), 0);
        Ok(Batch::new(stack(&xs)?, stack(&ys)?))
    }
}

/// Checks that `indices` is non-empty and every index is below `len`.
fn check_indices(op: &'static str, indices: &[usize], len: usize) -> Result<()> {
    if indices.is_empty() {
        return Err(DataError::invalid(
            op,
            "cannot collate an empty list of examples",
        ));
    }
    check_all_below(op, indices, len)
}

fn check_all_below(op: &'static str, indices: &[usize], len: usize) -> Result<()> {
    match indices.iter().position(|&i| i >= len) {
        Some(k) => Err(index_error(op, indices[k], len)),
        None => Ok(()),
    }
}

fn index_error(op: &'static str, index: usize, len: usize) -> DataError {
    DataError::invalid(
        op,
        format!("index {index} is out of range for a dataset of {len} examples"),
    )
}

impl<T: Element, D: Dataset<T> + ?Sized> Dataset<T> for Arc<D> {
    fn len(&self) -> usize {
        (**self).len()
    }

    fn get(&self, index: usize) -> Result<(Tensor<T>, Tensor<T>)> {
        (**self).get(index)
    }

    fn gather(&self, indices: &[usize]) -> Result<Batch<T>> {
        (**self).gather(indices)
    }
}

impl<T: Element, D: Dataset<T> + ?Sized> Dataset<T> for Box<D> {
    fn len(&self) -> usize {
        (**self).len()
    }

    fn get(&self, index: usize) -> Result<(Tensor<T>, Tensor<T>)> {
        (**self).get(index)
    }

    fn gather(&self, indices: &[usize]) -> Result<Batch<T>> {
        (**self).gather(indices)
    }
}

/// A dataset held in two tensors whose first axis indexes the examples, like PyTorch's
/// `TensorDataset`.
///
/// # Shapes
/// `inputs` `[N, ...]` and `targets` `[N]` (class indices) or `[N, ...]`; example `i` is
/// `(inputs[i], targets[i])`.
///
/// # Examples
/// ```
/// use youshi_data::{Dataset, InMemory};
/// use youshi_tensor::Tensor;
/// let data = InMemory::new(Tensor::<f32>::zeros([5, 2]), Tensor::<f32>::ones([5]))?;
/// let batch = data.gather(&[4, 0])?;
/// assert_eq!(batch.inputs.shape(), &[2, 2]);
/// assert_eq!(batch.targets.to_vec(), vec![1.0, 1.0]);
/// # Ok::<(), youshi_data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct InMemory<T: Element = f32> {
    inputs: Tensor<T>,
    targets: Tensor<T>,
}

impl<T: Element> InMemory<T> {
    /// A dataset of the rows of `inputs` and `targets` (stored contiguously, so batches are
    /// gathered by copying rows).
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if either tensor is a scalar or their first dimensions
    /// differ.
    pub fn new(inputs: Tensor<T>, targets: Tensor<T>) -> Result<Self> {
        let (xs, ys) = (inputs.shape_obj(), targets.shape_obj());
        match (inputs.shape().first(), targets.shape().first()) {
            (Some(n), Some(m)) if n == m => Ok(InMemory {
                inputs: inputs.contiguous(),
                targets: targets.contiguous(),
            }),
            (Some(_), Some(_)) => Err(DataError::invalid(
                "InMemory::new",
                format!("inputs {xs} and targets {ys} differ in their first (example) dimension"),
            )),
            _ => Err(DataError::invalid(
                "InMemory::new",
                format!("inputs {xs} and targets {ys} must both have an example axis (rank >= 1)"),
            )),
        }
    }

    /// A dataset of tensors the caller has already checked: both contiguous, of rank >= 1,
    /// with equal first dimensions.
    pub(crate) fn from_checked(inputs: Tensor<T>, targets: Tensor<T>) -> Self {
        debug_assert!(inputs.is_contiguous() && targets.is_contiguous());
        debug_assert_eq!(inputs.shape().first(), targets.shape().first());
        InMemory { inputs, targets }
    }

    /// All inputs, `[N, ...]`.
    pub fn inputs(&self) -> &Tensor<T> {
        &self.inputs
    }

    /// All targets, `[N]` or `[N, ...]`.
    pub fn targets(&self) -> &Tensor<T> {
        &self.targets
    }

    /// The inputs and targets.
    pub fn into_parts(self) -> (Tensor<T>, Tensor<T>) {
        (self.inputs, self.targets)
    }
}

impl<T: Element> Dataset<T> for InMemory<T> {
    fn len(&self) -> usize {
        self.inputs.shape()[0]
    }

    fn get(&self, index: usize) -> Result<(Tensor<T>, Tensor<T>)> {
        if index >= self.len() {
            return Err(index_error("InMemory::get", index, self.len()));
        }
        Ok((
            self.inputs.select(0, index)?,
            self.targets.select(0, index)?,
        ))
    }

    fn gather(&self, indices: &[usize]) -> Result<Batch<T>> {
        check_indices("InMemory::gather", indices, self.len())?;
        Ok(Batch::new(
            self.inputs.index_select(0, indices)?,
            self.targets.index_select(0, indices)?,
        ))
    }
}

/// The examples of another dataset at a list of indices, like PyTorch's `Subset`.
///
/// Gathering a batch maps the indices and gathers from the underlying dataset, so an
/// in-memory dataset keeps its fast path.
#[derive(Clone)]
pub struct Subset<T: Element = f32> {
    dataset: Arc<dyn Dataset<T>>,
    indices: Vec<usize>,
}

impl<T: Element> Subset<T> {
    /// The examples `indices` of `dataset` (repeats allowed), example `k` of the subset being
    /// example `indices[k]` of `dataset`.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] naming the first index not below `dataset.len()`.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// use youshi_data::{Dataset, InMemory, Subset};
    /// use youshi_tensor::Tensor;
    /// let base = Arc::new(InMemory::new(
    ///     Tensor::<f32>::from_shape_fn([4, 1], |i| i[0] as f32),
    ///     Tensor::<f32>::zeros([4]),
    /// )?);
    /// let odd = Subset::new(base, vec![1, 3])?;
    /// assert_eq!(odd.get(1)?.0.to_vec(), vec![3.0]);
    /// # Ok::<(), youshi_data::DataError>(())
    /// ```
    pub fn new(dataset: Arc<dyn Dataset<T>>, indices: Vec<usize>) -> Result<Self> {
        check_all_below("Subset::new", &indices, dataset.len())?;
        Ok(Subset { dataset, indices })
    }

    /// The indices into the underlying dataset.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// The underlying dataset.
    pub fn dataset(&self) -> &Arc<dyn Dataset<T>> {
        &self.dataset
    }
}

impl<T: Element> std::fmt::Debug for Subset<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subset")
            .field("len", &self.indices.len())
            .field("of", &self.dataset.len())
            .finish()
    }
}

impl<T: Element> Dataset<T> for Subset<T> {
    fn len(&self) -> usize {
        self.indices.len()
    }

    fn get(&self, index: usize) -> Result<(Tensor<T>, Tensor<T>)> {
        match self.indices.get(index) {
            Some(&i) => self.dataset.get(i),
            None => Err(index_error("Subset::get", index, self.len())),
        }
    }

    fn gather(&self, indices: &[usize]) -> Result<Batch<T>> {
        check_indices("Subset::gather", indices, self.len())?;
        let mapped: Vec<usize> = indices.iter().map(|&i| self.indices[i]).collect();
        self.dataset.gather(&mapped)
    }
}

/// Splits `dataset` at random into subsets of the given sizes, like PyTorch's
/// `random_split` with lengths.
///
/// The examples are permuted by the Fisher–Yates shuffle of
/// `derive_rng(seed, 0, 0, SPLIT)` (see [`rng`](crate::rng)); subset `k` takes the next
/// `lengths[k]` entries of the permutation, sorted ascending so the subsets read the
/// underlying dataset in order. The same seed gives the same split on every machine.
///
/// # Errors
/// [`DataError::InvalidArgument`] if the lengths do not add up to `dataset.len()`.
///
/// # Examples
/// ```
/// use youshi_data::{random_split, Dataset, InMemory};
/// use youshi_tensor::Tensor;
/// let data = InMemory::new(Tensor::<f32>::zeros([10, 2]), Tensor::<f32>::zeros([10]))?;
/// let parts = random_split(data, &[5, 3, 2], 0)?;
/// assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), vec![5, 3, 2]);
/// # Ok::<(), youshi_data::DataError>(())
/// ```
pub fn random_split<T: Element, D: Dataset<T> + 'static>(
    dataset: D,
    lengths: &[usize],
    seed: u64,
) -> Result<Vec<Subset<T>>> {
    let n = dataset.len();
    let total = lengths
        .iter()
        .try_fold(0usize, |acc, &l| acc.checked_add(l))
        .unwrap_or(usize::MAX);
    if total != n {
        return Err(DataError::invalid(
            "random_split",
            format!("lengths {lengths:?} add up to {total}, not to the dataset's {n} examples"),
        ));
    }
    let shared: Arc<dyn Dataset<T>> = Arc::new(dataset);
    let perm = permutation(n, &mut derive_rng(seed, 0, 0, SPLIT));
    let mut start = 0;
    let mut out = Vec::with_capacity(lengths.len());
    for &len in lengths {
        let mut indices = perm[start..start + len].to_vec();
        indices.sort_unstable();
        start += len;
        out.push(Subset {
            dataset: Arc::clone(&shared),
            indices,
        });
    }
    Ok(out)
}

/// Splits `dataset` at random into a training and a validation subset, the validation one
/// holding `round(val_fraction * len)` examples: [`random_split`] with those two lengths.
///
/// # Errors
/// [`DataError::InvalidArgument`] unless `0 <= val_fraction <= 1`.
///
/// # Examples
/// ```
/// use youshi_data::{train_val_split, Dataset, InMemory};
/// use youshi_tensor::Tensor;
/// let data = InMemory::new(Tensor::<f32>::zeros([100, 2]), Tensor::<f32>::zeros([100]))?;
/// let (train, val) = train_val_split(data, 0.1, 7)?;
/// assert_eq!((train.len(), val.len()), (90, 10));
/// # Ok::<(), youshi_data::DataError>(())
/// ```
pub fn train_val_split<T: Element, D: Dataset<T> + 'static>(
    dataset: D,
    val_fraction: f64,
    seed: u64,
) -> Result<(Subset<T>, Subset<T>)> {
    if !(0.0..=1.0).contains(&val_fraction) {
        return Err(DataError::invalid(
            "train_val_split",
            format!("the validation fraction must lie in [0, 1], got {val_fraction}"),
        ));
    }
    let n = dataset.len();
    let n_val = ((n as f64 * val_fraction).round() as usize).min(n);
    let mut parts = random_split(dataset, &[n - n_val, n_val], seed)?.into_iter();
    match (parts.next(), parts.next()) {
        (Some(train), Some(val)) => Ok((train, val)),
        _ => unreachable!("random_split returns one subset per length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> InMemory<f64> {
        InMemory::new(
            Tensor::from_shape_fn([n, 2], |i| (i[0] * 10 + i[1]) as f64),
            Tensor::from_shape_fn([n], |i| i[0] as f64),
        )
        .unwrap()
    }

    /// A dataset with only `get`, to exercise the default `gather`.
    struct OnlyGet(InMemory<f64>);

    impl Dataset<f64> for OnlyGet {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn get(&self, index: usize) -> Result<(Tensor<f64>, Tensor<f64>)> {
            self.0.get(index)
        }
    }

    #[test]
    fn default_gather_matches_the_in_memory_fast_path() {
        let data = numbered(7);
        let idx = [6, 0, 3, 3];
        let fast = data.gather(&idx).unwrap();
        let slow = OnlyGet(data).gather(&idx).unwrap();
        assert_eq!(fast.inputs, slow.inputs);
        assert_eq!(fast.targets, slow.targets);
        assert_eq!(fast.targets.to_vec(), vec![6.0, 0.0, 3.0, 3.0]);
        assert_eq!(fast.inputs.shape(), &[4, 2]);
    }

    #[test]
    fn in_memory_rejects_mismatched_tensors() {
        let e = InMemory::new(Tensor::<f32>::zeros([3, 2]), Tensor::zeros([4])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "InMemory::new: inputs [3, 2] and targets [4] differ in their first (example) dimension"
        );
        let e = InMemory::new(Tensor::<f32>::scalar(1.0), Tensor::zeros([1])).unwrap_err();
        assert!(e.to_string().contains("inputs [] and targets [1]"), "{e}");
    }

    #[test]
    fn out_of_range_indices_are_errors() {
        let data = numbered(3);
        let e = data.get(3).unwrap_err();
        assert_eq!(
            e.to_string(),
            "InMemory::get: index 3 is out of range for a dataset of 3 examples"
        );
        let e = data.gather(&[0, 5]).unwrap_err();
        assert!(e.to_string().contains("index 5 is out of range"), "{e}");
        let e = data.gather(&[]).unwrap_err();
        assert!(e.to_string().contains("empty list"), "{e}");
        let e = OnlyGet(numbered(2)).gather(&[2]).unwrap_err();
        assert!(e.to_string().starts_with("gather: index 2"), "{e}");
        let base: Arc<dyn Dataset<f64>> = Arc::new(numbered(3));
        let e = Subset::new(Arc::clone(&base), vec![0, 3]).unwrap_err();
        assert!(e.to_string().starts_with("Subset::new: index 3"), "{e}");
        let s = Subset::new(base, vec![2]).unwrap();
        assert!(s.get(1).is_err());
        assert!(s.gather(&[1]).is_err());
    }

    #[test]
    fn subset_maps_indices() {
        let base: Arc<dyn Dataset<f64>> = Arc::new(numbered(5));
        let s = Subset::new(base, vec![4, 1, 1]).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.get(0).unwrap().1.item().unwrap(), 4.0);
        let b = s.gather(&[2, 0]).unwrap();
        assert_eq!(b.targets.to_vec(), vec![1.0, 4.0]);
        assert_eq!(b.inputs.to_vec(), vec![10.0, 11.0, 40.0, 41.0]);
    }

    #[test]
    fn splits_partition_the_dataset_reproducibly() {
        let parts = random_split(numbered(20), &[10, 6, 4], 3).unwrap();
        let mut all: Vec<usize> = parts.iter().flat_map(|p| p.indices().to_vec()).collect();
        for p in &parts {
            assert!(p.indices().windows(2).all(|w| w[0] < w[1]));
        }
        all.sort_unstable();
        assert_eq!(all, (0..20).collect::<Vec<_>>());
        let again = random_split(numbered(20), &[10, 6, 4], 3).unwrap();
        let other = random_split(numbered(20), &[10, 6, 4], 4).unwrap();
        assert_eq!(parts[1].indices(), again[1].indices());
        assert_ne!(parts[1].indices(), other[1].indices());
        // The split is the documented permutation cut into consecutive pieces.
        let perm = permutation(20, &mut derive_rng(3, 0, 0, SPLIT));
        let mut first = perm[..10].to_vec();
        first.sort_unstable();
        assert_eq!(parts[0].indices(), &first[..]);
    }

    #[test]
    fn split_arguments_are_checked() {
        let e = random_split(numbered(5), &[2, 2], 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "random_split: lengths [2, 2] add up to 4, not to the dataset's 5 examples"
        );
        let e = random_split(numbered(5), &[usize::MAX, 2], 0).unwrap_err();
        assert!(e.to_string().contains("not to the dataset's 5"), "{e}");
        let e = train_val_split(numbered(5), 1.5, 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "train_val_split: the validation fraction must lie in [0, 1], got 1.5"
        );
        assert!(train_val_split(numbered(5), f64::NAN, 0).is_err());
        let (train, val) = train_val_split(numbered(5), 1.0, 0).unwrap();
        assert_eq!((train.len(), val.len()), (0, 5));
        let (train, val) = train_val_split(numbered(7), 0.5, 0).unwrap();
        assert_eq!((train.len(), val.len()), (3, 4));
    }
}
