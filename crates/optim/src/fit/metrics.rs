//! Metrics: what the training loop reports besides the loss ([`Accuracy`], [`TopKAccuracy`],
//! closures through [`metric_fn`]), and the [`Metric`] trait to add your own.
//!
//! A metric accumulates over the batches of an epoch and reports one number. The built-in
//! metrics average **per example**, as Keras does: an epoch of batches of 32, 32 and 8
//! examples weighs each example equally, not each batch.
//!
//! ```
//! use youshi_optim::fit::{Accuracy, Metric};
//! use youshi_tensor::Tensor;
//!
//! let mut acc = Accuracy::new();
//! // Two batches: logits [N, 3] and class indices [N].
//! let logits = Tensor::<f32>::from_vec(vec![2.0, 0.0, 0.0, 0.0, 1.0, 0.0], [2, 3])?;
//! acc.update(&logits, &Tensor::from_vec(vec![0.0, 2.0], [2])?)?; // 1 of 2
//! let logits = Tensor::<f32>::from_vec(vec![0.0, 0.0, 5.0], [1, 3])?;
//! acc.update(&logits, &Tensor::from_vec(vec![2.0], [1])?)?; // 1 of 1
//! assert!((Metric::<f32>::result(&acc) - 2.0 / 3.0).abs() < 1e-12);
//! # Ok::<(), youshi_optim::OptimError>(())
//! ```

use youshi_tensor::{Element, Shape, Tensor};

use crate::error::{OptimError, Result};
use crate::fit::loss::class_indices;

/// A quantity accumulated over an epoch's batches.
///
/// The loop calls [`reset`](Metric::reset) before each training epoch and before
/// validation, [`update`](Metric::update) after each batch with the model's output and the
/// targets, and [`result`](Metric::result) at the end; validation results are logged with a
/// `val_` prefix.
pub trait Metric<T: Element = f32>: Send {
    /// The name in logs, history and CSV columns (`"accuracy"`). Letters, digits and `_`.
    fn name(&self) -> String;

    /// Forgets everything accumulated.
    fn reset(&mut self);

    /// Accumulates one batch.
    ///
    /// # Shapes
    /// `output` is the model's output `[N, ...]`, `target` the batch's targets `[N, ...]`.
    ///
    /// # Errors
    /// [`OptimError::Input`] for targets that do not fit the output.
    fn update(&mut self, output: &Tensor<T>, target: &Tensor<T>) -> Result<()>;

    /// The value over everything accumulated since the last reset (NaN if nothing was).
    fn result(&self) -> f64;
}

/// Per-example counts behind the accuracies.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Ratio {
    hits: f64,
    total: f64,
}

impl Ratio {
    fn value(&self) -> f64 {
        if self.total == 0.0 {
            f64::NAN
        } else {
            self.hits / self.total
        }
    }
}

/// `(rows, classes)` of an output whose class axis is axis 1: `[N, C]`.
fn rows_classes(op: &'static str, output: &[usize]) -> Result<(usize, usize)> {
    match output {
        [n, c] => Ok((*n, *c)),
        _ => Err(OptimError::input(
            op,
            format!(
                "expects an output [N, C] of class scores, got {}",
                Shape::from(output)
            ),
        )),
    }
}

/// The class index of each row of `target`: `[N]` indices, or `[N, C]` one-hot /
/// probabilities (their arg-max).
fn target_classes<T: Element>(
    op: &'static str,
    target: &Tensor<T>,
    n: usize,
    c: usize,
) -> Result<Vec<usize>> {
    let t = target.shape();
    if t == [n] {
        let idx = class_indices(op, target)?;
        return Ok(idx.iter().copied().collect());
    }
    if t == [n, c] {
        let v = target.to_vec();
        return Ok(v.chunks(c.max(1)).map(argmax).collect());
    }
    Err(OptimError::input(
        op,
        format!(
            "targets must be class indices [{n}] or class probabilities [{n}, {c}], got {}",
            target.shape_obj()
        ),
    ))
}

