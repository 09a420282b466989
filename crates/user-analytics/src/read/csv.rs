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

/// Records of the input, parsed by the CSV parser but not yet interpreted: the bytes of their
/// fields, back to back.
#[derive(Default)]
struct Batch {
    seq: u64,
    data: Vec<u8>,
    /// Byte ranges of the fields in `data`.
    fields: Vec<(u32, u32)>,
    /// Per record: its first field, its number of fields and its line number.
    records: Vec<(u32, u32, u64)>,
}

const BATCH_RECORDS: usize = 8192;

impl Batch {
    fn push(&mut self, rec: &ByteRecord, line: u64) {
        let first = self.fields.len() as u32;
        // A record keeps its fields back to back: one copy, then the ranges shifted.
        let base = self.data.len() as u32;
        self.data.extend_from_slice(rec.as_slice());
        for i in 0..rec.len() {
            if let Some(r) = rec.range(i) {
                self.fields
                    .push((base + r.start as u32, base + r.end as u32));
            }
        }
        self.records
            .push((first, (self.fields.len() as u32) - first, line));
    }
}

/// A batch's events with the worker's local ids, and what the worker's dictionaries gained.
#[derive(Default)]
struct Parsed {
    seq: u64,
    /// Records read (bad ones included), and blank ones.
    records: u64,
    blank: u64,
    user: Vec<u32>,
    ts: Vec<i64>,
    name: Vec<u32>,
    set: Vec<u32>,
    revenue: Vec<(u32, f64)>,
    bad: Vec<SkippedLine>,
    fatal: Option<AnalyticsError>,
    new_users: Vec<Box<str>>,
    new_names: Vec<Box<str>>,
    new_strings: Vec<Box<str>>,
    new_sets: Vec<Vec<(u32, Stored)>>,
}

/// Where the columns are.
struct Layout {
    names: Vec<String>,
    user: usize,
    time: usize,
    event: usize,
    revenue: Option<usize>,
    /// (field index, key id)
    props: Vec<(usize, u32)>,
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// Interprets batches with dictionaries of its own (ids local to the worker).
struct Worker<'o> {
    b: EventLogBuilder,
    options: &'o ReadOptions,
    layout: &'o Layout,
    name_cache: Recent<u32>,
    prop_cache: Vec<Recent<Stored>>,
    /// Dictionary sizes already reported: users, names, strings, sets.
    reported: [usize; 4],
}

impl<'o> Worker<'o> {
    fn new(options: &'o ReadOptions, layout: &'o Layout) -> Result<Self> {
        let mut b = EventLogBuilder::new();
        // The same keys in the same order as the global dictionary: the same ids.
        for &(i, _) in &layout.props {
            b.dicts.keys.intern(&layout.names[i], "property keys")?;
        }
        Ok(Worker {
            b,
            options,
            layout,
            name_cache: Recent::new(),
            prop_cache: layout.props.iter().map(|_| Recent::new()).collect(),
            // Set 0 (the empty set) exists from the start in every dictionary.
            reported: [0, 0, 0, 1],
        })
    }

