//! [`Adam`] and [`AdamW`] (decoupled weight decay), with AMSGrad, PyTorch's `torch.optim.Adam`
//! and `torch.optim.AdamW`.

use youshi_autograd::Param;
use youshi_tensor::ndarray::Zip;
use youshi_tensor::{Element, Tensor};

use crate::error::Result;
use crate::group::{GroupOptions, ParamGroup};
use crate::groupset::{
    buffer, check_non_negative, check_unit, flag, from_flag, hyper_params_via_groups,
    optional_buffer, scalar, single_group, step_count, GroupConfig, GroupSet, ParamSlots, Scalars,
    Tensors,
};
use crate::optimizer::{HyperParams, Optimizer, OptimizerState};

macro_rules! adam_config {
    ($(#[$doc:meta])* $name:ident, weight_decay = $wd:expr, $wd_doc:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct $name {
            /// Learning rate (`>= 0`).
            pub lr: f64,
            /// Decay of the first-moment average (`[0, 1)`).
            pub beta1: f64,
            /// Decay of the second-moment average (`[0, 1)`).
            pub beta2: f64,
            /// Term added to the denominator (`>= 0`).
            pub eps: f64,
            #[doc = $wd_doc]
            pub weight_decay: f64,
            /// Normalise by the running maximum of the second moment (AMSGrad).
            pub amsgrad: bool,
            /// Maximise the objective instead of minimising it.
            pub maximize: bool,
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    lr: 1e-3,
                    beta1: 0.9,
                    beta2: 0.999,
                    eps: 1e-8,
                    weight_decay: $wd,
                    amsgrad: false,
                    maximize: false,
                }
            }
        }

        impl $name {
            /// Sets the learning rate.
            pub fn lr(mut self, lr: f64) -> Self {
                self.lr = lr;
                self
            }
            /// Sets `(beta1, beta2)`.
            pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
                self.beta1 = beta1;
                self.beta2 = beta2;
                self
            }
            /// Sets the denominator's epsilon.
            pub fn eps(mut self, eps: f64) -> Self {
                self.eps = eps;
                self
            }
            /// Sets the weight decay.
            pub fn weight_decay(mut self, weight_decay: f64) -> Self {
                self.weight_decay = weight_decay;
                self
            }
            /// Turns AMSGrad on or off.
            pub fn amsgrad(mut self, amsgrad: bool) -> Self {
                self.amsgrad = amsgrad;
                self
            }
            /// Maximises instead of minimising.
            pub fn maximize(mut self, maximize: bool) -> Self {
                self.maximize = maximize;
                self
            }
        }

        impl From<AdamOptions> for $name {
            fn from(o: AdamOptions) -> Self {
                $name {
                    lr: o.lr,
                    beta1: o.beta1,
                    beta2: o.beta2,
                    eps: o.eps,
                    weight_decay: o.weight_decay,
                    amsgrad: o.amsgrad,
                    maximize: o.maximize,
                }
            }
        }

        impl From<$name> for AdamOptions {
            fn from(c: $name) -> Self {
                AdamOptions {
                    lr: c.lr,
                    beta1: c.beta1,
                    beta2: c.beta2,
                    eps: c.eps,
                    weight_decay: c.weight_decay,
                    amsgrad: c.amsgrad,
                    maximize: c.maximize,
                }
            }
        }
    };
}

adam_config!(
    /// Options of [`Adam`], with PyTorch's defaults (`lr = 1e-3`, betas `(0.9, 0.999)`,
    /// `eps = 1e-8`, no weight decay).
    ///
    /// # Examples
    /// ```
    /// use youshi_optim::AdamConfig;
    /// let cfg = AdamConfig::default().lr(3e-4).betas(0.9, 0.98).amsgrad(true);
    /// assert_eq!((cfg.beta2, cfg.weight_decay), (0.98, 0.0));
    /// ```
    AdamConfig,
    weight_decay = 0.0,
    "L2 penalty added to the gradient (`>= 0`)."
);

adam_config!(
    /// Options of [`AdamW`], with PyTorch's defaults (those of [`AdamConfig`] but
    /// `weight_decay = 1e-2`).
    ///
    /// # Examples
    /// ```
    /// use youshi_optim::AdamWConfig;
    /// assert_eq!(AdamWConfig::default().weight_decay, 0.01);
    /// ```
    AdamWConfig,
    weight_decay = 1e-2,
    "Decoupled decay: parameters shrink by `lr * weight_decay` each step (`>= 0`)."
);

