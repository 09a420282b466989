//! Step decays: [`StepLr`], [`MultiStepLr`] and [`ExponentialLr`].

use std::collections::BTreeMap;

use crate::error::{OptimError, Result};
use crate::optimizer::HyperParams;
use crate::schedule::base::{
    bisect_right, check_finite, get, initial_step, scheduler_via_rule, whole, Core, Rule,
};

/// Multiplies the rate by `gamma` every `step_size` steps, PyTorch's `StepLR`.
///
/// `lr(t) = base_lr * gamma^(t / step_size)` (integer division), computed recursively from
/// the current rate as PyTorch does.
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{HyperParams, LrScheduler, Sgd, SgdConfig, StepLr};
/// use youshi_tensor::Tensor;
/// let mut opt = Sgd::new(vec![Param::new(Tensor::<f64>::zeros([1]))], SgdConfig::default().lr(1.0))?;
/// let mut sched = StepLr::new(&mut opt, 2, 0.5)?;
/// let mut lrs = vec![opt.lr(0)];
/// for _ in 0..4 {
///     sched.step(&mut opt, None)?;
///     lrs.push(opt.lr(0));
/// }
/// assert_eq!(lrs, [1.0, 1.0, 0.5, 0.5, 0.25]);
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct StepLr {
    core: Core,
    step_size: usize,
    gamma: f64,
}

impl StepLr {
    /// The schedule on `opt`, setting the rates of step 0 (the groups' initial rates).
    ///
    /// # Errors
    /// [`OptimError::Config`] if `step_size` is 0 or `gamma` is not finite.
    pub fn new(opt: &mut dyn HyperParams, step_size: usize, gamma: f64) -> Result<Self> {
        if step_size == 0 {
            return Err(OptimError::config("StepLR", "step_size must be at least 1"));
        }
        check_finite("StepLR", "gamma", gamma)?;
        let mut s = StepLr {
            core: Core::attach(opt),
            step_size,
            gamma,
        };
        initial_step(&mut s, opt)?;
        Ok(s)
    }
}

impl Rule for StepLr {
    const NAME: &'static str = "StepLR";
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn get_lr(&mut self, opt: &mut dyn HyperParams, _initial: bool) -> Result<Vec<f64>> {
        let e = self.core.last_epoch;
        let n = self.core.base_lrs.len();
        let decay = e != 0 && e.rem_euclid(self.step_size as i64) == 0;
        Ok((0..n)
            .map(|g| {
                let lr = opt.lr(g);
                if decay {
                    lr * self.gamma
                } else {
                    lr
                }
            })
            .collect())
    }
    fn closed_form(&self) -> Result<Option<Vec<f64>>> {
        let k = self.core.last_epoch.div_euclid(self.step_size as i64);
        Ok(Some(
            self.core
                .base_lrs
                .iter()
                .map(|b| b * self.gamma.powf(k as f64))
                .collect(),
        ))
    }
    fn save_options(&self, out: &mut BTreeMap<String, f64>) {
        out.insert("step_size".into(), self.step_size as f64);
        out.insert("gamma".into(), self.gamma);
    }
    fn load_options(&mut self, s: &BTreeMap<String, f64>, op: &'static str) -> Result<()> {
        self.step_size = whole(s, "step_size", op, 1)?;
        self.gamma = get(s, "gamma", op)?;
        Ok(())
    }
}

scheduler_via_rule!(StepLr);

/// Multiplies the rate by `gamma` at each milestone, PyTorch's `MultiStepLR` (a milestone
/// listed twice multiplies by `gamma²`).
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{HyperParams, LrScheduler, MultiStepLr, Sgd, SgdConfig};
/// use youshi_tensor::Tensor;
/// let mut opt = Sgd::new(vec![Param::new(Tensor::<f64>::zeros([1]))], SgdConfig::default().lr(1.0))?;
/// let mut sched = MultiStepLr::new(&mut opt, &[1, 3], 0.5)?;
/// let mut lrs = vec![opt.lr(0)];
/// for _ in 0..4 {
///     sched.step(&mut opt, None)?;
///     lrs.push(opt.lr(0));
/// }
/// assert_eq!(lrs, [1.0, 0.5, 0.5, 0.25, 0.25]);
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MultiStepLr {
    core: Core,
    milestones: Vec<i64>,
    gamma: f64,
}

