//! The training loop against PyTorch: the same MLP, data, optimizer and schedule as
//! `fixtures/fit_reference.py` give the same per-epoch logs (Keras's per-example averages)
//! and the same final weights, in float64.

#[path = "fit_common/mod.rs"]
mod common;

use common::{MomentumSgd, StepDecay};
use serde_json::Value;
use youshi_data::Batch;
use youshi_layers::{load_state_dict, CrossEntropyLoss, Linear, ModuleExt, Relu, Sequential};
use youshi_optim::fit::{Accuracy, Progress, SchedulerStep, TopKAccuracy, Trainer};
use youshi_tensor::{seeded_rng, Tensor};

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/fit_reference.json")).unwrap()
}

fn tensor(v: &Value) -> Tensor<f64> {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f64> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    Tensor::from_vec(data, shape).unwrap()
}

fn batches(v: &Value) -> Vec<Batch<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let y: Vec<f64> = b["y"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let n = y.len();
            Batch::new(tensor(&b["x"]), Tensor::from_vec(y, [n]).unwrap())
        })
        .collect()
}

fn params(v: &Value) -> Vec<(String, Tensor<f64>)> {
    ["0.weight", "0.bias", "2.weight", "2.bias"]
        .iter()
        .map(|n| (n.to_string(), tensor(&v[n])))
        .collect()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
        "{what}: youshi {a}, torch {b}"
    );
}

#[test]
fn three_epochs_match_pytorch() {
    let fx = fixture();
    let mut rng = seeded_rng(0);
    let model: Sequential<f64> = Sequential::new()
        .add(Linear::new(2, 8, &mut rng).unwrap())
        .add(Relu)
        .add(Linear::new(8, 3, &mut rng).unwrap());
    load_state_dict(&model, params(&fx["init"]), true).unwrap();
    let mut opt = MomentumSgd::new(model.params(), 0.1, 0.9);
    let sched = StepDecay::new(&mut opt, 1, 0.5);
    let mut trainer = Trainer::new(&model, CrossEntropyLoss::new(), opt)
        .scheduler(sched, SchedulerStep::PerEpoch)
        .metric(Accuracy::new())
        .metric(TopKAccuracy::new(2).unwrap())
        .progress(Progress::Silent);
    let mut train = batches(&fx["train"]);
    let mut val = batches(&fx["val"]);
    let history = trainer.fit(&mut train, Some(&mut val), 3).unwrap();

    let want = fx["history"].as_array().unwrap();
    assert_eq!(history.len(), want.len());
    let names: Vec<&str> = history.names().collect();
    assert_eq!(
        names,
        [
            "loss",
            "accuracy",
            "top2_accuracy",
            "val_loss",
            "val_accuracy",
            "val_top2_accuracy"
        ]
    );
    for (e, logs) in want.iter().enumerate() {
        for name in &names {
            let got = history.get(name).unwrap()[e];
            let exp = logs[*name].as_f64().unwrap();
            if name.contains("accuracy") {
                // Counts over 40 or 12 examples: exactly the same fractions.
                assert_eq!(got, exp, "{name} at epoch {}", e + 1);
            } else {
                close(got, exp, &format!("{name} at epoch {}", e + 1));
            }
        }
    }
    let final_params = params(&fx["final"]);
    for ((name, p), (_, want)) in model.named_params().iter().zip(&final_params) {
        for (i, (a, b)) in p.value().to_vec().iter().zip(want.to_vec()).enumerate() {
            close(*a, b, &format!("{name}[{i}]"));
        }
    }
    assert_eq!(trainer.optimizer().lr(0), fx["final_lr"].as_f64().unwrap());
}