impl AdamConfig {
    /// AdamW's defaults as an [`AdamWConfig`] (for [`AdamW`]).
    pub fn adamw() -> AdamWConfig {
        AdamWConfig::default()
    }
}

/// The options Adam and AdamW share, per group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AdamOptions {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    maximize: bool,
}

impl GroupConfig for AdamOptions {
    const OPTIONS: &'static [&'static str] =
        &["lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"];

    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn momentum(&self) -> Option<f64> {
        Some(self.beta1)
    }
    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.beta1 = momentum;
        true
    }

    fn apply(&self, o: &GroupOptions) -> Self {
        let (beta1, beta2) = o.betas.unwrap_or((self.beta1, self.beta2));
        AdamOptions {
            lr: o.lr.unwrap_or(self.lr),
            beta1,
            beta2,
            eps: o.eps.unwrap_or(self.eps),
            weight_decay: o.weight_decay.unwrap_or(self.weight_decay),
            amsgrad: o.amsgrad.unwrap_or(self.amsgrad),
            maximize: o.maximize.unwrap_or(self.maximize),
        }
    }

    fn validate(&self, op: &'static str, group: Option<usize>) -> Result<()> {
        check_non_negative(op, "lr", self.lr, group)?;
        check_non_negative(op, "eps", self.eps, group)?;
        check_unit(op, "beta1", self.beta1, group)?;
        check_unit(op, "beta2", self.beta2, group)?;
        check_non_negative(op, "weight_decay", self.weight_decay, group)
    }

    fn save(&self, prefix: &str, out: &mut Scalars) {
        out.insert(format!("{prefix}lr"), self.lr);
        out.insert(format!("{prefix}beta1"), self.beta1);
        out.insert(format!("{prefix}beta2"), self.beta2);
        out.insert(format!("{prefix}eps"), self.eps);
        out.insert(format!("{prefix}weight_decay"), self.weight_decay);
        out.insert(format!("{prefix}amsgrad"), from_flag(self.amsgrad));
        out.insert(format!("{prefix}maximize"), from_flag(self.maximize));
    }

    fn load(prefix: &str, s: &Scalars, op: &'static str) -> Result<Self> {
        Ok(AdamOptions {
            lr: scalar(s, &format!("{prefix}lr"), op)?,
            beta1: scalar(s, &format!("{prefix}beta1"), op)?,
            beta2: scalar(s, &format!("{prefix}beta2"), op)?,
            eps: scalar(s, &format!("{prefix}eps"), op)?,
            weight_decay: scalar(s, &format!("{prefix}weight_decay"), op)?,
            amsgrad: flag(s, &format!("{prefix}amsgrad"), op)?,
            maximize: flag(s, &format!("{prefix}maximize"), op)?,
        })
    }
}

/// Adam's per-parameter state.
#[derive(Debug, Clone)]
pub(crate) struct AdamState<T: Element> {
    step: f64,
    exp_avg: Tensor<T>,
    exp_avg_sq: Tensor<T>,
    max_exp_avg_sq: Option<Tensor<T>>,
}

impl<T: Element> ParamSlots<T> for AdamState<T> {
    fn save(&self, prefix: &str, tensors: &mut Tensors<T>, scalars: &mut Scalars) {
        scalars.insert(format!("{prefix}step"), self.step);
        tensors.insert(format!("{prefix}exp_avg"), self.exp_avg.clone());
        tensors.insert(format!("{prefix}exp_avg_sq"), self.exp_avg_sq.clone());
        if let Some(m) = &self.max_exp_avg_sq {
            tensors.insert(format!("{prefix}max_exp_avg_sq"), m.clone());
        }
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
        Ok(Some(AdamState {
            step: step_count(scalars, &step_key, op)?,
            exp_avg: buffer(tensors, &format!("{prefix}exp_avg"), shape, op)?,
            exp_avg_sq: buffer(tensors, &format!("{prefix}exp_avg_sq"), shape, op)?,
            max_exp_avg_sq: optional_buffer(
                tensors,
                &format!("{prefix}max_exp_avg_sq"),
                shape,
                op,
            )?,
        }))
    }
}

