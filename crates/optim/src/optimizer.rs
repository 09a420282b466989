//! The [`Optimizer`] trait, the [`HyperParams`] view that schedules act through, and the
//! serialisable [`OptimizerState`].

use std::collections::BTreeMap;

use youshi_autograd::Param;
use youshi_tensor::{Element, Tensor};

use crate::error::Result;

/// The per-group hyper-parameters a learning-rate schedule reads and writes, independent of the
/// optimizer's element type.
pub trait HyperParams {
    /// The number of parameter groups.
    fn num_groups(&self) -> usize;

    /// The learning rate of group `group` (panics if `group >= num_groups()`).
    fn lr(&self, group: usize) -> f64;

    /// Sets the learning rate of group `group`.
    fn set_lr(&mut self, group: usize, lr: f64);

    /// The momentum the optimizer cycles with in group `group`, if it has one: SGD's and
    /// RMSprop's `momentum`, Adam's and AdamW's `beta1` (as PyTorch's `OneCycleLR` uses them).
    fn momentum(&self, group: usize) -> Option<f64>;

    /// Sets that momentum; returns `false` (and changes nothing) if the optimizer has none.
    fn set_momentum(&mut self, group: usize, momentum: f64) -> bool;

    /// The rate the schedules of group `group` start from (PyTorch's `group["initial_lr"]`),
    /// once a schedule has recorded one. Schedules built on the same optimizer (the stages of a
    /// [`SequentialLr`](crate::SequentialLr)) all take it as their base rate, as PyTorch's do.
    ///
    /// The default keeps nothing (`None`): schedules then start from the current rate.
    fn initial_lr(&self, group: usize) -> Option<f64> {
        let _ = group;
        None
    }

    /// Records the initial rate of group `group`; returns `false` if the optimizer does not
    /// keep one (the default).
    fn set_initial_lr(&mut self, group: usize, lr: f64) -> bool {
        let _ = (group, lr);
        false
    }
}

/// An optimizer over groups of parameters, stepping from their accumulated gradients with
/// PyTorch's update formulas.
pub trait Optimizer<T: Element = f32>: HyperParams + Send {
    /// The optimizer's name (`"Adam"`), for errors and checkpoints.
    fn name(&self) -> &'static str;

    /// Applies one update to every parameter with a gradient (parameters without one, or
    /// frozen, are skipped, as in PyTorch).
    ///
    /// # Errors
    /// A gradient whose shape differs from its parameter's.
    fn step(&mut self) -> Result<()>;

    /// Clears the gradients of every parameter in every group.
    fn zero_grad(&self);

    /// Every parameter, group by group.
    fn params(&self) -> Vec<Param<T>>;

    /// The optimizer's state (step counts, moment buffers, hyper-parameters per group), to
    /// save in a checkpoint.
    fn state(&self) -> OptimizerState<T>;

    /// Restores a state from [`state`](Optimizer::state) of an optimizer of the same kind over
    /// parameters of the same shapes, so that training resumes exactly.
    ///
    /// # Errors
    /// [`OptimError::State`](crate::OptimError::State) for a state of another optimizer, another
    /// number of groups or parameters, or buffers of other shapes.
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<()>;

    /// This optimizer as its [`HyperParams`], for schedules.
    fn hyper_params(&mut self) -> &mut dyn HyperParams;
}

/// An optimizer's state: tensors (moment buffers) and numbers (steps, hyper-parameters),
/// under stable string keys.
///
/// Keys are `"<group>.<index>.<buffer>"` for per-parameter tensors and scalars
/// (`"0.3.exp_avg"`, `"0.3.step"`) and `"<group>.<option>"` for group options (`"1.lr"`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OptimizerState<T: Element = f32> {
    /// The optimizer's name, checked on load.
    pub kind: String,
    /// Per-parameter buffers.
    pub tensors: BTreeMap<String, Tensor<T>>,
    /// Step counts and group options.
    pub scalars: BTreeMap<String, f64>,
}
