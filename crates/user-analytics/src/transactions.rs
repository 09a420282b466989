//! Purchase transactions, the input of segmentation (RFM) and customer-lifetime-value models,
//! and readers for them: CSV with named columns and the CDNOW purchase-log format.
//!
//! ```
//! use youshi_user_analytics::transactions::{parse_cdnow, Transaction};
//! use youshi_user_analytics::time::{days_from_civil, MS_PER_DAY};
//!
//! let log = " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n";
//! let tx: Vec<Transaction> = parse_cdnow(log.as_bytes())?;
//! assert_eq!(tx.len(), 2);
//! assert_eq!(tx[0].customer, "00004");
//! assert_eq!(tx[1].time, days_from_civil(1997, 1, 18) * MS_PER_DAY);
//! assert_eq!(tx[1].amount, 29.73);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{AnalyticsError, Result};
use crate::time::{checked_days_from_civil, Timestamp, MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE};

/// One purchase: who, when and how much.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// The customer's id.
    pub customer: String,
    /// When the purchase happened (milliseconds since the Unix epoch, UTC).
    pub time: Timestamp,
    /// The amount spent (a finite number; refunds may be negative).
    pub amount: f64,
}

impl Transaction {
    /// A transaction of `customer` at `time` for `amount`.
    pub fn new(customer: impl Into<String>, time: Timestamp, amount: f64) -> Self {
        Transaction {
            customer: customer.into(),
            time,
            amount,
        }
    }
}

/// Reads a CDNOW-format purchase log from `path` (see [`parse_cdnow`]).
///
/// # Errors
/// [`AnalyticsError::Io`] if the file cannot be read; [`AnalyticsError::Parse`] with the line
/// and column of the first malformed record.
pub fn read_cdnow(path: impl AsRef<Path>) -> Result<Vec<Transaction>> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| AnalyticsError::Io {
        op: "read CDNOW log",
        path: path.to_path_buf(),
        source,
    })?;
    parse_cdnow(file).map_err(|e| match e {
        AnalyticsError::Io { op, source, .. } => AnalyticsError::Io {
            op,
            path: path.to_path_buf(),
            source,
        },
        other => other,
    })
}

/// Parses a CDNOW-format purchase log: one record a line, five whitespace-separated columns
/// (customer id, sample id, date `yyyymmdd`, number of CDs, dollar value) and no header. Blank
/// lines are skipped. Each record becomes a [`Transaction`] at midnight UTC of its date whose
/// customer is the first column as written (`"00004"`); the sample id and CD count are checked
/// but not kept.
///
/// # Errors
/// [`AnalyticsError::Parse`] naming the line (from 1) and column of the first record that does
/// not have five columns, has an impossible date, a non-integer CD count or a non-finite dollar
/// value; [`AnalyticsError::Io`] if reading fails.
pub fn parse_cdnow(reader: impl Read) -> Result<Vec<Transaction>> {
    const OP: &str = "read CDNOW log";
    let mut out = Vec::new();
    let reader = BufReader::new(reader);
    for (i, line) in reader.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.map_err(|source| AnalyticsError::Io {
            op: OP,
            path: std::path::PathBuf::from("<input>"),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let parse_err = |column: &str, reason: String| AnalyticsError::Parse {
            op: OP,
            line: line_no,
            column: Some(column.to_string()),
            reason,
        };
        if fields.len() != 5 {
            return Err(AnalyticsError::Parse {
                op: OP,
                line: line_no,
                column: None,
                reason: format!(
                    "expected 5 whitespace-separated columns (customer id, sample id, date, CDs, \
                     dollars), found {}",
                    fields.len()
                ),
            });
        }
        let (customer, sample, date, cds, dollars) =
            (fields[0], fields[1], fields[2], fields[3], fields[4]);
        if sample.parse::<u64>().is_err() {
            return Err(parse_err(
                "sample id",
                format!("{sample:?} is not a whole number"),
            ));
        }
        let day = parse_yyyymmdd(date)
            .ok_or_else(|| parse_err("date", format!("{date:?} is not a valid yyyymmdd date")))?;
        if cds.parse::<u64>().is_err() {
            return Err(parse_err(
                "number of CDs",
                format!("{cds:?} is not a whole number"),
            ));
        }
        let amount = dollars
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| parse_err("dollar value", format!("{dollars:?} is not a number")))?;
        out.push(Transaction::new(customer, day * MS_PER_DAY, amount));
    }
    Ok(out)
}

