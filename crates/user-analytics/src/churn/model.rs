//! Churn classifiers on `youshi-layers`, trained with Adam from `youshi-optim`: a logistic
//! regression (`Linear(d, 1)`) and a small MLP (`d → hidden → 1` with ReLU), both on
//! standardised features with the binary cross entropy on logits (`BceWithLogitsLoss`).
//!
//! Both standardise their input with a [`Standardizer`] fitted on the training rows, so the
//! caller passes raw features to `fit` and `predict_proba` alike. Training is seeded: the
//! initial weights come from `youshi_tensor::seeded_rng(seed)` and the mini-batch order from
//! a ChaCha8 generator seeded with `seed`, so a fit is reproducible bit for bit.
//!
//! ```
//! use youshi_user_analytics::churn::{ChurnModel, LogisticRegression, TrainConfig};
//! // Churn when the first feature is large.
//! let x: Vec<Vec<f64>> = (0..40).map(|i| vec![i as f64, (i % 3) as f64]).collect();
//! let y: Vec<bool> = (0..40).map(|i| i >= 20).collect();
//! let model = LogisticRegression::fit(&x, &y, &TrainConfig::default())?;
//! let p = model.predict_proba(&[vec![2.0, 1.0], vec![38.0, 1.0]])?;
//! assert!(p[0] < 0.2 && p[1] > 0.8);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use youshi_autograd::{Graph, Param};
use youshi_layers::{BceWithLogitsLoss, Linear, Module, ModuleExt, Relu, Sequential};
use youshi_optim::{Adam, AdamConfig, Optimizer};
use youshi_tensor::{seeded_rng, Tensor};

use crate::scale::Standardizer;
use crate::{AnalyticsError, Result};

/// How a churn model is trained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training rows (200).
    pub epochs: usize,
    /// Adam's learning rate (0.05).
    pub lr: f64,
    /// Rows per step; `None` (the default) trains full-batch, one step per epoch.
    pub batch_size: Option<usize>,
    /// Adam's L2 weight decay (0).
    pub weight_decay: f64,
    /// The seed of the initial weights and the batch order (0).
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 200,
            lr: 0.05,
            batch_size: None,
            weight_decay: 0.0,
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// The config with this many epochs.
    pub fn with_epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// The config with this learning rate.
    pub fn with_lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }

    /// The config with mini-batches of `batch_size` rows.
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = Some(batch_size);
        self
    }

    /// The config with this weight decay.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// The config with this seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// The training loss: the mean binary cross entropy over each epoch's rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainHistory {
    /// One loss per epoch (the row-weighted mean of the epoch's batch losses).
    pub epoch_losses: Vec<f64>,
}

impl TrainHistory {
    /// The last epoch's loss (NaN before any epoch).
    pub fn final_loss(&self) -> f64 {
        self.epoch_losses.last().copied().unwrap_or(f64::NAN)
    }
}

/// A fitted classifier that scores rows of raw features with a churn probability.
pub trait ChurnModel {
    /// The number of features a row must have.
    fn num_features(&self) -> usize;

    /// The probability of churn for each row.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] for rows of the wrong width or non-finite values.
    fn predict_proba(&self, x: &[Vec<f64>]) -> Result<Vec<f64>>;
}

const FIT: &str = "train churn model";
const PREDICT: &str = "predict churn";

fn check_fit(x: &[Vec<f64>], y: &[bool], cfg: &TrainConfig) -> Result<Standardizer> {
    if x.len() != y.len() {
        return Err(AnalyticsError::invalid(
            FIT,
            format!("{} rows but {} labels", x.len(), y.len()),
        ));
    }
    let scaler = Standardizer::fit(x)?;
    let positives = y.iter().filter(|&&v| v).count();
    if positives == 0 || positives == y.len() {
        return Err(AnalyticsError::invalid(
            FIT,
            format!(
                "the training labels hold a single class ({positives} churned of {}); both \
                 classes are needed",
                y.len()
            ),
        ));
    }
    if cfg.epochs == 0 {
        return Err(AnalyticsError::invalid(FIT, "epochs = 0"));
    }
    if !(cfg.lr > 0.0 && cfg.lr.is_finite()) {
        return Err(AnalyticsError::invalid(
            FIT,
            format!("learning rate {} is not positive and finite", cfg.lr),
        ));
    }
    if cfg.batch_size == Some(0) {
        return Err(AnalyticsError::invalid(FIT, "batch size 0"));
    }
    Ok(scaler)
}