/// The index of the first largest value (NaN never wins; an all-NaN row gives 0).
fn argmax<T: Element>(row: &[T]) -> usize {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] || row[best].is_nan() && !v.is_nan() {
            best = i;
        }
    }
    best
}

/// Classification accuracy, Keras's `accuracy`: the fraction of examples whose predicted
/// class is the target class.
///
/// - An output `[N, C]` with `C > 1` predicts the arg-max class (the first on ties); targets
///   are class indices `[N]` or one-hot / probabilities `[N, C]` (their arg-max).
/// - An output `[N]` or `[N, 1]` is one **logit** per example (for `BceWithLogitsLoss`): it
///   predicts class 1 when it exceeds the threshold, 0 by default (probability ½). For a
///   sigmoid output, set [`threshold`](Accuracy::threshold) to 0.5. Targets are `[N]` or
///   `[N, 1]` numbers; one at least 0.5 is class 1.
///
/// # Examples
/// ```
/// use youshi_optim::fit::{Accuracy, Metric};
/// use youshi_tensor::Tensor;
/// let mut acc = Accuracy::new();
/// let logits = Tensor::<f32>::from_vec(vec![2.0, -1.0, 0.5], [3, 1])?;
/// acc.update(&logits, &Tensor::from_vec(vec![1.0, 0.0, 0.0], [3])?)?;
/// assert!((Metric::<f32>::result(&acc) - 2.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Accuracy {
    threshold: f64,
    counts: Ratio,
}

impl Default for Accuracy {
    fn default() -> Self {
        Accuracy::new()
    }
}

impl Accuracy {
    /// Accuracy, with the binary threshold 0 for single-logit outputs.
    pub fn new() -> Self {
        Accuracy {
            threshold: 0.0,
            counts: Ratio::default(),
        }
    }

    /// Sets the threshold above which a single output predicts class 1 (0 for logits, 0.5 for
    /// probabilities).
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }
}

impl<T: Element> Metric<T> for Accuracy {
    fn name(&self) -> String {
        "accuracy".into()
    }

    fn reset(&mut self) {
        self.counts = Ratio::default();
    }

    fn update(&mut self, output: &Tensor<T>, target: &Tensor<T>) -> Result<()> {
        let op = "Accuracy";
        let o = output.shape();
        let binary = o.len() == 1 || (o.len() == 2 && o[1] == 1);
        if binary {
            let n = o[0];
            let t = target.shape();
            if t != [n] && t != [n, 1] {
                return Err(OptimError::input(
                    op,
                    format!(
                        "a single output {} needs targets [{n}] or [{n}, 1], got {}",
                        output.shape_obj(),
                        target.shape_obj()
                    ),
                ));
            }
            let hits = output
                .to_vec()
                .iter()
                .zip(target.to_vec())
                .filter(|(y, t)| (y.as_f64() > self.threshold) == (t.as_f64() >= 0.5))
                .count();
            self.counts.hits += hits as f64;
            self.counts.total += n as f64;
            return Ok(());
        }
        let (n, c) = rows_classes(op, o)?;
        let want = target_classes(op, target, n, c)?;
        let scores = output.to_vec();
        let hits = scores
            .chunks(c.max(1))
            .zip(want)
            .filter(|(row, t)| argmax(row) == *t)
            .count();
        self.counts.hits += hits as f64;
        self.counts.total += n as f64;
        Ok(())
    }

    fn result(&self) -> f64 {
        self.counts.value()
    }
}

/// Top-k accuracy, Keras's `sparse_top_k_categorical_accuracy`: the fraction of examples
/// whose target class is among the `k` highest scores. Ties count in favour of the target,
/// as in `tf.math.in_top_k`: the target is a hit when fewer than `k` classes score strictly
/// higher. A NaN target score is a miss. Logged as `top{k}_accuracy`.
///
/// # Shapes
/// Output `[N, C]`; targets class indices `[N]` or one-hot / probabilities `[N, C]`.
///
/// # Examples
/// ```
/// use youshi_optim::fit::{Metric, TopKAccuracy};
/// use youshi_tensor::Tensor;
/// let mut top2 = TopKAccuracy::new(2)?;
/// let scores = Tensor::<f32>::from_vec(vec![0.1, 0.5, 0.4, 0.7, 0.2, 0.1], [2, 3])?;
/// top2.update(&scores, &Tensor::from_vec(vec![2.0, 2.0], [2])?)?;
/// assert_eq!(Metric::<f32>::result(&top2), 0.5);
/// assert_eq!(Metric::<f32>::name(&top2), "top2_accuracy");
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TopKAccuracy {
    k: usize,
    counts: Ratio,
}

