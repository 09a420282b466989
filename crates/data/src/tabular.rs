//! Tabular data from CSV files: feature and label columns chosen by name.
//!
//! The first row is the header. Features are numbers; the label is either a number (a class
//! index or a regression target) or, with [`CsvOptions::categorical`], any string, mapped to
//! class indices in sorted order. Fields are trimmed of surrounding whitespace. Errors name
//! the file, the line and the column.
//!
//! ```
//! use youshi_data::tabular::CsvOptions;
//! use youshi_data::Dataset;
//!
//! let csv = "sepal_length,sepal_width,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n";
//! let table = CsvOptions::new("species")
//!     .categorical()
//!     .read(csv.as_bytes(), "iris.csv")?;
//! assert_eq!(table.feature_names(), &["sepal_length", "sepal_width"]);
//! assert_eq!(table.classes(), Some(&["setosa".to_string(), "versicolor".to_string()][..]));
//! assert_eq!(table.targets(), &[0.0, 1.0]);
//!
//! let data = table.to_dataset::<f32>();
//! assert_eq!(data.get(1)?.0.to_vec(), vec![7.0, 3.2]);
//!
//! // A missing column lists the ones there are.
//! let err = CsvOptions::new("label").read(csv.as_bytes(), "iris.csv").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "iris.csv: no column named \"label\"; the columns are: sepal_length, sepal_width, species"
//! );
//! # Ok::<(), youshi_data::DataError>(())
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use youshi_tensor::{Element, Tensor};

use crate::dataset::InMemory;
use crate::error::{DataError, Result};
use crate::transform::Normalize;

/// How the label column is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LabelKind {
    /// A number: a class index or a regression target.
    #[default]
    Numeric,
    /// Any string, one class per distinct value, numbered in sorted (byte) order.
    Categorical,
}

/// Which columns of a CSV file to read, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    label: String,
    features: Option<Vec<String>>,
    label_kind: LabelKind,
    delimiter: u8,
}

impl CsvOptions {
    /// Reads the column `label` as a numeric label and every other column as a feature, with
    /// `,` between fields.
    pub fn new(label: impl Into<String>) -> Self {
        CsvOptions {
            label: label.into(),
            features: None,
            label_kind: LabelKind::Numeric,
            delimiter: b',',
        }
    }

    /// Reads only the feature columns `names`, in that order.
    pub fn features<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.features = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Reads the label as categorical strings.
    pub fn categorical(mut self) -> Self {
        self.label_kind = LabelKind::Categorical;
        self
    }

    /// Sets how the label is read.
    pub fn label_kind(mut self, kind: LabelKind) -> Self {
        self.label_kind = kind;
        self
    }

