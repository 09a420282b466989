//! [`DataLoader`]: seeded shuffling, batching, transforms and background prefetching.
//!
//! ```
//! use youshi_data::{Batches, DataLoader, InMemory};
//! use youshi_tensor::Tensor;
//!
//! let x = Tensor::<f32>::from_shape_fn([10, 2], |i| i[0] as f32);
//! let y = Tensor::<f32>::from_shape_fn([10], |i| (i[0] % 3) as f32);
//! let mut loader = DataLoader::new(InMemory::new(x, y)?, 4)?
//!     .shuffle(42)
//!     .drop_last(true)
//!     .prefetch(2);
//! assert_eq!(loader.num_batches(), Some(2));
//! for epoch in 0..3 {
//!     let mut seen = 0;
//!     for batch in loader.epoch(epoch) {
//!         let batch = batch?;
//!         assert_eq!(batch.inputs.shape(), &[4, 2]);
//!         seen += batch.len();
//!     }
//!     assert_eq!(seen, 8);
//! }
//! // Epoch k's order is a function of (seed, k) alone.
//! assert_eq!(loader.order(1), youshi_data::rng::epoch_order(42, 1, 10));
//! # Ok::<(), youshi_data::DataError>(())
//! ```
//!
//! # Determinism
//! Epoch `k` visits the examples in [`epoch_order(seed, k, len)`](crate::rng::epoch_order)
//! (Fisher–Yates on ChaCha8, documented in [`rng`](crate::rng)) when shuffling, in index
//! order otherwise, and cuts that order into consecutive batches. Each example's transform
//! draws from [`example_rng(seed, k, index)`](crate::rng::example_rng). Nothing depends on
//! the machine, on earlier epochs, or on whether a background thread prepares the batches,
//! so a run resumed at epoch `k` sees exactly the batches of an uninterrupted run.
//!
//! # Background loading
//! With [`prefetch(n)`](DataLoader::prefetch), `n > 0`, each epoch's batches are prepared on
//! a thread (`std::thread`) and handed over through a bounded channel (`std::sync::mpsc`) of
//! `n` batches, so the next batches are ready while the model trains on the current one.
//! Dropping the epoch's iterator early closes the channel, which stops the thread at its next
//! hand-over; the drop then waits for it, so no thread outlives its iterator.

use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

use youshi_tensor::{Element, Tensor};

use crate::batch::{Batch, Batches};
use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::rng::{epoch_order, example_rng};
use crate::transform::{Compose, Transform};

/// Iterates a [`Dataset`] in mini-batches, like PyTorch's `DataLoader`: optional seeded
/// shuffling, dropping of the last incomplete batch, per-example transforms of the inputs,
/// and preparation of batches on a background thread. Implements [`Batches`], the source
/// the training loop consumes.
///
/// # Shapes
/// A dataset of examples `(input [...], target [...])` gives batches
/// `(inputs [B, ...], targets [B, ...])` with `B` the batch size (smaller for the last batch
/// unless [`drop_last`](DataLoader::drop_last)); inputs take the shape the transforms give.
pub struct DataLoader<T: Element = f32> {
    dataset: Arc<dyn Dataset<T>>,
    batch_size: usize,
    shuffle: bool,
    seed: u64,
    drop_last: bool,
    transform: Compose<T>,
    prefetch: usize,
}

impl<T: Element> DataLoader<T> {
    /// Batches of `batch_size` examples of `dataset` in index order, without transforms,
    /// prepared in the foreground.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if `batch_size` is 0.
    pub fn new(dataset: impl Dataset<T> + 'static, batch_size: usize) -> Result<Self> {
        Self::from_shared(Arc::new(dataset), batch_size)
    }

    /// Like [`DataLoader::new`] for a dataset shared with other owners.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if `batch_size` is 0.
    pub fn from_shared(dataset: Arc<dyn Dataset<T>>, batch_size: usize) -> Result<Self> {
        if batch_size == 0 {
            return Err(DataError::invalid(
                "DataLoader::new",
                "batch size must be at least 1, got 0",
            ));
        }
        Ok(DataLoader {
            dataset,
            batch_size,
            shuffle: false,
            seed: 0,
            drop_last: false,
            transform: Compose::new(),
            prefetch: 0,
        })
    }