impl TopKAccuracy {
    /// Top-`k` accuracy.
    ///
    /// # Errors
    /// [`OptimError::Config`] if `k` is 0.
    pub fn new(k: usize) -> Result<Self> {
        if k == 0 {
            return Err(OptimError::config(
                "TopKAccuracy",
                "k must be at least 1, got 0",
            ));
        }
        Ok(TopKAccuracy {
            k,
            counts: Ratio::default(),
        })
    }
}

impl<T: Element> Metric<T> for TopKAccuracy {
    fn name(&self) -> String {
        format!("top{}_accuracy", self.k)
    }

    fn reset(&mut self) {
        self.counts = Ratio::default();
    }

    fn update(&mut self, output: &Tensor<T>, target: &Tensor<T>) -> Result<()> {
        let op = "TopKAccuracy";
        let (n, c) = rows_classes(op, output.shape())?;
        let want = target_classes(op, target, n, c)?;
        let scores = output.to_vec();
        let mut hits = 0usize;
        for (row, t) in scores.chunks(c.max(1)).zip(want) {
            let Some(&s) = row.get(t) else {
                return Err(OptimError::input(
                    op,
                    format!("target class {t} is out of range for {c} classes"),
                ));
            };
            if s.is_nan() {
                continue;
            }
            let above = row.iter().filter(|&&v| v > s).count();
            if above < self.k {
                hits += 1;
            }
        }
        self.counts.hits += hits as f64;
        self.counts.total += n as f64;
        Ok(())
    }

    fn result(&self) -> f64 {
        self.counts.value()
    }
}

/// A metric from a closure giving each batch's **mean** value, averaged over the epoch
/// weighted by batch size (per example); made by [`metric_fn`].
pub struct MetricFn<F> {
    name: String,
    f: F,
    sum: f64,
    count: f64,
}

impl<F> std::fmt::Debug for MetricFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricFn")
            .field("name", &self.name)
            .field("sum", &self.sum)
            .field("count", &self.count)
            .finish()
    }
}

/// A metric named `name` from a closure `(output, target) -> batch mean`.
///
/// # Examples
/// ```
/// use youshi_optim::fit::{metric_fn, Metric};
/// use youshi_optim::OptimError;
/// use youshi_tensor::Tensor;
/// // Mean absolute error.
/// let mut mae = metric_fn("mae", |y: &Tensor<f32>, t: &Tensor<f32>| {
///     Ok(y.to_vec().iter().zip(t.to_vec()).map(|(a, b)| f64::from((a - b).abs())).sum::<f64>()
///         / y.numel() as f64)
/// });
/// mae.update(&Tensor::from_vec(vec![1.0, 2.0], [2])?, &Tensor::from_vec(vec![0.0, 0.0], [2])?)?;
/// mae.update(&Tensor::from_vec(vec![4.0], [1])?, &Tensor::from_vec(vec![0.0], [1])?)?;
/// assert_eq!(mae.result(), (1.5 * 2.0 + 4.0) / 3.0);
/// # Ok::<(), OptimError>(())
/// ```
pub fn metric_fn<T, F>(name: impl Into<String>, f: F) -> MetricFn<F>
where
    T: Element,
    F: FnMut(&Tensor<T>, &Tensor<T>) -> Result<f64> + Send,
{
    MetricFn {
        name: name.into(),
        f,
        sum: 0.0,
        count: 0.0,
    }
}

