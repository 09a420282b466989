//! `Rnn`, `Lstm`, `Gru` and their cells against PyTorch in float64 (fixtures from
//! `tests/fixtures/recurrent.py`): parameter names and shapes, outputs, final states, and the
//! gradients of the input, the initial states and every parameter, within 1e-9 relative.
//! Also: a PyTorch safetensors LSTM checkpoint, variable-length batches against
//! per-sequence runs, dropout between layers, initialisation, and every error path.

use serde_json::Value;
use youshi_autograd::{Graph, Var};
use youshi_layers::recurrent::{
    pad_sequences, GruCellConfig, GruConfig, LstmCellConfig, LstmConfig, LstmState, RnnCellConfig,
    RnnConfig, RnnNonlinearity,
};
use youshi_layers::{load_safetensors, LayerError, Module, ModuleExt};
use youshi_tensor::{seeded_rng, Tensor};

const FIXTURE: &str = include_str!("fixtures/recurrent.json");

fn tensor(a: &Value) -> Tensor<f64> {
    let shape: Vec<usize> = a["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f64> = a["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    Tensor::from_vec(data, shape).unwrap()
}

fn close_tol(got: &Tensor<f64>, want: &Tensor<f64>, rtol: f64, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (a, b)) in got.to_vec().iter().zip(want.to_vec()).enumerate() {
        let tol = rtol * a.abs().max(b.abs()).max(1e-6);
        assert!((a - b).abs() <= tol, "{what}[{i}]: {a} vs {b}");
    }
}

fn close(got: &Tensor<f64>, want: &Value, what: &str) {
    close_tol(got, &tensor(want), 1e-9, what);
}

/// `sum(v * w)` for a weight tensor `w` from the fixture.
fn weighted(v: &Var<f64>, w: &Value) -> Var<f64> {
    v.mul(&v.constant(tensor(w))).unwrap().sum_all().unwrap()
}

