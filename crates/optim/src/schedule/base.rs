//! What the epoch-based schedules share, after PyTorch's `LRScheduler` base class: base rates
//! taken from each group's initial rate, the step counter `last_epoch`, the initial step, and
//! state save and load.

use std::collections::BTreeMap;

use crate::error::{OptimError, Result};
use crate::optimizer::HyperParams;
use crate::schedule::SchedulerState;

/// Base rates, step counter and last rates of a schedule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Core {
    /// Each group's initial rate (PyTorch's `base_lrs`).
    pub base_lrs: Vec<f64>,
    /// The step count (`-1` before the initial step).
    pub last_epoch: i64,
    /// The rates written by the last step.
    pub last_lr: Vec<f64>,
}

impl Core {
    /// Records each group's initial rate (`setdefault("initial_lr", lr)`) as the base rates.
    pub fn attach(opt: &mut dyn HyperParams) -> Core {
        let n = opt.num_groups();
        let base_lrs = (0..n)
            .map(|g| {
                let base = opt.initial_lr(g).unwrap_or_else(|| opt.lr(g));
                opt.set_initial_lr(g, base);
                base
            })
            .collect();
        Core {
            base_lrs,
            last_epoch: -1,
            last_lr: Vec::new(),
        }
    }

    /// Fails if the optimizer's number of groups is not the schedule's.
    pub fn check_groups(&self, name: &'static str, opt: &dyn HyperParams) -> Result<()> {
        check_groups(name, self.base_lrs.len(), opt)
    }

    /// Writes `lrs` into the optimizer and records them as the last rates.
    pub fn apply(&mut self, opt: &mut dyn HyperParams, lrs: &[f64]) {
        for (g, &lr) in lrs.iter().enumerate() {
            opt.set_lr(g, lr);
        }
        self.last_lr = (0..lrs.len()).map(|g| opt.lr(g)).collect();
    }

    /// Writes `last_epoch`, `base_lr.<g>` and `last_lr.<g>`.
    pub fn save(&self, out: &mut BTreeMap<String, f64>) {
        out.insert("last_epoch".into(), self.last_epoch as f64);
        for (g, v) in self.base_lrs.iter().enumerate() {
            out.insert(format!("base_lr.{g}"), *v);
        }
        for (g, v) in self.last_lr.iter().enumerate() {
            out.insert(format!("last_lr.{g}"), *v);
        }
    }

    /// Reads what [`save`](Core::save) wrote, for the same number of groups.
    pub fn load(&self, s: &BTreeMap<String, f64>, op: &'static str) -> Result<Core> {
        let n = self.base_lrs.len();
        let last_epoch = get(s, "last_epoch", op)?;
        if last_epoch.fract() != 0.0 || !(-1.0..=1e15).contains(&last_epoch) {
            return Err(OptimError::state(
                op,
                format!("`last_epoch` = {last_epoch} is not a step count"),
            ));
        }
        let base_lrs = (0..n)
            .map(|g| get(s, &format!("base_lr.{g}"), op))
            .collect::<Result<Vec<f64>>>()?;
        let last_lr = (0..n)
            .map(|g| get(s, &format!("last_lr.{g}"), op))
            .collect::<Result<Vec<f64>>>()?;
        Ok(Core {
            base_lrs,
            last_epoch: last_epoch as i64,
            last_lr,
        })
    }
}

/// Fails if the optimizer has another number of groups than `expected`.
pub(crate) fn check_groups(
    name: &'static str,
    expected: usize,
    opt: &dyn HyperParams,
) -> Result<()> {
    let n = opt.num_groups();
    if n != expected {
        return Err(OptimError::config(
            name,
            format!(
                "the optimizer has {n} parameter group(s) but the schedule was built for {expected}"
            ),
        ));
    }
    Ok(())
}

/// The scalar `key`, or a state error naming it.
pub(crate) fn get(s: &BTreeMap<String, f64>, key: &str, op: &'static str) -> Result<f64> {
    s.get(key)
        .copied()
        .ok_or_else(|| OptimError::state(op, format!("missing `{key}`")))
}

/// Fails unless the state is of kind `name`.
pub(crate) fn check_kind(name: &'static str, st: &SchedulerState, op: &'static str) -> Result<()> {
    if st.kind != name {
        return Err(OptimError::state(
            op,
            format!("the state is of a {} schedule, not {name}", st.kind),
        ));
    }
    Ok(())
}

