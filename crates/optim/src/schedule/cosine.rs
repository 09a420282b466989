//! Cosine schedules: [`CosineAnnealingLr`] and [`CosineAnnealingWarmRestarts`] (SGDR).

use std::collections::BTreeMap;
use std::f64::consts::PI;

use crate::error::{OptimError, Result};
use crate::optimizer::HyperParams;
use crate::schedule::base::{
    check_finite, check_kind, check_no_extra_keys, get, initial_step, load_op, scheduler_via_rule,
    whole, Core, Rule,
};
use crate::schedule::{LrScheduler, SchedulerState, StageStart};

/// Anneals the rate along a half cosine from the initial rate to `eta_min` over `t_max` steps,
/// PyTorch's `CosineAnnealingLR`.
///
/// Like PyTorch when stepped one step at a time, each rate is computed from the previous one
/// by the recursive form
/// `lr(t) = eta_min + (lr(t-1) - eta_min) * (1 + cos(πt/T)) / (1 + cos(π(t-1)/T))`
/// (with PyTorch's special case at `t - 1 - T ≡ 0 (mod 2T)`), so past `t_max` the rate rises
/// again along the cosine, and a rate changed by hand between steps carries over. The closed
/// form `eta_min + (base - eta_min) * (1 + cos(πt/T)) / 2` gives the same values up to
/// rounding; it is used where PyTorch uses it (a [`SequentialLr`](crate::SequentialLr)
/// milestone).
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{CosineAnnealingLr, HyperParams, LrScheduler, Sgd, SgdConfig};
/// use youshi_tensor::Tensor;
/// let mut opt = Sgd::new(vec![Param::new(Tensor::<f64>::zeros([1]))], SgdConfig::default().lr(1.0))?;
/// let mut s = CosineAnnealingLr::new(&mut opt, 4, 0.0)?;
/// for _ in 0..2 {
///     s.step(&mut opt, None)?;
/// }
/// assert!((opt.lr(0) - 0.5).abs() < 1e-15); // half way down
/// for _ in 0..2 {
///     s.step(&mut opt, None)?;
/// }
/// assert!(opt.lr(0).abs() < 1e-15);
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CosineAnnealingLr {
    core: Core,
    t_max: usize,
    eta_min: f64,
}

impl CosineAnnealingLr {
    /// The schedule on `opt`: half a period of `t_max` steps down to `eta_min`.
    ///
    /// # Errors
    /// [`OptimError::Config`] if `t_max` is 0 or `eta_min` is not finite.
    pub fn new(opt: &mut dyn HyperParams, t_max: usize, eta_min: f64) -> Result<Self> {
        if t_max == 0 {
            return Err(OptimError::config(
                "CosineAnnealingLR",
                "t_max must be at least 1",
            ));
        }
        check_finite("CosineAnnealingLR", "eta_min", eta_min)?;
        let mut s = CosineAnnealingLr {
            core: Core::attach(opt),
            t_max,
            eta_min,
        };
        initial_step(&mut s, opt)?;
        Ok(s)
    }
}

impl Rule for CosineAnnealingLr {
    const NAME: &'static str = "CosineAnnealingLR";
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn get_lr(&mut self, opt: &mut dyn HyperParams, initial: bool) -> Result<Vec<f64>> {
        let n = self.core.base_lrs.len();
        if initial {
            return Ok((0..n).map(|g| opt.lr(g)).collect());
        }
        let e = self.core.last_epoch;
        let t = self.t_max as i64;
        let t_f = self.t_max as f64;
        let eta = self.eta_min;
        if (e - 1 - t).rem_euclid(2 * t) == 0 {
            return Ok((0..n)
                .map(|g| opt.lr(g) + (self.core.base_lrs[g] - eta) * (1.0 - (PI / t_f).cos()) / 2.0)
                .collect());
        }
        let ratio = (1.0 + (PI * e as f64 / t_f).cos()) / (1.0 + (PI * (e - 1) as f64 / t_f).cos());
        Ok((0..n).map(|g| ratio * (opt.lr(g) - eta) + eta).collect())
    }
    fn closed_form(&self) -> Result<Option<Vec<f64>>> {
        let c = (PI * self.core.last_epoch as f64 / self.t_max as f64).cos();
        Ok(Some(
            self.core
                .base_lrs
                .iter()
                .map(|b| self.eta_min + (b - self.eta_min) * (1.0 + c) / 2.0)
                .collect(),
        ))
    }
    fn save_options(&self, out: &mut BTreeMap<String, f64>) {
        out.insert("t_max".into(), self.t_max as f64);
        out.insert("eta_min".into(), self.eta_min);
    }
    fn load_options(&mut self, s: &BTreeMap<String, f64>, op: &'static str) -> Result<()> {
        self.t_max = whole(s, "t_max", op, 1)?;
        self.eta_min = get(s, "eta_min", op)?;
        Ok(())
    }
}

