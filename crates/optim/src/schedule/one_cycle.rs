//! [`OneCycleLr`]: the one-cycle policy (warm-up to a peak, then annealing far below the start),
//! with momentum cycling, PyTorch's `OneCycleLR`.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use crate::error::{OptimError, Result};
use crate::optimizer::HyperParams;
use crate::schedule::base::{
    check_finite, flag, get, initial_step, scheduler_via_rule, whole, Core, PerGroup, Rule,
};

const NAME: &str = "OneCycleLR";

/// How [`OneCycleLr`] moves between two values within a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Anneal {
    /// Along a half cosine (`anneal_strategy="cos"`, the default).
    #[default]
    Cos,
    /// Linearly (`anneal_strategy="linear"`).
    Linear,
}

impl Anneal {
    /// PyTorch's `_annealing_cos` / `_annealing_linear` from `start` to `end` at `pct`.
    fn apply(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            Anneal::Cos => {
                let cos_out = (PI * pct).cos() + 1.0;
                end + (start - end) / 2.0 * cos_out
            }
            Anneal::Linear => (end - start) * pct + start,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TotalSteps {
    Steps(usize),
    Epochs {
        epochs: usize,
        steps_per_epoch: usize,
    },
}

/// Options of [`OneCycleLr`], with PyTorch's defaults: `pct_start = 0.3`, cosine annealing,
/// momentum cycled between 0.85 and 0.95, `div_factor = 25`, `final_div_factor = 1e4`, two
/// phases.
///
/// # Examples
/// ```
/// use youshi_optim::{Anneal, OneCycleConfig};
/// let cfg = OneCycleConfig::new(0.1, 1000).pct_start(0.25).anneal(Anneal::Linear).three_phase(true);
/// let per_group = OneCycleConfig::with_epochs(0.1, 10, 100).max_lrs(vec![0.1, 0.01]);
/// # let _ = (cfg, per_group);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OneCycleConfig {
    max_lr: PerGroup,
    total: TotalSteps,
    pct_start: f64,
    anneal: Anneal,
    cycle_momentum: bool,
    base_momentum: PerGroup,
    max_momentum: PerGroup,
    div_factor: f64,
    final_div_factor: f64,
    three_phase: bool,
}

impl OneCycleConfig {
    /// A cycle of `total_steps` steps peaking at `max_lr` in every group.
    pub fn new(max_lr: f64, total_steps: usize) -> Self {
        Self::with_total(max_lr, TotalSteps::Steps(total_steps))
    }

    /// A cycle of `epochs * steps_per_epoch` steps peaking at `max_lr` in every group.
    pub fn with_epochs(max_lr: f64, epochs: usize, steps_per_epoch: usize) -> Self {
        Self::with_total(
            max_lr,
            TotalSteps::Epochs {
                epochs,
                steps_per_epoch,
            },
        )
    }

    fn with_total(max_lr: f64, total: TotalSteps) -> Self {
        OneCycleConfig {
            max_lr: PerGroup::All(max_lr),
            total,
            pct_start: 0.3,
            anneal: Anneal::Cos,
            cycle_momentum: true,
            base_momentum: PerGroup::All(0.85),
            max_momentum: PerGroup::All(0.95),
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
        }
    }

    /// One peak rate per parameter group.
    pub fn max_lrs(mut self, max_lrs: Vec<f64>) -> Self {
        self.max_lr = PerGroup::Each(max_lrs);
        self
    }

    /// The fraction of the cycle spent warming up (`[0, 1]`).
    pub fn pct_start(mut self, pct_start: f64) -> Self {
        self.pct_start = pct_start;
        self
    }

    /// The annealing curve.
    pub fn anneal(mut self, anneal: Anneal) -> Self {
        self.anneal = anneal;
        self
    }

    /// Cycles the momentum (SGD/RMSprop `momentum`, Adam `beta1`) inversely to the rate.
    pub fn cycle_momentum(mut self, on: bool) -> Self {
        self.cycle_momentum = on;
        self
    }

    /// The lowest momentum (reached at the peak rate), for every group.
    pub fn base_momentum(mut self, m: f64) -> Self {
        self.base_momentum = PerGroup::All(m);
        self
    }

    /// The highest momentum (at the start and end), for every group.
    pub fn max_momentum(mut self, m: f64) -> Self {
        self.max_momentum = PerGroup::All(m);
        self
    }

