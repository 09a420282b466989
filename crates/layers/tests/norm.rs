//! Normalisation layers against PyTorch (fixtures/norm.py writes fixtures/norm.json): outputs
//! and gradients of the input, weight and bias in training and eval mode, running statistics
//! after three training steps, shape errors, and the independence of samples in eval mode.

use serde_json::Value;
use youshi_autograd::Graph;
use youshi_layers::norm::{
    BatchNorm1d, BatchNorm1dConfig, BatchNorm2d, BatchNorm2dConfig, GroupNorm, GroupNormConfig,
    LayerNorm, LayerNormConfig,
};
use youshi_layers::{LayerError, Module, ModuleExt, Sequential};
use youshi_tensor::{seeded_rng, Element, Tensor};

const FIXTURE: &str = include_str!("fixtures/norm.json");

fn cases() -> Vec<Value> {
    let v: Value = serde_json::from_str(FIXTURE).expect("norm.json parses");
    v["cases"].as_array().expect("cases").clone()
}

fn case(name: &str) -> Value {
    cases()
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn dims(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("size") as usize)
        .collect()
}

fn tensor<T: Element>(v: &Value, shape: &[usize]) -> Tensor<T> {
    Tensor::from_vec(floats(v).into_iter().map(T::of).collect(), shape).unwrap()
}

/// `|got - want| <= tol (|want| + 1)` element by element.
fn assert_close<T: Element>(what: &str, got: &[T], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let g = g.as_f64();
        assert!(
            (g - w).abs() <= tol * (w.abs() + 1.0),
            "{what}[{i}]: got {g}, PyTorch {w}"
        );
    }
}

/// The layer a fixture case describes, built through its config.
fn build<T: Element>(c: &Value) -> Box<dyn Module<T>> {
    let cfg = &c["config"];
    let mut rng = seeded_rng(0);
    let eps = cfg["eps"].as_f64().unwrap_or(1e-5);
    let affine = cfg["affine"].as_bool().unwrap_or(true);
    let momentum = match cfg.get("momentum") {
        Some(Value::Null) => None,
        Some(m) => Some(m.as_f64().unwrap()),
        None => Some(0.1),
    };
    let track = cfg["track_running_stats"].as_bool().unwrap_or(true);
    let nf = cfg["num_features"].as_u64().unwrap_or(0) as usize;
    match c["kind"].as_str().unwrap() {
        "LayerNorm" => Box::new(
            LayerNormConfig::new(&dims(&cfg["normalized_shape"]))
                .eps(eps)
                .elementwise_affine(cfg["elementwise_affine"].as_bool().unwrap_or(true))
                .bias(cfg["bias"].as_bool().unwrap_or(true))
                .init::<T>(&mut rng)
                .unwrap(),
        ),
        "BatchNorm1d" => Box::new(
            BatchNorm1dConfig::new(nf)
                .eps(eps)
                .momentum(momentum)
                .affine(affine)
                .track_running_stats(track)
                .init::<T>(&mut rng)
                .unwrap(),
        ),
        "BatchNorm2d" => Box::new(
            BatchNorm2dConfig::new(nf)
                .eps(eps)
                .momentum(momentum)
                .affine(affine)
                .track_running_stats(track)
                .init::<T>(&mut rng)
                .unwrap(),
        ),
        "GroupNorm" => Box::new(
            GroupNormConfig::new(
                cfg["num_groups"].as_u64().unwrap() as usize,
                cfg["num_channels"].as_u64().unwrap() as usize,
            )
            .eps(eps)
            .affine(affine)
            .init::<T>(&mut rng)
            .unwrap(),
        ),
        other => panic!("unknown kind {other}"),
    }
}

