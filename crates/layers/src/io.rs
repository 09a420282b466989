//! Saving and loading a model's parameters and buffers as
//! [safetensors](https://github.com/huggingface/safetensors) files, under PyTorch's
//! `state_dict` names, so files move between Youshi and `safetensors.torch`.
//!
//! ```
//! use youshi_layers::io::{load_safetensors, save_safetensors};
//! use youshi_layers::{Linear, ModuleExt, Relu, Sequential};
//! use youshi_tensor::seeded_rng;
//!
//! let mut rng = seeded_rng(0);
//! let model: Sequential = Sequential::new().add(Linear::new(4, 8, &mut rng)?).add(Relu);
//! let path = std::env::temp_dir().join(format!("youshi-io-doc-{}.safetensors", std::process::id()));
//! save_safetensors(&model, &path)?;
//!
//! let fresh: Sequential = Sequential::new().add(Linear::new(4, 8, &mut rng)?).add(Relu);
//! load_safetensors(&fresh, &path, true)?;
//! assert_eq!(fresh.params()[0].value(), model.params()[0].value());
//! # std::fs::remove_file(&path).ok();
//! # Ok::<(), youshi_layers::LayerError>(())
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, View};
use youshi_tensor::{DType, Element, Tensor};

use crate::error::{LayerError, Result};
use crate::module::{walk, Module, Slot};

/// Largest JSON header accepted, in bytes (the `safetensors` crate's own limit).
pub const MAX_HEADER_SIZE: u64 = 100_000_000;

/// The local name PyTorch gives batch norm's step counter, stored as `int64`.
const COUNTER: &str = "num_batches_tracked";

fn is_counter(name: &str) -> bool {
    name.rsplit('.').next() == Some(COUNTER)
}

/// Every parameter and buffer of `model` with its `state_dict` name (`0.weight`,
/// `bn1.running_mean`), each module's own entries before its children's, like PyTorch's
/// `model.state_dict()`. The tensors are cheap shared references to the current values.
///
/// # Examples
/// ```
/// use youshi_layers::io::state_dict;
/// use youshi_layers::{Linear, Relu, Sequential};
/// use youshi_tensor::seeded_rng;
/// let mut rng = seeded_rng(0);
/// let model: Sequential = Sequential::new().add(Linear::new(3, 2, &mut rng)?).add(Relu);
/// let names: Vec<String> = state_dict(&model).into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias"]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn state_dict<T: Element, M: Module<T> + ?Sized>(model: &M) -> Vec<(String, Tensor<T>)> {
    let mut out = Vec::new();
    walk(model, "", &mut |name, slot| {
        let value = match slot {
            Slot::Param(p) => p.value(),
            Slot::Buffer(b) => b.value(),
        };
        out.push((name.to_string(), value));
    });
    out
}

/// One tensor to serialise: dtype, shape and little-endian bytes.
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

fn to_raw<T: Element>(name: &str, is_buffer: bool, t: &Tensor<T>) -> Raw {
    let values = t.to_vec();
    let shape = t.shape().to_vec();
    if is_buffer && is_counter(name) {
        let bytes = values
            .iter()
            .flat_map(|v| (v.as_f64().round() as i64).to_le_bytes())
            .collect();
        return Raw {
            dtype: Dtype::I64,
            shape,
            bytes,
        };
    }
    match T::DTYPE {
        DType::F32 => Raw {
            dtype: Dtype::F32,
            shape,
            bytes: values
                .iter()
                .flat_map(|v| (v.as_f64() as f32).to_le_bytes())
                .collect(),
        },
        DType::F64 => Raw {
            dtype: Dtype::F64,
            shape,
            bytes: values
                .iter()
                .flat_map(|v| v.as_f64().to_le_bytes())
                .collect(),
        },
    }
}

