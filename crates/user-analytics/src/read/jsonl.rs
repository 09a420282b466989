//! The JSON Lines event reader (see the parent module for the rules).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{
    parse_timestamp, timestamp_from_number, LineError, ReadMode, ReadOptions, ReadReport,
    SkippedLine,
};
use crate::event::{EventLog, EventLogBuilder, Stored};
use crate::{AnalyticsError, Result};

const OP: &str = "read JSON Lines events";

/// Reads a JSON Lines event log (one JSON object per line) from `reader`, streaming.
///
/// # Errors
/// - [`AnalyticsError::Parse`] for the first bad line in strict mode (line number from 1, the
///   key at fault, the reason);
/// - [`AnalyticsError::InvalidArgument`] if a limit of the log is exceeded;
/// - [`AnalyticsError::Io`] if reading fails.
///
/// # Examples
/// ```
/// use youshi_user_analytics::read::{read_jsonl, ReadOptions};
/// let text = r#"{"user_id": "u1", "timestamp": "2024-01-01T00:00:00Z", "event": "signup", "properties": {"plan": "pro"}}
/// {"user_id": 7, "timestamp": 1704067260, "event": "open", "platform": "ios", "revenue": null}
/// "#;
/// let (log, report) = read_jsonl(text.as_bytes(), &ReadOptions::default())?;
/// assert_eq!((log.len(), report.lines), (2, 2));
/// let open = log.user_events_by_name("7").unwrap().next().unwrap();
/// assert_eq!(open.property("platform").unwrap().to_value().to_string(), "ios");
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn read_jsonl<R: BufRead>(reader: R, options: &ReadOptions) -> Result<(EventLog, ReadReport)> {
    read_into(
        reader,
        options,
        PathBuf::from("<reader>"),
        EventLogBuilder::new(),
    )
}

/// Reads a JSON Lines event log from the file at `path`.
///
/// # Errors
/// As [`read_jsonl`], and [`AnalyticsError::Io`] naming the file if it cannot be opened.
pub fn read_jsonl_file(
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
    if let Ok(meta) = file.metadata() {
        b.reserve((meta.len() / 80).min(1 << 31) as usize);
    }
    read_into(
        BufReader::with_capacity(1 << 16, file),
        options,
        path.to_path_buf(),
        b,
    )
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
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

struct Lines<'o> {
    b: EventLogBuilder,
    options: &'o ReadOptions,
}

fn missing(key: &str) -> LineError {
    LineError::at(key, format!("missing key {key:?}"))
}

