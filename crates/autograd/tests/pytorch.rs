//! Composite expressions against PyTorch: losses and gradients computed by
//! `tests/fixtures/composite.py` with PyTorch in float64, compared to 1e-9 relative.

use std::collections::BTreeMap;

use serde_json::Value;
use youshi_autograd::{Graph, Result, Var};
use youshi_tensor::{Conv2dOptions, Indices, Pool2dOptions, Tensor};

struct Case {
    inputs: BTreeMap<String, Tensor<f64>>,
    constants: BTreeMap<String, Tensor<f64>>,
    loss: f64,
    grads: BTreeMap<String, Tensor<f64>>,
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
        .map(|d| d.as_f64().unwrap())
        .collect();
    Tensor::from_vec(data, shape).unwrap()
}

fn map(v: &Value) -> BTreeMap<String, Tensor<f64>> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), tensor(v)))
        .collect()
}

fn case(name: &str) -> Case {
    let text = include_str!("fixtures/composite.json");
    let all: Value = serde_json::from_str(text).unwrap();
    let c = &all["cases"][name];
    Case {
        inputs: map(&c["inputs"]),
        constants: map(&c["constants"]),
        loss: c["loss"].as_f64().unwrap(),
        grads: map(&c["grads"]),
    }
}

/// Builds the expression on leaves for every input, runs backward and compares.
fn check(name: &str, f: impl Fn(&BTreeMap<String, Var<f64>>, &Case) -> Result<Var<f64>>) {
    let c = case(name);
    let g = Graph::<f64>::new();
    let vars: BTreeMap<String, Var<f64>> = c
        .inputs
        .iter()
        .map(|(k, t)| (k.clone(), g.leaf(t.clone())))
        .collect();
    let loss = f(&vars, &c).unwrap();
    let got = loss.value().item().unwrap();
    assert!(
        (got - c.loss).abs() <= 1e-9 * c.loss.abs().max(1e-12),
        "{name}: loss {got} vs PyTorch {}",
        c.loss
    );
    loss.backward().unwrap();
    for (k, want) in &c.grads {
        let grad = vars[k]
            .grad()
            .unwrap_or_else(|| panic!("{name}: no gradient for {k}"));
        assert_eq!(grad.shape(), want.shape(), "{name}: gradient shape of {k}");
        for (i, (a, b)) in grad.to_vec().iter().zip(want.to_vec()).enumerate() {
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1e-6),
                "{name}: d loss / d {k}[{i}]: {a} vs PyTorch {b}"
            );
        }
    }
}

#[test]
fn mlp_tanh_log_softmax_nll() {
    check("mlp", |v, c| {
        let h = v["x"].matmul(&v["w1"])?.add(&v["b1"])?.tanh()?;
        let y = h.matmul(&v["w2"])?.add(&v["b2"])?.log_softmax(-1)?;
        let onehot = y.constant(c.constants["onehot"].clone());
        y.mul(&onehot)?.sum_all()?.neg()?.div_scalar(4.0)
    });
}

#[test]
fn conv_relu_maxpool_mean_square() {
    check("conv_block", |v, _| {
        let y = v["x"]
            .conv2d(&v["w"], Some(&v["b"]), Conv2dOptions::new().padding(1))?
            .relu()?
            .max_pool2d(Pool2dOptions::new(2))?;
        y.mul(&y)?.mean_all()
    });
}

#[test]
fn normalisation_cubed() {
    check("norm_cubed", |v, _| {
        let x = &v["x"];
        let m = x.mean(&[-1], true)?;
        let var = x.var(&[-1], 0, true)?;
        let z = x.sub(&m)?.div(&var.add_scalar(1e-5)?.sqrt()?)?;
        z.mul(&v["gamma"])?
            .add(&v["beta"])?
            .pow_scalar(3.0)?
            .sum_all()
    });
}

#[test]
fn logsumexp_plus_gathered_sigmoid() {
    check("lse_gather", |v, c| {
        let x = &v["x"];
        let idx = Indices::from_shape_vec(
            vec![4, 2],
            c.constants["idx"]
                .to_vec()
                .iter()
                .map(|&i| i as usize)
                .collect(),
        )
        .unwrap();
        let a = x.logsumexp(&[1], false)?.sum_all()?;
        let b = x.sigmoid()?.gather(1, &idx)?.sum_all()?;
        a.add(&b)
    });
}

#[test]
fn pairwise_distances_by_broadcasting() {
    check("pairwise", |v, _| {
        let d = v["a"].unsqueeze(1)?.sub(&v["b"].unsqueeze(0)?)?;
        d.mul(&d)?.sum(&[-1], false)?.sqrt()?.mean_all()
    });
}

#[test]
fn concat_of_stepped_slice_and_padding() {
    check("cat_slice_pad", |v, _| {
        let x = &v["x"];
        let y = Var::concat(&[&x.slice(1, 0, 5, 2)?, &x.pad(&[(1, 1)], 0.0)?], 1)?;
        let w = y.constant(Tensor::arange(0.0, y.shape()[1] as f64, 1.0)?);
        y.exp()?.mul(&w)?.sum_all()
    });
}

#[test]
fn gelu_softplus_silu_abs_max() {
    check("gelu_softplus", |v, _| {
        let x = &v["x"];
        let h = x
            .matmul(&v["w"])?
            .gelu()?
            .add(&x.softplus(1.0, 20.0)?)?
            .sub(&x.silu()?)?;
        let (mx, _) = h.max_axis(1, false)?;
        h.abs()?.sum_all()?.add(&mx.mul(&mx)?.sum_all()?)
    });
}
