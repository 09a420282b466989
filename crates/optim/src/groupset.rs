//! What every optimizer shares: its groups of parameters with resolved options and
//! per-parameter state, construction checks, the step loop, and state save and load.
//!
//! Each optimizer supplies two small types: its options ([`GroupConfig`]) and its
//! per-parameter buffers ([`ParamSlots`]).

use std::collections::BTreeMap;

use youshi_autograd::{AutogradError, Param};
use youshi_tensor::{Element, Tensor};

use crate::error::{OptimError, Result};
use crate::group::{GroupOptions, ParamGroup};
use crate::optimizer::OptimizerState;

/// Scalars of a saved state.
pub(crate) type Scalars = BTreeMap<String, f64>;
/// Tensors of a saved state.
pub(crate) type Tensors<T> = BTreeMap<String, Tensor<T>>;

/// An optimizer's options for one group.
pub(crate) trait GroupConfig: Clone + Send + Sync + 'static {
    /// The option names a [`ParamGroup`] may set for this optimizer.
    const OPTIONS: &'static [&'static str];

    fn lr(&self) -> f64;
    fn set_lr(&mut self, lr: f64);
    fn momentum(&self) -> Option<f64>;
    fn set_momentum(&mut self, momentum: f64) -> bool;
    /// These options with a group's overrides applied (only allowed options are set).
    fn apply(&self, o: &GroupOptions) -> Self;
    /// Checks ranges as PyTorch's constructor does; `group` names the group, if any.
    fn validate(&self, op: &'static str, group: Option<usize>) -> Result<()>;
    /// Writes the options under `prefix` (`"1."`).
    fn save(&self, prefix: &str, out: &mut Scalars);
    /// Reads the options written by [`save`](GroupConfig::save).
    fn load(prefix: &str, s: &Scalars, op: &'static str) -> Result<Self>;
}

/// One parameter's optimizer state.
pub(crate) trait ParamSlots<T: Element>: Clone + Send + Sync + Sized {
    /// Writes the state under `prefix` (`"1.3."`).
    fn save(&self, prefix: &str, tensors: &mut Tensors<T>, scalars: &mut Scalars);
    /// Reads a state written by [`save`](ParamSlots::save) for a parameter of `shape`, or
    /// `None` if there is none under `prefix`.
    fn load(
        prefix: &str,
        tensors: &Tensors<T>,
        scalars: &Scalars,
        shape: &[usize],
        op: &'static str,
    ) -> Result<Option<Self>>;
}

/// A group: its parameters, resolved options, initial rate and per-parameter state.
#[derive(Debug, Clone)]
pub(crate) struct Group<T: Element, C, S> {
    pub params: Vec<Param<T>>,
    pub cfg: C,
    pub initial_lr: Option<f64>,
    pub state: Vec<Option<S>>,
}

/// Every group of an optimizer.
#[derive(Debug, Clone)]
pub(crate) struct GroupSet<T: Element, C, S> {
    pub groups: Vec<Group<T, C, S>>,
}

/// " (parameter group 1)" or "".
pub(crate) fn in_group(group: Option<usize>) -> String {
    match group {
        Some(g) => format!(" (parameter group {g})"),
        None => String::new(),
    }
}

/// Fails unless `v >= 0` (NaN fails too), with PyTorch's wording.
pub(crate) fn check_non_negative(
    op: &'static str,
    name: &str,
    v: f64,
    group: Option<usize>,
) -> Result<()> {
    if v >= 0.0 {
        Ok(())
    } else {
        Err(OptimError::config(
            op,
            format!("invalid {name} = {v}: must be >= 0{}", in_group(group)),
        ))
    }
}

/// Fails unless `0 <= v < 1`.
pub(crate) fn check_unit(op: &'static str, name: &str, v: f64, group: Option<usize>) -> Result<()> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(OptimError::config(
            op,
            format!("invalid {name} = {v}: must be in [0, 1){}", in_group(group)),
        ))
    }
}

/// The scalar `key`, or a state error naming it.
pub(crate) fn scalar(s: &Scalars, key: &str, op: &'static str) -> Result<f64> {
    s.get(key)
        .copied()
        .ok_or_else(|| OptimError::state(op, format!("missing scalar `{key}`")))
}

/// The boolean stored as 0 or 1 under `key`.
pub(crate) fn flag(s: &Scalars, key: &str, op: &'static str) -> Result<bool> {
    let v = scalar(s, key, op)?;
    if v == 0.0 {
        Ok(false)
    } else if v == 1.0 {
        Ok(true)
    } else {
        Err(OptimError::state(
            op,
            format!("scalar `{key}` = {v} is not a flag (0 or 1)"),
        ))
    }
}

/// A boolean as a scalar.
pub(crate) fn from_flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// A step count: a whole number >= 0.
pub(crate) fn step_count(s: &Scalars, key: &str, op: &'static str) -> Result<f64> {
    let v = scalar(s, key, op)?;
    if v >= 0.0 && v.fract() == 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(OptimError::state(
            op,
            format!("scalar `{key}` = {v} is not a step count"),
        ))
    }
}