    /// Shuffles every epoch, epoch `k` in the order
    /// [`epoch_order(seed, k, len)`](crate::rng::epoch_order); `seed` also seeds the
    /// transforms.
    pub fn shuffle(mut self, seed: u64) -> Self {
        self.shuffle = true;
        self.seed = seed;
        self
    }

    /// Sets the seed of the transforms (and of the shuffle, if enabled) without turning
    /// shuffling on; the default is 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether to leave out the last batch when it is smaller than the batch size.
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Adds a transform of each example's input, run after those added before.
    pub fn transform(mut self, t: impl Transform<T> + 'static) -> Self {
        self.transform = self.transform.then(t);
        self
    }

    /// Prepares up to `batches` batches ahead on a background thread; 0 (the default)
    /// prepares each batch in the foreground when it is asked for. The batches are the same
    /// either way.
    pub fn prefetch(mut self, batches: usize) -> Self {
        self.prefetch = batches;
        self
    }

    /// The dataset.
    pub fn dataset(&self) -> &Arc<dyn Dataset<T>> {
        &self.dataset
    }

    /// The number of examples per batch.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Whether epochs are shuffled.
    pub fn is_shuffled(&self) -> bool {
        self.shuffle
    }

    /// The number of batches in an epoch.
    pub fn len(&self) -> usize {
        let n = self.dataset.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// Whether an epoch yields no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dataset indices in the order epoch `epoch` visits them (including any examples of
    /// a dropped last batch).
    pub fn order(&self, epoch: usize) -> Vec<usize> {
        let n = self.dataset.len();
        if self.shuffle {
            epoch_order(self.seed, epoch, n)
        } else {
            (0..n).collect()
        }
    }

    /// The batches of epoch `epoch` (also available as [`Batches::epoch`]).
    pub fn iter_epoch(&self, epoch: usize) -> EpochIter<T> {
        let job = Job {
            dataset: Arc::clone(&self.dataset),
            transform: (!self.transform.is_empty()).then(|| self.transform.clone()),
            order: self.order(epoch),
            batch_size: self.batch_size,
            num_batches: self.len(),
            seed: self.seed,
            epoch,
        };
        let total = job.num_batches;
        let state = if self.prefetch == 0 || total == 0 {
            State::Foreground(job)
        } else {
            spawn(job, self.prefetch)
        };
        EpochIter {
            state,
            next: 0,
            total,
        }
    }
}

impl<T: Element> Clone for DataLoader<T> {
    /// Another loader over the same (shared) dataset with the same settings.
    fn clone(&self) -> Self {
        DataLoader {
            dataset: Arc::clone(&self.dataset),
            batch_size: self.batch_size,
            shuffle: self.shuffle,
            seed: self.seed,
            drop_last: self.drop_last,
            transform: self.transform.clone(),
            prefetch: self.prefetch,
        }
    }
}

impl<T: Element> std::fmt::Debug for DataLoader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataLoader")
            .field("examples", &self.dataset.len())
            .field("batch_size", &self.batch_size)
            .field("shuffle", &self.shuffle)
            .field("seed", &self.seed)
            .field("drop_last", &self.drop_last)
            .field("transforms", &self.transform.len())
            .field("prefetch", &self.prefetch)
            .finish()
    }
}

impl<T: Element> Batches<T> for DataLoader<T> {
    type Iter<'a> = EpochIter<T>;

    fn epoch(&mut self, epoch: usize) -> Self::Iter<'_> {
        self.iter_epoch(epoch)
    }

    fn num_batches(&self) -> Option<usize> {
        Some(self.len())
    }
}

/// Everything needed to produce one epoch's batches, on any thread.
struct Job<T: Element> {
    dataset: Arc<dyn Dataset<T>>,
    transform: Option<Compose<T>>,
    order: Vec<usize>,
    batch_size: usize,
    num_batches: usize,
    seed: u64,
    epoch: usize,
}

