//! The module abstraction: names, counts, modes, freezing, error paths, and Linear's values.

use youshi_autograd::Graph;
use youshi_layers::{LayerError, Linear, Module, ModuleExt, Relu, Sequential};
use youshi_tensor::{seeded_rng, Tensor};

fn mlp() -> Sequential<f64> {
    let mut rng = seeded_rng(1);
    Sequential::new()
        .add(Linear::new(3, 4, &mut rng).unwrap())
        .add(Relu)
        .add(Sequential::new().add(Linear::with_bias(4, 2, false, &mut rng).unwrap()))
}

#[test]
fn state_dict_names_follow_pytorch() {
    let names: Vec<String> = mlp().named_params().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias", "2.0.weight"]);
}

#[test]
fn counts_and_freezing() {
    let m = mlp();
    assert_eq!(m.param_counts(), (3 * 4 + 4 + 4 * 2, 0));
    m.freeze();
    assert_eq!(m.param_counts(), (0, 24));
    m.unfreeze();
    assert_eq!(m.param_counts().0, 24);
}

#[test]
fn linear_matches_manual_product_and_default_init_bounds() {
    let mut rng = seeded_rng(2);
    let layer: Linear<f64> = Linear::new(50, 30, &mut rng).unwrap();
    let bound = 1.0 / 50f64.sqrt();
    let w = layer.weight.value().to_vec();
    assert!(w.iter().all(|v| v.abs() <= bound));
    let std = (w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64).sqrt();
    assert!((std - bound / 3f64.sqrt()).abs() < 0.1 * bound, "std {std}");
    let x = Tensor::<f64>::rand_uniform([2, 50], -1.0, 1.0, &mut rng).unwrap();
    let y = layer
        .forward(&Graph::no_grad().constant(x.clone()))
        .unwrap();
    let b = layer.bias.as_ref().unwrap().value().to_vec();
    let wt = layer.weight.value();
    for i in 0..2 {
        for (o, &bias) in b.iter().enumerate() {
            let mut acc = bias;
            for k in 0..50 {
                acc += x.get(&[i, k]).unwrap() * wt.get(&[o, k]).unwrap();
            }
            assert!((y.value().get(&[i, o]).unwrap() - acc).abs() < 1e-12);
        }
    }
}

#[test]
fn wrong_input_names_the_path_and_shapes() {
    let m = mlp();
    let g = Graph::no_grad();
    let e = m.forward(&g.constant(Tensor::zeros([5, 7]))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "0 (Linear): expected input [*, 3], got [5, 7]"
    );
    let e = e.within("features");
    assert_eq!(
        e.to_string(),
        "features.0 (Linear): expected input [*, 3], got [5, 7]"
    );
}

#[test]
fn gradients_reach_every_parameter_and_zero_grad_clears() {
    let m = mlp();
    let g = Graph::new();
    let y = m
        .forward(&g.constant(Tensor::ones([2, 3])))
        .unwrap()
        .sum_all()
        .unwrap();
    y.backward().unwrap();
    for (name, p) in m.named_params() {
        assert!(p.grad().is_some(), "{name} got no gradient");
    }
    m.zero_grad();
    assert!(m.params().iter().all(|p| p.grad().is_none()));
}

#[test]
fn bad_configs_are_errors() {
    let e = Linear::<f32>::new(0, 3, &mut seeded_rng(0)).unwrap_err();
    assert!(matches!(e, LayerError::Config { kind: "Linear", .. }));
    assert!(e.to_string().contains("in 0"));
    let e =
        Linear::from_weights(Tensor::<f32>::zeros([2, 3]), Some(Tensor::zeros([3]))).unwrap_err();
    assert!(e.to_string().contains("bias must be [2], got [3]"));
}