    fn text<'r>(&self, f: &'r [u8], i: usize) -> Result<&'r str, LineError> {
        std::str::from_utf8(f)
            .map_err(|e| LineError::at(&self.layout.names[i], format!("not valid UTF-8 ({e})")))
    }

    fn row(&mut self, rec: &[&[u8]], out: &mut Parsed) -> Result<(), RowError> {
        let l = self.layout;
        if rec.len() != l.names.len() {
            return Err(LineError {
                column: None,
                reason: format!(
                    "expected {} fields as in the header, found {}",
                    l.names.len(),
                    rec.len()
                ),
            }
            .into());
        }
        let user = self.text(rec[l.user], l.user)?;
        if user.is_empty() {
            return Err(LineError::at(&l.names[l.user], "empty user id").into());
        }
        let ts = parse_timestamp(trim(rec[l.time]), self.options.timestamp_format)
            .map_err(|r| LineError::at(&l.names[l.time], r))?;
        let name_bytes = rec[l.event];
        let name = match self.name_cache.get(name_bytes) {
            Some(id) => Ok(id),
            None => {
                let name = self.text(name_bytes, l.event)?;
                if name.is_empty() {
                    return Err(LineError::at(&l.names[l.event], "empty event name").into());
                }
                Err(name)
            }
        };
        let revenue = match l.revenue {
            Some(i) => {
                let f = trim(rec[i]);
                if f.is_empty() {
                    None
                } else {
                    match std::str::from_utf8(f)
                        .ok()
                        .and_then(|s| s.parse::<f64>().ok())
                    {
                        Some(x) if x.is_finite() => Some(x),
                        _ => {
                            return Err(LineError::at(
                                &l.names[i],
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
        for (p, &(i, key)) in l.props.iter().enumerate() {
            let bytes = rec[i];
            if bytes.is_empty() {
                continue;
            }
            if let Some(v) = self.prop_cache[p].get(bytes) {
                self.b.add_prop(key, v);
                continue;
            }
            let s = self.text(bytes, i)?;
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
        let set = self.b.finish_props()?;
        let u = self.b.dicts.users.intern(user, "users")?;
        let n = match name {
            Ok(id) => id,
            Err(name) => {
                let id = self.b.dicts.names.intern(name, "event names")?;
                self.name_cache.insert(name.as_bytes(), id);
                id
            }
        };
        if let Some(r) = revenue {
            out.revenue.push((out.ts.len() as u32, r));
        }
        out.user.push(u);
        out.ts.push(ts);
        out.name.push(n);
        out.set.push(set);
        Ok(())
    }

    /// Interprets one record: its fields (a trailing `\r` of the last one is the CR of a CRLF
    /// line end) and its line number.
    fn one(&mut self, rec: &mut [&[u8]], line: u64, out: &mut Parsed) -> bool {
        if let Some(last) = rec.last_mut() {
            if let Some(rest) = last.strip_suffix(b"\r") {
                *last = rest;
            }
        }
        if rec.len() == 1 && rec[0].is_empty() {
            out.blank += 1;
            return true;
        }
        out.records += 1;
        match self.row(rec, out) {
            Ok(()) => true,
            Err(RowError::Line(e)) => {
                out.bad.push(SkippedLine {
                    line,
                    column: e.column,
                    reason: e.reason,
                });
                true
            }
            Err(RowError::Fatal(e)) => {
                out.fatal = Some(e);
                false
            }
        }
    }

    /// Records parsed on the reading thread.
    fn batch(&mut self, batch: &Batch) -> Parsed {
        let mut out = Parsed {
            seq: batch.seq,
            ..Parsed::default()
        };
        let mut rec: Vec<&[u8]> = Vec::with_capacity(self.layout.names.len());
        for &(first, n, line) in &batch.records {
            rec.clear();
            for &(a, b) in &batch.fields[first as usize..(first + n) as usize] {
                rec.push(&batch.data[a as usize..b as usize]);
            }
            if !self.one(&mut rec, line, &mut out) {
                break;
            }
        }
        self.finish(out)
    }

    /// Raw lines (complete records, no quotes), parsed here; `first_line` is the number of
    /// their first line.
    fn raw(&mut self, seq: u64, bytes: &[u8], first_line: u64) -> Parsed {
        let mut out = Parsed {
            seq,
            ..Parsed::default()
        };
        let mut rdr = csv_reader(false, bytes);
        let mut record = ByteRecord::new();
        loop {
            match rdr.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = first_line + e.position().map_or(1, |p| p.line()) - 1;
                    out.fatal = Some(AnalyticsError::Parse {
                        op: OP,
                        line,
                        column: None,
                        reason: e.to_string(),
                    });
                    break;
                }
            }
            let line = first_line + record.position().map_or(1, |p| p.line()) - 1;
            let n = record.len();
            let go = if n <= 32 {
                let mut fields: [&[u8]; 32] = [&[]; 32];
                for (slot, f) in fields.iter_mut().zip(record.iter()) {
                    *slot = f;
                }
                self.one(&mut fields[..n], line, &mut out)
            } else {
                let mut fields: Vec<&[u8]> = record.iter().collect();
                self.one(&mut fields, line, &mut out)
            };
            if !go {
                break;
            }
        }
        self.finish(out)
    }

    /// Adds to `out` what the dictionaries gained since the last batch.
    fn finish(&mut self, mut out: Parsed) -> Parsed {
        let d = &self.b.dicts;
        let [u, n, s, k] = self.reported;
        out.new_users = d.users.names().skip(u).map(Into::into).collect();
        out.new_names = d.names.names().skip(n).map(Into::into).collect();
        out.new_strings = d.strings.names().skip(s).map(Into::into).collect();
        out.new_sets = (k..d.sets.count())
            .map(|id| d.sets.set(id as u32).to_vec())
            .collect();
        self.reported = [
            d.users.len(),
            d.names.len(),
            d.strings.len(),
            d.sets.count(),
        ];
        out
    }
}

/// Work for a worker: records parsed on the reading thread, or raw lines.
enum Work {
    Records(Batch),
    Raw {
        seq: u64,
        bytes: Vec<u8>,
        first_line: u64,
    },
}

/// A CSV reader that ends records at `\n` only, so line numbers are exact with CRLF line ends
/// too (the `\r` is removed from the last field).
fn csv_reader<R: Read>(headers: bool, r: R) -> ::csv::Reader<R> {
    ReaderBuilder::new()
        .has_headers(headers)
        .flexible(true)
        .terminator(::csv::Terminator::Any(b'\n'))
        .buffer_capacity(1 << 16)
        .from_reader(r)
}

/// Reads from `r` until `buf` holds `target` bytes; `true` at the end of the input.
fn fill<R: Read>(r: &mut R, buf: &mut Vec<u8>, target: usize, path: &Path) -> Result<bool> {
    while buf.len() < target {
        let old = buf.len();
        buf.resize(target, 0);
        match r.read(&mut buf[old..]) {
            Ok(0) => {
                buf.truncate(old);
                return Ok(true);
            }
            Ok(n) => buf.truncate(old + n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(old),
            Err(source) => {
                buf.truncate(old);
                return Err(AnalyticsError::Io {
                    op: OP,
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
    Ok(false)
}

/// Raw blocks are cut at the last line end before about this many bytes.
const BLOCK: usize = 1 << 18;
/// A line longer than this without a line end sends the rest of the input to the reading
/// thread's parser.
const MAX_LINE: usize = 1 << 24;

/// Maps one worker's local ids to the global ones.
#[derive(Default)]
struct IdMaps {
    users: Vec<u32>,
    names: Vec<u32>,
    strings: Vec<u32>,
    sets: Vec<u32>,
}

/// Adds a parsed batch to the global builder, in input order.
fn merge(
    b: &mut EventLogBuilder,
    maps: &mut IdMaps,
    p: Parsed,
    options: &ReadOptions,
    report: &mut ReadReport,
) -> Result<()> {
    if let Some(e) = p.fatal {
        return Err(e);
    }
    if options.mode == ReadMode::Strict {
        if let Some(bad) = p.bad.into_iter().next() {
            return Err(AnalyticsError::Parse {
                op: OP,
                line: bad.line,
                column: bad.column,
                reason: bad.reason,
            });
        }
    } else {
        report.skipped.extend(p.bad);
    }
    for s in &p.new_users {
        maps.users.push(b.dicts.users.intern(s, "users")?);
    }
    for s in &p.new_names {
        maps.names.push(b.dicts.names.intern(s, "event names")?);
    }
    for s in &p.new_strings {
        maps.strings.push(b.dicts.strings.intern(s, "strings")?);
    }
    if maps.sets.is_empty() {
        maps.sets.push(0);
    }
    for set in &p.new_sets {
        b.clear_props();
        for &(k, v) in set {
            let v = match v {
                Stored::Str(id) => Stored::Str(maps.strings[id as usize]),
                other => other,
            };
            b.add_prop(k, v);
        }
        maps.sets.push(b.finish_props()?);
    }
    let mut rev = p.revenue.iter().peekable();
    for i in 0..p.ts.len() {
        b.ensure_room()?;
        let revenue = match rev.peek() {
            Some(&&(row, r)) if row as usize == i => {
                rev.next();
                Some(r)
            }
            _ => None,
        };
        b.push_ids(
            maps.users[p.user[i] as usize],
            p.ts[i],
            maps.names[p.name[i] as usize],
            revenue,
            maps.sets[p.set[i] as usize],
        );
    }
    report.events += p.ts.len() as u64;
    report.lines += p.records + p.blank;
    report.blank_lines += p.blank;
    Ok(())
}

fn read_into<R: Read>(
    mut reader: R,
    options: &ReadOptions,
    path: PathBuf,
    b: EventLogBuilder,
) -> Result<(EventLog, ReadReport)> {
    let mut buf: Vec<u8> = Vec::with_capacity(2 * BLOCK);
    let mut eof = fill(&mut reader, &mut buf, BLOCK, &path)?;
    while !eof && !buf.contains(&b'\n') && buf.len() < MAX_LINE {
        let target = buf.len() + BLOCK;
        eof = fill(&mut reader, &mut buf, target, &path)?;
    }
    let (header, header_end, mut line) = {
        let mut hdr = csv_reader(true, &buf[..]);
        let header = hdr.byte_headers().map_err(|e| csv_error(e, &path))?.clone();
        let pos = hdr.position();
        (header, (pos.byte() as usize).min(buf.len()), pos.line())
    };
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
    if let Some(last) = names.last_mut() {
        if let Some(rest) = last.strip_suffix('\r') {
            *last = rest.to_string();
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
    let layout = Layout {
        names,
        user,
        time,
        event,
        revenue,
        props,
    };
    let mut report = ReadReport {
        lines: 1,
        ..ReadReport::default()
    };
    // Blocks of whole lines without quotes go to the workers raw: every line end there ends a
    // record. From the first block with a quote (a field may then hold a line end), the
    // records are parsed on this thread and handed over in batches. Either way the workers
    // check and intern with dictionaries of their own, and the results are merged in input
    // order.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let mut maps: Vec<IdMaps> = (0..workers).map(|_| IdMaps::default()).collect();
    let parsed: Result<()> = std::thread::scope(|scope| {
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Parsed>();
        let mut inboxes = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Work>(2);
            let done = done_tx.clone();
            let mut worker = Worker::new(options, &layout)?;
            scope.spawn(move || {
                for work in rx {
                    let parsed = match work {
                        Work::Records(batch) => worker.batch(&batch),
                        Work::Raw {
                            seq,
                            bytes,
                            first_line,
                        } => worker.raw(seq, &bytes, first_line),
                    };
                    if done.send(parsed).is_err() {
                        break;
                    }
                }
            });
            inboxes.push(tx);
        }
        drop(done_tx);
        let mut pending: std::collections::BTreeMap<u64, Parsed> = Default::default();
        let mut next_merge = 0u64;
        let mut seq = 0u64;
        let mut send = |work: Work,
                        seq: &mut u64,
                        pending: &mut std::collections::BTreeMap<u64, Parsed>,
                        b: &mut EventLogBuilder,
                        report: &mut ReadReport|
         -> Result<()> {
            if inboxes[(*seq % workers as u64) as usize]
                .send(work)
                .is_err()
            {
                return Err(AnalyticsError::invalid(OP, "a reader thread stopped"));
            }
            *seq += 1;
            while let Ok(p) = done_rx.try_recv() {
                pending.insert(p.seq, p);
            }
            while let Some(p) = pending.remove(&next_merge) {
                let w = (next_merge % workers as u64) as usize;
                merge(b, &mut maps[w], p, options, report)?;
                next_merge += 1;
            }
            Ok(())
        };
        let mut start = header_end;
        let mut sequential = false;
        loop {
            let data = &buf[start..];
            let cut = if eof {
                data.len()
            } else {
                match data.iter().rposition(|&c| c == b'\n') {
                    Some(p) => p + 1,
                    None if data.len() < MAX_LINE => {
                        let target = buf.len() + BLOCK;
                        eof = fill(&mut reader, &mut buf, target, &path)?;
                        continue;
                    }
                    None => {
                        sequential = true;
                        break;
                    }
                }
            };
            let chunk = &data[..cut];
            if chunk.contains(&b'"') {
                sequential = true;
                break;
            }
            if !chunk.is_empty() {
                let lines = chunk.iter().filter(|&&c| c == b'\n').count() as u64;
                let work = Work::Raw {
                    seq,
                    bytes: chunk.to_vec(),
                    first_line: line,
                };
                line += lines;
                send(work, &mut seq, &mut pending, &mut b, &mut report)?;
            }
            if eof {
                break;
            }
            buf.drain(..start + cut);
            start = 0;
            eof = fill(&mut reader, &mut buf, BLOCK, &path)?;
        }
        if sequential {
            let rest = buf.split_off(start);
            let mut rdr = csv_reader(false, std::io::Cursor::new(rest).chain(&mut reader));
            let mut rec = ByteRecord::new();
            let mut batch = Batch::default();
            loop {
                let more = rdr
                    .read_byte_record(&mut rec)
                    .map_err(|e| csv_error(e, &path))?;
                if more {
                    let at = line + rec.position().map_or(1, |p| p.line()) - 1;
                    batch.push(&rec, at);
                }
                if batch.records.len() >= BATCH_RECORDS || (!more && !batch.records.is_empty()) {
                    batch.seq = seq;
                    let full = std::mem::take(&mut batch);
                    send(
                        Work::Records(full),
                        &mut seq,
                        &mut pending,
                        &mut b,
                        &mut report,
                    )?;
                }
                if !more {
                    break;
                }
            }
        }
        drop(inboxes);
        while next_merge < seq {
            match done_rx.recv() {
                Ok(p) => {
                    pending.insert(p.seq, p);
                    while let Some(p) = pending.remove(&next_merge) {
                        let w = (next_merge % workers as u64) as usize;
                        merge(&mut b, &mut maps[w], p, options, &mut report)?;
                        next_merge += 1;
                    }
                }
                Err(_) => return Err(AnalyticsError::invalid(OP, "a reader thread stopped")),
            }
        }
        Ok(())
    });
    parsed?;
    Ok((b.build()?, report))
}
