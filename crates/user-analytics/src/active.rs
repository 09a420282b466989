//! Active users: DAU, WAU and MAU over trailing windows, stickiness, and how many days each
//! user was active.
//!
//! ```
//! use youshi_user_analytics::active::{active_users, ActiveOptions};
//! use youshi_user_analytics::event::{Event, EventLog};
//! use youshi_user_analytics::time::MS_PER_DAY as DAY;
//! let log = EventLog::from_events([
//!     Event::new("a", 0, "open"),
//!     Event::new("a", 2 * DAY, "open"),
//!     Event::new("b", 2 * DAY + 5, "open"),
//! ])?;
//! let options = ActiveOptions::default().with_windows(2, 3);
//! let report = active_users(&log, &options)?;
//! let dau: Vec<u64> = report.days.iter().map(|d| d.dau).collect();
//! let wau: Vec<u64> = report.days.iter().map(|d| d.wau).collect();
//! assert_eq!((dau, wau), (vec![1, 0, 2], vec![1, 1, 2]));
//! assert_eq!(report.days[2].mau, 2);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```
//!
//! # Rules
//! - Days are calendar days in a fixed UTC offset ([`ActiveOptions::offset_seconds`]). A user
//!   is active on a day when they have at least one counted event ([`ActiveOptions::filter`],
//!   any event by default) on it.
//! - The report covers every day from the first to the last day with a counted event (in the
//!   range, if one is given). For day `d`, DAU counts users active on `d`; WAU users active on
//!   at least one of the `week_days` days ending with `d`; MAU the same over `month_days`.
//! - A day whose month window reaches before the first reported day is marked
//!   `complete = false`: its WAU/MAU only see part of their window.
//! - Stickiness on day `d` is the mean DAU over the `month_days` days ending with `d` divided
//!   by MAU on `d` (days before the first reported day are left out of the mean). The summary
//!   `stickiness` averages it over complete days.
//! - The histogram counts users by their number of active days in the reported span.

use serde::{Deserialize, Serialize};

use crate::event::EventLog;
use crate::filter::{check_offset, EventFilter, TimeRange};
use crate::time::{day_of, format_date};
use crate::{AnalyticsError, Result};

const OP: &str = "active users";

/// Options of [`active_users`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveOptions {
    /// The day boundary: seconds east of UTC (0).
    pub offset_seconds: i32,
    /// Length of the WAU window in days (7).
    pub week_days: u32,
    /// Length of the MAU window in days (30).
    pub month_days: u32,
    /// Which events make a user active (any).
    pub filter: EventFilter,
    /// Only events in this range (all when `None`).
    pub range: Option<TimeRange>,
}

impl Default for ActiveOptions {
    fn default() -> Self {
        ActiveOptions {
            offset_seconds: 0,
            week_days: 7,
            month_days: 30,
            filter: EventFilter::any(),
            range: None,
        }
    }
}

impl ActiveOptions {
    /// The options with these WAU and MAU window lengths.
    pub fn with_windows(mut self, week_days: u32, month_days: u32) -> Self {
        self.week_days = week_days;
        self.month_days = month_days;
        self
    }

    /// The options with days in this UTC offset.
    pub fn with_offset(mut self, offset_seconds: i32) -> Self {
        self.offset_seconds = offset_seconds;
        self
    }

    /// The options counting only events that pass `filter`.
    pub fn with_filter(mut self, filter: EventFilter) -> Self {
        self.filter = filter;
        self
    }

    /// The options restricted to `range`.
    pub fn with_range(mut self, range: TimeRange) -> Self {
        self.range = Some(range);
        self
    }
}

/// The active users of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyActive {
    /// The date, `YYYY-MM-DD`.
    pub date: String,
    /// Days since 1970-01-01 (in the offset).
    pub day: i64,
    /// Users active that day.
    pub dau: u64,
    /// Users active in the trailing week window.
    pub wau: u64,
    /// Users active in the trailing month window.
    pub mau: u64,
    /// Mean DAU over the month window ÷ MAU (0 when MAU is 0).
    pub stickiness: f64,
    /// Whether the month window lies entirely within the reported span.
    pub complete: bool,
}

/// How many users were active on exactly `days` days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveDaysBucket {
    /// Active days.
    pub days: u32,
    /// Users with that many active days.
    pub users: u64,
}

/// The result of [`active_users`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveUsers {
    /// The day boundary in seconds east of UTC.
    pub offset_seconds: i32,
    /// WAU window length.
    pub week_days: u32,
    /// MAU window length.
    pub month_days: u32,
    /// One entry per day from the first to the last active day.
    pub days: Vec<DailyActive>,
    /// Distinct users active in the span.
    pub users: u64,
    /// Mean DAU over all reported days.
    pub mean_dau: f64,
    /// Mean WAU over complete days (`None` when no day is complete).
    pub mean_wau: Option<f64>,
    /// Mean MAU over complete days.
    pub mean_mau: Option<f64>,
    /// Mean stickiness over complete days.
    pub stickiness: Option<f64>,
    /// Users by number of active days, ascending, empty buckets left out.
    pub active_days_histogram: Vec<ActiveDaysBucket>,
}

