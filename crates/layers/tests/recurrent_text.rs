//! Embedding → LSTM → Linear composes for text: a tiny character-level language model learns
//! to predict the next character of a short text, with Adam written here (the optimizers
//! live in a crate above this one).

use youshi_autograd::{Graph, Param};
use youshi_layers::recurrent::LstmConfig;
use youshi_layers::{CrossEntropyLoss, EmbeddingConfig, Linear, Module, ModuleExt, Sequential};
use youshi_tensor::{seeded_rng, Indices, Tensor};

const TEXT: &str = "the quick brown fox jumps over the lazy dog. \
the dog sleeps in the sun and the fox runs in the woods. \
a quick fox and a lazy dog meet by the river. \
the river runs to the sea and the sun sets over the woods.";

/// Adam with PyTorch's defaults except the learning rate.
struct Adam {
    params: Vec<Param<f32>>,
    m: Vec<Tensor<f32>>,
    v: Vec<Tensor<f32>>,
    lr: f32,
    t: i32,
}

impl Adam {
    fn new(params: Vec<Param<f32>>, lr: f32) -> Self {
        let zeros: Vec<Tensor<f32>> = params.iter().map(|p| Tensor::zeros(p.shape())).collect();
        Adam {
            params,
            m: zeros.clone(),
            v: zeros,
            lr,
            t: 0,
        }
    }

    fn step(&mut self) {
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        self.t += 1;
        let (c1, c2) = (1.0 - b1.powi(self.t), 1.0 - b2.powi(self.t));
        for ((p, m), v) in self.params.iter().zip(&mut self.m).zip(&mut self.v) {
            p.update(|value, grad| {
                let Some(grad) = grad else { return };
                m.array_mut()
                    .zip_mut_with(&grad.view(), |m, &g| *m = b1 * *m + (1.0 - b1) * g);
                v.array_mut()
                    .zip_mut_with(&grad.view(), |v, &g| *v = b2 * *v + (1.0 - b2) * g * g);
                let mut upd = m.clone();
                upd.array_mut().zip_mut_with(&v.view(), |m, &v| {
                    *m = (*m / c1) / ((v / c2).sqrt() + eps);
                });
                let lr = self.lr;
                value
                    .array_mut()
                    .zip_mut_with(&upd.view(), |w, &u| *w -= lr * u);
            });
        }
    }
}

#[test]
fn char_lstm_learns_a_short_text() {
    let mut vocab: Vec<char> = TEXT.chars().collect();
    vocab.sort_unstable();
    vocab.dedup();
    let ids: Vec<usize> = TEXT
        .chars()
        .map(|c| vocab.binary_search(&c).unwrap())
        .collect();
    let (batch, steps) = (12, 24);
    let stride = (ids.len() - steps - 1) / (batch - 1);
    let mut inputs = Vec::with_capacity(batch * steps);
    let mut targets = Vec::with_capacity(batch * steps);
    for b in 0..batch {
        let start = b * stride;
        inputs.extend(ids[start..start + steps].iter().map(|&i| i as f32));
        targets.extend_from_slice(&ids[start + 1..start + steps + 1]);
    }
    let x = Tensor::from_vec(inputs, [batch, steps]).unwrap();
    let target = Indices::from_shape_vec(vec![batch * steps], targets).unwrap();

    let v = vocab.len();
    let mut rng = seeded_rng(0);
    let model: Sequential = Sequential::new()
        .add(EmbeddingConfig::new(v, 16).init(&mut rng).unwrap())
        .add(
            LstmConfig::new(16, 48)
                .batch_first(true)
                .init(&mut rng)
                .unwrap(),
        )
        .add(Linear::new(48, v, &mut rng).unwrap());
    let names: Vec<String> = model.named_params().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "0.weight",
            "1.weight_ih_l0",
            "1.weight_hh_l0",
            "1.bias_ih_l0",
            "1.bias_hh_l0",
            "2.weight",
            "2.bias"
        ]
    );
    let loss_fn = CrossEntropyLoss::new();
    let mut adam = Adam::new(model.params(), 0.02);
    let mut losses = Vec::new();
    for _ in 0..60 {
        let g = Graph::new();
        let logits = model.forward(&g.constant(x.clone())).unwrap();
        assert_eq!(logits.shape(), &[batch, steps, v]);
        let flat = logits
            .reshape(&[(batch * steps) as isize, v as isize])
            .unwrap();
        let loss = loss_fn.forward_indices(&flat, &target).unwrap();
        losses.push(loss.value().item().unwrap());
        model.zero_grad();
        loss.backward().unwrap();
        adam.step();
    }
    let (first, last) = (losses[0], *losses.last().unwrap());
    // The first loss is near ln(vocabulary size), a uniform guess.
    assert!(
        (first - (v as f32).ln()).abs() < 0.3,
        "first loss {first}, ln V {}",
        (v as f32).ln()
    );
    assert!(
        last < 0.6 * first,
        "loss fell only from {first} to {last}: {losses:?}"
    );
}
