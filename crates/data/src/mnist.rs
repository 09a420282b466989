//! MNIST and Fashion-MNIST in their original IDX format, gzipped or raw.
//!
//! Both datasets ship as four files with the same names and layout:
//! `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and
//! `t10k-labels-idx1-ubyte`, each optionally gzipped (`.gz`); gzip is recognised by the file's
//! first bytes, not its name. [`Mnist::load`] reads either dataset from a directory, and
//! [`bundled_dir`] is the copy of MNIST kept in this repository's `data/mnist`.
//!
//! ```
//! use youshi_data::mnist::{bundled_dir, Mnist};
//! use youshi_data::{Dataset, Pixels, Split};
//!
//! let test = Mnist::load(bundled_dir(), Split::Test)?;
//! assert_eq!(test.len(), 10_000);
//! assert_eq!(&test.labels()[..5], &[7, 2, 1, 0, 4]);
//!
//! let images = test.images::<f32>(Pixels::Unit);
//! assert_eq!(images.shape(), &[10_000, 1, 28, 28]);
//!
//! let data = test.to_dataset::<f32>(Pixels::Unit);
//! let (image, label) = data.get(0)?;
//! assert_eq!((image.shape(), label.item()?), (&[1, 28, 28][..], 7.0));
//! # Ok::<(), youshi_data::DataError>(())
//! ```
//!
//! The files are validated as described in [`idx`](crate::idx); in addition the images file
//! must have 3 dimensions `[N, rows, cols]`, the labels file 1 dimension `[N]` with the same
//! `N`, and every label must be below 10.

use std::path::{Path, PathBuf};

use youshi_tensor::{Element, Tensor};

use crate::dataset::InMemory;
use crate::error::{DataError, Result};
use crate::idx::read_idx_u8;
use crate::images::{bytes_to_tensor, labels_to_tensor, Pixels, Split};

/// The number of classes of MNIST and Fashion-MNIST.
pub const NUM_CLASSES: usize = 10;

/// The class names of Fashion-MNIST, by label.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// The directory of the MNIST copy kept in this repository (`data/mnist`), for examples and
/// tests run from a checkout. Published packages do not include the data; load from any other
/// directory with [`Mnist::load`].
pub fn bundled_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist"))
}

/// The base names of the images and labels files of `split`.
fn stems(split: Split) -> (&'static str, &'static str) {
    match split {
        Split::Train => ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        Split::Test => ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }
}

/// The first of `stem` and `stem.gz` that exists in `dir`.
fn find(op: &'static str, dir: &Path, stem: &str) -> Result<PathBuf> {
    let candidates = [stem.to_string(), format!("{stem}.gz")];
    candidates
        .iter()
        .map(|c| dir.join(c))
        .find(|p| p.is_file())
        .ok_or_else(|| DataError::NotFound {
            op,
            dir: dir.to_path_buf(),
            candidates: candidates.to_vec(),
        })
}

/// The images and labels of one split of MNIST or Fashion-MNIST, as bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mnist {
    pixels: Vec<u8>,
    labels: Vec<u8>,
    rows: usize,
    cols: usize,
}

impl Mnist {
    /// Loads `split` from `dir`, where each file may be raw or gzipped
    /// (`train-images-idx3-ubyte` or `train-images-idx3-ubyte.gz`, and so on; the raw name is
    /// tried first).
    ///
    /// # Errors
    /// [`DataError::NotFound`] if a file is missing; the errors of [`Mnist::from_files`].
    ///
    /// # Examples
    /// ```
    /// use youshi_data::mnist::{bundled_dir, Mnist};
    /// use youshi_data::Split;
    /// let train = Mnist::load(bundled_dir(), Split::Train)?;
    /// assert_eq!((train.len(), train.rows(), train.cols()), (60_000, 28, 28));
    /// assert_eq!(&train.labels()[..5], &[5, 0, 4, 1, 9]);
    /// # Ok::<(), youshi_data::DataError>(())
    /// ```
    pub fn load(dir: impl AsRef<Path>, split: Split) -> Result<Self> {
        let dir = dir.as_ref();
        let op = match split {
            Split::Train => "load MNIST train split",
            Split::Test => "load MNIST test split",
        };
        let (images, labels) = stems(split);
        Self::from_files(find(op, dir, images)?, find(op, dir, labels)?)
    }

    /// Loads an images file (IDX, 3 dimensions) and its labels file (IDX, 1 dimension), each
    /// raw or gzipped.
    ///
    /// # Errors
    /// [`DataError::Io`] if a file cannot be read; [`DataError::Format`] naming the file and
    /// the byte offset for anything [`read_idx_u8`] rejects, for a labels count that differs
    /// from the images count, and for a label of 10 or more.
    pub fn from_files(images: impl AsRef<Path>, labels: impl AsRef<Path>) -> Result<Self> {
        let (images_path, labels_path) = (images.as_ref(), labels.as_ref());
        let images = read_idx_u8(images_path, 3)?;
        let labels = read_idx_u8(labels_path, 1)?;
        let (n, rows, cols) = (images.dims()[0], images.dims()[1], images.dims()[2]);
        if labels.dims()[0] != n {
            return Err(DataError::format(
                labels_path,
                4,
                format!(
                    "the labels file declares {} examples but the images file {} declares {n}",
                    labels.dims()[0],
                    images_path.display()
                ),
            ));
        }
        let header = labels.header_len();
        if let Some(i) = labels
            .data()
            .iter()
            .position(|&l| l as usize >= NUM_CLASSES)
        {
            return Err(DataError::format(
                labels_path,
                header + i as u64,
                format!(
                    "label {} of example {i} is not a class index in 0..{NUM_CLASSES}",
                    labels.data()[i]
                ),
            ));
        }
        Ok(Mnist {
            pixels: images.into_data(),
            labels: labels.into_data(),
            rows,
            cols,
        })
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples (never true for a loaded file, whose dimensions are
    /// positive).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The height of an image (28).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The width of an image (28).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The class of each example, `0..10`.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The class of each example as `usize` indices.
    pub fn label_indices(&self) -> Vec<usize> {
        self.labels.iter().map(|&l| l as usize).collect()
    }

    /// All pixels, `len() * rows() * cols()` bytes, image after image in row-major order
    /// (0 is background).
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The pixels of image `index`, or `None` past the end.
    pub fn image(&self, index: usize) -> Option<&[u8]> {
        let size = self.rows * self.cols;
        let start = index.checked_mul(size)?;
        self.pixels.get(start..start.checked_add(size)?)
    }

    /// How many examples each class has.
    pub fn label_counts(&self) -> [usize; NUM_CLASSES] {
        let mut counts = [0; NUM_CLASSES];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// The images as one tensor.
    ///
    /// # Shapes
    /// `[N, 1, rows, cols]` (NCHW with one channel).
    pub fn images<T: Element>(&self, scale: Pixels) -> Tensor<T> {
        bytes_to_tensor(&self.pixels, &[self.len(), 1, self.rows, self.cols], scale)
    }

    /// The labels as class indices stored as numbers.
    ///
    /// # Shapes
    /// `[N]`.
    pub fn targets<T: Element>(&self) -> Tensor<T> {
        labels_to_tensor(&self.labels)
    }

    /// An in-memory dataset of `(image [1, rows, cols], label [])` examples.
    pub fn to_dataset<T: Element>(&self, scale: Pixels) -> InMemory<T> {
        InMemory::from_checked(self.images(scale), self.targets())
    }
}