    /// The lowest momentum, one per group.
    pub fn base_momenta(mut self, m: Vec<f64>) -> Self {
        self.base_momentum = PerGroup::Each(m);
        self
    }

    /// The highest momentum, one per group.
    pub fn max_momenta(mut self, m: Vec<f64>) -> Self {
        self.max_momentum = PerGroup::Each(m);
        self
    }

    /// The initial rate is `max_lr / div_factor`.
    pub fn div_factor(mut self, f: f64) -> Self {
        self.div_factor = f;
        self
    }

    /// The final rate is `initial_lr / final_div_factor`.
    pub fn final_div_factor(mut self, f: f64) -> Self {
        self.final_div_factor = f;
        self
    }

    /// Three phases (up, back down to the initial rate, then down to the final rate) instead
    /// of two (up, then down to the final rate).
    pub fn three_phase(mut self, on: bool) -> Self {
        self.three_phase = on;
        self
    }
}

/// Which stored value a phase starts or ends at.
#[derive(Debug, Clone, Copy, PartialEq)]
enum At {
    InitialLr,
    MaxLr,
    MinLr,
    MaxMomentum,
    BaseMomentum,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Phase {
    end_step: f64,
    lr: (At, At),
    momentum: (At, At),
}

fn phases(three_phase: bool, pct_start: f64, total: usize) -> Vec<Phase> {
    use At::*;
    let total_f = total as f64;
    if three_phase {
        vec![
            Phase {
                end_step: pct_start * total_f - 1.0,
                lr: (InitialLr, MaxLr),
                momentum: (MaxMomentum, BaseMomentum),
            },
            Phase {
                end_step: 2.0 * pct_start * total_f - 2.0,
                lr: (MaxLr, InitialLr),
                momentum: (BaseMomentum, MaxMomentum),
            },
            Phase {
                end_step: total_f - 1.0,
                lr: (InitialLr, MinLr),
                momentum: (MaxMomentum, MaxMomentum),
            },
        ]
    } else {
        vec![
            Phase {
                end_step: pct_start * total_f - 1.0,
                lr: (InitialLr, MaxLr),
                momentum: (MaxMomentum, BaseMomentum),
            },
            Phase {
                end_step: total_f - 1.0,
                lr: (MaxLr, MinLr),
                momentum: (BaseMomentum, MaxMomentum),
            },
        ]
    }
}

/// The one-cycle policy, PyTorch's `OneCycleLR`: from `max_lr / div_factor` up to `max_lr`
/// over the first `pct_start` of the steps, then down to
/// `max_lr / div_factor / final_div_factor` (or, with three phases, back to the initial rate
/// and then down). With `cycle_momentum` the optimizer's momentum (Adam's `beta1`) moves the
/// opposite way between `max_momentum` and `base_momentum`.
///
/// Step it once per batch. Stepping past `total_steps` is an error, as PyTorch raises.
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{HyperParams, LrScheduler, OneCycleConfig, OneCycleLr, Sgd, SgdConfig};
/// use youshi_tensor::Tensor;
/// let mut opt = Sgd::new(vec![Param::new(Tensor::<f64>::zeros([1]))], SgdConfig::default().momentum(0.9))?;
/// let mut s = OneCycleLr::new(&mut opt, OneCycleConfig::new(1.0, 10).pct_start(0.5))?;
/// let near = |a: f64, b: f64| (a - b).abs() < 1e-12;
/// assert!(near(opt.lr(0), 0.04) && near(opt.momentum(0).unwrap(), 0.95)); // 1.0 / 25
/// for _ in 0..4 {
///     s.step(&mut opt, None)?;
/// }
/// assert!(near(opt.lr(0), 1.0) && near(opt.momentum(0).unwrap(), 0.85)); // the peak
/// for _ in 0..6 {
///     s.step(&mut opt, None)?;
/// }
/// assert!(s.step(&mut opt, None).is_err()); // past total_steps
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OneCycleLr {
    core: Core,
    total_steps: usize,
    pct_start: f64,
    three_phase: bool,
    phases: Vec<Phase>,
    anneal: Anneal,
    cycle_momentum: bool,
    initial_lrs: Vec<f64>,
    max_lrs: Vec<f64>,
    min_lrs: Vec<f64>,
    max_momenta: Vec<f64>,
    base_momenta: Vec<f64>,
}

impl OneCycleLr {
    /// The schedule on `opt`: records the initial rates (`max_lr / div_factor`), sets the
    /// momenta to `max_momentum` (if cycled) and the rates of step 0.
    ///
    /// # Errors
    /// [`OptimError::Config`] as PyTorch: a total of zero steps (or zero epochs or steps per
    /// epoch), `pct_start` outside `[0, 1]`, a per-group list of the wrong length,
    /// `cycle_momentum` with an optimizer without momentum (Adagrad); also non-finite rates
    /// or momenta and division factors that are not positive.
    pub fn new(opt: &mut dyn HyperParams, cfg: OneCycleConfig) -> Result<Self> {
        let total_steps = match cfg.total {
            TotalSteps::Steps(0) => {
                return Err(OptimError::config(
                    NAME,
                    "total_steps must be a positive integer, got 0",
                ))
            }
            TotalSteps::Steps(n) => n,
            TotalSteps::Epochs { epochs: 0, .. } => {
                return Err(OptimError::config(
                    NAME,
                    "epochs must be a positive integer, got 0",
                ))
            }
            TotalSteps::Epochs {
                steps_per_epoch: 0, ..
            } => {
                return Err(OptimError::config(
                    NAME,
                    "steps_per_epoch must be a positive integer, got 0",
                ))
            }
            TotalSteps::Epochs {
                epochs,
                steps_per_epoch,
            } => epochs.checked_mul(steps_per_epoch).ok_or_else(|| {
                OptimError::config(
                    NAME,
                    format!("{epochs} epochs of {steps_per_epoch} steps overflow"),
                )
            })?,
        };
        if !(0.0..=1.0).contains(&cfg.pct_start) {
            return Err(OptimError::config(
                NAME,
                format!("pct_start = {} must be in [0, 1]", cfg.pct_start),
            ));
        }
        for (what, v) in [
            ("div_factor", cfg.div_factor),
            ("final_div_factor", cfg.final_div_factor),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(OptimError::config(
                    NAME,
                    format!("{what} = {v} must be positive and finite"),
                ));
            }
        }
        let n = opt.num_groups();
        let max_lrs = cfg.max_lr.resolve(NAME, "max_lr", n)?;
        for &v in &max_lrs {
            check_finite(NAME, "max_lr", v)?;
        }
        let initial_lrs: Vec<f64> = max_lrs.iter().map(|m| m / cfg.div_factor).collect();
        let min_lrs: Vec<f64> = initial_lrs
            .iter()
            .map(|i| i / cfg.final_div_factor)
            .collect();
        let (max_momenta, base_momenta) = if cfg.cycle_momentum {
            if let Some(g) = (0..n).find(|&g| opt.momentum(g).is_none()) {
                return Err(OptimError::config(
                    NAME,
                    format!(
                        "cycle_momentum needs an optimizer with momentum or beta1, but parameter group {g} has neither"
                    ),
                ));
            }
            let max = cfg.max_momentum.resolve(NAME, "max_momentum", n)?;
            let base = cfg.base_momentum.resolve(NAME, "base_momentum", n)?;
            for &v in max.iter().chain(&base) {
                check_finite(NAME, "momentum", v)?;
            }
            (max, base)
        } else {
            (Vec::new(), Vec::new())
        };
        for (g, &lr) in initial_lrs.iter().enumerate() {
            opt.set_initial_lr(g, lr);
        }
        for (g, &m) in max_momenta.iter().enumerate() {
            opt.set_momentum(g, m);
        }
        let mut core = Core::attach(opt);
        // PyTorch writes `initial_lr` itself, so the base rates are the one-cycle ones even if
        // the optimizer does not keep an initial rate.
        core.base_lrs.clone_from(&initial_lrs);
        let mut s = OneCycleLr {
            core,
            total_steps,
            pct_start: cfg.pct_start,
            three_phase: cfg.three_phase,
            phases: phases(cfg.three_phase, cfg.pct_start, total_steps),
            anneal: cfg.anneal,
            cycle_momentum: cfg.cycle_momentum,
            initial_lrs,
            max_lrs,
            min_lrs,
            max_momenta,
            base_momenta,
        };
        initial_step(&mut s, opt)?;
        Ok(s)
    }

