//! [`ReduceLrOnPlateau`]: lowers the rate when a monitored metric stops improving, PyTorch's
//! `ReduceLROnPlateau`.

use std::collections::BTreeMap;

use crate::error::{OptimError, Result};
use crate::optimizer::HyperParams;
use crate::schedule::base::{
    check_groups, check_kind, check_no_extra_keys, flag, get, load_op, whole, PerGroup,
};
use crate::schedule::{LrScheduler, SchedulerState};

const NAME: &str = "ReduceLROnPlateau";

/// Whether a lower or a higher metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlateauMode {
    /// Lower is better (a loss; `mode="min"`, the default).
    #[default]
    Min,
    /// Higher is better (an accuracy; `mode="max"`).
    Max,
}

/// How the improvement threshold is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThresholdMode {
    /// Relative to the best value: better than `best * (1 ∓ threshold)` (`"rel"`, the
    /// default).
    #[default]
    Rel,
    /// Absolute: better than `best ∓ threshold` (`"abs"`).
    Abs,
}

/// Options of [`ReduceLrOnPlateau`], with PyTorch's defaults: mode min, factor 0.1, patience
/// 10, relative threshold 1e-4, no cooldown, `min_lr = 0`, `eps = 1e-8`.
///
/// # Examples
/// ```
/// use youshi_optim::{PlateauConfig, PlateauMode, ThresholdMode};
/// let cfg = PlateauConfig::default()
///     .mode(PlateauMode::Max)
///     .factor(0.5)
///     .patience(3)
///     .threshold(0.01, ThresholdMode::Abs)
///     .cooldown(2)
///     .min_lrs(vec![1e-4, 1e-5]);
/// # let _ = cfg;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PlateauConfig {
    mode: PlateauMode,
    factor: f64,
    patience: usize,
    threshold: f64,
    threshold_mode: ThresholdMode,
    cooldown: usize,
    min_lr: PerGroup,
    eps: f64,
}

impl Default for PlateauConfig {
    fn default() -> Self {
        PlateauConfig {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: PerGroup::All(0.0),
            eps: 1e-8,
        }
    }
}

impl PlateauConfig {
    /// Sets whether lower or higher is better.
    pub fn mode(mut self, mode: PlateauMode) -> Self {
        self.mode = mode;
        self
    }
    /// Sets the factor the rate is multiplied by (`[0, 1)`).
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }
    /// Sets how many steps without improvement are tolerated before reducing.
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }
    /// Sets the improvement threshold and how it is measured.
    pub fn threshold(mut self, threshold: f64, mode: ThresholdMode) -> Self {
        self.threshold = threshold;
        self.threshold_mode = mode;
        self
    }
    /// Sets how many steps to wait after a reduction before counting bad steps again.
    pub fn cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }
    /// Sets the lowest rate of every group.
    pub fn min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = PerGroup::All(min_lr);
        self
    }
    /// Sets the lowest rate of each group.
    pub fn min_lrs(mut self, min_lrs: Vec<f64>) -> Self {
        self.min_lr = PerGroup::Each(min_lrs);
        self
    }
    /// Sets the smallest change of rate that is applied.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
}

/// Multiplies the rates by `factor` when the metric passed to
/// [`step`](LrScheduler::step) has not improved for more than `patience` steps, PyTorch's
/// `ReduceLROnPlateau`.
///
/// It does not change the rates when built, and [`step`](LrScheduler::step) needs the metric
/// (`Some(value)`).
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{HyperParams, LrScheduler, PlateauConfig, ReduceLrOnPlateau, Sgd, SgdConfig};
/// use youshi_tensor::Tensor;
/// let mut opt = Sgd::new(vec![Param::new(Tensor::<f64>::zeros([1]))], SgdConfig::default().lr(1.0))?;
/// let mut s = ReduceLrOnPlateau::new(&mut opt, PlateauConfig::default().patience(1).factor(0.5))?;
/// for loss in [1.0, 0.5, 0.6, 0.7, 0.8, 0.9] {
///     s.step(&mut opt, Some(loss))?;
/// }
/// // Halved after every second step without improvement: at 0.7 and at 0.9.
/// assert_eq!(opt.lr(0), 0.25);
/// assert!(s.step(&mut opt, None).is_err()); // the metric is required
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReduceLrOnPlateau {
    mode: PlateauMode,
    factor: f64,
    patience: usize,
    threshold: f64,
    threshold_mode: ThresholdMode,
    cooldown: usize,
    min_lrs: Vec<f64>,
    eps: f64,
    best: f64,
    num_bad_epochs: usize,
    cooldown_counter: usize,
    last_epoch: i64,
    last_lr: Vec<f64>,
}

