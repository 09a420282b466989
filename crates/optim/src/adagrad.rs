//! [`Adagrad`]: per-coordinate rates from accumulated squared gradients, with learning-rate
//! decay, PyTorch's `torch.optim.Adagrad`.

use youshi_autograd::Param;
use youshi_tensor::ndarray::Zip;
use youshi_tensor::{Element, Tensor};

use crate::error::Result;
use crate::group::{GroupOptions, ParamGroup};
use crate::groupset::{
    buffer, check_non_negative, flag, from_flag, hyper_params_via_groups, scalar, single_group,
    step_count, GroupConfig, GroupSet, ParamSlots, Scalars, Tensors,
};
use crate::optimizer::{HyperParams, Optimizer, OptimizerState};

/// Options of [`Adagrad`], with PyTorch's defaults (`lr = 1e-2`, `eps = 1e-10`, everything
/// else 0).
///
/// # Examples
/// ```
/// use youshi_optim::AdagradConfig;
/// let cfg = AdagradConfig::default().lr_decay(1e-3).initial_accumulator_value(0.1);
/// assert_eq!((cfg.lr, cfg.eps), (1e-2, 1e-10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdagradConfig {
    /// Learning rate (`>= 0`).
    pub lr: f64,
    /// Decay of the rate: step `t` uses `lr / (1 + (t - 1) * lr_decay)` (`>= 0`).
    pub lr_decay: f64,
    /// L2 penalty added to the gradient (`>= 0`).
    pub weight_decay: f64,
    /// Starting value of the squared-gradient sum (`>= 0`).
    pub initial_accumulator_value: f64,
    /// Term added to the denominator (`>= 0`).
    pub eps: f64,
    /// Maximise the objective instead of minimising it.
    pub maximize: bool,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            maximize: false,
        }
    }
}

impl AdagradConfig {
    /// Sets the learning rate.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// Sets the learning-rate decay.
    pub fn lr_decay(mut self, lr_decay: f64) -> Self {
        self.lr_decay = lr_decay;
        self
    }
    /// Sets the weight decay.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
    /// Sets the accumulator's starting value.
    pub fn initial_accumulator_value(mut self, value: f64) -> Self {
        self.initial_accumulator_value = value;
        self
    }
    /// Sets the denominator's epsilon.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
    /// Maximises instead of minimising.
    pub fn maximize(mut self, maximize: bool) -> Self {
        self.maximize = maximize;
        self
    }
}

impl GroupConfig for AdagradConfig {
    // `initial_accumulator_value` applies to the whole optimizer, as in PyTorch.
    const OPTIONS: &'static [&'static str] = &["lr", "lr_decay", "weight_decay", "eps", "maximize"];

    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn momentum(&self) -> Option<f64> {
        None
    }
    fn set_momentum(&mut self, _momentum: f64) -> bool {
        false
    }

    fn apply(&self, o: &GroupOptions) -> Self {
        AdagradConfig {
            lr: o.lr.unwrap_or(self.lr),
            lr_decay: o.lr_decay.unwrap_or(self.lr_decay),
            weight_decay: o.weight_decay.unwrap_or(self.weight_decay),
            initial_accumulator_value: self.initial_accumulator_value,
            eps: o.eps.unwrap_or(self.eps),
            maximize: o.maximize.unwrap_or(self.maximize),
        }
    }

    fn validate(&self, op: &'static str, group: Option<usize>) -> Result<()> {
        check_non_negative(op, "lr", self.lr, group)?;
        check_non_negative(op, "lr_decay", self.lr_decay, group)?;
        check_non_negative(op, "weight_decay", self.weight_decay, group)?;
        check_non_negative(
            op,
            "initial_accumulator_value",
            self.initial_accumulator_value,
            group,
        )?;
        check_non_negative(op, "eps", self.eps, group)
    }

    fn save(&self, prefix: &str, out: &mut Scalars) {
        out.insert(format!("{prefix}lr"), self.lr);
        out.insert(format!("{prefix}lr_decay"), self.lr_decay);
        out.insert(format!("{prefix}weight_decay"), self.weight_decay);
        out.insert(
            format!("{prefix}initial_accumulator_value"),
            self.initial_accumulator_value,
        );
        out.insert(format!("{prefix}eps"), self.eps);
        out.insert(format!("{prefix}maximize"), from_flag(self.maximize));
    }

    fn load(prefix: &str, s: &Scalars, op: &'static str) -> Result<Self> {
        Ok(AdagradConfig {
            lr: scalar(s, &format!("{prefix}lr"), op)?,
            lr_decay: scalar(s, &format!("{prefix}lr_decay"), op)?,
            weight_decay: scalar(s, &format!("{prefix}weight_decay"), op)?,
            initial_accumulator_value: scalar(
                s,
                &format!("{prefix}initial_accumulator_value"),
                op,
            )?,
            eps: scalar(s, &format!("{prefix}eps"), op)?,
            maximize: flag(s, &format!("{prefix}maximize"), op)?,
        })
    }
}

