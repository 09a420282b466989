//! Learning-rate schedules against PyTorch (`fixtures/optim.py` → `fixtures/schedules.json`):
//! the rate of each of two parameter groups (and the momentum, for one-cycle) at construction
//! and after every step, bit for bit.

mod common;

use common::{close, max_rel, num, nums};
use serde_json::Value;
use youshi_autograd::Param;
use youshi_optim::{
    Adam, AdamConfig, Anneal, ConstantLr, CosineAnnealingLr, CosineAnnealingWarmRestarts,
    ExponentialLr, HyperParams, LinearLr, LrScheduler, MultiStepLr, OneCycleConfig, OneCycleLr,
    Optimizer, ParamGroup, PlateauConfig, PlateauMode, ReduceLrOnPlateau, SequentialLr, Sgd,
    SgdConfig, StepLr, ThresholdMode,
};
use youshi_tensor::Tensor;

const FIXTURE: &str = include_str!("fixtures/schedules.json");

/// The fixture's optimizer: two groups with rates 0.1 and 0.05.
pub fn optimizer(kind: &str) -> Box<dyn Optimizer<f64>> {
    let groups = || {
        vec![
            ParamGroup::new(vec![Param::new(Tensor::<f64>::zeros([2]))]),
            ParamGroup::new(vec![Param::new(Tensor::<f64>::zeros([3]))]).lr(0.05),
        ]
    };
    match kind {
        "SGD" => Box::new(
            Sgd::with_groups(groups(), SgdConfig::default().lr(0.1).momentum(0.9)).unwrap(),
        ),
        "Adam" => Box::new(Adam::with_groups(groups(), AdamConfig::default().lr(0.1)).unwrap()),
        other => panic!("unknown optimizer {other}"),
    }
}

fn f(args: &Value, key: &str, default: f64) -> f64 {
    args.get(key).map(num).unwrap_or(default)
}

fn u(args: &Value, key: &str, default: usize) -> usize {
    args.get(key)
        .map(|v| v.as_u64().expect("a count") as usize)
        .unwrap_or(default)
}

fn b(args: &Value, key: &str, default: bool) -> bool {
    args.get(key)
        .map(|v| v.as_bool().expect("a flag"))
        .unwrap_or(default)
}

fn s<'a>(args: &'a Value, key: &str, default: &'a str) -> &'a str {
    args.get(key)
        .map(|v| v.as_str().expect("a string"))
        .unwrap_or(default)
}

/// A float or a list of floats.
enum OneOrMany {
    One(f64),
    Many(Vec<f64>),
}

fn one_or_many(v: &Value) -> OneOrMany {
    if v.is_array() {
        OneOrMany::Many(nums(v))
    } else {
        OneOrMany::One(num(v))
    }
}