impl<T, F> Metric<T> for MetricFn<F>
where
    T: Element,
    F: FnMut(&Tensor<T>, &Tensor<T>) -> Result<f64> + Send,
{
    fn name(&self) -> String {
        self.name.clone()
    }

    fn reset(&mut self) {
        self.sum = 0.0;
        self.count = 0.0;
    }

    fn update(&mut self, output: &Tensor<T>, target: &Tensor<T>) -> Result<()> {
        let n = output.shape().first().copied().unwrap_or(1) as f64;
        let v = (self.f)(output, target)?;
        self.sum += v * n;
        self.count += n;
        Ok(())
    }

    fn result(&self) -> f64 {
        if self.count == 0.0 {
            f64::NAN
        } else {
            self.sum / self.count
        }
    }
}

/// The per-example mean of batch losses (each batch's mean loss weighted by its size), the
/// loop's `loss` column.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MeanLoss {
    sum: f64,
    count: f64,
}

impl MeanLoss {
    pub(crate) fn add(&mut self, batch_mean: f64, n: usize) {
        self.sum += batch_mean * n as f64;
        self.count += n as f64;
    }

    pub(crate) fn value(&self) -> f64 {
        if self.count == 0.0 {
            f64::NAN
        } else {
            self.sum / self.count
        }
    }
}

