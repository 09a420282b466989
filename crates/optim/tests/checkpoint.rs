//! Checkpoints: exact resumption, and every kind of damaged or mismatched file rejected
//! with an error naming the file and the key.

#[path = "fit_common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{mlp, param_bits, spirals, temp_dir, MomentumSgd, StepDecay};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use youshi_layers::{CrossEntropyLoss, ModuleExt, Sequential};
use youshi_optim::fit::{
    Accuracy, Checkpoint, EarlyStopping, ModelCheckpoint, Progress, SchedulerStep, Trainer,
};
use youshi_optim::{HyperParams, OptimError, Optimizer, OptimizerState};
use youshi_tensor::seeded_rng;

/// The run under test: an MLP with dropout, momentum SGD with a step-decay schedule,
/// shuffled batches, early stopping keeping the best weights and a checkpoint every 2
/// epochs into `dir`.
fn trainer<'a>(model: &'a Sequential, dir: &Path) -> Trainer<'a, f32> {
    let mut opt = MomentumSgd::new(model.params(), 0.05, 0.9);
    let sched = StepDecay::new(&mut opt, 2, 0.5);
    Trainer::new(model, CrossEntropyLoss::new(), opt)
        .scheduler(sched, SchedulerStep::PerEpoch)
        .metric(Accuracy::new())
        .callback(
            EarlyStopping::new("val_loss")
                .patience(10)
                .restore_best(true),
        )
        .callback(ModelCheckpoint::new(dir.join("epoch-{epoch}.safetensors")).every(2))
        .progress(Progress::Silent)
        .seed(42)
}

fn model() -> Sequential {
    mlp(16, 2, 0.3, 5)
}

fn data() -> (common::Shuffled, Vec<youshi_data::Batch>) {
    (spirals(48, 0.1, 11, 16), spirals(16, 0.1, 12, 32).fixed())
}

/// Writes a checkpoint of 2 epochs of the run into a fresh directory and returns its path.
fn two_epoch_checkpoint(tag: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(tag);
    let m = model();
    let mut t = trainer(&m, &dir);
    let (mut train, mut val) = data();
    t.fit(&mut train, Some(&mut val), 2).unwrap();
    let path = dir.join("epoch-2.safetensors");
    assert!(path.exists());
    (dir, path)
}

#[test]
fn resuming_gives_the_uninterrupted_runs_weights() {
    youshi_tensor::set_num_threads(1).unwrap();
    // Uninterrupted: 4 epochs.
    let dir_a = temp_dir("resume-a");
    let model_a = model();
    let mut a = trainer(&model_a, &dir_a);
    let (mut train, mut val) = data();
    let hist_a = a.fit(&mut train, Some(&mut val), 4).unwrap();
    drop(a);
    let final_a = param_bits(&model_a);

    // Interrupted after 2 epochs, resumed in a fresh trainer over a fresh model.
    let dir_b = temp_dir("resume-b");
    let model_b = model();
    let mut b = trainer(&model_b, &dir_b);
    assert_eq!(b.resume_from(dir_a.join("epoch-2.safetensors")).unwrap(), 2);
    assert_eq!(b.epoch(), 2);
    assert_eq!(b.history().len(), 2);
    let (mut train, mut val) = data();
    let hist_b = b.fit(&mut train, Some(&mut val), 4).unwrap();
    drop(b);

    // The weights at epoch 4 (before early stopping restores its best) are bit-identical ...
    let ca = Checkpoint::<f32>::load(dir_a.join("epoch-4.safetensors")).unwrap();
    let cb = Checkpoint::<f32>::load(dir_b.join("epoch-4.safetensors")).unwrap();
    let bits = |c: &Checkpoint<f32>| -> Vec<Vec<u32>> {
        c.model_state()
            .iter()
            .map(|(_, t)| t.to_vec().iter().map(|v| v.to_bits()).collect())
            .collect()
    };
    assert_eq!(bits(&ca), bits(&cb));
    // ... and so are the optimizer's buffers, the schedule, the generators and the history.
    assert_eq!(ca.optimizer_state(), cb.optimizer_state());
    assert_eq!(ca.scheduler_state(), cb.scheduler_state());
    assert_eq!(ca.rng_states(), cb.rng_states());
    assert_eq!(hist_a, hist_b);
    // The final weights (the best epoch's, restored) agree too.
    assert_eq!(final_a, param_bits(&model_b));
    // The checkpoint records what the run was.
    assert_eq!(ca.epoch(), 4);
    assert_eq!(ca.seed(), Some(42));
    assert_eq!(ca.num_threads(), 1);
    assert_eq!(ca.scheduler_state().unwrap().1, SchedulerStep::PerEpoch);
    assert_eq!(ca.rng_states().len(), 1);
    assert_eq!(ca.rng_states()[0].0, "2.rng");

    // Control: the same resume with the dropout generator not restored diverges, so the
    // comparison above does depend on the saved generator state.
    let dir_c = temp_dir("resume-c");
    let model_c = model();
    let mut c = trainer(&model_c, &dir_c);
    c.resume_from(dir_a.join("epoch-2.safetensors")).unwrap();
    model_c.visit_rngs(&mut |_, rng| *rng.lock().unwrap() = seeded_rng(7));
    let (mut train, mut val) = data();
    c.fit(&mut train, Some(&mut val), 4).unwrap();
    drop(c);
    let cc = Checkpoint::<f32>::load(dir_c.join("epoch-4.safetensors")).unwrap();
    assert_ne!(bits(&ca), bits(&cc));
    for d in [dir_a, dir_b, dir_c] {
        std::fs::remove_dir_all(d).ok();
    }
}