scheduler_via_rule!(CosineAnnealingLr);

/// Cosine annealing with warm restarts (SGDR), PyTorch's `CosineAnnealingWarmRestarts`.
///
/// The rate follows `eta_min + (base - eta_min) * (1 + cos(π t_cur / t_i)) / 2`, where
/// `t_cur` counts the steps since the last restart and the period `t_i` starts at `t_0` and
/// is multiplied by `t_mult` at each restart.
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{CosineAnnealingWarmRestarts, HyperParams, LrScheduler, Sgd, SgdConfig};
/// use youshi_tensor::Tensor;
/// let mut opt = Sgd::new(vec![Param::new(Tensor::<f64>::zeros([1]))], SgdConfig::default().lr(1.0))?;
/// let mut s = CosineAnnealingWarmRestarts::new(&mut opt, 2, 2, 0.0)?;
/// let mut lrs = vec![opt.lr(0)];
/// for _ in 0..6 {
///     s.step(&mut opt, None)?;
///     lrs.push((opt.lr(0) * 1e12).round() / 1e12);
/// }
/// // Periods of 2, then 4 steps.
/// assert_eq!(lrs, [1.0, 0.5, 1.0, 0.853553390593, 0.5, 0.146446609407, 1.0]);
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CosineAnnealingWarmRestarts {
    core: Core,
    t_0: usize,
    t_mult: usize,
    eta_min: f64,
    t_i: usize,
    t_cur: usize,
}

impl CosineAnnealingWarmRestarts {
    /// The schedule on `opt`: a first period of `t_0` steps, each next one `t_mult` times
    /// longer.
    ///
    /// # Errors
    /// [`OptimError::Config`] as PyTorch: `t_0` of 0, `t_mult` of 0; also `eta_min` not
    /// finite.
    pub fn new(opt: &mut dyn HyperParams, t_0: usize, t_mult: usize, eta_min: f64) -> Result<Self> {
        if t_0 == 0 {
            return Err(OptimError::config(
                "CosineAnnealingWarmRestarts",
                "t_0 must be a positive integer, got 0",
            ));
        }
        if t_mult == 0 {
            return Err(OptimError::config(
                "CosineAnnealingWarmRestarts",
                "t_mult must be an integer >= 1, got 0",
            ));
        }
        check_finite("CosineAnnealingWarmRestarts", "eta_min", eta_min)?;
        let mut s = CosineAnnealingWarmRestarts {
            core: Core::attach(opt),
            t_0,
            t_mult,
            eta_min,
            t_i: t_0,
            t_cur: 0,
        };
        s.advance(opt)?;
        Ok(s)
    }

    /// The rates at the current position in the period.
    fn rates(&self) -> Vec<f64> {
        let c = (PI * self.t_cur as f64 / self.t_i as f64).cos();
        self.core
            .base_lrs
            .iter()
            .map(|b| self.eta_min + (b - self.eta_min) * (1.0 + c) / 2.0)
            .collect()
    }

    /// PyTorch's `step()` without an epoch: the first call (from `last_epoch = -1`) starts
    /// the first period; later calls move one step and restart at the period's end.
    fn advance(&mut self, opt: &mut dyn HyperParams) -> Result<()> {
        self.core.check_groups("CosineAnnealingWarmRestarts", opt)?;
        if self.core.last_epoch < 0 {
            self.t_i = self.t_0;
            self.t_cur = 0;
            self.core.last_epoch = 0;
        } else {
            self.t_cur += 1;
            if self.t_cur >= self.t_i {
                self.t_cur %= self.t_i;
                self.t_i = self.t_i.checked_mul(self.t_mult).ok_or_else(|| {
                    OptimError::config(
                        "CosineAnnealingWarmRestarts",
                        format!("the period {} x {} overflows", self.t_i, self.t_mult),
                    )
                })?;
            }
            self.core.last_epoch += 1;
        }
        let lrs = self.rates();
        self.core.apply(opt, &lrs);
        Ok(())
    }

    fn save_options(&self, out: &mut BTreeMap<String, f64>) {
        out.insert("t_0".into(), self.t_0 as f64);
        out.insert("t_mult".into(), self.t_mult as f64);
        out.insert("eta_min".into(), self.eta_min);
        out.insert("t_i".into(), self.t_i as f64);
        out.insert("t_cur".into(), self.t_cur as f64);
    }
}

