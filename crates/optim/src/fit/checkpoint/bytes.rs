//! The safetensors side of checkpoints: tensors to bytes and back, and reading a file with
//! its size, header and structure checked and problems located.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, View};
use youshi_layers::io::MAX_HEADER_SIZE;
use youshi_tensor::{DType, Element, Tensor};

use super::doc::fnv1a;
use super::LOAD;
use crate::error::{OptimError, Result};

/// One tensor to serialise.
pub(super) struct Raw {
    pub(super) dtype: Dtype,
    pub(super) shape: Vec<usize>,
    pub(super) bytes: Vec<u8>,
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

pub(super) fn st_dtype<T: Element>() -> Dtype {
    match T::DTYPE {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
    }
}

pub(super) fn to_raw<T: Element>(t: &Tensor<T>) -> Raw {
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

pub(super) fn format_err(path: &Path, reason: impl Into<String>) -> OptimError {
    OptimError::Format {
        op: LOAD,
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

pub(super) fn io_err(op: &'static str, path: &Path, source: std::io::Error) -> OptimError {
    OptimError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// The byte offset in the file of a serde_json error at `line`/`column` of `text`, which
/// starts at byte `start`.
pub(super) fn json_offset(text: &str, start: u64, line: usize, column: usize) -> u64 {
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
pub(super) fn declared_data_len(header: &str) -> Option<u64> {
    let serde_json::Value::Object(map) = serde_json::from_str(header).ok()? else {
        return None;
    };
    map.iter()
        .filter(|(k, _)| k.as_str() != "__metadata__")
        .filter_map(|(_, v)| v.get("data_offsets")?.get(1)?.as_u64())
        .max()
}

/// Describes a parse failure of the safetensors structure, with the byte offset where known.
pub(super) fn describe(path: &Path, buf: &[u8], n: u64, e: SafeTensorError) -> OptimError {
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
            let have = (buf.len() as u64).saturating_sub(8 + n);
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
pub(super) fn header_len(path: &Path, len: u64, head: Option<[u8; 8]>) -> Result<u64> {
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
pub(super) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
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

/// Reads tensor `full` in the element type, checking its dtype and checksum.
pub(super) fn read_tensor<T: Element>(
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
    fn json_offsets_count_lines() {
        assert_eq!(json_offset("{\"a\":x}", 8, 1, 6), 13);
        assert_eq!(json_offset("ab\ncd", 0, 2, 2), 4);
    }
}
