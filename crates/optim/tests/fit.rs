//! End-to-end tests of the training loop: convergence, determinism, NaN handling, metrics,
//! schedules, callbacks, progress output, logs and charts.

#[path = "fit_common/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};

use common::{mlp, param_bits, spirals, temp_dir, MomentumSgd, StepDecay};
use youshi_data::Batch;
use youshi_layers::{CrossEntropyLoss, Linear, Module, ModuleExt, MseLoss, Sequential};
use youshi_optim::fit::{
    loss_fn, metric_fn, Accuracy, Callback, Context, CsvLogger, Logs, Progress, SchedulerStep,
    TopKAccuracy, Trainer,
};
use youshi_optim::{OptimError, Result};
use youshi_tensor::{seeded_rng, Tensor};

fn silent<'a>(model: &'a Sequential, lr: f64) -> Trainer<'a, f32> {
    Trainer::new(
        model,
        CrossEntropyLoss::new(),
        MomentumSgd::new(model.params(), lr, 0.9),
    )
    .progress(Progress::Silent)
}

#[test]
fn mlp_learns_two_spirals_to_95_percent() {
    youshi_tensor::set_num_threads(1).unwrap();
    let mut train = spirals(200, 0.05, 7, 32);
    let mut val = spirals(100, 0.05, 8, 100).fixed();
    let model = mlp(32, 2, 0.0, 1);
    let mut trainer = silent(&model, 0.05)
        .metric(Accuracy::new())
        .metric(TopKAccuracy::new(1).unwrap())
        .seed(3);
    let history = trainer.fit(&mut train, Some(&mut val), 60).unwrap();
    assert_eq!(history.len(), 60);
    let names: Vec<&str> = history.names().collect();
    assert_eq!(
        names,
        [
            "loss",
            "accuracy",
            "top1_accuracy",
            "val_loss",
            "val_accuracy",
            "val_top1_accuracy"
        ]
    );
    let acc = history.get("val_accuracy").unwrap();
    let last = *acc.last().unwrap();
    assert!(last >= 0.95, "validation accuracy {last}: {acc:?}");
    // The spirals are not separable by the initial network: the accuracy was learned.
    assert!(acc[0] < 0.8, "{acc:?}");
    // Top-1 accuracy is accuracy.
    assert_eq!(history.get("val_top1_accuracy").unwrap(), acc);
    let loss = history.get("loss").unwrap();
    assert!(loss[59] < loss[0] / 4.0, "{loss:?}");
    // `evaluate` reproduces the last validation numbers.
    let logs = trainer.evaluate(&mut val).unwrap();
    assert_eq!(logs.get("accuracy"), Some(last));
    assert_eq!(logs.get("loss"), history.last("val_loss"));
}

/// Trains the dropout MLP for `epochs` epochs with trainer seed `seed`; returns the weights'
/// bits and the history.
fn run_dropout(seed: u64, epochs: usize) -> (Vec<Vec<u32>>, youshi_optim::History) {
    let mut train = spirals(64, 0.1, 11, 16);
    let mut val = spirals(32, 0.1, 12, 32).fixed();
    let model = mlp(16, 2, 0.3, 5);
    let mut trainer = silent(&model, 0.05).metric(Accuracy::new()).seed(seed);
    let h = trainer.fit(&mut train, Some(&mut val), epochs).unwrap();
    (param_bits(&model), h)
}

#[test]
fn same_seed_gives_bit_identical_runs() {
    youshi_tensor::set_num_threads(1).unwrap();
    let (a, ha) = run_dropout(42, 3);
    let (b, hb) = run_dropout(42, 3);
    assert_eq!(a, b);
    // NaN-free histories compare equal bit for bit.
    assert_eq!(ha, hb);
    // The trainer's seed reaches the dropout generator: another seed, other weights.
    let (c, _) = run_dropout(43, 3);
    assert_ne!(a, c);
}