fn to_tensor(op: &'static str, rows: &[Vec<f64>], dims: usize) -> Result<Tensor<f64>> {
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    Tensor::from_vec(flat, [rows.len(), dims]).map_err(|e| AnalyticsError::model(op, e))
}

/// The explicit training loop: a fresh graph per step, forward, loss, backward, Adam step.
fn train(
    module: &dyn Module<f64>,
    params: Vec<Param<f64>>,
    x: &[Vec<f64>],
    y: &[bool],
    cfg: &TrainConfig,
) -> Result<TrainHistory> {
    let dims = x.first().map_or(0, Vec::len);
    let adam = AdamConfig::default()
        .lr(cfg.lr)
        .weight_decay(cfg.weight_decay);
    let mut opt = Adam::new(params, adam).map_err(|e| AnalyticsError::model(FIT, e))?;
    let loss_fn = BceWithLogitsLoss::<f64>::new();
    let mut order: Vec<usize> = (0..x.len()).collect();
    let batch = cfg.batch_size.unwrap_or(x.len()).min(x.len());
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut history = TrainHistory {
        epoch_losses: Vec::with_capacity(cfg.epochs),
    };
    for _ in 0..cfg.epochs {
        if batch < x.len() {
            order.shuffle(&mut rng);
        }
        let mut total = 0.0;
        for chunk in order.chunks(batch) {
            let rows: Vec<Vec<f64>> = chunk.iter().map(|&i| x[i].clone()).collect();
            let targets: Vec<f64> = chunk.iter().map(|&i| f64::from(u8::from(y[i]))).collect();
            let g = Graph::<f64>::new();
            let input = g.constant(to_tensor(FIT, &rows, dims)?);
            let target = g.constant(
                Tensor::from_vec(targets, [chunk.len(), 1])
                    .map_err(|e| AnalyticsError::model(FIT, e))?,
            );
            let logits = module
                .forward(&input)
                .map_err(|e| AnalyticsError::model(FIT, e))?;
            let loss = loss_fn
                .forward(&logits, &target)
                .map_err(|e| AnalyticsError::model(FIT, e))?;
            let value = loss
                .value()
                .item()
                .map_err(|e| AnalyticsError::model(FIT, e))?;
            if !value.is_finite() {
                return Err(AnalyticsError::invalid(
                    FIT,
                    format!(
                        "the loss became {value} at epoch {}; lower the learning rate {}",
                        history.epoch_losses.len(),
                        cfg.lr
                    ),
                ));
            }
            total += value * chunk.len() as f64;
            opt.zero_grad();
            loss.backward().map_err(|e| AnalyticsError::model(FIT, e))?;
            opt.step().map_err(|e| AnalyticsError::model(FIT, e))?;
        }
        history.epoch_losses.push(total / x.len() as f64);
    }
    Ok(history)
}

fn predict(module: &dyn Module<f64>, scaler: &Standardizer, x: &[Vec<f64>]) -> Result<Vec<f64>> {
    if x.is_empty() {
        return Ok(Vec::new());
    }
    let z = scaler.transform(x).map_err(|e| match e {
        AnalyticsError::InvalidArgument { reason, .. } => AnalyticsError::invalid(PREDICT, reason),
        other => other,
    })?;
    let g = Graph::<f64>::no_grad();
    let input = g.constant(to_tensor(PREDICT, &z, scaler.mean.len())?);
    let logits = module
        .forward(&input)
        .map_err(|e| AnalyticsError::model(PREDICT, e))?;
    Ok(logits
        .value()
        .to_vec()
        .into_iter()
        .map(|v| {
            // The two forms keep exp from overflowing.
            if v >= 0.0 {
                1.0 / (1.0 + (-v).exp())
            } else {
                let e = v.exp();
                e / (1.0 + e)
            }
        })
        .collect())
}

/// Logistic regression: `p = σ(w · z + b)` on standardised features `z`.
#[derive(Debug, Clone)]
pub struct LogisticRegression {
    scaler: Standardizer,
    linear: Linear<f64>,
    history: TrainHistory,
}

/// A logistic regression's weights on the standardised features, for reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticCoefficients {
    /// One weight per feature: the change in log-odds of churn per standard deviation.
    pub weights: Vec<f64>,
    /// The intercept.
    pub bias: f64,
}