/// Adagrad's per-parameter state.
#[derive(Debug, Clone)]
pub(crate) struct AdagradState<T: Element> {
    step: f64,
    sum: Tensor<T>,
}

impl<T: Element> ParamSlots<T> for AdagradState<T> {
    fn save(&self, prefix: &str, tensors: &mut Tensors<T>, scalars: &mut Scalars) {
        scalars.insert(format!("{prefix}step"), self.step);
        tensors.insert(format!("{prefix}sum"), self.sum.clone());
    }

    fn load(
        prefix: &str,
        tensors: &Tensors<T>,
        scalars: &Scalars,
        shape: &[usize],
        op: &'static str,
    ) -> Result<Option<Self>> {
        let step_key = format!("{prefix}step");
        if !scalars.contains_key(&step_key) {
            return Ok(None);
        }
        Ok(Some(AdagradState {
            step: step_count(scalars, &step_key, op)?,
            sum: buffer(tensors, &format!("{prefix}sum"), shape, op)?,
        }))
    }
}

/// One Adagrad step on one parameter, PyTorch's `_single_tensor_adagrad` (dense gradients).
fn adagrad_update<T: Element>(
    cfg: &AdagradConfig,
    slot: &mut Option<AdagradState<T>>,
    value: &mut Tensor<T>,
    grad: &Tensor<T>,
) {
    let Some(st) = slot.as_mut() else {
        // Every parameter's state is created with the optimizer (as PyTorch does).
        return;
    };
    st.step += 1.0;
    let clr = cfg.lr / (1.0 + (st.step - 1.0) * cfg.lr_decay);
    let neg_clr = T::of(-clr);
    let maximize = cfg.maximize;
    let decay = cfg.weight_decay != 0.0;
    let wd = T::of(cfg.weight_decay);
    let eps = T::of(cfg.eps);
    Zip::from(&mut value.array_mut())
        .and(&grad.view())
        .and(&mut st.sum.array_mut())
        .for_each(|p, &g, s| {
            let g = if maximize { -g } else { g };
            let g = if decay { g + wd * *p } else { g };
            *s += T::one() * g * g;
            let std = s.sqrt() + eps;
            *p += neg_clr * g / std;
        });
}

/// Adagrad, PyTorch's `torch.optim.Adagrad` (single-tensor formulas, dense gradients).
///
/// For each parameter `p` with gradient `g` (negated if `maximize`), at step `t`:
/// ```text
/// g = g + weight_decay * p                    if weight_decay != 0
/// s = s + g²                                   (s starts at initial_accumulator_value)
/// p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
/// ```
///
/// As in PyTorch, every parameter's state (step 0 and the accumulator) is created with the
/// optimizer, and every accumulator starts at the optimizer-wide `initial_accumulator_value`
/// (it cannot be set per group: PyTorch ignores a group's value). State keys: `"<group>.<index>.step"`, `.sum`; group options `lr`, `lr_decay`,
/// `weight_decay`, `initial_accumulator_value`, `eps`, `maximize` and `initial_lr`. Adagrad
/// has no momentum ([`HyperParams::momentum`] is `None`).
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{Adagrad, AdagradConfig, Optimizer};
/// use youshi_tensor::Tensor;
/// let w = Param::new(Tensor::<f64>::from_vec(vec![1.0], [1])?);
/// let mut opt = Adagrad::new(vec![w.clone()], AdagradConfig::default().lr(0.5).eps(0.0))?;
/// w.set_grad(Some(Tensor::from_vec(vec![4.0], [1])?))?;
/// opt.step()?; // s = 16, p = 1 - 0.5 * 4 / 4
/// assert_eq!(w.value().to_vec(), vec![0.5]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Adagrad<T: Element = f32> {
    groups: GroupSet<T, AdagradConfig, AdagradState<T>>,
}