/// Fails if `given` holds a key that `expected` (the state of the loaded schedule) does not,
/// e.g. a state saved for more parameter groups.
pub(crate) fn check_no_extra_keys(
    given: &BTreeMap<String, f64>,
    expected: &BTreeMap<String, f64>,
    op: &'static str,
) -> Result<()> {
    if let Some(k) = given.keys().find(|k| !expected.contains_key(*k)) {
        return Err(OptimError::state(op, format!("unexpected key `{k}`")));
    }
    Ok(())
}

/// A schedule written after PyTorch's `LRScheduler`: `get_lr` (recursive, from the current
/// rates) and, where PyTorch has one, `_get_closed_form_lr`.
pub(crate) trait Rule {
    /// PyTorch's class name.
    const NAME: &'static str;
    fn core(&self) -> &Core;
    fn core_mut(&mut self) -> &mut Core;
    /// The rates at `core().last_epoch`; `initial` is true during the initial step.
    fn get_lr(&mut self, opt: &mut dyn HyperParams, initial: bool) -> Result<Vec<f64>>;
    /// The closed-form rates at `core().last_epoch`, if the schedule has them.
    fn closed_form(&self) -> Result<Option<Vec<f64>>> {
        Ok(None)
    }
    /// Writes the schedule's own options.
    fn save_options(&self, out: &mut BTreeMap<String, f64>);
    /// Reads them back.
    fn load_options(&mut self, s: &BTreeMap<String, f64>, op: &'static str) -> Result<()>;
}

/// The constructor's initial step: step 0 with `initial` set.
pub(crate) fn initial_step<R: Rule>(r: &mut R, opt: &mut dyn HyperParams) -> Result<()> {
    let saved = r.core().last_epoch;
    r.core_mut().last_epoch = 0;
    match r.get_lr(opt, true) {
        Ok(lrs) => {
            r.core_mut().apply(opt, &lrs);
            Ok(())
        }
        Err(e) => {
            r.core_mut().last_epoch = saved;
            Err(e)
        }
    }
}

/// One step (`last_epoch + 1`); on error nothing changes.
pub(crate) fn step<R: Rule>(r: &mut R, opt: &mut dyn HyperParams) -> Result<()> {
    r.core().check_groups(R::NAME, opt)?;
    let saved = r.core().last_epoch;
    r.core_mut().last_epoch = saved + 1;
    match r.get_lr(opt, false) {
        Ok(lrs) => {
            r.core_mut().apply(opt, &lrs);
            Ok(())
        }
        Err(e) => {
            r.core_mut().last_epoch = saved;
            Err(e)
        }
    }
}

/// PyTorch's `_update_lr(0)`: jump to step 0 by the closed form (or `get_lr` without one).
pub(crate) fn update_at_zero<R: Rule>(r: &mut R, opt: &mut dyn HyperParams) -> Result<()> {
    r.core().check_groups(R::NAME, opt)?;
    let saved = r.core().last_epoch;
    r.core_mut().last_epoch = 0;
    let lrs = match r.closed_form() {
        Ok(Some(lrs)) => Ok(lrs),
        Ok(None) => r.get_lr(opt, false),
        Err(e) => Err(e),
    };
    match lrs {
        Ok(lrs) => {
            r.core_mut().apply(opt, &lrs);
            Ok(())
        }
        Err(e) => {
            r.core_mut().last_epoch = saved;
            Err(e)
        }
    }
}

/// The state of a [`Rule`] schedule.
pub(crate) fn state<R: Rule>(r: &R) -> SchedulerState {
    let mut scalars = BTreeMap::new();
    r.core().save(&mut scalars);
    r.save_options(&mut scalars);
    SchedulerState {
        kind: R::NAME.to_string(),
        scalars,
    }
}

/// Loads a [`Rule`] schedule's state after checking it whole.
pub(crate) fn load_state<R: Rule + Clone>(r: &mut R, st: &SchedulerState) -> Result<()> {
    let op = load_op(R::NAME);
    check_kind(R::NAME, st, op)?;
    let mut candidate = r.clone();
    *candidate.core_mut() = r.core().load(&st.scalars, op)?;
    candidate.load_options(&st.scalars, op)?;
    check_no_extra_keys(&st.scalars, &state(&candidate).scalars, op)?;
    *r = candidate;
    Ok(())
}

/// `"<name>::load_state"` for the schedules of this crate.
pub(crate) fn load_op(name: &'static str) -> &'static str {
    match name {
        "StepLR" => "StepLR::load_state",
        "MultiStepLR" => "MultiStepLR::load_state",
        "ExponentialLR" => "ExponentialLR::load_state",
        "LinearLR" => "LinearLR::load_state",
        "ConstantLR" => "ConstantLR::load_state",
        "CosineAnnealingLR" => "CosineAnnealingLR::load_state",
        "CosineAnnealingWarmRestarts" => "CosineAnnealingWarmRestarts::load_state",
        "OneCycleLR" => "OneCycleLR::load_state",
        "ReduceLROnPlateau" => "ReduceLROnPlateau::load_state",
        "SequentialLR" => "SequentialLR::load_state",
        _ => "load_state",
    }
}

/// Implements [`LrScheduler`](crate::LrScheduler) for a [`Rule`] schedule.
macro_rules! scheduler_via_rule {
    ($ty:ty) => {
        impl $crate::schedule::LrScheduler for $ty {
            fn name(&self) -> &'static str {
                <$ty as $crate::schedule::base::Rule>::NAME
            }
            fn step(
                &mut self,
                opt: &mut dyn $crate::optimizer::HyperParams,
                _metric: Option<f64>,
            ) -> $crate::error::Result<()> {
                $crate::schedule::base::step(self, opt)
            }
            fn last_lr(&self) -> Vec<f64> {
                <$ty as $crate::schedule::base::Rule>::core(self)
                    .last_lr
                    .clone()
            }
            fn state(&self) -> $crate::schedule::SchedulerState {
                $crate::schedule::base::state(self)
            }
            fn load_state(
                &mut self,
                state: &$crate::schedule::SchedulerState,
            ) -> $crate::error::Result<()> {
                $crate::schedule::base::load_state(self, state)
            }
            fn can_be_stage(&self) -> bool {
                true
            }
            fn restart(
                &mut self,
                opt: &mut dyn $crate::optimizer::HyperParams,
                at: $crate::schedule::StageStart,
            ) -> $crate::error::Result<()> {
                match at {
                    $crate::schedule::StageStart::First => {
                        <$ty as $crate::schedule::base::Rule>::core(self)
                            .check_groups(<$ty as $crate::schedule::base::Rule>::NAME, opt)?;
                        $crate::schedule::base::initial_step(self, opt)
                    }
                    $crate::schedule::StageStart::Milestone => {
                        $crate::schedule::base::update_at_zero(self, opt)
                    }
                }
            }
        }
    };
}
pub(crate) use scheduler_via_rule;

/// Fails unless `v` is finite.
pub(crate) fn check_finite(name: &'static str, what: &str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(OptimError::config(
            name,
            format!("{what} = {v} must be finite"),
        ))
    }
}