impl LogisticRegression {
    /// Fits the model to raw features `x` (one row per user) and labels `y` (`true` =
    /// churned).
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] for rows and labels of different lengths, ragged
    /// or non-finite rows, a single class in `y`, `epochs = 0`, a learning rate that is not
    /// positive, a batch size of 0, or a loss that diverges; [`AnalyticsError::Empty`] for no
    /// rows; [`AnalyticsError::Model`] if a layer or the optimizer fails.
    pub fn fit(x: &[Vec<f64>], y: &[bool], cfg: &TrainConfig) -> Result<Self> {
        let scaler = check_fit(x, y, cfg)?;
        let z = scaler.transform(x)?;
        let linear = Linear::<f64>::new(scaler.mean.len(), 1, &mut seeded_rng(cfg.seed))
            .map_err(|e| AnalyticsError::model(FIT, e))?;
        let history = train(&linear, linear.params(), &z, y, cfg)?;
        Ok(LogisticRegression {
            scaler,
            linear,
            history,
        })
    }

    /// The loss per epoch.
    pub fn history(&self) -> &TrainHistory {
        &self.history
    }

    /// The weights and intercept on standardised features.
    pub fn coefficients(&self) -> LogisticCoefficients {
        LogisticCoefficients {
            weights: self.linear.weight.value().to_vec(),
            bias: self
                .linear
                .bias
                .as_ref()
                .and_then(|b| b.value().to_vec().first().copied())
                .unwrap_or(0.0),
        }
    }
}

impl ChurnModel for LogisticRegression {
    fn num_features(&self) -> usize {
        self.scaler.mean.len()
    }

    fn predict_proba(&self, x: &[Vec<f64>]) -> Result<Vec<f64>> {
        predict(&self.linear, &self.scaler, x)
    }
}

/// A multilayer perceptron `Linear(d, hidden) → ReLU → Linear(hidden, 1)` on standardised
/// features (hidden = 16 by [`ChurnMlp::fit`]).
pub struct ChurnMlp {
    scaler: Standardizer,
    net: Sequential<f64>,
    hidden: usize,
    history: TrainHistory,
}

impl std::fmt::Debug for ChurnMlp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChurnMlp")
            .field("scaler", &self.scaler)
            .field("hidden", &self.hidden)
            .field("params", &self.net.param_counts())
            .field("history", &self.history)
            .finish()
    }
}

impl ChurnMlp {
    /// The default hidden width.
    pub const HIDDEN: usize = 16;

    /// Fits a `d → 16 → 1` network; see [`ChurnMlp::fit_hidden`].
    ///
    /// # Errors
    /// As [`LogisticRegression::fit`].
    pub fn fit(x: &[Vec<f64>], y: &[bool], cfg: &TrainConfig) -> Result<Self> {
        Self::fit_hidden(x, y, Self::HIDDEN, cfg)
    }

    /// Fits a `d → hidden → 1` network to raw features `x` and labels `y`.
    ///
    /// # Errors
    /// As [`LogisticRegression::fit`], and [`AnalyticsError::InvalidArgument`] for
    /// `hidden = 0`.
    pub fn fit_hidden(
        x: &[Vec<f64>],
        y: &[bool],
        hidden: usize,
        cfg: &TrainConfig,
    ) -> Result<Self> {
        if hidden == 0 {
            return Err(AnalyticsError::invalid(FIT, "hidden width 0"));
        }
        let scaler = check_fit(x, y, cfg)?;
        let z = scaler.transform(x)?;
        let mut rng = seeded_rng(cfg.seed);
        let d = scaler.mean.len();
        let first =
            Linear::<f64>::new(d, hidden, &mut rng).map_err(|e| AnalyticsError::model(FIT, e))?;
        let second =
            Linear::<f64>::new(hidden, 1, &mut rng).map_err(|e| AnalyticsError::model(FIT, e))?;
        let net = Sequential::<f64>::new().add(first).add(Relu).add(second);
        let history = train(&net, net.params(), &z, y, cfg)?;
        Ok(ChurnMlp {
            scaler,
            net,
            hidden,
            history,
        })
    }

    /// The hidden width.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The loss per epoch.
    pub fn history(&self) -> &TrainHistory {
        &self.history
    }
}

impl ChurnModel for ChurnMlp {
    fn num_features(&self) -> usize {
        self.scaler.mean.len()
    }

