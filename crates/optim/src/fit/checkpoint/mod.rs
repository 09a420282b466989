//! Training checkpoints: everything needed to resume a run exactly, in one safetensors file.
//!
//! # File layout
//! - tensors `model.<name>`: the model's parameters and buffers under their `state_dict`
//!   names (`model.0.weight`);
//! - tensors `optimizer.<key>`: the optimizer's buffers (`optimizer.0.3.exp_avg`);
//! - tensors `callback.<callback>.<key>`: callbacks' tensors (early stopping's best
//!   weights);
//! - the safetensors metadata `youshi_checkpoint`: a JSON document with the format version,
//!   the element type, the epoch, the seed and thread count, the optimizer's kind and
//!   numbers, the schedule's state and stepping, the random generators' states, the history,
//!   the callbacks' numbers and a checksum (FNV-1a, 64-bit) of every tensor's bytes; and
//!   `youshi_checkpoint_fnv1a64`, the checksum of that document.
//!
//! Numbers in the document are decimal strings in Rust's shortest round-trip form (`"0.001"`,
//! `"NaN"`, `"inf"`): JSON numbers cannot hold NaN or infinities, and reading a string back
//! with Rust's parser gives exactly the same bits, which exact resumption needs.
//!
//! Files are written atomically. Reading checks everything before anything is used: the
//! safetensors structure, the document, that every listed tensor is present with the
//! element type and checksum recorded and no other tensor is, and that the history has one
//! row per epoch. Corruption anywhere in the header or the data is therefore reported, with
//! the file and the key involved.

mod bytes;
mod doc;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rand_chacha::rand_core::SeedableRng;
use safetensors::tensor::SafeTensors;
use youshi_layers::Module;
use youshi_tensor::{Element, Tensor, TensorRng};

use bytes::{describe, format_err, header_len, read_bytes, read_tensor, to_raw, Raw};
use doc::{
    floats, fnv1a, hex, nums, unhex32, CallbackDoc, Doc, HistoryDoc, Num, RngDoc, SchedulerDoc,
    StateDoc,
};

use crate::error::{OptimError, Result};
use crate::fit::callbacks::CallbackState;
use crate::fit::history::History;
use crate::fit::SchedulerStep;
use crate::optimizer::OptimizerState;
use crate::schedule::SchedulerState;

/// The format version this build writes and reads.
pub const CHECKPOINT_VERSION: u32 = 1;
/// The metadata key holding the checkpoint document.
const DOC_KEY: &str = "youshi_checkpoint";
/// The metadata key holding the document's checksum.
const DOC_SUM_KEY: &str = "youshi_checkpoint_fnv1a64";
const FORMAT: &str = "youshi-checkpoint";
pub(super) const LOAD: &str = "load checkpoint";
const SAVE: &str = "save checkpoint";

/// The state of a [`TensorRng`] (ChaCha8): its seed, stream and position, enough to continue
/// its output exactly.
///
/// # Examples
/// ```
/// use rand_chacha::rand_core::RngCore;
/// use youshi_optim::fit::RngState;
/// use youshi_tensor::seeded_rng;
/// let mut rng = seeded_rng(3);
/// rng.next_u64();
/// let mut copy = RngState::of(&rng).to_rng();
/// assert_eq!(copy.next_u64(), rng.next_u64());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RngState {
    /// The 32-byte seed.
    pub seed: [u8; 32],
    /// The stream number.
    pub stream: u64,
    /// The position in the stream, in 32-bit words.
    pub word_pos: u128,
}

impl RngState {
    /// The state of `rng`.
    pub fn of(rng: &TensorRng) -> Self {
        RngState {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos(),
        }
    }

    /// A generator in this state.
    pub fn to_rng(&self) -> TensorRng {
        let mut rng = TensorRng::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos);
        rng
    }
}

