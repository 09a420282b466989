//! [`Sgd`]: stochastic gradient descent with momentum, dampening, Nesterov momentum and weight
//! decay, PyTorch's `torch.optim.SGD`.

use youshi_autograd::Param;
use youshi_tensor::ndarray::Zip;
use youshi_tensor::{Element, Tensor};

use crate::error::{OptimError, Result};
use crate::group::{GroupOptions, ParamGroup};
use crate::groupset::{
    buffer, check_non_negative, flag, from_flag, hyper_params_via_groups, in_group, scalar,
    single_group, GroupConfig, GroupSet, ParamSlots, Scalars, Tensors,
};
use crate::optimizer::{HyperParams, Optimizer, OptimizerState};

/// Options of [`Sgd`], with PyTorch's defaults (`lr = 1e-3`, everything else off).
///
/// # Examples
/// ```
/// use youshi_optim::SgdConfig;
/// let cfg = SgdConfig::default().lr(0.1).momentum(0.9).nesterov(true);
/// assert_eq!((cfg.lr, cfg.momentum, cfg.dampening), (0.1, 0.9, 0.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    /// Learning rate (`>= 0`).
    pub lr: f64,
    /// Momentum factor (`>= 0`; 0 turns momentum off).
    pub momentum: f64,
    /// Dampening of the momentum: the gradient enters the buffer scaled by `1 - dampening`.
    pub dampening: f64,
    /// L2 penalty added to the gradient (`>= 0`).
    pub weight_decay: f64,
    /// Nesterov momentum (needs `momentum > 0` and `dampening = 0`).
    pub nesterov: bool,
    /// Maximise the objective instead of minimising it.
    pub maximize: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        }
    }
}

impl SgdConfig {
    /// Sets the learning rate.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// Sets the momentum factor.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }
    /// Sets the dampening.
    pub fn dampening(mut self, dampening: f64) -> Self {
        self.dampening = dampening;
        self
    }
    /// Sets the weight decay.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
    /// Turns Nesterov momentum on or off.
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }
    /// Maximises instead of minimising.
    pub fn maximize(mut self, maximize: bool) -> Self {
        self.maximize = maximize;
        self
    }
}

impl GroupConfig for SgdConfig {
    const OPTIONS: &'static [&'static str] = &[
        "lr",
        "momentum",
        "dampening",
        "weight_decay",
        "nesterov",
        "maximize",
    ];

    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn momentum(&self) -> Option<f64> {
        Some(self.momentum)
    }
    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.momentum = momentum;
        true
    }

    fn apply(&self, o: &GroupOptions) -> Self {
        SgdConfig {
            lr: o.lr.unwrap_or(self.lr),
            momentum: o.momentum.unwrap_or(self.momentum),
            dampening: o.dampening.unwrap_or(self.dampening),
            weight_decay: o.weight_decay.unwrap_or(self.weight_decay),
            nesterov: o.nesterov.unwrap_or(self.nesterov),
            maximize: o.maximize.unwrap_or(self.maximize),
        }
    }

    fn validate(&self, op: &'static str, group: Option<usize>) -> Result<()> {
        check_non_negative(op, "lr", self.lr, group)?;
        check_non_negative(op, "momentum", self.momentum, group)?;
        check_non_negative(op, "weight_decay", self.weight_decay, group)?;
        if self.dampening.is_nan() {
            return Err(OptimError::config(
                op,
                format!("invalid dampening = NaN{}", in_group(group)),
            ));
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(OptimError::config(
                op,
                format!(
                    "Nesterov momentum requires a momentum > 0 and zero dampening, got momentum = {} and dampening = {}{}",
                    self.momentum,
                    self.dampening,
                    in_group(group)
                ),
            ));
        }
        Ok(())
    }

    fn save(&self, prefix: &str, out: &mut Scalars) {
        out.insert(format!("{prefix}lr"), self.lr);
        out.insert(format!("{prefix}momentum"), self.momentum);
        out.insert(format!("{prefix}dampening"), self.dampening);
        out.insert(format!("{prefix}weight_decay"), self.weight_decay);
        out.insert(format!("{prefix}nesterov"), from_flag(self.nesterov));
        out.insert(format!("{prefix}maximize"), from_flag(self.maximize));
    }

    fn load(prefix: &str, s: &Scalars, op: &'static str) -> Result<Self> {
        Ok(SgdConfig {
            lr: scalar(s, &format!("{prefix}lr"), op)?,
            momentum: scalar(s, &format!("{prefix}momentum"), op)?,
            dampening: scalar(s, &format!("{prefix}dampening"), op)?,
            weight_decay: scalar(s, &format!("{prefix}weight_decay"), op)?,
            nesterov: flag(s, &format!("{prefix}nesterov"), op)?,
            maximize: flag(s, &format!("{prefix}maximize"), op)?,
        })
    }
}