    fn predict_proba(&self, x: &[Vec<f64>]) -> Result<Vec<f64>> {
        predict(&self.net, &self.scaler, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<Vec<f64>>, Vec<bool>) {
        // Churn when x0 - x1 > 0, with a constant third feature.
        let x: Vec<Vec<f64>> = (0..60)
            .map(|i| vec![(i % 10) as f64, (i / 6) as f64, 1.0])
            .collect();
        let y = x.iter().map(|r| r[0] - r[1] > 0.5).collect();
        (x, y)
    }

    #[test]
    fn logistic_regression_learns_a_linear_rule() {
        let (x, y) = toy();
        let m = LogisticRegression::fit(&x, &y, &TrainConfig::default().with_epochs(300)).unwrap();
        let p = m.predict_proba(&x).unwrap();
        let correct = p.iter().zip(&y).filter(|(p, &y)| (**p >= 0.5) == y).count();
        assert!(correct >= 57, "{correct}/60");
        let h = m.history();
        assert!(
            h.final_loss() < 0.5 * h.epoch_losses[0],
            "{:?}",
            h.epoch_losses
        );
        let c = m.coefficients();
        assert!(c.weights[0] > 0.0 && c.weights[1] < 0.0, "{c:?}");
        assert_eq!(m.num_features(), 3);
    }

    #[test]
    fn mlp_is_seeded_and_minibatch_training_works() {
        let (x, y) = toy();
        let cfg = TrainConfig::default()
            .with_epochs(60)
            .with_batch_size(16)
            .with_seed(5);
        let a = ChurnMlp::fit(&x, &y, &cfg).unwrap();
        let b = ChurnMlp::fit(&x, &y, &cfg).unwrap();
        assert_eq!(a.predict_proba(&x).unwrap(), b.predict_proba(&x).unwrap());
        assert_eq!(a.history().epoch_losses.len(), 60);
        assert!(a.history().final_loss() < 0.3, "{:?}", a.history());
        assert_eq!(a.hidden(), 16);
        let c = ChurnMlp::fit(&x, &y, &cfg.with_seed(6)).unwrap();
        assert_ne!(a.predict_proba(&x).unwrap(), c.predict_proba(&x).unwrap());
    }

    #[test]
    fn fit_rejects_a_single_class() {
        let (x, _) = toy();
        let y = vec![false; x.len()];
        let err = LogisticRegression::fit(&x, &y, &TrainConfig::default()).unwrap_err();
        assert!(
            err.to_string().contains("single class (0 churned of 60)"),
            "{err}"
        );
        let err = ChurnMlp::fit(&x, &[true; 60], &TrainConfig::default()).unwrap_err();
        assert!(
            err.to_string().contains("single class (60 churned of 60)"),
            "{err}"
        );
    }

    #[test]
    fn fit_rejects_bad_arguments() {
        let (x, y) = toy();
        let cases = [
            (TrainConfig::default().with_epochs(0), "epochs = 0"),
            (TrainConfig::default().with_lr(-1.0), "learning rate -1"),
            (TrainConfig::default().with_batch_size(0), "batch size 0"),
        ];
        for (cfg, msg) in cases {
            let err = LogisticRegression::fit(&x, &y, &cfg).unwrap_err();
            assert!(err.to_string().contains(msg), "{err}");
        }
        let err = LogisticRegression::fit(&x, &y[..5], &TrainConfig::default()).unwrap_err();
        assert!(err.to_string().contains("60 rows but 5 labels"), "{err}");
        let err = LogisticRegression::fit(&[], &[], &TrainConfig::default()).unwrap_err();
        assert!(matches!(err, AnalyticsError::Empty { .. }), "{err}");
        let err = ChurnMlp::fit_hidden(&x, &y, 0, &TrainConfig::default()).unwrap_err();
        assert!(err.to_string().contains("hidden width 0"), "{err}");
    }

    #[test]
    fn predict_rejects_wrong_width() {
        let (x, y) = toy();
        let m = LogisticRegression::fit(&x, &y, &TrainConfig::default().with_epochs(2)).unwrap();
        let err = m.predict_proba(&[vec![1.0, 2.0]]).unwrap_err();
        assert!(err.to_string().starts_with("predict churn"), "{err}");
        assert!(err.to_string().contains("2 features"), "{err}");
        assert!(m.predict_proba(&[]).unwrap().is_empty());
    }
}
