//! Funnels: how many users go through ordered steps within a conversion window.
//!
//! ```
//! use youshi_user_analytics::event::{Event, EventLog};
//! use youshi_user_analytics::funnel::{EntryRule, Funnel};
//! let log = EventLog::from_events([
//!     Event::new("a", 0, "view"), Event::new("a", 5, "cart"), Event::new("a", 9, "buy"),
//!     Event::new("b", 0, "view"), Event::new("b", 20, "cart"),
//!     Event::new("c", 1, "cart"), // never entered: no step 1
//! ])?;
//! let funnel = Funnel::new(["view", "cart", "buy"], 10)?.with_entry(EntryRule::First);
//! let report = funnel.run(&log)?;
//! let users: Vec<u64> = report.steps.iter().map(|s| s.users).collect();
//! assert_eq!(users, [2, 1, 1]); // b's cart at 20 is past 0 + 10
//! assert_eq!(report.overall_conversion, 0.5);
//! assert_eq!(report.steps[1].median_time_from_previous_ms, Some(5.0));
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```
//!
//! # Rules
//! - **Order.** Steps are matched in loose order: other events may occur between steps, and
//!   step `k + 1` must have a timestamp **strictly greater** than the matched step `k`. So an
//!   event never matches two steps, and two events with the same timestamp can never be
//!   consecutive steps, whatever their order in the input.
//! - **Window.** Measured from the entry event (step 1): a later step counts when its
//!   timestamp is at most `entry + window` (an event at exactly the edge counts; one
//!   millisecond later does not).
//! - **Range.** The entry event must lie in the range; later steps only need to lie in the
//!   window, which may reach past the range's end.
//! - **Matching.** From a given entry, each step takes the earliest event that qualifies.
//!   Taking the earliest never reaches fewer steps than any other choice, and it makes the
//!   reported times between steps the shortest possible.
//! - **Entry rule** ([`EntryRule`]). `First`: the user's first step-1 event in the range opens
//!   the funnel; later step-1 events do not reset it, so a user who viewed on Monday and again
//!   on Friday, then bought on Saturday, has not converted within a two-day window. `Best`:
//!   every step-1 event in the range is tried and the one reaching the furthest step wins (the
//!   earliest among equals), so that user has converted.
//! - **Counting.** Each user is counted once, at the furthest step reached. Step conversion is
//!   `users(k) / users(k - 1)`, overall conversion `users(last) / users(1)`. Times between steps
//!   are medians over the users who reached the later step (the mean of the two middle values
//!   for an even count).
//! - **Breakdown.** Users are grouped by the value of a property on their entry event (first
//!   touch); users whose entry event lacks it form the group `None`.

use serde::{Deserialize, Serialize};

use crate::event::{EventLog, PropertyValue, Stored, UserIdx};
use crate::filter::{EventFilter, Matcher, NameMatch, PropMatch, TimeRange};
use crate::intern::FastMap;
use crate::session::median_of;
use crate::time::Timestamp;
use crate::{AnalyticsError, Result};

const OP: &str = "funnel";
const MAX_STEPS: usize = 64;

/// Which step-1 event opens a user's funnel (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryRule {
    /// The user's first step-1 event in the range; a later step 1 does not reset it (as
    /// Mixpanel counts uniques).
    #[default]
    First,
    /// The step-1 event from which the user gets furthest (as ClickHouse's `windowFunnel`,
    /// PostHog and Amplitude do).
    Best,
}

/// A funnel definition: steps, window, entry rule, range and breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    /// The steps in order (1 to 64).
    pub steps: Vec<EventFilter>,
    /// The conversion window in ms, from the entry event.
    pub window_ms: i64,
    /// The entry rule.
    pub entry: EntryRule,
    /// The range the entry event must lie in (all time when `None`).
    pub range: Option<TimeRange>,
    /// A property of the entry event to break results down by.
    pub breakdown: Option<String>,
}

/// The counts and times of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelStepReport {
    /// The step number, from 1.
    pub step: usize,
    /// The step's filter as text.
    pub label: String,
    /// Users who reached this step.
    pub users: u64,
    /// `users / users of the previous step` (1 for step 1, 0 when the previous has none).
    pub conversion_from_previous: f64,
    /// `users / users of step 1`.
    pub conversion_from_start: f64,
    /// Median ms from the previous step (`None` for step 1 or when no user reached it).
    pub median_time_from_previous_ms: Option<f64>,
    /// Median ms from the entry event.
    pub median_time_from_start_ms: Option<f64>,
}

/// One breakdown group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelGroup {
    /// The entry event's property value (`None`: the entry event lacks the property).
    pub value: Option<PropertyValue>,
    /// The steps of this group.
    pub steps: Vec<FunnelStepReport>,
    /// Users of the last step ÷ users of step 1.
    pub overall_conversion: f64,
}

/// A funnel broken down by a property of the entry event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelBreakdown {
    /// The property.
    pub property: String,
    /// The groups, by decreasing number of entered users (ties by value text).
    pub groups: Vec<FunnelGroup>,
}

/// The result of [`Funnel::run`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelReport {
    /// The entry rule used.
    pub entry_rule: EntryRule,
    /// The window in ms.
    pub window_ms: i64,
    /// One entry per step.
    pub steps: Vec<FunnelStepReport>,
    /// Users of the last step ÷ users of step 1.
    pub overall_conversion: f64,
    /// The breakdown, if asked for.
    pub breakdown: Option<FunnelBreakdown>,
}

/// An event that matched a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedStep {
    /// The step number, from 1.
    pub step: usize,
    /// The event's position in the log.
    pub event_index: usize,
    /// The event's name.
    pub name: String,
    /// The event's timestamp.
    pub timestamp: Timestamp,
}

/// How one user went through the funnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFunnelPath {
    /// The user's id.
    pub user: String,
    /// How many steps the user reached (0: never entered).
    pub steps_reached: usize,
    /// The matched events, step by step.
    pub matched: Vec<MatchedStep>,
}

/// Per-user matching state, reused across users.
struct Scratch {
    lists: Vec<Vec<u32>>,
    pos: Vec<u32>,
    best: Vec<u32>,
}

#[derive(Default)]
struct Acc {
    counts: Vec<u64>,
    from_prev: Vec<Vec<i64>>,
    from_start: Vec<Vec<i64>>,
}

impl Acc {
    fn new(k: usize) -> Self {
        Acc {
            counts: vec![0; k],
            from_prev: vec![Vec::new(); k],
            from_start: vec![Vec::new(); k],
        }
    }

    fn add(&mut self, ts: &[Timestamp], pos: &[u32]) {
        let t = |s: usize| ts[pos[s] as usize];
        for s in 0..pos.len() {
            self.counts[s] += 1;
            if s > 0 {
                self.from_prev[s].push(t(s) - t(s - 1));
                self.from_start[s].push(t(s) - t(0));
            }
        }
    }

    fn report(mut self, labels: &[String]) -> (Vec<FunnelStepReport>, f64) {
        let first = self.counts.first().copied().unwrap_or(0);
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let mut steps = Vec::with_capacity(labels.len());
        for (s, label) in labels.iter().enumerate() {
            let users = self.counts[s];
            let med = |v: &mut Vec<i64>| (!v.is_empty()).then(|| median_of(v, |&x| x as f64));
            steps.push(FunnelStepReport {
                step: s + 1,
                label: label.clone(),
                users,
                conversion_from_previous: if s == 0 {
                    1.0
                } else {
                    ratio(users, self.counts[s - 1])
                },
                conversion_from_start: ratio(users, first),
                median_time_from_previous_ms: med(&mut self.from_prev[s]),
                median_time_from_start_ms: med(&mut self.from_start[s]),
            });
        }
        let overall = ratio(self.counts.last().copied().unwrap_or(0), first);
        (steps, overall)
    }
}

impl Funnel {
    /// A funnel of `steps` (event names or [`EventFilter`]s) with a conversion window of
    /// `window_ms`, the first-entry rule, no range and no breakdown.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] for no steps, more than 64, or a window that is not
    /// positive.
    pub fn new<I>(steps: I, window_ms: i64) -> Result<Self>
    where
        I: IntoIterator,
        I::Item: Into<EventFilter>,
    {
        let f = Funnel {
            steps: steps.into_iter().map(Into::into).collect(),
            window_ms,
            entry: EntryRule::First,
            range: None,
            breakdown: None,
        };
        f.check()?;
        Ok(f)
    }

    /// The funnel with this entry rule.
    pub fn with_entry(mut self, entry: EntryRule) -> Self {
        self.entry = entry;
        self
    }

    /// The funnel with entry events restricted to `range`.
    pub fn with_range(mut self, range: TimeRange) -> Self {
        self.range = Some(range);
        self
    }

    /// The funnel broken down by the entry event's property `key`.
    pub fn with_breakdown(mut self, key: impl Into<String>) -> Self {
        self.breakdown = Some(key.into());
        self
    }

    fn check(&self) -> Result<()> {
        if self.steps.is_empty() {
            return Err(AnalyticsError::invalid(
                OP,
                "a funnel needs at least one step",
            ));
        }
        if self.steps.len() > MAX_STEPS {
            return Err(AnalyticsError::invalid(
                OP,
                format!(
                    "{} steps; at most {MAX_STEPS} are supported",
                    self.steps.len()
                ),
            ));
        }
        if self.window_ms <= 0 {
            return Err(AnalyticsError::invalid(
                OP,
                format!("conversion window {} ms must be positive", self.window_ms),
            ));
        }
        Ok(())
    }

    fn labels(&self) -> Vec<String> {
        self.steps.iter().map(ToString::to_string).collect()
    }

    /// Step counts, conversions, median times and the breakdown over all users of `log`.
    ///
    /// # Errors
    /// - [`AnalyticsError::InvalidArgument`] for an invalid definition (see [`Funnel::new`])
    ///   or a breakdown property that no event has;
    /// - [`AnalyticsError::Empty`] when no user has a step-1 event in the range.
    ///
    /// # Complexity
    /// O(events · matching steps + entries · steps · log events) time for [`EntryRule::Best`],
    /// O(events) for [`EntryRule::First`]; memory O(users) for the medians.
    pub fn run(&self, log: &EventLog) -> Result<FunnelReport> {
        self.check()?;
        let key = match &self.breakdown {
            None => None,
            Some(k) => Some(log.key_id(k).ok_or_else(|| {
                AnalyticsError::invalid(OP, format!("breakdown property {k:?}: no event has it"))
            })?),
        };
        let m = Matchers::new(self, log);
        let k = self.steps.len();
        let mut scratch = Scratch {
            lists: vec![Vec::new(); k],
            pos: Vec::with_capacity(k),
            best: Vec::with_capacity(k),
        };
        let mut total = Acc::new(k);
        let mut groups: FastMap<Option<Stored>, Acc> = FastMap::default();
        let ts = log.timestamps();
        for u in log.users() {
            let r = log.user_range(u);
            if !self.match_user(log, &m, u, &mut scratch) {
                continue;
            }
            let user_ts = &ts[r.clone()];
            total.add(user_ts, &scratch.best);
            if let Some(key) = key {
                let entry = r.start + scratch.best[0] as usize;
                let value = log.stored_prop(entry, key.0);
                groups
                    .entry(value)
                    .or_insert_with(|| Acc::new(k))
                    .add(user_ts, &scratch.best);
            }
        }
        if total.counts[0] == 0 {
            return Err(AnalyticsError::empty(
                OP,
                format!("no user has step 1 ({}) in the range", self.steps[0]),
            ));
        }
        let labels = self.labels();
        let breakdown = key.map(|_| {
            let mut gs: Vec<(u64, Option<PropertyValue>, Acc)> = groups
                .into_iter()
                .map(|(v, acc)| (acc.counts[0], v.map(|v| log.resolve(v).to_value()), acc))
                .collect();
            gs.sort_by(|a, b| {
                b.0.cmp(&a.0).then_with(|| {
                    let t = |v: &Option<PropertyValue>| v.as_ref().map(ToString::to_string);
                    t(&a.1).cmp(&t(&b.1))
                })
            });
            FunnelBreakdown {
                property: self.breakdown.clone().unwrap_or_default(),
                groups: gs
                    .into_iter()
                    .map(|(_, value, acc)| {
                        let (steps, overall_conversion) = acc.report(&labels);
                        FunnelGroup {
                            value,
                            steps,
                            overall_conversion,
                        }
                    })
                    .collect(),
            }
        });
        let (steps, overall_conversion) = total.report(&labels);
        Ok(FunnelReport {
            entry_rule: self.entry,
            window_ms: self.window_ms,
            steps,
            overall_conversion,
            breakdown,
        })
    }

    /// The events that matched each step for the user with id `user`.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] for an invalid definition or a user id not in the
    /// log.
    ///
    /// # Examples
    /// ```
    /// use youshi_user_analytics::event::{Event, EventLog};
    /// use youshi_user_analytics::funnel::{EntryRule, Funnel};
    /// let log = EventLog::from_events([
    ///     Event::new("u", 0, "view"), Event::new("u", 50, "view"), Event::new("u", 55, "buy"),
    /// ])?;
    /// let funnel = Funnel::new(["view", "buy"], 10)?;
    /// assert_eq!(funnel.user_path(&log, "u")?.steps_reached, 1); // first entry at 0
    /// let best = funnel.with_entry(EntryRule::Best).user_path(&log, "u")?;
    /// let at: Vec<i64> = best.matched.iter().map(|m| m.timestamp).collect();
    /// assert_eq!(at, [50, 55]);
    /// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
    /// ```
    pub fn user_path(&self, log: &EventLog, user: &str) -> Result<UserFunnelPath> {
        self.check()?;
        let u = log
            .user_index(user)
            .ok_or_else(|| AnalyticsError::invalid(OP, format!("no user {user:?} in the log")))?;
        let m = Matchers::new(self, log);
        let k = self.steps.len();
        let mut scratch = Scratch {
            lists: vec![Vec::new(); k],
            pos: Vec::with_capacity(k),
            best: Vec::with_capacity(k),
        };
        let mut path = UserFunnelPath {
            user: user.to_string(),
            steps_reached: 0,
            matched: Vec::new(),
        };
        if self.match_user(log, &m, u, &mut scratch) {
            let start = log.user_range(u).start;
            path.steps_reached = scratch.best.len();
            path.matched = scratch
                .best
                .iter()
                .enumerate()
                .map(|(s, &p)| {
                    let i = start + p as usize;
                    MatchedStep {
                        step: s + 1,
                        event_index: i,
                        name: log.event_name(log.name_ids()[i]).to_string(),
                        timestamp: log.timestamps()[i],
                    }
                })
                .collect();
        }
        Ok(path)
    }

    /// Matches user `u`; on success `scratch.best` holds the positions (relative to the user's
    /// first event) of the matched steps, at least step 1.
    fn match_user(&self, log: &EventLog, m: &Matchers, u: UserIdx, scratch: &mut Scratch) -> bool {
        let r = log.user_range(u);
        let ts = &log.timestamps()[r.clone()];
        let names = &log.name_ids()[r.clone()];
        let range = self.range.unwrap_or_else(TimeRange::all);
        for l in &mut scratch.lists {
            l.clear();
        }
        for (j, name) in names.iter().enumerate() {
            let mut mask = m.name_mask.get(name.0 as usize).copied().unwrap_or(0) | m.any_mask;
            if mask & 1 != 0 && !range.contains(ts[j]) {
                mask &= !1;
            }
            while mask != 0 {
                let s = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                if m.props[s] == PropMatch::Any || m.steps[s].matches(log, r.start + j) {
                    scratch.lists[s].push(j as u32);
                }
            }
        }
        let lists = &scratch.lists;
        if lists[0].is_empty() {
            return false;
        }
        let k = lists.len();
        scratch.best.clear();
        let mut prev_entry_ts = None;
        for &entry in &lists[0] {
            let t0 = ts[entry as usize];
            if prev_entry_ts == Some(t0) {
                continue; // same start time, same result
            }
            prev_entry_ts = Some(t0);
            let deadline = t0.saturating_add(self.window_ms);
            scratch.pos.clear();
            scratch.pos.push(entry);
            let mut prev = t0;
            for list in &lists[1..] {
                let p = list.partition_point(|&j| ts[j as usize] <= prev);
                match list.get(p) {
                    Some(&j) if ts[j as usize] <= deadline => {
                        scratch.pos.push(j);
                        prev = ts[j as usize];
                    }
                    _ => break,
                }
            }
            if scratch.pos.len() > scratch.best.len() {
                std::mem::swap(&mut scratch.pos, &mut scratch.best);
            }
            if self.entry == EntryRule::First || scratch.best.len() == k {
                break;
            }
        }
        true
    }
}

/// The steps' matchers, with a per-name bit mask of the steps whose name matches.
struct Matchers {
    steps: Vec<Matcher>,
    props: Vec<PropMatch>,
    name_mask: Vec<u64>,
    any_mask: u64,
}

impl Matchers {
    fn new(f: &Funnel, log: &EventLog) -> Self {
        let steps: Vec<Matcher> = f.steps.iter().map(|s| s.resolve(log)).collect();
        let mut name_mask = vec![0u64; log.num_event_names()];
        let mut any_mask = 0u64;
        for (s, m) in steps.iter().enumerate() {
            if m.property == PropMatch::Never {
                continue;
            }
            match m.name {
                NameMatch::Any => any_mask |= 1 << s,
                NameMatch::Id(id) => {
                    if let Some(x) = name_mask.get_mut(id as usize) {
                        *x |= 1 << s;
                    }
                }
                NameMatch::Never => {}
            }
        }
        Matchers {
            props: steps.iter().map(|m| m.property).collect(),
            steps,
            name_mask,
            any_mask,
        }
    }
}