/// The tensor `key` with the parameter's shape.
pub(crate) fn buffer<T: Element>(
    t: &Tensors<T>,
    key: &str,
    shape: &[usize],
    op: &'static str,
) -> Result<Tensor<T>> {
    let b = t
        .get(key)
        .ok_or_else(|| OptimError::state(op, format!("missing tensor `{key}`")))?;
    if b.shape() != shape {
        return Err(OptimError::state(
            op,
            format!(
                "tensor `{key}` has shape {} but its parameter has shape {}",
                b.shape_obj(),
                youshi_tensor::Shape::from(shape)
            ),
        ));
    }
    Ok(b.clone())
}

/// The tensor `key` if present (with the parameter's shape).
pub(crate) fn optional_buffer<T: Element>(
    t: &Tensors<T>,
    key: &str,
    shape: &[usize],
    op: &'static str,
) -> Result<Option<Tensor<T>>> {
    if t.contains_key(key) {
        buffer(t, key, shape, op).map(Some)
    } else {
        Ok(None)
    }
}

/// `params` as the one group of an optimizer; an empty list is an error, as in PyTorch.
pub(crate) fn single_group<T: Element>(
    op: &'static str,
    params: Vec<Param<T>>,
) -> Result<Vec<ParamGroup<T>>> {
    if params.is_empty() {
        return Err(OptimError::config(op, "got an empty parameter list"));
    }
    Ok(vec![ParamGroup::new(params)])
}

impl<T: Element, C: GroupConfig, S: ParamSlots<T>> GroupSet<T, C, S> {
    /// Resolves and checks the groups against the defaults, as PyTorch's constructor does.
    pub fn new(op: &'static str, groups: Vec<ParamGroup<T>>, defaults: &C) -> Result<Self> {
        defaults.validate(op, None)?;
        if groups.is_empty() {
            return Err(OptimError::config(op, "got an empty parameter list"));
        }
        let mut out: Vec<Group<T, C, S>> = Vec::with_capacity(groups.len());
        for (g, group) in groups.into_iter().enumerate() {
            group.options().check_allowed(op, g, C::OPTIONS)?;
            let (params, options) = group.into_parts();
            let cfg = defaults.apply(&options);
            cfg.validate(op, Some(g))?;
            for (i, p) in params.iter().enumerate() {
                let earlier = out
                    .iter()
                    .enumerate()
                    .flat_map(|(h, gr)| gr.params.iter().enumerate().map(move |(j, q)| (h, j, q)))
                    .chain(params[..i].iter().enumerate().map(|(j, q)| (g, j, q)))
                    .find(|(_, _, q)| q.ptr_eq(p));
                if let Some((h, j, _)) = earlier {
                    return Err(OptimError::config(
                        op,
                        format!(
                            "parameter {i} of group {g} is also parameter {j} of group {h}; \
                             a parameter may appear only once"
                        ),
                    ));
                }
            }
            let n = params.len();
            out.push(Group {
                params,
                cfg,
                initial_lr: None,
                state: vec![None; n],
            });
        }
        Ok(GroupSet { groups: out })
    }

    /// Every parameter, group by group.
    pub fn params(&self) -> Vec<Param<T>> {
        self.groups
            .iter()
            .flat_map(|g| g.params.iter().cloned())
            .collect()
    }

    /// Clears every gradient.
    pub fn zero_grad(&self) {
        for g in &self.groups {
            for p in &g.params {
                p.zero_grad();
            }
        }
    }

    /// The group `group` (panics if out of range, as [`HyperParams`](crate::HyperParams)
    /// documents).
    fn group(&self, group: usize) -> &Group<T, C, S> {
        let n = self.groups.len();
        self.groups
            .get(group)
            .unwrap_or_else(|| panic!("parameter group {group} does not exist ({n} groups)"))
    }

    fn group_mut(&mut self, group: usize) -> &mut Group<T, C, S> {
        let n = self.groups.len();
        self.groups
            .get_mut(group)
            .unwrap_or_else(|| panic!("parameter group {group} does not exist ({n} groups)"))
    }

    pub fn num_groups(&self) -> usize {
        self.groups.len()
    }

    pub fn lr(&self, group: usize) -> f64 {
        self.group(group).cfg.lr()
    }

    pub fn set_lr(&mut self, group: usize, lr: f64) {
        self.group_mut(group).cfg.set_lr(lr);
    }

    pub fn momentum(&self, group: usize) -> Option<f64> {
        self.group(group).cfg.momentum()
    }

    pub fn set_momentum(&mut self, group: usize, momentum: f64) -> bool {
        self.group_mut(group).cfg.set_momentum(momentum)
    }

    pub fn initial_lr(&self, group: usize) -> Option<f64> {
        self.group(group).initial_lr
    }

    pub fn set_initial_lr(&mut self, group: usize, lr: f64) -> bool {
        self.group_mut(group).initial_lr = Some(lr);
        true
    }

