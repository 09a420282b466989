//! Warm-up schedules: [`LinearLr`] (linear change of a factor) and [`ConstantLr`] (a constant
//! factor for a number of steps).

use std::collections::BTreeMap;

use crate::error::{OptimError, Result};
use crate::optimizer::HyperParams;
use crate::schedule::base::{get, initial_step, scheduler_via_rule, whole, Core, Rule};

/// Scales the rate by a factor moving linearly from `start_factor` to `end_factor` over
/// `total_iters` steps, PyTorch's `LinearLR` (the usual linear warm-up).
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{HyperParams, LinearLr, LrScheduler, Sgd, SgdConfig};
/// use youshi_tensor::Tensor;
/// let mut opt = Sgd::new(vec![Param::new(Tensor::<f64>::zeros([1]))], SgdConfig::default().lr(0.1))?;
/// let mut warmup = LinearLr::new(&mut opt, 0.5, 1.0, 2)?;
/// let mut lrs = vec![opt.lr(0)];
/// for _ in 0..3 {
///     warmup.step(&mut opt, None)?;
///     lrs.push(opt.lr(0));
/// }
/// assert_eq!(lrs, [0.05, 0.07500000000000001, 0.1, 0.1]);
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct LinearLr {
    core: Core,
    start_factor: f64,
    end_factor: f64,
    total_iters: usize,
}

impl LinearLr {
    /// The schedule on `opt`, setting step 0's rates to `start_factor` times the initial rates.
    ///
    /// # Errors
    /// [`OptimError::Config`] as PyTorch: `start_factor` outside `(0, 1]` or `end_factor`
    /// outside `[0, 1]`.
    pub fn new(
        opt: &mut dyn HyperParams,
        start_factor: f64,
        end_factor: f64,
        total_iters: usize,
    ) -> Result<Self> {
        if !(start_factor > 0.0 && start_factor <= 1.0) {
            return Err(OptimError::config(
                "LinearLR",
                format!("start_factor = {start_factor} must be in (0, 1]"),
            ));
        }
        if !(0.0..=1.0).contains(&end_factor) {
            return Err(OptimError::config(
                "LinearLR",
                format!("end_factor = {end_factor} must be in [0, 1]"),
            ));
        }
        let mut s = LinearLr {
            core: Core::attach(opt),
            start_factor,
            end_factor,
            total_iters,
        };
        initial_step(&mut s, opt)?;
        Ok(s)
    }
}

impl Rule for LinearLr {
    const NAME: &'static str = "LinearLR";
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn get_lr(&mut self, opt: &mut dyn HyperParams, initial: bool) -> Result<Vec<f64>> {
        let e = self.core.last_epoch;
        let n = self.core.base_lrs.len();
        let (start, end, total) = (self.start_factor, self.end_factor, self.total_iters as f64);
        Ok((0..n)
            .map(|g| {
                let lr = opt.lr(g);
                if e == 0 {
                    lr * start
                } else if initial || e > self.total_iters as i64 {
                    lr
                } else {
                    lr * (1.0 + (end - start) / (total * start + (e - 1) as f64 * (end - start)))
                }
            })
            .collect())
    }
    fn closed_form(&self) -> Result<Option<Vec<f64>>> {
        if self.total_iters == 0 {
            return Err(OptimError::config(
                "LinearLR",
                "total_iters = 0: the closed form divides by zero (PyTorch raises too)",
            ));
        }
        let e = self.core.last_epoch.max(0) as usize;
        let done = self.total_iters.min(e) as f64;
        let factor = self.start_factor
            + (self.end_factor - self.start_factor) * done / self.total_iters as f64;
        Ok(Some(
            self.core.base_lrs.iter().map(|b| b * factor).collect(),
        ))
    }
    fn save_options(&self, out: &mut BTreeMap<String, f64>) {
        out.insert("start_factor".into(), self.start_factor);
        out.insert("end_factor".into(), self.end_factor);
        out.insert("total_iters".into(), self.total_iters as f64);
    }
    fn load_options(&mut self, s: &BTreeMap<String, f64>, op: &'static str) -> Result<()> {
        self.start_factor = get(s, "start_factor", op)?;
        self.end_factor = get(s, "end_factor", op)?;
        self.total_iters = whole(s, "total_iters", op, 0)?;
        Ok(())
    }
}

scheduler_via_rule!(LinearLr);