/// PyTorch's `lerp(start, end, weight)` (the scalar-weight formula of its CPU kernel).
#[inline]
pub(crate) fn lerp<T: Element>(start: T, end: T, weight: T) -> T {
    if weight.abs() < T::of(0.5) {
        start + weight * (end - start)
    } else {
        end - (end - start) * (T::one() - weight)
    }
}

/// One Adam/AdamW step on one parameter, PyTorch's `_single_tensor_adam`.
fn adam_update<T: Element>(
    decoupled: bool,
    cfg: &AdamOptions,
    slot: &mut Option<AdamState<T>>,
    value: &mut Tensor<T>,
    grad: &Tensor<T>,
) {
    let st = slot.get_or_insert_with(|| AdamState {
        step: 0.0,
        exp_avg: Tensor::zeros(grad.shape()),
        exp_avg_sq: Tensor::zeros(grad.shape()),
        max_exp_avg_sq: None,
    });
    if cfg.amsgrad && st.max_exp_avg_sq.is_none() {
        st.max_exp_avg_sq = Some(Tensor::zeros(grad.shape()));
    }
    st.step += 1.0;
    let step = st.step;
    let bias_correction1 = 1.0 - cfg.beta1.powf(step);
    let bias_correction2 = 1.0 - cfg.beta2.powf(step);
    let step_size = cfg.lr / bias_correction1;
    let bc2_sqrt = T::of(bias_correction2.powf(0.5));
    let neg_step_size = T::of(-step_size);
    let eps = T::of(cfg.eps);
    let maximize = cfg.maximize;
    let (decay_grad, decay_param) = match (cfg.weight_decay != 0.0, decoupled) {
        (false, _) => (false, false),
        (true, false) => (true, false),
        (true, true) => (false, true),
    };
    let wd = T::of(cfg.weight_decay);
    let shrink = T::of(1.0 - cfg.lr * cfg.weight_decay);
    let w1 = T::of(1.0 - cfg.beta1);
    let b2 = T::of(cfg.beta2);
    let w2 = T::of(1.0 - cfg.beta2);
    let prepare = move |p: &mut T, g: T| {
        let g = if maximize { -g } else { g };
        if decay_param {
            *p *= shrink;
        }
        if decay_grad {
            g + wd * *p
        } else {
            g
        }
    };
    let mut v = value.array_mut();
    let mut m = st.exp_avg.array_mut();
    let mut s = st.exp_avg_sq.array_mut();
    match &mut st.max_exp_avg_sq {
        Some(mx) if cfg.amsgrad => {
            Zip::from(&mut v)
                .and(&grad.view())
                .and(&mut m)
                .and(&mut s)
                .and(&mut mx.array_mut())
                .for_each(|p, &g, m, s, mx| {
                    let g = prepare(p, g);
                    *m = lerp(*m, g, w1);
                    *s = *s * b2 + w2 * g * g;
                    *mx = if *mx >= *s || mx.is_nan() { *mx } else { *s };
                    let denom = mx.sqrt() / bc2_sqrt + eps;
                    *p += neg_step_size * *m / denom;
                });
        }
        _ => {
            Zip::from(&mut v)
                .and(&grad.view())
                .and(&mut m)
                .and(&mut s)
                .for_each(|p, &g, m, s| {
                    let g = prepare(p, g);
                    *m = lerp(*m, g, w1);
                    *s = *s * b2 + w2 * g * g;
                    let denom = s.sqrt() / bc2_sqrt + eps;
                    *p += neg_step_size * *m / denom;
                });
        }
    }
}

