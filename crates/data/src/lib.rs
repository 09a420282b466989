//! Datasets and batch loaders for Youshi.
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs)]

pub mod batch;
pub mod error;

pub use batch::{Batch, Batches};
pub use error::{DataError, Result};
