//! Parameter groups: parameters trained with their own options, as PyTorch's `param_groups`.
//!
//! An optimizer is built from one configuration (its defaults, e.g. [`AdamConfig`]) and one or
//! more [`ParamGroup`]s. A group holds parameters and may override any option for them; options
//! it leaves unset take the configuration's value, exactly as a PyTorch group dict falls back
//! to the optimizer's `defaults`. The usual case, no weight decay on biases and normalisation
//! weights, has a helper: [`decay_groups`].
//!
//! ```
//! use youshi_layers::{LayerNorm, Linear, ModuleExt, Sequential};
//! use youshi_optim::{decay_groups, AdamConfig, AdamW, Optimizer};
//! use youshi_tensor::seeded_rng;
//!
//! let mut rng = seeded_rng(0);
//! let model: Sequential<f64> = Sequential::new()
//!     .add(Linear::new(4, 8, &mut rng)?)
//!     .add(LayerNorm::new(&[8])?);
//! // `0.weight` decays; `0.bias`, `1.weight` and `1.bias` do not.
//! let groups = decay_groups(&model.named_params(), 0.05);
//! assert_eq!((groups[0].len(), groups[1].len()), (1, 3));
//! let opt = AdamW::with_groups(groups, AdamConfig::adamw().lr(3e-4))?;
//! assert_eq!(opt.params().len(), 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`AdamConfig`]: crate::AdamConfig

use youshi_autograd::Param;
use youshi_tensor::Element;

use crate::error::{OptimError, Result};

/// Options a [`ParamGroup`] may set for its parameters; `None` means "the optimizer's
/// default". Each optimizer accepts the options it has and rejects the others with
/// [`OptimError::Config`], so that a misplaced option (betas on an SGD group) is not silently
/// ignored.
///
/// Adagrad's `initial_accumulator_value` is not a group option: PyTorch fills every
/// accumulator from the optimizer-wide value and ignores a group's, so it is set on
/// [`AdagradConfig`](crate::AdagradConfig) only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupOptions {
    /// Learning rate (all optimizers).
    pub lr: Option<f64>,
    /// L2 penalty, or decoupled decay for AdamW (all optimizers).
    pub weight_decay: Option<f64>,
    /// Maximise the objective instead of minimising it (all optimizers).
    pub maximize: Option<bool>,
    /// Momentum factor (SGD, RMSprop).
    pub momentum: Option<f64>,
    /// Dampening of the momentum (SGD).
    pub dampening: Option<f64>,
    /// Nesterov momentum (SGD).
    pub nesterov: Option<bool>,
    /// `(beta1, beta2)` (Adam, AdamW).
    pub betas: Option<(f64, f64)>,
    /// Term added to the denominator (Adam, AdamW, RMSprop, Adagrad).
    pub eps: Option<f64>,
    /// AMSGrad variant (Adam, AdamW).
    pub amsgrad: Option<bool>,
    /// Smoothing constant of the squared-gradient average (RMSprop).
    pub alpha: Option<f64>,
    /// Centred RMSprop (normalise by the variance estimate).
    pub centered: Option<bool>,
    /// Learning-rate decay (Adagrad).
    pub lr_decay: Option<f64>,
}

impl GroupOptions {
    /// The names of the options that are set, in declaration order.
    pub fn set_names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let flags: [(&'static str, bool); 12] = [
            ("lr", self.lr.is_some()),
            ("weight_decay", self.weight_decay.is_some()),
            ("maximize", self.maximize.is_some()),
            ("momentum", self.momentum.is_some()),
            ("dampening", self.dampening.is_some()),
            ("nesterov", self.nesterov.is_some()),
            ("betas", self.betas.is_some()),
            ("eps", self.eps.is_some()),
            ("amsgrad", self.amsgrad.is_some()),
            ("alpha", self.alpha.is_some()),
            ("centered", self.centered.is_some()),
            ("lr_decay", self.lr_decay.is_some()),
        ];
        for (name, set) in flags {
            if set {
                out.push(name);
            }
        }
        out
    }