impl ReduceLrOnPlateau {
    /// The schedule on `opt` (the rates are left as they are).
    ///
    /// # Errors
    /// [`OptimError::Config`] if `factor` is not in `[0, 1)` (PyTorch rejects `factor >= 1`),
    /// `min_lrs` does not have one value per group, or `threshold` or `eps` is NaN.
    pub fn new(opt: &mut dyn HyperParams, cfg: PlateauConfig) -> Result<Self> {
        if !(0.0..1.0).contains(&cfg.factor) {
            return Err(OptimError::config(
                NAME,
                format!("factor = {} must be in [0, 1)", cfg.factor),
            ));
        }
        for (what, v) in [("threshold", cfg.threshold), ("eps", cfg.eps)] {
            if v.is_nan() {
                return Err(OptimError::config(NAME, format!("{what} is NaN")));
            }
        }
        let n = opt.num_groups();
        let min_lrs = cfg.min_lr.resolve(NAME, "min_lr", n)?;
        let mut s = ReduceLrOnPlateau {
            mode: cfg.mode,
            factor: cfg.factor,
            patience: cfg.patience,
            threshold: cfg.threshold,
            threshold_mode: cfg.threshold_mode,
            cooldown: cfg.cooldown,
            min_lrs,
            eps: cfg.eps,
            best: 0.0,
            num_bad_epochs: 0,
            cooldown_counter: 0,
            last_epoch: 0,
            last_lr: (0..n).map(|g| opt.lr(g)).collect(),
        };
        s.reset();
        Ok(s)
    }

    /// Forgets the best value and the counters (PyTorch's `_reset`).
    pub fn reset(&mut self) {
        self.best = self.mode_worse();
        self.cooldown_counter = 0;
        self.num_bad_epochs = 0;
    }

    /// The best metric seen so far (infinite before the first step).
    pub fn best(&self) -> f64 {
        self.best
    }

    /// The number of steps since the metric last improved (reset by a reduction).
    pub fn num_bad_epochs(&self) -> usize {
        self.num_bad_epochs
    }

    fn mode_worse(&self) -> f64 {
        match self.mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        }
    }

    fn is_better(&self, a: f64, best: f64) -> bool {
        match (self.mode, self.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - self.threshold),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - self.threshold,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (self.threshold + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + self.threshold,
        }
    }

    fn reduce_lr(&self, opt: &mut dyn HyperParams) {
        for (g, &min_lr) in self.min_lrs.iter().enumerate() {
            let old = opt.lr(g);
            let new = (old * self.factor).max(min_lr);
            if old - new > self.eps {
                opt.set_lr(g, new);
            }
        }
    }
}