impl LrScheduler for CosineAnnealingWarmRestarts {
    fn name(&self) -> &'static str {
        "CosineAnnealingWarmRestarts"
    }

    fn step(&mut self, opt: &mut dyn HyperParams, _metric: Option<f64>) -> Result<()> {
        let saved = self.clone();
        self.advance(opt).inspect_err(|_| *self = saved)
    }

    fn last_lr(&self) -> Vec<f64> {
        self.core.last_lr.clone()
    }

    fn state(&self) -> SchedulerState {
        let mut scalars = BTreeMap::new();
        self.core.save(&mut scalars);
        self.save_options(&mut scalars);
        SchedulerState {
            kind: self.name().to_string(),
            scalars,
        }
    }

    fn load_state(&mut self, st: &SchedulerState) -> Result<()> {
        let op = load_op("CosineAnnealingWarmRestarts");
        check_kind("CosineAnnealingWarmRestarts", st, op)?;
        let s = &st.scalars;
        let mut c = self.clone();
        c.core = self.core.load(s, op)?;
        c.t_0 = whole(s, "t_0", op, 1)?;
        c.t_mult = whole(s, "t_mult", op, 1)?;
        c.eta_min = get(s, "eta_min", op)?;
        c.t_i = whole(s, "t_i", op, 1)?;
        let t_cur = whole(s, "t_cur", op, 0)?;
        if t_cur >= c.t_i {
            return Err(OptimError::state(
                op,
                format!(
                    "`t_cur` = {t_cur} is not a step within the period {}",
                    c.t_i
                ),
            ));
        }
        c.t_cur = t_cur;
        check_no_extra_keys(s, &c.state().scalars, op)?;
        *self = c;
        Ok(())
    }

    fn can_be_stage(&self) -> bool {
        true
    }

    fn restart(&mut self, opt: &mut dyn HyperParams, at: StageStart) -> Result<()> {
        self.core.check_groups("CosineAnnealingWarmRestarts", opt)?;
        match at {
            StageStart::First => {
                self.core.last_epoch = -1;
                self.advance(opt)
            }
            StageStart::Milestone => {
                // PyTorch's `_update_lr(0)`: the step counter jumps to 0 but the position in
                // the period is kept (the schedule has no closed form).
                self.core.last_epoch = 0;
                let lrs = self.rates();
                self.core.apply(opt, &lrs);
                Ok(())
            }
        }
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
    fn rejects_invalid_options() {
        let mut opt = sgd();
        let e = CosineAnnealingLr::new(&mut opt, 0, 0.0).unwrap_err();
        assert_eq!(e.to_string(), "CosineAnnealingLR: t_max must be at least 1");
        let e = CosineAnnealingLr::new(&mut opt, 3, f64::NAN).unwrap_err();
        assert_eq!(
            e.to_string(),
            "CosineAnnealingLR: eta_min = NaN must be finite"
        );
        let e = CosineAnnealingWarmRestarts::new(&mut opt, 0, 1, 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "CosineAnnealingWarmRestarts: t_0 must be a positive integer, got 0"
        );
        let e = CosineAnnealingWarmRestarts::new(&mut opt, 2, 0, 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "CosineAnnealingWarmRestarts: t_mult must be an integer >= 1, got 0"
        );
    }

    #[test]
    fn warm_restarts_state_is_checked() {
        let mut opt = sgd();
        let mut s = CosineAnnealingWarmRestarts::new(&mut opt, 3, 2, 0.0).unwrap();
        for _ in 0..4 {
            s.step(&mut opt, None).unwrap();
        }
        let st = s.state();
        assert_eq!((st.scalars["t_i"], st.scalars["t_cur"]), (6.0, 1.0));
        let mut bad = st.clone();
        bad.scalars.insert("t_cur".into(), 6.0);
        let e = s.load_state(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "CosineAnnealingWarmRestarts::load_state: `t_cur` = 6 is not a step within the period 6"
        );
        let mut bad = st.clone();
        bad.scalars.insert("t_0".into(), 0.0);
        let e = s.load_state(&bad).unwrap_err();
        assert!(e.to_string().contains("`t_0` = 0"), "{e}");
        let mut bad = st.clone();
        bad.kind = "CosineAnnealingLR".into();
        assert!(s.load_state(&bad).is_err());
        let mut huge = st.clone();
        huge.scalars.insert("t_i".into(), 1e15);
        huge.scalars.insert("t_cur".into(), 1e15 - 1.0);
        huge.scalars.insert("t_mult".into(), 1e15);
        let mut s2 = s.clone();
        s2.load_state(&huge).unwrap();
        let e = s2.step(&mut opt, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "CosineAnnealingWarmRestarts: the period 1000000000000000 x 1000000000000000 overflows"
        );
        assert_eq!(s2.state(), huge);
        let mut extra = st.clone();
        extra.scalars.insert("x".into(), 0.0);
        let e = s.load_state(&extra).unwrap_err();
        assert_eq!(
            e.to_string(),
            "CosineAnnealingWarmRestarts::load_state: unexpected key `x`"
        );
        assert_eq!(s.state(), st);
    }
}