/// Sets every parameter of `m` from the case, after checking that the names (in order) and
/// shapes are PyTorch's.
fn load_params(m: &dyn Module<f64>, c: &Value, what: &str) {
    let names: Vec<String> = m.named_params().into_iter().map(|(n, _)| n).collect();
    let want: Vec<String> = c["param_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, want, "{what}: parameter names");
    for (name, p) in m.named_params() {
        let value = tensor(&c["params"][name.as_str()]["value"]);
        assert_eq!(p.shape(), value.shape(), "{what}: shape of {name}");
        p.set_value(value).unwrap();
    }
}

fn check_param_grads(m: &dyn Module<f64>, c: &Value, what: &str) {
    for (name, p) in m.named_params() {
        close(
            &p.grad().unwrap(),
            &c["params"][name.as_str()]["grad"],
            &format!("{what} d{name}"),
        );
    }
}

fn opt_leaf(g: &Graph<f64>, c: &Value, key: &str) -> Option<Var<f64>> {
    c.get(key).map(|v| g.leaf(tensor(v)))
}

fn lengths(c: &Value) -> Option<Vec<usize>> {
    c.get("lengths").map(|l| {
        l.as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect()
    })
}

#[test]
fn modules_match_pytorch_values_and_gradients() {
    let v: Value = serde_json::from_str(FIXTURE).unwrap();
    let cases = v["modules"].as_array().unwrap();
    assert_eq!(cases.len(), 37);
    for c in cases {
        let kind = c["kind"].as_str().unwrap();
        let what = format!("{kind} {}", c["name"].as_str().unwrap());
        let (layers, bidir) = (
            c["num_layers"].as_u64().unwrap() as usize,
            c["bidirectional"].as_bool().unwrap(),
        );
        let (batch_first, bias) = (
            c["batch_first"].as_bool().unwrap(),
            c["bias"].as_bool().unwrap(),
        );
        let mut rng = seeded_rng(0);
        let g = Graph::new();
        let x = g.leaf(tensor(&c["x"]));
        let h0 = opt_leaf(&g, c, "h0");
        let c0 = opt_leaf(&g, c, "c0");
        let lens = lengths(c);
        let (m, y, h_n, c_n): (Box<dyn Module<f64>>, _, _, _) = match kind {
            "lstm" => {
                let m = LstmConfig::new(3, 4)
                    .num_layers(layers)
                    .bidirectional(bidir)
                    .batch_first(batch_first)
                    .bias(bias)
                    .init(&mut rng)
                    .unwrap();
                load_params(&m, c, &what);
                let state = h0.clone().map(|h| LstmState {
                    h,
                    c: c0.clone().unwrap(),
                });
                let (y, s) = m.forward_full(&x, state.as_ref(), lens.as_deref()).unwrap();
                (Box::new(m), y, s.h, Some(s.c))
            }
            "gru" => {
                let m = GruConfig::new(3, 4)
                    .num_layers(layers)
                    .bidirectional(bidir)
                    .batch_first(batch_first)
                    .bias(bias)
                    .init(&mut rng)
                    .unwrap();
                load_params(&m, c, &what);
                let (y, h) = m.forward_full(&x, h0.as_ref(), lens.as_deref()).unwrap();
                (Box::new(m), y, h, None)
            }
            rnn => {
                let nl = if rnn == "rnn_relu" {
                    RnnNonlinearity::Relu
                } else {
                    RnnNonlinearity::Tanh
                };
                let m = RnnConfig::new(3, 4)
                    .nonlinearity(nl)
                    .num_layers(layers)
                    .bidirectional(bidir)
                    .batch_first(batch_first)
                    .bias(bias)
                    .init(&mut rng)
                    .unwrap();
                load_params(&m, c, &what);
                let (y, h) = m.forward_full(&x, h0.as_ref(), lens.as_deref()).unwrap();
                (Box::new(m), y, h, None)
            }
        };
        close(y.value(), &c["y"], &format!("{what} y"));
        close(h_n.value(), &c["h_n"], &format!("{what} h_n"));
        let mut loss = weighted(&y, &c["w_y"])
            .add(&weighted(&h_n, &c["w_h"]))
            .unwrap();
        if let Some(cn) = &c_n {
            close(cn.value(), &c["c_n"], &format!("{what} c_n"));
            loss = loss.add(&weighted(cn, &c["w_c"])).unwrap();
        }
        loss.backward().unwrap();
        close(&x.grad().unwrap(), &c["gx"], &format!("{what} dx"));
        if let Some(h0) = &h0 {
            close(&h0.grad().unwrap(), &c["gh0"], &format!("{what} dh0"));
        }
        if let Some(c0) = &c0 {
            close(&c0.grad().unwrap(), &c["gc0"], &format!("{what} dc0"));
        }
        check_param_grads(m.as_ref(), c, &what);
    }
}

#[test]
fn cells_match_pytorch_values_and_gradients() {
    let v: Value = serde_json::from_str(FIXTURE).unwrap();
    let cases = v["cells"].as_array().unwrap();
    assert_eq!(cases.len(), 16);
    for c in cases {
        let kind = c["kind"].as_str().unwrap();
        let what = format!("{kind} cell {}", c["name"].as_str().unwrap());
        let bias = c["bias"].as_bool().unwrap();
        let mut rng = seeded_rng(0);
        let g = Graph::new();
        let x = g.leaf(tensor(&c["x"]));
        let h0 = opt_leaf(&g, c, "h0");
        let c0 = opt_leaf(&g, c, "c0");
        let (m, h, cell): (Box<dyn Module<f64>>, _, _) = match kind {
            "lstm" => {
                let m = LstmCellConfig::new(3, 4).bias(bias).init(&mut rng).unwrap();
                load_params(&m, c, &what);
                let state = h0.clone().map(|h| LstmState {
                    h,
                    c: c0.clone().unwrap(),
                });
                let s = m.step(&x, state.as_ref()).unwrap();
                (Box::new(m), s.h, Some(s.c))
            }
            "gru" => {
                let m = GruCellConfig::new(3, 4).bias(bias).init(&mut rng).unwrap();
                load_params(&m, c, &what);
                let h = m.step(&x, h0.as_ref()).unwrap();
                (Box::new(m), h, None)
            }
            rnn => {
                let nl = if rnn == "rnn_relu" {
                    RnnNonlinearity::Relu
                } else {
                    RnnNonlinearity::Tanh
                };
                let m = RnnCellConfig::new(3, 4)
                    .nonlinearity(nl)
                    .bias(bias)
                    .init(&mut rng)
                    .unwrap();
                load_params(&m, c, &what);
                let h = m.step(&x, h0.as_ref()).unwrap();
                (Box::new(m), h, None)
            }
        };
        close(h.value(), &c["h"], &format!("{what} h"));
        let mut loss = weighted(&h, &c["w_h"]);
        if let Some(cv) = &cell {
            close(cv.value(), &c["c"], &format!("{what} c"));
            loss = loss.add(&weighted(cv, &c["w_c"])).unwrap();
        }
        loss.backward().unwrap();
        close(&x.grad().unwrap(), &c["gx"], &format!("{what} dx"));
        if let Some(h0) = &h0 {
            close(&h0.grad().unwrap(), &c["gh0"], &format!("{what} dh0"));
        }
        if let Some(c0) = &c0 {
            close(&c0.grad().unwrap(), &c["gc0"], &format!("{what} dc0"));
        }
        check_param_grads(m.as_ref(), c, &what);
        // Module::forward is the step from a zero state.
        if h0.is_none() {
            let g = Graph::no_grad();
            let y = m.forward(&g.constant(tensor(&c["x"]))).unwrap();
            close(y.value(), &c["h"], &format!("{what} forward"));
        }
    }
}

#[test]
fn pytorch_safetensors_lstm_loads_strictly_and_runs_the_same() {
    let v: Value = serde_json::from_str(FIXTURE).unwrap();
    let c = &v["safetensors_lstm"];
    let lstm = LstmConfig::new(3, 4)
        .num_layers(2)
        .bidirectional(true)
        .init::<f32>(&mut seeded_rng(0))
        .unwrap();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/recurrent_lstm.safetensors"
    );
    load_safetensors(&lstm, path, true).unwrap();
    let g = Graph::no_grad();
    let x = g.constant(tensor(&c["x"]).cast::<f32>());
    let (y, s) = lstm.forward_full(&x, None, None).unwrap();
    for (got, key) in [(&y, "y"), (&s.h, "h_n"), (&s.c, "c_n")] {
        close_tol(&got.value().cast(), &tensor(&c[key]), 1e-5, key);
    }
    // The same file does not fit a one-directional LSTM: every difference is listed.
    let one = LstmConfig::new(3, 4)
        .num_layers(2)
        .init::<f32>(&mut seeded_rng(0))
        .unwrap();
    let e = load_safetensors(&one, path, true).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("unexpected") && msg.contains("weight_ih_l0_reverse"),
        "{msg}"
    );
    assert!(msg.contains("weight_ih_l1: model has"), "{msg}");
}