impl MultiStepLr {
    /// The schedule on `opt` with the given milestones (in any order, repeats allowed).
    ///
    /// # Errors
    /// [`OptimError::Config`] if `gamma` is not finite or a milestone is too large.
    pub fn new(opt: &mut dyn HyperParams, milestones: &[usize], gamma: f64) -> Result<Self> {
        check_finite("MultiStepLR", "gamma", gamma)?;
        let mut ms = milestones
            .iter()
            .map(|&m| {
                i64::try_from(m).map_err(|_| {
                    OptimError::config("MultiStepLR", format!("milestone {m} is too large"))
                })
            })
            .collect::<Result<Vec<i64>>>()?;
        ms.sort_unstable();
        let mut s = MultiStepLr {
            core: Core::attach(opt),
            milestones: ms,
            gamma,
        };
        initial_step(&mut s, opt)?;
        Ok(s)
    }
}

impl Rule for MultiStepLr {
    const NAME: &'static str = "MultiStepLR";
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn get_lr(&mut self, opt: &mut dyn HyperParams, _initial: bool) -> Result<Vec<f64>> {
        let e = self.core.last_epoch;
        let count = self.milestones.iter().filter(|&&m| m == e).count();
        let n = self.core.base_lrs.len();
        Ok((0..n)
            .map(|g| {
                let lr = opt.lr(g);
                if count == 0 {
                    lr
                } else {
                    lr * self.gamma.powf(count as f64)
                }
            })
            .collect())
    }
    fn closed_form(&self) -> Result<Option<Vec<f64>>> {
        let k = bisect_right(&self.milestones, self.core.last_epoch);
        Ok(Some(
            self.core
                .base_lrs
                .iter()
                .map(|b| b * self.gamma.powf(k as f64))
                .collect(),
        ))
    }
    fn save_options(&self, out: &mut BTreeMap<String, f64>) {
        out.insert("gamma".into(), self.gamma);
        out.insert("milestones".into(), self.milestones.len() as f64);
        for (i, m) in self.milestones.iter().enumerate() {
            out.insert(format!("milestone.{i}"), *m as f64);
        }
    }
    fn load_options(&mut self, s: &BTreeMap<String, f64>, op: &'static str) -> Result<()> {
        self.gamma = get(s, "gamma", op)?;
        let n = whole(s, "milestones", op, 0)?;
        let mut ms = Vec::new();
        for i in 0..n {
            ms.push(whole(s, &format!("milestone.{i}"), op, 0)? as i64);
        }
        ms.sort_unstable();
        self.milestones = ms;
        Ok(())
    }
}

scheduler_via_rule!(MultiStepLr);

/// Multiplies the rate by `gamma` every step, PyTorch's `ExponentialLR`.
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{ExponentialLr, HyperParams, LrScheduler, Sgd, SgdConfig};
/// use youshi_tensor::Tensor;
/// let mut opt = Sgd::new(vec![Param::new(Tensor::<f64>::zeros([1]))], SgdConfig::default().lr(1.0))?;
/// let mut sched = ExponentialLr::new(&mut opt, 0.5)?;
/// sched.step(&mut opt, None)?;
/// sched.step(&mut opt, None)?;
/// assert_eq!(opt.lr(0), 0.25);
/// assert_eq!(sched.last_lr(), [0.25]);
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ExponentialLr {
    core: Core,
    gamma: f64,
}

impl ExponentialLr {
    /// The schedule on `opt`.
    ///
    /// # Errors
    /// [`OptimError::Config`] if `gamma` is not finite.
    pub fn new(opt: &mut dyn HyperParams, gamma: f64) -> Result<Self> {
        check_finite("ExponentialLR", "gamma", gamma)?;
        let mut s = ExponentialLr {
            core: Core::attach(opt),
            gamma,
        };
        initial_step(&mut s, opt)?;
        Ok(s)
    }
}

