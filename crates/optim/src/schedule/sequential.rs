//! [`SequentialLr`]: schedules run one after another, switching at milestones, PyTorch's
//! `SequentialLR`.

use std::collections::BTreeMap;

use crate::error::{OptimError, Result};
use crate::optimizer::HyperParams;
use crate::schedule::base::{check_groups, check_kind, check_no_extra_keys, get, load_op, whole};
use crate::schedule::{LrScheduler, SchedulerState, StageStart};

const NAME: &str = "SequentialLR";

/// Runs schedules one after another, PyTorch's `SequentialLR`: stage `i + 1` takes over at
/// step `milestones[i]` and starts from its own step 0 (the usual use: a [`LinearLr`]
/// warm-up followed by [`CosineAnnealingLr`]).
///
/// Build every stage on the optimizer first (each records the groups' initial rates, so later
/// stages start from the same base rates as the first), then the sequence: it resets the
/// rates to the initial ones and starts the first stage again, as PyTorch does.
///
/// [`LinearLr`]: crate::LinearLr
/// [`CosineAnnealingLr`]: crate::CosineAnnealingLr
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{
///     CosineAnnealingLr, HyperParams, LinearLr, LrScheduler, SequentialLr, Sgd, SgdConfig,
/// };
/// use youshi_tensor::Tensor;
/// let mut opt = Sgd::new(vec![Param::new(Tensor::<f64>::zeros([1]))], SgdConfig::default().lr(0.1))?;
/// let warmup = LinearLr::new(&mut opt, 0.1, 1.0, 5)?;
/// let cosine = CosineAnnealingLr::new(&mut opt, 20, 1e-4)?;
/// let mut s = SequentialLr::new(&mut opt, vec![Box::new(warmup), Box::new(cosine)], &[5])?;
/// assert!((opt.lr(0) - 0.01).abs() < 1e-15);
/// for _ in 0..5 {
///     s.step(&mut opt, None)?;
/// }
/// assert_eq!(opt.lr(0), 0.1); // the cosine's step 0
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
pub struct SequentialLr {
    stages: Vec<Box<dyn LrScheduler>>,
    milestones: Vec<usize>,
    last_epoch: i64,
    last_lr: Vec<f64>,
    groups: usize,
}

impl std::fmt::Debug for SequentialLr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.stages.iter().map(|s| s.name()).collect();
        f.debug_struct("SequentialLr")
            .field("stages", &names)
            .field("milestones", &self.milestones)
            .field("last_epoch", &self.last_epoch)
            .field("last_lr", &self.last_lr)
            .finish()
    }
}

impl SequentialLr {
    /// The sequence of `stages` (built on `opt`) switching at `milestones`.
    ///
    /// # Errors
    /// [`OptimError::Config`] as PyTorch: no stage, a number of milestones other than
    /// `stages - 1`, a stage that cannot be chained ([`ReduceLrOnPlateau`], or a nested
    /// sequence); also milestones that are not increasing and positive.
    ///
    /// [`ReduceLrOnPlateau`]: crate::ReduceLrOnPlateau
    pub fn new(
        opt: &mut dyn HyperParams,
        mut stages: Vec<Box<dyn LrScheduler>>,
        milestones: &[usize],
    ) -> Result<Self> {
        if stages.is_empty() {
            return Err(OptimError::config(
                NAME,
                "expects at least one schedule, got none",
            ));
        }
        if let Some((i, s)) = stages.iter().enumerate().find(|(_, s)| !s.can_be_stage()) {
            return Err(OptimError::config(
                NAME,
                format!("stage {i} ({}) cannot be a stage of a sequence", s.name()),
            ));
        }
        if milestones.len() + 1 != stages.len() {
            return Err(OptimError::config(
                NAME,
                format!(
                    "expects one milestone fewer than schedules, got {} schedules and {} milestones",
                    stages.len(),
                    milestones.len()
                ),
            ));
        }
        let mut prev = 0;
        for &m in milestones {
            if m <= prev {
                return Err(OptimError::config(
                    NAME,
                    format!("milestones must be positive and increasing, got {milestones:?}"),
                ));
            }
            prev = m;
        }
        let groups = opt.num_groups();
        for g in 0..groups {
            let lr = opt.initial_lr(g).unwrap_or_else(|| opt.lr(g));
            opt.set_lr(g, lr);
        }
        stages[0].restart(opt, StageStart::First)?;
        let last_lr = stages[0].last_lr();
        Ok(SequentialLr {
            stages,
            milestones: milestones.to_vec(),
            last_epoch: 0,
            last_lr,
            groups,
        })
    }