/// Random sequences of the given lengths, each `[L_b, input]`.
fn sequences(lengths: &[usize], input: usize, seed: u64) -> Vec<Tensor<f64>> {
    let mut rng = seeded_rng(seed);
    lengths
        .iter()
        .map(|&l| Tensor::rand_uniform([l, input], -1.0, 1.0, &mut rng).unwrap())
        .collect()
}

/// A recurrent module seen through one interface: output and final states from optional
/// initial states and lengths.
type Runner =
    Box<dyn Fn(&Var<f64>, Option<&Var<f64>>, Option<&Var<f64>>, Option<&[usize]>) -> Vec<Var<f64>>>;

fn runner(kind: &str, batch_first: bool) -> (Runner, Box<dyn Module<f64>>) {
    let mut rng = seeded_rng(3);
    match kind {
        "lstm" => {
            let m = LstmConfig::new(3, 4)
                .num_layers(2)
                .bidirectional(true)
                .batch_first(batch_first)
                .init::<f64>(&mut rng)
                .unwrap();
            let m2 = m.clone();
            let run: Runner = Box::new(move |x, h, c, l| {
                let s = h.map(|h| LstmState {
                    h: h.clone(),
                    c: c.unwrap().clone(),
                });
                let (y, s) = m2.forward_full(x, s.as_ref(), l).unwrap();
                vec![y, s.h, s.c]
            });
            (run, Box::new(m))
        }
        "gru" => {
            let m = GruConfig::new(3, 4)
                .num_layers(2)
                .bidirectional(true)
                .batch_first(batch_first)
                .init::<f64>(&mut rng)
                .unwrap();
            let m2 = m.clone();
            let run: Runner = Box::new(move |x, h, _, l| {
                let (y, h) = m2.forward_full(x, h, l).unwrap();
                vec![y, h]
            });
            (run, Box::new(m))
        }
        _ => {
            let m = RnnConfig::new(3, 4)
                .num_layers(2)
                .bidirectional(true)
                .batch_first(batch_first)
                .init::<f64>(&mut rng)
                .unwrap();
            let m2 = m.clone();
            let run: Runner = Box::new(move |x, h, _, l| {
                let (y, h) = m2.forward_full(x, h, l).unwrap();
                vec![y, h]
            });
            (run, Box::new(m))
        }
    }
}

