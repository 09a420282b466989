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

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rand_chacha::rand_core::SeedableRng;
use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, View};
use serde::{Deserialize, Serialize};
use youshi_layers::io::MAX_HEADER_SIZE;
use youshi_layers::Module;
use youshi_tensor::{DType, Element, Tensor, TensorRng};

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
const LOAD: &str = "load checkpoint";
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

/// A number stored as a decimal string (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Num(f64);

impl Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:?}", self.0))
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<f64>()
            .map(Num)
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a number")))
    }
}

fn nums(m: &BTreeMap<String, f64>) -> BTreeMap<String, Num> {
    m.iter().map(|(k, &v)| (k.clone(), Num(v))).collect()
}

fn floats(m: BTreeMap<String, Num>) -> BTreeMap<String, f64> {
    m.into_iter().map(|(k, v)| (k, v.0)).collect()
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateDoc {
    kind: String,
    scalars: BTreeMap<String, Num>,
    tensors: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchedulerDoc {
    kind: String,
    step: SchedulerStep,
    scalars: BTreeMap<String, Num>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RngDoc {
    name: String,
    seed: String,
    stream: u64,
    word_pos: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryDoc {
    epochs: Vec<usize>,
    names: Vec<String>,
    values: Vec<Vec<Num>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackDoc {
    scalars: BTreeMap<String, Num>,
    tensors: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    format: String,
    version: u32,
    dtype: String,
    epoch: usize,
    seed: Option<u64>,
    num_threads: usize,
    model: Vec<String>,
    optimizer: StateDoc,
    scheduler: Option<SchedulerDoc>,
    rngs: Vec<RngDoc>,
    history: HistoryDoc,
    callbacks: BTreeMap<String, CallbackDoc>,
    checksums: BTreeMap<String, String>,
}

/// FNV-1a, 64-bit: a fast checksum that catches flipped and shifted bytes.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// One tensor to serialise.
struct Raw {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl View for &Raw {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

fn st_dtype<T: Element>() -> Dtype {
    match T::DTYPE {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
    }
}

fn to_raw<T: Element>(t: &Tensor<T>) -> Raw {
    let values = t.to_vec();
    let bytes = match T::DTYPE {
        DType::F32 => values
            .iter()
            .flat_map(|v| (v.as_f64() as f32).to_le_bytes())
            .collect(),
        DType::F64 => values
            .iter()
            .flat_map(|v| v.as_f64().to_le_bytes())
            .collect(),
    };
    Raw {
        dtype: st_dtype::<T>(),
        shape: t.shape().to_vec(),
        bytes,
    }
}

fn format_err(path: &Path, reason: impl Into<String>) -> OptimError {
    OptimError::Format {
        op: LOAD,
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn io_err(op: &'static str, path: &Path, source: std::io::Error) -> OptimError {
    OptimError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// The byte offset in the file of a serde_json error at `line`/`column` of `text`, which
/// starts at byte `start`.
fn json_offset(text: &str, start: u64, line: usize, column: usize) -> u64 {
    let mut offset = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            offset += column.saturating_sub(1).min(l.len());
            break;
        }
        offset += l.len();
    }
    start + offset as u64
}

/// The end of the data the header declares (the largest data offset), if readable.
fn declared_data_len(header: &str) -> Option<u64> {
    let serde_json::Value::Object(map) = serde_json::from_str(header).ok()? else {
        return None;
    };
    map.iter()
        .filter(|(k, _)| k.as_str() != "__metadata__")
        .filter_map(|(_, v)| v.get("data_offsets")?.get(1)?.as_u64())
        .max()
}

/// Describes a parse failure of the safetensors structure, with the byte offset where known.
fn describe(path: &Path, buf: &[u8], n: u64, e: SafeTensorError) -> OptimError {
    let header_end = (8 + n as usize).min(buf.len());
    let header = String::from_utf8_lossy(&buf[8.min(header_end)..header_end]);
    let reason = match e {
        SafeTensorError::InvalidHeader(u) => format!(
            "the header is not valid UTF-8 (at byte {})",
            8 + u.valid_up_to()
        ),
        SafeTensorError::InvalidHeaderDeserialization(j) | SafeTensorError::JsonError(j) => {
            format!(
                "the header is not a valid safetensors header (at byte {}): {j}",
                json_offset(&header, 8, j.line(), j.column())
            )
        }
        SafeTensorError::InvalidOffset(name) => {
            format!("tensor {name:?} has invalid data offsets in the header")
        }
        SafeTensorError::MetadataIncompleteBuffer => {
            let have = buf.len() as u64 - 8 - n;
            match declared_data_len(&header) {
                Some(want) if want > have => format!(
                    "the file is truncated: the header declares {want} bytes of tensor data from byte {}, the file holds {have}",
                    8 + n
                ),
                Some(want) => format!(
                    "{} unexpected bytes after the tensor data (at byte {})",
                    have - want,
                    8 + n + want
                ),
                None => "the tensor data does not match the header".into(),
            }
        }
        other => format!("invalid safetensors file: {other}"),
    };
    format_err(path, reason)
}

/// Checks the 8-byte header length of a file of `len` bytes whose first bytes are `head`;
/// returns the header length.
fn header_len(path: &Path, len: u64, head: Option<[u8; 8]>) -> Result<u64> {
    let Some(head) = head.filter(|_| len >= 8) else {
        return Err(format_err(
            path,
            format!(
                "the file is truncated: it has {len} bytes, fewer than the 8-byte header length"
            ),
        ));
    };
    let n = u64::from_le_bytes(head);
    if n > MAX_HEADER_SIZE {
        return Err(format_err(
            path,
            format!(
                "the header length {n} (at byte 0) exceeds the limit of {MAX_HEADER_SIZE} bytes"
            ),
        ));
    }
    if n > len - 8 {
        return Err(format_err(
            path,
            format!(
                "the file is truncated: the header length {n} (at byte 0) exceeds the {} bytes that follow",
                len - 8
            ),
        ));
    }
    Ok(n)
}

/// Reads the file, checking its size and header length before any large allocation.
fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let mut file = File::open(path).map_err(|e| io_err(LOAD, path, e))?;
    let len = file.metadata().map_err(|e| io_err(LOAD, path, e))?.len();
    let mut head = [0u8; 8];
    if len >= 8 {
        file.read_exact(&mut head)
            .map_err(|e| io_err(LOAD, path, e))?;
    }
    header_len(path, len, Some(head))?;
    // `len` is the size on disk, so this allocation is bounded by the file.
    let mut buf = Vec::with_capacity(len as usize);
    buf.extend_from_slice(&head);
    file.read_to_end(&mut buf)
        .map_err(|e| io_err(LOAD, path, e))?;
    if buf.len() as u64 != len {
        return Err(format_err(path, "the file changed size while being read"));
    }
    Ok(buf)
}

/// The name errors give for a checkpoint in memory.
const MEMORY: &str = "<memory>";

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

    /// The file the checkpoint was read from (empty for one not read from a file).
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

/// Reads tensor `full` in the element type, checking its dtype and checksum.
fn read_tensor<T: Element>(
    path: &Path,
    st: &SafeTensors<'_>,
    full: &str,
    checksums: &BTreeMap<String, String>,
) -> Result<Tensor<T>> {
    let view = st.tensor(full).map_err(|_| {
        format_err(
            path,
            format!("tensor {full:?} is missing (the checkpoint document lists it)"),
        )
    })?;
    if view.dtype() != st_dtype::<T>() {
        return Err(format_err(
            path,
            format!(
                "tensor {full:?} has dtype {:?}, the checkpoint's element type is {}",
                view.dtype(),
                T::DTYPE
            ),
        ));
    }
    let data = view.data();
    let Some(sum) = checksums.get(full) else {
        return Err(format_err(
            path,
            format!("tensor {full:?} has no recorded checksum"),
        ));
    };
    if *sum != format!("{:016x}", fnv1a(data)) {
        return Err(format_err(
            path,
            format!("tensor {full:?} does not match its checksum: the data is corrupt"),
        ));
    }
    let values: Vec<T> = match T::DTYPE {
        DType::F32 => data
            .chunks_exact(4)
            .map(|c| T::of(f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]))))
            .collect(),
        DType::F64 => data
            .chunks_exact(8)
            .map(|c| {
                T::of(f64::from_le_bytes([
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
                ]))
            })
            .collect(),
    };
    Tensor::from_vec(values, view.shape().to_vec())
        .map_err(|e| format_err(path, format!("tensor {full:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_exactly_through_strings() {
        for v in [
            0.1,
            1e-300,
            f64::MIN_POSITIVE,
            1.0 / 3.0,
            f64::NAN,
            f64::INFINITY,
            -0.0,
        ] {
            let s = serde_json::to_string(&Num(v)).unwrap();
            let back: Num = serde_json::from_str(&s).unwrap();
            assert_eq!(back.0.to_bits(), v.to_bits(), "{s}");
        }
        let e = serde_json::from_str::<Num>("\"abc\"").unwrap_err();
        assert!(e.to_string().contains("\"abc\" is not a number"));
    }

    #[test]
    fn fnv1a_matches_the_published_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn seeds_round_trip_through_hex() {
        let seed: [u8; 32] = std::array::from_fn(|i| (i * 37 % 256) as u8);
        assert_eq!(unhex32(&hex(&seed)), Some(seed));
        assert_eq!(unhex32("00"), None);
        assert_eq!(unhex32(&"zz".repeat(32)), None);
    }

    #[test]
    fn json_offsets_count_lines() {
        assert_eq!(json_offset("{\"a\":x}", 8, 1, 6), 13);
        assert_eq!(json_offset("ab\ncd", 0, 2, 2), 4);
    }
}