#[test]
fn fit_takes_a_dyn_module() {
    let model = mlp(8, 2, 0.0, 1);
    let dyn_model: &dyn Module = &model;
    let mut trainer = Trainer::new(
        dyn_model,
        CrossEntropyLoss::new(),
        MomentumSgd::new(model.params(), 0.05, 0.0),
    )
    .progress(Progress::Silent);
    let mut data = spirals(16, 0.1, 1, 8).fixed();
    let before = param_bits(&model);
    let h = trainer.fit(&mut data, None, 2).unwrap();
    assert_eq!(h.len(), 2);
    assert_ne!(param_bits(&model), before);
    assert_eq!(trainer.model().kind(), "Sequential");
}

#[test]
fn nan_loss_stops_with_the_epoch_and_step() {
    let model = mlp(8, 2, 0.0, 1);
    let calls = Arc::new(Mutex::new(0usize));
    let counter = calls.clone();
    // The 7th training loss (epoch 2, step 3 with 4 batches per epoch) is NaN.
    let loss = loss_fn("poisoned", move |y, t| {
        let ce = CrossEntropyLoss::new();
        let l = youshi_optim::fit::Loss::loss(&ce, y, t)?;
        if !y.graph().is_recording() {
            return Ok(l);
        }
        let mut n = counter.lock().unwrap();
        *n += 1;
        Ok(if *n == 7 { l.mul_scalar(f32::NAN)? } else { l })
    });
    let trainer = Trainer::new(&model, loss, MomentumSgd::new(model.params(), 0.05, 0.9))
        .progress(Progress::Silent);
    let mut data = spirals(16, 0.1, 1, 8).fixed();
    let before_bad_step = Arc::new(Mutex::new(Vec::new()));
    let snap = before_bad_step.clone();
    struct Snapshot(Arc<Mutex<Vec<Vec<u32>>>>);
    impl Callback for Snapshot {
        fn name(&self) -> &'static str {
            "Snapshot"
        }
        fn on_batch_end(
            &mut self,
            _b: &youshi_optim::fit::BatchLogs,
            ctx: &mut Context<'_>,
        ) -> Result<()> {
            let bits = ctx
                .model()
                .params()
                .iter()
                .flat_map(|p| p.value().to_vec())
                .map(f32::to_bits)
                .collect();
            *self.0.lock().unwrap() = vec![bits];
            Ok(())
        }
    }
    let mut trainer = trainer.callback(Snapshot(snap));
    let e = trainer.fit(&mut data, None, 5).unwrap_err();
    assert!(
        matches!(e, OptimError::NonFiniteLoss { epoch: 2, step: 3, loss } if loss.is_nan()),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "training stopped: the loss is NaN at epoch 2, step 3"
    );
    // The completed epoch stays in the history; the weights are those before the bad step.
    assert_eq!(trainer.history().len(), 1);
    assert_eq!(trainer.epoch(), 1);
    let now: Vec<u32> = model
        .params()
        .iter()
        .flat_map(|p| p.value().to_vec())
        .map(f32::to_bits)
        .collect();
    assert_eq!(before_bad_step.lock().unwrap()[0], now);
}

#[test]
fn non_finite_loss_can_be_let_through() {
    let model = Linear::new(2, 1, &mut seeded_rng(0)).unwrap();
    let x = Tensor::from_vec(vec![1.0, f32::INFINITY, 0.0, 1.0], [2, 2]).unwrap();
    let mut data = vec![Batch::new(x, Tensor::zeros([2]))];
    let mut strict = Trainer::new(
        &model,
        MseLoss::new(),
        MomentumSgd::new(model.params(), 0.1, 0.0),
    )
    .progress(Progress::Silent);
    let e = strict.fit(&mut data, None, 1).unwrap_err();
    assert!(e.to_string().contains("at epoch 1, step 1"), "{e}");
    let mut lax = Trainer::new(
        &model,
        MseLoss::new(),
        MomentumSgd::new(model.params(), 0.1, 0.0),
    )
    .progress(Progress::Silent)
    .terminate_on_nan(false);
    let h = lax.fit(&mut data, None, 1).unwrap();
    assert!(!h.get("loss").unwrap()[0].is_finite());
}

