//! Reading IDX files of unsigned bytes, the format of MNIST and Fashion-MNIST, raw or gzipped.
//!
//! An IDX file is a 4-byte magic number `00 00 08 d` (two zero bytes, the data type code
//! `0x08` for unsigned bytes, the number of dimensions `d`), then `d` big-endian `u32`
//! dimensions, then the data in row-major order. A file is treated as gzip when it starts with
//! the gzip magic bytes `1f 8b`, whatever its name.
//!
//! The reader validates everything before trusting it: the magic number, that every dimension
//! is positive, that their product fits in memory, and that the data holds exactly that many
//! bytes. It never allocates from the header alone beyond what the file can hold: for a raw file
//! the declared size is checked against the file's length before reading, and a gzip stream is
//! read incrementally, with the initial buffer capped at the most the compressed file could
//! inflate to. Every error names the file and the byte offset (in the decompressed stream for
//! gzip files).
//!
//! ```
//! use youshi_data::idx::read_idx_u8;
//! let dir = youshi_data::mnist::bundled_dir();
//! let labels = read_idx_u8(dir.join("t10k-labels-idx1-ubyte.gz"), 1)?;
//! assert_eq!(labels.dims(), &[10_000]);
//! assert!(labels.is_gzip());
//! assert_eq!(&labels.data()[..3], &[7, 2, 1]);
//! # Ok::<(), youshi_data::DataError>(())
//! ```

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::{DataError, Result};

/// The first two bytes of every gzip file.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The IDX data type code of unsigned bytes.
pub const IDX_U8: u8 = 0x08;

/// The most DEFLATE can expand its input (about 1032 : 1), which bounds the decompressed size
/// of a gzip file by its compressed size.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// An IDX array of unsigned bytes: its dimensions and row-major data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxU8 {
    dims: Vec<usize>,
    data: Vec<u8>,
    gzip: bool,
}

impl IdxU8 {
    /// The dimensions, each positive.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The data, `dims.iter().product()` bytes in row-major order.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The data, moved out.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// Whether the file was gzipped.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// The length of the header in bytes: the magic number and the dimensions.
    pub fn header_len(&self) -> u64 {
        4 + 4 * self.dims.len() as u64
    }
}

/// A byte source that turns read errors into [`DataError`]s naming the file and the offset,
/// and counts the bytes it delivered.
struct Source {
    reader: Box<dyn Read>,
    path: PathBuf,
    gzip: bool,
    pos: u64,
}

impl Source {
    fn where_(&self) -> &'static str {
        if self.gzip {
            " (offset in the decompressed stream)"
        } else {
            ""
        }
    }

    fn read_error(&self, e: std::io::Error) -> DataError {
        if self.gzip {
            DataError::format(
                &self.path,
                self.pos,
                format!("gzip stream is corrupt or truncated: {e}{}", self.where_()),
            )
        } else {
            DataError::io("read IDX file", &self.path, e)
        }
    }

    /// Reads until `buf` is full or the data ends; returns the number of bytes read.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match self.reader.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(k) => {
                    got += k;
                    self.pos += k as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.read_error(e)),
            }
        }
        Ok(got)
    }

    /// Reads exactly `N` header bytes, naming `what` when the file ends first.
    fn header<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let start = self.pos;
        let mut buf = [0u8; N];
        let got = self.fill(&mut buf)?;
        if got < N {
            return Err(DataError::format(
                &self.path,
                start + got as u64,
                format!(
                    "file ends inside the header, reading the {what}{}",
                    self.where_()
                ),
            ));
        }
        Ok(buf)
    }
}