#[test]
fn save_and_load_round_trip_every_part() {
    let (dir, path) = two_epoch_checkpoint("roundtrip");
    let ckpt = Checkpoint::<f32>::load(&path).unwrap();
    assert_eq!(ckpt.path(), path.as_path());
    let copy = dir.join("copy.safetensors");
    ckpt.save(&copy).unwrap();
    let again = Checkpoint::<f32>::load(&copy).unwrap();
    assert_eq!(again.model_state(), ckpt.model_state());
    assert_eq!(again.optimizer_state(), ckpt.optimizer_state());
    assert_eq!(again.scheduler_state(), ckpt.scheduler_state());
    assert_eq!(again.rng_states(), ckpt.rng_states());
    assert_eq!(again.history(), ckpt.history());
    let names: Vec<&str> = ckpt.model_state().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["0.weight", "0.bias", "3.weight", "3.bias", "5.weight", "5.bias"]
    );
    let keys: Vec<&String> = ckpt.optimizer_state().tensors.keys().collect();
    assert_eq!(keys.len(), 6);
    assert_eq!(ckpt.optimizer_state().scalars["0.lr"], 0.025);
    // In memory, the same.
    let mem = Checkpoint::<f32>::from_bytes(&ckpt.to_bytes().unwrap()).unwrap();
    assert_eq!(mem.model_state(), ckpt.model_state());
    assert_eq!(mem.history(), ckpt.history());
    assert_eq!(mem.path(), Path::new("<memory>"));
    // No temporary file is left behind.
    assert!(!youshi_layers::io::temp_path(&copy).exists());
    std::fs::remove_dir_all(dir).ok();
}

/// The tensors and metadata of a safetensors file, to rewrite it.
struct Parts {
    tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)>,
    meta: HashMap<String, String>,
}

fn parts(path: &Path) -> Parts {
    let bytes = std::fs::read(path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let tensors = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec()))
        .collect();
    Parts {
        tensors,
        meta: meta.metadata().clone().unwrap(),
    }
}