#[test]
fn single_output_regression_with_flat_targets() {
    let model = Linear::new(2, 1, &mut seeded_rng(0)).unwrap();
    let x = Tensor::<f32>::rand_normal([64, 2], 0.0, 1.0, &mut seeded_rng(1)).unwrap();
    // y = 2 x0 - x1 + 0.5, targets [N].
    let y: Vec<f32> = x
        .to_vec()
        .chunks(2)
        .map(|r| 2.0 * r[0] - r[1] + 0.5)
        .collect();
    let mut data = vec![Batch::new(x, Tensor::from_vec(y, [64]).unwrap())];
    let mut trainer = Trainer::new(
        &model,
        MseLoss::new(),
        MomentumSgd::new(model.params(), 0.1, 0.5),
    )
    .progress(Progress::Silent)
    .metric(metric_fn("rmse", |o: &Tensor<f32>, t: &Tensor<f32>| {
        let mse = o
            .to_vec()
            .iter()
            .zip(t.to_vec())
            .map(|(a, b)| f64::from((a - b) * (a - b)))
            .sum::<f64>()
            / t.numel() as f64;
        Ok(mse.sqrt())
    }));
    let h = trainer.fit(&mut data, None, 100).unwrap();
    let loss = h.get("loss").unwrap();
    assert!(loss[99] < 1e-6, "{loss:?}");
    // rmse² is the loss of the same batch (one batch per epoch).
    let rmse = h.get("rmse").unwrap();
    assert!((rmse[0] * rmse[0] - loss[0]).abs() < 1e-5 * loss[0]);
    let w = model.weight.value().to_vec();
    assert!(
        (w[0] - 2.0).abs() < 1e-3 && (w[1] + 1.0).abs() < 1e-3,
        "{w:?}"
    );
}

/// Records every callback event and the learning rate at each step.
struct Recorder {
    events: Arc<Mutex<Vec<String>>>,
    stop_at: Option<(usize, usize)>,
}

impl Callback for Recorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }
    fn on_train_begin(&mut self, ctx: &mut Context<'_>) -> Result<()> {
        self.events
            .lock()
            .unwrap()
            .push(format!("train_begin {}", ctx.epoch()));
        Ok(())
    }
    fn on_epoch_begin(&mut self, ctx: &mut Context<'_>) -> Result<()> {
        self.events
            .lock()
            .unwrap()
            .push(format!("epoch_begin {}", ctx.epoch()));
        Ok(())
    }
    fn on_after_backward(&mut self, ctx: &mut Context<'_>) -> Result<()> {
        let has_grads = ctx.optimizer().params().iter().all(|p| p.grad().is_some());
        self.events
            .lock()
            .unwrap()
            .push(format!("backward {has_grads}"));
        Ok(())
    }
    fn on_batch_end(
        &mut self,
        b: &youshi_optim::fit::BatchLogs,
        ctx: &mut Context<'_>,
    ) -> Result<()> {
        let lr = ctx.optimizer().lr(0);
        self.events
            .lock()
            .unwrap()
            .push(format!("batch {}.{} n={} lr={lr}", b.epoch, b.step, b.size));
        if self.stop_at == Some((b.epoch, b.step)) {
            ctx.stop_training("recorder asked");
        }
        Ok(())
    }
    fn on_epoch_end(&mut self, logs: &Logs, ctx: &mut Context<'_>) -> Result<()> {
        self.events.lock().unwrap().push(format!(
            "epoch_end {} history={} lr={}",
            logs.epoch(),
            ctx.history().len(),
            ctx.optimizer().lr(0)
        ));
        Ok(())
    }
    fn on_train_end(&mut self, ctx: &mut Context<'_>) -> Result<()> {
        self.events
            .lock()
            .unwrap()
            .push(format!("train_end {}", ctx.epoch()));
        Ok(())
    }
}

