//! Saving and restoring state resumes exactly: run N steps, save, build a fresh optimizer
//! (and schedule), load, continue M steps — the same bits as an uninterrupted run, for every
//! optimizer and schedule configuration of the fixtures and every split point.

mod common;

use common::nums;
use common::optim::{build, fixture, groups, set_grads};
use common::params_from;
use common::sched::{build as build_schedule, lrs, momenta, optimizer, FIXTURE};
use serde_json::Value;
use youshi_autograd::Param;
use youshi_optim::{Adam, AdamConfig, LrScheduler, OneCycleConfig, OneCycleLr, Optimizer};
use youshi_tensor::Tensor;

#[test]
fn every_optimizer_resumes_bit_for_bit_at_every_step() {
    let fx = fixture();
    for case in &fx.cases {
        let name = case["name"].as_str().unwrap();
        let kind = case["optimizer"].as_str().unwrap();
        let steps = case["trajectory"].as_array().unwrap().len();

        let params = params_from(&fx.init);
        let mut opt = build(kind, &case["defaults"], groups(case, &params));
        for step in 0..steps {
            opt.zero_grad();
            set_grads(&fx, step, &params);
            opt.step().unwrap();
        }
        let want: Vec<Vec<f64>> = params.iter().map(|p| p.value().to_vec()).collect();
        let want_state = opt.state();

        for split in 0..=steps {
            let params = params_from(&fx.init);
            let mut opt = build(kind, &case["defaults"], groups(case, &params));
            for step in 0..split {
                opt.zero_grad();
                set_grads(&fx, step, &params);
                opt.step().unwrap();
            }
            // A checkpoint: the parameter values and the optimizer state.
            let values: Vec<Tensor<f64>> = params.iter().map(|p| p.value()).collect();
            let saved = opt.state();
            drop(opt);

            let params = params_from(&values);
            let mut opt = build(kind, &case["defaults"], groups(case, &params));
            opt.load_state(&saved).unwrap();
            for step in split..steps {
                opt.zero_grad();
                set_grads(&fx, step, &params);
                opt.step().unwrap();
            }
            let got: Vec<Vec<f64>> = params.iter().map(|p| p.value().to_vec()).collect();
            assert_eq!(got, want, "{name}: resumed after step {split}");
            assert_eq!(
                opt.state(),
                want_state,
                "{name}: state after resuming at {split}"
            );
        }
    }
}

/// Runs `case` for all its steps, saving and restoring at `split` (no restore if `None`);
/// returns the rates and momenta after each step.
fn run_schedule(v: &Value, case: &Value, split: Option<usize>) -> Vec<(Vec<f64>, Vec<f64>)> {
    let kind = case["optimizer"].as_str().unwrap();
    let spec = &case["schedule"];
    let metric = case
        .get("metric")
        .map(|m| nums(&v["metrics"][m.as_str().unwrap()]));
    let steps = case["lrs"].as_array().unwrap().len() - 1;
    let mut opt = optimizer(kind);
    let mut sched = build_schedule(spec, opt.hyper_params());
    let mut out = Vec::new();
    for step in 0..steps {
        if split == Some(step) {
            let (opt_state, sched_state) = (opt.state(), sched.state());
            // A fresh optimizer and schedule, the schedule built first (it writes the rates
            // of its step 0), then both states loaded, as PyTorch recommends.
            opt = optimizer(kind);
            sched = build_schedule(spec, opt.hyper_params());
            opt.load_state(&opt_state).unwrap();
            sched.load_state(&sched_state).unwrap();
            assert_eq!(sched.state(), sched_state);
        }
        let m = metric.as_ref().map(|m| m[step]);
        sched.step(opt.hyper_params(), m).unwrap();
        out.push((lrs(opt.hyper_params()), momenta(opt.hyper_params())));
    }
    out
}

#[test]
fn every_schedule_resumes_bit_for_bit_at_every_step() {
    let v: Value = serde_json::from_str(FIXTURE).unwrap();
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let want = run_schedule(&v, case, None);
        for split in 0..want.len() {
            let got = run_schedule(&v, case, Some(split));
            assert_eq!(got, want, "{name}: resumed at step {split}");
        }
    }
}

#[test]
fn training_with_a_schedule_resumes_in_f32() {
    // Adam with one-cycle momentum cycling on f32 parameters, gradients from a fixed rule.
    let grad = |step: usize, i: usize| {
        Tensor::<f32>::from_shape_fn([3], |ix| ((step * 7 + i * 3 + ix[0]) as f32 * 0.37).sin())
    };
    let run = |split: Option<usize>| -> Vec<f32> {
        let params: Vec<Param<f32>> = (0..2).map(|_| Param::new(Tensor::ones([3]))).collect();
        let mut opt = Adam::new(params.clone(), AdamConfig::default()).unwrap();
        let cfg = OneCycleConfig::new(0.05, 12).three_phase(true);
        let mut sched = OneCycleLr::new(&mut opt, cfg.clone()).unwrap();
        let mut params = params;
        for step in 0..12 {
            if split == Some(step) {
                let values: Vec<Tensor<f32>> = params.iter().map(|p| p.value()).collect();
                let (os, ss) = (opt.state(), sched.state());
                params = values.into_iter().map(Param::new).collect();
                opt = Adam::new(params.clone(), AdamConfig::default()).unwrap();
                sched = OneCycleLr::new(&mut opt, cfg.clone()).unwrap();
                opt.load_state(&os).unwrap();
                sched.load_state(&ss).unwrap();
            }
            for (i, p) in params.iter().enumerate() {
                p.set_grad(Some(grad(step, i))).unwrap();
            }
            opt.step().unwrap();
            sched.step(&mut opt, None).unwrap();
        }
        params.iter().flat_map(|p| p.value().to_vec()).collect()
    };
    let want = run(None);
    for split in 0..12 {
        assert_eq!(run(Some(split)), want, "resumed at step {split}");
    }
}
