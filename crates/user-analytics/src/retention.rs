//! Retention: cohorts of users by when they first did something, and how many came back in
//! each later period.
//!
//! ```
//! use youshi_user_analytics::event::{Event, EventLog};
//! use youshi_user_analytics::filter::EventFilter;
//! use youshi_user_analytics::retention::{retention, Period, RetentionOptions};
//! use youshi_user_analytics::time::MS_PER_DAY as DAY;
//! let log = EventLog::from_events([
//!     Event::new("a", 0, "signup"), Event::new("a", DAY + 1, "open"),
//!     Event::new("b", 10, "signup"), Event::new("b", 2 * DAY + 10, "open"),
//!     Event::new("z", 3 * DAY, "open"), // no birth event: in no cohort
//! ])?;
//! let options = RetentionOptions::new(Period::Day, 3).with_birth(EventFilter::named("signup"));
//! let r = retention(&log, &options)?;
//! assert_eq!(r.cohorts.len(), 1); // both signed up on 1970-01-01
//! let returned: Vec<u64> = r.cohorts[0].cells.iter().map(|c| c.users).collect();
//! assert_eq!(returned, [0, 1, 1, 0]); // a came back on day 1, b on day 2
//! assert!(!r.cohorts[0].cells[3].complete); // day 3 has not fully elapsed in the data
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```
//!
//! # Rules
//! - **Cohorts.** *First time*: a user joins the cohort of the period holding their first
//!   birth event in the whole log, if that event lies in the range. *Recurring*: a user joins
//!   the cohort of every period in which they have a birth event in the range, with that
//!   period's first birth event as their birth time. Periods are calendar days, ISO weeks
//!   (starting Monday) or calendar months in the fixed UTC offset.
//! - **Returns.** A return is an event passing [`RetentionOptions::return_event`] with a
//!   timestamp strictly after the birth time (so the birth event never returns itself, nor
//!   does another event at the same instant) and before [`RetentionOptions::as_of`].
//! - **Buckets.** *Rolling*: bucket `k` is `[birth + k periods, birth + (k + 1) periods)`, where a
//!   period is 1 day, 7 days, or one calendar month added to the local date (the day clamped to
//!   the month's end: Jan 31 + 1 month = Feb 28 or 29, + 2 months = Mar 31). *Calendar*:
//!   bucket `k` is the `k`-th calendar period after the birth's period. Bucket 0 counts
//!   returns within the birth period itself.
//! - **Measures.** *On*: a member counts in bucket `k` when they returned in bucket `k`.
//!   *On or after*: when they returned in bucket `k` or any later one (unbounded retention).
//! - **Incomplete cells.** A cell is complete when bucket `k` has ended, by
//!   [`RetentionOptions::as_of`], for every member of the cohort (for rolling buckets, for the
//!   member born last). Incomplete cells are reported with `complete = false` and left out of
//!   the summary. An "on or after" count can still grow after its cell is complete.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::EventLog;
use crate::filter::{check_offset, EventFilter, Matcher, TimeRange};
use crate::time::{
    civil_from_days, days_from_civil, days_in_month, format_date, weekday, Timestamp, MS_PER_DAY,
    MS_PER_SECOND, MS_PER_WEEK,
};
use crate::{AnalyticsError, Result};

const OP: &str = "retention";
const MAX_PERIODS: u32 = 1000;

/// The length of cohorts and buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Calendar days.
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
}

/// How return times are cut into buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Buckets {
    /// Whole periods from each user's birth time.
    #[default]
    Rolling,
    /// Calendar periods after the birth's period.
    Calendar,
}

/// What a cell counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionMeasure {
    /// Returned in bucket `k`.
    #[default]
    On,
    /// Returned in bucket `k` or later.
    OnOrAfter,
}

/// How users are placed in cohorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortMode {
    /// By the first birth event ever.
    #[default]
    FirstTime,
    /// In every period with a birth event.
    Recurring,
}

/// Options of [`retention`] (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionOptions {
    /// The birth event (any event by default: cohorts by first activity).
    pub birth: EventFilter,
    /// The return event (any event by default).
    pub return_event: EventFilter,
    /// The period of cohorts and buckets.
    pub period: Period,
    /// Rolling or calendar buckets.
    pub buckets: Buckets,
    /// "On" or "on or after".
    pub measure: RetentionMeasure,
    /// First-time or recurring cohorts.
    pub cohorts: CohortMode,
    /// The last bucket reported (buckets `0..=periods`), at most 1000.
    pub periods: u32,
    /// Seconds east of UTC for calendar periods and rolling months.
    pub offset_seconds: i32,
    /// Births must lie in this range (all time when `None`).
    pub range: Option<TimeRange>,
    /// The end of the data (exclusive): events from then on are ignored, and cells ending
    /// after it are incomplete. Defaults to one ms after the log's last event.
    pub as_of: Option<Timestamp>,
}

impl RetentionOptions {
    /// Rolling, "on", first-time retention by `period` over buckets `0..=periods`, with any
    /// event as birth and return.
    pub fn new(period: Period, periods: u32) -> Self {
        RetentionOptions {
            birth: EventFilter::any(),
            return_event: EventFilter::any(),
            period,
            buckets: Buckets::Rolling,
            measure: RetentionMeasure::On,
            cohorts: CohortMode::FirstTime,
            periods,
            offset_seconds: 0,
            range: None,
            as_of: None,
        }
    }

    /// The options with this birth event.
    pub fn with_birth(mut self, birth: EventFilter) -> Self {
        self.birth = birth;
        self
    }

    /// The options with this return event.
    pub fn with_return(mut self, return_event: EventFilter) -> Self {
        self.return_event = return_event;
        self
    }

    /// The options with these buckets.
    pub fn with_buckets(mut self, buckets: Buckets) -> Self {
        self.buckets = buckets;
        self
    }

    /// The options with this measure.
    pub fn with_measure(mut self, measure: RetentionMeasure) -> Self {
        self.measure = measure;
        self
    }

    /// The options with this cohort mode.
    pub fn with_cohorts(mut self, cohorts: CohortMode) -> Self {
        self.cohorts = cohorts;
        self
    }

    /// The options with periods in this UTC offset.
    pub fn with_offset(mut self, offset_seconds: i32) -> Self {
        self.offset_seconds = offset_seconds;
        self
    }

    /// The options with births restricted to `range`.
    pub fn with_range(mut self, range: TimeRange) -> Self {
        self.range = Some(range);
        self
    }

    /// The options with this end of data.
    pub fn with_as_of(mut self, as_of: Timestamp) -> Self {
        self.as_of = Some(as_of);
        self
    }
}

/// One cell of a cohort's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionCell {
    /// The bucket, from 0.
    pub bucket: u32,
    /// Members counted.
    pub users: u64,
    /// `users / cohort size`.
    pub rate: f64,
    /// Whether the bucket has ended for every member.
    pub complete: bool,
}

/// One cohort's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cohort {
    /// The first day of the cohort's period, `YYYY-MM-DD`.
    pub start: String,
    /// The same day, as days since 1970-01-01.
    pub start_day: i64,
    /// Members.
    pub users: u64,
    /// Cells for buckets `0..=periods`.
    pub cells: Vec<RetentionCell>,
}

/// The weighted mean over complete cells of one bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionSummary {
    /// The bucket.
    pub bucket: u32,
    /// Cohorts whose cell is complete.
    pub cohorts: u64,
    /// Their members.
    pub users: u64,
    /// Members counted.
    pub retained: u64,
    /// `retained / users` (`None` when no cell is complete).
    pub rate: Option<f64>,
}

/// The result of [`retention`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retention {
    /// The period.
    pub period: Period,
    /// The buckets.
    pub buckets: Buckets,
    /// The measure.
    pub measure: RetentionMeasure,
    /// The cohort mode.
    pub cohort_mode: CohortMode,
    /// The UTC offset in seconds.
    pub offset_seconds: i32,
    /// The end of data used.
    pub as_of: Timestamp,
    /// Cohorts in time order.
    pub cohorts: Vec<Cohort>,
    /// One entry per bucket.
    pub summary: Vec<RetentionSummary>,
}

/// Calendar arithmetic in a fixed offset.
#[derive(Debug, Clone, Copy)]
struct Clock {
    period: Period,
    off_ms: i64,
}

impl Clock {
    /// The calendar period index holding `ts`: days, Monday-based weeks, or `year * 12 + month`.
    fn index(&self, ts: Timestamp) -> i64 {
        let day = (ts + self.off_ms).div_euclid(MS_PER_DAY);
        match self.period {
            Period::Day => day,
            Period::Week => (day - i64::from(weekday(day))).div_euclid(7),
            Period::Month => {
                let (y, m, _) = civil_from_days(day);
                i64::from(y) * 12 + i64::from(m) - 1
            }
        }
    }

    /// The first day (days since the epoch, local) of calendar period `index`.
    fn start_day(&self, index: i64) -> i64 {
        match self.period {
            Period::Day => index,
            // Mondays are days 4, 11, ... (1970-01-05 was a Monday).
            Period::Week => index * 7 + 4,
            Period::Month => days_from_civil(
                index.div_euclid(12) as i32,
                (index.rem_euclid(12) + 1) as u32,
                1,
            ),
        }
    }

    /// The UTC instant at which calendar period `index` starts.
    fn start_ts(&self, index: i64) -> Timestamp {
        self.start_day(index) * MS_PER_DAY - self.off_ms
    }

    /// `ts` plus `k` calendar months, the local day clamped to the month's end.
    fn add_months(&self, ts: Timestamp, k: i64) -> Timestamp {
        let local = ts + self.off_ms;
        let (day, tod) = (local.div_euclid(MS_PER_DAY), local.rem_euclid(MS_PER_DAY));
        let (y, m, d) = civil_from_days(day);
        let mi = i64::from(y) * 12 + i64::from(m) - 1 + k;
        let (y2, m2) = (mi.div_euclid(12) as i32, (mi.rem_euclid(12) + 1) as u32);
        let d2 = d.min(days_in_month(y2, m2));
        days_from_civil(y2, m2, d2) * MS_PER_DAY + tod - self.off_ms
    }

    /// The start of rolling bucket `k` for birth `b`.
    fn rolling_start(&self, b: Timestamp, k: i64) -> Timestamp {
        match self.period {
            Period::Day => b + k * MS_PER_DAY,
            Period::Week => b + k * MS_PER_WEEK,
            Period::Month => self.add_months(b, k),
        }
    }

    /// The bucket of a return at `t > b` for birth `b`.
    fn bucket(&self, buckets: Buckets, b: Timestamp, t: Timestamp) -> i64 {
        match (buckets, self.period) {
            (Buckets::Calendar, _) => self.index(t) - self.index(b),
            (Buckets::Rolling, Period::Day) => (t - b).div_euclid(MS_PER_DAY),
            (Buckets::Rolling, Period::Week) => (t - b).div_euclid(MS_PER_WEEK),
            (Buckets::Rolling, Period::Month) => {
                let k = self.index(t) - self.index(b);
                if self.add_months(b, k) > t {
                    k - 1
                } else {
                    k
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
struct CohortAcc {
    users: u64,
    latest_birth: Timestamp,
    counts: Vec<u64>,
}

struct Ctx<'a> {
    clock: Clock,
    options: &'a RetentionOptions,
    as_of: Timestamp,
    marks: Vec<bool>,
}

impl Ctx<'_> {
    /// Marks the buckets of one membership (birth `b`) given the user's return times.
    fn mark(&mut self, b: Timestamp, returns: &[Timestamp]) {
        self.marks.iter_mut().for_each(|m| *m = false);
        let last = self.marks.len() as i64 - 1;
        let from = returns.partition_point(|&t| t <= b);
        let returns = &returns[from..];
        let buckets = self.options.buckets;
        match self.options.measure {
            RetentionMeasure::On => {
                for &t in returns {
                    let k = self.clock.bucket(buckets, b, t);
                    if k > last {
                        break;
                    }
                    self.marks[k as usize] = true;
                }
            }
            RetentionMeasure::OnOrAfter => {
                if let Some(&t) = returns.last() {
                    let k = self.clock.bucket(buckets, b, t).min(last);
                    self.marks[..=k as usize].iter_mut().for_each(|m| *m = true);
                }
            }
        }
    }
}

/// Retention cohorts of `log` (see the module docs).
///
/// # Errors
/// - [`AnalyticsError::InvalidArgument`] for more than 1000 periods, an offset beyond ±18 hours;
/// - [`AnalyticsError::Empty`] when no user has a birth event in the range before `as_of`.
///
/// # Complexity
/// O(events) time for first-time cohorts, O(events · memberships per user) for recurring
/// ones; O(cohorts · periods) memory besides the result.
pub fn retention(log: &EventLog, options: &RetentionOptions) -> Result<Retention> {
    check_offset(OP, options.offset_seconds)?;
    if options.periods > MAX_PERIODS {
        return Err(AnalyticsError::invalid(
            OP,
            format!(
                "{} periods; at most {MAX_PERIODS} are supported",
                options.periods
            ),
        ));
    }
    let as_of = options
        .as_of
        .or_else(|| log.time_span().map(|(_, hi)| hi.saturating_add(1)))
        .unwrap_or(Timestamp::MIN);
    let clock = Clock {
        period: options.period,
        off_ms: i64::from(options.offset_seconds) * MS_PER_SECOND,
    };
    let birth: Matcher = options.birth.resolve(log);
    let ret: Matcher = options.return_event.resolve(log);
    let range = options.range.unwrap_or_else(TimeRange::all);
    let n_buckets = options.periods as usize + 1;
    let mut ctx = Ctx {
        clock,
        options,
        as_of,
        marks: vec![false; n_buckets],
    };
    let mut cohorts: BTreeMap<i64, CohortAcc> = BTreeMap::new();
    let ts = log.timestamps();
    let mut returns: Vec<Timestamp> = Vec::new();
    let mut births: Vec<Timestamp> = Vec::new();
    for u in log.users() {
        let r = log.user_range(u);
        returns.clear();
        births.clear();
        for i in r.clone() {
            let t = ts[i];
            if t >= ctx.as_of {
                break;
            }
            if ret.matches(log, i) {
                returns.push(t);
            }
            if birth.matches(log, i) {
                match options.cohorts {
                    CohortMode::FirstTime => {
                        if births.is_empty() {
                            births.push(t);
                        }
                    }
                    CohortMode::Recurring => {
                        if range.contains(t)
                            && births
                                .last()
                                .map_or(true, |&p| clock.index(p) != clock.index(t))
                        {
                            births.push(t);
                        }
                    }
                }
            }
        }
        for &b in &births {
            if !range.contains(b) {
                continue;
            }
            ctx.mark(b, &returns);
            let acc = cohorts.entry(clock.index(b)).or_insert_with(|| CohortAcc {
                users: 0,
                latest_birth: b,
                counts: vec![0; n_buckets],
            });
            acc.users += 1;
            acc.latest_birth = acc.latest_birth.max(b);
            for (c, &m) in acc.counts.iter_mut().zip(&ctx.marks) {
                *c += u64::from(m);
            }
        }
    }
    if cohorts.is_empty() {
        return Err(AnalyticsError::empty(
            OP,
            format!(
                "no user has a birth event ({}) in the range before the end of data",
                options.birth
            ),
        ));
    }
    let mut summary: Vec<RetentionSummary> = (0..n_buckets)
        .map(|k| RetentionSummary {
            bucket: k as u32,
            cohorts: 0,
            users: 0,
            retained: 0,
            rate: None,
        })
        .collect();
    let rows = cohorts
        .into_iter()
        .map(|(index, acc)| {
            let start_day = clock.start_day(index);
            let cells = (0..n_buckets)
                .map(|k| {
                    let end = match options.buckets {
                        Buckets::Calendar => clock.start_ts(index + k as i64 + 1),
                        Buckets::Rolling => clock.rolling_start(acc.latest_birth, k as i64 + 1),
                    };
                    let complete = end <= as_of;
                    let users = acc.counts[k];
                    if complete {
                        let s = &mut summary[k];
                        s.cohorts += 1;
                        s.users += acc.users;
                        s.retained += users;
                    }
                    RetentionCell {
                        bucket: k as u32,
                        users,
                        rate: users as f64 / acc.users as f64,
                        complete,
                    }
                })
                .collect();
            Cohort {
                start: format_date(start_day),
                start_day,
                users: acc.users,
                cells,
            }
        })
        .collect();
    for s in &mut summary {
        s.rate = (s.users > 0).then(|| s.retained as f64 / s.users as f64);
    }
    Ok(Retention {
        period: options.period,
        buckets: options.buckets,
        measure: options.measure,
        cohort_mode: options.cohorts,
        offset_seconds: options.offset_seconds,
        as_of,
        cohorts: rows,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::day_of as local_day;

    #[test]
    fn add_months_clamps_to_month_end_from_the_original_day() {
        let c = Clock {
            period: Period::Month,
            off_ms: 0,
        };
        let jan31 = days_from_civil(2024, 1, 31) * MS_PER_DAY + 5;
        let at = |k| {
            let t = c.add_months(jan31, k);
            (civil_from_days(local_day(t, 0)), t.rem_euclid(MS_PER_DAY))
        };
        assert_eq!(at(1), ((2024, 2, 29), 5));
        assert_eq!(at(2), ((2024, 3, 31), 5));
        assert_eq!(at(3), ((2024, 4, 30), 5));
        assert_eq!(at(-2), ((2023, 11, 30), 5));
        // A return on Feb 29 at the birth's time of day is in bucket 1; a ms earlier, bucket 0.
        let feb29 = days_from_civil(2024, 2, 29) * MS_PER_DAY + 5;
        assert_eq!(c.bucket(Buckets::Rolling, jan31, feb29), 1);
        assert_eq!(c.bucket(Buckets::Rolling, jan31, feb29 - 1), 0);
    }

    #[test]
    fn weeks_start_on_monday_in_the_offset() {
        let c = Clock {
            period: Period::Week,
            off_ms: 3_600_000,
        };
        // 2024-01-07 is a Sunday; 23:30 UTC is Monday 00:30 at +01:00.
        let sun = days_from_civil(2024, 1, 7) * MS_PER_DAY;
        let late = sun + 23 * 3_600_000 + 30 * 60_000;
        assert_eq!(c.index(late), c.index(sun) + 1);
        assert_eq!(format_date(c.start_day(c.index(late))), "2024-01-08");
        assert_eq!(
            c.start_ts(c.index(late)),
            days_from_civil(2024, 1, 8) * MS_PER_DAY - 3_600_000
        );
    }
}