/// SGD's per-parameter state: the momentum buffer, created on the first step with momentum.
#[derive(Debug, Clone)]
pub(crate) struct SgdState<T: Element> {
    momentum_buffer: Tensor<T>,
}

impl<T: Element> ParamSlots<T> for SgdState<T> {
    fn save(&self, prefix: &str, tensors: &mut Tensors<T>, _scalars: &mut Scalars) {
        tensors.insert(
            format!("{prefix}momentum_buffer"),
            self.momentum_buffer.clone(),
        );
    }

    fn load(
        prefix: &str,
        tensors: &Tensors<T>,
        _scalars: &Scalars,
        shape: &[usize],
        op: &'static str,
    ) -> Result<Option<Self>> {
        let key = format!("{prefix}momentum_buffer");
        if !tensors.contains_key(&key) {
            return Ok(None);
        }
        Ok(Some(SgdState {
            momentum_buffer: buffer(tensors, &key, shape, op)?,
        }))
    }
}

/// Stochastic gradient descent, PyTorch's `torch.optim.SGD` (single-tensor formulas).
///
/// For each parameter `p` with gradient `g` (negated if `maximize`):
/// ```text
/// g = g + weight_decay * p                      if weight_decay != 0
/// b = g  (first step),  b = momentum * b + (1 - dampening) * g  (later)   if momentum != 0
/// g = g + momentum * b  if nesterov,  else  g = b                        if momentum != 0
/// p = p - lr * g
/// ```
///
/// State keys: `"<group>.<index>.momentum_buffer"`; group options `lr`, `momentum`,
/// `dampening`, `weight_decay`, `nesterov`, `maximize` (flags as 0/1) and `initial_lr` when a
/// schedule recorded one.
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{Optimizer, Sgd, SgdConfig};
/// use youshi_tensor::Tensor;
/// let w = Param::new(Tensor::<f64>::from_vec(vec![1.0, 2.0], [2])?);
/// let mut opt = Sgd::new(vec![w.clone()], SgdConfig::default().lr(0.5).momentum(0.9))?;
/// w.set_grad(Some(Tensor::from_vec(vec![1.0, -1.0], [2])?))?;
/// opt.step()?;
/// assert_eq!(w.value().to_vec(), vec![0.5, 2.5]);
/// opt.step()?; // buffer = 0.9 * [1, -1] + [1, -1]
/// assert_eq!(w.value().to_vec(), vec![0.5 - 0.5 * 1.9, 2.5 + 0.5 * 1.9]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sgd<T: Element = f32> {
    groups: GroupSet<T, SgdConfig, SgdState<T>>,
}

impl<T: Element> Sgd<T> {
    /// SGD over `params` (one group) with the options `cfg`.
    ///
    /// # Errors
    /// [`OptimError::Config`] as PyTorch's constructor: `lr`, `momentum` or `weight_decay`
    /// negative (or NaN), Nesterov without momentum or with dampening, a parameter listed
    /// twice. An empty list is an error too, as in PyTorch.
    pub fn new(params: Vec<Param<T>>, cfg: SgdConfig) -> Result<Self> {
        Self::with_groups(single_group("SGD", params)?, cfg)
    }

    /// SGD over parameter groups, each group's unset options taken from `cfg`.
    ///
    /// # Errors
    /// As [`new`](Sgd::new), for `cfg` and for every group; a group setting an option SGD
    /// does not have (`betas`, ...); no group at all.
    pub fn with_groups(groups: Vec<ParamGroup<T>>, cfg: SgdConfig) -> Result<Self> {
        Ok(Sgd {
            groups: GroupSet::new("SGD", groups, &cfg)?,
        })
    }

    /// The options of group `group`, if it exists.
    pub fn config(&self, group: usize) -> Option<&SgdConfig> {
        self.groups.config(group)
    }
}