fn io_err(op: &'static str, path: &Path, e: impl std::fmt::Display) -> LayerError {
    LayerError::Io {
        op,
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

pub use youshi_tensor::fs::temp_path;

/// Writes every parameter and buffer of `model` to a safetensors file under its `state_dict`
/// name, as `safetensors.torch.save_file(model.state_dict(), path)` would: parameters and
/// buffers as `F32` or `F64` (the model's element type), `num_batches_tracked` counters as
/// `I64`, with the metadata `{"format": "pt"}`.
///
/// The write is atomic: the bytes go to [`temp_path`]`(path)`, are flushed to disk, and the
/// file is renamed over `path` (then the directory is synced), so `path` holds either the old
/// file or the complete new one, never a partial write.
///
/// # Shapes
/// Tensors are stored with their shapes (a scalar counter as `[]`).
///
/// # Errors
/// [`LayerError::Io`] if the file cannot be written (the old file, if any, is left intact);
/// [`LayerError::Format`] if serialisation fails.
///
/// # Examples
/// ```
/// use youshi_layers::io::save_safetensors;
/// use youshi_layers::Linear;
/// use youshi_tensor::seeded_rng;
/// let layer: Linear = Linear::new(2, 3, &mut seeded_rng(0))?;
/// let path = std::env::temp_dir().join(format!("youshi-save-doc-{}.safetensors", std::process::id()));
/// save_safetensors(&layer, &path)?;
/// assert!(path.exists());
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn save_safetensors<T: Element, M: Module<T> + ?Sized>(
    model: &M,
    path: impl AsRef<Path>,
) -> Result<()> {
    let path = path.as_ref();
    let mut raws: Vec<(String, Raw)> = Vec::new();
    walk(model, "", &mut |name, slot| {
        let raw = match slot {
            Slot::Param(p) => to_raw(name, false, &p.value()),
            Slot::Buffer(b) => to_raw(name, true, &b.value()),
        };
        raws.push((name.to_string(), raw));
    });
    let metadata = Some(HashMap::from([("format".to_string(), "pt".to_string())]));
    let bytes = safetensors::serialize(raws.iter().map(|(n, r)| (n.as_str(), r)), metadata)
        .map_err(|e| LayerError::Format {
            path: path.display().to_string(),
            offset: 0,
            reason: format!("cannot serialise: {e}"),
        })?;
    write_atomic(path, &bytes)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    youshi_tensor::fs::write_atomic(path, bytes).map_err(|e| io_err("save", &e.path, e.source))
}

/// A tensor read from a file, converted to the model's element type.
struct Entry<T> {
    dtype: Dtype,
    shape: Vec<usize>,
    values: Option<Vec<T>>,
}

fn convert<T: Element>(dtype: Dtype, data: &[u8]) -> Option<Vec<T>> {
    Some(match dtype {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|c| T::of(f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64))
            .collect(),
        Dtype::F64 => data
            .chunks_exact(8)
            .map(|c| T::of(f64::from_le_bytes(c.try_into().unwrap_or([0; 8]))))
            .collect(),
        Dtype::I64 => data
            .chunks_exact(8)
            .map(|c| T::of(i64::from_le_bytes(c.try_into().unwrap_or([0; 8])) as f64))
            .collect(),
        _ => return None,
    })
}

fn format_err(path: &Path, offset: u64, reason: impl Into<String>) -> LayerError {
    LayerError::Format {
        path: path.display().to_string(),
        offset,
        reason: reason.into(),
    }
}

/// `(name, start, end)` of each tensor in a header, sorted by start, for locating errors.
fn header_spans(header: &str) -> Vec<(String, Vec<u64>, String, u64, u64)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(header)
    else {
        return Vec::new();
    };
    let mut out: Vec<_> = map
        .iter()
        .filter(|(k, _)| k.as_str() != "__metadata__")
        .filter_map(|(k, v)| {
            let offs = v.get("data_offsets")?.as_array()?;
            let s = offs.first()?.as_u64()?;
            let e = offs.get(1)?.as_u64()?;
            let shape = v
                .get("shape")?
                .as_array()?
                .iter()
                .map(|d| d.as_u64().unwrap_or(0))
                .collect();
            let dtype = v.get("dtype")?.as_str()?.to_string();
            Some((k.clone(), shape, dtype, s, e))
        })
        .collect();
    out.sort_by_key(|t| (t.3, t.4));
    out
}