/// A saved training run: model, optimizer, schedule, random generators, history, callbacks
/// and the number of epochs completed.
///
/// Written by [`Trainer::save_checkpoint`](crate::fit::Trainer::save_checkpoint) and the
/// [`ModelCheckpoint`](crate::fit::ModelCheckpoint) callback, read back by
/// [`Trainer::resume_from`](crate::fit::Trainer::resume_from); [`Checkpoint::load`] reads one
/// on its own, to inspect it or to take the model's weights for inference.
#[derive(Debug, Clone)]
pub struct Checkpoint<T: Element = f32> {
    pub(crate) path: PathBuf,
    pub(crate) epoch: usize,
    pub(crate) seed: Option<u64>,
    pub(crate) num_threads: usize,
    pub(crate) model: Vec<(String, Tensor<T>)>,
    pub(crate) optimizer: OptimizerState<T>,
    pub(crate) scheduler: Option<(SchedulerState, SchedulerStep)>,
    pub(crate) rngs: Vec<(String, RngState)>,
    pub(crate) history: History,
    pub(crate) callbacks: BTreeMap<String, CallbackState<T>>,
}

/// The name errors give for a checkpoint in memory.
pub(crate) const MEMORY: &str = "<memory>";

impl<T: Element> Checkpoint<T> {
    /// Reads and validates a checkpoint.
    ///
    /// # Errors
    /// - [`OptimError::Io`] if the file cannot be read;
    /// - [`OptimError::Format`] naming the file and what is wrong (with the byte offset or
    ///   the key): a truncated file, a corrupt header, a document that is not a checkpoint
    ///   of this version or of this element type, a missing, unexpected or corrupt tensor
    ///   (checksum mismatch), a history that does not have one row per epoch.
    ///
    /// # Examples
    /// See [`Trainer::resume_from`](crate::fit::Trainer::resume_from).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let buf = read_bytes(path)?;
        Self::parse(path, &buf)
    }

    /// Reads and validates a checkpoint held in memory (as [`to_bytes`](Checkpoint::to_bytes)
    /// gives it); errors name the file `<memory>`.
    ///
    /// # Errors
    /// As [`load`](Checkpoint::load), without the I/O errors.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::parse(Path::new(MEMORY), bytes)
    }

    fn parse(path: &Path, buf: &[u8]) -> Result<Self> {
        let head = buf.get(..8).and_then(|h| <[u8; 8]>::try_from(h).ok());
        let n = header_len(path, buf.len() as u64, head)?;
        let st = SafeTensors::deserialize(buf).map_err(|e| describe(path, buf, n, e))?;
        let (_, meta) = SafeTensors::read_metadata(buf).map_err(|e| describe(path, buf, n, e))?;
        let meta = meta.metadata().clone().unwrap_or_default();
        let Some(text) = meta.get(DOC_KEY) else {
            return Err(format_err(
                path,
                format!("not a training checkpoint: the header has no {DOC_KEY:?} metadata (a weights file is read with youshi_layers::load_safetensors)"),
            ));
        };
        let want_sum = meta.get(DOC_SUM_KEY).ok_or_else(|| {
            format_err(path, format!("the header has no {DOC_SUM_KEY:?} metadata"))
        })?;
        if *want_sum != format!("{:016x}", fnv1a(text.as_bytes())) {
            return Err(format_err(
                path,
                format!(
                    "the {DOC_KEY:?} document does not match its checksum: the header is corrupt"
                ),
            ));
        }
        let doc: Doc = serde_json::from_str(text).map_err(|e| {
            format_err(
                path,
                format!(
                    "the {DOC_KEY:?} document is invalid at line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        Self::from_doc(path, doc, &st)
    }

    fn from_doc(path: &Path, doc: Doc, st: &SafeTensors<'_>) -> Result<Self> {
        if doc.format != FORMAT {
            return Err(format_err(
                path,
                format!("format {:?} is not {FORMAT:?}", doc.format),
            ));
        }
        if doc.version != CHECKPOINT_VERSION {
            return Err(format_err(
                path,
                format!(
                    "format version {} is not supported (this build reads version {CHECKPOINT_VERSION})",
                    doc.version
                ),
            ));
        }
        if doc.dtype != T::DTYPE.to_string() {
            return Err(format_err(
                path,
                format!(
                    "the checkpoint holds {} tensors, the trainer uses {}",
                    doc.dtype,
                    T::DTYPE
                ),
            ));
        }
        let mut listed: Vec<String> = Vec::new();
        let mut take = |full: String| -> Result<Tensor<T>> {
            let t = read_tensor::<T>(path, st, &full, &doc.checksums)?;
            listed.push(full);
            Ok(t)
        };
        let mut model = Vec::with_capacity(doc.model.len());
        for name in &doc.model {
            model.push((name.clone(), take(format!("model.{name}"))?));
        }
        let mut opt_tensors = BTreeMap::new();
        for key in &doc.optimizer.tensors {
            opt_tensors.insert(key.clone(), take(format!("optimizer.{key}"))?);
        }
        let mut callbacks = BTreeMap::new();
        for (cb, d) in doc.callbacks {
            let mut tensors = BTreeMap::new();
            for key in &d.tensors {
                tensors.insert(key.clone(), take(format!("callback.{cb}.{key}"))?);
            }
            let scalars = floats(d.scalars);
            callbacks.insert(cb, CallbackState { scalars, tensors });
        }
        for (name, _) in st.iter() {
            if !listed.iter().any(|l| l == name) {
                return Err(format_err(
                    path,
                    format!("unexpected tensor {name:?}: the checkpoint document does not list it"),
                ));
            }
        }
        if let Some(extra) = doc.checksums.keys().find(|k| !listed.contains(k)) {
            return Err(format_err(
                path,
                format!("a checksum is recorded for {extra:?}, which the checkpoint does not hold"),
            ));
        }
        let mut rngs = Vec::with_capacity(doc.rngs.len());
        for r in doc.rngs {
            let seed = unhex32(&r.seed).ok_or_else(|| {
                format_err(
                    path,
                    format!(
                        "generator {:?}: seed {:?} is not 64 hex digits",
                        r.name, r.seed
                    ),
                )
            })?;
            let word_pos = r.word_pos.parse::<u128>().map_err(|_| {
                format_err(
                    path,
                    format!(
                        "generator {:?}: word position {:?} is not a number",
                        r.name, r.word_pos
                    ),
                )
            })?;
            rngs.push((
                r.name,
                RngState {
                    seed,
                    stream: r.stream,
                    word_pos,
                },
            ));
        }
        let h = doc.history;
        let values = h
            .values
            .into_iter()
            .map(|v| v.into_iter().map(|n| n.0).collect())
            .collect();
        let history = History::from_parts(h.epochs, h.names, values)
            .map_err(|e| format_err(path, format!("history: {e}")))?;
        if history.len() != doc.epoch {
            return Err(format_err(
                path,
                format!(
                    "history: {} epochs recorded for a checkpoint of epoch {}",
                    history.len(),
                    doc.epoch
                ),
            ));
        }
        Ok(Checkpoint {
            path: path.to_path_buf(),
            epoch: doc.epoch,
            seed: doc.seed,
            num_threads: doc.num_threads,
            model,
            optimizer: OptimizerState {
                kind: doc.optimizer.kind,
                tensors: opt_tensors,
                scalars: floats(doc.optimizer.scalars),
            },
            scheduler: doc.scheduler.map(|s| {
                (
                    SchedulerState {
                        kind: s.kind,
                        scalars: floats(s.scalars),
                    },
                    s.step,
                )
            }),
            rngs,
            history,
            callbacks,
        })
    }

    /// Writes the checkpoint to `path`, atomically (a temporary file in the same directory,
    /// flushed and renamed over `path`).
    ///
    /// # Errors
    /// [`OptimError::Io`] if the file cannot be written (an existing file is left intact);
    /// [`OptimError::Format`] if serialisation fails.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.encode(path)?;
        crate::fit::atomic::write_atomic(SAVE, path, &bytes)
    }

    /// The checkpoint as the bytes of a file, for storage other than a local file.
    ///
    /// # Errors
    /// [`OptimError::Format`] if serialisation fails.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.encode(Path::new(MEMORY))
    }

    fn encode(&self, path: &Path) -> Result<Vec<u8>> {
        let mut raws: Vec<(String, Raw)> = Vec::new();
        for (name, t) in &self.model {
            raws.push((format!("model.{name}"), to_raw(t)));
        }
        for (key, t) in &self.optimizer.tensors {
            raws.push((format!("optimizer.{key}"), to_raw(t)));
        }
        let mut callbacks = BTreeMap::new();
        for (cb, state) in &self.callbacks {
            for (key, t) in &state.tensors {
                raws.push((format!("callback.{cb}.{key}"), to_raw(t)));
            }
            callbacks.insert(
                cb.clone(),
                CallbackDoc {
                    scalars: nums(&state.scalars),
                    tensors: state.tensors.keys().cloned().collect(),
                },
            );
        }
        let checksums = raws
            .iter()
            .map(|(n, r)| (n.clone(), format!("{:016x}", fnv1a(&r.bytes))))
            .collect();
        let doc = Doc {
            format: FORMAT.into(),
            version: CHECKPOINT_VERSION,
            dtype: T::DTYPE.to_string(),
            epoch: self.epoch,
            seed: self.seed,
            num_threads: self.num_threads,
            model: self.model.iter().map(|(n, _)| n.clone()).collect(),
            optimizer: StateDoc {
                kind: self.optimizer.kind.clone(),
                scalars: nums(&self.optimizer.scalars),
                tensors: self.optimizer.tensors.keys().cloned().collect(),
            },
            scheduler: self.scheduler.as_ref().map(|(s, step)| SchedulerDoc {
                kind: s.kind.clone(),
                step: *step,
                scalars: nums(&s.scalars),
            }),
            rngs: self
                .rngs
                .iter()
                .map(|(name, r)| RngDoc {
                    name: name.clone(),
                    seed: hex(&r.seed),
                    stream: r.stream,
                    word_pos: r.word_pos.to_string(),
                })
                .collect(),
            history: HistoryDoc {
                epochs: self.history.epochs().to_vec(),
                names: self.history.names().map(String::from).collect(),
                values: self
                    .history
                    .series()
                    .map(|(_, v)| v.iter().map(|&x| Num(x)).collect())
                    .collect(),
            },
            callbacks,
            checksums,
        };
        let text = serde_json::to_string(&doc).map_err(|e| OptimError::Format {
            op: SAVE,
            path: path.to_path_buf(),
            reason: format!("cannot encode the checkpoint document: {e}"),
        })?;
        let sum = format!("{:016x}", fnv1a(text.as_bytes()));
        let meta = HashMap::from([(DOC_KEY.to_string(), text), (DOC_SUM_KEY.to_string(), sum)]);
        safetensors::serialize(raws.iter().map(|(n, r)| (n.as_str(), r)), Some(meta)).map_err(|e| {
            OptimError::Format {
                op: SAVE,
                path: path.to_path_buf(),
                reason: format!("cannot serialise the tensors: {e}"),
            }
        })
    }

    /// The file the checkpoint was read from (`<memory>` for one made in memory).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The number of epochs completed when it was written.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The trainer's seed, if one was set.
    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// The kernel thread count of the run that wrote it; resuming with the same count gives
    /// bit-identical results.
    pub fn num_threads(&self) -> usize {
        self.num_threads
    }

    /// The history up to [`epoch`](Checkpoint::epoch).
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The model's parameters and buffers under their `state_dict` names.
    pub fn model_state(&self) -> &[(String, Tensor<T>)] {
        &self.model
    }

    /// The optimizer's state.
    pub fn optimizer_state(&self) -> &OptimizerState<T> {
        &self.optimizer
    }

    /// The schedule's state and how it steps, if the run had a schedule.
    pub fn scheduler_state(&self) -> Option<(&SchedulerState, SchedulerStep)> {
        self.scheduler.as_ref().map(|(s, k)| (s, *k))
    }

    /// The random generators' states, under their dotted names (`"1.rng"`).
    pub fn rng_states(&self) -> &[(String, RngState)] {
        &self.rngs
    }

    /// Loads the saved weights into `model` (strict: every name and shape must match), for
    /// inference without a trainer.
    ///
    /// # Errors
    /// [`OptimError::State`] naming the file and listing every missing, unexpected or
    /// mismatched entry; the model is unchanged then.
    pub fn load_model<M: Module<T> + ?Sized>(&self, model: &M) -> Result<()> {
        youshi_layers::load_state_dict(model, self.model.clone(), true).map_err(|e| {
            OptimError::state(
                "Checkpoint::load_model",
                format!("{}: {e}", self.path.display()),
            )
        })
    }
}