impl<T: Element> Job<T> {
    /// Batch `b` of the epoch (`b < num_batches`).
    fn batch(&self, b: usize) -> Result<Batch<T>> {
        let start = b * self.batch_size;
        let end = (start + self.batch_size).min(self.order.len());
        let indices = &self.order[start..end];
        let mut batch = self.dataset.gather(indices)?;
        if let Some(t) = &self.transform {
            let mut outs = Vec::with_capacity(indices.len());
            for (row, &index) in indices.iter().enumerate() {
                let x = batch.inputs.select(0, row)?;
                outs.push(t.apply(x, &mut example_rng(self.seed, self.epoch, index))?);
            }
            batch.inputs = Tensor::stack(&outs.iter().collect::<Vec<_>>(), 0)?;
        }
        Ok(batch)
    }
}

/// Where an epoch's batches come from.
enum State<T: Element> {
    /// Computed on demand.
    Foreground(Job<T>),
    /// Received from a worker thread.
    Background {
        rx: Receiver<Result<Batch<T>>>,
        handle: Option<JoinHandle<()>>,
    },
    /// The worker thread could not be started.
    Failed(Option<DataError>),
    /// Finished, or stopped by an error.
    Done,
}

/// Starts the worker thread of `job` with a channel of `capacity` batches.
fn spawn<T: Element>(job: Job<T>, capacity: usize) -> State<T> {
    let (tx, rx) = sync_channel(capacity);
    let worker = move || {
        for b in 0..job.num_batches {
            let batch = job.batch(b);
            let failed = batch.is_err();
            // A send fails once the iterator is dropped: stop early.
            if tx.send(batch).is_err() || failed {
                return;
            }
        }
    };
    match std::thread::Builder::new()
        .name("youshi-data-loader".into())
        .spawn(worker)
    {
        Ok(handle) => State::Background {
            rx,
            handle: Some(handle),
        },
        Err(e) => State::Failed(Some(DataError::Worker {
            reason: format!("cannot start the thread: {e}"),
        })),
    }
}

/// The message of a thread's panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("the thread panicked: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("the thread panicked: {s}")
    } else {
        "the thread panicked".to_string()
    }
}

/// The batches of one epoch of a [`DataLoader`].
///
/// Yields `Ok` batches, or one `Err` after which it ends. Dropping it before the end stops and
/// joins its background thread, if any.
pub struct EpochIter<T: Element = f32> {
    state: State<T>,
    next: usize,
    total: usize,
}

impl<T: Element> EpochIter<T> {
    /// Stops the worker (if any) and waits for it; returns the panic message if it panicked.
    fn finish(&mut self) -> Option<String> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Background { rx, handle } => {
                // Closing the channel first unblocks a worker waiting to send.
                drop(rx);
                handle
                    .and_then(|h| h.join().err())
                    .map(|p| panic_message(p.as_ref()))
            }
            _ => None,
        }
    }
}

impl<T: Element> Iterator for EpochIter<T> {
    type Item = Result<Batch<T>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.total {
            self.finish();
            return None;
        }
        let item = match &mut self.state {
            State::Done => return None,
            State::Failed(e) => {
                let e = e.take();
                self.state = State::Done;
                return e.map(Err);
            }
            State::Foreground(job) => job.batch(self.next),
            State::Background { rx, .. } => match rx.recv() {
                Ok(item) => item,
                Err(_) => {
                    let reason = self.finish().unwrap_or_else(|| {
                        "the thread stopped before sending every batch".to_string()
                    });
                    return Some(Err(DataError::Worker { reason }));
                }
            },
        };
        self.next += 1;
        if item.is_err() {
            self.finish();
            self.state = State::Done;
        }
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.state {
            State::Done => (0, Some(0)),
            _ => (0, Some(self.total - self.next)),
        }
    }
}

impl<T: Element> Drop for EpochIter<T> {
    fn drop(&mut self) {
        self.finish();
    }
}

impl<T: Element> std::fmt::Debug for EpochIter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match self.state {
            State::Foreground(_) => "foreground",
            State::Background { .. } => "background",
            State::Failed(_) | State::Done => "done",
        };
        f.debug_struct("EpochIter")
            .field("next", &self.next)
            .field("total", &self.total)
            .field("mode", &mode)
            .finish()
    }
}