/// A padded batch with lengths gives, for every sequence, the outputs, final states and
/// gradients of running it alone; padded outputs are zero and padded inputs get no gradient.
#[test]
fn variable_lengths_match_per_sequence_runs() {
    let lens = [5, 2, 4, 1];
    let (steps, batch, hidden) = (5, lens.len(), 4);
    for kind in ["rnn", "lstm", "gru"] {
        for batch_first in [false, true] {
            let what = format!("{kind} batch_first {batch_first}");
            let (run, model) = runner(kind, batch_first);
            let lstm = kind == "lstm";
            let seqs = sequences(&lens, 3, 7);
            let (padded, got_lens) = pad_sequences(&seqs, batch_first, 0.0).unwrap();
            assert_eq!(got_lens, lens);
            let mut rng = seeded_rng(8);
            let h0 = Tensor::<f64>::rand_uniform([4, batch, hidden], -1.0, 1.0, &mut rng).unwrap();
            let c0 = Tensor::<f64>::rand_uniform([4, batch, hidden], -1.0, 1.0, &mut rng).unwrap();
            let out_w =
                Tensor::<f64>::rand_uniform([steps, batch, 8], -1.0, 1.0, &mut rng).unwrap();
            let state_w =
                Tensor::<f64>::rand_uniform([4, batch, hidden], -1.0, 1.0, &mut rng).unwrap();

            // The whole padded batch.
            model.zero_grad();
            let g = Graph::new();
            let x = g.leaf(padded.clone());
            let h = g.constant(h0.clone());
            let c = g.constant(c0.clone());
            let outs = run(&x, Some(&h), lstm.then_some(&c), Some(&lens));
            let y = if batch_first {
                outs[0].transpose(0, 1).unwrap()
            } else {
                outs[0].clone()
            };
            let mut loss = y
                .mul(&g.constant(out_w.clone()))
                .unwrap()
                .sum_all()
                .unwrap();
            for s in &outs[1..] {
                let l = s
                    .mul(&g.constant(state_w.clone()))
                    .unwrap()
                    .sum_all()
                    .unwrap();
                loss = loss.add(&l).unwrap();
            }
            loss.backward().unwrap();
            let batch_grads: Vec<Tensor<f64>> =
                model.params().iter().map(|p| p.grad().unwrap()).collect();
            let gx = x.grad().unwrap();
            let gx = if batch_first {
                gx.transpose(0, 1).unwrap().contiguous()
            } else {
                gx
            };

            // Each sequence alone, accumulating the parameter gradients.
            model.zero_grad();
            for (b, seq) in seqs.iter().enumerate() {
                let l = lens[b];
                let g = Graph::new();
                let xb = g.leaf(if batch_first {
                    seq.unsqueeze(0).unwrap()
                } else {
                    seq.unsqueeze(1).unwrap()
                });
                let hb = g.constant(h0.narrow(1, b, 1).unwrap());
                let cb = g.constant(c0.narrow(1, b, 1).unwrap());
                let ob = run(&xb, Some(&hb), lstm.then_some(&cb), None);
                let yb = if batch_first {
                    ob[0].select(0, 0).unwrap()
                } else {
                    ob[0].select(1, 0).unwrap()
                };
                let want_y = y.value().narrow(0, 0, l).unwrap().select(1, b).unwrap();
                close_tol(&want_y, yb.value(), 1e-12, &format!("{what} y of {b}"));
                let pad = y
                    .value()
                    .narrow(0, l, steps - l)
                    .unwrap()
                    .select(1, b)
                    .unwrap();
                assert!(
                    pad.to_vec().iter().all(|&v| v == 0.0),
                    "{what}: padding of {b}"
                );
                let wb = out_w.narrow(0, 0, l).unwrap().select(1, b).unwrap();
                let mut loss = yb.mul(&g.constant(wb)).unwrap().sum_all().unwrap();
                for (k, s) in ob[1..].iter().enumerate() {
                    let whole = outs[1 + k].value().narrow(1, b, 1).unwrap();
                    close_tol(
                        s.value(),
                        &whole,
                        1e-12,
                        &format!("{what} state {k} of {b}"),
                    );
                    let sw = state_w.narrow(1, b, 1).unwrap();
                    loss = loss
                        .add(&s.mul(&g.constant(sw)).unwrap().sum_all().unwrap())
                        .unwrap();
                }
                loss.backward().unwrap();
                let gxb = xb.grad().unwrap().reshape(&[l as isize, 3]).unwrap();
                let want_gx = gx.narrow(0, 0, l).unwrap().select(1, b).unwrap();
                close_tol(&gxb, &want_gx, 1e-12, &format!("{what} dx of {b}"));
                let pad_gx = gx.narrow(0, l, steps - l).unwrap().select(1, b).unwrap();
                assert!(
                    pad_gx.to_vec().iter().all(|&v| v == 0.0),
                    "{what}: dx padding"
                );
            }
            for ((name, p), want) in model.named_params().iter().zip(&batch_grads) {
                close_tol(&p.grad().unwrap(), want, 1e-10, &format!("{what} d{name}"));
            }
        }
    }
}

