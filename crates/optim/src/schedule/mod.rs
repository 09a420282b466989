//! Learning-rate schedules with PyTorch's semantics, stepping through [`HyperParams`].

use std::collections::BTreeMap;

use crate::error::Result;
use crate::optimizer::HyperParams;

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
}

/// A schedule's state: its name and named numbers (`"last_epoch"`, `"base_lr.0"`, ...).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SchedulerState {
    /// The schedule's name, checked on load.
    pub kind: String,
    /// Named numbers.
    pub scalars: BTreeMap<String, f64>,
}