impl LrScheduler for ReduceLrOnPlateau {
    fn name(&self) -> &'static str {
        NAME
    }

    fn step(&mut self, opt: &mut dyn HyperParams, metric: Option<f64>) -> Result<()> {
        let Some(current) = metric else {
            return Err(OptimError::config(
                NAME,
                "step needs the monitored metric: call step(opt, Some(value))",
            ));
        };
        if current.is_nan() {
            return Err(OptimError::config(
                NAME,
                format!(
                    "the metric is NaN at step {}; it cannot be compared",
                    self.last_epoch + 1
                ),
            ));
        }
        check_groups(NAME, self.min_lrs.len(), opt)?;
        self.last_epoch += 1;
        if self.is_better(current, self.best) {
            self.best = current;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.patience {
            self.reduce_lr(opt);
            self.cooldown_counter = self.cooldown;
            self.num_bad_epochs = 0;
        }
        self.last_lr = (0..self.min_lrs.len()).map(|g| opt.lr(g)).collect();
        Ok(())
    }

    fn last_lr(&self) -> Vec<f64> {
        self.last_lr.clone()
    }

    fn state(&self) -> SchedulerState {
        let mut s = BTreeMap::new();
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        s.insert("mode_max".into(), flag(self.mode == PlateauMode::Max));
        s.insert(
            "threshold_abs".into(),
            flag(self.threshold_mode == ThresholdMode::Abs),
        );
        s.insert("factor".into(), self.factor);
        s.insert("patience".into(), self.patience as f64);
        s.insert("threshold".into(), self.threshold);
        s.insert("cooldown".into(), self.cooldown as f64);
        s.insert("eps".into(), self.eps);
        s.insert("best".into(), self.best);
        s.insert("num_bad_epochs".into(), self.num_bad_epochs as f64);
        s.insert("cooldown_counter".into(), self.cooldown_counter as f64);
        s.insert("last_epoch".into(), self.last_epoch as f64);
        for (g, v) in self.min_lrs.iter().enumerate() {
            s.insert(format!("min_lr.{g}"), *v);
        }
        for (g, v) in self.last_lr.iter().enumerate() {
            s.insert(format!("last_lr.{g}"), *v);
        }
        SchedulerState {
            kind: NAME.to_string(),
            scalars: s,
        }
    }

    fn load_state(&mut self, st: &SchedulerState) -> Result<()> {
        let op = load_op(NAME);
        check_kind(NAME, st, op)?;
        let s = &st.scalars;
        let flag = |key: &str| flag(s, key, op);
        let count = |key: &str| whole(s, key, op, 0);
        let n = self.min_lrs.len();
        let mut c = self.clone();
        c.mode = if flag("mode_max")? {
            PlateauMode::Max
        } else {
            PlateauMode::Min
        };
        c.threshold_mode = if flag("threshold_abs")? {
            ThresholdMode::Abs
        } else {
            ThresholdMode::Rel
        };
        c.factor = get(s, "factor", op)?;
        if !(0.0..1.0).contains(&c.factor) {
            return Err(OptimError::state(
                op,
                format!("`factor` = {} is not in [0, 1)", c.factor),
            ));
        }
        c.patience = count("patience")?;
        c.threshold = get(s, "threshold", op)?;
        c.cooldown = count("cooldown")?;
        c.eps = get(s, "eps", op)?;
        c.best = get(s, "best", op)?;
        c.num_bad_epochs = count("num_bad_epochs")?;
        c.cooldown_counter = count("cooldown_counter")?;
        c.last_epoch = count("last_epoch")? as i64;
        c.min_lrs = (0..n)
            .map(|g| get(s, &format!("min_lr.{g}"), op))
            .collect::<Result<_>>()?;
        c.last_lr = (0..n)
            .map(|g| get(s, &format!("last_lr.{g}"), op))
            .collect::<Result<_>>()?;
        check_no_extra_keys(s, &c.state().scalars, op)?;
        *self = c;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sgd, SgdConfig};
    use youshi_autograd::Param;
    use youshi_tensor::Tensor;

    fn sgd() -> Sgd<f64> {
        Sgd::new(
            vec![Param::new(Tensor::zeros([1]))],
            SgdConfig::default().lr(1.0),
        )
        .unwrap()
    }

    #[test]
    fn rejects_invalid_options_and_missing_metrics() {
        let mut opt = sgd();
        let e = ReduceLrOnPlateau::new(&mut opt, PlateauConfig::default().factor(1.0)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ReduceLROnPlateau: factor = 1 must be in [0, 1)"
        );
        let e = ReduceLrOnPlateau::new(&mut opt, PlateauConfig::default().min_lrs(vec![0.0, 0.0]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "ReduceLROnPlateau: expected 1 values for min_lr (one per parameter group), got 2"
        );
        let e = ReduceLrOnPlateau::new(
            &mut opt,
            PlateauConfig::default().threshold(f64::NAN, ThresholdMode::Rel),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "ReduceLROnPlateau: threshold is NaN");
        let mut s = ReduceLrOnPlateau::new(&mut opt, PlateauConfig::default()).unwrap();
        let e = s.step(&mut opt, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ReduceLROnPlateau: step needs the monitored metric: call step(opt, Some(value))"
        );
        let e = s.step(&mut opt, Some(f64::NAN)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ReduceLROnPlateau: the metric is NaN at step 1; it cannot be compared"
        );
        assert_eq!(s.state().scalars["last_epoch"], 0.0);
        assert_eq!(s.best(), f64::INFINITY);
        s.step(&mut opt, Some(2.0)).unwrap();
        assert_eq!((s.best(), s.num_bad_epochs()), (2.0, 0));
    }

    #[test]
    fn state_round_trip_and_errors() {
        let mut opt = sgd();
        let mut s = ReduceLrOnPlateau::new(&mut opt, PlateauConfig::default().patience(0)).unwrap();
        for m in [3.0, 3.0, 3.0] {
            s.step(&mut opt, Some(m)).unwrap();
        }
        let st = s.state();
        let mut fresh = ReduceLrOnPlateau::new(&mut sgd(), PlateauConfig::default()).unwrap();
        fresh.load_state(&st).unwrap();
        assert_eq!(fresh.state(), st);
        let mut bad = st.clone();
        bad.scalars.insert("mode_max".into(), 2.0);
        assert_eq!(
            fresh.load_state(&bad).unwrap_err().to_string(),
            "ReduceLROnPlateau::load_state: `mode_max` = 2 is not a flag (0 or 1)"
        );
        let mut bad = st.clone();
        bad.scalars.insert("patience".into(), -1.0);
        assert_eq!(
            fresh.load_state(&bad).unwrap_err().to_string(),
            "ReduceLROnPlateau::load_state: `patience` = -1 is not a whole number"
        );
        let mut bad = st.clone();
        bad.scalars.insert("factor".into(), 2.0);
        assert!(fresh.load_state(&bad).is_err());
        let mut bad = st.clone();
        bad.scalars.insert("min_lr.1".into(), 0.0);
        assert_eq!(
            fresh.load_state(&bad).unwrap_err().to_string(),
            "ReduceLROnPlateau::load_state: unexpected key `min_lr.1`"
        );
        assert_eq!(fresh.state(), st);
    }
}
