//! Convolution, pooling, dropout and embedding layers against PyTorch: outputs and gradients
//! of the input and of every parameter (fixtures from `tests/fixtures/conv.py`), default
//! initialisation bounds, every error path, and dropout's train/eval behaviour.

use serde_json::Value;
use youshi_autograd::Graph;
use youshi_layers::conv::{Conv1dConfig, Conv2dConfig, ConvTranspose2dConfig, Padding};
use youshi_layers::{LayerError, Module, ModuleExt};
use youshi_tensor::{seeded_rng, Element, Tensor};

const FIXTURE: &str = include_str!("fixtures/conv.json");

fn cases() -> Vec<Value> {
    let v: Value = serde_json::from_str(FIXTURE).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn case(name: &str) -> Value {
    cases()
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn cases_of(kind: &str) -> Vec<Value> {
    cases().into_iter().filter(|c| c["kind"] == kind).collect()
}

fn tensor<T: Element>(a: &Value) -> Tensor<T> {
    let shape: Vec<usize> = a["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<T> = a["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| T::of(v.as_f64().unwrap()))
        .collect();
    Tensor::from_vec(data, shape).unwrap()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn pair(v: &Value) -> [usize; 2] {
    let u = usizes(v);
    [u[0], u[1]]
}

fn n(v: &Value) -> usize {
    v.as_u64().unwrap() as usize
}

/// Compares within `rel` relative to `1 + |want|`, naming the case and the quantity.
fn close<T: Element>(got: &Tensor<T>, want: &Value, rel: f64, what: &str) {
    let want_t = tensor::<f64>(want);
    assert_eq!(got.shape(), want_t.shape(), "{what}: shape");
    for (i, (g, w)) in got.to_vec().iter().zip(want_t.to_vec()).enumerate() {
        let g = g.as_f64();
        assert!(
            (g - w).abs() <= rel * (1.0 + w.abs()),
            "{what}[{i}]: got {g}, PyTorch {w}"
        );
    }
}

/// Runs `m` on the case's input, backpropagates `gy`, and checks the output and the
/// gradients of the input and of every parameter.
fn check_against_torch<T: Element>(m: &dyn Module<T>, c: &Value, rel: f64) {
    let name = c["name"].as_str().unwrap();
    // Load PyTorch's parameters by name.
    for (pname, p) in m.named_params() {
        let v = &c["params"][&pname];
        assert!(!v.is_null(), "{name}: PyTorch has no parameter {pname}");
        p.set_value(tensor(&v["value"])).unwrap();
    }
    let torch_params = c["params"].as_object().unwrap().len();
    assert_eq!(
        m.named_params().len(),
        torch_params,
        "{name}: parameter count"
    );
    let g = Graph::<T>::new();
    let x = g.leaf(tensor(&c["x"]));
    let y = m.forward(&x).unwrap();
    close(y.value(), &c["y"], rel, &format!("{name} y"));
    y.backward_with(&tensor(&c["gy"])).unwrap();
    close(&x.grad().unwrap(), &c["gx"], rel, &format!("{name} dx"));
    for (pname, p) in m.named_params() {
        close(
            &p.grad().unwrap(),
            &c["params"][&pname]["grad"],
            rel,
            &format!("{name} d{pname}"),
        );
    }
}

fn padding(v: &Value) -> Padding {
    match v {
        Value::String(s) if s == "same" => Padding::Same,
        Value::String(s) if s == "valid" => Padding::Valid,
        Value::Number(p) => Padding::Explicit(p.as_u64().unwrap() as usize),
        other => Padding::Explicit2(pair(other)),
    }
}

fn conv2d<T: Element>(o: &Value) -> youshi_layers::conv::Conv2d<T> {
    Conv2dConfig::new(n(&o["in_"]), n(&o["out"]), 1)
        .kernel2(pair(&o["k"]))
        .stride2(pair(&o["stride"]))
        .padding(padding(&o["padding"]))
        .dilation2(pair(&o["dilation"]))
        .groups(n(&o["groups"]))
        .bias(o["bias"].as_bool().unwrap())
        .init(&mut seeded_rng(0))
        .unwrap()
}

#[test]
fn conv2d_matches_pytorch() {
    let all = cases_of("Conv2d");
    assert!(all.len() >= 8);
    for c in &all {
        check_against_torch(&conv2d::<f64>(&c["opts"]), c, 1e-9);
    }
}

#[test]
fn conv2d_f32_matches_pytorch() {
    for name in ["conv2d_stride2", "conv2d_same_even", "conv2d_groups2"] {
        let c = case(name);
        check_against_torch(&conv2d::<f32>(&c["opts"]), &c, 1e-4);
    }
}

#[test]
fn conv1d_matches_pytorch() {
    let all = cases_of("Conv1d");
    assert!(all.len() >= 3);
    for c in &all {
        let o = &c["opts"];
        let m = Conv1dConfig::new(n(&o["in_"]), n(&o["out"]), n(&o["k"]))
            .stride(n(&o["stride"]))
            .padding(padding(&o["padding"]))
            .dilation(n(&o["dilation"]))
            .groups(n(&o["groups"]))
            .bias(o["bias"].as_bool().unwrap())
            .init::<f64>(&mut seeded_rng(0))
            .unwrap();
        check_against_torch(&m, c, 1e-9);
    }
}

#[test]
fn conv_transpose2d_matches_pytorch() {
    let all = cases_of("ConvTranspose2d");
    assert!(all.len() >= 3);
    for c in &all {
        let o = &c["opts"];
        let m = ConvTranspose2dConfig::new(n(&o["in_"]), n(&o["out"]), 1)
            .kernel2(pair(&o["k"]))
            .stride2(pair(&o["stride"]))
            .padding2(pair(&o["padding"]))
            .output_padding2(pair(&o["output_padding"]))
            .dilation2(pair(&o["dilation"]))
            .groups(n(&o["groups"]))
            .bias(o["bias"].as_bool().unwrap())
            .init::<f64>(&mut seeded_rng(0))
            .unwrap();
        check_against_torch(&m, c, 1e-9);
    }
}

#[test]
fn conv_with_weights_takes_shapes_from_the_weight() {
    let c = case("conv2d_groups2");
    let m = Conv2dConfig::new(0, 0, 0)
        .stride2([1, 2])
        .padding(Padding::Explicit2([1, 0]))
        .groups(2)
        .with_weights::<f64>(
            tensor(&c["params"]["weight"]["value"]),
            Some(tensor(&c["params"]["bias"]["value"])),
        )
        .unwrap();
    assert_eq!(m.config().in_channels, 4);
    assert_eq!(m.config().out_channels, 6);
    check_against_torch(&m, &c, 1e-9);
    let e = Conv2dConfig::new(4, 6, 3)
        .with_weights::<f64>(Tensor::zeros([6, 4, 3, 3]), Some(Tensor::zeros([5])))
        .unwrap_err();
    assert!(e.to_string().contains("bias must be [6], got [5]"), "{e}");
}

/// Checks min/max within `±bound` and the standard deviation near `bound / sqrt(3)`.
fn check_uniform(values: &[f64], bound: f64, what: &str) {
    assert!(
        values.iter().all(|v| v.abs() <= bound),
        "{what}: outside ±{bound}"
    );
    let max = values.iter().cloned().fold(f64::MIN, f64::max);
    let min = values.iter().cloned().fold(f64::MAX, f64::min);
    assert!(
        max > 0.9 * bound && min < -0.9 * bound,
        "{what}: [{min}, {max}] vs {bound}"
    );
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
    let want = bound / 3f64.sqrt();
    assert!(
        (std - want).abs() < 0.03 * want,
        "{what}: std {std}, want {want}"
    );
}

#[test]
fn default_init_bounds_follow_pytorch() {
    let mut rng = seeded_rng(3);
    // fan_in = in / groups * kh * kw = 64 / 2 * 3 * 5.
    let conv = Conv2dConfig::new(64, 128, 3)
        .kernel2([3, 5])
        .groups(2)
        .init::<f64>(&mut rng)
        .unwrap();
    let bound = 1.0 / (32.0f64 * 15.0).sqrt();
    check_uniform(&conv.weight.value().to_vec(), bound, "Conv2d weight");
    let b = conv.bias.as_ref().unwrap().value().to_vec();
    assert!(b.iter().all(|v| v.abs() <= bound));
    let conv1 = Conv1dConfig::new(40, 200, 5).init::<f64>(&mut rng).unwrap();
    check_uniform(
        &conv1.weight.value().to_vec(),
        1.0 / 200f64.sqrt(),
        "Conv1d weight",
    );
    // Transposed: fan_in from weight dim 1, out / groups * kh * kw = 96 / 3 * 4 * 4.
    let t = ConvTranspose2dConfig::new(48, 96, 4)
        .groups(3)
        .init::<f64>(&mut rng)
        .unwrap();
    assert_eq!(t.weight.shape(), vec![48, 32, 4, 4]);
    let bound = 1.0 / (32.0f64 * 16.0).sqrt();
    check_uniform(&t.weight.value().to_vec(), bound, "ConvTranspose2d weight");
    let b = t.bias.as_ref().unwrap().value().to_vec();
    assert_eq!(b.len(), 96);
    assert!(b.iter().all(|v| v.abs() <= bound));
    assert!(Conv2dConfig::new(3, 4, 3)
        .bias(false)
        .init::<f32>(&mut rng)
        .unwrap()
        .bias
        .is_none());
}

#[test]
fn conv_names_follow_pytorch() {
    let m = Conv2dConfig::new(2, 3, 3)
        .init::<f32>(&mut seeded_rng(0))
        .unwrap();
    let names: Vec<String> = m.named_params().into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["weight", "bias"]);
    assert_eq!(m.kind(), "Conv2d");
}

fn input_error(e: LayerError, kind: &str, expected: &str, got: &str) {
    let msg = e.to_string();
    assert!(matches!(e, LayerError::Input { .. }), "{msg}");
    for part in [kind, expected, got] {
        assert!(msg.contains(part), "{msg:?} lacks {part:?}");
    }
}

#[test]
fn conv_input_errors_name_the_kind_and_both_shapes() {
    let g = Graph::<f32>::no_grad();
    let mut rng = seeded_rng(0);
    let c2 = Conv2dConfig::new(3, 4, 3).init::<f32>(&mut rng).unwrap();
    let e = c2
        .forward(&g.constant(Tensor::zeros([3, 8, 8])))
        .unwrap_err();
    input_error(e, "Conv2d", "[N, 3, H, W]", "[3, 8, 8]");
    let e = c2
        .forward(&g.constant(Tensor::zeros([1, 2, 8, 8])))
        .unwrap_err();
    input_error(e, "Conv2d", "[N, 3, H, W]", "[1, 2, 8, 8]");
    let c1 = Conv1dConfig::new(3, 4, 3).init::<f32>(&mut rng).unwrap();
    let e = c1
        .forward(&g.constant(Tensor::zeros([1, 3, 4, 4])))
        .unwrap_err();
    input_error(e, "Conv1d", "[N, 3, L]", "[1, 3, 4, 4]");
    let e = c1
        .forward(&g.constant(Tensor::zeros([1, 5, 4])))
        .unwrap_err();
    input_error(e, "Conv1d", "[N, 3, L]", "[1, 5, 4]");
    let t = ConvTranspose2dConfig::new(3, 4, 3)
        .init::<f32>(&mut rng)
        .unwrap();
    let e = t
        .forward(&g.constant(Tensor::zeros([1, 4, 4])))
        .unwrap_err();
    input_error(e, "ConvTranspose2d", "[N, 3, H, W]", "[1, 4, 4]");
    let e = t
        .forward(&g.constant(Tensor::zeros([2, 4, 4, 4])))
        .unwrap_err();
    input_error(e, "ConvTranspose2d", "[N, 3, H, W]", "[2, 4, 4, 4]");
    // Too small an input is the convolution's own error.
    let e = c2
        .forward(&g.constant(Tensor::zeros([1, 3, 2, 2])))
        .unwrap_err();
    assert!(matches!(e, LayerError::Autograd(_)), "{e}");
}

fn config_error(r: Result<impl std::fmt::Debug, LayerError>, kind: &str, parts: &[&str]) {
    let e = r.unwrap_err();
    assert!(matches!(e, LayerError::Config { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with(kind), "{msg}");
    for p in parts {
        assert!(msg.contains(p), "{msg:?} lacks {p:?}");
    }
}

#[test]
fn conv_config_errors_name_the_values() {
    let mut rng = seeded_rng(0);
    config_error(
        Conv2dConfig::new(0, 4, 3).init::<f32>(&mut rng),
        "Conv2d",
        &["in 0"],
    );
    config_error(
        Conv2dConfig::new(3, 4, 0).init::<f32>(&mut rng),
        "Conv2d",
        &["kernel size"],
    );
    config_error(
        Conv2dConfig::new(3, 4, 3).stride(0).init::<f32>(&mut rng),
        "Conv2d",
        &["stride"],
    );
    config_error(
        Conv2dConfig::new(3, 4, 3).dilation(0).init::<f32>(&mut rng),
        "Conv2d",
        &["dilation"],
    );
    config_error(
        Conv2dConfig::new(3, 4, 3).groups(2).init::<f32>(&mut rng),
        "Conv2d",
        &["groups 2", "in channels 3"],
    );
    config_error(
        Conv2dConfig::new(4, 4, 3).groups(0).init::<f32>(&mut rng),
        "Conv2d",
        &["groups 0"],
    );
    config_error(
        Conv2dConfig::new(3, 4, 3)
            .stride(2)
            .padding(Padding::Same)
            .init::<f32>(&mut rng),
        "Conv2d",
        &["Same", "stride [2, 2]"],
    );
    config_error(
        Conv1dConfig::new(3, 4, 3)
            .padding(Padding::Explicit2([1, 1]))
            .init::<f32>(&mut rng),
        "Conv1d",
        &["Explicit2"],
    );
    config_error(
        Conv1dConfig::new(4, 6, 3).groups(4).init::<f32>(&mut rng),
        "Conv1d",
        &["groups 4", "out channels 6"],
    );
    config_error(
        ConvTranspose2dConfig::new(3, 4, 3)
            .stride(2)
            .output_padding(2)
            .init::<f32>(&mut rng),
        "ConvTranspose2d",
        &["output padding [2, 2]", "stride [2, 2]"],
    );
    config_error(
        Conv2dConfig::new(3, 4, 3).with_weights::<f32>(Tensor::zeros([4, 3, 3]), None),
        "Conv2d",
        &["[4, 3, 3]"],
    );
}

#[test]
fn pooling_matches_pytorch() {
    use youshi_layers::pool::{AdaptiveAvgPool2d, Pool1dConfig, Pool2dConfig};
    let mut seen = 0;
    for c in cases() {
        let o = &c["opts"];
        let m: Box<dyn Module<f64>> = match c["kind"].as_str().unwrap() {
            "MaxPool2d" | "AvgPool2d" => {
                let cfg = Pool2dConfig::new(1)
                    .kernel2(pair(&o["k"]))
                    .stride2(pair(&o["stride"]))
                    .padding2(pair(&o["padding"]))
                    .ceil_mode(o["ceil_mode"].as_bool().unwrap());
                if c["kind"] == "MaxPool2d" {
                    Box::new(cfg.dilation2(pair(&o["dilation"])).max().unwrap())
                } else {
                    let cip = o["count_include_pad"].as_bool().unwrap();
                    Box::new(cfg.count_include_pad(cip).avg().unwrap())
                }
            }
            "AdaptiveAvgPool2d" => Box::new(AdaptiveAvgPool2d::new(pair(&o["out"])).unwrap()),
            "MaxPool1d" => Box::new(
                Pool1dConfig::new(n(&o["k"]))
                    .stride(n(&o["stride"]))
                    .padding(n(&o["padding"]))
                    .dilation(n(&o["dilation"]))
                    .ceil_mode(o["ceil_mode"].as_bool().unwrap())
                    .max()
                    .unwrap(),
            ),
            "AvgPool1d" => Box::new(
                Pool1dConfig::new(n(&o["k"]))
                    .stride(n(&o["stride"]))
                    .padding(n(&o["padding"]))
                    .ceil_mode(o["ceil_mode"].as_bool().unwrap())
                    .count_include_pad(o["count_include_pad"].as_bool().unwrap())
                    .avg()
                    .unwrap(),
            ),
            _ => continue,
        };
        check_against_torch(m.as_ref(), &c, 1e-9);
        seen += 1;
    }
    assert_eq!(seen, 11);
}

#[test]
fn pooling_errors() {
    use youshi_layers::pool::{AdaptiveAvgPool2d, Pool1dConfig, Pool2dConfig};
    let g = Graph::<f32>::no_grad();
    let x3 = g.constant(Tensor::zeros([2, 8, 8]));
    let x4 = g.constant(Tensor::zeros([1, 2, 8, 8]));
    let max2 = Pool2dConfig::new(2).max().unwrap();
    input_error(
        max2.forward(&x3).unwrap_err(),
        "MaxPool2d",
        "[N, C, H, W]",
        "[2, 8, 8]",
    );
    let avg2 = Pool2dConfig::new(2).avg().unwrap();
    input_error(
        avg2.forward(&x3).unwrap_err(),
        "AvgPool2d",
        "[N, C, H, W]",
        "[2, 8, 8]",
    );
    let ad = AdaptiveAvgPool2d::new([2, 2]).unwrap();
    input_error(
        ad.forward(&x3).unwrap_err(),
        "AdaptiveAvgPool2d",
        "[N, C, H, W]",
        "[2, 8, 8]",
    );
    let max1 = Pool1dConfig::new(2).max().unwrap();
    input_error(
        max1.forward(&x4).unwrap_err(),
        "MaxPool1d",
        "[N, C, L]",
        "[1, 2, 8, 8]",
    );
    let avg1 = Pool1dConfig::new(2).avg().unwrap();
    input_error(
        avg1.forward(&x4).unwrap_err(),
        "AvgPool1d",
        "[N, C, L]",
        "[1, 2, 8, 8]",
    );
    config_error(Pool2dConfig::new(0).max(), "MaxPool2d", &["kernel size"]);
    config_error(
        Pool2dConfig::new(2).stride(0).avg(),
        "AvgPool2d",
        &["stride"],
    );
    config_error(
        Pool2dConfig::new(3).padding(2).max(),
        "MaxPool2d",
        &["padding [2, 2]", "[3, 3]"],
    );
    config_error(
        Pool2dConfig::new(3).dilation(2).avg(),
        "AvgPool2d",
        &["dilation [2, 2]"],
    );
    config_error(
        Pool1dConfig::new(2).dilation(2).avg(),
        "AvgPool1d",
        &["dilation 2"],
    );
    config_error(
        Pool1dConfig::new(2).padding(2).max(),
        "MaxPool1d",
        &["padding [2]"],
    );
    config_error(
        AdaptiveAvgPool2d::new([0, 3]),
        "AdaptiveAvgPool2d",
        &["[0, 3]"],
    );
}

#[test]
fn embedding_matches_pytorch() {
    use youshi_layers::embedding::EmbeddingConfig;
    use youshi_tensor::Indices;
    let all = cases_of("Embedding");
    assert_eq!(all.len(), 2);
    for c in &all {
        let name = c["name"].as_str().unwrap();
        let o = &c["opts"];
        let mut cfg = EmbeddingConfig::new(n(&o["num"]), n(&o["dim"]));
        if let Some(p) = o["padding_idx"].as_u64() {
            cfg = cfg.padding_idx(p as usize);
        }
        let w = tensor::<f64>(&c["params"]["weight"]["value"]);
        let emb = cfg.with_weights(w).unwrap();
        let ids = tensor::<f64>(&c["x"]);
        // Through indices.
        let idx = Indices::from_shape_vec(
            ids.shape().to_vec(),
            ids.to_vec().iter().map(|&v| v as usize).collect(),
        )
        .unwrap();
        let g = Graph::<f64>::new();
        let y = emb.forward_indices(&idx, &g).unwrap();
        close(y.value(), &c["y"], 1e-9, &format!("{name} y"));
        y.backward_with(&tensor(&c["gy"])).unwrap();
        let gw = &c["params"]["weight"]["grad"];
        close(
            &emb.weight.grad().unwrap(),
            gw,
            1e-9,
            &format!("{name} dweight"),
        );
        // Through a float Var (the Module interface), gradients again equal PyTorch's.
        emb.zero_grad();
        let g = Graph::<f64>::new();
        let y = emb.forward(&g.constant(ids)).unwrap();
        close(y.value(), &c["y"], 1e-9, &format!("{name} y (forward)"));
        y.backward_with(&tensor(&c["gy"])).unwrap();
        close(
            &emb.weight.grad().unwrap(),
            gw,
            1e-9,
            &format!("{name} dweight (forward)"),
        );
    }
}

#[test]
fn embedding_init_and_errors() {
    use youshi_layers::embedding::EmbeddingConfig;
    use youshi_tensor::Indices;
    let emb = EmbeddingConfig::new(400, 50)
        .padding_idx(7)
        .init::<f64>(&mut seeded_rng(5))
        .unwrap();
    let w = emb.weight.value().to_vec();
    assert!(w[7 * 50..8 * 50].iter().all(|&v| v == 0.0));
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    let std = (w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
    assert!(
        mean.abs() < 0.02 && (std - 1.0).abs() < 0.02,
        "mean {mean}, std {std}"
    );
    let names: Vec<String> = emb.named_params().into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["weight"]);

    let mut rng = seeded_rng(0);
    config_error(
        EmbeddingConfig::new(0, 3).init::<f32>(&mut rng),
        "Embedding",
        &["num_embeddings 0"],
    );
    config_error(
        EmbeddingConfig::new(5, 3)
            .padding_idx(5)
            .init::<f32>(&mut rng),
        "Embedding",
        &["padding_idx 5", "5"],
    );
    config_error(
        EmbeddingConfig::new(5, 3).with_weights::<f32>(Tensor::zeros([5])),
        "Embedding",
        &["[5]"],
    );
    let emb = EmbeddingConfig::new(5, 3).init::<f32>(&mut rng).unwrap();
    let g = Graph::<f32>::new();
    let idx = Indices::from_shape_vec(vec![2], vec![1, 5]).unwrap();
    let e = emb.forward_indices(&idx, &g).unwrap_err();
    assert!(
        e.to_string()
            .contains("Embedding: index 5 out of range for 5"),
        "{e}"
    );
    for bad in [1.5f32, -1.0, 5.0, f32::NAN] {
        let x = g.constant(Tensor::from_vec(vec![0.0, bad], [2]).unwrap());
        let e = emb.forward(&x).unwrap_err();
        assert!(e.to_string().starts_with("Embedding: index"), "{e}");
    }
}

#[test]
fn dropout_train_and_eval() {
    use youshi_layers::dropout::{Dropout, Dropout2d};
    let g = Graph::<f64>::new();
    let x = g.leaf(Tensor::ones([200, 50]));
    let drop = Dropout::new(0.3, seeded_rng(1)).unwrap();
    assert!(drop.training());
    let y = drop.forward(&x).unwrap();
    let v = y.value().to_vec();
    assert!(v.iter().all(|&e| e == 0.0 || (e - 1.0 / 0.7).abs() < 1e-12));
    let dropped = v.iter().filter(|&&e| e == 0.0).count() as f64 / v.len() as f64;
    assert!((dropped - 0.3).abs() < 0.02, "dropped {dropped}");
    // The gradient is the same mask.
    y.backward_with(&Tensor::ones([200, 50])).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), v);
    // Reproducible: the same seed gives the same masks, successive calls differ.
    let again = Dropout::new(0.3, seeded_rng(1)).unwrap();
    assert_eq!(again.forward(&x).unwrap().value().to_vec(), v);
    assert_ne!(again.forward(&x).unwrap().value().to_vec(), v);
    let copy = again.clone();
    assert_eq!(
        copy.forward(&x).unwrap().value(),
        again.forward(&x).unwrap().value()
    );
    // Evaluation mode: the identity, nothing recorded.
    drop.eval();
    assert!(!drop.training());
    let n = g.len();
    let y = drop.forward(&x).unwrap();
    assert_eq!(y.value(), x.value());
    assert_eq!(g.len(), n);
    drop.train();
    assert_ne!(drop.forward(&x).unwrap().value(), x.value());
    assert!(
        Dropout::new(0.0, seeded_rng(0))
            .unwrap()
            .forward(&x)
            .unwrap()
            .value()
            == x.value()
    );
    let all = Dropout::new(1.0, seeded_rng(0))
        .unwrap()
        .forward(&x)
        .unwrap();
    assert!(all.value().to_vec().iter().all(|&e| e == 0.0));

    // Dropout2d: whole channels.
    let g = Graph::<f64>::new();
    let x = g.leaf(Tensor::rand_uniform([8, 40, 3, 2], 0.5, 1.0, &mut seeded_rng(2)).unwrap());
    let d2 = Dropout2d::new(0.25, seeded_rng(3)).unwrap();
    let y = d2.forward(&x).unwrap();
    let (xv, yv) = (x.value().to_vec(), y.value().to_vec());
    let mut zero_channels = 0;
    for (xc, yc) in xv.chunks(6).zip(yv.chunks(6)) {
        if yc.iter().all(|&e| e == 0.0) {
            zero_channels += 1;
        } else {
            for (a, b) in xc.iter().zip(yc) {
                assert!((b - a / 0.75).abs() < 1e-12);
            }
        }
    }
    let frac = zero_channels as f64 / 320.0;
    assert!((frac - 0.25).abs() < 0.07, "dropped channels {frac}");
    y.backward_with(&Tensor::ones([8, 40, 3, 2])).unwrap();
    let gx = x.grad().unwrap().to_vec();
    for (gc, yc) in gx.chunks(6).zip(yv.chunks(6)) {
        let want = if yc[0] == 0.0 { 0.0 } else { 1.0 / 0.75 };
        assert!(gc.iter().all(|&e| (e - want).abs() < 1e-12));
    }
    d2.eval();
    assert_eq!(d2.forward(&x).unwrap().value(), x.value());
    let e = d2.forward(&g.constant(Tensor::zeros([2, 3]))).unwrap_err();
    input_error(e, "Dropout2d", "[N, C, H, W]", "[2, 3]");
    config_error(Dropout::new(1.5, seeded_rng(0)), "Dropout", &["1.5"]);
    config_error(Dropout2d::new(-0.1, seeded_rng(0)), "Dropout2d", &["-0.1"]);
}

#[test]
fn layers_compose_in_a_sequential_with_paths_in_errors() {
    use youshi_layers::dropout::Dropout;
    use youshi_layers::pool::Pool2dConfig;
    use youshi_layers::{Flatten, Sequential};
    let mut rng = seeded_rng(0);
    let model: Sequential = Sequential::new()
        .add(
            Conv2dConfig::new(1, 4, 3)
                .padding(Padding::Same)
                .init(&mut rng)
                .unwrap(),
        )
        .add(Pool2dConfig::new(2).max().unwrap())
        .add(Dropout::new(0.5, seeded_rng(1)).unwrap())
        .add(Conv2dConfig::new(4, 8, 3).init(&mut rng).unwrap())
        .add(Flatten::default());
    let names: Vec<String> = model.named_params().into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["0.weight", "0.bias", "3.weight", "3.bias"]);
    model.eval();
    let g = Graph::no_grad();
    let y = model
        .forward(&g.constant(Tensor::ones([2, 1, 8, 8])))
        .unwrap();
    assert_eq!(y.shape(), &[2, 8 * 2 * 2]);
    let e = model
        .forward(&g.constant(Tensor::ones([2, 3, 8, 8])))
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("0 (Conv2d): expected input [N, 1, H, W], got [2, 3, 8, 8]"),
        "{e}"
    );
}