/// Column names of a transactions CSV file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionColumns {
    /// The customer id column (default `"customer"`).
    pub customer: String,
    /// The time column (default `"time"`); see [`parse_timestamp`] for the accepted forms.
    pub time: String,
    /// The amount column (default `"amount"`).
    pub amount: String,
}

impl Default for TransactionColumns {
    fn default() -> Self {
        TransactionColumns {
            customer: "customer".into(),
            time: "time".into(),
            amount: "amount".into(),
        }
    }
}

/// Reads transactions from the CSV file at `path` (see [`parse_transactions_csv`]).
///
/// # Errors
/// [`AnalyticsError::Io`] if the file cannot be opened, and the errors of
/// [`parse_transactions_csv`].
pub fn read_transactions_csv(
    path: impl AsRef<Path>,
    columns: &TransactionColumns,
) -> Result<Vec<Transaction>> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| AnalyticsError::Io {
        op: "read transactions CSV",
        path: path.to_path_buf(),
        source,
    })?;
    parse_transactions_csv(file, columns)
}

/// Parses comma-separated transactions with a header row naming at least the three `columns`
/// (in any order; other columns are ignored). Times take any form [`parse_timestamp`] accepts;
/// amounts must be finite numbers.
///
/// # Errors
/// [`AnalyticsError::MissingColumn`] if the header lacks a column;
/// [`AnalyticsError::Parse`] with the line (from 1, the header being line 1) and column of the
/// first bad record (wrong field count, empty customer id, bad time or amount).
///
/// # Examples
/// ```
/// use youshi_user_analytics::transactions::{parse_transactions_csv, TransactionColumns};
/// let csv = "customer,time,amount\nalice,2024-03-01,12.5\nbob,2024-03-02T10:00:00Z,3\n";
/// let tx = parse_transactions_csv(csv.as_bytes(), &TransactionColumns::default())?;
/// assert_eq!(tx[1].customer, "bob");
/// assert_eq!(tx[0].amount, 12.5);
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn parse_transactions_csv(
    reader: impl Read,
    columns: &TransactionColumns,
) -> Result<Vec<Transaction>> {
    const OP: &str = "read transactions CSV";
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let csv_err = |line: u64, e: csv::Error| AnalyticsError::Parse {
        op: OP,
        line,
        column: None,
        reason: e.to_string(),
    };
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_err(1, e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| AnalyticsError::MissingColumn {
                op: OP,
                column: name.to_string(),
                available: header.clone(),
            })
    };
    let (ci, ti, ai) = (
        find(&columns.customer)?,
        find(&columns.time)?,
        find(&columns.amount)?,
    );
    let mut out = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            csv_err(line, e)
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let parse_err = |column: &str, reason: String| AnalyticsError::Parse {
            op: OP,
            line,
            column: Some(column.to_string()),
            reason,
        };
        if record.len() != header.len() {
            return Err(AnalyticsError::Parse {
                op: OP,
                line,
                column: None,
                reason: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    header.len()
                ),
            });
        }
        let customer = record.get(ci).unwrap_or("").trim();
        if customer.is_empty() {
            return Err(parse_err(&columns.customer, "empty customer id".into()));
        }
        let time_s = record.get(ti).unwrap_or("").trim();
        let time = parse_timestamp(time_s).ok_or_else(|| {
            parse_err(
                &columns.time,
                format!("{time_s:?} is not a date, date-time or millisecond timestamp"),
            )
        })?;
        let amount_s = record.get(ai).unwrap_or("").trim();
        let amount = amount_s
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| parse_err(&columns.amount, format!("{amount_s:?} is not a number")))?;
        out.push(Transaction::new(customer, time, amount));
    }
    Ok(out)
}

