//! [`RmsProp`]: RMSprop with momentum and centring, PyTorch's `torch.optim.RMSprop`.

use youshi_autograd::Param;
use youshi_tensor::ndarray::Zip;
use youshi_tensor::{Element, Tensor};

use crate::adam::lerp;
use crate::error::Result;
use crate::group::{GroupOptions, ParamGroup};
use crate::groupset::{
    buffer, check_non_negative, flag, from_flag, hyper_params_via_groups, optional_buffer, scalar,
    single_group, step_count, GroupConfig, GroupSet, ParamSlots, Scalars, Tensors,
};
use crate::optimizer::{HyperParams, Optimizer, OptimizerState};

/// Options of [`RmsProp`], with PyTorch's defaults (`lr = 1e-2`, `alpha = 0.99`,
/// `eps = 1e-8`, no momentum, not centred).
///
/// # Examples
/// ```
/// use youshi_optim::RmsPropConfig;
/// let cfg = RmsPropConfig::default().momentum(0.9).centered(true);
/// assert_eq!((cfg.lr, cfg.alpha), (1e-2, 0.99));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropConfig {
    /// Learning rate (`>= 0`).
    pub lr: f64,
    /// Smoothing constant of the squared-gradient average (`>= 0`).
    pub alpha: f64,
    /// Term added to the denominator (`>= 0`).
    pub eps: f64,
    /// L2 penalty added to the gradient (`>= 0`).
    pub weight_decay: f64,
    /// Momentum factor (`>= 0`; 0 turns momentum off).
    pub momentum: f64,
    /// Normalise by the estimated variance (squared average minus squared mean).
    pub centered: bool,
    /// Maximise the objective instead of minimising it.
    pub maximize: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false,
        }
    }
}

impl RmsPropConfig {
    /// Sets the learning rate.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// Sets the smoothing constant.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
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
    /// Sets the momentum factor.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }
    /// Turns centring on or off.
    pub fn centered(mut self, centered: bool) -> Self {
        self.centered = centered;
        self
    }
    /// Maximises instead of minimising.
    pub fn maximize(mut self, maximize: bool) -> Self {
        self.maximize = maximize;
        self
    }
}

impl GroupConfig for RmsPropConfig {
    const OPTIONS: &'static [&'static str] = &[
        "lr",
        "alpha",
        "eps",
        "weight_decay",
        "momentum",
        "centered",
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
        RmsPropConfig {
            lr: o.lr.unwrap_or(self.lr),
            alpha: o.alpha.unwrap_or(self.alpha),
            eps: o.eps.unwrap_or(self.eps),
            weight_decay: o.weight_decay.unwrap_or(self.weight_decay),
            momentum: o.momentum.unwrap_or(self.momentum),
            centered: o.centered.unwrap_or(self.centered),
            maximize: o.maximize.unwrap_or(self.maximize),
        }
    }

    fn validate(&self, op: &'static str, group: Option<usize>) -> Result<()> {
        check_non_negative(op, "lr", self.lr, group)?;
        check_non_negative(op, "eps", self.eps, group)?;
        check_non_negative(op, "momentum", self.momentum, group)?;
        check_non_negative(op, "weight_decay", self.weight_decay, group)?;
        check_non_negative(op, "alpha", self.alpha, group)
    }

    fn save(&self, prefix: &str, out: &mut Scalars) {
        out.insert(format!("{prefix}lr"), self.lr);
        out.insert(format!("{prefix}alpha"), self.alpha);
        out.insert(format!("{prefix}eps"), self.eps);
        out.insert(format!("{prefix}weight_decay"), self.weight_decay);
        out.insert(format!("{prefix}momentum"), self.momentum);
        out.insert(format!("{prefix}centered"), from_flag(self.centered));
        out.insert(format!("{prefix}maximize"), from_flag(self.maximize));
    }

    fn load(prefix: &str, s: &Scalars, op: &'static str) -> Result<Self> {
        Ok(RmsPropConfig {
            lr: scalar(s, &format!("{prefix}lr"), op)?,
            alpha: scalar(s, &format!("{prefix}alpha"), op)?,
            eps: scalar(s, &format!("{prefix}eps"), op)?,
            weight_decay: scalar(s, &format!("{prefix}weight_decay"), op)?,
            momentum: scalar(s, &format!("{prefix}momentum"), op)?,
            centered: flag(s, &format!("{prefix}centered"), op)?,
            maximize: flag(s, &format!("{prefix}maximize"), op)?,
        })
    }
}

/// RMSprop's per-parameter state.
#[derive(Debug, Clone)]
pub(crate) struct RmsPropState<T: Element> {
    step: f64,
    square_avg: Tensor<T>,
    momentum_buffer: Option<Tensor<T>>,
    grad_avg: Option<Tensor<T>>,
}

