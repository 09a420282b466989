//! Building the optimizers of `fixtures/optimizers.json`.

use serde_json::Value;
use youshi_autograd::Param;
use youshi_optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, GroupOptions, Optimizer,
    ParamGroup, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
use youshi_tensor::{Element, Tensor};

use super::{dims, nums, tensor};

const FIXTURE: &str = include_str!("../fixtures/optimizers.json");

/// PyTorch's keyword arguments as group options (unknown names fail the test).
pub fn options(v: &Value) -> GroupOptions {
    let mut o = GroupOptions::default();
    for (k, v) in v.as_object().expect("an object of options") {
        let f = || v.as_f64().expect("a number");
        let b = || v.as_bool().expect("a flag");
        match k.as_str() {
            "lr" => o.lr = Some(f()),
            "weight_decay" => o.weight_decay = Some(f()),
            "maximize" => o.maximize = Some(b()),
            "momentum" => o.momentum = Some(f()),
            "dampening" => o.dampening = Some(f()),
            "nesterov" => o.nesterov = Some(b()),
            "betas" => {
                let bs = nums(v);
                o.betas = Some((bs[0], bs[1]));
            }
            "eps" => o.eps = Some(f()),
            "amsgrad" => o.amsgrad = Some(b()),
            "alpha" => o.alpha = Some(f()),
            "centered" => o.centered = Some(b()),
            "lr_decay" => o.lr_decay = Some(f()),
            other => panic!("unknown option {other}"),
        }
    }
    o
}

/// The optimizer `kind` with PyTorch's `defaults` over `groups`.
pub fn build<T: Element>(
    kind: &str,
    defaults: &Value,
    groups: Vec<ParamGroup<T>>,
) -> Box<dyn Optimizer<T>> {
    let initial_accumulator_value = defaults
        .get("initial_accumulator_value")
        .map(|v| v.as_f64().unwrap());
    let mut without = defaults.clone();
    without
        .as_object_mut()
        .unwrap()
        .remove("initial_accumulator_value");
    let d = &options(&without);
    match kind {
        "SGD" => {
            let mut c = SgdConfig::default();
            c.lr = d.lr.unwrap_or(c.lr);
            c.momentum = d.momentum.unwrap_or(c.momentum);
            c.dampening = d.dampening.unwrap_or(c.dampening);
            c.weight_decay = d.weight_decay.unwrap_or(c.weight_decay);
            c.nesterov = d.nesterov.unwrap_or(c.nesterov);
            c.maximize = d.maximize.unwrap_or(c.maximize);
            Box::new(Sgd::with_groups(groups, c).unwrap())
        }
        "Adam" | "AdamW" => {
            let mut c = AdamConfig::default();
            if kind == "AdamW" {
                c.weight_decay = AdamWConfig::default().weight_decay;
            }
            c.lr = d.lr.unwrap_or(c.lr);
            (c.beta1, c.beta2) = d.betas.unwrap_or((c.beta1, c.beta2));
            c.eps = d.eps.unwrap_or(c.eps);
            c.weight_decay = d.weight_decay.unwrap_or(c.weight_decay);
            c.amsgrad = d.amsgrad.unwrap_or(c.amsgrad);
            c.maximize = d.maximize.unwrap_or(c.maximize);
            if kind == "Adam" {
                Box::new(Adam::with_groups(groups, c).unwrap())
            } else {
                let w = AdamWConfig::default()
                    .lr(c.lr)
                    .betas(c.beta1, c.beta2)
                    .eps(c.eps)
                    .weight_decay(c.weight_decay)
                    .amsgrad(c.amsgrad)
                    .maximize(c.maximize);
                Box::new(AdamW::with_groups(groups, w).unwrap())
            }
        }
        "RMSprop" => {
            let mut c = RmsPropConfig::default();
            c.lr = d.lr.unwrap_or(c.lr);
            c.alpha = d.alpha.unwrap_or(c.alpha);
            c.eps = d.eps.unwrap_or(c.eps);
            c.weight_decay = d.weight_decay.unwrap_or(c.weight_decay);
            c.momentum = d.momentum.unwrap_or(c.momentum);
            c.centered = d.centered.unwrap_or(c.centered);
            c.maximize = d.maximize.unwrap_or(c.maximize);
            Box::new(RmsProp::with_groups(groups, c).unwrap())
        }
        "Adagrad" => {
            let mut c = AdagradConfig::default();
            c.lr = d.lr.unwrap_or(c.lr);
            c.lr_decay = d.lr_decay.unwrap_or(c.lr_decay);
            c.weight_decay = d.weight_decay.unwrap_or(c.weight_decay);
            c.initial_accumulator_value =
                initial_accumulator_value.unwrap_or(c.initial_accumulator_value);
            c.eps = d.eps.unwrap_or(c.eps);
            c.maximize = d.maximize.unwrap_or(c.maximize);
            Box::new(Adagrad::with_groups(groups, c).unwrap())
        }
        other => panic!("unknown optimizer {other}"),
    }
}

pub struct Fixture {
    pub init: Vec<Tensor<f64>>,
    pub grads: Vec<Vec<Option<Tensor<f64>>>>,
    pub cases: Vec<Value>,
}

pub fn fixture() -> Fixture {
    let v: Value = serde_json::from_str(FIXTURE).unwrap();
    let shapes: Vec<Vec<usize>> = v["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| dims(&p["shape"]))
        .collect();
    let init = v["params"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&shapes)
        .map(|(p, s)| tensor(s, nums(&p["data"])))
        .collect();
    let grads = v["grads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .zip(&shapes)
                .map(|(g, s)| (!g.is_null()).then(|| tensor(s, nums(g))))
                .collect()
        })
        .collect();
    Fixture {
        init,
        grads,
        cases: v["cases"].as_array().unwrap().clone(),
    }
}

/// The groups of a case over `params` (indices into the fixture's parameters).
pub fn groups<T: Element>(case: &Value, params: &[Param<T>]) -> Vec<ParamGroup<T>> {
    case["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let ps = g["params"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| params[i.as_u64().unwrap() as usize].clone())
                .collect();
            let o = g.get("options").map(options).unwrap_or_default();
            ParamGroup::with_options(ps, o)
        })
        .collect()
}

/// Sets step `step`'s gradients (or none) on `params`.
pub fn set_grads<T: Element>(fx: &Fixture, step: usize, params: &[Param<T>]) {
    for (p, g) in params.iter().zip(&fx.grads[step]) {
        p.set_grad(g.as_ref().map(|g| g.cast::<T>())).unwrap();
    }
}