/// Adam, PyTorch's `torch.optim.Adam` (single-tensor formulas).
///
/// For each parameter `p` with gradient `g` (negated if `maximize`), at step `t`:
/// ```text
/// g = g + weight_decay * p                          if weight_decay != 0
/// m = lerp(m, g, 1 - beta1)
/// v = beta2 * v + (1 - beta2) * g²
/// v̂ = max(v̂, v) if amsgrad                          (the denominator uses v̂)
/// p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// ```
///
/// State keys: `"<group>.<index>.step"`, `.exp_avg`, `.exp_avg_sq`, `.max_exp_avg_sq`
/// (AMSGrad); group options `lr`, `beta1`, `beta2`, `eps`, `weight_decay`, `amsgrad`,
/// `maximize` and `initial_lr`. [`HyperParams::momentum`] is `beta1`.
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{Adam, AdamConfig, Optimizer};
/// use youshi_tensor::Tensor;
/// let w = Param::new(Tensor::<f64>::from_vec(vec![1.0, -1.0], [2])?);
/// let mut opt = Adam::new(vec![w.clone()], AdamConfig::default().lr(0.1))?;
/// w.set_grad(Some(Tensor::from_vec(vec![3.0, -0.5], [2])?))?;
/// opt.step()?;
/// // The first step moves every coordinate by about lr against its gradient's sign.
/// let v = w.value().to_vec();
/// assert!((v[0] - 0.9).abs() < 1e-7 && (v[1] + 0.9).abs() < 1e-7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Adam<T: Element = f32> {
    groups: GroupSet<T, AdamOptions, AdamState<T>>,
}

impl<T: Element> Adam<T> {
    /// Adam over `params` (one group) with the options `cfg`.
    ///
    /// # Errors
    /// [`OptimError::Config`](crate::OptimError::Config) as PyTorch's constructor: `lr`,
    /// `eps` or `weight_decay` negative (or NaN), a beta outside `[0, 1)`, a parameter listed
    /// twice, an empty list.
    pub fn new(params: Vec<Param<T>>, cfg: AdamConfig) -> Result<Self> {
        Self::with_groups(single_group("Adam", params)?, cfg)
    }

    /// Adam over parameter groups, each group's unset options taken from `cfg`.
    ///
    /// # Errors
    /// As [`new`](Adam::new), for `cfg` and every group; a group setting an option Adam does
    /// not have (`momentum`, ...); no group at all.
    pub fn with_groups(groups: Vec<ParamGroup<T>>, cfg: AdamConfig) -> Result<Self> {
        Ok(Adam {
            groups: GroupSet::new("Adam", groups, &cfg.into())?,
        })
    }

    /// The options of group `group`, if it exists.
    pub fn config(&self, group: usize) -> Option<AdamConfig> {
        self.groups.config(group).map(|&o| o.into())
    }
}

hyper_params_via_groups!(Adam);

impl<T: Element> Optimizer<T> for Adam<T> {
    fn name(&self) -> &'static str {
        "Adam"
    }

    fn step(&mut self) -> Result<()> {
        self.groups
            .step_each("Adam::step", |cfg, slot, value, grad| {
                adam_update(false, cfg, slot, value, grad)
            })
    }

    fn zero_grad(&self) {
        self.groups.zero_grad();
    }

    fn params(&self) -> Vec<Param<T>> {
        self.groups.params()
    }

    fn state(&self) -> OptimizerState<T> {
        self.groups.state("Adam")
    }

    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<()> {
        self.groups.load_state("Adam", state, "Adam::load_state")
    }

    fn hyper_params(&mut self) -> &mut dyn HyperParams {
        self
    }
}

/// AdamW: Adam with decoupled weight decay, PyTorch's `torch.optim.AdamW`.
///
/// The same update as [`Adam`], except that instead of adding `weight_decay * p` to the
/// gradient, each step first shrinks the parameter: `p = p * (1 - lr * weight_decay)`.
/// State keys are Adam's; the state's kind is `"AdamW"`.
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{AdamW, AdamWConfig, Optimizer};
/// use youshi_tensor::Tensor;
/// let w = Param::new(Tensor::<f64>::from_vec(vec![2.0], [1])?);
/// let mut opt = AdamW::new(vec![w.clone()], AdamWConfig::default().lr(0.1).weight_decay(0.5))?;
/// w.set_grad(Some(Tensor::zeros([1])))?;
/// opt.step()?; // a zero gradient: only the decay acts, 2 * (1 - 0.1 * 0.5)
/// assert_eq!(w.value().to_vec(), vec![1.9]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AdamW<T: Element = f32> {
    groups: GroupSet<T, AdamOptions, AdamState<T>>,
}

impl<T: Element> AdamW<T> {
    /// AdamW over `params` (one group) with the options `cfg`.
    ///
    /// # Errors
    /// As [`Adam::new`].
    pub fn new(params: Vec<Param<T>>, cfg: AdamWConfig) -> Result<Self> {
        Self::with_groups(single_group("AdamW", params)?, cfg)
    }

