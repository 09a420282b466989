//! Calendar arithmetic on UTC timestamps: days since the Unix epoch and civil dates, with no
//! time-zone database (offsets are fixed numbers of seconds).
//!
//! Timestamps throughout the crate are [`Timestamp`]s: milliseconds since 1970-01-01T00:00:00Z.
//!
//! ```
//! use youshi_user_analytics::time::{civil_from_days, days_from_civil, MS_PER_DAY};
//! let day = days_from_civil(1997, 9, 30);
//! assert_eq!(civil_from_days(day), (1997, 9, 30));
//! assert_eq!(days_from_civil(1970, 1, 1), 0);
//! assert_eq!(MS_PER_DAY, 86_400_000);
//! ```

/// Milliseconds since 1970-01-01T00:00:00Z (UTC).
pub type Timestamp = i64;

/// Milliseconds in a second.
pub const MS_PER_SECOND: i64 = 1_000;
/// Milliseconds in a minute.
pub const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
/// Milliseconds in an hour.
pub const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
/// Milliseconds in a day.
pub const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;
/// Milliseconds in a week.
pub const MS_PER_WEEK: i64 = 7 * MS_PER_DAY;

/// Days since 1970-01-01 of the proleptic Gregorian date `year-month-day` (month and day from
/// 1; not validated: use [`checked_days_from_civil`] for user input).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// [`days_from_civil`] for a valid date only: `None` if the month is not 1–12 or the day does not
/// exist in that month.
pub fn checked_days_from_civil(year: i32, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// The civil date `(year, month, day)` of `days` since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// Whether `year` is a leap year in the Gregorian calendar.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days in `month` (1–12) of `year`; 0 for an invalid month.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// The day (days since 1970-01-01) that holds `ts` in a zone `offset_seconds` east of UTC
/// (timestamps within a day of `i64`'s range saturate).
pub fn day_of(ts: Timestamp, offset_seconds: i32) -> i64 {
    ts.saturating_add(i64::from(offset_seconds) * MS_PER_SECOND)
        .div_euclid(MS_PER_DAY)
}

/// The weekday of `days` since 1970-01-01, 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
pub fn weekday(days: i64) -> u32 {
    (days + 3).rem_euclid(7) as u32
}

/// `days` since 1970-01-01 as `YYYY-MM-DD`.
pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `ts` as an RFC 3339 UTC timestamp with milliseconds, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
///
/// ```
/// use youshi_user_analytics::time::{format_rfc3339, parse_rfc3339};
/// let ts = parse_rfc3339("2024-02-29T23:59:59.5+01:00")?;
/// assert_eq!(format_rfc3339(ts), "2024-02-29T22:59:59.500Z");
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn format_rfc3339(ts: Timestamp) -> String {
    let days = ts.div_euclid(MS_PER_DAY);
    let ms = ts.rem_euclid(MS_PER_DAY);
    let (h, mi, s, milli) = (
        ms / MS_PER_HOUR,
        ms % MS_PER_HOUR / MS_PER_MINUTE,
        ms % MS_PER_MINUTE / MS_PER_SECOND,
        ms % MS_PER_SECOND,
    );
    format!("{}T{h:02}:{mi:02}:{s:02}.{milli:03}Z", format_date(days))
}

/// Parses an RFC 3339 date-time, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, into a UTC
/// [`Timestamp`].
///
/// Rules, following RFC 3339 §5.6: the separator may be `T`, `t` or a space, the zone `Z`, `z`
/// or a numeric offset, which is required. Digits beyond milliseconds are truncated (toward the
/// past). A leap second (`:60`) is accepted and counted as the last millisecond of that minute
/// (`:59.999`), so it sorts after `:59` and before the next minute. Dates are checked (no
/// February 30th); years run from 0000 to 9999.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`](crate::AnalyticsError::InvalidArgument) naming the text
/// and what is wrong with it.
///
/// # Examples
/// ```
/// use youshi_user_analytics::time::{parse_rfc3339, MS_PER_HOUR};
/// assert_eq!(parse_rfc3339("1970-01-01T01:00:00Z")?, MS_PER_HOUR);
/// assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00")?, 0);
/// assert!(parse_rfc3339("1970-02-30T00:00:00Z").is_err());
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn parse_rfc3339(text: &str) -> crate::Result<Timestamp> {
    parse_rfc3339_bytes(text.as_bytes()).map_err(|reason| {
        crate::AnalyticsError::invalid("parse RFC 3339 timestamp", format!("{text:?}: {reason}"))
    })
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let mut v = 0u32;
    for &c in b.get(at..at + n)? {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn expect_byte(b: &[u8], at: usize, want: u8, what: &'static str) -> Result<(), &'static str> {
    match b.get(at) {
        Some(&c) if c == want => Ok(()),
        _ => Err(what),
    }
}

/// The byte-level RFC 3339 parser behind [`parse_rfc3339`]; the error is the reason alone.
pub(crate) fn parse_rfc3339_bytes(b: &[u8]) -> Result<Timestamp, &'static str> {
    let year = digits(b, 0, 4).ok_or("expected a four-digit year")?;
    expect_byte(b, 4, b'-', "expected '-' after the year")?;
    let month = digits(b, 5, 2).ok_or("expected a two-digit month")?;
    expect_byte(b, 7, b'-', "expected '-' after the month")?;
    let day = digits(b, 8, 2).ok_or("expected a two-digit day")?;
    match b.get(10) {
        Some(b'T' | b't' | b' ') => {}
        _ => return Err("expected 'T' between the date and the time"),
    }
    let hour = digits(b, 11, 2).ok_or("expected a two-digit hour")?;
    expect_byte(b, 13, b':', "expected ':' after the hour")?;
    let minute = digits(b, 14, 2).ok_or("expected two-digit minutes")?;
    expect_byte(b, 16, b':', "expected ':' after the minutes")?;
    let second = digits(b, 17, 2).ok_or("expected two-digit seconds")?;
    let mut at = 19;
    let mut millis = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while let Some(c) = b.get(at).filter(|c| c.is_ascii_digit()) {
            if at - start < 3 {
                millis = millis * 10 + i64::from(c - b'0');
            }
            at += 1;
        }
        match at - start {
            0 => return Err("expected digits after the decimal point"),
            1 => millis *= 100,
            2 => millis *= 10,
            _ => {}
        }
    }
    let offset_minutes: i64 = match b.get(at) {
        Some(b'Z' | b'z') => {
            at += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, at + 1, 2).ok_or("expected a two-digit offset hour")?;
            expect_byte(b, at + 3, b':', "expected ':' in the offset")?;
            let om = digits(b, at + 4, 2).ok_or("expected two-digit offset minutes")?;
            if oh > 23 || om > 59 {
                return Err("offset out of range");
            }
            at += 6;
            let m = i64::from(oh * 60 + om);
            if sign == b'-' {
                -m
            } else {
                m
            }
        }
        _ => return Err("expected 'Z' or a numeric offset such as +01:00"),
    };
    if at != b.len() {
        return Err("unexpected text after the time zone");
    }
    let days = checked_days_from_civil(year as i32, month, day).ok_or("no such date")?;
    if hour > 23 || minute > 59 || second > 60 {
        return Err("time of day out of range");
    }
    let (second, millis) = if second == 60 {
        (59, 999)
    } else {
        (second, millis)
    };
    let ms = days * MS_PER_DAY
        + i64::from(hour) * MS_PER_HOUR
        + i64::from(minute) * MS_PER_MINUTE
        + i64::from(second) * MS_PER_SECOND
        + millis
        - offset_minutes * MS_PER_MINUTE;
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        for d in days_from_civil(1900, 1, 1)..days_from_civil(2300, 1, 1) {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(checked_days_from_civil(y, m, dd), Some(d));
        }
    }

    #[test]
    fn rfc3339_accepts_the_rfc_forms() {
        let base = parse_rfc3339_bytes(b"2024-03-01T12:34:56Z").unwrap();
        assert_eq!(base, days_from_civil(2024, 3, 1) * MS_PER_DAY + 45_296_000);
        assert_eq!(parse_rfc3339_bytes(b"2024-03-01t12:34:56z"), Ok(base));
        assert_eq!(parse_rfc3339_bytes(b"2024-03-01 12:34:56+00:00"), Ok(base));
        assert_eq!(
            parse_rfc3339_bytes(b"2024-03-01T12:34:56.7Z"),
            Ok(base + 700)
        );
        assert_eq!(
            parse_rfc3339_bytes(b"2024-03-01T12:34:56.78Z"),
            Ok(base + 780)
        );
        assert_eq!(
            parse_rfc3339_bytes(b"2024-03-01T12:34:56.789999Z"),
            Ok(base + 789)
        );
        assert_eq!(parse_rfc3339_bytes(b"2024-03-01T13:34:56+01:00"), Ok(base));
        assert_eq!(parse_rfc3339_bytes(b"2024-03-01T12:04:56-00:30"), Ok(base));
        assert_eq!(parse_rfc3339_bytes(b"1969-12-31T23:59:59.999Z"), Ok(-1));
        assert_eq!(
            parse_rfc3339_bytes(b"2016-12-31T23:59:60Z"),
            Ok(days_from_civil(2017, 1, 1) * MS_PER_DAY - 1)
        );
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_date(0), "1970-01-01");
    }

    #[test]
    fn rfc3339_rejects_with_reasons() {
        for (text, reason) in [
            ("", "four-digit year"),
            ("2024-3-01T00:00:00Z", "two-digit month"),
            ("2024-02-30T00:00:00Z", "no such date"),
            ("2024-01-01", "'T'"),
            ("2024-01-01T24:00:00Z", "out of range"),
            ("2024-01-01T00:00:00", "'Z' or a numeric offset"),
            ("2024-01-01T00:00:00.Z", "digits after the decimal point"),
            ("2024-01-01T00:00:00+0100", "':' in the offset"),
            ("2024-01-01T00:00:00Zjunk", "unexpected text"),
            ("2024-01-01T00:00:00+24:00", "offset out of range"),
        ] {
            let err = parse_rfc3339(text).unwrap_err().to_string();
            assert!(err.contains(reason), "{text:?}: {err}");
            assert!(err.contains("parse RFC 3339 timestamp"), "{err}");
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(weekday(days_from_civil(2026, 11, 28)), 5);
        assert_eq!(checked_days_from_civil(2023, 2, 29), None);
        assert_eq!(checked_days_from_civil(2024, 2, 29), Some(19_782));
        assert_eq!(checked_days_from_civil(2024, 13, 1), None);
        assert_eq!(day_of(-1, 0), -1);
        assert_eq!(day_of(23 * MS_PER_HOUR, 3600), 1);
    }
}