impl<T: Element> Adagrad<T> {
    /// Adagrad over `params` (one group) with the options `cfg`.
    ///
    /// # Errors
    /// [`OptimError::Config`](crate::OptimError::Config) as PyTorch's constructor: `lr`,
    /// `lr_decay`, `weight_decay`, `initial_accumulator_value` or `eps` negative (or NaN), a
    /// parameter listed twice, an empty list.
    pub fn new(params: Vec<Param<T>>, cfg: AdagradConfig) -> Result<Self> {
        Self::with_groups(single_group("Adagrad", params)?, cfg)
    }

    /// Adagrad over parameter groups, each group's unset options taken from `cfg`.
    ///
    /// # Errors
    /// As [`new`](Adagrad::new), for `cfg` and every group; a group setting an option Adagrad
    /// does not have; no group at all.
    pub fn with_groups(groups: Vec<ParamGroup<T>>, cfg: AdagradConfig) -> Result<Self> {
        let mut groups: GroupSet<T, AdagradConfig, AdagradState<T>> =
            GroupSet::new("Adagrad", groups, &cfg)?;
        for g in &mut groups.groups {
            let init = T::of(g.cfg.initial_accumulator_value);
            for (p, slot) in g.params.iter().zip(g.state.iter_mut()) {
                *slot = Some(AdagradState {
                    step: 0.0,
                    sum: Tensor::full(p.shape(), init),
                });
            }
        }
        Ok(Adagrad { groups })
    }

    /// The options of group `group`, if it exists.
    pub fn config(&self, group: usize) -> Option<&AdagradConfig> {
        self.groups.config(group)
    }
}

hyper_params_via_groups!(Adagrad);

impl<T: Element> Optimizer<T> for Adagrad<T> {
    fn name(&self) -> &'static str {
        "Adagrad"
    }

    fn step(&mut self) -> Result<()> {
        self.groups.step_each("Adagrad::step", adagrad_update)
    }

    fn zero_grad(&self) {
        self.groups.zero_grad();
    }

    fn params(&self) -> Vec<Param<T>> {
        self.groups.params()
    }

    fn state(&self) -> OptimizerState<T> {
        self.groups.state("Adagrad")
    }

    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<()> {
        self.groups
            .load_state("Adagrad", state, "Adagrad::load_state")?;
        // A state saved by Adagrad holds every parameter's accumulator; any missing one
        // starts afresh, as it would in a new optimizer.
        for group in &mut self.groups.groups {
            let init = T::of(group.cfg.initial_accumulator_value);
            for (p, slot) in group.params.iter().zip(group.state.iter_mut()) {
                if slot.is_none() {
                    *slot = Some(AdagradState {
                        step: 0.0,
                        sum: Tensor::full(p.shape(), init),
                    });
                }
            }
        }
        Ok(())
    }

    fn hyper_params(&mut self) -> &mut dyn HyperParams {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param() -> Param<f64> {
        Param::new(Tensor::from_vec(vec![1.0, -2.0], [2]).unwrap())
    }

    #[test]
    fn rejects_invalid_options() {
        let d = AdagradConfig::default();
        let err = |c: AdagradConfig| Adagrad::new(vec![param()], c).unwrap_err().to_string();
        assert_eq!(err(d.lr(-1.0)), "Adagrad: invalid lr = -1: must be >= 0");
        assert_eq!(
            err(d.lr_decay(-1.0)),
            "Adagrad: invalid lr_decay = -1: must be >= 0"
        );
        assert_eq!(
            err(d.weight_decay(-1.0)),
            "Adagrad: invalid weight_decay = -1: must be >= 0"
        );
        assert_eq!(
            err(d.initial_accumulator_value(-1.0)),
            "Adagrad: invalid initial_accumulator_value = -1: must be >= 0"
        );
        assert_eq!(err(d.eps(-1.0)), "Adagrad: invalid eps = -1: must be >= 0");
    }

    #[test]
    fn state_exists_from_construction_and_has_no_momentum() {
        let mut opt = Adagrad::with_groups(
            vec![ParamGroup::new(vec![param()]).lr_decay(0.1)],
            AdagradConfig::default().initial_accumulator_value(0.5),
        )
        .unwrap();
        let st = opt.state();
        assert_eq!(st.scalars["0.0.step"], 0.0);
        assert_eq!(st.tensors["0.0.sum"].to_vec(), vec![0.5, 0.5]);
        assert_eq!(opt.momentum(0), None);
        assert!(!opt.set_momentum(0, 0.9));
        opt.load_state(&st).unwrap();
        assert_eq!(opt.state(), st);
    }
}
