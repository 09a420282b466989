//! Paths: what users do next, the transition matrix, and the most common sequences.
//!
//! ```
//! use youshi_user_analytics::event::{Event, EventLog};
//! use youshi_user_analytics::paths::{next_events, top_paths, PathOptions};
//! let log = EventLog::from_events([
//!     Event::new("a", 1, "home"), Event::new("a", 2, "item"), Event::new("a", 3, "cart"),
//!     Event::new("b", 1, "home"), Event::new("b", 2, "item"),
//!     Event::new("c", 1, "home"), Event::new("c", 2, "search"),
//! ])?;
//! let next = next_events(&log, "home", 10, &PathOptions::default())?;
//! assert_eq!(next.occurrences, 3);
//! assert_eq!((next.next[0].event.as_deref(), next.next[0].count), (Some("item"), 2));
//! let paths = top_paths(&log, 2, 1, &PathOptions::default())?;
//! assert_eq!(paths.paths[0].events, ["home", "item"]);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```
//!
//! # Rules
//! - A user's path is their events (in the range, if one is given) in time order; ties keep
//!   input order (see [`event`](crate::event)).
//! - With [`PathOptions::collapse_repeats`], consecutive events of the same name count once.
//! - With [`PathOptions::max_gap_ms`], a gap longer than that ends the path and starts a new
//!   one (use the session timeout to follow paths within sessions).
//! - "Next" is the following event of the same path; at a path's end it is `None` (shown as
//!   `null` in JSON). The matrix counts every consecutive pair, and the path ends per event.
//! - The common paths of length `L` count every window of `L` consecutive events of a path
//!   (`occurrences`) and the distinct users with at least one (`users`); they are ranked by
//!   occurrences, then users, then the names.

use serde::{Deserialize, Serialize};

use crate::event::{EventLog, NameId};
use crate::filter::TimeRange;
use crate::intern::FastMap;
use crate::{AnalyticsError, Result};

/// The largest number of event names for a dense [`TransitionMatrix`].
pub const MAX_MATRIX_EVENTS: usize = 4096;

/// How paths are formed (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PathOptions {
    /// A gap longer than this (ms) starts a new path; `None` never splits.
    pub max_gap_ms: Option<i64>,
    /// Count consecutive repeats of an event once.
    pub collapse_repeats: bool,
    /// Only events in this range (all when `None`).
    pub range: Option<TimeRange>,
}

impl PathOptions {
    /// The options splitting paths at gaps longer than `max_gap_ms`.
    pub fn with_max_gap_ms(mut self, max_gap_ms: i64) -> Self {
        self.max_gap_ms = Some(max_gap_ms);
        self
    }

    /// The options collapsing consecutive repeats.
    pub fn with_collapse_repeats(mut self, collapse: bool) -> Self {
        self.collapse_repeats = collapse;
        self
    }

    /// The options restricted to `range`.
    pub fn with_range(mut self, range: TimeRange) -> Self {
        self.range = Some(range);
        self
    }
}

/// One of the events that follow a given event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextEvent {
    /// The next event's name, or `None` when the path ends.
    pub event: Option<String>,
    /// How many times.
    pub count: u64,
    /// `count / occurrences`.
    pub share: f64,
}

/// The result of [`next_events`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextEvents {
    /// The event followed.
    pub event: String,
    /// Its occurrences in paths.
    pub occurrences: u64,
    /// The most frequent next events, by decreasing count (ties by name; the end last).
    pub next: Vec<NextEvent>,
}

/// Counts of consecutive pairs of events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionMatrix {
    /// Event names; row and column `i` refer to `events[i]`.
    pub events: Vec<String>,
    /// `counts[i][j]`: how often `events[j]` directly followed `events[i]`.
    pub counts: Vec<Vec<u64>>,
    /// `ends[i]`: how often a path ended with `events[i]`.
    pub ends: Vec<u64>,
}

impl TransitionMatrix {
    /// The share of `from`'s occurrences followed by `to` (`None` for unknown names or an
    /// event that never occurs).
    pub fn probability(&self, from: &str, to: &str) -> Option<f64> {
        let i = self.events.iter().position(|e| e == from)?;
        let j = self.events.iter().position(|e| e == to)?;
        let row = self.counts.get(i)?;
        let total: u64 = row.iter().sum::<u64>() + self.ends.get(i)?;
        (total > 0).then(|| row[j] as f64 / total as f64)
    }
}

/// A sequence of events and how common it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathCount {
    /// The event names in order.
    pub events: Vec<String>,
    /// Windows of paths equal to it.
    pub occurrences: u64,
    /// Distinct users with at least one.
    pub users: u64,
}

/// The result of [`top_paths`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopPaths {
    /// The path length.
    pub length: usize,
    /// Distinct paths of that length seen.
    pub distinct: u64,
    /// The most common, best first.
    pub paths: Vec<PathCount>,
}

fn check(op: &'static str, options: &PathOptions) -> Result<()> {
    if let Some(g) = options.max_gap_ms.filter(|&g| g <= 0) {
        return Err(AnalyticsError::invalid(
            op,
            format!("maximum gap {g} ms must be positive"),
        ));
    }
    Ok(())
}