    /// The options of group `group`.
    pub fn config(&self, group: usize) -> Option<&C> {
        self.groups.get(group).map(|g| &g.cfg)
    }

    /// Runs `f(options, state, value, grad)` on every trainable parameter that has a
    /// gradient, after checking every gradient's shape first (so an error changes nothing).
    pub fn step_each(
        &mut self,
        op: &'static str,
        mut f: impl FnMut(&C, &mut Option<S>, &mut Tensor<T>, &Tensor<T>),
    ) -> Result<()> {
        for g in &self.groups {
            for p in &g.params {
                if !p.requires_grad() {
                    continue;
                }
                if let Some(grad) = p.grad() {
                    let shape = p.shape();
                    if grad.shape() != shape.as_slice() {
                        return Err(AutogradError::GradShape {
                            op,
                            expected: shape.into(),
                            got: grad.shape_obj(),
                        }
                        .into());
                    }
                }
            }
        }
        for group in &mut self.groups {
            let Group {
                params, cfg, state, ..
            } = group;
            for (p, slot) in params.iter().zip(state.iter_mut()) {
                if !p.requires_grad() {
                    continue;
                }
                p.update(|value, grad| {
                    if let Some(grad) = grad {
                        if grad.shape() == value.shape() {
                            f(cfg, slot, value, grad);
                        }
                    }
                });
            }
        }
        Ok(())
    }

    /// The state under the documented keys.
    pub fn state(&self, kind: &str) -> OptimizerState<T> {
        let mut st = OptimizerState {
            kind: kind.to_string(),
            tensors: BTreeMap::new(),
            scalars: BTreeMap::new(),
        };
        for (g, group) in self.groups.iter().enumerate() {
            group.cfg.save(&format!("{g}."), &mut st.scalars);
            if let Some(lr) = group.initial_lr {
                st.scalars.insert(format!("{g}.initial_lr"), lr);
            }
            for (i, slot) in group.state.iter().enumerate() {
                if let Some(s) = slot {
                    s.save(&format!("{g}.{i}."), &mut st.tensors, &mut st.scalars);
                }
            }
        }
        st
    }

    /// Replaces options and state with a saved state, after checking all of it: the kind, the
    /// number of groups and parameters, every buffer's shape, and that no key is left over.
    pub fn load_state(
        &mut self,
        kind: &str,
        st: &OptimizerState<T>,
        op: &'static str,
    ) -> Result<()> {
        if st.kind != kind {
            return Err(OptimError::state(
                op,
                format!("the state is of a {} optimizer, not {kind}", st.kind),
            ));
        }
        let mut loaded = self.groups.clone();
        for (g, group) in loaded.iter_mut().enumerate() {
            let prefix = format!("{g}.");
            group.cfg = C::load(&prefix, &st.scalars, op)?;
            group.cfg.validate(op, Some(g))?;
            group.initial_lr = st.scalars.get(&format!("{g}.initial_lr")).copied();
            for (i, p) in group.params.iter().enumerate() {
                group.state[i] = S::load(
                    &format!("{g}.{i}."),
                    &st.tensors,
                    &st.scalars,
                    &p.shape(),
                    op,
                )?;
            }
        }
        let candidate = GroupSet { groups: loaded };
        let expected = candidate.state(kind);
        let unexpected = st
            .scalars
            .keys()
            .chain(st.tensors.keys())
            .find(|k| !expected.scalars.contains_key(*k) && !expected.tensors.contains_key(*k));
        if let Some(key) = unexpected {
            let counts: Vec<String> = self
                .groups
                .iter()
                .map(|g| g.params.len().to_string())
                .collect();
            return Err(OptimError::state(
                op,
                format!(
                    "unexpected key `{key}` for {} parameter group(s) of [{}] parameters",
                    self.groups.len(),
                    counts.join(", ")
                ),
            ));
        }
        self.groups = candidate.groups;
        Ok(())
    }
}

/// Implements [`HyperParams`](crate::HyperParams) for an optimizer whose `GroupSet` is the
/// field `groups`.
macro_rules! hyper_params_via_groups {
    ($ty:ident) => {
        impl<T: youshi_tensor::Element> $crate::optimizer::HyperParams for $ty<T> {
            fn num_groups(&self) -> usize {
                self.groups.num_groups()
            }
            fn lr(&self, group: usize) -> f64 {
                self.groups.lr(group)
            }
            fn set_lr(&mut self, group: usize, lr: f64) {
                self.groups.set_lr(group, lr)
            }
            fn momentum(&self, group: usize) -> Option<f64> {
                self.groups.momentum(group)
            }
            fn set_momentum(&mut self, group: usize, momentum: f64) -> bool {
                self.groups.set_momentum(group, momentum)
            }
            fn initial_lr(&self, group: usize) -> Option<f64> {
                self.groups.initial_lr(group)
            }
            fn set_initial_lr(&mut self, group: usize, lr: f64) -> bool {
                self.groups.set_initial_lr(group, lr)
            }
        }
    };
}
pub(crate) use hyper_params_via_groups;
