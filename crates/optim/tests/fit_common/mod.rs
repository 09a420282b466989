//! Pieces shared by the training-loop tests: a momentum SGD and a step-decay schedule with
//! real state, a shuffling batch source, seeded synthetic data and a small MLP.
#![allow(dead_code)]

use std::collections::BTreeMap;

use rand_chacha::rand_core::{RngCore, SeedableRng};
use youshi_autograd::Param;
use youshi_data::{Batch, Batches};
use youshi_layers::{Dropout, Linear, ModuleExt, Relu, Sequential};
use youshi_optim::{
    HyperParams, LrScheduler, OptimError, Optimizer, OptimizerState, Result, SchedulerState,
};
use youshi_tensor::{seeded_rng, Element, Tensor, TensorRng};

/// SGD with momentum, PyTorch's update: `buf = momentum * buf + grad` (`buf = grad` at the
/// first step), `p -= lr * buf`.
pub struct MomentumSgd<T: Element = f32> {
    params: Vec<Param<T>>,
    lr: f64,
    momentum: f64,
    bufs: Vec<Option<Tensor<T>>>,
}

impl<T: Element> MomentumSgd<T> {
    pub fn new(params: Vec<Param<T>>, lr: f64, momentum: f64) -> Self {
        let bufs = vec![None; params.len()];
        MomentumSgd {
            params,
            lr,
            momentum,
            bufs,
        }
    }
}

impl<T: Element> HyperParams for MomentumSgd<T> {
    fn num_groups(&self) -> usize {
        1
    }
    fn lr(&self, _group: usize) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, _group: usize, lr: f64) {
        self.lr = lr;
    }
    fn momentum(&self, _group: usize) -> Option<f64> {
        Some(self.momentum)
    }
    fn set_momentum(&mut self, _group: usize, momentum: f64) -> bool {
        self.momentum = momentum;
        true
    }
}

impl<T: Element> Optimizer<T> for MomentumSgd<T> {
    fn name(&self) -> &'static str {
        "MomentumSgd"
    }

    fn step(&mut self) -> Result<()> {
        let (lr, mu) = (T::of(self.lr), T::of(self.momentum));
        for (p, buf) in self.params.iter().zip(self.bufs.iter_mut()) {
            let Some(g) = p.grad() else { continue };
            let b = match buf.take() {
                None => g,
                Some(mut b) => {
                    b.array_mut()
                        .zip_mut_with(&g.view(), |b, &g| *b = mu * *b + g);
                    b
                }
            };
            p.update(|v, _| v.array_mut().zip_mut_with(&b.view(), |w, &d| *w -= lr * d));
            *buf = Some(b);
        }
        Ok(())
    }

    fn zero_grad(&self) {
        for p in &self.params {
            p.zero_grad();
        }
    }

    fn params(&self) -> Vec<Param<T>> {
        self.params.clone()
    }

    fn state(&self) -> OptimizerState<T> {
        let mut tensors = BTreeMap::new();
        for (i, b) in self.bufs.iter().enumerate() {
            if let Some(b) = b {
                tensors.insert(format!("0.{i}.momentum_buffer"), b.clone());
            }
        }
        let scalars = BTreeMap::from([
            ("0.lr".to_string(), self.lr),
            ("0.momentum".to_string(), self.momentum),
        ]);
        OptimizerState {
            kind: "MomentumSgd".into(),
            tensors,
            scalars,
        }
    }

    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<()> {
        let op = "MomentumSgd::load_state";
        if state.kind != "MomentumSgd" {
            return Err(OptimError::state(op, format!("state of {:?}", state.kind)));
        }
        let mut bufs = vec![None; self.params.len()];
        for (key, t) in &state.tensors {
            let i: usize = key
                .strip_prefix("0.")
                .and_then(|k| k.strip_suffix(".momentum_buffer"))
                .and_then(|k| k.parse().ok())
                .ok_or_else(|| OptimError::state(op, format!("unknown key {key:?}")))?;
            let p = self
                .params
                .get(i)
                .ok_or_else(|| OptimError::state(op, format!("no parameter {i}")))?;
            if p.shape() != t.shape() {
                return Err(OptimError::state(op, format!("{key}: shape mismatch")));
            }
            bufs[i] = Some(t.clone());
        }
        let get = |k: &str| {
            state
                .scalars
                .get(k)
                .copied()
                .ok_or_else(|| OptimError::state(op, format!("missing {k}")))
        };
        self.lr = get("0.lr")?;
        self.momentum = get("0.momentum")?;
        self.bufs = bufs;
        Ok(())
    }

    fn hyper_params(&mut self) -> &mut dyn HyperParams {
        self
    }
}

/// PyTorch's `StepLR`: `lr = base * gamma^(last_epoch / step_size)`.
pub struct StepDecay {
    base: f64,
    gamma: f64,
    step_size: usize,
    last_epoch: usize,
}

impl StepDecay {
    pub fn new(opt: &mut dyn HyperParams, step_size: usize, gamma: f64) -> Self {
        StepDecay {
            base: opt.lr(0),
            gamma,
            step_size,
            last_epoch: 0,
        }
    }
}