fn write(path: &Path, p: &Parts) {
    let views: Vec<(String, TensorView<'_>)> = p
        .tensors
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    let bytes = safetensors::serialize(views, Some(p.meta.clone())).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn fnv1a(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Rewrites the checkpoint document with `edit` and a matching checksum.
fn edit_doc(p: &mut Parts, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut doc: serde_json::Value = serde_json::from_str(&p.meta["youshi_checkpoint"]).unwrap();
    edit(&mut doc);
    let text = doc.to_string();
    p.meta
        .insert("youshi_checkpoint_fnv1a64".into(), fnv1a(text.as_bytes()));
    p.meta.insert("youshi_checkpoint".into(), text);
}

fn load_err(path: &Path) -> OptimError {
    Checkpoint::<f32>::load(path).unwrap_err()
}

fn assert_format(e: &OptimError, path: &Path, needle: &str) {
    assert!(
        matches!(e, OptimError::Format { path: p, .. } if p == path),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("load checkpoint: {}: ", path.display())),
        "{msg}"
    );
    assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
}

#[test]
fn truncated_files_are_rejected() {
    let (dir, path) = two_epoch_checkpoint("truncated");
    let bytes = std::fs::read(&path).unwrap();
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let cut = dir.join("cut.safetensors");
    let cases = [
        (0, "it has 0 bytes, fewer than the 8-byte header length"),
        (5, "it has 5 bytes"),
        (8 + header / 2, "the file is truncated: the header length"),
        (
            8 + header + 10,
            "the file is truncated: the header declares",
        ),
        (
            bytes.len() - 1,
            "the file is truncated: the header declares",
        ),
    ];
    for (len, needle) in cases {
        std::fs::write(&cut, &bytes[..len]).unwrap();
        assert_format(&load_err(&cut), &cut, needle);
    }
    let mut long = bytes.clone();
    long.extend_from_slice(&[0; 3]);
    std::fs::write(&cut, &long).unwrap();
    assert_format(
        &load_err(&cut),
        &cut,
        "3 unexpected bytes after the tensor data",
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn every_flipped_header_byte_is_detected() {
    let (dir, path) = two_epoch_checkpoint("flip-header");
    let bytes = std::fs::read(&path).unwrap();
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let memory = Path::new("<memory>");
    let mut checked = 0;
    for pos in 0..8 + header {
        for mask in [0x01u8, 0x20, 0x80] {
            let mut b = bytes.clone();
            b[pos] ^= mask;
            match Checkpoint::<f32>::from_bytes(&b) {
                Err(OptimError::Format { path: p, .. }) => assert_eq!(p, memory),
                other => panic!("byte {pos} ^ {mask:#x}: {other:?}"),
            }
            checked += 1;
        }
    }
    assert!(checked > 3000, "{checked}");
    // A flip inside the document (here, in the optimizer's learning rate) names the document,
    // and a file names itself.
    let mut b = bytes.clone();
    let text = String::from_utf8_lossy(&b[8..8 + header]).into_owned();
    let at = text.find("0.lr").unwrap();
    let digit = text[at + 4..].find(|c: char| c.is_ascii_digit()).unwrap() + at + 4;
    b[8 + digit] ^= 0x01;
    let bad = dir.join("bad.safetensors");
    std::fs::write(&bad, &b).unwrap();
    assert_format(
        &load_err(&bad),
        &bad,
        "the \"youshi_checkpoint\" document does not match its checksum",
    );
    // The untouched bytes read back.
    assert_eq!(Checkpoint::<f32>::from_bytes(&bytes).unwrap().epoch(), 2);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn flipped_data_bytes_fail_their_tensors_checksum() {
    let (dir, path) = two_epoch_checkpoint("flip-data");
    let bytes = std::fs::read(&path).unwrap();
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let memory = Path::new("<memory>");
    for pos in 8 + header..bytes.len() {
        let mut b = bytes.clone();
        b[pos] ^= 0x04;
        let e = Checkpoint::<f32>::from_bytes(&b).unwrap_err();
        assert_format(
            &e,
            memory,
            "does not match its checksum: the data is corrupt",
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn missing_unexpected_and_reshaped_tensors_are_named() {
    let (dir, path) = two_epoch_checkpoint("tensors");
    let bad = dir.join("bad.safetensors");

    let mut p = parts(&path);
    p.tensors.retain(|t| t.0 != "model.0.bias");
    write(&bad, &p);
    assert_format(
        &load_err(&bad),
        &bad,
        "tensor \"model.0.bias\" is missing (the checkpoint document lists it)",
    );

    let mut p = parts(&path);
    p.tensors.retain(|t| t.0 != "optimizer.0.2.momentum_buffer");
    write(&bad, &p);
    assert_format(
        &load_err(&bad),
        &bad,
        "\"optimizer.0.2.momentum_buffer\" is missing",
    );

    let mut p = parts(&path);
    let extra = p.tensors[0].clone();
    p.tensors
        .push(("model.extra".into(), extra.1, extra.2, extra.3));
    write(&bad, &p);
    assert_format(&load_err(&bad), &bad, "unexpected tensor \"model.extra\"");

    // Same bytes, another shape: the file reads, but does not fit the model.
    let mut p = parts(&path);
    let w = p
        .tensors
        .iter_mut()
        .find(|t| t.0 == "model.0.weight")
        .unwrap();
    assert_eq!(w.2, [16, 2]);
    w.2 = vec![2, 16];
    write(&bad, &p);
    let ckpt = Checkpoint::<f32>::load(&bad).unwrap();
    let m = model();
    let before = param_bits(&m);
    let mut t = trainer(&m, &dir);
    let e = t.restore(&ckpt).unwrap_err();
    assert!(matches!(e, OptimError::State { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "Trainer::restore: {}: model entry \"0.weight\" has shape [2, 16], the model has [16, 2]",
            bad.display()
        )
    );
    assert_eq!(param_bits(&m), before, "nothing changed");
    assert_eq!(t.epoch(), 0);

    // Another dtype.
    let mut p = parts(&path);
    let b = p
        .tensors
        .iter_mut()
        .find(|t| t.0 == "model.5.bias")
        .unwrap();
    b.1 = Dtype::I32;
    write(&bad, &p);
    assert_format(
        &load_err(&bad),
        &bad,
        "tensor \"model.5.bias\" has dtype I32",
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn invalid_documents_are_rejected() {
    let (dir, path) = two_epoch_checkpoint("doc");
    let bad = dir.join("bad.safetensors");
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|d| d["version"] = 2.into()),
            "format version 2 is not supported (this build reads version 1)",
        ),
        (
            Box::new(|d| d["format"] = "other".into()),
            "format \"other\" is not \"youshi-checkpoint\"",
        ),
        (
            Box::new(|d| d["dtype"] = "f64".into()),
            "the checkpoint holds f64 tensors, the trainer uses f32",
        ),
        (
            Box::new(|d| d["epoch"] = 3.into()),
            "history: 2 epochs recorded for a checkpoint of epoch 3",
        ),
        (
            Box::new(|d| d["history"]["values"][0] = serde_json::json!(["1.0"])),
            "history: series \"loss\" has 1 values for 2 epochs",
        ),
        (
            Box::new(|d| d["optimizer"]["scalars"]["0.lr"] = "fast".into()),
            "\"fast\" is not a number",
        ),
        (
            Box::new(|d| d["rngs"][0]["seed"] = "00".into()),
            "generator \"2.rng\": seed \"00\" is not 64 hex digits",
        ),
        (
            Box::new(|d| d["rngs"][0]["word_pos"] = "-1".into()),
            "word position \"-1\" is not a number",
        ),
        (
            Box::new(|d| {
                d.as_object_mut().unwrap().remove("model");
            }),
            "missing field `model`",
        ),
        (
            Box::new(|d| d["checksums"]["model.nothing"] = "0".into()),
            "a checksum is recorded for \"model.nothing\"",
        ),
        (
            Box::new(|d| {
                d["checksums"]["model.0.bias"] = "0000000000000000".into();
            }),
            "tensor \"model.0.bias\" does not match its checksum",
        ),
    ];
    for (edit, needle) in cases {
        let mut p = parts(&path);
        edit_doc(&mut p, edit);
        write(&bad, &p);
        assert_format(&load_err(&bad), &bad, needle);
    }
    // No document at all, or a document without its checksum.
    let mut p = parts(&path);
    p.meta.remove("youshi_checkpoint_fnv1a64");
    write(&bad, &p);
    assert_format(
        &load_err(&bad),
        &bad,
        "no \"youshi_checkpoint_fnv1a64\" metadata",
    );
    let m = model();
    youshi_layers::save_safetensors(&m, &bad).unwrap();
    assert_format(&load_err(&bad), &bad, "not a training checkpoint");
    // A missing file.
    let e = Checkpoint::<f32>::load(dir.join("nope.safetensors")).unwrap_err();
    assert!(matches!(e, OptimError::Io { .. }), "{e:?}");
    assert!(e.to_string().starts_with("load checkpoint: "), "{e}");
    // The element type is checked against the reader's.
    let e = Checkpoint::<f64>::load(&path).unwrap_err();
    assert!(
        e.to_string()
            .contains("holds f32 tensors, the trainer uses f64"),
        "{e}"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// A momentum SGD under another name.
struct Renamed(MomentumSgd);

impl HyperParams for Renamed {
    fn num_groups(&self) -> usize {
        1
    }
    fn lr(&self, g: usize) -> f64 {
        self.0.lr(g)
    }
    fn set_lr(&mut self, g: usize, lr: f64) {
        self.0.set_lr(g, lr)
    }
    fn momentum(&self, g: usize) -> Option<f64> {
        self.0.momentum(g)
    }
    fn set_momentum(&mut self, g: usize, m: f64) -> bool {
        self.0.set_momentum(g, m)
    }
}

impl Optimizer for Renamed {
    fn name(&self) -> &'static str {
        "Renamed"
    }
    fn step(&mut self) -> youshi_optim::Result<()> {
        self.0.step()
    }
    fn zero_grad(&self) {
        self.0.zero_grad()
    }
    fn params(&self) -> Vec<youshi_autograd::Param> {
        self.0.params()
    }
    fn state(&self) -> OptimizerState {
        self.0.state()
    }
    fn load_state(&mut self, s: &OptimizerState) -> youshi_optim::Result<()> {
        self.0.load_state(s)
    }
    fn hyper_params(&mut self) -> &mut dyn HyperParams {
        self
    }
}

#[test]
fn checkpoints_of_another_set_up_are_rejected_without_change() {
    let (dir, path) = two_epoch_checkpoint("mismatch");
    let msg = |e: OptimError| e.to_string();
    let prefix = format!("Trainer::restore: {}: ", path.display());

    // Another optimizer.
    let m = model();
    let mut t = Trainer::new(
        &m,
        CrossEntropyLoss::new(),
        Renamed(MomentumSgd::new(m.params(), 0.1, 0.9)),
    );
    assert_eq!(
        msg(t.resume_from(&path).unwrap_err()),
        format!("{prefix}the checkpoint holds the state of optimizer \"MomentumSgd\", the trainer's optimizer is \"Renamed\"")
    );

    // No schedule.
    let mut t = Trainer::new(
        &m,
        CrossEntropyLoss::new(),
        MomentumSgd::new(m.params(), 0.1, 0.9),
    );
    assert_eq!(
        msg(t.resume_from(&path).unwrap_err()),
        format!("{prefix}the checkpoint holds the state of schedule \"StepDecay\", the trainer has no schedule")
    );

    // The schedule stepped per batch instead.
    let mut opt = MomentumSgd::new(m.params(), 0.1, 0.9);
    let sched = StepDecay::new(&mut opt, 2, 0.5);
    let mut t =
        Trainer::new(&m, CrossEntropyLoss::new(), opt).scheduler(sched, SchedulerStep::PerBatch);
    assert!(msg(t.resume_from(&path).unwrap_err()).contains(
        "schedule \"StepDecay\" stepped PerEpoch, the trainer has \"StepDecay\" stepped PerBatch"
    ));

    // A model without dropout: its generators do not match.
    let plain = mlp(16, 2, 0.0, 5);
    let mut opt = MomentumSgd::new(plain.params(), 0.1, 0.9);
    let sched = StepDecay::new(&mut opt, 2, 0.5);
    let mut t = Trainer::new(&plain, CrossEntropyLoss::new(), opt)
        .scheduler(sched, SchedulerStep::PerEpoch);
    let e = msg(t.resume_from(&path).unwrap_err());
    // The layers are numbered differently without dropout.
    assert!(e.contains("model entry \"2.weight\" is missing"), "{e}");

    // A wider model.
    let wide = mlp(8, 2, 0.3, 5);
    let before = param_bits(&wide);
    let mut t = trainer(&wide, &dir);
    let e = msg(t.resume_from(&path).unwrap_err());
    assert_eq!(
        e,
        format!("{prefix}model entry \"0.weight\" has shape [16, 2], the model has [8, 2]")
    );
    assert_eq!(param_bits(&wide), before);
    // A checkpoint made in memory is named so.
    let m3 = model();
    let ck = trainer(&m3, &dir).checkpoint();
    assert_eq!(ck.path(), Path::new("<memory>"));
    let e = msg(t.restore(&ck).unwrap_err());
    assert!(
        e.starts_with("Trainer::restore: <memory>: model entry \"0.weight\""),
        "{e}"
    );

    // An optimizer that rejects the state (here: built over fewer parameters) leaves
    // everything as it was.
    let m2 = model();
    let mut opt = MomentumSgd::new(m2.params()[..2].to_vec(), 0.1, 0.9);
    let sched = StepDecay::new(&mut opt, 2, 0.5);
    let before = param_bits(&m2);
    let mut t =
        Trainer::new(&m2, CrossEntropyLoss::new(), opt).scheduler(sched, SchedulerStep::PerEpoch);
    let e = msg(t.resume_from(&path).unwrap_err());
    assert!(
        e.starts_with(&format!(
            "{prefix}optimizer state: MomentumSgd::load_state: no parameter 2"
        )),
        "{e}"
    );
    assert_eq!(param_bits(&m2), before);
    assert_eq!(t.optimizer().lr(0), 0.1);
    assert_eq!(t.epoch(), 0);
    std::fs::remove_dir_all(dir).ok();
}