/// Runs one recorded step and compares output and gradients.
fn check_step<T: Element>(m: &dyn Module<T>, name: &str, s: &Value, tol: f64) {
    let shape = dims(&s["shape"]);
    let g = Graph::new();
    let x = g.leaf(tensor::<T>(&s["x"], &shape));
    let y = m.forward(&x).unwrap();
    assert_close(
        &format!("{name} y"),
        &y.value().to_vec(),
        &floats(&s["y"]),
        tol,
    );
    m.zero_grad();
    y.backward_with(&tensor::<T>(&s["gy"], y.shape())).unwrap();
    assert_close(
        &format!("{name} gx"),
        &x.grad().unwrap().to_vec(),
        &floats(&s["gx"]),
        tol,
    );
    let params = m.named_params();
    for (p, key) in [("weight", "gw"), ("bias", "gb")] {
        let found = params.iter().find(|(n, _)| n == p);
        match (&s[key], found) {
            (Value::Null, None) => {}
            (want, Some((_, param))) => assert_close(
                &format!("{name} {key}"),
                &param.grad().expect("gradient").to_vec(),
                &floats(want),
                tol,
            ),
            (_, None) => panic!("{name}: PyTorch has a {p}, the layer has none"),
        }
    }
}

fn check_case<T: Element>(c: &Value, tol: f64) {
    let name = c["name"].as_str().unwrap();
    let m = build::<T>(c);
    let params = m.named_params();
    for p in ["weight", "bias"] {
        let found = params.iter().find(|(n, _)| n == p);
        match (&c[p], found) {
            (Value::Null, None) => {}
            (v, Some((_, param))) => {
                let shape = param.shape();
                param.set_value(tensor::<T>(v, &shape)).unwrap();
            }
            (_, None) => panic!("{name}: PyTorch has a {p}, the layer has none"),
        }
    }
    m.train();
    for (i, s) in c["steps"].as_array().unwrap().iter().enumerate() {
        check_step(m.as_ref(), &format!("{name} step {i}"), s, tol);
    }
    let buffers = m.named_buffers();
    for b in ["running_mean", "running_var", "num_batches_tracked"] {
        let found = buffers.iter().find(|(n, _)| n == b);
        match (&c[b], found) {
            (Value::Null, None) => {}
            (v, Some((_, buf))) => assert_close(
                &format!("{name} {b}"),
                &buf.value().to_vec(),
                &floats(v),
                tol,
            ),
            (_, None) => panic!("{name}: PyTorch has {b}, the layer has none"),
        }
    }
    m.eval();
    check_step(m.as_ref(), &format!("{name} eval"), &c["eval"], tol);
}

#[test]
fn every_case_matches_pytorch_in_f64() {
    let all = cases();
    assert!(all.len() >= 13);
    for c in &all {
        check_case::<f64>(c, 1e-9);
    }
}

#[test]
fn every_case_matches_pytorch_in_f32() {
    for c in &cases() {
        check_case::<f32>(c, 1e-4);
    }
}

#[test]
fn running_stats_after_three_steps_with_momentum_and_cumulative_average() {
    // Covered value by value in `every_case_matches_pytorch_in_f64`; here the cases are named
    // so a regression in either averaging rule points at itself.
    for name in [
        "batch_norm1d_nc",
        "batch_norm2d",
        "batch_norm1d_ncl_cumulative",
        "batch_norm2d_cumulative_eps",
        "batch_norm2d_momentum_half",
    ] {
        let c = case(name);
        assert_eq!(c["steps"].as_array().unwrap().len(), 3);
        assert_eq!(floats(&c["num_batches_tracked"]), [3.0]);
        check_case::<f64>(&c, 1e-9);
    }
}

