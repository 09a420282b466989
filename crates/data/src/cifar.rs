//! CIFAR-10 and CIFAR-100 in their binary version (`cifar-10-batches-bin`,
//! `cifar-100-binary`).
//!
//! Each file is a sequence of fixed-size records. A CIFAR-10 record is 1 label byte (`0..10`)
//! and 3072 pixel bytes; a CIFAR-100 record is 2 label bytes, coarse (`0..20`) then fine
//! (`0..100`), and 3072 pixel bytes. The pixels are the red, green and blue planes of a
//! 32 × 32 image, each in row-major order, so an image is `[3, 32, 32]` (CHW) as it stands.
//!
//! A file must be a non-empty whole number of records (an error names the offset of a
//! trailing partial record) and every label must be in range (an error names the offset of
//! the label byte).
//!
//! ```
//! use youshi_data::cifar::{Cifar, CifarKind, RECORD_BYTES_10};
//! use youshi_data::{Dataset, Pixels};
//!
//! // Two CIFAR-10 records: labels 3 and 7, all pixels 255.
//! let mut bytes = Vec::new();
//! for label in [3u8, 7] {
//!     bytes.push(label);
//!     bytes.extend(std::iter::repeat(255u8).take(RECORD_BYTES_10 - 1));
//! }
//! let path = std::env::temp_dir().join(format!("youshi-cifar-doc-{}.bin", std::process::id()));
//! std::fs::write(&path, &bytes).unwrap();
//!
//! let data = Cifar::from_files(CifarKind::Cifar10, &[&path])?;
//! assert_eq!(data.labels(), &[3, 7]);
//! let (image, label) = data.to_dataset::<f32>(Pixels::Unit).get(1)?;
//! assert_eq!((image.shape(), label.item()?), (&[3, 32, 32][..], 7.0));
//! # std::fs::remove_file(&path).ok();
//! # Ok::<(), youshi_data::DataError>(())
//! ```

use std::path::{Path, PathBuf};

use youshi_tensor::{Element, Tensor};

use crate::dataset::InMemory;
use crate::error::{DataError, Result};
use crate::images::{bytes_to_tensor, labels_to_tensor, Pixels, Split};

/// Bytes of one image: 3 channels of 32 × 32.
pub const IMAGE_BYTES: usize = 3 * 32 * 32;
/// Bytes of one CIFAR-10 record: a label and an image.
pub const RECORD_BYTES_10: usize = 1 + IMAGE_BYTES;
/// Bytes of one CIFAR-100 record: a coarse label, a fine label and an image.
pub const RECORD_BYTES_100: usize = 2 + IMAGE_BYTES;

/// The class names of CIFAR-10, by label.
pub const CIFAR10_CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

/// Which of the two datasets a file belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CifarKind {
    /// 10 classes; one label byte per record.
    Cifar10,
    /// 100 fine classes grouped into 20 coarse ones; two label bytes per record.
    Cifar100,
}

impl CifarKind {
    /// The size of one record in bytes.
    pub fn record_bytes(self) -> usize {
        match self {
            CifarKind::Cifar10 => RECORD_BYTES_10,
            CifarKind::Cifar100 => RECORD_BYTES_100,
        }
    }

    /// The number of (fine) classes: 10 or 100.
    pub fn num_classes(self) -> usize {
        match self {
            CifarKind::Cifar10 => 10,
            CifarKind::Cifar100 => 100,
        }
    }

    /// The file names of `split`, and the subdirectory the official archive unpacks to.
    fn files(self, split: Split) -> (&'static [&'static str], &'static str) {
        match (self, split) {
            (CifarKind::Cifar10, Split::Train) => (
                &[
                    "data_batch_1.bin",
                    "data_batch_2.bin",
                    "data_batch_3.bin",
                    "data_batch_4.bin",
                    "data_batch_5.bin",
                ],
                "cifar-10-batches-bin",
            ),
            (CifarKind::Cifar10, Split::Test) => (&["test_batch.bin"], "cifar-10-batches-bin"),
            (CifarKind::Cifar100, Split::Train) => (&["train.bin"], "cifar-100-binary"),
            (CifarKind::Cifar100, Split::Test) => (&["test.bin"], "cifar-100-binary"),
        }
    }
}

/// The images and labels of one or more CIFAR files, as bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cifar {
    kind: CifarKind,
    pixels: Vec<u8>,
    labels: Vec<u8>,
    coarse: Vec<u8>,
}

impl Cifar {
    /// Loads `split` of `kind` from `dir` or from the subdirectory the official archive
    /// unpacks to (`cifar-10-batches-bin`, `cifar-100-binary`): for CIFAR-10
    /// `data_batch_1.bin` to `data_batch_5.bin` or `test_batch.bin`, for CIFAR-100
    /// `train.bin` or `test.bin`.
    ///
    /// # Errors
    /// [`DataError::NotFound`] if the first file is in neither place; the errors of
    /// [`Cifar::from_files`].
    pub fn load(dir: impl AsRef<Path>, kind: CifarKind, split: Split) -> Result<Self> {
        let dir = dir.as_ref();
        let (names, sub) = kind.files(split);
        let base = [dir.to_path_buf(), dir.join(sub)]
            .into_iter()
            .find(|d| d.join(names[0]).is_file())
            .ok_or_else(|| DataError::NotFound {
                op: match kind {
                    CifarKind::Cifar10 => "load CIFAR-10",
                    CifarKind::Cifar100 => "load CIFAR-100",
                },
                dir: dir.to_path_buf(),
                candidates: vec![names[0].to_string(), format!("{sub}/{}", names[0])],
            })?;
        let paths: Vec<PathBuf> = names.iter().map(|n| base.join(n)).collect();
        Self::from_files(kind, &paths)
    }