fn sgd_update<T: Element>(
    cfg: &SgdConfig,
    slot: &mut Option<SgdState<T>>,
    value: &mut Tensor<T>,
    grad: &Tensor<T>,
) {
    let maximize = cfg.maximize;
    let decay = cfg.weight_decay != 0.0;
    let wd = T::of(cfg.weight_decay);
    let m = T::of(cfg.momentum);
    let keep = T::of(1.0 - cfg.dampening);
    let neg_lr = T::of(-cfg.lr);
    let nesterov = cfg.nesterov;
    let d_p = move |p: T, g: T| {
        let g = if maximize { -g } else { g };
        if decay {
            g + wd * p
        } else {
            g
        }
    };
    let mut v = value.array_mut();
    if cfg.momentum == 0.0 {
        Zip::from(&mut v)
            .and(&grad.view())
            .for_each(|p, &g| *p += neg_lr * d_p(*p, g));
        return;
    }
    let direction = move |d: T, b: T| if nesterov { d + m * b } else { b };
    match slot {
        None => {
            let mut buf = Tensor::<T>::zeros(grad.shape());
            Zip::from(&mut v)
                .and(&mut buf.array_mut())
                .and(&grad.view())
                .for_each(|p, b, &g| {
                    let d = d_p(*p, g);
                    *b = d;
                    *p += neg_lr * direction(d, *b);
                });
            *slot = Some(SgdState {
                momentum_buffer: buf,
            });
        }
        Some(s) => {
            Zip::from(&mut v)
                .and(&mut s.momentum_buffer.array_mut())
                .and(&grad.view())
                .for_each(|p, b, &g| {
                    let d = d_p(*p, g);
                    *b = *b * m + keep * d;
                    *p += neg_lr * direction(d, *b);
                });
        }
    }
}

hyper_params_via_groups!(Sgd);

