//! Learning-rate schedules with PyTorch's semantics, stepping through [`HyperParams`].

use std::collections::BTreeMap;

use crate::error::Result;
use crate::optimizer::HyperParams;

mod base;
mod cosine;
mod linear;
mod one_cycle;
mod plateau;
mod sequential;
mod step;

pub use cosine::{CosineAnnealingLr, CosineAnnealingWarmRestarts};
pub use linear::{ConstantLr, LinearLr};
pub use one_cycle::{Anneal, OneCycleConfig, OneCycleLr};
pub use plateau::{PlateauConfig, PlateauMode, ReduceLrOnPlateau, ThresholdMode};
pub use sequential::SequentialLr;
pub use step::{ExponentialLr, MultiStepLr, StepLr};

/// A learning-rate schedule. Constructors take the optimizer (as `&mut dyn HyperParams`),
/// record each group's initial rate and set the rate of step 0, as PyTorch's do; each
/// [`step`](LrScheduler::step) then moves to the next step's rates.
pub trait LrScheduler: Send {
    /// The schedule's name (`"StepLR"`).
    fn name(&self) -> &'static str;

    /// Advances one step (an epoch or a batch, as the caller chooses) and writes the new rates
    /// (and momenta, for one-cycle) into `opt`. `metric` is the monitored value, used by
    /// plateau schedules (`ReduceLrOnPlateau`) and ignored by the others.
    ///
    /// # Errors
    /// A plateau schedule stepped without a metric, or a NaN metric; a schedule stepped past
    /// its total number of steps where PyTorch raises.
    fn step(&mut self, opt: &mut dyn HyperParams, metric: Option<f64>) -> Result<()>;

    /// The rates of the last step, one per group (PyTorch's `get_last_lr()`).
    fn last_lr(&self) -> Vec<f64>;

    /// The schedule's state, to save in a checkpoint.
    fn state(&self) -> SchedulerState;

    /// Restores a state from [`state`](LrScheduler::state).
    ///
    /// # Errors
    /// [`OptimError::State`](crate::OptimError::State) for a state of another schedule.
    fn load_state(&mut self, state: &SchedulerState) -> Result<()>;

    /// True if the schedule can be a stage of a [`SequentialLr`] (that is, it implements
    /// [`restart`](LrScheduler::restart)). The default is `false`.
    fn can_be_stage(&self) -> bool {
        false
    }

    /// Starts the schedule over as a stage of a [`SequentialLr`], writing the rates of its
    /// step 0 into `opt`, the way PyTorch's `SequentialLR` does: for the first stage, the
    /// constructor's initial step again from the optimizer's initial rates
    /// ([`StageStart::First`]); for a later stage reaching its milestone, the closed-form
    /// rates of step 0 ([`StageStart::Milestone`]).
    ///
    /// # Errors
    /// The default fails with [`OptimError::Config`](crate::OptimError::Config): the schedule
    /// cannot be a stage.
    fn restart(&mut self, opt: &mut dyn HyperParams, at: StageStart) -> Result<()> {
        let _ = (opt, at);
        Err(crate::OptimError::config(
            "SequentialLR",
            format!("{} cannot be a stage of a sequence", self.name()),
        ))
    }
}

/// How a stage of a [`SequentialLr`] starts (see [`LrScheduler::restart`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageStart {
    /// The first stage, when the sequence is built.
    First,
    /// A later stage, at its milestone.
    Milestone,
}

/// A schedule's state: its name and named numbers (`"last_epoch"`, `"base_lr.0"`, ...).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SchedulerState {
    /// The schedule's name, checked on load.
    pub kind: String,
    /// Named numbers.
    pub scalars: BTreeMap<String, f64>,
}