    /// The index of the stage running at the current step.
    pub fn current_stage(&self) -> usize {
        self.stage_at(self.last_epoch)
    }

    fn stage_at(&self, epoch: i64) -> usize {
        self.milestones.partition_point(|&m| m as i64 <= epoch)
    }
}

impl LrScheduler for SequentialLr {
    fn name(&self) -> &'static str {
        NAME
    }

    fn step(&mut self, opt: &mut dyn HyperParams, metric: Option<f64>) -> Result<()> {
        check_groups(NAME, self.groups, opt)?;
        let epoch = self.last_epoch + 1;
        let idx = self.stage_at(epoch);
        let stage = &mut self.stages[idx];
        if idx > 0 && self.milestones[idx - 1] as i64 == epoch {
            stage.restart(opt, StageStart::Milestone)?;
        } else {
            stage.step(opt, metric)?;
        }
        self.last_lr = stage.last_lr();
        self.last_epoch = epoch;
        Ok(())
    }

    fn last_lr(&self) -> Vec<f64> {
        self.last_lr.clone()
    }

    fn state(&self) -> SchedulerState {
        let mut s = BTreeMap::new();
        s.insert("last_epoch".into(), self.last_epoch as f64);
        s.insert("stages".into(), self.stages.len() as f64);
        for (i, m) in self.milestones.iter().enumerate() {
            s.insert(format!("milestone.{i}"), *m as f64);
        }
        for (g, v) in self.last_lr.iter().enumerate() {
            s.insert(format!("last_lr.{g}"), *v);
        }
        for (i, stage) in self.stages.iter().enumerate() {
            for (k, v) in stage.state().scalars {
                s.insert(format!("stage.{i}.{k}"), v);
            }
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
        let stages = get(s, "stages", op)?;
        if stages != self.stages.len() as f64 {
            return Err(OptimError::state(
                op,
                format!(
                    "the state has {stages} stages, the sequence {}",
                    self.stages.len()
                ),
            ));
        }
        for (i, m) in self.milestones.iter().enumerate() {
            let key = format!("milestone.{i}");
            let saved = get(s, &key, op)?;
            if saved != *m as f64 {
                return Err(OptimError::state(
                    op,
                    format!("`{key}` = {saved} but the sequence's milestone {i} is {m}"),
                ));
            }
        }
        let last_epoch = whole(s, "last_epoch", op, 0)? as f64;
        let last_lr = (0..self.groups)
            .map(|g| get(s, &format!("last_lr.{g}"), op))
            .collect::<Result<Vec<f64>>>()?;
        let sub: Vec<SchedulerState> = self
            .stages
            .iter()
            .enumerate()
            .map(|(i, stage)| {
                let prefix = format!("stage.{i}.");
                SchedulerState {
                    kind: stage.name().to_string(),
                    scalars: s
                        .iter()
                        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|r| (r.to_string(), *v)))
                        .collect(),
                }
            })
            .collect();
        let before: Vec<SchedulerState> = self.stages.iter().map(|x| x.state()).collect();
        let mut result = Ok(());
        for (stage, state) in self.stages.iter_mut().zip(&sub) {
            result = stage.load_state(state);
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            let mut expected = self.state().scalars;
            expected.insert("last_epoch".into(), last_epoch);
            result = check_no_extra_keys(s, &expected, op);
        }
        if let Err(e) = result {
            for (stage, state) in self.stages.iter_mut().zip(&before) {
                // Restoring a state this stage produced itself cannot fail.
                let _ = stage.load_state(state);
            }
            return Err(e);
        }
        self.last_epoch = last_epoch as i64;
        self.last_lr = last_lr;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{ExponentialLr, LinearLr, PlateauConfig, ReduceLrOnPlateau, StepLr};
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
    fn rejects_invalid_sequences() {
        let mut opt = sgd();
        let e = SequentialLr::new(&mut opt, vec![], &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "SequentialLR: expects at least one schedule, got none"
        );
        let a = |o: &mut Sgd<f64>| -> Box<dyn LrScheduler> {
            Box::new(StepLr::new(o, 2, 0.5).unwrap())
        };
        let b = |o: &mut Sgd<f64>| -> Box<dyn LrScheduler> {
            Box::new(ExponentialLr::new(o, 0.5).unwrap())
        };
        let stages = vec![a(&mut opt), b(&mut opt)];
        let e = SequentialLr::new(&mut opt, stages, &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "SequentialLR: expects one milestone fewer than schedules, got 2 schedules and 0 milestones"
        );
        let stages = vec![a(&mut opt), b(&mut opt), b(&mut opt)];
        let e = SequentialLr::new(&mut opt, stages, &[3, 3]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "SequentialLR: milestones must be positive and increasing, got [3, 3]"
        );
        let stages = vec![a(&mut opt), b(&mut opt)];
        let e = SequentialLr::new(&mut opt, stages, &[0]).unwrap_err();
        assert!(e.to_string().contains("positive and increasing"), "{e}");
        let p = Box::new(ReduceLrOnPlateau::new(&mut opt, PlateauConfig::default()).unwrap());
        let stages = vec![a(&mut opt), p];
        let e = SequentialLr::new(&mut opt, stages, &[2]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "SequentialLR: stage 1 (ReduceLROnPlateau) cannot be a stage of a sequence"
        );
        let stages = vec![a(&mut opt)];
        let inner = SequentialLr::new(&mut opt, stages, &[]).unwrap();
        let e = SequentialLr::new(&mut opt, vec![Box::new(inner)], &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "SequentialLR: stage 0 (SequentialLR) cannot be a stage of a sequence"
        );
        let stages = vec![a(&mut opt)];
        let mut s = SequentialLr::new(&mut opt, stages, &[]).unwrap();
        let mut two = Sgd::with_groups(
            vec![
                vec![Param::new(Tensor::<f64>::zeros([1]))].into(),
                vec![Param::new(Tensor::<f64>::zeros([1]))].into(),
            ],
            SgdConfig::default(),
        )
        .unwrap();
        let e = s.step(&mut two, None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("SequentialLR: the optimizer has 2"),
            "{e}"
        );
    }

    #[test]
    fn state_is_checked_and_restored_whole() {
        let mut opt = sgd();
        let a = Box::new(LinearLr::new(&mut opt, 0.5, 1.0, 3).unwrap());
        let b = Box::new(ExponentialLr::new(&mut opt, 0.9).unwrap());
        let mut s = SequentialLr::new(&mut opt, vec![a, b], &[4]).unwrap();
        for _ in 0..6 {
            s.step(&mut opt, None).unwrap();
        }
        assert_eq!(s.current_stage(), 1);
        let st = s.state();
        assert_eq!(st.scalars["stage.1.gamma"], 0.9);
        let mut bad = st.clone();
        bad.scalars.insert("milestone.0".into(), 5.0);
        assert_eq!(
            s.load_state(&bad).unwrap_err().to_string(),
            "SequentialLR::load_state: `milestone.0` = 5 but the sequence's milestone 0 is 4"
        );
        let mut bad = st.clone();
        bad.scalars.insert("stages".into(), 3.0);
        assert!(s
            .load_state(&bad)
            .unwrap_err()
            .to_string()
            .contains("3 stages"));
        let mut bad = st.clone();
        bad.scalars.insert("stage.1.gamma".into(), 0.5);
        bad.scalars.remove("stage.0.start_factor");
        let e = s.load_state(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "LinearLR::load_state: missing `start_factor`"
        );
        let mut bad = st.clone();
        bad.scalars.insert("stage.1.gamma".into(), 0.5);
        bad.scalars.insert("stage.2.gamma".into(), 0.5);
        let e = s.load_state(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "SequentialLR::load_state: unexpected key `stage.2.gamma`"
        );
        assert_eq!(s.state(), st);
    }
}
