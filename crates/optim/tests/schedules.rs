//! Learning-rate schedules against PyTorch (`fixtures/optim.py` → `fixtures/schedules.json`):
//! the rate of each of two parameter groups (and the momentum, for one-cycle) at construction
//! and after every step, bit for bit.

mod common;

use common::sched::{build, lrs, momenta, optimizer, FIXTURE};
use common::{close, max_rel, nums};
use serde_json::Value;

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
