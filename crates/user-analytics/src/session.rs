//! Sessions: runs of a user's events without a long pause.
//!
//! ```
//! use youshi_user_analytics::event::{Event, EventLog};
//! use youshi_user_analytics::session::{sessionize, SessionOptions};
//! use youshi_user_analytics::time::MS_PER_MINUTE as MIN;
//! let log = EventLog::from_events([
//!     Event::new("u", 0, "open"),
//!     Event::new("u", 30 * MIN, "click"),     // gap of exactly 30 min: same session
//!     Event::new("u", 61 * MIN, "open"),      // gap of 31 min: a new session
//! ])?;
//! let sessions = sessionize(&log, &SessionOptions::default())?;
//! assert_eq!(sessions.len(), 2);
//! let stats = sessions.stats()?;
//! assert_eq!((stats.sessions, stats.events), (2, 3));
//! assert_eq!(stats.mean_duration_ms, 15.0 * MIN as f64); // (30 min + 0) / 2
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```
//!
//! # Rules
//! - Each user's events (in the range, if one is given) are walked in time order. An event
//!   starts a new session when it is the user's first, or when the gap to the user's previous
//!   event is **greater than** the timeout (a gap equal to the timeout stays in the session).
//! - With [`SessionOptions::split_at_midnight`], an event also starts a new session when its
//!   calendar day in that fixed UTC offset differs from the previous event's.
//! - A session's duration is its last event's timestamp minus its first's, so a one-event
//!   session lasts 0 ms (as Amplitude counts; GA4 instead credits engagement time).
//! - Sessions never span users, and events outside the range are ignored, so the range
//!   clips sessions at its edges.

use serde::{Deserialize, Serialize};

use crate::event::{EventLog, UserIdx};
use crate::filter::{check_offset, TimeRange};
use crate::time::{day_of, Timestamp, MS_PER_MINUTE};
use crate::{AnalyticsError, Result};

const OP: &str = "sessionize";

/// How events are cut into sessions (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionOptions {
    /// The longest gap inside a session, in ms (30 minutes).
    pub timeout_ms: i64,
    /// When set, sessions also end at midnight in this UTC offset (seconds east of UTC).
    pub split_at_midnight: Option<i32>,
    /// Only events in this range (all events when `None`).
    pub range: Option<TimeRange>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            timeout_ms: 30 * MS_PER_MINUTE,
            split_at_midnight: None,
            range: None,
        }
    }
}

impl SessionOptions {
    /// The options with this timeout.
    pub fn with_timeout_ms(mut self, timeout_ms: i64) -> Self {
        self.timeout_ms = timeout_ms;
        self
    }

    /// The options, splitting sessions at midnight in `offset_seconds` east of UTC.
    pub fn with_midnight_split(mut self, offset_seconds: i32) -> Self {
        self.split_at_midnight = Some(offset_seconds);
        self
    }

    /// The options restricted to `range`.
    pub fn with_range(mut self, range: TimeRange) -> Self {
        self.range = Some(range);
        self
    }

    fn check(&self) -> Result<()> {
        if self.timeout_ms <= 0 {
            return Err(AnalyticsError::invalid(
                OP,
                format!("timeout {} ms must be positive", self.timeout_ms),
            ));
        }
        if let Some(off) = self.split_at_midnight {
            check_offset(OP, off)?;
        }
        Ok(())
    }
}

/// One session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The user's index in the log.
    pub user: UserIdx,
    /// The position of the session's first event in the log.
    pub first_event: usize,
    /// How many events the session has.
    pub events: u32,
    /// The first event's timestamp.
    pub start: Timestamp,
    /// The last event's timestamp.
    pub end: Timestamp,
}

impl Session {
    /// `end - start`, in ms.
    pub fn duration_ms(&self) -> i64 {
        self.end - self.start
    }
}

/// All sessions of a log, stored column-wise, in user then time order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions {
    users: Vec<UserIdx>,
    first: Vec<u32>,
    events: Vec<u32>,
    start: Vec<Timestamp>,
    end: Vec<Timestamp>,
}

impl Sessions {
    /// The number of sessions.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there is no session.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Session `i`.
    pub fn get(&self, i: usize) -> Option<Session> {
        Some(Session {
            user: *self.users.get(i)?,
            first_event: *self.first.get(i)? as usize,
            events: *self.events.get(i)?,
            start: *self.start.get(i)?,
            end: *self.end.get(i)?,
        })
    }

    /// The sessions in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Session> + '_ {
        (0..self.len()).map(move |i| Session {
            user: self.users[i],
            first_event: self.first[i] as usize,
            events: self.events[i],
            start: self.start[i],
            end: self.end[i],
        })
    }

    /// Counts, durations and events per session.
    ///
    /// # Errors
    /// [`AnalyticsError::Empty`] when there is no session.
    pub fn stats(&self) -> Result<SessionStats> {
        let mut acc = StatsAcc::default();
        for i in 0..self.len() {
            acc.add(self.users[i], self.events[i], self.end[i] - self.start[i]);
        }
        acc.finish()
    }
}

/// Summary of a log's sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionStats {
    /// Sessions.
    pub sessions: u64,
    /// Users with at least one session.
    pub users: u64,
    /// Events in sessions.
    pub events: u64,
    /// Sessions per user, on average.
    pub mean_sessions_per_user: f64,
    /// Events per session: mean.
    pub mean_events_per_session: f64,
    /// Events per session: median (the mean of the two middle values for an even count).
    pub median_events_per_session: f64,
    /// Events per session: maximum.
    pub max_events_per_session: u64,
    /// Duration in ms: mean.
    pub mean_duration_ms: f64,
    /// Duration in ms: median.
    pub median_duration_ms: f64,
    /// Duration in ms: maximum.
    pub max_duration_ms: i64,
    /// Sessions of a single event.
    pub single_event_sessions: u64,
}

#[derive(Default)]
struct StatsAcc {
    users: u64,
    last_user: Option<UserIdx>,
    events: Vec<u32>,
    durations: Vec<i64>,
}

impl StatsAcc {
    fn add(&mut self, user: UserIdx, events: u32, duration: i64) {
        if self.last_user != Some(user) {
            self.users += 1;
            self.last_user = Some(user);
        }
        self.events.push(events);
        self.durations.push(duration);
    }

    fn finish(mut self) -> Result<SessionStats> {
        let n = self.events.len();
        if n == 0 {
            return Err(AnalyticsError::empty(
                "session statistics",
                "no session: no events in the range",
            ));
        }
        let total_events: u64 = self.events.iter().map(|&e| u64::from(e)).sum();
        let total_duration: f64 = self.durations.iter().map(|&d| d as f64).sum();
        let single = self.events.iter().filter(|&&e| e == 1).count() as u64;
        let max_events = self.events.iter().copied().max().unwrap_or(0);
        let max_duration = self.durations.iter().copied().max().unwrap_or(0);
        Ok(SessionStats {
            sessions: n as u64,
            users: self.users,
            events: total_events,
            mean_sessions_per_user: n as f64 / self.users as f64,
            mean_events_per_session: total_events as f64 / n as f64,
            median_events_per_session: median_of(&mut self.events, |&e| f64::from(e)),
            max_events_per_session: u64::from(max_events),
            mean_duration_ms: total_duration / n as f64,
            median_duration_ms: median_of(&mut self.durations, |&d| d as f64),
            max_duration_ms: max_duration,
            single_event_sessions: single,
        })
    }
}

/// The median of a non-empty slice (mean of the two middle values for an even length); the
/// slice is reordered.
pub(crate) fn median_of<T: Ord + Copy>(v: &mut [T], f: impl Fn(&T) -> f64) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, &mut hi, _) = v.select_nth_unstable(n / 2);
    if n % 2 == 1 {
        return f(&hi);
    }
    let lo = v[..n / 2].iter().copied().max().unwrap_or(hi);
    (f(&lo) + f(&hi)) / 2.0
}

/// Walks the sessions of `log`, calling `emit(user, first_event, events, start, end)` for each.
fn walk(
    log: &EventLog,
    options: &SessionOptions,
    mut emit: impl FnMut(UserIdx, usize, u32, Timestamp, Timestamp),
) -> Result<()> {
    options.check()?;
    let ts = log.timestamps();
    let range = options.range.unwrap_or_else(TimeRange::all);
    for u in log.users() {
        let r = log.user_range(u);
        let slice = &ts[r.clone()];
        let lo = slice.partition_point(|&t| t < range.start);
        let hi = slice.partition_point(|&t| t < range.end);
        if lo >= hi {
            continue;
        }
        let base = r.start;
        let mut first = lo;
        let mut prev = slice[lo];
        let mut prev_day = options.split_at_midnight.map(|o| day_of(prev, o));
        for (j, &t) in slice.iter().enumerate().take(hi).skip(lo + 1) {
            let day = options.split_at_midnight.map(|o| day_of(t, o));
            if t - prev > options.timeout_ms || day != prev_day {
                emit(u, base + first, (j - first) as u32, slice[first], prev);
                first = j;
            }
            prev = t;
            prev_day = day;
        }
        emit(u, base + first, (hi - first) as u32, slice[first], prev);
    }
    Ok(())
}

/// Cuts every user's events into sessions.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] for a timeout that is not positive or a midnight
/// offset beyond ±18 hours.
///
/// # Complexity
/// O(events) time; 32 bytes per session.
pub fn sessionize(log: &EventLog, options: &SessionOptions) -> Result<Sessions> {
    let mut s = Sessions::default();
    walk(log, options, |u, first, events, start, end| {
        s.users.push(u);
        s.first.push(first as u32);
        s.events.push(events);
        s.start.push(start);
        s.end.push(end);
    })?;
    Ok(s)
}

/// The [`SessionStats`] of `log`, without keeping the sessions.
///
/// # Errors
/// As [`sessionize`], and [`AnalyticsError::Empty`] when there is no event in the range.
///
/// # Complexity
/// O(events) time; 12 bytes per session for the medians.
pub fn session_stats(log: &EventLog, options: &SessionOptions) -> Result<SessionStats> {
    let mut acc = StatsAcc::default();
    walk(log, options, |u, _, events, start, end| {
        acc.add(u, events, end - start)
    })?;
    acc.finish()
}
