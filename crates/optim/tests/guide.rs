//! The training example of `docs/optim.md`, compiled and run: a small MLP fitted with AdamW
//! over decay / no-decay groups, linear warm-up then cosine annealing, and gradient clipping;
//! the loss falls, and a run checkpointed half way and resumed in fresh objects ends with the
//! same parameters, bit for bit.

use youshi_autograd::Graph;
use youshi_layers::{Linear, Module, ModuleExt, MseLoss, Relu, Sequential};
use youshi_optim::{
    clip_grad_norm, decay_groups, AdamW, AdamWConfig, CosineAnnealingLr, LinearLr, LrScheduler,
    OptimError, Optimizer, SequentialLr,
};
use youshi_tensor::{seeded_rng, Tensor};

// --- begin guide code ---
/// The model, its optimizer and its schedule, built the same way for a fresh run and for a
/// resumed one.
fn setup(seed: u64) -> Result<(Sequential<f64>, AdamW<f64>, SequentialLr), OptimError> {
    let mut rng = seeded_rng(seed);
    let model: Sequential<f64> = Sequential::new()
        .add(Linear::new(2, 16, &mut rng)?)
        .add(Relu)
        .add(Linear::new(16, 1, &mut rng)?);
    // Weight decay on the weight matrices; none on the biases.
    let groups = decay_groups(&model.named_params(), 0.01);
    let mut opt = AdamW::with_groups(groups, AdamWConfig::default().lr(0.02))?;
    // 10 steps of linear warm-up from lr / 10, then a cosine down to 1e-4 over 190 steps.
    let warmup = LinearLr::new(&mut opt, 0.1, 1.0, 10)?;
    let cosine = CosineAnnealingLr::new(&mut opt, 190, 1e-4)?;
    let sched = SequentialLr::new(&mut opt, vec![Box::new(warmup), Box::new(cosine)], &[10])?;
    Ok((model, opt, sched))
}

/// One step: forward, backward, clip to a global 2-norm of 1, update, advance the schedule.
fn train_step(
    model: &Sequential<f64>,
    opt: &mut AdamW<f64>,
    sched: &mut SequentialLr,
    x: &Tensor<f64>,
    y: &Tensor<f64>,
) -> Result<f64, OptimError> {
    let g = Graph::new();
    let pred = model.forward(&g.constant(x.clone()))?;
    let loss = MseLoss::new().forward(&pred, &g.constant(y.clone()))?;
    opt.zero_grad();
    loss.backward()?;
    clip_grad_norm(&opt.params(), 1.0, 2.0)?;
    opt.step()?;
    sched.step(opt, None)?;
    Ok(loss.value().item()?)
}
// --- end guide code ---

/// `y = a * b` on 128 points of the square `[-1, 1]²`.
fn data() -> (Tensor<f64>, Tensor<f64>) {
    let x = Tensor::<f64>::rand_uniform([128, 2], -1.0, 1.0, &mut seeded_rng(7)).unwrap();
    let v = x.to_vec();
    let y = (0..128).map(|i| v[2 * i] * v[2 * i + 1]).collect();
    (x, Tensor::from_vec(y, [128, 1]).unwrap())
}

/// Trains for 200 steps, checkpointing and resuming in fresh objects after `resume_at` steps;
/// returns the losses and the final parameters.
fn train(resume_at: Option<usize>) -> (Vec<f64>, Vec<Vec<f64>>) {
    let (x, y) = data();
    let (mut model, mut opt, mut sched) = setup(0).unwrap();
    let mut losses = Vec::new();
    for step in 0..200 {
        if resume_at == Some(step) {
            // --- begin guide checkpoint ---
            // Save: the parameters (a state dict), the optimizer's and the schedule's states.
            let weights: Vec<Tensor<f64>> = model.params().iter().map(|p| p.value()).collect();
            let (opt_state, sched_state) = (opt.state(), sched.state());
            // Resume: build everything as before (the schedule before loading the optimizer's
            // state, since building it writes the rates of its step 0), then load.
            let (m, mut o, mut s) = setup(0).unwrap();
            for (p, w) in m.params().iter().zip(weights) {
                p.set_value(w).unwrap();
            }
            o.load_state(&opt_state).unwrap();
            s.load_state(&sched_state).unwrap();
            // --- end guide checkpoint ---
            (model, opt, sched) = (m, o, s);
        }
        losses.push(train_step(&model, &mut opt, &mut sched, &x, &y).unwrap());
    }
    let params = model.params().iter().map(|p| p.value().to_vec()).collect();
    (losses, params)
}

#[test]
fn the_guide_example_trains_and_resumes_exactly() {
    let (losses, params) = train(None);
    assert!(
        losses[199] < 0.1 * losses[0],
        "loss {} -> {}",
        losses[0],
        losses[199]
    );
    println!(
        "guide example: loss {:.4e} -> {:.4e}",
        losses[0], losses[199]
    );
    let (resumed_losses, resumed) = train(Some(100));
    assert_eq!(resumed_losses, losses);
    assert_eq!(resumed, params);
}