impl<T: Element> ParamSlots<T> for RmsPropState<T> {
    fn save(&self, prefix: &str, tensors: &mut Tensors<T>, scalars: &mut Scalars) {
        scalars.insert(format!("{prefix}step"), self.step);
        tensors.insert(format!("{prefix}square_avg"), self.square_avg.clone());
        if let Some(b) = &self.momentum_buffer {
            tensors.insert(format!("{prefix}momentum_buffer"), b.clone());
        }
        if let Some(a) = &self.grad_avg {
            tensors.insert(format!("{prefix}grad_avg"), a.clone());
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
        Ok(Some(RmsPropState {
            step: step_count(scalars, &step_key, op)?,
            square_avg: buffer(tensors, &format!("{prefix}square_avg"), shape, op)?,
            momentum_buffer: optional_buffer(
                tensors,
                &format!("{prefix}momentum_buffer"),
                shape,
                op,
            )?,
            grad_avg: optional_buffer(tensors, &format!("{prefix}grad_avg"), shape, op)?,
        }))
    }
}

/// One RMSprop step on one parameter, PyTorch's `_single_tensor_rmsprop`.
fn rmsprop_update<T: Element>(
    cfg: &RmsPropConfig,
    slot: &mut Option<RmsPropState<T>>,
    value: &mut Tensor<T>,
    grad: &Tensor<T>,
) {
    let st = slot.get_or_insert_with(|| RmsPropState {
        step: 0.0,
        square_avg: Tensor::zeros(grad.shape()),
        momentum_buffer: None,
        grad_avg: None,
    });
    // PyTorch creates these buffers when the state is created; creating them when first
    // needed gives the same numbers and also covers options changed later (a schedule
    // cycling the momentum up from 0).
    if cfg.momentum > 0.0 && st.momentum_buffer.is_none() {
        st.momentum_buffer = Some(Tensor::zeros(grad.shape()));
    }
    if cfg.centered && st.grad_avg.is_none() {
        st.grad_avg = Some(Tensor::zeros(grad.shape()));
    }
    st.step += 1.0;
    let maximize = cfg.maximize;
    let decay = cfg.weight_decay != 0.0;
    let wd = T::of(cfg.weight_decay);
    let alpha = T::of(cfg.alpha);
    let w = T::of(1.0 - cfg.alpha);
    let eps = T::of(cfg.eps);
    let neg_lr = T::of(-cfg.lr);
    let m = T::of(cfg.momentum);
    let use_momentum = cfg.momentum > 0.0;
    let prepare = move |p: T, g: T| {
        let g = if maximize { -g } else { g };
        if decay {
            g + wd * p
        } else {
            g
        }
    };
    let RmsPropState {
        square_avg,
        momentum_buffer,
        grad_avg,
        ..
    } = st;
    // Placeholders stand in for unused buffers so that one loop covers every case.
    let mut none_b = Tensor::<T>::zeros([0]);
    let mut none_a = Tensor::<T>::zeros([0]);
    let centered = cfg.centered;
    let mut v = value.array_mut();
    let mut sq = square_avg.array_mut();
    let gv = grad.view();
    let update = |p: &mut T, g: T, sq: &mut T, avg_g: Option<&mut T>, buf: Option<&mut T>| {
        let g = prepare(*p, g);
        *sq = *sq * alpha + w * g * g;
        let avg = match avg_g {
            Some(a) => {
                *a = lerp(*a, g, w);
                (*sq + -*a * *a).sqrt()
            }
            None => sq.sqrt(),
        } + eps;
        match buf {
            Some(b) => {
                *b = *b * m + g / avg;
                *p += neg_lr * *b;
            }
            None => *p += neg_lr * g / avg,
        }
    };
    match (
        centered,
        use_momentum,
        grad_avg.as_mut().unwrap_or(&mut none_a),
        momentum_buffer.as_mut().unwrap_or(&mut none_b),
    ) {
        (true, true, a, b) => Zip::from(&mut v)
            .and(&gv)
            .and(&mut sq)
            .and(&mut a.array_mut())
            .and(&mut b.array_mut())
            .for_each(|p, &g, s, a, b| update(p, g, s, Some(a), Some(b))),
        (true, false, a, _) => Zip::from(&mut v)
            .and(&gv)
            .and(&mut sq)
            .and(&mut a.array_mut())
            .for_each(|p, &g, s, a| update(p, g, s, Some(a), None)),
        (false, true, _, b) => Zip::from(&mut v)
            .and(&gv)
            .and(&mut sq)
            .and(&mut b.array_mut())
            .for_each(|p, &g, s, b| update(p, g, s, None, Some(b))),
        (false, false, _, _) => Zip::from(&mut v)
            .and(&gv)
            .and(&mut sq)
            .for_each(|p, &g, s| update(p, g, s, None, None)),
    }
}

/// RMSprop, PyTorch's `torch.optim.RMSprop` (single-tensor formulas).
///
/// For each parameter `p` with gradient `g` (negated if `maximize`):
/// ```text
/// g = g + weight_decay * p                    if weight_decay != 0
/// s = alpha * s + (1 - alpha) * g²
/// a = lerp(a, g, 1 - alpha);  d = sqrt(s - a²) + eps     if centered
///                              d = sqrt(s) + eps          otherwise
/// b = momentum * b + g / d;  p = p - lr * b                if momentum > 0
/// p = p - lr * g / d                                      otherwise
/// ```
///
/// State keys: `"<group>.<index>.step"`, `.square_avg`, `.momentum_buffer` (momentum),
/// `.grad_avg` (centred); group options `lr`, `alpha`, `eps`, `weight_decay`, `momentum`,
/// `centered`, `maximize` and `initial_lr`.
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{Optimizer, RmsProp, RmsPropConfig};
/// use youshi_tensor::Tensor;
/// let w = Param::new(Tensor::<f64>::from_vec(vec![1.0], [1])?);
/// let mut opt = RmsProp::new(vec![w.clone()], RmsPropConfig::default().lr(0.01).alpha(0.75))?;
/// w.set_grad(Some(Tensor::from_vec(vec![2.0], [1])?))?;
/// opt.step()?; // s = 0.25 * 4 = 1, so p = 1 - 0.01 * 2 / (1 + 1e-8)
/// assert!((w.value().to_vec()[0] - 0.98).abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RmsProp<T: Element = f32> {
    groups: GroupSet<T, RmsPropConfig, RmsPropState<T>>,
}