    /// Sets the field delimiter (`b';'`, `b'\t'`, ...).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Reads the CSV file at `path`.
    ///
    /// # Errors
    /// [`DataError::Io`] if the file cannot be read; the errors of [`CsvOptions::read`].
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Tabular> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| DataError::io("read CSV file", path, e))?;
        self.read(file, path)
    }

    /// Reads CSV text from `reader`; `name` stands for the file in error messages.
    ///
    /// # Errors
    /// [`DataError::Format`] for input without a header row, or that is not valid CSV
    /// (unclosed quotes, bad UTF-8); [`DataError::MissingColumn`] listing the header's columns
    /// when a requested column is absent; [`DataError::InvalidArgument`] if the label is also
    /// a feature or no feature is left; [`DataError::Csv`] with the line and column for a
    /// record with the wrong number of fields, an empty value, or a feature (or numeric label)
    /// that is not a finite number.
    pub fn read(&self, reader: impl Read, name: impl Into<PathBuf>) -> Result<Tabular> {
        let path = name.into();
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .delimiter(self.delimiter)
            .from_reader(reader);
        let header: Vec<String> = csv
            .headers()
            .map_err(|e| csv_error(&path, e))?
            .iter()
            .map(str::to_string)
            .collect();
        if header.is_empty() || header.iter().all(String::is_empty) {
            return Err(DataError::format(&path, 0, "no header row"));
        }
        let column = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| DataError::MissingColumn {
                    path: path.clone(),
                    column: name.to_string(),
                    available: header.clone(),
                })
        };
        let label_col = column(&self.label)?;
        let feature_names: Vec<String> = match &self.features {
            Some(names) => {
                if names.contains(&self.label) {
                    return Err(DataError::invalid(
                        "read CSV",
                        format!("the label column \"{}\" is also a feature", self.label),
                    ));
                }
                names.clone()
            }
            None => header
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != label_col)
                .map(|(_, h)| h.clone())
                .collect(),
        };
        if feature_names.is_empty() {
            return Err(DataError::invalid(
                "read CSV",
                format!(
                    "{}: no feature columns besides the label \"{}\"",
                    path.display(),
                    self.label
                ),
            ));
        }
        let feature_cols = feature_names
            .iter()
            .map(|n| column(n))
            .collect::<Result<Vec<_>>>()?;

        let mut features = Vec::new();
        let mut numeric_labels = Vec::new();
        let mut string_labels = Vec::new();
        let mut record = csv::StringRecord::new();
        loop {
            match csv.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_error(&path, e)),
            }
            let line = record.position().map_or(0, |p| p.line());
            let bad = |column: String, reason: String| DataError::Csv {
                path: path.clone(),
                line,
                column,
                reason,
            };
            if record.len() != header.len() {
                let column = match header.get(record.len()) {
                    Some(name) => name.clone(),
                    None => format!("#{}", header.len() + 1),
                };
                return Err(bad(
                    column,
                    format!(
                        "the record has {} fields but the header has {}",
                        record.len(),
                        header.len()
                    ),
                ));
            }
            for (&c, name) in feature_cols.iter().zip(&feature_names) {
                let v = parse_number(&record[c]).map_err(|reason| bad(name.clone(), reason))?;
                features.push(v);
            }
            let raw = &record[label_col];
            match self.label_kind {
                LabelKind::Numeric => {
                    let v = parse_number(raw).map_err(|reason| bad(self.label.clone(), reason))?;
                    numeric_labels.push(v);
                }
                LabelKind::Categorical => {
                    if raw.is_empty() {
                        return Err(bad(self.label.clone(), "empty value".into()));
                    }
                    string_labels.push(raw.to_string());
                }
            }
        }
        let (targets, classes) = match self.label_kind {
            LabelKind::Numeric => (numeric_labels, None),
            LabelKind::Categorical => {
                let mut ids: BTreeMap<&str, usize> =
                    string_labels.iter().map(|s| (s.as_str(), 0)).collect();
                for (k, id) in ids.values_mut().enumerate() {
                    *id = k;
                }
                let targets = string_labels
                    .iter()
                    .map(|s| ids[s.as_str()] as f64)
                    .collect();
                let classes = ids.keys().map(|s| s.to_string()).collect();
                (targets, Some(classes))
            }
        };
        Ok(Tabular {
            feature_names,
            label_name: self.label.clone(),
            features,
            targets,
            classes,
        })
    }
}

/// A finite number, or why the field is not one.
fn parse_number(field: &str) -> std::result::Result<f64, String> {
    if field.is_empty() {
        return Err("empty value".into());
    }
    match field.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("value \"{field}\" is not a finite number")),
        Err(_) => Err(format!("cannot parse \"{field}\" as a number")),
    }
}

/// A CSV reader error as a [`DataError`] naming the file and where.
fn csv_error(path: &Path, e: csv::Error) -> DataError {
    let (line, offset) = e.position().map_or((0, 0), |p| (p.line(), p.byte()));
    match e.into_kind() {
        csv::ErrorKind::Io(io) => DataError::io("read CSV file", path, io),
        csv::ErrorKind::Utf8 { err, .. } => DataError::Csv {
            path: path.to_path_buf(),
            line,
            column: format!("#{}", err.field() + 1),
            reason: format!("invalid UTF-8: {err}"),
        },
        other => DataError::format(path, offset, format!("malformed CSV: {other:?}")),
    }
}

/// Features and labels read from a CSV file.
#[derive(Clone, Debug, PartialEq)]
pub struct Tabular {
    feature_names: Vec<String>,
    label_name: String,
    features: Vec<f64>,
    targets: Vec<f64>,
    classes: Option<Vec<String>>,
}

impl Tabular {
    /// The number of rows (examples).
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the file had no data rows.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The number of feature columns.
    pub fn num_features(&self) -> usize {
        self.feature_names.len()
    }