/// Parses a time as a [`Timestamp`]: an integer number of milliseconds since the epoch
/// (`"1700000000000"`), a date `yyyy-mm-dd` or `yyyymmdd` (midnight UTC), or an ISO 8601
/// date-time `yyyy-mm-ddThh:mm[:ss[.fff]]` with an optional `Z` or `±hh:mm` offset (a space may
/// replace the `T`; no offset means UTC). `None` if the text is none of these or names an
/// impossible date or time.
///
/// ```
/// use youshi_user_analytics::transactions::parse_timestamp;
/// assert_eq!(parse_timestamp("1970-01-02"), Some(86_400_000));
/// assert_eq!(parse_timestamp("19700102"), Some(86_400_000));
/// assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00"), Some(0));
/// assert_eq!(parse_timestamp("2023-02-29"), None);
/// ```
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if !s.is_ascii() {
        return None;
    }
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return parse_yyyymmdd(s).map(|d| d * MS_PER_DAY);
    }
    if !s.is_empty()
        && s.bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
    {
        return s.parse::<i64>().ok();
    }
    let date = s.get(..10)?;
    let b = date.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year: i32 = digits(&date[..4])?.try_into().ok()?;
    let month = digits(&date[5..7])? as u32;
    let day = digits(&date[8..10])? as u32;
    let days = checked_days_from_civil(year, month, day)?;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(days * MS_PER_DAY);
    }
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    // Split off the zone designator.
    let (clock, offset_ms) = if let Some(c) = rest.strip_suffix('Z') {
        (c, 0)
    } else if rest.len() > 6 && matches!(rest.as_bytes()[rest.len() - 6], b'+' | b'-') {
        let (c, z) = rest.split_at(rest.len() - 6);
        let zb = z.as_bytes();
        if zb[3] != b':' {
            return None;
        }
        let hours = digits(&z[1..3])? as i64;
        let minutes = digits(&z[4..6])? as i64;
        if hours > 23 || minutes > 59 {
            return None;
        }
        let sign = if zb[0] == b'-' { -1 } else { 1 };
        (c, sign * (hours * MS_PER_HOUR + minutes * MS_PER_MINUTE))
    } else {
        (rest, 0)
    };
    let (hm, sec) = match clock.len() {
        5 => (clock, None),
        n if n >= 8 => (clock.get(..5)?, Some(clock.get(6..)?)),
        _ => return None,
    };
    let hb = hm.as_bytes();
    if hb[2] != b':' || (sec.is_some() && clock.as_bytes()[5] != b':') {
        return None;
    }
    let hour = digits(&hm[..2])? as i64;
    let minute = digits(&hm[3..5])? as i64;
    let mut ms = 0i64;
    if let Some(sec) = sec {
        let (whole, frac) = match sec.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (sec, None),
        };
        if whole.len() != 2 {
            return None;
        }
        let seconds = digits(whole)? as i64;
        if seconds > 59 {
            return None;
        }
        ms += seconds * 1_000;
        if let Some(f) = frac {
            if f.is_empty() || f.len() > 9 {
                return None;
            }
            let f3: String = f.chars().chain("000".chars()).take(3).collect();
            digits(f)?;
            ms += digits(&f3)? as i64;
        }
    }
    if hour > 23 || minute > 59 {
        return None;
    }
    Some(days * MS_PER_DAY + hour * MS_PER_HOUR + minute * MS_PER_MINUTE + ms - offset_ms)
}

