//! [`History`]: every logged value of every epoch, and [`Logs`], the values of one epoch.
//!
//! ```
//! use youshi_optim::fit::{History, Logs};
//!
//! let mut history = History::new();
//! history.push(&Logs::new(1).with("loss", 0.9).with("val_loss", 1.0));
//! history.push(&Logs::new(2).with("loss", 0.5).with("val_loss", 0.7));
//! assert_eq!(history.get("val_loss"), Some(&[1.0, 0.7][..]));
//! assert_eq!(history.to_csv(), "epoch,loss,val_loss\n1,0.9,1\n2,0.5,0.7\n");
//! ```

use std::fmt;
use std::path::Path;

use crate::error::Result;
use crate::fit::atomic::write_atomic;
use crate::fit::chart;

/// The values logged at the end of one epoch (`loss`, metrics, then `val_loss`, `val_`
/// metrics), in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Logs {
    epoch: usize,
    entries: Vec<(String, f64)>,
}

impl Logs {
    /// Empty logs for epoch `epoch` (counted from 1).
    pub fn new(epoch: usize) -> Self {
        Logs {
            epoch,
            entries: Vec::new(),
        }
    }

    /// Adds (or replaces) a value, builder style.
    pub fn with(mut self, name: impl Into<String>, value: f64) -> Self {
        self.insert(name, value);
        self
    }

    /// Adds a value, replacing one of the same name.
    pub fn insert(&mut self, name: impl Into<String>, value: f64) {
        let name = name.into();
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((name, value)),
        }
    }

    /// The epoch, counted from 1.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The value named `name`.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }

    /// The names and values, in logging order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> + '_ {
        self.entries.iter().map(|(n, v)| (n.as_str(), *v))
    }

    /// The names, in logging order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.iter().map(|(n, _)| n.as_str())
    }
}

/// `loss: 0.1234 - accuracy: 0.9500`, Keras's summary format.
impl fmt::Display for Logs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (n, v)) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(" - ")?;
            }
            write!(f, "{n}: {v:.4}")?;
        }
        Ok(())
    }
}