    /// The total number of steps of the cycle.
    pub fn total_steps(&self) -> usize {
        self.total_steps
    }

    fn value(&self, at: At, g: usize) -> f64 {
        match at {
            At::InitialLr => self.initial_lrs[g],
            At::MaxLr => self.max_lrs[g],
            At::MinLr => self.min_lrs[g],
            At::MaxMomentum => self.max_momenta[g],
            At::BaseMomentum => self.base_momenta[g],
        }
    }
}

impl Rule for OneCycleLr {
    const NAME: &'static str = NAME;
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn get_lr(&mut self, opt: &mut dyn HyperParams, _initial: bool) -> Result<Vec<f64>> {
        let step_num = self.core.last_epoch;
        if step_num > self.total_steps as i64 {
            return Err(OptimError::config(
                NAME,
                format!(
                    "tried to step {step_num} times; the total number of steps is {}",
                    self.total_steps
                ),
            ));
        }
        let step = step_num as f64;
        let n = self.core.base_lrs.len();
        let mut lrs = Vec::with_capacity(n);
        let mut momenta = Vec::with_capacity(n);
        let last = self.phases.len() - 1;
        for g in 0..n {
            let mut start_step = 0.0;
            for (i, phase) in self.phases.iter().enumerate() {
                if step <= phase.end_step || i == last {
                    let span = phase.end_step - start_step;
                    if span == 0.0 {
                        return Err(OptimError::config(
                            NAME,
                            format!(
                                "phase {} has zero length at step {step_num} (pct_start {} of {} steps); PyTorch divides by zero here",
                                i + 1,
                                self.pct_start,
                                self.total_steps
                            ),
                        ));
                    }
                    let pct = (step - start_step) / span;
                    lrs.push(self.anneal.apply(
                        self.value(phase.lr.0, g),
                        self.value(phase.lr.1, g),
                        pct,
                    ));
                    if self.cycle_momentum {
                        momenta.push(self.anneal.apply(
                            self.value(phase.momentum.0, g),
                            self.value(phase.momentum.1, g),
                            pct,
                        ));
                    }
                    break;
                }
                start_step = phase.end_step;
            }
        }
        for (g, &m) in momenta.iter().enumerate() {
            opt.set_momentum(g, m);
        }
        Ok(lrs)
    }
    fn save_options(&self, out: &mut BTreeMap<String, f64>) {
        out.insert("total_steps".into(), self.total_steps as f64);
        out.insert("pct_start".into(), self.pct_start);
        out.insert("three_phase".into(), f64::from(u8::from(self.three_phase)));
        out.insert(
            "anneal".into(),
            match self.anneal {
                Anneal::Cos => 0.0,
                Anneal::Linear => 1.0,
            },
        );
        out.insert(
            "cycle_momentum".into(),
            f64::from(u8::from(self.cycle_momentum)),
        );
        let lists: [(&str, &Vec<f64>); 5] = [
            ("initial_lr", &self.initial_lrs),
            ("max_lr", &self.max_lrs),
            ("min_lr", &self.min_lrs),
            ("max_momentum", &self.max_momenta),
            ("base_momentum", &self.base_momenta),
        ];
        for (name, values) in lists {
            for (g, v) in values.iter().enumerate() {
                out.insert(format!("{name}.{g}"), *v);
            }
        }
    }
    fn load_options(&mut self, s: &BTreeMap<String, f64>, op: &'static str) -> Result<()> {
        let flag = |key: &str| flag(s, key, op);
        let total = whole(s, "total_steps", op, 1)?;
        let pct_start = get(s, "pct_start", op)?;
        if !(0.0..=1.0).contains(&pct_start) {
            return Err(OptimError::state(
                op,
                format!("`pct_start` = {pct_start} is not in [0, 1]"),
            ));
        }
        self.total_steps = total;
        self.pct_start = pct_start;
        self.three_phase = flag("three_phase")?;
        self.anneal = if flag("anneal")? {
            Anneal::Linear
        } else {
            Anneal::Cos
        };
        self.cycle_momentum = flag("cycle_momentum")?;
        self.phases = phases(self.three_phase, self.pct_start, self.total_steps);
        let n = self.core.base_lrs.len();
        let list = |name: &str| -> Result<Vec<f64>> {
            (0..n).map(|g| get(s, &format!("{name}.{g}"), op)).collect()
        };
        self.initial_lrs = list("initial_lr")?;
        self.max_lrs = list("max_lr")?;
        self.min_lrs = list("min_lr")?;
        if self.cycle_momentum {
            self.max_momenta = list("max_momentum")?;
            self.base_momenta = list("base_momentum")?;
        } else {
            self.max_momenta.clear();
            self.base_momenta.clear();
        }
        Ok(())
    }
}

scheduler_via_rule!(OneCycleLr);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::LrScheduler;
    use crate::{Adagrad, AdagradConfig, Sgd, SgdConfig};
    use youshi_autograd::Param;
    use youshi_tensor::Tensor;