#[test]
fn callbacks_see_every_event_in_order_and_schedules_step_per_epoch() {
    let model = mlp(4, 2, 0.0, 1);
    let mut opt = MomentumSgd::new(model.params(), 0.1, 0.0);
    let sched = StepDecay::new(&mut opt, 1, 0.5);
    let events = Arc::new(Mutex::new(Vec::new()));
    let mut trainer = Trainer::new(&model, CrossEntropyLoss::new(), opt)
        .scheduler(sched, SchedulerStep::PerEpoch)
        .callback(Recorder {
            events: events.clone(),
            stop_at: None,
        })
        .progress(Progress::Silent);
    // 10 examples in batches of 4: sizes 4, 4, 2.
    let mut data = spirals(5, 0.1, 1, 4).fixed();
    trainer.fit(&mut data, None, 2).unwrap();
    let ev = events.lock().unwrap().clone();
    let want = [
        "train_begin 0",
        "epoch_begin 1",
        "backward true",
        "batch 1.1 n=4 lr=0.1",
        "backward true",
        "batch 1.2 n=4 lr=0.1",
        "backward true",
        "batch 1.3 n=2 lr=0.1",
        "epoch_end 1 history=1 lr=0.05",
        "epoch_begin 2",
        "backward true",
        "batch 2.1 n=4 lr=0.05",
        "backward true",
        "batch 2.2 n=4 lr=0.05",
        "backward true",
        "batch 2.3 n=2 lr=0.05",
        "epoch_end 2 history=2 lr=0.025",
        "train_end 2",
    ];
    assert_eq!(ev, want);
}

#[test]
fn schedules_step_per_batch_and_callbacks_stop_mid_epoch() {
    let model = mlp(4, 2, 0.0, 1);
    let mut opt = MomentumSgd::new(model.params(), 0.1, 0.0);
    let sched = StepDecay::new(&mut opt, 2, 0.5);
    let events = Arc::new(Mutex::new(Vec::new()));
    let mut trainer = Trainer::new(&model, CrossEntropyLoss::new(), opt)
        .scheduler(sched, SchedulerStep::PerBatch)
        .callback(Recorder {
            events: events.clone(),
            stop_at: Some((2, 2)),
        })
        .progress(Progress::Silent);
    let mut data = spirals(5, 0.1, 1, 4).fixed();
    let h = trainer.fit(&mut data, None, 5).unwrap();
    // Stopped after step 2 of epoch 2; that epoch is still logged.
    assert_eq!(h.len(), 2);
    let ev = events.lock().unwrap().clone();
    let batches: Vec<&String> = ev.iter().filter(|e| e.starts_with("batch")).collect();
    // lr halves every 2 steps: the rate seen after step s is 0.1 * 0.5^(s / 2).
    assert_eq!(
        batches,
        [
            "batch 1.1 n=4 lr=0.1",
            "batch 1.2 n=4 lr=0.05",
            "batch 1.3 n=2 lr=0.05",
            "batch 2.1 n=4 lr=0.025",
            "batch 2.2 n=4 lr=0.025"
        ]
    );
    assert_eq!(ev.last().unwrap(), "train_end 2");
}

#[test]
fn progress_lines_go_to_the_chosen_output() {
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let model = mlp(4, 2, 0.0, 1);
    let mut trainer = Trainer::new(
        &model,
        CrossEntropyLoss::new(),
        MomentumSgd::new(model.params(), 0.1, 0.0),
    )
    .metric(Accuracy::new())
    .progress_output(sink.clone());
    let mut data = spirals(20, 0.1, 1, 4).fixed();
    let mut val = data.clone();
    trainer.fit(&mut data, Some(&mut val), 2).unwrap();
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let summaries: Vec<&str> = text.lines().filter(|l| l.contains(" steps - ")).collect();
    assert_eq!(summaries.len(), 2, "{text}");
    assert!(
        summaries[1].starts_with("Epoch 2/2 - 10 steps - "),
        "{text}"
    );
    assert!(summaries[1].contains("- loss: ") && summaries[1].contains("- val_accuracy: "));
    // Tenths of the 10-step epochs: steps 1 to 9 each print a line.
    assert_eq!(text.lines().count(), 2 * 10, "{text}");
    assert!(!text.contains('\r'));
}