impl<T: Element> Optimizer<T> for Sgd<T> {
    fn name(&self) -> &'static str {
        "SGD"
    }

    fn step(&mut self) -> Result<()> {
        self.groups.step_each("SGD::step", sgd_update)
    }

    fn zero_grad(&self) {
        self.groups.zero_grad();
    }

    fn params(&self) -> Vec<Param<T>> {
        self.groups.params()
    }

    fn state(&self) -> OptimizerState<T> {
        self.groups.state("SGD")
    }

    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<()> {
        self.groups.load_state("SGD", state, "SGD::load_state")
    }

    fn hyper_params(&mut self) -> &mut dyn HyperParams {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param() -> Param<f64> {
        Param::new(Tensor::from_vec(vec![1.0, -2.0, 3.0], [3]).unwrap())
    }

    fn err(cfg: SgdConfig) -> String {
        Sgd::new(vec![param()], cfg).unwrap_err().to_string()
    }

    #[test]
    fn rejects_invalid_options() {
        let d = SgdConfig::default();
        assert_eq!(err(d.lr(-0.1)), "SGD: invalid lr = -0.1: must be >= 0");
        assert_eq!(
            err(d.momentum(-1.0)),
            "SGD: invalid momentum = -1: must be >= 0"
        );
        assert_eq!(
            err(d.weight_decay(f64::NAN)),
            "SGD: invalid weight_decay = NaN: must be >= 0"
        );
        assert_eq!(err(d.dampening(f64::NAN)), "SGD: invalid dampening = NaN");
        assert_eq!(
            err(d.nesterov(true)),
            "SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got momentum = 0 and dampening = 0"
        );
        assert!(err(d.nesterov(true).momentum(0.9).dampening(0.1)).contains("dampening = 0.1"));
        let e = Sgd::<f64>::new(vec![], d).unwrap_err().to_string();
        assert!(e.contains("empty parameter list"), "{e}");
        let e = Sgd::<f64>::with_groups(vec![], d).unwrap_err().to_string();
        assert!(e.contains("empty parameter list"), "{e}");
    }

    #[test]
    fn rejects_invalid_group_options_and_duplicates() {
        let p = param();
        let e = Sgd::with_groups(
            vec![
                ParamGroup::new(vec![p.clone()]),
                ParamGroup::new(vec![param()]).lr(-1.0),
            ],
            SgdConfig::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "SGD: invalid lr = -1: must be >= 0 (parameter group 1)"
        );
        let e = Sgd::with_groups(
            vec![ParamGroup::new(vec![param()]).amsgrad(true)],
            SgdConfig::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("sets `amsgrad`"), "{e}");
        let e = Sgd::with_groups(
            vec![
                ParamGroup::new(vec![param(), p.clone()]),
                ParamGroup::new(vec![p]),
            ],
            SgdConfig::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "SGD: parameter 0 of group 1 is also parameter 1 of group 0; a parameter may appear only once"
        );
    }

    #[test]
    fn a_gradient_of_another_shape_is_an_error_that_changes_nothing() {
        let a = param();
        let b = param();
        let mut opt = Sgd::new(vec![a.clone(), b.clone()], SgdConfig::default().lr(1.0)).unwrap();
        a.set_grad(Some(Tensor::ones([3]))).unwrap();
        b.set_grad(Some(Tensor::ones([3]))).unwrap();
        // `update` may replace a value by one of another shape; the gradient no longer fits.
        b.update(|v, _| *v = Tensor::zeros([2]));
        let e = opt.step().unwrap_err();
        assert_eq!(
            e.to_string(),
            "SGD::step: gradient of shape [3] does not match value of shape [2]"
        );
        assert_eq!(a.value().to_vec(), vec![1.0, -2.0, 3.0]);
    }

    #[test]
    fn skips_frozen_and_gradless_params() {
        let a = param();
        let b = param();
        let mut opt = Sgd::new(vec![a.clone(), b.clone()], SgdConfig::default().lr(1.0)).unwrap();
        a.set_grad(Some(Tensor::ones([3]))).unwrap();
        b.set_grad(Some(Tensor::ones([3]))).unwrap();
        b.set_requires_grad(false);
        opt.step().unwrap();
        assert_eq!(a.value().to_vec(), vec![0.0, -3.0, 2.0]);
        assert_eq!(b.value().to_vec(), vec![1.0, -2.0, 3.0]);
        opt.zero_grad();
        assert!(a.grad().is_none() && b.grad().is_none());
        opt.step().unwrap();
        assert_eq!(a.value().to_vec(), vec![0.0, -3.0, 2.0]);
    }

    #[test]
    fn load_state_checks_kind_counts_and_shapes() {
        let a = param();
        let mut opt = Sgd::new(vec![a.clone()], SgdConfig::default().momentum(0.5)).unwrap();
        a.set_grad(Some(Tensor::ones([3]))).unwrap();
        opt.step().unwrap();
        let st = opt.state();
        assert!(st.tensors.contains_key("0.0.momentum_buffer"));
        assert_eq!(st.scalars["0.momentum"], 0.5);

        let mut other = st.clone();
        other.kind = "Adam".into();
        let e = opt.load_state(&other).unwrap_err();
        assert_eq!(
            e.to_string(),
            "SGD::load_state: the state is of a Adam optimizer, not SGD"
        );

        let mut bad = st.clone();
        bad.tensors
            .insert("0.0.momentum_buffer".into(), Tensor::zeros([2]));
        let e = opt.load_state(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "SGD::load_state: tensor `0.0.momentum_buffer` has shape [2] but its parameter has shape [3]"
        );

        let mut extra = st.clone();
        extra
            .tensors
            .insert("0.1.momentum_buffer".into(), Tensor::zeros([3]));
        let e = opt.load_state(&extra).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("SGD::load_state: unexpected key `0.1.momentum_buffer`"),
            "{e}"
        );

        let mut missing = st.clone();
        missing.scalars.remove("0.lr");
        let e = opt.load_state(&missing).unwrap_err();
        assert_eq!(e.to_string(), "SGD::load_state: missing scalar `0.lr`");

        let mut bad_flag = st.clone();
        bad_flag.scalars.insert("0.nesterov".into(), 0.5);
        let e = opt.load_state(&bad_flag).unwrap_err();
        assert_eq!(
            e.to_string(),
            "SGD::load_state: scalar `0.nesterov` = 0.5 is not a flag (0 or 1)"
        );

        let mut bad_lr = st.clone();
        bad_lr.scalars.insert("0.lr".into(), -1.0);
        let e = opt.load_state(&bad_lr).unwrap_err();
        assert!(e.to_string().contains("invalid lr = -1"), "{e}");

        // Nothing was changed by the failed loads.
        assert_eq!(opt.state(), st);
        opt.load_state(&st).unwrap();
        assert_eq!(opt.state(), st);
    }

    #[test]
    fn hyper_params_read_and_write_groups() {
        let mut opt = Sgd::with_groups(
            vec![
                ParamGroup::new(vec![param()]),
                ParamGroup::new(vec![param()]).lr(0.2),
            ],
            SgdConfig::default().lr(0.1),
        )
        .unwrap();
        assert_eq!(opt.num_groups(), 2);
        opt.set_lr(0, 0.3);
        assert!(opt.set_momentum(1, 0.8));
        assert_eq!((opt.lr(0), opt.lr(1)), (0.3, 0.2));
        assert_eq!(opt.momentum(1), Some(0.8));
        assert_eq!(opt.config(1).unwrap().momentum, 0.8);
        assert!(opt.config(2).is_none());
        assert_eq!(opt.initial_lr(0), None);
        assert!(opt.set_initial_lr(0, 0.1));
        assert_eq!(opt.initial_lr(0), Some(0.1));
        assert_eq!(opt.state().scalars["0.initial_lr"], 0.1);
    }
}