#[test]
fn names_shapes_and_default_initialisation_follow_pytorch() {
    let bn = BatchNorm2d::<f64>::new(3).unwrap();
    let params: Vec<(String, Vec<f64>)> = bn
        .named_params()
        .into_iter()
        .map(|(n, p)| (n, p.value().to_vec()))
        .collect();
    assert_eq!(
        params,
        [
            ("weight".to_string(), vec![1.0; 3]),
            ("bias".to_string(), vec![0.0; 3])
        ]
    );
    let buffers: Vec<(String, Vec<usize>, Vec<f64>)> = bn
        .named_buffers()
        .into_iter()
        .map(|(n, b)| (n, b.shape(), b.value().to_vec()))
        .collect();
    assert_eq!(
        buffers,
        [
            ("running_mean".to_string(), vec![3], vec![0.0; 3]),
            ("running_var".to_string(), vec![3], vec![1.0; 3]),
            ("num_batches_tracked".to_string(), vec![], vec![0.0]),
        ]
    );
    assert_eq!((bn.eps(), bn.momentum()), (1e-5, Some(0.1)));
    assert!(bn.training());

    let no_stats = BatchNorm1dConfig::new(4)
        .track_running_stats(false)
        .affine(false)
        .init::<f32>(&mut seeded_rng(0))
        .unwrap();
    assert!(no_stats.named_params().is_empty() && no_stats.named_buffers().is_empty());

    let ln = LayerNorm::<f32>::new(&[2, 3]).unwrap();
    let names: Vec<(String, Vec<usize>)> = ln
        .named_params()
        .into_iter()
        .map(|(n, p)| (n, p.shape()))
        .collect();
    assert_eq!(
        names,
        [
            ("weight".to_string(), vec![2, 3]),
            ("bias".to_string(), vec![2, 3])
        ]
    );
    let gn = GroupNorm::<f32>::new(2, 4).unwrap();
    assert_eq!(gn.param_counts(), (8, 0));

    // Nested in a container, PyTorch's dotted names.
    let model: Sequential<f32> = Sequential::new()
        .add(BatchNorm1d::new(2).unwrap())
        .add(LayerNorm::new(&[2]).unwrap());
    let names: Vec<String> = model.named_buffers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["0.running_mean", "0.running_var", "0.num_batches_tracked"]
    );
}