/// The value of an all-digit string.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Days since the epoch of a `yyyymmdd` date.
fn parse_yyyymmdd(s: &str) -> Option<i64> {
    if s.len() != 8 {
        return None;
    }
    let year: i32 = digits(&s[..4])?.try_into().ok()?;
    let month = digits(&s[4..6])? as u32;
    let day = digits(&s[6..8])? as u32;
    checked_days_from_civil(year, month, day)
}

/// The purchases in an event log: one [`Transaction`] per event named `event_name` that
/// carries revenue, with the event's user, timestamp and revenue, in user then time order.
/// Events of that name without revenue are skipped.
///
/// # Errors
/// [`AnalyticsError::Empty`] when the log holds no `event_name` event with revenue (naming
/// how many such events lack it).
///
/// # Examples
/// ```
/// use youshi_user_analytics::event::{Event, EventLog};
/// use youshi_user_analytics::transactions::from_event_log;
/// let log = EventLog::from_events([
///     Event::new("a", 5, "purchase").with_revenue(9.5),
///     Event::new("a", 7, "view"),
///     Event::new("b", 3, "purchase").with_revenue(20.0),
/// ])?;
/// let tx = from_event_log(&log, "purchase")?;
/// assert_eq!(tx.len(), 2);
/// assert_eq!((tx[0].customer.as_str(), tx[0].time, tx[0].amount), ("a", 5, 9.5));
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn from_event_log(log: &crate::event::EventLog, event_name: &str) -> Result<Vec<Transaction>> {
    let op = "transactions from event log";
    let mut out = Vec::new();
    let mut without_revenue = 0usize;
    if let Some(id) = log.name_id(event_name) {
        for u in log.users() {
            for e in log.user_events(u).filter(|e| e.name_id() == id) {
                match e.revenue() {
                    Some(amount) => out.push(Transaction::new(e.user(), e.timestamp(), amount)),
                    None => without_revenue += 1,
                }
            }
        }
    }
    if out.is_empty() {
        return Err(AnalyticsError::empty(
            op,
            format!(
                "no {event_name:?} event with revenue in {} events ({without_revenue} {event_name:?} \
                 events without revenue)",
                log.len()
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::days_from_civil;

    #[test]
    fn from_event_log_keeps_purchases_with_revenue() {
        use crate::event::{Event, EventLog};
        let log = EventLog::from_events([
            Event::new("b", 30, "purchase").with_revenue(2.0),
            Event::new("a", 20, "purchase"),
            Event::new("a", 10, "purchase").with_revenue(1.5),
            Event::new("b", 10, "purchase").with_revenue(3.0),
            Event::new("a", 5, "view").with_revenue(99.0),
        ])
        .unwrap();
        let tx = from_event_log(&log, "purchase").unwrap();
        let got: Vec<(&str, i64, f64)> = tx
            .iter()
            .map(|t| (t.customer.as_str(), t.time, t.amount))
            .collect();
        // Users in first-seen order ("b" first), each in time order.
        assert_eq!(got, [("b", 10, 3.0), ("b", 30, 2.0), ("a", 10, 1.5)]);
        let err = from_event_log(&log, "refund").unwrap_err();
        assert!(
            err.to_string()
                .contains(r#"no "refund" event with revenue in 5 events"#),
            "{err}"
        );
        let only_missing = EventLog::from_events([Event::new("a", 1, "purchase")]).unwrap();
        let err = from_event_log(&only_missing, "purchase").unwrap_err();
        assert!(
            err.to_string()
                .contains(r#"(1 "purchase" events without revenue)"#),
            "{err}"
        );
    }

    #[test]
    fn cdnow_rejects_bad_records_with_line_and_column() {
        let bad = " 00004 0001 19970101  2   29.33\n\n 00004 0001 19970231  2   29.73\n";
        let err = parse_cdnow(bad.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("\"date\""), "{err}");
        assert!(err.contains("19970231"), "{err}");

        let err = parse_cdnow(" 1 2 19970101 2\n".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1") && err.contains("found 4"), "{err}");
        let err = parse_cdnow(" 1 2 19970101 x 3.0\n".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("number of CDs"), "{err}");
        let err = parse_cdnow(" 1 2 19970101 1 NaN\n".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("dollar value") && err.contains("NaN"), "{err}");
        let err = parse_cdnow(" 1 s 19970101 1 1\n".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("sample id"), "{err}");
    }

    #[test]
    fn read_cdnow_reports_missing_file() {
        let err = read_cdnow("/nonexistent/cdnow.txt")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("read CDNOW log") && err.contains("/nonexistent/cdnow.txt"),
            "{err}"
        );
    }

    #[test]
    fn read_csv_reports_missing_file() {
        let err = read_transactions_csv("/nonexistent/tx.csv", &TransactionColumns::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("read transactions CSV") && err.contains("/nonexistent/tx.csv"),
            "{err}"
        );
    }

    #[test]
    fn csv_reads_columns_in_any_order() {
        let csv = "amount,extra,customer,time\n1.5,x,a,2024-01-02\n-2,y,b,1700000000000\n";
        let tx = parse_transactions_csv(csv.as_bytes(), &TransactionColumns::default()).unwrap();
        assert_eq!(
            tx,
            vec![
                Transaction::new("a", days_from_civil(2024, 1, 2) * MS_PER_DAY, 1.5),
                Transaction::new("b", 1_700_000_000_000, -2.0),
            ]
        );
    }

    #[test]
    fn csv_errors_name_line_and_column() {
        let cols = TransactionColumns::default();
        let err = parse_transactions_csv("customer,time\na,2024-01-01\n".as_bytes(), &cols)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no column \"amount\""), "{err}");
        let err = parse_transactions_csv(
            "customer,time,amount\na,2024-01-01,1\nb,2024-13-01,2\n".as_bytes(),
            &cols,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("line 3") && err.contains("\"time\"") && err.contains("2024-13-01"),
            "{err}"
        );
        let err =
            parse_transactions_csv("customer,time,amount\na,2024-01-01,abc\n".as_bytes(), &cols)
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("line 2") && err.contains("\"amount\""),
            "{err}"
        );
        let err = parse_transactions_csv("customer,time,amount\n,2024-01-01,1\n".as_bytes(), &cols)
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty customer id"), "{err}");
        let err = parse_transactions_csv("customer,time,amount\na,2024-01-01\n".as_bytes(), &cols)
            .unwrap_err()
            .to_string();
        assert!(err.contains("2 fields where the header has 3"), "{err}");
    }

    #[test]
    fn timestamps_in_every_accepted_form() {
        let day = days_from_civil(2024, 2, 29) * MS_PER_DAY;
        assert_eq!(parse_timestamp("2024-02-29"), Some(day));
        assert_eq!(parse_timestamp("20240229"), Some(day));
        assert_eq!(
            parse_timestamp("2024-02-29T13:45"),
            Some(day + 13 * MS_PER_HOUR + 45 * MS_PER_MINUTE)
        );
        assert_eq!(
            parse_timestamp("2024-02-29 13:45:07.25Z"),
            Some(day + 13 * MS_PER_HOUR + 45 * MS_PER_MINUTE + 7_250)
        );
        assert_eq!(
            parse_timestamp("2024-02-29T00:30:00-01:30"),
            Some(day + 2 * MS_PER_HOUR)
        );
        assert_eq!(parse_timestamp("-5"), Some(-5));
        for bad in [
            "",
            "2024-02-30",
            "2024/02/29",
            "2024-02-29T24:00",
            "2024-02-29T10:61:00",
            "2024-02-29T10:00:00+25:00",
            "2024-02-29X10:00",
            "2024-02-29T10:00:00.",
            "tomorrow",
            "2024-02-29T10:00:00é",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