    fn sgd() -> Sgd<f64> {
        Sgd::new(
            vec![Param::new(Tensor::zeros([1]))],
            SgdConfig::default().momentum(0.9),
        )
        .unwrap()
    }

    fn err(cfg: OneCycleConfig) -> String {
        OneCycleLr::new(&mut sgd(), cfg).unwrap_err().to_string()
    }

    #[test]
    fn rejects_invalid_options() {
        assert_eq!(
            err(OneCycleConfig::new(0.1, 0)),
            "OneCycleLR: total_steps must be a positive integer, got 0"
        );
        assert_eq!(
            err(OneCycleConfig::with_epochs(0.1, 0, 5)),
            "OneCycleLR: epochs must be a positive integer, got 0"
        );
        assert_eq!(
            err(OneCycleConfig::with_epochs(0.1, 5, 0)),
            "OneCycleLR: steps_per_epoch must be a positive integer, got 0"
        );
        assert_eq!(
            err(OneCycleConfig::with_epochs(0.1, usize::MAX, 2)),
            format!("OneCycleLR: {} epochs of 2 steps overflow", usize::MAX)
        );
        assert_eq!(
            err(OneCycleConfig::new(0.1, 10).pct_start(1.5)),
            "OneCycleLR: pct_start = 1.5 must be in [0, 1]"
        );
        assert_eq!(
            err(OneCycleConfig::new(0.1, 10).div_factor(0.0)),
            "OneCycleLR: div_factor = 0 must be positive and finite"
        );
        assert_eq!(
            err(OneCycleConfig::new(0.1, 10).final_div_factor(-1.0)),
            "OneCycleLR: final_div_factor = -1 must be positive and finite"
        );
        assert_eq!(
            err(OneCycleConfig::new(0.1, 10).max_lrs(vec![0.1, 0.2])),
            "OneCycleLR: expected 1 values for max_lr (one per parameter group), got 2"
        );
        assert_eq!(
            err(OneCycleConfig::new(f64::NAN, 10)),
            "OneCycleLR: max_lr = NaN must be finite"
        );
        assert_eq!(
            err(OneCycleConfig::new(0.1, 10).base_momenta(vec![])),
            "OneCycleLR: expected 1 values for base_momentum (one per parameter group), got 0"
        );
        let mut ada = Adagrad::new(
            vec![Param::new(Tensor::<f64>::zeros([1]))],
            AdagradConfig::default(),
        )
        .unwrap();
        let e = OneCycleLr::new(&mut ada, OneCycleConfig::new(0.1, 10)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "OneCycleLR: cycle_momentum needs an optimizer with momentum or beta1, but parameter group 0 has neither"
        );
        assert!(
            OneCycleLr::new(&mut ada, OneCycleConfig::new(0.1, 10).cycle_momentum(false)).is_ok()
        );
    }