fn input_error(r: youshi_layers::Result<youshi_autograd::Var<f64>>) -> String {
    match r {
        Err(e @ LayerError::Input { .. }) => e.to_string(),
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn wrong_channel_counts_and_ranks_name_the_shapes() {
    let g = Graph::<f64>::new();
    let x = |s: &[usize]| g.constant(Tensor::ones(s));
    let bn1 = BatchNorm1d::<f64>::new(3).unwrap();
    assert_eq!(
        input_error(bn1.forward(&x(&[4, 2]))),
        "BatchNorm1d: expected input [N, 3] or [N, 3, L], got [4, 2]"
    );
    assert_eq!(
        input_error(bn1.forward(&x(&[4, 3, 2, 2]))),
        "BatchNorm1d: expected input [N, 3] or [N, 3, L], got [4, 3, 2, 2]"
    );
    assert_eq!(
        input_error(bn1.forward(&x(&[3]))),
        "BatchNorm1d: expected input [N, 3] or [N, 3, L], got [3]"
    );
    let bn2 = BatchNorm2d::<f64>::new(32).unwrap();
    assert_eq!(
        input_error(bn2.forward(&x(&[2, 16, 4, 4]))),
        "BatchNorm2d: expected input [N, 32, H, W], got [2, 16, 4, 4]"
    );
    assert_eq!(
        input_error(bn2.forward(&x(&[2, 32, 4]))),
        "BatchNorm2d: expected input [N, 32, H, W], got [2, 32, 4]"
    );
    let ln = LayerNorm::<f64>::new(&[4, 5]).unwrap();
    assert_eq!(
        input_error(ln.forward(&x(&[2, 5, 4]))),
        "LayerNorm: expected input [*, 4, 5], got [2, 5, 4]"
    );
    assert_eq!(
        input_error(ln.forward(&x(&[5]))),
        "LayerNorm: expected input [*, 4, 5], got [5]"
    );
    let gn = GroupNorm::<f64>::new(2, 6).unwrap();
    assert_eq!(
        input_error(gn.forward(&x(&[2, 4, 3]))),
        "GroupNorm: expected input [N, 6, *], got [2, 4, 3]"
    );
    assert_eq!(
        input_error(gn.forward(&x(&[6]))),
        "GroupNorm: expected input [N, 6, *], got [6]"
    );

    // Inside a container the error carries the path.
    let model: Sequential<f64> = Sequential::new().add(BatchNorm2d::new(3).unwrap());
    let err = input_error(model.forward(&x(&[1, 4, 2, 2])));
    assert!(
        err.starts_with("0 (BatchNorm2d): expected input [N, 3, H, W]"),
        "{err}"
    );
}

#[test]
fn one_value_per_channel_fails_in_training_only() {
    let g = Graph::<f64>::new();
    let bn = BatchNorm1d::<f64>::new(3).unwrap();
    let err = input_error(bn.forward(&g.constant(Tensor::ones([1, 3]))));
    assert_eq!(
        err,
        "BatchNorm1d: expected input [N, 3] or [N, 3, L] with more than 1 value per channel in \
         training, got [1, 3]"
    );
    // The failed call left the statistics alone.
    assert_eq!(
        bn.num_batches_tracked
            .as_ref()
            .unwrap()
            .value()
            .item()
            .unwrap(),
        0.0
    );
    bn.eval();
    assert!(bn.forward(&g.constant(Tensor::ones([1, 3]))).is_ok());
    let bn2 = BatchNorm2d::<f64>::new(2).unwrap();
    assert!(bn2
        .forward(&g.constant(Tensor::ones([1, 2, 1, 1])))
        .is_err());
    assert!(bn2.forward(&g.constant(Tensor::ones([1, 2, 1, 2]))).is_ok());
}

#[test]
fn invalid_settings_name_the_module_and_values() {
    let mut rng = seeded_rng(0);
    let config_error = |r: Result<(), LayerError>| match r {
        Err(e @ LayerError::Config { .. }) => e.to_string(),
        other => panic!("expected a config error, got {other:?}"),
    };
    assert_eq!(
        config_error(BatchNorm2dConfig::new(0).init::<f32>(&mut rng).map(drop)),
        "BatchNorm2d: num_features must be positive, got 0"
    );
    assert_eq!(
        config_error(
            BatchNorm1dConfig::new(3)
                .momentum(Some(-0.1))
                .init::<f32>(&mut rng)
                .map(drop)
        ),
        "BatchNorm1d: momentum must be in [0, 1] or None, got -0.1"
    );
    assert_eq!(
        config_error(
            BatchNorm2dConfig::new(3)
                .eps(f64::NAN)
                .init::<f32>(&mut rng)
                .map(drop)
        ),
        "BatchNorm2d: eps must be finite and >= 0, got NaN"
    );
    assert_eq!(
        config_error(GroupNormConfig::new(4, 6).init::<f32>(&mut rng).map(drop)),
        "GroupNorm: num_channels must be a positive multiple of num_groups, got 6 channels in 4 \
         groups"
    );
    assert_eq!(
        config_error(GroupNormConfig::new(0, 6).init::<f32>(&mut rng).map(drop)),
        "GroupNorm: num_channels must be a positive multiple of num_groups, got 6 channels in 0 \
         groups"
    );
    assert_eq!(
        config_error(LayerNormConfig::new(&[]).init::<f32>(&mut rng).map(drop)),
        "LayerNorm: normalized_shape must be non-empty with positive sizes, got []"
    );
    assert_eq!(
        config_error(
            LayerNormConfig::new(&[3, 0])
                .init::<f32>(&mut rng)
                .map(drop)
        ),
        "LayerNorm: normalized_shape must be non-empty with positive sizes, got [3, 0]"
    );
    assert_eq!(
        config_error(
            LayerNormConfig::new(&[3])
                .eps(-1.0)
                .init::<f32>(&mut rng)
                .map(drop)
        ),
        "LayerNorm: eps must be finite and >= 0, got -1"
    );
}

#[test]
fn eval_uses_running_stats_so_samples_are_independent_of_the_batch() {
    let mut rng = seeded_rng(7);
    for bn in [
        Box::new(BatchNorm2d::<f64>::new(3).unwrap()) as Box<dyn Module<f64>>,
        Box::new(BatchNorm1d::<f64>::new(3).unwrap()),
    ] {
        let shape: &[usize] = if bn.kind() == "BatchNorm2d" {
            &[4, 3, 2, 2]
        } else {
            &[4, 3, 5]
        };
        let g = Graph::<f64>::no_grad();
        for _ in 0..3 {
            let x = Tensor::<f64>::rand_uniform(shape, -2.0, 3.0, &mut rng).unwrap();
            bn.forward(&g.constant(x)).unwrap();
        }
        let stats: Vec<Vec<f64>> = bn
            .named_buffers()
            .iter()
            .map(|(_, b)| b.value().to_vec())
            .collect();
        bn.eval();
        let batch = Tensor::<f64>::rand_uniform(shape, -2.0, 3.0, &mut rng).unwrap();
        let whole = bn
            .forward(&g.constant(batch.clone()))
            .unwrap()
            .value()
            .clone();
        let mut other = batch.clone();
        // Change every sample but the first: its output must not move.
        other
            .array_mut()
            .indexed_iter_mut()
            .filter(|(i, _)| i[0] > 0)
            .for_each(|(_, v)| *v = *v * 10.0 + 5.0);
        let changed = bn.forward(&g.constant(other)).unwrap().value().clone();
        let first = bn
            .forward(&g.constant(batch.narrow(0, 0, 1).unwrap()))
            .unwrap()
            .value()
            .clone();
        let per_sample = first.numel();
        assert_eq!(&whole.to_vec()[..per_sample], first.to_vec().as_slice());
        assert_eq!(&changed.to_vec()[..per_sample], first.to_vec().as_slice());
        // Eval neither tracks batches nor changes the statistics.
        let after: Vec<Vec<f64>> = bn
            .named_buffers()
            .iter()
            .map(|(_, b)| b.value().to_vec())
            .collect();
        assert_eq!(stats, after);
        assert_eq!(after[2], [3.0]);
        // And is (x - running_mean) / sqrt(running_var + eps) with weight 1, bias 0.
        let (rm, rv) = (&after[0], &after[1]);
        let c = 1;
        let x = batch.to_vec()[per_sample / 3 * c];
        let y = whole.to_vec()[per_sample / 3 * c];
        assert!((y - (x - rm[c]) / (rv[c] + 1e-5).sqrt()).abs() < 1e-12);
    }
}

#[test]
fn training_mode_uses_the_batch_statistics_even_without_gradients() {
    // A no-grad graph in training mode still normalises with batch statistics and updates the
    // running ones, as PyTorch does under torch.no_grad().
    let bn = BatchNorm1d::<f64>::new(1).unwrap();
    let g = Graph::no_grad();
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 6.0], [4, 1]).unwrap();
    let y = bn.forward(&g.constant(x)).unwrap().value().to_vec();
    let inv = 1.0 / (3.5f64 + 1e-5).sqrt(); // biased variance 14 / 4
    let want: Vec<f64> = [-2.0, -1.0, 0.0, 3.0].iter().map(|d| d * inv).collect();
    assert_close("y", &y, &want, 1e-12);
    let rv = bn.running_var.as_ref().unwrap().value().item().unwrap();
    assert!(
        (rv - (0.9 + 0.1 * 14.0 / 3.0)).abs() < 1e-12,
        "unbiased: {rv}"
    );
    let rm = bn.running_mean.as_ref().unwrap().value().item().unwrap();
    assert!((rm - 0.3).abs() < 1e-12);
}