#[test]
fn full_lengths_equal_no_lengths() {
    let m = GruConfig::new(3, 4)
        .bidirectional(true)
        .init::<f64>(&mut seeded_rng(1))
        .unwrap();
    let g = Graph::no_grad();
    let x = g.constant(Tensor::rand_uniform([6, 2, 3], -1.0, 1.0, &mut seeded_rng(2)).unwrap());
    let (a, ha) = m.forward_full(&x, None, None).unwrap();
    let (b, hb) = m.forward_full(&x, None, Some(&[6, 6])).unwrap();
    assert_eq!(a.value(), b.value());
    assert_eq!(ha.value(), hb.value());
}

#[test]
fn dropout_between_layers_only_in_training_and_seeded() {
    let build = |p: f64| {
        LstmConfig::new(3, 8)
            .num_layers(3)
            .dropout(p)
            .init::<f64>(&mut seeded_rng(5))
            .unwrap()
    };
    let (with, without) = (build(0.5), build(0.0));
    let g = Graph::no_grad();
    let x = g.constant(Tensor::rand_uniform([4, 2, 3], -1.0, 1.0, &mut seeded_rng(6)).unwrap());
    let plain = without.forward(&x).unwrap();
    assert!(with.training());
    let a = with.forward(&x).unwrap();
    assert_ne!(
        a.value(),
        plain.value(),
        "dropout changes the output in training"
    );
    // The same seed draws the same masks; the generator is visible for checkpoints.
    let again = build(0.5).forward(&x).unwrap();
    assert_eq!(a.value(), again.value());
    let mut names = Vec::new();
    with.visit_rngs(&mut |n, _| names.push(n.to_string()));
    assert_eq!(names, ["rng"]);
    let mut none = Vec::new();
    without.visit_rngs(&mut |n, _| none.push(n.to_string()));
    assert!(none.is_empty());
    with.eval();
    assert!(!with.training());
    assert_eq!(with.forward(&x).unwrap().value(), plain.value());
}