/// Calls `f(user, path)` with every path's event-name ids.
fn for_each_path(log: &EventLog, options: &PathOptions, mut f: impl FnMut(u32, &[u32])) {
    let ts = log.timestamps();
    let names = log.name_ids();
    let range = options.range.unwrap_or_else(TimeRange::all);
    let mut path: Vec<u32> = Vec::new();
    for u in log.users() {
        let r = log.user_range(u);
        let slice = &ts[r.clone()];
        let lo = slice.partition_point(|&t| t < range.start);
        let hi = slice.partition_point(|&t| t < range.end);
        path.clear();
        let mut prev: Option<i64> = None;
        for j in lo..hi {
            let t = slice[j];
            if let (Some(p), Some(g)) = (prev, options.max_gap_ms) {
                if t - p > g && !path.is_empty() {
                    f(u.0, &path);
                    path.clear();
                }
            }
            prev = Some(t);
            let n = names[r.start + j].0;
            if options.collapse_repeats && path.last() == Some(&n) {
                continue;
            }
            path.push(n);
        }
        if !path.is_empty() {
            f(u.0, &path);
        }
    }
}

/// The `top` most frequent events directly after each occurrence of `event`.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] for `top == 0`, a gap that is not positive, or an event
/// name not in the log; [`AnalyticsError::Empty`] when it never occurs in the range.
///
/// # Complexity
/// O(events) time, O(event names) memory.
pub fn next_events(
    log: &EventLog,
    event: &str,
    top: usize,
    options: &PathOptions,
) -> Result<NextEvents> {
    const OP: &str = "next events";
    check(OP, options)?;
    if top == 0 {
        return Err(AnalyticsError::invalid(OP, "top must be at least 1"));
    }
    let id = log
        .name_id(event)
        .ok_or_else(|| AnalyticsError::invalid(OP, format!("no event named {event:?} in the log")))?
        .0;
    let n = log.num_event_names();
    let mut counts = vec![0u64; n + 1]; // the last slot: end of path
    for_each_path(log, options, |_, path| {
        for (j, &e) in path.iter().enumerate() {
            if e == id {
                let next = path.get(j + 1).map_or(n, |&x| x as usize);
                counts[next] += 1;
            }
        }
    });
    let occurrences: u64 = counts.iter().sum();
    if occurrences == 0 {
        return Err(AnalyticsError::empty(
            OP,
            format!("{event:?} does not occur in the range"),
        ));
    }
    let mut next: Vec<NextEvent> = counts
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c > 0)
        .map(|(j, &c)| NextEvent {
            event: (j < n).then(|| log.event_name(NameId(j as u32)).to_string()),
            count: c,
            share: c as f64 / occurrences as f64,
        })
        .collect();
    next.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| match (&a.event, &b.event) {
                (Some(x), Some(y)) => x.cmp(y),
                (x, y) => x.is_none().cmp(&y.is_none()),
            })
    });
    next.truncate(top);
    Ok(NextEvents {
        event: event.to_string(),
        occurrences,
        next,
    })
}

/// The full matrix of consecutive pairs over all event names of the log.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] for a gap that is not positive or more than
/// [`MAX_MATRIX_EVENTS`] event names (use [`next_events`] then).
///
/// # Complexity
/// O(events + names²) time and memory.
pub fn transition_matrix(log: &EventLog, options: &PathOptions) -> Result<TransitionMatrix> {
    const OP: &str = "transition matrix";
    check(OP, options)?;
    let n = log.num_event_names();
    if n > MAX_MATRIX_EVENTS {
        return Err(AnalyticsError::invalid(
            OP,
            format!("{n} event names; a dense matrix supports at most {MAX_MATRIX_EVENTS}"),
        ));
    }
    let mut counts = vec![vec![0u64; n]; n];
    let mut ends = vec![0u64; n];
    for_each_path(log, options, |_, path| {
        for w in path.windows(2) {
            counts[w[0] as usize][w[1] as usize] += 1;
        }
        if let Some(&last) = path.last() {
            ends[last as usize] += 1;
        }
    });
    Ok(TransitionMatrix {
        events: log.event_names().map(str::to_string).collect(),
        counts,
        ends,
    })
}

/// The `top` most common paths of `length` consecutive events.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] for `length == 0`, `top == 0` or a gap that is not
/// positive.
///
/// # Complexity
/// O(events · length) time; memory O(distinct paths · length).
pub fn top_paths(
    log: &EventLog,
    length: usize,
    top: usize,
    options: &PathOptions,
) -> Result<TopPaths> {
    const OP: &str = "top paths";
    check(OP, options)?;
    if length == 0 || top == 0 {
        return Err(AnalyticsError::invalid(
            OP,
            format!("length {length} and top {top} must both be at least 1"),
        ));
    }
    // occurrences, users, last user counted
    type Seen = (u64, u64, u32);
    let mut seen: FastMap<Box<[u32]>, Seen> = FastMap::default();
    for_each_path(log, options, |user, path| {
        for w in path.windows(length) {
            if let Some(e) = seen.get_mut(w) {
                e.0 += 1;
                if e.2 != user {
                    e.1 += 1;
                    e.2 = user;
                }
            } else {
                seen.insert(w.into(), (1, 1, user));
            }
        }
    });
    let distinct = seen.len() as u64;
    let names = |w: &[u32]| -> Vec<String> {
        w.iter()
            .map(|&x| log.event_name(NameId(x)).to_string())
            .collect()
    };
    let mut all: Vec<(Box<[u32]>, Seen)> = seen.into_iter().collect();
    all.sort_by(|a, b| {
        (b.1 .0, b.1 .1).cmp(&(a.1 .0, a.1 .1)).then_with(|| {
            let name = |&x: &u32| log.event_name(NameId(x));
            a.0.iter().map(name).cmp(b.0.iter().map(name))
        })
    });
    all.truncate(top);
    Ok(TopPaths {
        length,
        distinct,
        paths: all
            .into_iter()
            .map(|(w, (occurrences, users, _))| PathCount {
                events: names(&w),
                occurrences,
                users,
            })
            .collect(),
    })
}