fn dtype_size(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 1,
        "I16" | "U16" | "F16" | "BF16" => 2,
        "I32" | "U32" | "F32" => 4,
        "I64" | "U64" | "F64" | "C64" => 8,
        _ => return None,
    })
}

/// Maps a parse failure of the `safetensors` crate to a [`LayerError::Format`] with the byte
/// offset of the problem in the file.
fn locate(path: &Path, buf: &[u8], n: u64, e: SafeTensorError) -> LayerError {
    let data_start = 8 + n;
    let header = String::from_utf8_lossy(&buf[8..data_start as usize]);
    match e {
        SafeTensorError::InvalidHeader(u) => format_err(
            path,
            8 + u.valid_up_to() as u64,
            "the header is not valid UTF-8",
        ),
        SafeTensorError::InvalidHeaderDeserialization(j) | SafeTensorError::JsonError(j) => {
            // serde_json reports a line and a column (1-based); turn them into a byte offset.
            let mut offset = 0usize;
            for (i, line) in header.split_inclusive('\n').enumerate() {
                if i + 1 == j.line() {
                    offset += j.column().saturating_sub(1).min(line.len());
                    break;
                }
                offset += line.len();
            }
            format_err(
                path,
                8 + offset as u64,
                format!("the header is not a valid safetensors JSON header: {j}"),
            )
        }
        SafeTensorError::InvalidOffset(name) => {
            let spans = header_spans(&header);
            let mut expected = 0;
            for (n2, _, _, s, e) in &spans {
                if *n2 == name {
                    return format_err(
                        path,
                        data_start + s,
                        format!(
                            "tensor {name:?} has data offsets [{s}, {e}], expected to start at {expected}"
                        ),
                    );
                }
                expected = *e;
            }
            format_err(
                path,
                data_start,
                format!("tensor {name:?} has invalid data offsets"),
            )
        }
        SafeTensorError::TensorInvalidInfo
        | SafeTensorError::ValidationOverflow
        | SafeTensorError::MisalignedSlice => {
            for (name, shape, dtype, s, e) in header_spans(&header) {
                let numel = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
                let want = numel
                    .zip(dtype_size(&dtype))
                    .and_then(|(a, b)| a.checked_mul(b));
                if want != Some(e.wrapping_sub(s)) {
                    return format_err(
                        path,
                        data_start + s,
                        format!(
                            "tensor {name:?} ({dtype} {shape:?}) does not fit its data offsets [{s}, {e}]"
                        ),
                    );
                }
            }
            format_err(path, data_start, format!("invalid tensor info: {e}"))
        }
        SafeTensorError::MetadataIncompleteBuffer => {
            let end = header_spans(&header).iter().map(|t| t.4).max().unwrap_or(0);
            let declared = data_start + end;
            let len = buf.len() as u64;
            if declared > len {
                format_err(
                    path,
                    len,
                    format!("the file is truncated: tensor data ends at byte {declared}, the file has {len} bytes"),
                )
            } else {
                format_err(
                    path,
                    declared,
                    format!("{} unexpected bytes after the tensor data", len - declared),
                )
            }
        }
        other => format_err(path, 0, format!("invalid safetensors file: {other}")),
    }
}