impl Rule for ExponentialLr {
    const NAME: &'static str = "ExponentialLR";
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn get_lr(&mut self, opt: &mut dyn HyperParams, initial: bool) -> Result<Vec<f64>> {
        let n = self.core.base_lrs.len();
        Ok((0..n)
            .map(|g| {
                if initial {
                    opt.lr(g)
                } else {
                    opt.lr(g) * self.gamma
                }
            })
            .collect())
    }
    fn closed_form(&self) -> Result<Option<Vec<f64>>> {
        let e = self.core.last_epoch as f64;
        Ok(Some(
            self.core
                .base_lrs
                .iter()
                .map(|b| b * self.gamma.powf(e))
                .collect(),
        ))
    }
    fn save_options(&self, out: &mut BTreeMap<String, f64>) {
        out.insert("gamma".into(), self.gamma);
    }
    fn load_options(&mut self, s: &BTreeMap<String, f64>, op: &'static str) -> Result<()> {
        self.gamma = get(s, "gamma", op)?;
        Ok(())
    }
}

scheduler_via_rule!(ExponentialLr);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::LrScheduler;
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
        let e = StepLr::new(&mut opt, 0, 0.1).unwrap_err();
        assert_eq!(e.to_string(), "StepLR: step_size must be at least 1");
        let e = StepLr::new(&mut opt, 1, f64::NAN).unwrap_err();
        assert_eq!(e.to_string(), "StepLR: gamma = NaN must be finite");
        let e = MultiStepLr::new(&mut opt, &[1], f64::INFINITY).unwrap_err();
        assert_eq!(e.to_string(), "MultiStepLR: gamma = inf must be finite");
        let e = MultiStepLr::new(&mut opt, &[2, usize::MAX], 0.5).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("MultiStepLR: milestone {} is too large", usize::MAX)
        );
        let e = ExponentialLr::new(&mut opt, f64::NEG_INFINITY).unwrap_err();
        assert_eq!(e.to_string(), "ExponentialLR: gamma = -inf must be finite");
    }

    #[test]
    fn state_round_trip_and_errors() {
        let mut opt = sgd();
        let mut s = MultiStepLr::new(&mut opt, &[4, 2, 2], 0.5).unwrap();
        s.step(&mut opt, None).unwrap();
        let st = s.state();
        assert_eq!(st.kind, "MultiStepLR");
        assert_eq!(st.scalars["milestone.0"], 2.0);
        let mut fresh = MultiStepLr::new(&mut sgd(), &[], 0.1).unwrap();
        fresh.load_state(&st).unwrap();
        assert_eq!(fresh.state(), st);

        let mut other = st.clone();
        other.kind = "StepLR".into();
        let e = fresh.load_state(&other).unwrap_err();
        assert_eq!(
            e.to_string(),
            "MultiStepLR::load_state: the state is of a StepLR schedule, not MultiStepLR"
        );
        let mut extra = st.clone();
        extra.scalars.insert("base_lr.1".into(), 0.1);
        let e = fresh.load_state(&extra).unwrap_err();
        assert_eq!(
            e.to_string(),
            "MultiStepLR::load_state: unexpected key `base_lr.1`"
        );
        let mut missing = st.clone();
        missing.scalars.remove("milestone.2");
        let e = fresh.load_state(&missing).unwrap_err();
        assert_eq!(
            e.to_string(),
            "MultiStepLR::load_state: missing `milestone.2`"
        );
        let mut bad = st.clone();
        bad.scalars.insert("last_epoch".into(), 0.5);
        let e = fresh.load_state(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "MultiStepLR::load_state: `last_epoch` = 0.5 is not a step count"
        );
        let mut step = StepLr::new(&mut sgd(), 2, 0.5).unwrap();
        let mut bad = step.state();
        bad.scalars.insert("step_size".into(), 0.0);
        let e = step.load_state(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "StepLR::load_state: `step_size` = 0 is not a positive whole number"
        );
        assert_eq!(fresh.state(), st);
    }

    #[test]
    fn a_different_number_of_groups_is_an_error() {
        let mut opt = sgd();
        let mut s = ExponentialLr::new(&mut opt, 0.5).unwrap();
        let mut two = Sgd::with_groups(
            vec![
                vec![Param::new(Tensor::<f64>::zeros([1]))].into(),
                vec![Param::new(Tensor::<f64>::zeros([1]))].into(),
            ],
            SgdConfig::default(),
        )
        .unwrap();
        let e = s.step(&mut two, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ExponentialLR: the optimizer has 2 parameter group(s) but the schedule was built for 1"
        );
        assert_eq!(s.state().scalars["last_epoch"], 0.0);
    }
}