impl Lines<'_> {
    fn add_value(&mut self, key: &str, v: &Value) -> Result<(), RowError> {
        let stored = match v {
            Value::Null => return Ok(()),
            Value::Bool(b) => Stored::Bool(*b),
            Value::Number(n) => match n.as_f64().filter(|x| x.is_finite()) {
                Some(x) => Stored::Num(x.to_bits()),
                None => return Err(LineError::at(key, format!("number {n} is not finite")).into()),
            },
            Value::String(s) => Stored::Str(self.b.dicts.strings.intern(s, "strings")?),
            Value::Array(_) | Value::Object(_) => {
                return Err(LineError::at(
                    key,
                    format!(
                        "property {key:?} is {}; only strings, numbers and booleans are supported",
                        kind(v)
                    ),
                )
                .into())
            }
        };
        let k = self.b.dicts.keys.intern(key, "property keys")?;
        self.b.add_prop(k, stored);
        Ok(())
    }

    fn line(&mut self, text: &[u8]) -> Result<(), RowError> {
        let o = self.options;
        let obj: Map<String, Value> = serde_json::from_slice(text).map_err(|e| LineError {
            column: None,
            reason: format!("not a JSON object: {e}"),
        })?;
        let user_key = o.user_column.as_str();
        let user: std::borrow::Cow<'_, str> = match obj.get(user_key) {
            Some(Value::String(s)) if s.is_empty() => {
                return Err(LineError::at(user_key, "empty user id").into())
            }
            Some(Value::String(s)) => s.as_str().into(),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string().into(),
            Some(v) => {
                return Err(LineError::at(
                    user_key,
                    format!("user id must be a string or an integer, found {}", kind(v)),
                )
                .into())
            }
            None => return Err(missing(user_key).into()),
        };
        let time_key = o.time_column.as_str();
        let ts = match obj.get(time_key) {
            Some(Value::String(s)) => parse_timestamp(s.trim().as_bytes(), o.timestamp_format),
            Some(Value::Number(n)) => timestamp_from_number(n, o.timestamp_format),
            Some(v) => Err(format!(
                "timestamp must be a string or a number, found {}",
                kind(v)
            )),
            None => return Err(missing(time_key).into()),
        }
        .map_err(|r| LineError::at(time_key, r))?;
        let event_key = o.event_column.as_str();
        let name = match obj.get(event_key) {
            Some(Value::String(s)) if s.is_empty() => {
                return Err(LineError::at(event_key, "empty event name").into())
            }
            Some(Value::String(s)) => s.as_str(),
            Some(v) => {
                return Err(LineError::at(
                    event_key,
                    format!("event name must be a string, found {}", kind(v)),
                )
                .into())
            }
            None => return Err(missing(event_key).into()),
        };
        let revenue_key = o.revenue_column.as_deref();
        let revenue = match revenue_key.and_then(|k| obj.get(k).map(|v| (k, v))) {
            None | Some((_, Value::Null)) => None,
            Some((k, Value::Number(n))) => match n.as_f64().filter(|x| x.is_finite()) {
                Some(x) => Some(x),
                None => return Err(LineError::at(k, format!("revenue {n} is not finite")).into()),
            },
            Some((k, v)) => {
                return Err(LineError::at(
                    k,
                    format!("revenue must be a number or null, found {}", kind(v)),
                )
                .into())
            }
        };
        let props_key = o.properties_field.as_deref();
        self.b.clear_props();
        if o.extra_keys_as_properties {
            for (k, v) in &obj {
                let k = k.as_str();
                if k != user_key
                    && k != time_key
                    && k != event_key
                    && Some(k) != revenue_key
                    && Some(k) != props_key
                {
                    self.add_value(k, v)?;
                }
            }
        }
        if let Some(pk) = props_key {
            match obj.get(pk) {
                None | Some(Value::Null) => {}
                Some(Value::Object(m)) => {
                    for (k, v) in m {
                        self.add_value(k, v)?;
                    }
                }
                Some(v) => {
                    return Err(LineError::at(
                        pk,
                        format!("properties must be an object, found {}", kind(v)),
                    )
                    .into())
                }
            }
        }
        self.b.ensure_room()?;
        let props = self.b.finish_props()?;
        let u = self.b.dicts.users.intern(&user, "users")?;
        let n = self.b.dicts.names.intern(name, "event names")?;
        self.b.push_ids(u, ts, n, revenue, props);
        Ok(())
    }
}

fn read_into<R: BufRead>(
    mut reader: R,
    options: &ReadOptions,
    path: PathBuf,
    b: EventLogBuilder,
) -> Result<(EventLog, ReadReport)> {
    let mut lines = Lines { b, options };
    let mut report = ReadReport::default();
    let mut buf = Vec::with_capacity(256);
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| AnalyticsError::Io {
                op: OP,
                path: path.clone(),
                source,
            })?;
        if n == 0 {
            break;
        }
        report.lines += 1;
        let mut text = buf.as_slice();
        if report.lines == 1 {
            text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        }
        if text.trim_ascii().is_empty() {
            report.blank_lines += 1;
            continue;
        }
        match lines.line(text) {
            Ok(()) => report.events += 1,
            Err(RowError::Fatal(e)) => return Err(e),
            Err(RowError::Line(e)) => match options.mode {
                ReadMode::Strict => {
                    return Err(AnalyticsError::Parse {
                        op: OP,
                        line: report.lines,
                        column: e.column,
                        reason: e.reason,
                    })
                }
                ReadMode::Lenient => report.skipped.push(SkippedLine {
                    line: report.lines,
                    column: e.column,
                    reason: e.reason,
                }),
            },
        }
    }
    Ok((lines.b.build()?, report))
}