#[test]
fn input_gradients_agree_with_finite_differences() {
    use youshi_autograd::{gradcheck, GradcheckOptions};
    let mut rng = seeded_rng(3);
    let layers: Vec<(Box<dyn Module<f64>>, Vec<usize>)> = vec![
        (Box::new(LayerNorm::new(&[3, 4]).unwrap()), vec![2, 3, 4]),
        (Box::new(BatchNorm1d::new(3).unwrap()), vec![4, 3, 2]),
        (Box::new(BatchNorm2d::new(2).unwrap()), vec![2, 2, 2, 3]),
        (Box::new(GroupNorm::new(2, 4).unwrap()), vec![2, 4, 3]),
    ];
    for (m, shape) in &layers {
        // Non-trivial affine parameters.
        for (_, p) in m.named_params() {
            let s = p.shape();
            p.set_value(Tensor::rand_uniform(s.as_slice(), 0.5, 1.5, &mut rng).unwrap())
                .unwrap();
        }
        for training in [true, false] {
            if training {
                m.train();
            } else {
                m.eval();
            }
            let x = Tensor::<f64>::rand_uniform(shape.as_slice(), -2.0, 2.0, &mut rng).unwrap();
            let report = gradcheck(
                |_g, v| Ok(m.forward(&v[0]).expect("forward")),
                &[x],
                GradcheckOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{} (training {training}): {e}", m.kind()));
            assert_eq!(report.checked, shape.iter().product::<usize>());
        }
    }
}