    /// Loads and concatenates the records of `paths`, in order.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] for an empty list; [`DataError::Io`] if a file cannot be
    /// read; [`DataError::Format`] naming the file and byte offset for an empty file, a
    /// trailing partial record, or a label out of range.
    pub fn from_files<P: AsRef<Path>>(kind: CifarKind, paths: &[P]) -> Result<Self> {
        if paths.is_empty() {
            return Err(DataError::invalid(
                "Cifar::from_files",
                "expected at least one file, got an empty list",
            ));
        }
        let mut out = Cifar {
            kind,
            pixels: Vec::new(),
            labels: Vec::new(),
            coarse: Vec::new(),
        };
        for p in paths {
            out.read_file(p.as_ref())?;
        }
        Ok(out)
    }

    /// Validates one file and appends its records.
    fn read_file(&mut self, path: &Path) -> Result<()> {
        let bytes = std::fs::read(path).map_err(|e| DataError::io("read CIFAR file", path, e))?;
        let rec = self.kind.record_bytes();
        let label_bytes = rec - IMAGE_BYTES;
        if bytes.is_empty() {
            return Err(DataError::format(path, 0, "file holds no records"));
        }
        let whole = bytes.len() / rec * rec;
        if whole != bytes.len() {
            return Err(DataError::format(
                path,
                whole as u64,
                format!(
                    "trailing partial record of {} bytes after {} whole records (a record is \
                     {rec} bytes: {label_bytes} label byte{} and {IMAGE_BYTES} pixels)",
                    bytes.len() - whole,
                    whole / rec,
                    if label_bytes == 1 { "" } else { "s" },
                ),
            ));
        }
        let n = bytes.len() / rec;
        self.pixels.reserve(n * IMAGE_BYTES);
        self.labels.reserve(n);
        for (i, r) in bytes.chunks_exact(rec).enumerate() {
            let at = (i * rec) as u64;
            let check = |offset: u64, value: u8, what: &str, bound: usize| {
                if (value as usize) < bound {
                    Ok(())
                } else {
                    Err(DataError::format(
                        path,
                        offset,
                        format!("{what} {value} of record {i} is not a class index in 0..{bound}"),
                    ))
                }
            };
            match self.kind {
                CifarKind::Cifar10 => {
                    check(at, r[0], "label", 10)?;
                    self.labels.push(r[0]);
                }
                CifarKind::Cifar100 => {
                    check(at, r[0], "coarse label", 20)?;
                    check(at + 1, r[1], "fine label", 100)?;
                    self.coarse.push(r[0]);
                    self.labels.push(r[1]);
                }
            }
            self.pixels.extend_from_slice(&r[label_bytes..]);
        }
        Ok(())
    }

    /// CIFAR-10 or CIFAR-100.
    pub fn kind(&self) -> CifarKind {
        self.kind
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples (never true for loaded files).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The class of each example: `0..10` for CIFAR-10, the fine class `0..100` for
    /// CIFAR-100.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The coarse class `0..20` of each example for CIFAR-100; `None` for CIFAR-10.
    pub fn coarse_labels(&self) -> Option<&[u8]> {
        match self.kind {
            CifarKind::Cifar10 => None,
            CifarKind::Cifar100 => Some(&self.coarse),
        }
    }

    /// All pixels, `len() * 3072` bytes, each image as its red, green and blue planes.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// How many examples each (fine) class has.
    pub fn label_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.kind.num_classes()];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// The images as one tensor.
    ///
    /// # Shapes
    /// `[N, 3, 32, 32]` (NCHW).
    pub fn images<T: Element>(&self, scale: Pixels) -> Tensor<T> {
        bytes_to_tensor(&self.pixels, &[self.len(), 3, 32, 32], scale)
    }

    /// The (fine) labels as class indices stored as numbers.
    ///
    /// # Shapes
    /// `[N]`.
    pub fn targets<T: Element>(&self) -> Tensor<T> {
        labels_to_tensor(&self.labels)
    }

    /// The coarse labels of CIFAR-100 as numbers, `[N]`; `None` for CIFAR-10.
    pub fn coarse_targets<T: Element>(&self) -> Option<Tensor<T>> {
        self.coarse_labels().map(labels_to_tensor)
    }

    /// An in-memory dataset of `(image [3, 32, 32], label [])` examples with the (fine)
    /// labels.
    pub fn to_dataset<T: Element>(&self, scale: Pixels) -> InMemory<T> {
        InMemory::from_checked(self.images(scale), self.targets())
    }
}