    /// Fails with [`OptimError::Config`] if an option outside `allowed` is set, naming the
    /// optimizer, the group and the option.
    ///
    /// # Errors
    /// As described.
    pub fn check_allowed(&self, op: &'static str, group: usize, allowed: &[&str]) -> Result<()> {
        for name in self.set_names() {
            if !allowed.contains(&name) {
                return Err(OptimError::config(
                    op,
                    format!(
                        "parameter group {group} sets `{name}`, which is not an option of {op} (options: {})",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Parameters trained together with their own options (PyTorch's parameter-group dict).
///
/// Options left unset fall back to the optimizer's configuration.
///
/// # Examples
/// ```
/// use youshi_autograd::Param;
/// use youshi_optim::{ParamGroup, Sgd, SgdConfig, HyperParams};
/// use youshi_tensor::Tensor;
/// let w = Param::new(Tensor::<f64>::ones([3, 2]));
/// let b = Param::new(Tensor::<f64>::zeros([3]));
/// let opt = Sgd::with_groups(
///     vec![
///         ParamGroup::new(vec![w]).weight_decay(1e-4),
///         ParamGroup::new(vec![b]).lr(0.5),
///     ],
///     SgdConfig::default().lr(0.1).momentum(0.9),
/// )?;
/// assert_eq!((opt.lr(0), opt.lr(1)), (0.1, 0.5));
/// assert_eq!(opt.momentum(1), Some(0.9));
/// # Ok::<(), youshi_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ParamGroup<T: Element = f32> {
    params: Vec<Param<T>>,
    options: GroupOptions,
}

impl<T: Element> ParamGroup<T> {
    /// A group of `params` with every option at the optimizer's default.
    pub fn new(params: Vec<Param<T>>) -> Self {
        ParamGroup {
            params,
            options: GroupOptions::default(),
        }
    }

    /// A group of `params` with the given options.
    pub fn with_options(params: Vec<Param<T>>, options: GroupOptions) -> Self {
        ParamGroup { params, options }
    }

    /// The group's parameters.
    pub fn params(&self) -> &[Param<T>] {
        &self.params
    }

    /// The number of parameters (tensors) in the group.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// True if the group holds no parameter.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The options the group overrides.
    pub fn options(&self) -> &GroupOptions {
        &self.options
    }

    /// Splits the group into its parameters and options.
    pub fn into_parts(self) -> (Vec<Param<T>>, GroupOptions) {
        (self.params, self.options)
    }

    /// Sets the learning rate.
    pub fn lr(mut self, lr: f64) -> Self {
        self.options.lr = Some(lr);
        self
    }

    /// Sets the weight decay.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.options.weight_decay = Some(weight_decay);
        self
    }

    /// Maximises instead of minimising.
    pub fn maximize(mut self, maximize: bool) -> Self {
        self.options.maximize = Some(maximize);
        self
    }

    /// Sets the momentum (SGD, RMSprop).
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.options.momentum = Some(momentum);
        self
    }

    /// Sets the dampening (SGD).
    pub fn dampening(mut self, dampening: f64) -> Self {
        self.options.dampening = Some(dampening);
        self
    }

    /// Turns Nesterov momentum on or off (SGD).
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.options.nesterov = Some(nesterov);
        self
    }

    /// Sets `(beta1, beta2)` (Adam, AdamW).
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.options.betas = Some((beta1, beta2));
        self
    }

    /// Sets the denominator's epsilon (Adam, AdamW, RMSprop, Adagrad).
    pub fn eps(mut self, eps: f64) -> Self {
        self.options.eps = Some(eps);
        self
    }

    /// Turns AMSGrad on or off (Adam, AdamW).
    pub fn amsgrad(mut self, amsgrad: bool) -> Self {
        self.options.amsgrad = Some(amsgrad);
        self
    }

    /// Sets the smoothing constant (RMSprop).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.options.alpha = Some(alpha);
        self
    }

    /// Turns centring on or off (RMSprop).
    pub fn centered(mut self, centered: bool) -> Self {
        self.options.centered = Some(centered);
        self
    }

    /// Sets the learning-rate decay (Adagrad).
    pub fn lr_decay(mut self, lr_decay: f64) -> Self {
        self.options.lr_decay = Some(lr_decay);
        self
    }
}

impl<T: Element> From<Vec<Param<T>>> for ParamGroup<T> {
    fn from(params: Vec<Param<T>>) -> Self {
        ParamGroup::new(params)
    }
}

/// True for a parameter that conventionally takes no weight decay: a bias (its name ends in
/// `bias`) or any parameter with at most one dimension (normalisation weights and biases,
/// scalars).
pub fn is_no_decay<T: Element>(name: &str, param: &Param<T>) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    last == "bias" || last.ends_with("_bias") || param.shape().len() <= 1
}

/// Splits a model's named parameters (`ModuleExt::named_params`) into the ones that take weight
/// decay and the ones that do not (see [`is_no_decay`]), keeping their order.
pub fn split_decay<T: Element>(named: &[(String, Param<T>)]) -> (Vec<Param<T>>, Vec<Param<T>>) {
    let mut decay = Vec::new();
    let mut no_decay = Vec::new();
    for (name, p) in named {
        if is_no_decay(name, p) {
            no_decay.push(p.clone());
        } else {
            decay.push(p.clone());
        }
    }
    (decay, no_decay)
}

/// Two groups from a model's named parameters: `[decay with weight_decay, no-decay with 0]`,
/// the usual recipe for AdamW and SGD (see [`split_decay`]). Both groups are returned even if
/// one is empty, so group indices are stable.
pub fn decay_groups<T: Element>(
    named: &[(String, Param<T>)],
    weight_decay: f64,
) -> Vec<ParamGroup<T>> {
    let (decay, no_decay) = split_decay(named);
    vec![
        ParamGroup::new(decay).weight_decay(weight_decay),
        ParamGroup::new(no_decay).weight_decay(0.0),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use youshi_tensor::Tensor;

    fn p(shape: &[usize]) -> Param<f64> {
        Param::new(Tensor::zeros(shape))
    }

    #[test]
    fn split_decay_by_name_and_rank() {
        let named = vec![
            ("0.weight".to_string(), p(&[3, 2])),
            ("0.bias".to_string(), p(&[3])),
            ("norm.weight".to_string(), p(&[3])),
            ("conv.weight".to_string(), p(&[4, 3, 3, 3])),
            ("rnn.bias_ih".to_string(), p(&[8])),
            ("attn.in_proj_bias".to_string(), p(&[2, 4])),
            ("scale".to_string(), p(&[])),
        ];
        let (decay, no_decay) = split_decay(&named);
        assert_eq!(decay.len(), 2);
        assert!(decay[0].ptr_eq(&named[0].1));
        assert!(decay[1].ptr_eq(&named[3].1));
        assert_eq!(no_decay.len(), 5);
        let groups = decay_groups(&named, 0.1);
        assert_eq!(groups[0].options().weight_decay, Some(0.1));
        assert_eq!(groups[1].options().weight_decay, Some(0.0));
        assert_eq!(groups[1].len(), 5);
    }

    #[test]
    fn options_outside_the_optimizer_are_named() {
        let o = ParamGroup::new(vec![p(&[1])]).betas(0.5, 0.6).lr(0.1);
        assert_eq!(o.options().set_names(), ["lr", "betas"]);
        let e = o
            .options()
            .check_allowed("SGD", 2, &["lr", "momentum"])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "SGD: parameter group 2 sets `betas`, which is not an option of SGD (options: lr, momentum)"
        );
        assert!(o
            .options()
            .check_allowed("Adam", 0, &["lr", "betas"])
            .is_ok());
    }
}