/// Every logged value per epoch, Keras's `History.history`: one series per name (`loss`,
/// `accuracy`, `val_loss`, ...), one value per epoch, returned by
/// [`Trainer::fit`](crate::fit::Trainer::fit) and saved in checkpoints.
///
/// A name that first appears at a later epoch (validation added on a second `fit`) holds NaN
/// for the epochs before; a name missing from an epoch's logs holds NaN there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    epochs: Vec<usize>,
    names: Vec<String>,
    values: Vec<Vec<f64>>,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        History::default()
    }

    /// Appends one epoch's logs.
    pub fn push(&mut self, logs: &Logs) {
        let rows = self.epochs.len();
        for (name, _) in logs.iter() {
            if !self.names.iter().any(|n| n == name) {
                self.names.push(name.to_string());
                self.values.push(vec![f64::NAN; rows]);
            }
        }
        for (name, series) in self.names.iter().zip(self.values.iter_mut()) {
            series.push(logs.get(name).unwrap_or(f64::NAN));
        }
        self.epochs.push(logs.epoch());
    }

    /// The number of epochs recorded.
    pub fn len(&self) -> usize {
        self.epochs.len()
    }

    /// True if no epoch is recorded.
    pub fn is_empty(&self) -> bool {
        self.epochs.is_empty()
    }

    /// The epoch numbers recorded (from 1), in order.
    pub fn epochs(&self) -> &[usize] {
        &self.epochs
    }

    /// The series' names, in order of first appearance.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.names.iter().map(String::as_str)
    }

    /// The values of `name`, one per epoch.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.values[i].as_slice())
    }

    /// The last value of `name`.
    pub fn last(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(|v| v.last().copied())
    }

    /// The logs of the `index`-th recorded epoch (from 0).
    pub fn row(&self, index: usize) -> Option<Logs> {
        let epoch = *self.epochs.get(index)?;
        let mut logs = Logs::new(epoch);
        for (n, v) in self.names.iter().zip(&self.values) {
            logs.insert(n.clone(), v[index]);
        }
        Some(logs)
    }

    /// Builds a history from its parts, checking every series has one value per epoch.
    pub(crate) fn from_parts(
        epochs: Vec<usize>,
        names: Vec<String>,
        values: Vec<Vec<f64>>,
    ) -> std::result::Result<Self, String> {
        if names.len() != values.len() {
            return Err(format!(
                "{} series names for {} series",
                names.len(),
                values.len()
            ));
        }
        for (n, v) in names.iter().zip(&values) {
            if v.len() != epochs.len() {
                return Err(format!(
                    "series {n:?} has {} values for {} epochs",
                    v.len(),
                    epochs.len()
                ));
            }
        }
        Ok(History {
            epochs,
            names,
            values,
        })
    }

    /// The series as `(name, values)` pairs.
    pub(crate) fn series(&self) -> impl Iterator<Item = (&str, &[f64])> + '_ {
        self.names
            .iter()
            .zip(&self.values)
            .map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// The history as CSV: a header `epoch,<name>,...` and one row per epoch, values in
    /// Rust's shortest round-trip form (`NaN`, `inf` for non-finite ones).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("epoch");
        for n in &self.names {
            out.push(',');
            out.push_str(&csv_field(n));
        }
        out.push('\n');
        for (i, e) in self.epochs.iter().enumerate() {
            out.push_str(&e.to_string());
            for v in &self.values {
                out.push(',');
                out.push_str(&v[i].to_string());
            }
            out.push('\n');
        }
        out
    }

    /// Writes [`to_csv`](History::to_csv) to `path`, atomically (a temporary file in the same
    /// directory, renamed over `path`).
    ///
    /// # Errors
    /// [`OptimError::Io`](crate::OptimError::Io) if the file cannot be written.
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic("write history CSV", path.as_ref(), self.to_csv().as_bytes())
    }

    /// The history as an SVG chart: one panel per quantity (`loss`, `accuracy`, ...), the
    /// training series and its `val_` twin as lines over the epochs.
    ///
    /// # Examples
    /// ```
    /// use youshi_optim::fit::{History, Logs};
    /// let mut h = History::new();
    /// for e in 1..=3 {
    ///     let x = e as f64;
    ///     h.push(&Logs::new(e).with("loss", 1.0 / x).with("val_loss", 1.2 / x));
    /// }
    /// let svg = h.to_svg();
    /// assert!(svg.starts_with("<svg"));
    /// assert_eq!(svg.matches("<polyline").count(), 2);
    /// ```
    pub fn to_svg(&self) -> String {
        chart::render(self)
    }

    /// Writes [`to_svg`](History::to_svg) to `path`, atomically.
    ///
    /// # Errors
    /// [`OptimError::Io`](crate::OptimError::Io) if the file cannot be written.
    pub fn write_svg(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(
            "write history chart",
            path.as_ref(),
            self.to_svg().as_bytes(),
        )
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_and_missing_names_hold_nan() {
        let mut h = History::new();
        h.push(&Logs::new(1).with("loss", 1.0));
        h.push(&Logs::new(2).with("loss", 0.5).with("val_loss", 0.8));
        h.push(&Logs::new(3).with("val_loss", 0.6));
        assert_eq!(h.len(), 3);
        assert_eq!(h.epochs(), &[1, 2, 3]);
        let loss = h.get("loss").unwrap();
        assert_eq!(&loss[..2], &[1.0, 0.5]);
        assert!(loss[2].is_nan());
        let val = h.get("val_loss").unwrap();
        assert!(val[0].is_nan());
        assert_eq!(h.last("val_loss"), Some(0.6));
        assert_eq!(h.names().collect::<Vec<_>>(), ["loss", "val_loss"]);
        assert!(h.get("accuracy").is_none());
        let row = h.row(1).unwrap();
        assert_eq!(row.epoch(), 2);
        assert_eq!(row.get("val_loss"), Some(0.8));
        assert!(h.row(3).is_none());
    }

    #[test]
    fn csv_quotes_odd_names_and_writes_non_finite_values() {
        let mut h = History::new();
        h.push(
            &Logs::new(1)
                .with("loss", f64::NAN)
                .with("a,b", f64::INFINITY),
        );
        assert_eq!(h.to_csv(), "epoch,loss,\"a,b\"\n1,NaN,inf\n");
    }

    #[test]
    fn logs_display_like_keras_and_replace_values() {
        let mut logs = Logs::new(4).with("loss", 0.123456).with("accuracy", 0.5);
        logs.insert("loss", 0.25);
        assert_eq!(logs.to_string(), "loss: 0.2500 - accuracy: 0.5000");
        assert_eq!(logs.names().collect::<Vec<_>>(), ["loss", "accuracy"]);
    }

    #[test]
    fn from_parts_checks_lengths() {
        let e = History::from_parts(vec![1, 2], vec!["loss".into()], vec![vec![1.0]]).unwrap_err();
        assert_eq!(e, "series \"loss\" has 1 values for 2 epochs");
        let e = History::from_parts(vec![], vec!["loss".into()], vec![]).unwrap_err();
        assert_eq!(e, "1 series names for 0 series");
        let h = History::from_parts(vec![1, 2], vec!["loss".into()], vec![vec![1.0, 2.0]]).unwrap();
        assert_eq!(h.get("loss"), Some(&[1.0, 2.0][..]));
    }

    #[test]
    fn write_csv_replaces_the_file_atomically() {
        let dir = std::env::temp_dir().join(format!("youshi-history-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("h.csv");
        let mut h = History::new();
        h.push(&Logs::new(1).with("loss", 2.0));
        h.write_csv(&path).unwrap();
        h.push(&Logs::new(2).with("loss", 1.0));
        h.write_csv(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "epoch,loss\n1,2\n2,1\n"
        );
        assert!(!youshi_layers::io::temp_path(&path).exists());
        let e = h.write_csv(dir.join("missing").join("h.csv")).unwrap_err();
        assert!(e.to_string().starts_with("write history CSV: "), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