#[test]
fn initialisation_is_pytorch_uniform_in_one_over_sqrt_hidden() {
    let hidden = 64;
    let m = LstmConfig::new(10, hidden)
        .num_layers(2)
        .bidirectional(true)
        .init::<f64>(&mut seeded_rng(0))
        .unwrap();
    let bound = 1.0 / (hidden as f64).sqrt();
    let mut all = Vec::new();
    for (name, p) in m.named_params() {
        let v = p.value().to_vec();
        assert!(v.iter().all(|x| x.abs() <= bound), "{name} out of bounds");
        all.extend(v);
    }
    let max = all.iter().fold(0f64, |a, b| a.max(b.abs()));
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    let var = all.iter().map(|x| x * x).sum::<f64>() / all.len() as f64;
    assert!(max > 0.99 * bound, "max {max}");
    assert!(mean.abs() < 0.01 * bound, "mean {mean}");
    // Uniform(-b, b) has variance b² / 3.
    assert!(
        (var - bound * bound / 3.0).abs() < 0.02 * bound * bound,
        "var {var}"
    );
    let w = m.weights(1, true).unwrap();
    assert_eq!(w.weight_ih.shape(), vec![4 * hidden, 2 * hidden]);
    assert!(m.weights(2, false).is_none());
    let one = GruConfig::new(3, 4)
        .init::<f32>(&mut seeded_rng(0))
        .unwrap();
    assert!(one.weights(0, true).is_none());
}

#[test]
fn configs_reject_invalid_values() {
    let mut rng = seeded_rng(0);
    let e = LstmConfig::new(0, 4).init::<f32>(&mut rng).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Lstm: sizes must be positive, got input_size 0 and hidden_size 4"
    );
    let e = GruConfig::new(3, 4)
        .num_layers(0)
        .init::<f32>(&mut rng)
        .unwrap_err();
    assert_eq!(e.to_string(), "Gru: num_layers must be at least 1, got 0");
    let e = RnnConfig::new(3, 4)
        .dropout(1.5)
        .init::<f32>(&mut rng)
        .unwrap_err();
    assert_eq!(e.to_string(), "Rnn: dropout must lie in [0, 1], got 1.5");
    for e in [
        RnnCellConfig::new(3, 0).init::<f32>(&mut rng).map(|_| ()),
        LstmCellConfig::new(0, 1).init::<f32>(&mut rng).map(|_| ()),
        GruCellConfig::new(0, 0).init::<f32>(&mut rng).map(|_| ()),
    ] {
        let e = e.unwrap_err();
        assert!(matches!(e, LayerError::Config { .. }), "{e}");
        assert!(
            e.to_string().contains("Cell: sizes must be positive"),
            "{e}"
        );
    }
}