/// Scales the rate by a constant `factor` for the first `total_iters` steps, then restores
/// it, PyTorch's `ConstantLR`.
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{ConstantLr, HyperParams, LrScheduler, Sgd, SgdConfig};
/// use youshi_tensor::Tensor;
/// let mut opt = Sgd::new(vec![Param::new(Tensor::<f64>::zeros([1]))], SgdConfig::default().lr(0.1))?;
/// let mut s = ConstantLr::new(&mut opt, 0.5, 2)?;
/// let mut lrs = vec![opt.lr(0)];
/// for _ in 0..3 {
///     s.step(&mut opt, None)?;
///     lrs.push(opt.lr(0));
/// }
/// assert_eq!(lrs, [0.05, 0.05, 0.1, 0.1]);
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConstantLr {
    core: Core,
    factor: f64,
    total_iters: usize,
}

impl ConstantLr {
    /// The schedule on `opt`.
    ///
    /// # Errors
    /// [`OptimError::Config`] if `factor` is not in `(0, 1]`. (PyTorch accepts 0 and then
    /// divides by zero at `total_iters`.)
    pub fn new(opt: &mut dyn HyperParams, factor: f64, total_iters: usize) -> Result<Self> {
        if !(factor > 0.0 && factor <= 1.0) {
            return Err(OptimError::config(
                "ConstantLR",
                format!("factor = {factor} must be in (0, 1]"),
            ));
        }
        let mut s = ConstantLr {
            core: Core::attach(opt),
            factor,
            total_iters,
        };
        initial_step(&mut s, opt)?;
        Ok(s)
    }
}

impl Rule for ConstantLr {
    const NAME: &'static str = "ConstantLR";
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn get_lr(&mut self, opt: &mut dyn HyperParams, _initial: bool) -> Result<Vec<f64>> {
        let e = self.core.last_epoch;
        let n = self.core.base_lrs.len();
        Ok((0..n)
            .map(|g| {
                let lr = opt.lr(g);
                if e == 0 {
                    lr * self.factor
                } else if e != self.total_iters as i64 {
                    lr
                } else {
                    lr * (1.0 / self.factor)
                }
            })
            .collect())
    }
    fn closed_form(&self) -> Result<Option<Vec<f64>>> {
        let done = self.core.last_epoch >= self.total_iters as i64;
        let factor = self.factor + if done { 1.0 - self.factor } else { 0.0 };
        Ok(Some(
            self.core.base_lrs.iter().map(|b| b * factor).collect(),
        ))
    }
    fn save_options(&self, out: &mut BTreeMap<String, f64>) {
        out.insert("factor".into(), self.factor);
        out.insert("total_iters".into(), self.total_iters as f64);
    }
    fn load_options(&mut self, s: &BTreeMap<String, f64>, op: &'static str) -> Result<()> {
        self.factor = get(s, "factor", op)?;
        self.total_iters = whole(s, "total_iters", op, 0)?;
        Ok(())
    }
}

scheduler_via_rule!(ConstantLr);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{LrScheduler, StageStart};
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
    fn rejects_invalid_factors() {
        let mut opt = sgd();
        let e = LinearLr::new(&mut opt, 0.0, 1.0, 5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "LinearLR: start_factor = 0 must be in (0, 1]"
        );
        let e = LinearLr::new(&mut opt, 0.5, 1.5, 5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "LinearLR: end_factor = 1.5 must be in [0, 1]"
        );
        let e = ConstantLr::new(&mut opt, 0.0, 5).unwrap_err();
        assert_eq!(e.to_string(), "ConstantLR: factor = 0 must be in (0, 1]");
        let e = ConstantLr::new(&mut opt, f64::NAN, 5).unwrap_err();
        assert_eq!(e.to_string(), "ConstantLR: factor = NaN must be in (0, 1]");
    }

    #[test]
    fn zero_total_iters_steps_but_cannot_restart_at_a_milestone() {
        let mut opt = sgd();
        let mut s = LinearLr::new(&mut opt, 0.5, 1.0, 0).unwrap();
        s.step(&mut opt, None).unwrap();
        assert_eq!(s.last_lr(), [0.5]);
        let e = s.restart(&mut opt, StageStart::Milestone).unwrap_err();
        assert!(e.to_string().contains("total_iters = 0"), "{e}");
        let mut bad = s.state();
        bad.scalars.insert("total_iters".into(), -1.0);
        let e = s.load_state(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "LinearLR::load_state: `total_iters` = -1 is not a whole number"
        );
    }
}
