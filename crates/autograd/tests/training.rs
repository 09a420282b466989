//! Small end-to-end training runs through the autograd engine, with plain gradient descent
//! written here (the optimizers come later, in `youshi-optim`).

use std::sync::Arc;

use youshi_autograd::{Graph, Param, Result, Var};
use youshi_tensor::{seeded_rng, Tensor};

/// A 2-8-1 MLP with tanh hidden units and a sigmoid output.
struct Mlp {
    w1: Param<f64>,
    b1: Param<f64>,
    w2: Param<f64>,
    b2: Param<f64>,
}

impl Mlp {
    fn new(seed: u64) -> Mlp {
        let mut rng = seeded_rng(seed);
        Mlp {
            w1: Param::new(Tensor::rand_uniform([2, 8], -1.0, 1.0, &mut rng).unwrap()),
            b1: Param::new(Tensor::zeros([8])),
            w2: Param::new(Tensor::rand_uniform([8, 1], -1.0, 1.0, &mut rng).unwrap()),
            b2: Param::new(Tensor::zeros([1])),
        }
    }

    fn params(&self) -> [&Param<f64>; 4] {
        [&self.w1, &self.b1, &self.w2, &self.b2]
    }

    fn forward(&self, x: &Var<f64>) -> Result<Var<f64>> {
        let g = x.graph();
        let h = x
            .matmul(&g.param(&self.w1))?
            .add(&g.param(&self.b1))?
            .tanh()?;
        h.matmul(&g.param(&self.w2))?
            .add(&g.param(&self.b2))?
            .sigmoid()
    }

    /// One full-batch step of gradient descent; returns the loss before the step.
    fn step(&self, x: &Tensor<f64>, y: &Tensor<f64>, lr: f64) -> Result<f64> {
        let g = Graph::new();
        let pred = self.forward(&g.constant(x.clone()))?;
        let diff = pred.sub(&g.constant(y.clone()))?;
        let loss = diff.mul(&diff)?.mean_all()?;
        for p in self.params() {
            p.zero_grad();
        }
        loss.backward()?;
        for p in self.params() {
            p.update(|value, grad| {
                let grad = grad.expect("every parameter takes part");
                value
                    .array_mut()
                    .zip_mut_with(&grad.view(), |v, &g| *v -= lr * g);
            });
        }
        Ok(loss.value().item()?)
    }
}

fn xor() -> (Tensor<f64>, Tensor<f64>) {
    let x = Tensor::from_vec(vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], [4, 2]).unwrap();
    let y = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0], [4, 1]).unwrap();
    (x, y)
}

fn train_xor(seed: u64) -> f64 {
    let (x, y) = xor();
    let model = Mlp::new(seed);
    let mut loss = f64::INFINITY;
    for _ in 0..3000 {
        loss = model.step(&x, &y, 2.0).unwrap();
        if loss < 0.005 {
            break;
        }
    }
    loss
}

#[test]
fn mlp_learns_xor() {
    let loss = train_xor(3);
    assert!(loss < 0.01, "XOR loss stayed at {loss}");
}

#[test]
fn two_models_train_in_two_threads_at_once() {
    let handles: Vec<_> = [5u64, 6]
        .into_iter()
        .map(|seed| std::thread::spawn(move || train_xor(seed)))
        .collect();
    for h in handles {
        let loss = h.join().expect("training thread");
        assert!(loss < 0.01, "XOR loss stayed at {loss}");
    }
}

#[test]
fn one_model_serves_inference_from_several_threads() {
    let model = Arc::new(Mlp::new(9));
    let (x, _) = xor();
    let reference = model
        .forward(&Graph::no_grad().constant(x.clone()))
        .unwrap()
        .value()
        .to_vec();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (model, x) = (model.clone(), x.clone());
            std::thread::spawn(move || {
                let g = Graph::no_grad();
                let y = model.forward(&g.constant(x)).unwrap();
                assert_eq!(g.len(), 0, "inference must record nothing");
                y.value().to_vec()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), reference);
    }
}