/// Reads and parses a safetensors file into `name -> Entry`, checking sizes before any large
/// allocation.
fn read_file<T: Element>(path: &Path) -> Result<BTreeMap<String, Entry<T>>> {
    let mut file = File::open(path).map_err(|e| io_err("load", path, e))?;
    let len = file.metadata().map_err(|e| io_err("load", path, e))?.len();
    if len < 8 {
        return Err(format_err(
            path,
            len,
            format!("the file has {len} bytes, fewer than the 8-byte header length"),
        ));
    }
    let mut head = [0u8; 8];
    file.read_exact(&mut head)
        .map_err(|e| io_err("load", path, e))?;
    let n = u64::from_le_bytes(head);
    if n > len - 8 {
        return Err(format_err(
            path,
            0,
            format!(
                "the header length {n} exceeds the {} bytes that follow it",
                len - 8
            ),
        ));
    }
    if n > MAX_HEADER_SIZE {
        return Err(format_err(
            path,
            0,
            format!("the header length {n} exceeds the limit of {MAX_HEADER_SIZE} bytes"),
        ));
    }
    // `len` is the real size of the file, so this allocation is bounded by what is on disk.
    let mut buf = Vec::with_capacity(len as usize);
    buf.extend_from_slice(&head);
    file.read_to_end(&mut buf)
        .map_err(|e| io_err("load", path, e))?;
    if buf.len() as u64 != len {
        return Err(format_err(
            path,
            buf.len() as u64,
            "the file changed size while being read",
        ));
    }
    let st = SafeTensors::deserialize(&buf).map_err(|e| locate(path, &buf, n, e))?;
    Ok(st
        .iter()
        .map(|(name, view)| {
            let entry = Entry {
                dtype: view.dtype(),
                shape: view.shape().to_vec(),
                values: convert(view.dtype(), view.data()),
            };
            (name.to_string(), entry)
        })
        .collect())
}

fn describe(dtype: impl std::fmt::Display, shape: &[usize]) -> String {
    format!("{dtype} {shape:?}")
}

/// Loads a safetensors file (as written by [`save_safetensors`] or by
/// `safetensors.torch.save_file(model.state_dict(), path)`) into `model`, like PyTorch's
/// `model.load_state_dict(load_file(path), strict)`.
///
/// Every entry is checked before anything changes: names (with `strict`, names the model has
/// and the file lacks are *missing* and names the file has and the model lacks are
/// *unexpected*, both errors; without `strict` both are ignored), shapes and dtypes (always
/// errors). `F32` and `F64` tensors are accepted for any entry and converted to the model's
/// element type; `I64` only for `num_batches_tracked` counters. All problems are reported
/// together, and the model is left unchanged unless the whole load succeeds.
///
/// # Shapes
/// Each tensor must have exactly the shape of the model's entry (a scalar counter is `[]`).
///
/// # Errors
/// - [`LayerError::StateDict`] listing every missing, unexpected and mismatched entry;
/// - [`LayerError::Format`] with the byte offset for a truncated or corrupt file (bad header
///   length, header that is not JSON, offsets out of range);
/// - [`LayerError::Io`] if the file cannot be read.
///
/// # Examples
/// ```
/// use youshi_layers::io::{load_safetensors, save_safetensors};
/// use youshi_layers::{LayerError, Linear};
/// use youshi_tensor::seeded_rng;
/// let mut rng = seeded_rng(0);
/// let path = std::env::temp_dir().join(format!("youshi-load-doc-{}.safetensors", std::process::id()));
/// let small: Linear = Linear::new(2, 3, &mut rng)?;
/// save_safetensors(&small, &path)?;
/// let big: Linear = Linear::new(4, 3, &mut rng)?;
/// let err = load_safetensors(&big, &path, true).unwrap_err();
/// assert!(matches!(err, LayerError::StateDict { .. }));
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn load_safetensors<T: Element, M: Module<T> + ?Sized>(
    model: &M,
    path: impl AsRef<Path>,
    strict: bool,
) -> Result<()> {
    let path = path.as_ref();
    let file = read_file::<T>(path)?;
    apply(model, file, strict)
}