    #[test]
    fn zero_length_phase_is_an_error_where_pytorch_divides_by_zero() {
        // pct_start * total - 1 = 0: the first phase ends at step 0.
        let e = err(OneCycleConfig::new(0.1, 10).pct_start(0.1));
        assert!(e.contains("phase 1 has zero length at step 0"), "{e}");
    }

    #[test]
    fn stepping_past_the_end_changes_nothing() {
        let mut opt = sgd();
        let mut s = OneCycleLr::new(&mut opt, OneCycleConfig::new(0.1, 3)).unwrap();
        for _ in 0..3 {
            s.step(&mut opt, None).unwrap();
        }
        let st = s.state();
        let lr = opt.lr(0);
        let e = s.step(&mut opt, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "OneCycleLR: tried to step 4 times; the total number of steps is 3"
        );
        assert_eq!(s.state(), st);
        assert_eq!(opt.lr(0), lr);
        assert_eq!(s.total_steps(), 3);
        let mut bad = st.clone();
        bad.scalars.insert("pct_start".into(), 2.0);
        assert!(s
            .load_state(&bad)
            .unwrap_err()
            .to_string()
            .contains("pct_start"));
        let mut bad = st.clone();
        bad.scalars.insert("anneal".into(), 3.0);
        assert_eq!(
            s.load_state(&bad).unwrap_err().to_string(),
            "OneCycleLR::load_state: `anneal` = 3 is not a flag (0 or 1)"
        );
    }
}