#[test]
fn csv_logger_and_chart_record_every_epoch() {
    let dir = temp_dir("csv");
    let csv = dir.join("history.csv");
    let model = mlp(8, 2, 0.0, 1);
    let mut trainer = silent(&model, 0.05)
        .metric(Accuracy::new())
        .callback(CsvLogger::new(&csv));
    let mut data = spirals(20, 0.1, 1, 10).fixed();
    let mut val = spirals(10, 0.1, 2, 10).fixed();
    let h = trainer.fit(&mut data, Some(&mut val), 3).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "epoch,loss,accuracy,val_loss,val_accuracy");
    assert_eq!(lines.len(), 4);
    for (i, line) in lines[1..].iter().enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0], (i + 1).to_string());
        for (j, name) in ["loss", "accuracy", "val_loss", "val_accuracy"]
            .iter()
            .enumerate()
        {
            let v: f64 = cells[j + 1].parse().unwrap();
            assert_eq!(v, h.get(name).unwrap()[i], "{name} at epoch {}", i + 1);
        }
    }
    // A log that cannot be written stops training with the file named.
    let missing = dir.join("missing").join("history.csv");
    let e = silent(&model, 0.05)
        .callback(CsvLogger::new(&missing))
        .fit(&mut data, None, 1)
        .unwrap_err();
    assert!(
        matches!(&e, OptimError::Io { path, .. } if path.starts_with(dir.join("missing"))),
        "{e:?}"
    );
    assert!(e.to_string().starts_with("write history CSV: "), "{e}");
    let svg_path = dir.join("history.svg");
    h.write_svg(&svg_path).unwrap();
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.starts_with("<svg"));
    assert_eq!(svg.matches("<polyline").count(), 4);
    for s in ["loss", "val_loss", "accuracy", "val_accuracy"] {
        assert!(svg.contains(&format!("id=\"series-{s}\"")), "{s}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_data_and_configuration_are_errors() {
    let model = mlp(4, 2, 0.0, 1);
    let mut empty: Vec<Batch> = Vec::new();
    let e = silent(&model, 0.1).fit(&mut empty, None, 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Trainer::fit: the training data yielded no batches in epoch 1"
    );
    let mut data = spirals(4, 0.1, 1, 4).fixed();
    let e = silent(&model, 0.1)
        .fit(&mut data, Some(&mut Vec::new()), 1)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Trainer::fit: the validation data yielded no batches in epoch 1"
    );
    let e = silent(&model, 0.1)
        .metric(Accuracy::new())
        .metric(Accuracy::new().threshold(0.5))
        .fit(&mut data, None, 1)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("two logged values are named \"accuracy\""),
        "{e}"
    );
    let e = silent(&model, 0.1)
        .callback(youshi_optim::EarlyStopping::new("val_loss"))
        .fit(&mut data, None, 1)
        .unwrap_err();
    assert!(e.to_string().contains("\"val_loss\" is not logged"), "{e}");
    let e = Trainer::new(
        &model,
        CrossEntropyLoss::new().reduction(youshi_layers::Reduction::None),
        MomentumSgd::new(model.params(), 0.1, 0.0),
    )
    .progress(Progress::Silent)
    .fit(&mut data, None, 1)
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("the loss CrossEntropyLoss gives a value of shape [4], not a scalar"),
        "{e}"
    );
    let mut bad = vec![Batch::new(Tensor::zeros([3, 2]), Tensor::zeros([2]))];
    let e = silent(&model, 0.1).fit(&mut bad, None, 1).unwrap_err();
    assert!(
        e.to_string().contains("inputs [3, 2] and targets [2]"),
        "{e}"
    );
    let mut labels = vec![Batch::new(
        Tensor::zeros([2, 2]),
        Tensor::from_vec(vec![0.0, 2.5], [2]).unwrap(),
    )];
    let e = silent(&model, 0.1).fit(&mut labels, None, 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CrossEntropyLoss: target 1 is 2.5, not a class index (a non-negative integer)"
    );
    let mut opt = MomentumSgd::new(model.params(), 0.1, 0.0);
    let sched = StepDecay::new(&mut opt, 1, 0.5);
    let e = Trainer::new(&model, CrossEntropyLoss::new(), opt)
        .scheduler(sched, SchedulerStep::PerEpoch)
        .scheduler_monitor("val_accuracy")
        .progress(Progress::Silent)
        .fit(&mut data, None, 1)
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Trainer::scheduler_monitor: \"val_accuracy\" is not logged"),
        "{e}"
    );
}