/// Loads `(name, tensor)` pairs into `model` with the checks of [`load_safetensors`], like
/// PyTorch's `load_state_dict`.
///
/// # Shapes
/// Each tensor must have exactly the shape of the model's entry.
///
/// # Errors
/// [`LayerError::StateDict`] listing every missing, unexpected and mismatched entry; the
/// model is unchanged then.
///
/// # Examples
/// ```
/// use youshi_layers::io::{load_state_dict, state_dict};
/// use youshi_layers::Linear;
/// use youshi_tensor::seeded_rng;
/// let mut rng = seeded_rng(0);
/// let a: Linear = Linear::new(2, 3, &mut rng)?;
/// let b: Linear = Linear::new(2, 3, &mut rng)?;
/// load_state_dict(&b, state_dict(&a), true)?;
/// assert_eq!(a.weight.value(), b.weight.value());
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn load_state_dict<T: Element, M: Module<T> + ?Sized>(
    model: &M,
    entries: impl IntoIterator<Item = (String, Tensor<T>)>,
    strict: bool,
) -> Result<()> {
    let dtype = match T::DTYPE {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
    };
    let file = entries
        .into_iter()
        .map(|(name, t)| {
            let entry = Entry {
                dtype,
                shape: t.shape().to_vec(),
                values: Some(t.to_vec()),
            };
            (name, entry)
        })
        .collect();
    apply(model, file, strict)
}

fn apply<T: Element, M: Module<T> + ?Sized>(
    model: &M,
    mut file: BTreeMap<String, Entry<T>>,
    strict: bool,
) -> Result<()> {
    let mut missing = Vec::new();
    let mut shapes = Vec::new();
    let mut updates: Vec<(String, Tensor<T>)> = Vec::new();
    walk(model, "", &mut |name, slot| {
        let (model_shape, is_buffer) = match slot {
            Slot::Param(p) => (p.shape(), false),
            Slot::Buffer(b) => (b.shape(), true),
        };
        let Some(entry) = file.remove(name) else {
            missing.push(name.to_string());
            return;
        };
        let dtype_ok = match entry.dtype {
            Dtype::F32 | Dtype::F64 => true,
            Dtype::I64 => is_buffer && is_counter(name),
            _ => false,
        };
        match entry.values {
            Some(values) if dtype_ok && entry.shape == model_shape => {
                match Tensor::from_vec(values, entry.shape.clone()) {
                    Ok(t) => updates.push((name.to_string(), t)),
                    Err(e) => shapes.push((
                        name.to_string(),
                        describe(T::DTYPE, &model_shape),
                        format!("{:?} {:?} ({e})", entry.dtype, entry.shape),
                    )),
                }
            }
            _ => {
                let want = if is_buffer && is_counter(name) {
                    format!("{} (or I64) {model_shape:?}", T::DTYPE)
                } else {
                    describe(T::DTYPE, &model_shape)
                };
                shapes.push((
                    name.to_string(),
                    want,
                    describe(format!("{:?}", entry.dtype), &entry.shape),
                ));
            }
        }
    });
    let unexpected: Vec<String> = file.into_keys().collect();
    let names_bad = strict && (!missing.is_empty() || !unexpected.is_empty());
    if names_bad || !shapes.is_empty() {
        return Err(LayerError::StateDict {
            missing: if strict { missing } else { Vec::new() },
            unexpected: if strict { unexpected } else { Vec::new() },
            shapes,
        });
    }
    let mut i = 0;
    let mut result = Ok(());
    walk(model, "", &mut |name, slot| {
        if result.is_err() || i >= updates.len() || updates[i].0 != name {
            return;
        }
        let value = updates[i].1.clone();
        i += 1;
        result = match slot {
            Slot::Param(p) => p.set_value(value).map_err(LayerError::from),
            Slot::Buffer(b) => b.set(value),
        };
    });
    result
}
