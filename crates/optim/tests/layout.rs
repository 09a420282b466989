//! Optimizer steps do not depend on memory layout: gradients given as strided (transposed)
//! views give the same bits as contiguous ones, and a parameter value shared with another
//! tensor is copied before it is written (the other tensor keeps its values).

use proptest::prelude::*;
use youshi_autograd::Param;
use youshi_optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Optimizer, RmsProp,
    RmsPropConfig, Sgd, SgdConfig,
};
use youshi_tensor::Tensor;

fn optimizer(kind: usize, params: Vec<Param<f64>>) -> Box<dyn Optimizer<f64>> {
    match kind {
        0 => Box::new(
            Sgd::new(
                params,
                SgdConfig::default()
                    .lr(0.1)
                    .momentum(0.9)
                    .nesterov(true)
                    .weight_decay(0.01),
            )
            .unwrap(),
        ),
        1 => Box::new(
            Adam::new(
                params,
                AdamConfig::default()
                    .lr(0.01)
                    .amsgrad(true)
                    .weight_decay(0.1),
            )
            .unwrap(),
        ),
        2 => Box::new(AdamW::new(params, AdamWConfig::default().lr(0.01)).unwrap()),
        3 => Box::new(
            RmsProp::new(
                params,
                RmsPropConfig::default().momentum(0.5).centered(true),
            )
            .unwrap(),
        ),
        _ => Box::new(Adagrad::new(params, AdagradConfig::default().lr_decay(0.1)).unwrap()),
    }
}

/// Runs `steps` steps from `init` with gradients `grads[step]` (`[m, n]` row-major), given
/// either contiguous or as the transpose of an `[n, m]` tensor; returns the final values.
fn run(
    kind: usize,
    m: usize,
    n: usize,
    init: &[f64],
    grads: &[Vec<f64>],
    strided: bool,
) -> Vec<f64> {
    let p = Param::new(Tensor::from_vec(init.to_vec(), [m, n]).unwrap());
    let mut opt = optimizer(kind, vec![p.clone()]);
    for g in grads {
        let g = Tensor::from_vec(g.clone(), [m, n]).unwrap();
        let g = if strided {
            // The same values, stored column-major: a transposed view of the transpose.
            let gt = g.t().unwrap().contiguous();
            let view = gt.t().unwrap();
            assert!(!view.is_contiguous() || m == 1 || n == 1);
            view
        } else {
            g
        };
        p.set_grad(Some(g)).unwrap();
        opt.step().unwrap();
    }
    p.value().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn strided_gradients_give_the_same_bits(
        kind in 0usize..5,
        m in 1usize..6,
        n in 1usize..6,
        steps in 1usize..5,
        seed in 0u64..10_000,
    ) {
        let init = youshi_testkit::uniform_vec(m * n, seed);
        let grads: Vec<Vec<f64>> = (0..steps)
            .map(|s| youshi_testkit::uniform_vec(m * n, seed * 7 + s as u64 + 1))
            .collect();
        let a = run(kind, m, n, &init, &grads, false);
        let b = run(kind, m, n, &init, &grads, true);
        prop_assert_eq!(a, b, "optimizer {}, seed {}", kind, seed);
    }
}

#[test]
fn shared_values_are_copied_before_the_update() {
    for kind in 0..5 {
        let value = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], [3]).unwrap();
        let elsewhere = value.clone(); // shares the storage
        let p = Param::new(value);
        let mut opt = optimizer(kind, vec![p.clone()]);
        p.set_grad(Some(Tensor::ones([3]))).unwrap();
        opt.step().unwrap();
        assert_eq!(elsewhere.to_vec(), vec![1.0, 2.0, 3.0], "optimizer {kind}");
        assert_ne!(p.value().to_vec(), vec![1.0, 2.0, 3.0], "optimizer {kind}");
    }
}

#[test]
fn saved_state_is_not_changed_by_later_steps() {
    for kind in 0..5 {
        let p = Param::new(Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], [3]).unwrap());
        let mut opt = optimizer(kind, vec![p.clone()]);
        p.set_grad(Some(Tensor::ones([3]))).unwrap();
        opt.step().unwrap();
        let saved = opt.state();
        let copy: Vec<(String, Vec<f64>)> = saved
            .tensors
            .iter()
            .map(|(k, t)| (k.clone(), t.to_vec()))
            .collect();
        opt.step().unwrap();
        for (k, v) in copy {
            assert_eq!(saved.tensors[&k].to_vec(), v, "optimizer {kind}: {k}");
        }
    }
}