/// DAU, WAU, MAU, stickiness and the active-days histogram of `log` (see the module docs).
///
/// # Errors
/// - [`AnalyticsError::InvalidArgument`] for a window of 0 days, a week window longer than the
///   month window, or an offset beyond ±18 hours;
/// - [`AnalyticsError::Empty`] when no event passes the filter in the range.
///
/// # Complexity
/// O(events + days) time; O(days) memory besides the result.
pub fn active_users(log: &EventLog, options: &ActiveOptions) -> Result<ActiveUsers> {
    check_offset(OP, options.offset_seconds)?;
    let (w, m) = (options.week_days, options.month_days);
    if w == 0 || m == 0 || w > m {
        return Err(AnalyticsError::invalid(
            OP,
            format!("windows of {w} and {m} days: need 1 <= week_days <= month_days"),
        ));
    }
    let matcher = options.filter.resolve(log);
    let range = options.range.unwrap_or_else(TimeRange::all);
    let off = options.offset_seconds;
    let ts = log.timestamps();
    // Pass 1: the span of active days.
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let for_each_day = |f: &mut dyn FnMut(i64)| {
        for u in log.users() {
            let r = log.user_range(u);
            let slice = &ts[r.clone()];
            let lo = slice.partition_point(|&t| t < range.start);
            let hi = slice.partition_point(|&t| t < range.end);
            let mut prev = None;
            for (j, &t) in slice.iter().enumerate().take(hi).skip(lo) {
                if !matcher.matches(log, r.start + j) {
                    continue;
                }
                let d = day_of(t, off);
                if prev != Some(d) {
                    f(d);
                    prev = Some(d);
                }
            }
            f(i64::MIN); // end of user
        }
    };
    for_each_day(&mut |d| {
        if d != i64::MIN {
            first = first.min(d);
            last = last.max(d);
        }
    });
    if first > last {
        return Err(AnalyticsError::empty(
            OP,
            format!("no event matches {} in the range", options.filter),
        ));
    }
    let n = (last - first + 1) as usize;
    // Difference arrays: a user active on day a, next active on day b, counts for the window
    // of length L on days a ..= min(a + L - 1, b - 1).
    let mut dau = vec![0u64; n];
    let mut dw = vec![0i64; n + 1];
    let mut dm = vec![0i64; n + 1];
    let mut hist: Vec<u64> = Vec::new();
    let mut users = 0u64;
    let mut prev: Option<i64> = None;
    let mut active_days = 0usize;
    let close = |a: i64, b: Option<i64>, dw: &mut [i64], dm: &mut [i64]| {
        let ai = (a - first) as usize;
        for (diff, len) in [(dw, w), (dm, m)] {
            let mut end = ai + len as usize; // exclusive
            if let Some(b) = b {
                end = end.min((b - first) as usize);
            }
            let end = end.min(n);
            diff[ai] += 1;
            diff[end] -= 1;
        }
    };
    for_each_day(&mut |d| {
        if d == i64::MIN {
            if let Some(a) = prev.take() {
                close(a, None, &mut dw, &mut dm);
                users += 1;
                if hist.len() <= active_days {
                    hist.resize(active_days + 1, 0);
                }
                hist[active_days] += 1;
            }
            active_days = 0;
            return;
        }
        if let Some(a) = prev {
            close(a, Some(d), &mut dw, &mut dm);
        }
        dau[(d - first) as usize] += 1;
        active_days += 1;
        prev = Some(d);
    });
    let mut days = Vec::with_capacity(n);
    let (mut wau, mut mau) = (0i64, 0i64);
    let mut dau_prefix = vec![0u64; n + 1];
    for i in 0..n {
        dau_prefix[i + 1] = dau_prefix[i] + dau[i];
    }
    let (mut sum_w, mut sum_m, mut sum_s, mut complete_days) = (0.0, 0.0, 0.0, 0usize);
    for i in 0..n {
        wau += dw[i];
        mau += dm[i];
        let lo = (i + 1).saturating_sub(m as usize);
        let mean_dau = (dau_prefix[i + 1] - dau_prefix[lo]) as f64 / (i + 1 - lo) as f64;
        let stickiness = if mau > 0 { mean_dau / mau as f64 } else { 0.0 };
        let complete = i + 1 >= m as usize;
        if complete {
            sum_w += wau as f64;
            sum_m += mau as f64;
            sum_s += stickiness;
            complete_days += 1;
        }
        let day = first + i as i64;
        days.push(DailyActive {
            date: format_date(day),
            day,
            dau: dau[i],
            wau: wau as u64,
            mau: mau as u64,
            stickiness,
            complete,
        });
    }
    let mean = |s: f64| (complete_days > 0).then(|| s / complete_days as f64);
    Ok(ActiveUsers {
        offset_seconds: off,
        week_days: w,
        month_days: m,
        users,
        mean_dau: dau_prefix[n] as f64 / n as f64,
        mean_wau: mean(sum_w),
        mean_mau: mean(sum_m),
        stickiness: mean(sum_s),
        days,
        active_days_histogram: hist
            .iter()
            .enumerate()
            .filter(|&(_, &u)| u > 0)
            .map(|(d, &u)| ActiveDaysBucket {
                days: d as u32,
                users: u,
            })
            .collect(),
    })
}