impl<T: Element> RmsProp<T> {
    /// RMSprop over `params` (one group) with the options `cfg`.
    ///
    /// # Errors
    /// [`OptimError::Config`](crate::OptimError::Config) as PyTorch's constructor: `lr`,
    /// `eps`, `momentum`, `weight_decay` or `alpha` negative (or NaN), a parameter listed
    /// twice, an empty list.
    pub fn new(params: Vec<Param<T>>, cfg: RmsPropConfig) -> Result<Self> {
        Self::with_groups(single_group("RMSprop", params)?, cfg)
    }

    /// RMSprop over parameter groups, each group's unset options taken from `cfg`.
    ///
    /// # Errors
    /// As [`new`](RmsProp::new), for `cfg` and every group; a group setting an option RMSprop
    /// does not have; no group at all.
    pub fn with_groups(groups: Vec<ParamGroup<T>>, cfg: RmsPropConfig) -> Result<Self> {
        Ok(RmsProp {
            groups: GroupSet::new("RMSprop", groups, &cfg)?,
        })
    }

    /// The options of group `group`, if it exists.
    pub fn config(&self, group: usize) -> Option<&RmsPropConfig> {
        self.groups.config(group)
    }
}

hyper_params_via_groups!(RmsProp);

impl<T: Element> Optimizer<T> for RmsProp<T> {
    fn name(&self) -> &'static str {
        "RMSprop"
    }

    fn step(&mut self) -> Result<()> {
        self.groups.step_each("RMSprop::step", rmsprop_update)
    }

    fn zero_grad(&self) {
        self.groups.zero_grad();
    }

    fn params(&self) -> Vec<Param<T>> {
        self.groups.params()
    }

    fn state(&self) -> OptimizerState<T> {
        self.groups.state("RMSprop")
    }

    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<()> {
        self.groups
            .load_state("RMSprop", state, "RMSprop::load_state")
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
        let d = RmsPropConfig::default();
        let err = |c: RmsPropConfig| RmsProp::new(vec![param()], c).unwrap_err().to_string();
        assert_eq!(err(d.lr(-1.0)), "RMSprop: invalid lr = -1: must be >= 0");
        assert_eq!(err(d.eps(-1.0)), "RMSprop: invalid eps = -1: must be >= 0");
        assert_eq!(
            err(d.momentum(-0.5)),
            "RMSprop: invalid momentum = -0.5: must be >= 0"
        );
        assert_eq!(
            err(d.weight_decay(-0.5)),
            "RMSprop: invalid weight_decay = -0.5: must be >= 0"
        );
        assert_eq!(
            err(d.alpha(-0.5)),
            "RMSprop: invalid alpha = -0.5: must be >= 0"
        );
        let e = RmsProp::with_groups(vec![ParamGroup::new(vec![param()]).nesterov(true)], d)
            .unwrap_err();
        assert!(e.to_string().contains("sets `nesterov`"), "{e}");
    }

    #[test]
    fn momentum_raised_after_the_first_step_starts_a_buffer() {
        let p = param();
        let mut opt = RmsProp::new(vec![p.clone()], RmsPropConfig::default()).unwrap();
        p.set_grad(Some(Tensor::ones([2]))).unwrap();
        opt.step().unwrap();
        assert!(!opt.state().tensors.contains_key("0.0.momentum_buffer"));
        assert!(opt.set_momentum(0, 0.9));
        opt.step().unwrap();
        assert!(opt.state().tensors.contains_key("0.0.momentum_buffer"));
        assert_eq!(opt.state().scalars["0.0.step"], 2.0);
    }
}
