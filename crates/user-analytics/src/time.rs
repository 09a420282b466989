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
