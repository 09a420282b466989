//! Loss functions against PyTorch: values and input gradients of every loss and option
//! combination in `fixtures/loss.json` (made by `fixtures/loss.py`), in f64 and f32, plus the
//! errors.

use serde_json::Value;
use youshi_autograd::{AutogradError, Graph, Var};
use youshi_layers::loss::{
    BceLoss, BceWithLogitsLoss, CrossEntropyLoss, HuberLoss, KlDivLoss, KlDivReduction, L1Loss,
    MseLoss, NllLoss, Reduction, SmoothL1Loss,
};
use youshi_layers::LayerError;
use youshi_tensor::{Element, Indices, Tensor};

fn cases() -> Vec<Value> {
    let v: Value = serde_json::from_str(include_str!("fixtures/loss.json")).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn dims(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn tensor<T: Element>(data: &[f64], shape: &[usize]) -> Tensor<T> {
    Tensor::from_vec(data.iter().map(|&x| T::of(x)).collect(), shape).unwrap()
}

fn reduction(opts: &Value) -> Reduction {
    match opts["reduction"].as_str().unwrap() {
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        "none" => Reduction::None,
        other => panic!("reduction {other}"),
    }
}

fn opt_tensor<T: Element>(opts: &Value, key: &str) -> Option<Tensor<T>> {
    opts.get(key).map(|w| {
        let data = floats(w);
        let n = data.len();
        tensor(&data, &[n])
    })
}

/// Runs one fixture case: the loss value and the gradient of `sum(out * upstream)`.
fn run<T: Element>(case: &Value) -> (Vec<f64>, Vec<usize>, Vec<f64>) {
    let opts = &case["opts"];
    let g = Graph::<T>::new();
    let x = g.leaf(tensor(&floats(&case["input"]), &dims(&case["input_shape"])));
    let tshape = dims(&case["target_shape"]);
    let float_target = || g.constant(tensor(&floats(&case["target"]), &tshape));
    let index_target = || {
        let v = case["target"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        Indices::from_shape_vec(tshape.clone(), v).unwrap()
    };
    let out: Var<T> = match case["loss"].as_str().unwrap() {
        "mse" => MseLoss::new()
            .reduction(reduction(opts))
            .forward(&x, &float_target()),
        "l1" => L1Loss::new()
            .reduction(reduction(opts))
            .forward(&x, &float_target()),
        "smooth_l1" => SmoothL1Loss::new()
            .reduction(reduction(opts))
            .beta(opts["beta"].as_f64().unwrap())
            .forward(&x, &float_target()),
        "huber" => HuberLoss::new()
            .reduction(reduction(opts))
            .delta(opts["delta"].as_f64().unwrap())
            .forward(&x, &float_target()),
        "ce_idx" | "ce_prob" => {
            let mut ce = CrossEntropyLoss::new()
                .reduction(reduction(opts))
                .label_smoothing(opts["label_smoothing"].as_f64().unwrap());
            if let Some(w) = opt_tensor(opts, "weight") {
                ce = ce.weight(w);
            }
            if let Some(i) = opts.get("ignore_index") {
                ce = ce.ignore_index(i.as_u64().unwrap() as usize);
            }
            if case["loss"] == "ce_idx" {
                ce.forward_indices(&x, &index_target())
            } else {
                ce.forward_probs(&x, &float_target())
            }
        }
        "nll" => {
            let mut nll = NllLoss::new().reduction(reduction(opts));
            if let Some(w) = opt_tensor(opts, "weight") {
                nll = nll.weight(w);
            }
            if let Some(i) = opts.get("ignore_index") {
                nll = nll.ignore_index(i.as_u64().unwrap() as usize);
            }
            nll.forward(&x, &index_target())
        }
        "bce" => {
            let mut l = BceLoss::new().reduction(reduction(opts));
            if let Some(w) = opt_tensor(opts, "weight") {
                l = l.weight(w);
            }
            l.forward(&x, &float_target())
        }
        "bce_logits" => {
            let mut l = BceWithLogitsLoss::new().reduction(reduction(opts));
            if let Some(w) = opt_tensor(opts, "weight") {
                l = l.weight(w);
            }
            if let Some(w) = opt_tensor(opts, "pos_weight") {
                l = l.pos_weight(w);
            }
            l.forward(&x, &float_target())
        }
        "kl" => {
            let r = match opts["reduction"].as_str().unwrap() {
                "batchmean" => KlDivReduction::BatchMean,
                _ => reduction(opts).into(),
            };
            KlDivLoss::new()
                .reduction(r)
                .log_target(opts.get("log_target").is_some())
                .forward(&x, &float_target())
        }
        other => panic!("loss {other}"),
    }
    .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
    let oshape = dims(&case["out_shape"]);
    out.backward_with(&tensor(&floats(&case["upstream"]), &oshape))
        .unwrap();
    let value = out.value().to_vec().iter().map(|v| v.as_f64()).collect();
    let grad = x
        .grad()
        .unwrap()
        .to_vec()
        .iter()
        .map(|v| v.as_f64())
        .collect();
    (value, out.shape().to_vec(), grad)
}

/// `|a - b| <= rtol max(|a|, |b|) + atol`, both finite (or both the same non-finite value).
fn close(name: &str, what: &str, got: &[f64], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "{name}: {what} length");
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        let ok = if b.is_finite() {
            (a - b).abs() <= rtol * a.abs().max(b.abs()) + atol
        } else {
            a == b || (a.is_nan() && b.is_nan())
        };
        assert!(ok, "{name}: {what}[{i}] = {a:e}, PyTorch {b:e}");
    }
}

/// The absolute tolerance of a vector: `scale` times its largest magnitude (cancellation in
/// a difference of nearly equal terms is rounding, not an error).
fn atol(v: &[f64], scale: f64) -> f64 {
    scale * v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

#[test]
fn every_case_matches_pytorch_in_f64() {
    let cases = cases();
    assert!(cases.len() > 200);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let (value, shape, grad) = run::<f64>(case);
        assert_eq!(shape, dims(&case["out_shape"]), "{name}: shape");
        let (want_v, want_g) = (floats(&case["out"]), floats(&case["grad"]));
        assert!(
            value.iter().chain(&grad).all(|v| v.is_finite()),
            "{name}: not finite"
        );
        close(name, "value", &value, &want_v, 1e-9, atol(&want_v, 1e-14));
        close(name, "grad", &grad, &want_g, 1e-9, atol(&want_g, 1e-14));
    }
}

#[test]
fn every_case_matches_pytorch_in_f32() {
    for case in &cases() {
        let name = case["name"].as_str().unwrap();
        if name.starts_with("bce ") {
            // Inputs of 1e-50 and the 1e-12 gradient floor have no f32 counterpart.
            continue;
        }
        let (value, _, grad) = run::<f32>(case);
        let (want_v, want_g) = (floats(&case["out"]), floats(&case["grad"]));
        close(name, "value", &value, &want_v, 1e-4, atol(&want_v, 1e-5));
        close(name, "grad", &grad, &want_g, 1e-4, atol(&want_g, 1e-5));
    }
}

fn leaf(data: &[f64], shape: &[usize]) -> (Graph<f64>, Var<f64>) {
    let g = Graph::new();
    let x = g.leaf(tensor(data, shape));
    (g, x)
}

fn idx(shape: &[usize], v: &[usize]) -> Indices {
    Indices::from_shape_vec(shape.to_vec(), v.to_vec()).unwrap()
}

fn input_error(e: LayerError) -> (&'static str, String, Vec<usize>) {
    match e {
        LayerError::Input {
            kind,
            expected,
            got,
            ..
        } => (kind, expected, got.dims().to_vec()),
        other => panic!("expected an input error, got {other}"),
    }
}

#[test]
fn mismatched_shapes_are_input_errors() {
    let (g, x) = leaf(&[0.0; 6], &[2, 3]);
    let y = g.constant(Tensor::zeros([3, 2]));
    let errors = [
        MseLoss::new().forward(&x, &y).unwrap_err(),
        L1Loss::new().forward(&x, &y).unwrap_err(),
        SmoothL1Loss::new().forward(&x, &y).unwrap_err(),
        HuberLoss::new().forward(&x, &y).unwrap_err(),
        BceLoss::new().forward(&x, &y).unwrap_err(),
        BceWithLogitsLoss::new().forward(&x, &y).unwrap_err(),
        KlDivLoss::new().forward(&x, &y).unwrap_err(),
        CrossEntropyLoss::new().forward_probs(&x, &y).unwrap_err(),
    ];
    for e in errors {
        let msg = e.to_string();
        let (_, expected, got) = input_error(e);
        assert_eq!(got, [2, 3], "{msg}");
        assert!(expected.contains("[3, 2]"), "{msg}");
    }
    // Index targets must be the scores' shape without the class axis.
    let e = CrossEntropyLoss::new()
        .forward_indices(&x, &idx(&[3], &[0, 1, 2]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "CrossEntropyLoss: expected input [3, C] (for a target of shape [3]), got [2, 3]"
    );
    let (g, x4) = leaf(&[0.0; 24], &[2, 3, 4]);
    let e = NllLoss::new()
        .forward(&x4, &idx(&[2, 3], &[0; 6]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "NllLoss: expected input [2, C, 3] (for a target of shape [2, 3]), got [2, 3, 4]"
    );
    let (kind, _, _) = input_error(
        CrossEntropyLoss::new()
            .forward_indices(&g.constant(Tensor::zeros([3])), &idx(&[], &[0]))
            .unwrap_err(),
    );
    assert_eq!(kind, "CrossEntropyLoss");
    // A pos_weight or weight that does not broadcast to the input.
    let (_, xb) = leaf(&[0.0; 6], &[2, 3]);
    let yb = xb.constant(Tensor::zeros([2, 3]));
    let e = BceWithLogitsLoss::new()
        .pos_weight(Tensor::ones([4]))
        .forward(&xb, &yb)
        .unwrap_err();
    assert!(e.to_string().contains("pos_weight [4]"), "{e}");
    let e = BceLoss::new()
        .weight(Tensor::ones([2]))
        .forward(&xb, &yb)
        .unwrap_err();
    assert!(e.to_string().contains("weight [2]"), "{e}");
}

#[test]
fn class_index_out_of_range_names_index_and_classes() {
    let (_, x) = leaf(&[0.0; 8], &[2, 4]);
    for e in [
        CrossEntropyLoss::new()
            .forward_indices(&x, &idx(&[2], &[1, 7]))
            .unwrap_err(),
        NllLoss::new().forward(&x, &idx(&[2], &[1, 7])).unwrap_err(),
    ] {
        assert!(matches!(
            e,
            LayerError::Autograd(AutogradError::InvalidArgument { .. })
        ));
        assert!(
            e.to_string()
                .ends_with("class index 7 at [1] is out of range for C = 4 classes"),
            "{e}"
        );
    }
    // The ignored value may lie outside the classes, but only it.
    let ce = CrossEntropyLoss::new().ignore_index(255);
    assert!(ce.forward_indices(&x, &idx(&[2], &[255, 3])).is_ok());
    assert!(ce.forward_indices(&x, &idx(&[2], &[254, 3])).is_err());
}

#[test]
fn invalid_options_are_config_errors() {
    let (g, x) = leaf(&[0.2; 8], &[2, 4]);
    let y = g.constant(Tensor::zeros([2, 4]));
    let t = idx(&[2], &[0, 1]);
    let config = |e: LayerError| match e {
        LayerError::Config { kind, reason } => format!("{kind}: {reason}"),
        other => panic!("expected a config error, got {other}"),
    };
    assert_eq!(
        config(SmoothL1Loss::new().beta(-1.0).forward(&x, &y).unwrap_err()),
        "SmoothL1Loss: beta must be finite and >= 0, got -1"
    );
    assert!(SmoothL1Loss::new().beta(f64::NAN).forward(&x, &y).is_err());
    assert_eq!(
        config(HuberLoss::new().delta(0.0).forward(&x, &y).unwrap_err()),
        "HuberLoss: delta must be finite and > 0, got 0"
    );
    for ls in [-0.1, 1.5, f64::NAN] {
        let e = CrossEntropyLoss::new()
            .label_smoothing(ls)
            .forward_indices(&x, &t)
            .unwrap_err();
        assert!(config(e).contains("label_smoothing must be in [0, 1]"));
    }
    let e = CrossEntropyLoss::new()
        .weight(Tensor::ones([3]))
        .forward_indices(&x, &t)
        .unwrap_err();
    assert_eq!(
        config(e),
        "CrossEntropyLoss: weight must have one value per class, [4], got [3]"
    );
    let e = NllLoss::new()
        .weight(Tensor::ones([2, 2]))
        .forward(&x, &t)
        .unwrap_err();
    assert!(config(e).contains("weight must be [C]"));
    let e = CrossEntropyLoss::new()
        .weight(Tensor::ones([5]))
        .forward_probs(&x, &y)
        .unwrap_err();
    assert!(config(e).contains("[4]"));
    // Probabilities outside [0, 1] are rejected by BceLoss, naming the value.
    let (g, p) = leaf(&[0.5, 1.5], &[2]);
    let e = BceLoss::new()
        .forward(&p, &g.constant(Tensor::zeros([2])))
        .unwrap_err();
    assert!(e.to_string().contains("got 1.5 at flat position 1"), "{e}");
}

#[test]
fn extreme_logits_stay_finite_and_all_ignored_mean_is_nan() {
    let (g, x) = leaf(&[1e4, -1e4, -1e4, 1e4], &[2, 2]);
    let t = idx(&[2], &[1, 0]);
    let l = CrossEntropyLoss::new()
        .label_smoothing(0.3)
        .forward_indices(&x, &t)
        .unwrap();
    assert!((l.value().item().unwrap() - (0.85 * 2e4)).abs() < 1e-6);
    l.backward().unwrap();
    assert!(x.grad().unwrap().to_vec().iter().all(|v| v.is_finite()));
    let y = g.constant(Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0], [2, 2]).unwrap());
    let l = BceWithLogitsLoss::new().forward(&x, &y).unwrap();
    assert_eq!(l.value().item().unwrap(), 1e4);
    // Every target ignored: 0 / 0, NaN, as in PyTorch.
    let l = NllLoss::new()
        .ignore_index(1)
        .forward(&x, &idx(&[2], &[1, 1]))
        .unwrap();
    assert!(l.value().item().unwrap().is_nan());
}
