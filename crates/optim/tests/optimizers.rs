//! Optimizer trajectories against PyTorch (`fixtures/optim.py` → `fixtures/optimizers.json`):
//! the same parameters and gradient sequence give the same parameters after every step, for
//! every option of SGD, Adam, AdamW, RMSprop and Adagrad and for two parameter groups.

mod common;

use common::optim::{build, fixture, groups, set_grads};
use common::{close, max_rel, nums, params_from};
use youshi_autograd::Param;
use youshi_optim::{Adam, AdamConfig, Optimizer, ParamGroup};

#[test]
fn trajectories_match_pytorch_in_f64() {
    let fx = fixture();
    let mut worst = (0.0f64, String::new());
    for case in &fx.cases {
        let name = case["name"].as_str().unwrap();
        let params = params_from(&fx.init);
        let mut opt = build(
            case["optimizer"].as_str().unwrap(),
            &case["defaults"],
            groups(case, &params),
        );
        for (step, want) in case["trajectory"].as_array().unwrap().iter().enumerate() {
            opt.zero_grad();
            set_grads(&fx, step, &params);
            opt.step().unwrap();
            for (i, (p, w)) in params.iter().zip(want.as_array().unwrap()).enumerate() {
                let got = p.value().to_vec();
                let want = nums(w);
                close(
                    &format!("{name}: step {}, parameter {i}", step + 1),
                    &got,
                    &want,
                    1e-9,
                    1e-12,
                );
                let r = max_rel(&got, &want);
                if r > worst.0 {
                    worst = (r, format!("{name}, step {}, parameter {i}", step + 1));
                }
            }
        }
    }
    // The worst case is printed for the record (`cargo test -- --nocapture`).
    println!(
        "largest relative difference from PyTorch: {:e} ({})",
        worst.0, worst.1
    );
}

#[test]
fn trajectories_in_f32_follow_pytorch_f64_closely() {
    let fx = fixture();
    for case in &fx.cases {
        let name = case["name"].as_str().unwrap();
        let params: Vec<Param<f32>> = fx.init.iter().map(|t| Param::new(t.cast())).collect();
        let mut opt = build(
            case["optimizer"].as_str().unwrap(),
            &case["defaults"],
            groups(case, &params),
        );
        for (step, want) in case["trajectory"].as_array().unwrap().iter().enumerate() {
            opt.zero_grad();
            set_grads(&fx, step, &params);
            opt.step().unwrap();
            for (i, (p, w)) in params.iter().zip(want.as_array().unwrap()).enumerate() {
                let got: Vec<f64> = p.value().to_vec().iter().map(|&x| x as f64).collect();
                close(
                    &format!("{name} (f32): step {}, parameter {i}", step + 1),
                    &got,
                    &nums(w),
                    1e-4,
                    1e-5,
                );
            }
        }
    }
}

#[test]
fn state_keys_follow_the_documented_scheme() {
    let fx = fixture();
    let params = params_from(&fx.init);
    let mut opt = Adam::with_groups(
        vec![
            ParamGroup::new(vec![params[0].clone(), params[2].clone()]).amsgrad(true),
            ParamGroup::new(vec![params[1].clone()]).lr(0.5),
        ],
        AdamConfig::default(),
    )
    .unwrap();
    set_grads(&fx, 0, &params);
    opt.step().unwrap();
    let st = opt.state();
    assert_eq!(st.kind, "Adam");
    let tensors: Vec<&str> = st.tensors.keys().map(|k| k.as_str()).collect();
    // Parameter 2 had no gradient at step 0, so it has no state yet (as in PyTorch).
    assert_eq!(
        tensors,
        [
            "0.0.exp_avg",
            "0.0.exp_avg_sq",
            "0.0.max_exp_avg_sq",
            "1.0.exp_avg",
            "1.0.exp_avg_sq"
        ]
    );
    assert_eq!(st.scalars["0.0.step"], 1.0);
    assert_eq!(st.scalars["1.lr"], 0.5);
    assert_eq!(st.scalars["0.amsgrad"], 1.0);
    assert!(!st.scalars.contains_key("0.1.step"));
}