/// Opens `path`, detecting gzip by its first two bytes.
fn open(path: &Path) -> Result<(Source, u64)> {
    let op = "read IDX file";
    let file = File::open(path).map_err(|e| DataError::io(op, path, e))?;
    let file_len = file
        .metadata()
        .map_err(|e| DataError::io(op, path, e))?
        .len();
    let mut file = BufReader::new(file);
    let mut prefix = Vec::with_capacity(2);
    (&mut file)
        .take(2)
        .read_to_end(&mut prefix)
        .map_err(|e| DataError::io(op, path, e))?;
    let gzip = prefix == GZIP_MAGIC;
    let rest = Cursor::new(prefix).chain(file);
    let reader: Box<dyn Read> = if gzip {
        Box::new(MultiGzDecoder::new(rest))
    } else {
        Box::new(rest)
    };
    let source = Source {
        reader,
        path: path.to_path_buf(),
        gzip,
        pos: 0,
    };
    Ok((source, file_len))
}

/// Reads an IDX file of unsigned bytes with `ndim` dimensions (magic number `0x0000080d`
/// with `d = ndim`), raw or gzipped.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be opened or read; [`DataError::Format`] with the file
/// and byte offset if the magic number differs, the header is cut short, a dimension is 0,
/// the declared size overflows, the data is shorter or longer than declared, or the gzip
/// stream is corrupt.
pub fn read_idx_u8(path: impl AsRef<Path>, ndim: u8) -> Result<IdxU8> {
    let path = path.as_ref();
    let (mut src, file_len) = open(path)?;
    let want = u32::from_be_bytes([0, 0, IDX_U8, ndim]);
    let magic = u32::from_be_bytes(src.header::<4>("magic number")?);
    if magic != want {
        return Err(DataError::format(
            path,
            0,
            format!(
                "magic number 0x{magic:08x} is not 0x{want:08x} (an IDX file of unsigned bytes \
                 with {ndim} dimension{})",
                if ndim == 1 { "" } else { "s" }
            ),
        ));
    }
    let mut dims = Vec::with_capacity(ndim as usize);
    for k in 0..ndim as usize {
        let offset = src.pos;
        let d = u32::from_be_bytes(src.header::<4>(&format!("size of dimension {k}"))?);
        if d == 0 {
            return Err(DataError::format(
                path,
                offset,
                format!("dimension {k} is 0; every dimension must be positive"),
            ));
        }
        dims.push(d as usize);
    }
    let header_len = src.pos;
    let where_ = src.where_();
    let total = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .filter(|&t| usize::try_from(t).is_ok())
        .ok_or_else(|| {
            DataError::format(
                path,
                4,
                format!("dimensions {dims:?} declare more bytes than fit in memory"),
            )
        })?;
    let short = |got: u64| {
        DataError::format(
            path,
            header_len + got,
            format!(
                "file ends after {got} of the {total} data bytes declared by dimensions \
                 {dims:?}{where_}"
            ),
        )
    };
    // The most data the file can hold: its length for a raw file, a bound on the inflated
    // size for gzip. Nothing beyond that is ever allocated up front.
    let can_hold = if src.gzip {
        file_len.saturating_mul(MAX_DEFLATE_RATIO)
    } else {
        let avail = file_len.saturating_sub(header_len);
        if avail < total {
            return Err(short(avail));
        }
        avail
    };
    let mut data = Vec::with_capacity(total.min(can_hold) as usize);
    // Read in chunks so the buffer grows only with data actually present.
    let mut chunk = vec![0u8; (1 << 16).min(total as usize).max(1)];
    while (data.len() as u64) < total {
        let need = ((total - data.len() as u64) as usize).min(chunk.len());
        let got = src.fill(&mut chunk[..need])?;
        data.extend_from_slice(&chunk[..got]);
        if got < need {
            return Err(short(data.len() as u64));
        }
    }
    // The data must end here; for gzip this also makes the decoder check the CRC.
    let mut extra = [0u8; 1];
    if src.fill(&mut extra)? > 0 {
        let more = if src.gzip {
            String::new()
        } else {
            let extra = file_len.saturating_sub(header_len + total);
            format!(" ({extra} extra byte{})", if extra == 1 { "" } else { "s" })
        };
        return Err(DataError::format(
            path,
            header_len + total,
            format!(
                "data continues after the {total} bytes declared by dimensions {dims:?}{more}{where_}"
            ),
        ));
    }
    Ok(IdxU8 {
        dims,
        data,
        gzip: src.gzip,
    })
}
