//! Streaming readers of event logs from CSV and JSON Lines.
//!
//! ```
//! use youshi_user_analytics::read::{read_csv, ReadMode, ReadOptions};
//! let text = "user_id,timestamp,event,revenue,platform\n\
//!             u1,2024-01-01T10:00:00Z,signup,,ios\n\
//!             u1,2024-01-01T10:05:00Z,purchase,9.99,ios\n\
//!             u2,not a time,signup,,web\n";
//! let options = ReadOptions::default().with_mode(ReadMode::Lenient);
//! let (log, report) = read_csv(text.as_bytes(), &options)?;
//! assert_eq!((log.len(), report.events), (2, 2));
//! assert_eq!(report.skipped[0].line, 4);
//! assert_eq!(
//!     report.skipped[0].reason,
//!     "bad timestamp \"not a time\": expected an RFC 3339 date-time or a decimal epoch number"
//! );
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```
//!
//! # Columns
//! The user id, timestamp and event-name columns are required and named by [`ReadOptions`]
//! (`user_id`, `timestamp`, `event` by default); they may appear in any order. The revenue
//! column (`revenue` by default) is optional: when the input has it, an empty CSV field or a
//! JSON `null` (or a missing key) means no revenue and anything else must be a finite number.
//!
//! *CSV.* Every other column is a property ([`PropertyColumns::Rest`]), or only the listed
//! ones ([`PropertyColumns::Only`], each of which must exist), or none. An empty field means
//! the event does not have that property. With [`ReadOptions::infer_property_types`] (the
//! default) a field `true` or `false` becomes a boolean, a field that parses as a finite
//! number becomes a number, and anything else a string; quoting does not change this.
//!
//! *JSON Lines.* Each non-blank line is one JSON object. Its properties are the entries of the
//! object under [`ReadOptions::properties_field`] (`properties` by default) and, with
//! [`ReadOptions::extra_keys_as_properties`] (the default), every other top-level key; when a
//! key is in both, the nested object's value wins. A property that is `null` is absent; a
//! nested array or object is an error. A user id may be a string or an integer.
//!
//! # Threads
//! The CSV reader cuts the input into blocks of whole lines. One worker thread per core (at
//! most four) parses each block, checks its records and interns them with dictionaries of
//! its own; the blocks are merged back in input order, so the log, the line numbers and the
//! report are those of a sequential read. From the first block holding a quote character on
//! (a quoted field may hold a line end), the calling thread parses the records and the
//! workers only check and intern them. The JSON Lines reader runs on the calling thread.
//!
//! # Line ends
//! Lines end with `\n` or `\r\n` (a lone `\r` does not end a line). A CSV line that is
//! empty or holds only a `\r` is blank: it holds no event and counts in
//! [`ReadReport::blank_lines`].
//!
//! # Timestamps
//! See [`TimestampFormat`]. A timestamp must lie in the years 0000–9999.
//!
//! # Bad lines
//! In [`ReadMode::Strict`] the first bad line stops the read with
//! [`AnalyticsError::Parse`](crate::AnalyticsError::Parse) naming its line number (from 1,
//! counting the header), the column and the reason. In [`ReadMode::Lenient`] bad lines are
//! skipped and each is listed in the [`ReadReport`]; nothing is dropped without a record.
//! A line is bad when it has the wrong number of fields (CSV), is not a JSON object (JSON
//! Lines), is not UTF-8, or has an empty or missing user id or event name, a missing or
//! unparsable timestamp, a revenue that is not a finite number, or an unsupported property.
//! Blank lines hold no event (see *Line ends*).

mod csv;
mod jsonl;

use serde::{Deserialize, Serialize};

pub use self::csv::{read_csv, read_csv_file};
pub use self::jsonl::{read_jsonl, read_jsonl_file};

use crate::event::Stored;
use crate::time::{parse_rfc3339_bytes, Timestamp, MS_PER_SECOND};

/// How timestamps are written in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TimestampFormat {
    /// RFC 3339 when the text looks like a date (`YYYY-…`), else a number: epoch seconds when
    /// its absolute value is below 10^11 (before the year 5138), epoch milliseconds otherwise
    /// (from March 1973). Name the unit explicitly when the data may hold older millisecond
    /// timestamps.
    #[default]
    Auto,
    /// RFC 3339 (see [`parse_rfc3339`](crate::time::parse_rfc3339)).
    Rfc3339,
    /// Seconds since the epoch, optionally with a decimal fraction (truncated to ms).
    EpochSeconds,
    /// Milliseconds since the epoch, optionally with a decimal fraction (truncated).
    EpochMillis,
}

/// What to do with a bad line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ReadMode {
    /// Stop at the first bad line with its line number and reason.
    #[default]
    Strict,
    /// Skip bad lines, listing each in the [`ReadReport`].
    Lenient,
}

/// Which CSV columns become event properties.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PropertyColumns {
    /// Every column other than the user, timestamp, event and revenue columns.
    #[default]
    Rest,
    /// Only these columns (each must exist in the header).
    Only(Vec<String>),
    /// No properties.
    None,
}

/// Options of the CSV and JSON Lines readers (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadOptions {
    /// The user-id column (`"user_id"`).
    pub user_column: String,
    /// The timestamp column (`"timestamp"`).
    pub time_column: String,
    /// The event-name column (`"event"`).
    pub event_column: String,
    /// The optional revenue column (`Some("revenue")`); `None` reads no revenue.
    pub revenue_column: Option<String>,
    /// How timestamps are written.
    pub timestamp_format: TimestampFormat,
    /// Strict or lenient handling of bad lines.
    pub mode: ReadMode,
    /// CSV: which columns are properties.
    pub property_columns: PropertyColumns,
    /// CSV: type property values (`true`/`false`, numbers) or keep them all as strings.
    pub infer_property_types: bool,
    /// JSON Lines: the key of the nested properties object (`Some("properties")`).
    pub properties_field: Option<String>,
    /// JSON Lines: whether other top-level keys become properties (`true`).
    pub extra_keys_as_properties: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            user_column: "user_id".into(),
            time_column: "timestamp".into(),
            event_column: "event".into(),
            revenue_column: Some("revenue".into()),
            timestamp_format: TimestampFormat::Auto,
            mode: ReadMode::Strict,
            property_columns: PropertyColumns::Rest,
            infer_property_types: true,
            properties_field: Some("properties".into()),
            extra_keys_as_properties: true,
        }
    }
}

impl ReadOptions {
    /// The options with these user, timestamp and event column names.
    pub fn with_columns(mut self, user: &str, time: &str, event: &str) -> Self {
        self.user_column = user.into();
        self.time_column = time.into();
        self.event_column = event.into();
        self
    }

    /// The options with this revenue column (`None` for no revenue).
    pub fn with_revenue_column(mut self, revenue: Option<&str>) -> Self {
        self.revenue_column = revenue.map(Into::into);
        self
    }

    /// The options with this timestamp format.
    pub fn with_timestamp_format(mut self, format: TimestampFormat) -> Self {
        self.timestamp_format = format;
        self
    }

    /// The options with this mode.
    pub fn with_mode(mut self, mode: ReadMode) -> Self {
        self.mode = mode;
        self
    }

    /// The options with these CSV property columns.
    pub fn with_property_columns(mut self, columns: PropertyColumns) -> Self {
        self.property_columns = columns;
        self
    }
}

/// A line that was skipped in lenient mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedLine {
    /// The line number, from 1 (the CSV header is line 1).
    pub line: u64,
    /// The column or key at fault, when there is one.
    pub column: Option<String>,
    /// Why the line was skipped.
    pub reason: String,
}

/// What a read did: lines seen, events kept, and every skipped line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReadReport {
    /// Lines read: for CSV the header, the data records (a record may span lines inside
    /// quotes) and the blank lines that hold a `\r` (the parser skips empty ones), for JSON
    /// Lines every line, blank ones included.
    pub lines: u64,
    /// Events added to the log.
    pub events: u64,
    /// Blank lines (no event, not an error).
    pub blank_lines: u64,
    /// The skipped lines, in input order (always empty in strict mode).
    pub skipped: Vec<SkippedLine>,
}

/// A problem in one line: the column and the reason.
#[derive(Debug)]
pub(crate) struct LineError {
    pub(crate) column: Option<String>,
    pub(crate) reason: String,
}

impl LineError {
    pub(crate) fn at(column: &str, reason: impl Into<String>) -> Self {
        LineError {
            column: Some(column.to_string()),
            reason: reason.into(),
        }
    }
}

/// The earliest and latest accepted timestamps: 0000-01-01 and 9999-12-31T23:59:59.999.
const MIN_TS: Timestamp = -62_167_219_200_000;
const MAX_TS: Timestamp = 253_402_300_799_999;

fn check_range(ts: Timestamp) -> Result<Timestamp, String> {
    if (MIN_TS..=MAX_TS).contains(&ts) {
        Ok(ts)
    } else {
        Err(format!("timestamp {ts} ms is outside the years 0000-9999"))
    }
}

/// Parses a decimal number `[-]digits[.digits]` into (negative, integer part, first three
/// fraction digits as thousandths).
fn parse_decimal(b: &[u8]) -> Option<(bool, i64, i64)> {
    let (neg, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let (int, frac) = match rest.iter().position(|&c| c == b'.') {
        Some(p) => (&rest[..p], Some(&rest[p + 1..])),
        None => (rest, None),
    };
    if int.is_empty() || int.len() > 15 || !int.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v = 0i64;
    for &c in int {
        v = v * 10 + i64::from(c - b'0');
    }
    let mut thousandths = 0i64;
    if let Some(f) = frac {
        if f.is_empty() || !f.iter().all(u8::is_ascii_digit) {
            return None;
        }
        for i in 0..3 {
            thousandths = thousandths * 10 + f.get(i).map_or(0, |&c| i64::from(c - b'0'));
        }
    }
    Some((neg, v, thousandths))
}

fn epoch(b: &[u8], seconds: Option<bool>) -> Result<Timestamp, String> {
    let (neg, int, thousandths) = parse_decimal(b)
        .ok_or_else(|| "expected an RFC 3339 date-time or a decimal epoch number".to_string())?;
    let seconds = seconds.unwrap_or(int < 100_000_000_000);
    let ms = if seconds {
        int * MS_PER_SECOND + thousandths
    } else {
        int
    };
    check_range(if neg { -ms } else { ms })
}

/// Parses a timestamp field (already trimmed) in `format`.
pub(crate) fn parse_timestamp(b: &[u8], format: TimestampFormat) -> Result<Timestamp, String> {
    if b.is_empty() {
        return Err("empty timestamp".into());
    }
    match format {
        TimestampFormat::Rfc3339 => parse_rfc3339_bytes(b).map_err(str::to_string),
        TimestampFormat::EpochSeconds => epoch(b, Some(true)),
        TimestampFormat::EpochMillis => epoch(b, Some(false)),
        TimestampFormat::Auto => {
            if b.len() > 4 && b[4] == b'-' {
                parse_rfc3339_bytes(b).map_err(str::to_string)
            } else {
                epoch(b, None)
            }
        }
    }
    .map_err(|reason| format!("bad timestamp {:?}: {reason}", String::from_utf8_lossy(b)))
}

/// A timestamp given as a JSON number.
pub(crate) fn timestamp_from_number(
    n: &serde_json::Number,
    format: TimestampFormat,
) -> Result<Timestamp, String> {
    if format == TimestampFormat::Rfc3339 {
        return Err(format!("expected an RFC 3339 string, found the number {n}"));
    }
    let x = n
        .as_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("the number {n} is not a usable timestamp"))?;
    let seconds = match format {
        TimestampFormat::EpochSeconds => true,
        TimestampFormat::EpochMillis => false,
        _ => x.abs() < 1e11,
    };
    if let Some(i) = n.as_i64() {
        let ms = if seconds {
            i.checked_mul(MS_PER_SECOND).unwrap_or(i64::MAX)
        } else {
            i
        };
        return check_range(ms);
    }
    let ms = if seconds { x * 1e3 } else { x };
    if !(MIN_TS as f64..=MAX_TS as f64).contains(&ms) {
        return Err(format!("timestamp {n} is outside the years 0000-9999"));
    }
    Ok(ms.trunc() as Timestamp)
}

/// A CSV property field's typed value; strings are interned by the caller (`None` here).
pub(crate) fn infer_scalar(s: &str) -> Option<Stored> {
    match s {
        "true" => return Some(Stored::Bool(true)),
        "false" => return Some(Stored::Bool(false)),
        _ => {}
    }
    let first = *s.as_bytes().first()?;
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        if let Ok(x) = s.parse::<f64>() {
            if x.is_finite() {
                return Some(Stored::Num(x.to_bits()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_units_and_auto_threshold() {
        let f = |s: &str, fmt| parse_timestamp(s.as_bytes(), fmt);
        assert_eq!(
            f("1700000000", TimestampFormat::Auto),
            Ok(1_700_000_000_000)
        );
        assert_eq!(
            f("1700000000.25", TimestampFormat::Auto),
            Ok(1_700_000_000_250)
        );
        assert_eq!(
            f("1700000000000", TimestampFormat::Auto),
            Ok(1_700_000_000_000)
        );
        assert_eq!(
            f("99999999999", TimestampFormat::Auto),
            Ok(99_999_999_999_000)
        );
        assert_eq!(
            f("100000000000", TimestampFormat::Auto),
            Ok(100_000_000_000)
        );
        assert_eq!(f("-1.5", TimestampFormat::EpochSeconds), Ok(-1_500));
        assert_eq!(f("1500", TimestampFormat::EpochMillis), Ok(1_500));
        assert_eq!(f("1500.9", TimestampFormat::EpochMillis), Ok(1_500));
        assert_eq!(f("1970-01-01T00:00:01Z", TimestampFormat::Auto), Ok(1_000));
        assert!(f("1700000000", TimestampFormat::Rfc3339).is_err());
        assert!(f("1e9", TimestampFormat::Auto)
            .unwrap_err()
            .contains("decimal epoch"));
        assert!(f("", TimestampFormat::Auto).unwrap_err().contains("empty"));
        assert!(f("99999999999999999", TimestampFormat::EpochSeconds).is_err());
        assert!(f("9999999999999", TimestampFormat::EpochSeconds)
            .unwrap_err()
            .contains("outside the years"));
        let n = |s: &str| serde_json::from_str::<serde_json::Number>(s).unwrap();
        assert_eq!(
            timestamp_from_number(&n("1700000000"), TimestampFormat::Auto),
            Ok(1_700_000_000_000)
        );
        assert_eq!(
            timestamp_from_number(&n("1.5"), TimestampFormat::EpochSeconds),
            Ok(1_500)
        );
        assert!(timestamp_from_number(&n("1"), TimestampFormat::Rfc3339).is_err());
        assert!(timestamp_from_number(&n("1e300"), TimestampFormat::Auto).is_err());
    }

    #[test]
    fn scalar_inference() {
        assert_eq!(infer_scalar("true"), Some(Stored::Bool(true)));
        assert_eq!(infer_scalar("-2.5"), Some(Stored::Num((-2.5f64).to_bits())));
        assert_eq!(infer_scalar("NaN"), None);
        assert_eq!(infer_scalar("-inf"), None);
        assert_eq!(infer_scalar("FR"), None);
        assert_eq!(infer_scalar(""), None);
    }
}
