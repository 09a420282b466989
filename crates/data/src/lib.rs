//! Datasets and batch loaders for Youshi: MNIST, Fashion-MNIST, CIFAR-10/100 and CSV files,
//! in-memory datasets and seeded splits, transforms, and a [`DataLoader`] that shuffles the
//! same way on every machine and can prepare batches on a background thread.
//!
//! ```
//! use youshi_data::mnist::{bundled_dir, Mnist};
//! use youshi_data::transform::Normalize;
//! use youshi_data::{train_val_split, Batches, DataLoader, Dataset, Pixels, Split};
//!
//! // MNIST's test split (10,000 images), bundled in this repository.
//! let mnist = Mnist::load(bundled_dir(), Split::Test)?;
//! let (train, val) = train_val_split(mnist.to_dataset::<f32>(Pixels::Unit), 0.1, 0)?;
//!
//! let mut loader = DataLoader::new(train, 128)?
//!     .shuffle(0)
//!     .transform(Normalize::new(vec![0.1307], vec![0.3081])?)
//!     .prefetch(2);
//! assert_eq!(loader.num_batches(), Some(71)); // 9,000 examples
//!
//! let first = loader.epoch(0).next().unwrap()?;
//! assert_eq!(first.inputs.shape(), &[128, 1, 28, 28]);
//! assert_eq!(first.targets.shape(), &[128]);
//! assert_eq!(val.len(), 1_000);
//! # Ok::<(), youshi_data::DataError>(())
//! ```
//!
//! # Overview
//! - [`mnist`], [`cifar`], [`tabular`]: readers of the file formats that validate headers,
//!   sizes, counts and labels, and report the file and byte offset (or line and column) of a
//!   problem; [`idx`] is the IDX reader under [`mnist`].
//! - [`Dataset`] (length and indexed access), [`InMemory`], [`Subset`], [`random_split`] and
//!   [`train_val_split`].
//! - [`DataLoader`], which implements the training loop's [`Batches`] trait, and the
//!   per-example [`transform`]s.
//! - [`rng`]: the exact seeded algorithms behind shuffling, splitting and augmentation.
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs)]

pub mod batch;
pub mod cifar;
pub mod dataset;
pub mod error;
pub mod idx;
pub mod images;
pub mod loader;
pub mod mnist;
pub mod rng;
pub mod tabular;
pub mod transform;

pub use batch::{Batch, Batches};
pub use dataset::{random_split, train_val_split, Dataset, InMemory, Subset};
pub use error::{DataError, Result};
pub use images::{Pixels, Split};
pub use loader::{DataLoader, EpochIter};