#[test]
fn fit_continues_to_the_total_epoch_count() {
    let model = mlp(4, 2, 0.0, 1);
    let mut trainer = silent(&model, 0.1);
    let mut data = spirals(4, 0.1, 1, 4).fixed();
    trainer.fit(&mut data, None, 2).unwrap();
    let h = trainer.fit(&mut data, None, 3).unwrap();
    assert_eq!(h.epochs(), &[1, 2, 3]);
    // Nothing left to do.
    let h = trainer.fit(&mut data, None, 3).unwrap();
    assert_eq!(h.len(), 3);
}

/// Asks for a checkpoint mid-epoch and for weights at the end of training, and can stop
/// training before it starts.
struct Requests {
    dir: std::path::PathBuf,
    stop_at_start: bool,
}

impl Callback for Requests {
    fn name(&self) -> &'static str {
        "Requests"
    }
    fn on_train_begin(&mut self, ctx: &mut Context<'_>) -> Result<()> {
        if self.stop_at_start {
            ctx.stop_training("nothing to do");
        }
        Ok(())
    }
    fn on_batch_end(
        &mut self,
        b: &youshi_optim::fit::BatchLogs,
        ctx: &mut Context<'_>,
    ) -> Result<()> {
        if b.step == 2 {
            ctx.save_checkpoint(self.dir.join(format!("mid-{}.safetensors", b.epoch)));
        }
        Ok(())
    }
    fn on_train_end(&mut self, ctx: &mut Context<'_>) -> Result<()> {
        ctx.save_weights(self.dir.join("end").join("weights.safetensors"));
        Ok(())
    }
}

#[test]
fn checkpoints_asked_mid_epoch_are_written_at_its_end() {
    let dir = temp_dir("requests");
    let model = mlp(4, 2, 0.0, 1);
    let mut data = spirals(8, 0.1, 1, 4).fixed();
    let mut trainer = silent(&model, 0.1).callback(Requests {
        dir: dir.clone(),
        stop_at_start: false,
    });
    trainer.fit(&mut data, None, 2).unwrap();
    for e in [1, 2] {
        let ck = youshi_optim::Checkpoint::<f32>::load(dir.join(format!("mid-{e}.safetensors")))
            .unwrap();
        // Written after the epoch: it holds that epoch.
        assert_eq!(ck.epoch(), e);
        assert_eq!(ck.history().len(), e);
    }
    let fresh = mlp(4, 2, 0.0, 9);
    youshi_layers::load_safetensors(&fresh, dir.join("end").join("weights.safetensors"), true)
        .unwrap();
    assert_eq!(param_bits(&fresh), param_bits(&model));

    // A stop before the first epoch runs none.
    let model = mlp(4, 2, 0.0, 1);
    let before = param_bits(&model);
    let mut trainer = silent(&model, 0.1).callback(Requests {
        dir: dir.clone(),
        stop_at_start: true,
    });
    let h = trainer.fit(&mut data, None, 2).unwrap();
    assert!(h.is_empty());
    assert_eq!(param_bits(&model), before);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn single_logit_binary_classification() {
    // Two separated blobs; one logit per example against targets [N] in {0, 1}.
    let mut rng = seeded_rng(4);
    let noise = Tensor::<f32>::rand_normal([64, 2], 0.0, 0.6, &mut rng).unwrap();
    let labels: Vec<f32> = (0..64).map(|i| (i % 2) as f32).collect();
    let centres: Vec<f32> = labels
        .iter()
        .flat_map(|&c| [3.0 * c - 1.5, 1.0 - 2.0 * c])
        .collect();
    let x = noise
        .add(&Tensor::from_vec(centres, [64, 2]).unwrap())
        .unwrap();
    let mut data = vec![Batch::new(x, Tensor::from_vec(labels, [64]).unwrap())];
    let model = Linear::new(2, 1, &mut seeded_rng(0)).unwrap();
    let mut trainer = Trainer::new(
        &model,
        youshi_layers::BceWithLogitsLoss::new(),
        MomentumSgd::new(model.params(), 0.5, 0.0),
    )
    .metric(Accuracy::new())
    .progress(Progress::Silent);
    let h = trainer.fit(&mut data, None, 30).unwrap();
    let acc = h.get("accuracy").unwrap();
    assert!(acc[29] >= 0.95, "{acc:?}");
    let loss = h.get("loss").unwrap();
    assert!(loss[29] < loss[0] / 2.0, "{loss:?}");
}
