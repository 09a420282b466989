//! The CSV event reader (see the parent module for the rules).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use ::csv::{ByteRecord, ReaderBuilder};

use super::{
    infer_scalar, parse_timestamp, LineError, PropertyColumns, ReadMode, ReadOptions, ReadReport,
    SkippedLine,
};
use crate::event::{EventLog, EventLogBuilder, Stored};
use crate::{AnalyticsError, Result};

const OP: &str = "read CSV events";

/// Reads a CSV event log from `reader` (streaming, with a header line).
///
/// # Errors
/// - [`AnalyticsError::Empty`] if the input has no header line;
/// - [`AnalyticsError::MissingColumn`] if a required column (or a listed property column) is
///   not in the header, naming the columns that are;
/// - [`AnalyticsError::InvalidArgument`] if a used column appears twice in the header;
/// - [`AnalyticsError::Parse`] for the first bad line in strict mode (line number, column,
///   reason);
/// - [`AnalyticsError::Io`] if reading fails.
///
/// # Examples
/// ```
/// use youshi_user_analytics::read::{read_csv, ReadOptions, TimestampFormat};
/// let text = "ts,who,what\n1700000000,u1,open\n1700000060,u1,close\n";
/// let options = ReadOptions::default()
///     .with_columns("who", "ts", "what")
///     .with_timestamp_format(TimestampFormat::EpochSeconds);
/// let (log, report) = read_csv(text.as_bytes(), &options)?;
/// assert_eq!(log.timestamps(), &[1_700_000_000_000, 1_700_000_060_000]);
/// assert!(report.skipped.is_empty());
///
/// let err = read_csv("who,what\nu1,open\n".as_bytes(), &options).unwrap_err();
/// assert!(err.to_string().contains("no column \"ts\""));
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn read_csv<R: Read>(reader: R, options: &ReadOptions) -> Result<(EventLog, ReadReport)> {
    read(reader, options, PathBuf::from("<reader>"))
}

/// Reads a CSV event log from the file at `path`.
///
/// # Errors
/// As [`read_csv`], and [`AnalyticsError::Io`] naming the file if it cannot be opened.
pub fn read_csv_file(
    path: impl AsRef<Path>,
    options: &ReadOptions,
) -> Result<(EventLog, ReadReport)> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| AnalyticsError::Io {
        op: OP,
        path: path.to_path_buf(),
        source,
    })?;
    let mut b = EventLogBuilder::new();
    // About 40 bytes per line in typical logs: reserve to avoid regrowing the columns.
    if let Ok(meta) = file.metadata() {
        b.reserve((meta.len() / 40).min(1 << 31) as usize);
    }
    read_into(file, options, path.to_path_buf(), b)
}

fn read<R: Read>(
    reader: R,
    options: &ReadOptions,
    path: PathBuf,
) -> Result<(EventLog, ReadReport)> {
    read_into(reader, options, path, EventLogBuilder::new())
}

fn csv_error(e: ::csv::Error, path: &Path) -> AnalyticsError {
    let line = e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        ::csv::ErrorKind::Io(source) => AnalyticsError::Io {
            op: OP,
            path: path.to_path_buf(),
            source,
        },
        kind => AnalyticsError::Parse {
            op: OP,
            line,
            column: None,
            reason: format!("{kind:?}"),
        },
    }
}

fn find_column(names: &[String], want: &str) -> Result<usize> {
    let mut hits = names
        .iter()
        .enumerate()
        .filter(|(_, n)| n.as_str() == want)
        .map(|(i, _)| i);
    match (hits.next(), hits.next()) {
        (Some(i), None) => Ok(i),
        (Some(i), Some(j)) => Err(AnalyticsError::invalid(
            OP,
            format!(
                "column {want:?} appears more than once in the header (fields {} and {})",
                i + 1,
                j + 1
            ),
        )),
        (None, _) => Err(AnalyticsError::MissingColumn {
            op: OP,
            column: want.to_string(),
            available: names.to_vec(),
        }),
    }
}