/// Python's `bisect_right(sorted, x)`: the number of items `<= x`.
pub(crate) fn bisect_right(sorted: &[i64], x: i64) -> usize {
    sorted.partition_point(|&m| m <= x)
}

/// One value for every group, or one per group (PyTorch's float-or-list arguments).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PerGroup {
    All(f64),
    Each(Vec<f64>),
}

impl PerGroup {
    /// The value of each of `n` groups, as PyTorch's `_format_param`.
    pub fn resolve(&self, name: &'static str, what: &str, n: usize) -> Result<Vec<f64>> {
        match self {
            PerGroup::All(v) => Ok(vec![*v; n]),
            PerGroup::Each(vs) if vs.len() == n => Ok(vs.clone()),
            PerGroup::Each(vs) => Err(OptimError::config(
                name,
                format!(
                    "expected {n} values for {what} (one per parameter group), got {}",
                    vs.len()
                ),
            )),
        }
    }
}

/// The flag stored as 0 or 1 under `key`.
pub(crate) fn flag(s: &BTreeMap<String, f64>, key: &str, op: &'static str) -> Result<bool> {
    let v = get(s, key, op)?;
    if v == 0.0 {
        Ok(false)
    } else if v == 1.0 {
        Ok(true)
    } else {
        Err(OptimError::state(
            op,
            format!("`{key}` = {v} is not a flag (0 or 1)"),
        ))
    }
}

/// The whole number `>= min` (0 or 1) stored under `key`.
pub(crate) fn whole(
    s: &BTreeMap<String, f64>,
    key: &str,
    op: &'static str,
    min: usize,
) -> Result<usize> {
    let v = get(s, key, op)?;
    if v.is_finite() && v.fract() == 0.0 && v >= min as f64 && v <= 1e15 {
        Ok(v as usize)
    } else {
        let what = if min == 0 { "a" } else { "a positive" };
        Err(OptimError::state(
            op,
            format!("`{key}` = {v} is not {what} whole number"),
        ))
    }
}