impl LrScheduler for StepDecay {
    fn name(&self) -> &'static str {
        "StepDecay"
    }
    fn step(&mut self, opt: &mut dyn HyperParams, _metric: Option<f64>) -> Result<()> {
        self.last_epoch += 1;
        let lr = self.base * self.gamma.powi((self.last_epoch / self.step_size) as i32);
        opt.set_lr(0, lr);
        Ok(())
    }
    fn last_lr(&self) -> Vec<f64> {
        vec![self.base * self.gamma.powi((self.last_epoch / self.step_size) as i32)]
    }
    fn state(&self) -> SchedulerState {
        SchedulerState {
            kind: "StepDecay".into(),
            scalars: BTreeMap::from([
                ("base_lr.0".to_string(), self.base),
                ("last_epoch".to_string(), self.last_epoch as f64),
            ]),
        }
    }
    fn load_state(&mut self, state: &SchedulerState) -> Result<()> {
        if state.kind != "StepDecay" {
            return Err(OptimError::state("StepDecay::load_state", "wrong kind"));
        }
        self.base = state.scalars["base_lr.0"];
        self.last_epoch = state.scalars["last_epoch"] as usize;
        Ok(())
    }
}

/// A dataset served in batches whose order is shuffled per epoch from `(seed, epoch)`, as
/// the data crate's loaders do.
pub struct Shuffled {
    pub inputs: Vec<Vec<f32>>,
    pub labels: Vec<f32>,
    pub batch_size: usize,
    pub seed: u64,
}

impl Shuffled {
    fn order(&self, epoch: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.labels.len()).collect();
        let mut rng =
            TensorRng::seed_from_u64(self.seed ^ (epoch as u64).wrapping_mul(0x9e37_79b9));
        for i in (1..idx.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            idx.swap(i, j);
        }
        idx
    }

    fn batch(&self, ids: &[usize]) -> Batch<f32> {
        let d = self.inputs[0].len();
        let x: Vec<f32> = ids.iter().flat_map(|&i| self.inputs[i].clone()).collect();
        let y: Vec<f32> = ids.iter().map(|&i| self.labels[i]).collect();
        Batch::new(
            Tensor::from_vec(x, [ids.len(), d]).unwrap(),
            Tensor::from_vec(y, [ids.len()]).unwrap(),
        )
    }

    /// All examples, in order, in batches (no shuffling): a validation set.
    pub fn fixed(&self) -> Vec<Batch<f32>> {
        let ids: Vec<usize> = (0..self.labels.len()).collect();
        ids.chunks(self.batch_size).map(|c| self.batch(c)).collect()
    }
}

impl Batches<f32> for Shuffled {
    type Iter<'a> = std::vec::IntoIter<youshi_data::Result<Batch<f32>>>;

    fn epoch(&mut self, epoch: usize) -> Self::Iter<'_> {
        let order = self.order(epoch);
        order
            .chunks(self.batch_size)
            .map(|c| Ok(self.batch(c)))
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn num_batches(&self) -> Option<usize> {
        Some(self.labels.len().div_ceil(self.batch_size))
    }
}

/// Two interleaved 2-D spirals (classes 0 and 1), `n` points each, with Gaussian noise.
pub fn spirals(n: usize, noise: f64, seed: u64, batch_size: usize) -> Shuffled {
    let mut rng = seeded_rng(seed);
    let eps = Tensor::<f64>::rand_normal([2 * n, 2], 0.0, noise, &mut rng)
        .unwrap()
        .to_vec();
    let mut inputs = Vec::new();
    let mut labels = Vec::new();
    for class in 0..2 {
        for i in 0..n {
            let t = 0.25 + 2.75 * std::f64::consts::PI * i as f64 / n as f64;
            let r = t / (3.0 * std::f64::consts::PI);
            let a = t + std::f64::consts::PI * class as f64;
            let k = 2 * (class * n + i);
            inputs.push(vec![
                (r * a.cos() * 2.0 + eps[k]) as f32,
                (r * a.sin() * 2.0 + eps[k + 1]) as f32,
            ]);
            labels.push(class as f32);
        }
    }
    Shuffled {
        inputs,
        labels,
        batch_size,
        seed,
    }
}

/// An MLP `2 -> hidden -> hidden -> classes` with ReLU, and dropout `p` after the first
/// hidden layer when `p > 0`.
pub fn mlp(hidden: usize, classes: usize, dropout: f64, seed: u64) -> Sequential {
    let mut rng = seeded_rng(seed);
    let mut m = Sequential::new()
        .add(Linear::new(2, hidden, &mut rng).unwrap())
        .add(Relu);
    if dropout > 0.0 {
        m = m.add(Dropout::new(dropout, seeded_rng(seed + 1)).unwrap());
    }
    m.add(Linear::new(hidden, hidden, &mut rng).unwrap())
        .add(Relu)
        .add(Linear::new(hidden, classes, &mut rng).unwrap())
}

/// Every parameter's bits, for bit-identity comparisons.
pub fn param_bits(model: &Sequential) -> Vec<Vec<u32>> {
    model
        .params()
        .iter()
        .map(|p| p.value().to_vec().iter().map(|v| v.to_bits()).collect())
        .collect()
}

/// A fresh directory under the system's temporary directory.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("youshi-fit-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