enum RowError {
    Line(LineError),
    Fatal(AnalyticsError),
}

impl From<LineError> for RowError {
    fn from(e: LineError) -> Self {
        RowError::Line(e)
    }
}

impl From<AnalyticsError> for RowError {
    fn from(e: AnalyticsError) -> Self {
        RowError::Fatal(e)
    }
}

/// The few distinct values of a low-cardinality column (event names, `platform`, `country`),
/// found by comparing bytes: no hashing and no UTF-8 check for a value seen before. A column
/// whose values keep missing (user ids, free text) turns the cache off.
struct Recent<V> {
    entries: Vec<(Box<[u8]>, V)>,
    lookups: u32,
    misses: u32,
    on: bool,
}

const RECENT_CAP: usize = 16;

impl<V: Copy> Recent<V> {
    fn new() -> Self {
        Recent {
            entries: Vec::with_capacity(RECENT_CAP),
            lookups: 0,
            misses: 0,
            on: true,
        }
    }

    #[inline]
    fn get(&mut self, bytes: &[u8]) -> Option<V> {
        if !self.on {
            return None;
        }
        self.lookups += 1;
        for (k, v) in &self.entries {
            if **k == *bytes {
                return Some(*v);
            }
        }
        self.misses += 1;
        if self.lookups >= 4096 {
            // More than one miss in eight: not worth scanning.
            self.on = self.misses * 8 <= self.lookups;
            self.lookups = 0;
            self.misses = 0;
        }
        None
    }

    fn insert(&mut self, bytes: &[u8], v: V) {
        if self.on {
            if self.entries.len() == RECENT_CAP {
                self.entries.remove(0);
            }
            self.entries.push((bytes.into(), v));
        }
    }
}

struct Rows<'o> {
    b: EventLogBuilder,
    options: &'o ReadOptions,
    names: Vec<String>,
    user: usize,
    time: usize,
    event: usize,
    revenue: Option<usize>,
    props: Vec<(usize, u32)>,
    name_cache: Recent<u32>,
    prop_cache: Vec<Recent<Stored>>,
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

impl Rows<'_> {
    fn text<'r>(&self, rec: &'r ByteRecord, i: usize) -> Result<&'r str, LineError> {
        let f = rec.get(i).unwrap_or_default();
        std::str::from_utf8(f)
            .map_err(|e| LineError::at(&self.names[i], format!("not valid UTF-8 ({e})")))
    }

    fn row(&mut self, rec: &ByteRecord) -> Result<(), RowError> {
        if rec.len() != self.names.len() {
            return Err(LineError {
                column: None,
                reason: format!(
                    "expected {} fields as in the header, found {}",
                    self.names.len(),
                    rec.len()
                ),
            }
            .into());
        }
        let user = self.text(rec, self.user)?;
        if user.is_empty() {
            return Err(LineError::at(&self.names[self.user], "empty user id").into());
        }
        let ts = parse_timestamp(
            trim(rec.get(self.time).unwrap_or_default()),
            self.options.timestamp_format,
        )
        .map_err(|r| LineError::at(&self.names[self.time], r))?;
        let name_bytes = rec.get(self.event).unwrap_or_default();
        let name = match self.name_cache.get(name_bytes) {
            Some(id) => Ok(id),
            None => {
                let name = self.text(rec, self.event)?;
                if name.is_empty() {
                    return Err(LineError::at(&self.names[self.event], "empty event name").into());
                }
                Err(name)
            }
        };
        let revenue = match self.revenue {
            Some(i) => {
                let f = trim(rec.get(i).unwrap_or_default());
                if f.is_empty() {
                    None
                } else {
                    let s = std::str::from_utf8(f).unwrap_or("");
                    match s.parse::<f64>() {
                        Ok(x) if x.is_finite() => Some(x),
                        _ => {
                            return Err(LineError::at(
                                &self.names[i],
                                format!(
                                    "revenue {:?} is not a finite number",
                                    String::from_utf8_lossy(f)
                                ),
                            )
                            .into())
                        }
                    }
                }
            }
            None => None,
        };
        self.b.clear_props();
        for p in 0..self.props.len() {
            let (i, key) = self.props[p];
            if rec.get(i).map_or(true, <[u8]>::is_empty) {
                continue;
            }
            let bytes = rec.get(i).unwrap_or_default();
            if let Some(v) = self.prop_cache[p].get(bytes) {
                self.b.add_prop(key, v);
                continue;
            }
            let s = self.text(rec, i)?;
            let inferred = if self.options.infer_property_types {
                infer_scalar(s)
            } else {
                None
            };
            let value = match inferred {
                Some(v) => v,
                None => Stored::Str(self.b.dicts.strings.intern(s, "strings")?),
            };
            self.prop_cache[p].insert(bytes, value);
            self.b.add_prop(key, value);
        }
        self.b.ensure_room()?;
        let props = self.b.finish_props()?;
        let u = self.b.dicts.users.intern(user, "users")?;
        let n = match name {
            Ok(id) => id,
            Err(name) => {
                let id = self.b.dicts.names.intern(name, "event names")?;
                self.name_cache.insert(name.as_bytes(), id);
                id
            }
        };
        self.b.push_ids(u, ts, n, revenue, props);
        Ok(())
    }
}