    /// The feature columns, in the order of each row's values.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// The label column.
    pub fn label_name(&self) -> &str {
        &self.label_name
    }

    /// The classes of a categorical label, by class index (sorted); `None` for a numeric
    /// label.
    pub fn classes(&self) -> Option<&[String]> {
        self.classes.as_deref()
    }

    /// All features, `len() * num_features()` values, row after row.
    pub fn features(&self) -> &[f64] {
        &self.features
    }

    /// The features of row `index`, or `None` past the end.
    pub fn row(&self, index: usize) -> Option<&[f64]> {
        let f = self.num_features();
        let start = index.checked_mul(f)?;
        self.features.get(start..start.checked_add(f)?)
    }

    /// The label of each row (class indices for a categorical label).
    pub fn targets(&self) -> &[f64] {
        &self.targets
    }

    /// The features as a tensor.
    ///
    /// # Shapes
    /// `[N, F]`.
    pub fn input_tensor<T: Element>(&self) -> Tensor<T> {
        let values = self.features.iter().map(|&v| T::of(v)).collect();
        Tensor::from_vec(values, [self.len(), self.num_features()])
            .expect("Tabular: one value per row and feature column")
    }

    /// The labels as a tensor.
    ///
    /// # Shapes
    /// `[N]`.
    pub fn target_tensor<T: Element>(&self) -> Tensor<T> {
        let values = self.targets.iter().map(|&v| T::of(v)).collect();
        Tensor::from_vec(values, [self.len()]).expect("Tabular: one label per row")
    }

    /// An in-memory dataset of `(features [F], label [])` examples.
    pub fn to_dataset<T: Element>(&self) -> InMemory<T> {
        InMemory::from_checked(self.input_tensor(), self.target_tensor())
    }
}

/// Per-feature standardisation, `(x - mean) / std`, fitted on one table and applied to others
/// (fit on the training rows, apply to training and validation rows alike), like
/// scikit-learn's `StandardScaler`: the std is the population one (divisor `N`), and a
/// constant feature (std 0) is only centred.
///
/// # Examples
/// ```
/// use youshi_data::tabular::{CsvOptions, Standardizer};
/// let mut t = CsvOptions::new("y").read("x,y\n1,0\n3,1\n".as_bytes(), "t.csv")?;
/// let s = Standardizer::fit(&t)?;
/// assert_eq!((s.mean(), s.std()), (&[2.0][..], &[1.0][..]));
/// s.apply(&mut t)?;
/// assert_eq!(t.features(), &[-1.0, 1.0]);
/// # Ok::<(), youshi_data::DataError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    mean: Vec<f64>,
    std: Vec<f64>,
}

impl Standardizer {
    /// The mean and std of each feature of `data`.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if `data` has no rows.
    pub fn fit(data: &Tabular) -> Result<Self> {
        let (n, f) = (data.len(), data.num_features());
        if n == 0 {
            return Err(DataError::invalid(
                "Standardizer::fit",
                "cannot fit on a table with no rows",
            ));
        }
        let mut mean = vec![0.0; f];
        for row in data.features.chunks_exact(f) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut var = vec![0.0; f];
        for row in data.features.chunks_exact(f) {
            for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        let std = var
            .into_iter()
            .map(|s| {
                let sd = (s / n as f64).sqrt();
                if sd > 0.0 {
                    sd
                } else {
                    1.0
                }
            })
            .collect();
        Ok(Standardizer { mean, std })
    }

    /// The per-feature means.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The per-feature standard deviations (1 for constant features).
    pub fn std(&self) -> &[f64] {
        &self.std
    }

    /// Standardises the features of `data` in place.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if `data` has another number of features.
    pub fn apply(&self, data: &mut Tabular) -> Result<()> {
        let f = data.num_features();
        if f != self.mean.len() {
            return Err(DataError::invalid(
                "Standardizer::apply",
                format!(
                    "fitted on {} features, given a table of {f}",
                    self.mean.len()
                ),
            ));
        }
        for row in data.features.chunks_exact_mut(f) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
        Ok(())
    }

    /// The same standardisation as a [`Normalize`] transform over the features of one row.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if a statistic overflowed to infinity (features near
    /// `f64::MAX`).
    pub fn to_normalize(&self) -> Result<Normalize> {
        Normalize::new(self.mean.clone(), self.std.clone())
    }
}
