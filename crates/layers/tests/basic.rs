//! `Linear` and every activation module against PyTorch in float64 (fixtures from
//! `tests/fixtures/basic.py`): outputs and the gradients of the input and of every parameter
//! under a random upstream gradient, within 1e-9 relative.

use serde_json::Value;
use youshi_autograd::Graph;
use youshi_layers::{
    Elu, Flatten, Gelu, LeakyRelu, Linear, LogSoftmax, Module, ModuleExt, Relu, Sigmoid, Silu,
    Softmax, Softplus, Tanh,
};
use youshi_tensor::Tensor;

const FIXTURE: &str = include_str!("fixtures/basic.json");

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

fn close(got: &Tensor<f64>, want: &Value, what: &str) {
    let want = tensor(want);
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (a, b)) in got.to_vec().iter().zip(want.to_vec()).enumerate() {
        let tol = 1e-9 * a.abs().max(b.abs()).max(1e-6);
        assert!((a - b).abs() <= tol, "{what}[{i}]: {a} vs {b}");
    }
}

fn module(c: &Value) -> Box<dyn Module<f64>> {
    let p = |n: &str| tensor(&c["params"][n]["value"]);
    match c["name"].as_str().unwrap() {
        "linear" => Box::new(Linear::from_weights(p("weight"), Some(p("bias"))).unwrap()),
        "linear_nobias" => Box::new(Linear::from_weights(p("weight"), None).unwrap()),
        "relu" => Box::new(Relu),
        "leaky_relu" => Box::new(LeakyRelu {
            negative_slope: 0.2,
        }),
        "elu" => Box::new(Elu::default()),
        "gelu" => Box::new(Gelu::default()),
        "gelu_tanh" => Box::new(Gelu {
            tanh_approximation: true,
        }),
        "silu" => Box::new(Silu),
        "sigmoid" => Box::new(Sigmoid),
        "tanh" => Box::new(Tanh),
        "softplus" => Box::new(Softplus {
            beta: 2.0,
            threshold: 5.0,
        }),
        "softmax" => Box::new(Softmax { axis: 1 }),
        "log_softmax" => Box::new(LogSoftmax { axis: 1 }),
        "flatten" => Box::new(Flatten::default()),
        other => panic!("unknown case {other}"),
    }
}

#[test]
fn linear_and_activations_match_pytorch_values_and_gradients() {
    let v: Value = serde_json::from_str(FIXTURE).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 14);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let m = module(c);
        let g = Graph::new();
        let x = g.leaf(tensor(&c["x"]));
        let y = m.forward(&x).unwrap();
        close(y.value(), &c["y"], &format!("{name} y"));
        y.backward_with(&tensor(&c["gy"])).unwrap();
        close(&x.grad().unwrap(), &c["gx"], &format!("{name} dx"));
        let params = m.named_params();
        let want = c["params"].as_object().unwrap();
        assert_eq!(params.len(), want.len(), "{name}: parameter count");
        for (pname, p) in params {
            close(
                &p.grad().unwrap(),
                &want[pname.as_str()]["grad"],
                &format!("{name} d{pname}"),
            );
        }
    }
}