/// The schedule a fixture spec describes, built on `opt` as PyTorch's constructor would be.
pub fn build(spec: &Value, opt: &mut dyn HyperParams) -> Box<dyn LrScheduler> {
    let a = &spec["args"];
    match spec["kind"].as_str().unwrap() {
        "StepLR" => Box::new(StepLr::new(opt, u(a, "step_size", 0), f(a, "gamma", 0.1)).unwrap()),
        "MultiStepLR" => {
            let ms: Vec<usize> = a["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_u64().unwrap() as usize)
                .collect();
            Box::new(MultiStepLr::new(opt, &ms, f(a, "gamma", 0.1)).unwrap())
        }
        "ExponentialLR" => Box::new(ExponentialLr::new(opt, f(a, "gamma", 0.0)).unwrap()),
        "CosineAnnealingLR" => {
            Box::new(CosineAnnealingLr::new(opt, u(a, "T_max", 0), f(a, "eta_min", 0.0)).unwrap())
        }
        "CosineAnnealingWarmRestarts" => Box::new(
            CosineAnnealingWarmRestarts::new(
                opt,
                u(a, "T_0", 0),
                u(a, "T_mult", 1),
                f(a, "eta_min", 0.0),
            )
            .unwrap(),
        ),
        "LinearLR" => Box::new(
            LinearLr::new(
                opt,
                f(a, "start_factor", 1.0 / 3.0),
                f(a, "end_factor", 1.0),
                u(a, "total_iters", 5),
            )
            .unwrap(),
        ),
        "ConstantLR" => Box::new(
            ConstantLr::new(opt, f(a, "factor", 1.0 / 3.0), u(a, "total_iters", 5)).unwrap(),
        ),
        "OneCycleLR" => {
            let max_lr = one_or_many(&a["max_lr"]);
            let first = match &max_lr {
                OneOrMany::One(v) => *v,
                OneOrMany::Many(v) => v[0],
            };
            let mut cfg = match a.get("total_steps") {
                Some(t) => OneCycleConfig::new(first, t.as_u64().unwrap() as usize),
                None => OneCycleConfig::with_epochs(
                    first,
                    u(a, "epochs", 0),
                    u(a, "steps_per_epoch", 0),
                ),
            };
            if let OneOrMany::Many(v) = max_lr {
                cfg = cfg.max_lrs(v);
            }
            cfg = cfg
                .pct_start(f(a, "pct_start", 0.3))
                .anneal(match s(a, "anneal_strategy", "cos") {
                    "cos" => Anneal::Cos,
                    "linear" => Anneal::Linear,
                    other => panic!("unknown anneal strategy {other}"),
                })
                .cycle_momentum(b(a, "cycle_momentum", true))
                .base_momentum(f(a, "base_momentum", 0.85))
                .max_momentum(f(a, "max_momentum", 0.95))
                .div_factor(f(a, "div_factor", 25.0))
                .final_div_factor(f(a, "final_div_factor", 1e4))
                .three_phase(b(a, "three_phase", false));
            Box::new(OneCycleLr::new(opt, cfg).unwrap())
        }
        "SequentialLR" => {
            let stages: Vec<Box<dyn LrScheduler>> = a["schedulers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|st| build(st, opt))
                .collect();
            let ms: Vec<usize> = a["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_u64().unwrap() as usize)
                .collect();
            Box::new(SequentialLr::new(opt, stages, &ms).unwrap())
        }
        "ReduceLROnPlateau" => {
            let mut cfg = PlateauConfig::default()
                .mode(match s(a, "mode", "min") {
                    "min" => PlateauMode::Min,
                    "max" => PlateauMode::Max,
                    other => panic!("unknown mode {other}"),
                })
                .factor(f(a, "factor", 0.1))
                .patience(u(a, "patience", 10))
                .threshold(
                    f(a, "threshold", 1e-4),
                    match s(a, "threshold_mode", "rel") {
                        "rel" => ThresholdMode::Rel,
                        "abs" => ThresholdMode::Abs,
                        other => panic!("unknown threshold mode {other}"),
                    },
                )
                .cooldown(u(a, "cooldown", 0))
                .eps(f(a, "eps", 1e-8));
            cfg = match a.get("min_lr").map(one_or_many) {
                None => cfg,
                Some(OneOrMany::One(v)) => cfg.min_lr(v),
                Some(OneOrMany::Many(v)) => cfg.min_lrs(v),
            };
            Box::new(ReduceLrOnPlateau::new(opt, cfg).unwrap())
        }
        other => panic!("unknown schedule {other}"),
    }
}

fn lrs(opt: &dyn HyperParams) -> Vec<f64> {
    (0..opt.num_groups()).map(|g| opt.lr(g)).collect()
}

fn momenta(opt: &dyn HyperParams) -> Vec<f64> {
    (0..opt.num_groups())
        .map(|g| opt.momentum(g).unwrap())
        .collect()
}

#[test]
fn rates_and_momenta_match_pytorch_at_every_step() {
    let v: Value = serde_json::from_str(FIXTURE).unwrap();
    let mut worst = (0.0f64, String::new());
    let mut exact = 0usize;
    let mut total = 0usize;
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut opt = optimizer(case["optimizer"].as_str().unwrap());
        let mut sched = build(&case["schedule"], opt.hyper_params());
        let metric = case
            .get("metric")
            .map(|m| nums(&v["metrics"][m.as_str().unwrap()]));
        let want_lrs = case["lrs"].as_array().unwrap();
        let want_moms = case["momenta"].as_array().unwrap();
        for (step, (wl, wm)) in want_lrs.iter().zip(want_moms).enumerate() {
            if step > 0 {
                let m = metric.as_ref().map(|m| m[step - 1]);
                sched.step(opt.hyper_params(), m).unwrap();
                assert_eq!(sched.last_lr(), lrs(opt.hyper_params()), "{name}: last_lr");
            }
            for (what, got, want) in [
                ("lr", lrs(opt.hyper_params()), nums(wl)),
                ("momentum", momenta(opt.hyper_params()), nums(wm)),
            ] {
                close(
                    &format!("{name}: {what} at step {step}"),
                    &got,
                    &want,
                    1e-13,
                    0.0,
                );
                let r = max_rel(&got, &want);
                if r > worst.0 {
                    worst = (r, format!("{name}, {what} at step {step}"));
                }
                exact += got.iter().zip(&want).filter(|(a, b)| a == b).count();
                total += got.len();
            }
        }
        if let Some(at) = case.get("error_at_step") {
            let at = at.as_u64().unwrap() as usize;
            assert_eq!(at, want_lrs.len(), "{name}: PyTorch raised at step {at}");
            let e = sched.step(opt.hyper_params(), None).unwrap_err();
            assert!(e.to_string().contains("tried to step"), "{name}: {e}");
        }
    }
    println!(
        "schedules: {exact} of {total} values equal to PyTorch's bit for bit; largest relative difference {:e} ({})",
        worst.0, worst.1
    );
}

/// A bare `HyperParams`: rates only, no momentum, no recorded initial rates.
struct Rates(Vec<f64>);

impl youshi_optim::HyperParams for Rates {
    fn num_groups(&self) -> usize {
        self.0.len()
    }
    fn lr(&self, group: usize) -> f64 {
        self.0[group]
    }
    fn set_lr(&mut self, group: usize, lr: f64) {
        self.0[group] = lr;
    }
    fn momentum(&self, _group: usize) -> Option<f64> {
        None
    }
    fn set_momentum(&mut self, _group: usize, _momentum: f64) -> bool {
        false
    }
}

#[test]
fn schedules_drive_any_hyper_params() {
    use youshi_optim::{
        ExponentialLr, LinearLr, LrScheduler, OneCycleConfig, OneCycleLr, SequentialLr, StepLr,
    };
    let mut r = Rates(vec![1.0, 0.5]);
    let mut s = StepLr::new(&mut r, 1, 0.5).unwrap();
    s.step(&mut r, None).unwrap();
    assert_eq!(r.0, [0.5, 0.25]);

    // Without recorded initial rates, later stages start from the current rates.
    let mut r = Rates(vec![1.0]);
    let warmup = LinearLr::new(&mut r, 0.5, 1.0, 2).unwrap();
    let decay = ExponentialLr::new(&mut r, 0.5).unwrap();
    let mut seq = SequentialLr::new(&mut r, vec![Box::new(warmup), Box::new(decay)], &[2]).unwrap();
    assert_eq!(r.0, [0.25]);
    seq.step(&mut r, None).unwrap();
    seq.step(&mut r, None).unwrap();
    assert_eq!(r.0, [0.5]); // the decay's base rate was 0.5 when it was built

    // One-cycle needs a momentum to cycle, and works without cycling.
    let e = OneCycleLr::new(&mut r, OneCycleConfig::new(1.0, 10)).unwrap_err();
    assert!(e.to_string().contains("cycle_momentum"), "{e}");
    let mut r = Rates(vec![1.0]);
    OneCycleLr::new(&mut r, OneCycleConfig::new(1.0, 10).cycle_momentum(false)).unwrap();
    assert!((r.0[0] - 0.04).abs() < 1e-15);
}