#[test]
fn module_errors_name_the_module_and_shapes() {
    let mut rng = seeded_rng(0);
    let lstm = LstmConfig::new(3, 4)
        .num_layers(2)
        .init::<f64>(&mut rng)
        .unwrap();
    let gru = GruConfig::new(3, 4)
        .batch_first(true)
        .bidirectional(true)
        .init::<f64>(&mut rng)
        .unwrap();
    let rnn = RnnConfig::new(3, 4).init::<f64>(&mut rng).unwrap();
    let g = Graph::new();
    let z = |s: &[usize]| g.constant(Tensor::zeros(s));
    let err = |r: Result<Var<f64>, LayerError>| r.unwrap_err().to_string();

    assert_eq!(
        err(lstm.forward(&z(&[5, 2, 6]))),
        "Lstm: expected input [L, N, 3] or [L, 3], got [5, 2, 6]"
    );
    assert_eq!(
        err(gru.forward(&z(&[2, 5, 3, 1]))),
        "Gru: expected input [N, L, 3] or [L, 3], got [2, 5, 3, 1]"
    );
    assert_eq!(
        err(rnn.forward(&z(&[0, 2, 3]))),
        "Rnn: expected input [L, N, 3] or [L, 3] with L >= 1, got [0, 2, 3]"
    );
    let state = |h: &[usize], c: &[usize]| LstmState { h: z(h), c: z(c) };
    let e = lstm
        .forward_full(&z(&[5, 2, 3]), Some(&state(&[1, 2, 4], &[2, 2, 4])), None)
        .unwrap_err();
    assert!(matches!(e, LayerError::Argument { arg: "h0", .. }));
    assert_eq!(
        e.to_string(),
        "Lstm: h0 must be [2, 2, 4] for input [5, 2, 3], got [1, 2, 4]"
    );
    let e = lstm
        .forward_full(&z(&[5, 2, 3]), Some(&state(&[2, 2, 4], &[2, 2, 5])), None)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Lstm: c0 must be [2, 2, 4] for input [5, 2, 3], got [2, 2, 5]"
    );
    let e = lstm
        .forward_full(&z(&[5, 3]), Some(&state(&[2, 1, 4], &[2, 1, 4])), None)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Lstm: h0 must be [2, 4] for input [5, 3], got [2, 1, 4]"
    );
    let e = gru
        .forward_full(&z(&[2, 5, 3]), Some(&z(&[1, 2, 4])), None)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Gru: h0 must be [2, 2, 4] for input [2, 5, 3], got [1, 2, 4]"
    );
    let e = gru
        .forward_full(&z(&[2, 5, 3]), None, Some(&[6, 2]))
        .unwrap_err();
    assert!(matches!(e, LayerError::Argument { arg: "lengths", .. }));
    assert_eq!(
        e.to_string(),
        "Gru: lengths [6, 2] exceed the sequence length 5 of input [2, 5, 3]"
    );
    let e = rnn
        .forward_full(&z(&[5, 2, 3]), None, Some(&[1, 2, 3]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Rnn: lengths has 3 entries for a batch of 2 in input [5, 2, 3]"
    );
    // Inside a container, the path of the module is named.
    let e = LayerError::argument("Lstm", "h0", "must be [1]").within("encoder");
    assert_eq!(e.to_string(), "encoder (Lstm): h0 must be [1]");
}

#[test]
fn cell_errors_name_the_cell_and_shapes() {
    let mut rng = seeded_rng(0);
    let rnn = RnnCellConfig::new(3, 4).init::<f64>(&mut rng).unwrap();
    let lstm = LstmCellConfig::new(3, 4).init::<f64>(&mut rng).unwrap();
    let gru = GruCellConfig::new(3, 4).init::<f64>(&mut rng).unwrap();
    let g = Graph::new();
    let z = |s: &[usize]| g.constant(Tensor::zeros(s));
    assert_eq!(
        rnn.forward(&z(&[2, 5])).unwrap_err().to_string(),
        "RnnCell: expected input [N, 3] or [3], got [2, 5]"
    );
    assert_eq!(
        gru.step(&z(&[1, 2, 3]), None).unwrap_err().to_string(),
        "GruCell: expected input [N, 3] or [3], got [1, 2, 3]"
    );
    assert_eq!(
        gru.step(&z(&[2, 3]), Some(&z(&[3, 4])))
            .unwrap_err()
            .to_string(),
        "GruCell: h0 must be [2, 4] for input [2, 3], got [3, 4]"
    );
    assert_eq!(
        rnn.step(&z(&[3]), Some(&z(&[1, 4])))
            .unwrap_err()
            .to_string(),
        "RnnCell: h0 must be [4] for input [3], got [1, 4]"
    );
    let s = LstmState {
        h: z(&[2, 4]),
        c: z(&[2, 3]),
    };
    assert_eq!(
        lstm.step(&z(&[2, 3]), Some(&s)).unwrap_err().to_string(),
        "LstmCell: c0 must be [2, 4] for input [2, 3], got [2, 3]"
    );
}