    /// AdamW over parameter groups, each group's unset options taken from `cfg`.
    ///
    /// # Errors
    /// As [`Adam::with_groups`].
    pub fn with_groups(groups: Vec<ParamGroup<T>>, cfg: AdamWConfig) -> Result<Self> {
        Ok(AdamW {
            groups: GroupSet::new("AdamW", groups, &cfg.into())?,
        })
    }

    /// The options of group `group`, if it exists.
    pub fn config(&self, group: usize) -> Option<AdamWConfig> {
        self.groups.config(group).map(|&o| o.into())
    }
}

hyper_params_via_groups!(AdamW);

impl<T: Element> Optimizer<T> for AdamW<T> {
    fn name(&self) -> &'static str {
        "AdamW"
    }

    fn step(&mut self) -> Result<()> {
        self.groups
            .step_each("AdamW::step", |cfg, slot, value, grad| {
                adam_update(true, cfg, slot, value, grad)
            })
    }

    fn zero_grad(&self) {
        self.groups.zero_grad();
    }

    fn params(&self) -> Vec<Param<T>> {
        self.groups.params()
    }

    fn state(&self) -> OptimizerState<T> {
        self.groups.state("AdamW")
    }

    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<()> {
        self.groups.load_state("AdamW", state, "AdamW::load_state")
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
        let d = AdamConfig::default();
        let err = |c: AdamConfig| Adam::new(vec![param()], c).unwrap_err().to_string();
        assert_eq!(err(d.lr(-1.0)), "Adam: invalid lr = -1: must be >= 0");
        assert_eq!(
            err(d.eps(-1e-8)),
            "Adam: invalid eps = -0.00000001: must be >= 0"
        );
        assert_eq!(
            err(d.betas(1.2, 0.9)),
            "Adam: invalid beta1 = 1.2: must be in [0, 1)"
        );
        assert_eq!(
            err(d.betas(0.9, 1.0)),
            "Adam: invalid beta2 = 1: must be in [0, 1)"
        );
        assert_eq!(
            err(d.betas(-0.1, 0.9)),
            "Adam: invalid beta1 = -0.1: must be in [0, 1)"
        );
        assert_eq!(
            err(d.weight_decay(-0.1)),
            "Adam: invalid weight_decay = -0.1: must be >= 0"
        );
        let e = AdamW::with_groups(
            vec![ParamGroup::new(vec![param()]).betas(0.9, 2.0)],
            AdamWConfig::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "AdamW: invalid beta2 = 2: must be in [0, 1) (parameter group 0)"
        );
        let e = Adam::with_groups(
            vec![ParamGroup::new(vec![param()]).momentum(0.9)],
            AdamConfig::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("sets `momentum`"), "{e}");
    }

    #[test]
    fn beta1_is_the_momentum() {
        let mut opt = Adam::new(vec![param()], AdamConfig::default()).unwrap();
        assert_eq!(opt.momentum(0), Some(0.9));
        assert!(opt.set_momentum(0, 0.85));
        assert_eq!(opt.config(0).unwrap().beta1, 0.85);
        let w = AdamW::new(vec![param()], AdamConfig::adamw()).unwrap();
        assert_eq!(w.config(0).unwrap().weight_decay, 0.01);
        assert_eq!(w.name(), "AdamW");
    }

    #[test]
    fn lerp_matches_both_branches() {
        assert_eq!(lerp(1.0f64, 3.0, 0.25), 1.5);
        assert_eq!(lerp(1.0f64, 3.0, 0.75), 2.5);
        assert_eq!(lerp(1.0f64, 3.0, 1.0), 3.0);
    }

    #[test]
    fn state_of_another_kind_is_rejected() {
        let p = param();
        let mut adam = Adam::new(vec![p.clone()], AdamConfig::default()).unwrap();
        let mut adamw = AdamW::new(vec![p], AdamWConfig::default()).unwrap();
        let e = adam.load_state(&adamw.state()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Adam::load_state: the state is of a AdamW optimizer, not Adam"
        );
        let mut st = adam.state();
        st.kind = "AdamW".into();
        adamw.load_state(&st).unwrap();
        let mut bad = adamw.state();
        bad.scalars.insert("0.0.step".into(), 1.5);
        let e = adamw.load_state(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "AdamW::load_state: scalar `0.0.step` = 1.5 is not a step count"
        );
    }
}