fn read_into<R: Read>(
    reader: R,
    options: &ReadOptions,
    path: PathBuf,
    b: EventLogBuilder,
) -> Result<(EventLog, ReadReport)> {
    let mut rdr = ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(reader);
    let header = rdr.byte_headers().map_err(|e| csv_error(e, &path))?.clone();
    if header.is_empty() {
        return Err(AnalyticsError::empty(OP, "the input has no header line"));
    }
    let mut names: Vec<String> = header
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    if let Some(first) = names.first_mut() {
        if let Some(rest) = first.strip_prefix('\u{feff}') {
            *first = rest.to_string();
        }
    }
    let user = find_column(&names, &options.user_column)?;
    let time = find_column(&names, &options.time_column)?;
    let event = find_column(&names, &options.event_column)?;
    let revenue = match &options.revenue_column {
        Some(r) if names.iter().any(|n| n == r) => Some(find_column(&names, r)?),
        _ => None,
    };
    let mut b = b;
    let prop_idx: Vec<usize> = match &options.property_columns {
        PropertyColumns::Rest => (0..names.len())
            .filter(|&i| i != user && i != time && i != event && Some(i) != revenue)
            .collect(),
        PropertyColumns::Only(list) => list
            .iter()
            .map(|c| find_column(&names, c))
            .collect::<Result<_>>()?,
        PropertyColumns::None => Vec::new(),
    };
    let mut props = Vec::with_capacity(prop_idx.len());
    for i in prop_idx {
        props.push((i, b.dicts.keys.intern(&names[i], "property keys")?));
    }
    let mut rows = Rows {
        b,
        options,
        names,
        user,
        time,
        event,
        revenue,
        prop_cache: props.iter().map(|_| Recent::new()).collect(),
        props,
        name_cache: Recent::new(),
    };
    let mut report = ReadReport {
        lines: 1,
        ..ReadReport::default()
    };
    let mut rec = ByteRecord::new();
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| csv_error(e, &path))?
    {
        report.lines += 1;
        let line = rec.position().map_or(report.lines, |p| p.line());
        match rows.row(&rec) {
            Ok(()) => report.events += 1,
            Err(RowError::Fatal(e)) => return Err(e),
            Err(RowError::Line(e)) => match options.mode {
                ReadMode::Strict => {
                    return Err(AnalyticsError::Parse {
                        op: OP,
                        line,
                        column: e.column,
                        reason: e.reason,
                    })
                }
                ReadMode::Lenient => report.skipped.push(SkippedLine {
                    line,
                    column: e.column,
                    reason: e.reason,
                }),
            },
        }
    }
    Ok((rows.b.build()?, report))
}