/// Unrolling a cell by hand gives one layer of the module with the same weights.
#[test]
fn unrolled_cell_equals_one_layer() {
    let lstm = LstmConfig::new(3, 4)
        .init::<f64>(&mut seeded_rng(1))
        .unwrap();
    let cell = LstmCellConfig::new(3, 4)
        .init::<f64>(&mut seeded_rng(2))
        .unwrap();
    for (name, p) in cell.named_params() {
        let src = lstm
            .named_params()
            .into_iter()
            .find(|(n, _)| *n == format!("{name}_l0"))
            .unwrap()
            .1;
        p.set_value(src.value()).unwrap();
    }
    let g = Graph::no_grad();
    let x = Tensor::<f64>::rand_uniform([6, 2, 3], -1.0, 1.0, &mut seeded_rng(3)).unwrap();
    let (y, s) = lstm
        .forward_full(&g.constant(x.clone()), None, None)
        .unwrap();
    let mut state: Option<LstmState<f64>> = None;
    for t in 0..6 {
        let next = cell
            .step(&g.constant(x.select(0, t).unwrap()), state.as_ref())
            .unwrap();
        close_tol(
            next.h.value(),
            &y.value().select(0, t).unwrap(),
            1e-14,
            "step",
        );
        state = Some(next);
    }
    let last = state.unwrap();
    close_tol(
        last.c.value(),
        &s.c.value().select(0, 0).unwrap(),
        1e-14,
        "c_n",
    );
}

/// The layers compose in a `Sequential`: summaries count PyTorch's parameters and errors name
/// the layer's path.
#[test]
fn recurrent_layers_in_a_sequential() {
    use youshi_layers::summary::summary;
    use youshi_layers::{Linear, Sequential};
    let mut rng = seeded_rng(0);
    let model: Sequential<f64> = Sequential::new()
        .add(
            GruConfig::new(3, 4)
                .batch_first(true)
                .bidirectional(true)
                .init(&mut rng)
                .unwrap(),
        )
        .add(Linear::new(8, 2, &mut rng).unwrap());
    let s = summary(&model, &[2, 5, 3]).unwrap();
    assert_eq!(s.output_shape, [2, 5, 2]);
    assert_eq!(s.rows[0].output_shape, [2, 5, 8]);
    // PyTorch: sum(p.numel() for p in nn.GRU(3, 4, bidirectional=True).parameters()) == 216.
    assert_eq!(s.total(), 216 + 8 * 2 + 2);
    let g = Graph::no_grad();
    let e = model
        .forward(&g.constant(Tensor::zeros([2, 5, 4])))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "0 (Gru): expected input [N, L, 3] or [L, 3], got [2, 5, 4]"
    );
}

#[test]
fn safetensors_round_trip_keeps_every_layer_and_direction() {
    use youshi_layers::save_safetensors;
    let a = GruConfig::new(3, 4)
        .num_layers(2)
        .bidirectional(true)
        .init::<f32>(&mut seeded_rng(1))
        .unwrap();
    let b = GruConfig::new(3, 4)
        .num_layers(2)
        .bidirectional(true)
        .init::<f32>(&mut seeded_rng(2))
        .unwrap();
    let path = std::env::temp_dir().join(format!(
        "youshi-recurrent-roundtrip-{}.safetensors",
        std::process::id()
    ));
    save_safetensors(&a, &path).unwrap();
    load_safetensors(&b, &path, true).unwrap();
    std::fs::remove_file(&path).ok();
    let g = Graph::no_grad();
    let x = g.constant(Tensor::rand_uniform([5, 2, 3], -1.0, 1.0, &mut seeded_rng(3)).unwrap());
    let (ya, ha) = a.forward_full(&x, None, None).unwrap();
    let (yb, hb) = b.forward_full(&x, None, None).unwrap();
    assert_eq!(ya.value(), yb.value());
    assert_eq!(ha.value(), hb.value());
}