/// Checks a metric name is usable as a log key and CSV column.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(OptimError::config(
            "Trainer::metric",
            format!(
                "metric name {name:?} must be non-empty ASCII letters, digits, '_', '-' or '.'"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f64], shape: &[usize]) -> Tensor<f64> {
        Tensor::from_vec(v.to_vec(), shape).unwrap()
    }

    /// Naive reference: arg-max of each row compared with the target.
    fn naive_accuracy(scores: &[f64], c: usize, targets: &[usize]) -> f64 {
        let mut hits = 0;
        for (i, &tc) in targets.iter().enumerate() {
            let row = &scores[i * c..(i + 1) * c];
            let mut best = 0;
            for j in 1..c {
                if row[j] > row[best] {
                    best = j;
                }
            }
            hits += usize::from(best == tc);
        }
        hits as f64 / targets.len() as f64
    }

    proptest::proptest! {
        #[test]
        fn accuracy_matches_naive(seed in 0u64..1000, n in 1usize..20, c in 2usize..6) {
            let scores = youshi_testkit::uniform_vec(n * c, seed);
            let targets: Vec<usize> = youshi_testkit::uniform_vec(n, seed + 1)
                .iter()
                .map(|v| ((v + 1.0) / 2.0 * c as f64).floor().min(c as f64 - 1.0) as usize)
                .collect();
            let mut acc = Accuracy::new();
            let tv: Vec<f64> = targets.iter().map(|&v| v as f64).collect();
            acc.update(&t(&scores, &[n, c]), &t(&tv, &[n])).unwrap();
            let want = naive_accuracy(&scores, c, &targets);
            proptest::prop_assert_eq!(Metric::<f64>::result(&acc), want);
            // Top-c accuracy is always 1, top-1 equals accuracy (no ties in random data).
            let mut top1 = TopKAccuracy::new(1).unwrap();
            top1.update(&t(&scores, &[n, c]), &t(&tv, &[n])).unwrap();
            proptest::prop_assert_eq!(Metric::<f64>::result(&top1), want);
            let mut topc = TopKAccuracy::new(c).unwrap();
            topc.update(&t(&scores, &[n, c]), &t(&tv, &[n])).unwrap();
            proptest::prop_assert_eq!(Metric::<f64>::result(&topc), 1.0);
        }
    }

    #[test]
    fn accuracy_averages_per_example_across_batches() {
        let mut acc = Accuracy::new();
        // Batch of 4 with 1 hit, batch of 1 with 1 hit: 2 / 5, not (1/4 + 1) / 2.
        acc.update(
            &t(&[1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0], &[4, 2]),
            &t(&[0.0, 1.0, 1.0, 1.0], &[4]),
        )
        .unwrap();
        acc.update(&t(&[0.0, 1.0], &[1, 2]), &t(&[1.0], &[1]))
            .unwrap();
        assert_eq!(Metric::<f64>::result(&acc), 0.4);
        Metric::<f64>::reset(&mut acc);
        assert!(Metric::<f64>::result(&acc).is_nan());
    }

    #[test]
    fn accuracy_reads_one_hot_targets_and_single_logits() {
        let mut acc = Accuracy::new();
        acc.update(
            &t(&[0.2, 0.8, 0.9, 0.1], &[2, 2]),
            &t(&[0.0, 1.0, 0.0, 1.0], &[2, 2]),
        )
        .unwrap();
        assert_eq!(Metric::<f64>::result(&acc), 0.5);
        let mut bin = Accuracy::new();
        bin.update(&t(&[0.3, -0.3, 0.0], &[3]), &t(&[1.0, 0.0, 1.0], &[3]))
            .unwrap();
        // 0.0 is not above the threshold 0: predicted 0 against 1.
        assert!((Metric::<f64>::result(&bin) - 2.0 / 3.0).abs() < 1e-15);
        let mut probs = Accuracy::new().threshold(0.5);
        probs
            .update(&t(&[0.7, 0.4], &[2, 1]), &t(&[1.0, 1.0], &[2, 1]))
            .unwrap();
        assert_eq!(Metric::<f64>::result(&probs), 0.5);
    }

    #[test]
    fn accuracy_rejects_mismatched_targets() {
        let mut acc = Accuracy::new();
        let e = acc
            .update(&t(&[0.0; 6], &[2, 3]), &t(&[0.0; 3], &[3]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Accuracy: targets must be class indices [2] or class probabilities [2, 3], got [3]"
        );
        let e = acc
            .update(&t(&[0.0; 2], &[2]), &t(&[0.0; 3], &[3]))
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("needs targets [2] or [2, 1], got [3]"),
            "{e}"
        );
        let e = acc
            .update(&t(&[0.0; 8], &[2, 2, 2]), &t(&[0.0; 2], &[2]))
            .unwrap_err();
        assert!(e
            .to_string()
            .contains("expects an output [N, C] of class scores, got [2, 2, 2]"));
        let e = acc
            .update(&t(&[0.0; 4], &[2, 2]), &t(&[0.5, 1.0], &[2]))
            .unwrap_err();
        assert!(e.to_string().contains("target 0 is 0.5"), "{e}");
    }

    #[test]
    fn top_k_counts_ties_for_the_target_and_rejects_bad_input() {
        let mut top1 = TopKAccuracy::new(1).unwrap();
        // Target 1 ties with class 0 for the top score: a hit.
        top1.update(&t(&[1.0, 1.0, 0.0], &[1, 3]), &t(&[1.0], &[1]))
            .unwrap();
        assert_eq!(Metric::<f64>::result(&top1), 1.0);
        top1.update(&t(&[f64::NAN, 1.0, 0.0], &[1, 3]), &t(&[0.0], &[1]))
            .unwrap();
        assert_eq!(Metric::<f64>::result(&top1), 0.5);
        let e = top1
            .update(&t(&[1.0, 0.0], &[1, 2]), &t(&[2.0], &[1]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "TopKAccuracy: target class 2 is out of range for 2 classes"
        );
        let e = TopKAccuracy::new(0).unwrap_err();
        assert_eq!(e.to_string(), "TopKAccuracy: k must be at least 1, got 0");
    }

    #[test]
    fn argmax_prefers_the_first_and_skips_nan() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
        assert_eq!(argmax(&[f64::NAN, 2.0, 1.0]), 1);
        assert_eq!(argmax(&[f64::NAN, f64::NAN]), 0);
    }

    #[test]
    fn metric_names_are_checked() {
        assert!(check_name("val_top5_accuracy").is_ok());
        let e = check_name("a,b").unwrap_err();
        assert!(e.to_string().contains("\"a,b\""), "{e}");
        assert!(check_name("").is_err());
    }

    #[test]
    fn mean_loss_weights_by_batch_size() {
        let mut m = MeanLoss::default();
        assert!(m.value().is_nan());
        m.add(1.0, 3);
        m.add(5.0, 1);
        assert_eq!(m.value(), 2.0);
    }
}
