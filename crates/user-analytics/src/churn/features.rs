//! Per-user churn features at a cut-off, the churn label, and a stratified train/test split.
//!
//! # Features
//! Every feature of a user is computed from that user's events **strictly before** the
//! cut-off `c`; nothing at or after `c` is looked at. Durations are in days (ms / 86 400 000,
//! fractional).
//!
//! | # | name | definition |
//! |---|---|---|
//! | 0 | `recency_days` | `c` minus the timestamp of the user's last event before `c` |
//! | 1 | `frequency` | the number of the user's events before `c` |
//! | 2 | `monetary` | the sum of the revenue attached to those events (0 without revenue) |
//! | 3 | `tenure_days` | `c` minus the timestamp of the user's first event |
//! | 4 | `sessions` | sessions among those events: a new one starts at the first event and after every gap **greater than** `session_timeout_ms` (30 min), as [`crate::session`] |
//! | 5 | `active_days` | distinct UTC calendar days holding at least one of those events |
//! | 6 | `trend` | with `r` the events in `[c − w, c)` and `p` the events in `[c − 2w, c − w)` for the trend window `w` (14 days): `(r − p) / (r + p)`, and 0 when `r + p = 0`; so −1 is "active in the earlier window only", +1 "in the recent window only" |
//!
//! # Label
//! A user is **churned** (label `true`) when they have no event in `(c, c + N days]` for the
//! horizon `N`. Only users with at least one event before `c` are included. The label is only
//! meaningful when the log covers the whole horizon; [`churn_dataset`] does not check that
//! the log reaches `c + N`, so choose `c` at least `N` days before the log's end.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::event::EventLog;
use crate::time::{Timestamp, MS_PER_DAY, MS_PER_MINUTE};
use crate::{AnalyticsError, Result};

/// The names of the feature columns, in order (see the module docs for definitions).
pub const FEATURE_NAMES: [&str; 7] = [
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "sessions",
    "active_days",
    "trend",
];

/// Where to cut the log and how to label it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnConfig {
    /// The cut-off: features use events strictly before it.
    pub cutoff: Timestamp,
    /// The label horizon `N` in days (at least 1): churned = no event in `(cutoff, cutoff + N days]`.
    pub horizon_days: u32,
    /// The trend window `w` in days (14, at least 1).
    pub trend_window_days: u32,
    /// The session timeout in ms (30 minutes, at least 0).
    pub session_timeout_ms: i64,
}

impl ChurnConfig {
    /// A cut-off and horizon, with a 14-day trend window and a 30-minute session timeout.
    pub fn new(cutoff: Timestamp, horizon_days: u32) -> Self {
        ChurnConfig {
            cutoff,
            horizon_days,
            trend_window_days: 14,
            session_timeout_ms: 30 * MS_PER_MINUTE,
        }
    }

    /// The config with this trend window.
    pub fn with_trend_window_days(mut self, days: u32) -> Self {
        self.trend_window_days = days;
        self
    }

    /// The config with this session timeout.
    pub fn with_session_timeout_ms(mut self, timeout_ms: i64) -> Self {
        self.session_timeout_ms = timeout_ms;
        self
    }
}

/// Users, their raw (unscaled) features and churn labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnDataset {
    /// The configuration used.
    pub config: ChurnConfig,
    /// The feature names, [`FEATURE_NAMES`].
    pub feature_names: Vec<String>,
    /// User ids, one per row.
    pub users: Vec<String>,
    /// One row of features per user, in the order of `feature_names`.
    pub features: Vec<Vec<f64>>,
    /// `true` for a churned user.
    pub labels: Vec<bool>,
}

impl ChurnDataset {
    /// The number of users.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there are no users (never the case for a dataset from [`churn_dataset`]).
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The share of churned users.
    pub fn churn_rate(&self) -> f64 {
        if self.labels.is_empty() {
            return 0.0;
        }
        self.labels.iter().filter(|&&y| y).count() as f64 / self.labels.len() as f64
    }

    /// The rows and labels at `indices` (for a train or test split); indices past the end are
    /// skipped.
    pub fn select(&self, indices: &[usize]) -> (Vec<Vec<f64>>, Vec<bool>) {
        indices
            .iter()
            .filter_map(|&i| Some((self.features.get(i)?.clone(), *self.labels.get(i)?)))
            .unzip()
    }
}

const OP: &str = "churn dataset";

/// Computes every user's features at `config.cutoff` and their churn label (module docs).
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] for a horizon or trend window of 0 days, a negative
/// session timeout, or a cut-off whose horizon or windows overflow;
/// [`AnalyticsError::Empty`] when no user has an event before the cut-off.
///
/// # Complexity
/// O(events) time.
///
/// # Examples
/// ```
/// use youshi_user_analytics::churn::{churn_dataset, ChurnConfig};
/// use youshi_user_analytics::event::{Event, EventLog};
/// use youshi_user_analytics::time::MS_PER_DAY as DAY;
/// let log = EventLog::from_events([
///     Event::new("a", 0, "open"),
///     Event::new("a", 20 * DAY, "open"),
///     Event::new("b", DAY, "open").with_revenue(5.0),
/// ])?;
/// let data = churn_dataset(&log, &ChurnConfig::new(10 * DAY, 14))?;
/// assert_eq!(data.users, ["a", "b"]);
/// assert_eq!(data.labels, [false, true]); // b has nothing in (day 10, day 24]
/// assert_eq!(data.features[1][..4], [9.0, 1.0, 5.0, 9.0]); // recency, frequency, monetary, tenure
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn churn_dataset(log: &EventLog, config: &ChurnConfig) -> Result<ChurnDataset> {
    let ChurnConfig {
        cutoff,
        horizon_days,
        trend_window_days,
        session_timeout_ms,
    } = *config;
    if horizon_days == 0 {
        return Err(AnalyticsError::invalid(
            OP,
            "horizon N = 0 days: the label needs a window of at least one day",
        ));
    }
    if trend_window_days == 0 {
        return Err(AnalyticsError::invalid(OP, "trend window of 0 days"));
    }
    if session_timeout_ms < 0 {
        return Err(AnalyticsError::invalid(
            OP,
            format!("session timeout {session_timeout_ms} ms is negative"),
        ));
    }
    let window = i64::from(trend_window_days) * MS_PER_DAY;
    let horizon_end = cutoff.checked_add(i64::from(horizon_days) * MS_PER_DAY);
    let recent_start = cutoff.checked_sub(window);
    let previous_start = cutoff.checked_sub(2 * window);
    let (Some(horizon_end), Some(recent_start), Some(previous_start)) =
        (horizon_end, recent_start, previous_start)
    else {
        return Err(AnalyticsError::invalid(
            OP,
            format!(
                "cut-off {cutoff} with horizon {horizon_days} days and trend window \
                 {trend_window_days} days overflows"
            ),
        ));
    };
    let day = MS_PER_DAY as f64;
    let mut data = ChurnDataset {
        config: *config,
        feature_names: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
        users: Vec::new(),
        features: Vec::new(),
        labels: Vec::new(),
    };
    for u in log.users() {
        let mut first: Option<Timestamp> = None;
        let mut last: Timestamp = 0;
        let mut frequency = 0usize;
        let mut monetary = 0.0;
        let mut sessions = 0usize;
        let mut active_days = 0usize;
        let mut last_day: Option<i64> = None;
        let (mut recent, mut previous) = (0usize, 0usize);
        let mut future = false;
        for e in log.user_events(u) {
            let t = e.timestamp();
            if t >= cutoff {
                if t > cutoff && t <= horizon_end {
                    future = true;
                    break;
                }
                continue;
            }
            match first {
                None => {
                    first = Some(t);
                    sessions = 1;
                }
                Some(_) => {
                    if t - last > session_timeout_ms {
                        sessions += 1;
                    }
                }
            }
            let d = t.div_euclid(MS_PER_DAY);
            if last_day != Some(d) {
                active_days += 1;
                last_day = Some(d);
            }
            last = t;
            frequency += 1;
            monetary += e.revenue().unwrap_or(0.0);
            if t >= recent_start {
                recent += 1;
            } else if t >= previous_start {
                previous += 1;
            }
        }
        let Some(first) = first else { continue };
        let trend = if recent + previous == 0 {
            0.0
        } else {
            (recent as f64 - previous as f64) / (recent + previous) as f64
        };
        data.users.push(log.user_name(u).to_string());
        data.features.push(vec![
            (cutoff - last) as f64 / day,
            frequency as f64,
            monetary,
            (cutoff - first) as f64 / day,
            sessions as f64,
            active_days as f64,
            trend,
        ]);
        data.labels.push(!future);
    }
    if data.users.is_empty() {
        return Err(AnalyticsError::empty(
            OP,
            format!(
                "no user has an event before the cut-off {cutoff} ({} users, {} events)",
                log.num_users(),
                log.len()
            ),
        ));
    }
    Ok(data)
}

/// Row indices of a train/test split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// Training rows, in increasing order.
    pub train: Vec<usize>,
    /// Test rows, in increasing order.
    pub test: Vec<usize>,
}

/// A seeded split stratified by label: within each class the rows are shuffled and
/// `round(test_fraction × class size)` of them go to the test set, so both sets keep the
/// class balance.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] unless `0 < test_fraction < 1`;
/// [`AnalyticsError::Empty`] for no labels.
///
/// # Examples
/// ```
/// use youshi_user_analytics::churn::stratified_split;
/// let labels = [true, true, false, false, false, false, true, false, true, false];
/// let split = stratified_split(&labels, 0.5, 1)?;
/// assert_eq!((split.train.len(), split.test.len()), (5, 5));
/// assert_eq!(split.test.iter().filter(|&&i| labels[i]).count(), 2);
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn stratified_split(labels: &[bool], test_fraction: f64, seed: u64) -> Result<Split> {
    let op = "stratified split";
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(AnalyticsError::invalid(
            op,
            format!("test fraction {test_fraction} is not in (0, 1)"),
        ));
    }
    if labels.is_empty() {
        return Err(AnalyticsError::empty(op, "no labels"));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut split = Split {
        train: Vec::new(),
        test: Vec::new(),
    };
    for class in [false, true] {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rows.shuffle(&mut rng);
        let n_test = (test_fraction * rows.len() as f64).round() as usize;
        split.test.extend_from_slice(&rows[..n_test]);
        split.train.extend_from_slice(&rows[n_test..]);
    }
    split.train.sort_unstable();
    split.test.sort_unstable();
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    const DAY: i64 = MS_PER_DAY;
    const MIN: i64 = MS_PER_MINUTE;

    fn log() -> EventLog {
        EventLog::from_events([
            // a: 4 events before day 30 in 3 sessions on 2 days, one purchase; returns on day 35.
            Event::new("a", 2 * DAY, "open"),
            Event::new("a", 2 * DAY + 10 * MIN, "buy").with_revenue(12.5),
            Event::new("a", 2 * DAY + 41 * MIN, "open"),
            Event::new("a", 20 * DAY, "open"),
            Event::new("a", 35 * DAY, "open"),
            // b: active in the previous window only, gone afterwards; an event exactly at the
            // cut-off is neither a feature nor a return.
            Event::new("b", 5 * DAY, "open"),
            Event::new("b", 10 * DAY, "open"),
            Event::new("b", 30 * DAY, "open"),
            // c: first seen after the cut-off, excluded.
            Event::new("c", 31 * DAY, "open"),
            // d: returns just after the horizon: churned.
            Event::new("d", 29 * DAY, "open"),
            Event::new("d", 44 * DAY + 1, "open"),
        ])
        .unwrap()
    }

    #[test]
    fn features_follow_their_definitions() {
        let data = churn_dataset(&log(), &ChurnConfig::new(30 * DAY, 14)).unwrap();
        assert_eq!(data.users, ["a", "b", "d"]);
        assert_eq!(data.labels, [false, true, true]);
        // a: recency 10, frequency 4, monetary 12.5, tenure 28, sessions 3 (gap 31 min),
        // active days 2, trend: recent [16, 30) has day 20 (1), previous [2, 16) has 3.
        assert_eq!(data.features[0], [10.0, 4.0, 12.5, 28.0, 3.0, 2.0, -0.5]);
        // b: previous window [2, 16) holds both events.
        assert_eq!(data.features[1], [20.0, 2.0, 0.0, 25.0, 2.0, 2.0, -1.0]);
        assert_eq!(data.features[2], [1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
        assert!((data.churn_rate() - 2.0 / 3.0).abs() < 1e-12);
        let (x, y) = data.select(&[2, 0, 99]);
        assert_eq!((x.len(), y), (2, vec![true, false]));
    }

    #[test]
    fn trend_is_zero_without_events_in_either_window() {
        let data = churn_dataset(
            &log(),
            &ChurnConfig::new(30 * DAY, 14).with_trend_window_days(1),
        )
        .unwrap();
        // a's last event is on day 20, outside [28, 30) and [29, 30).
        assert_eq!(data.features[0][6], 0.0);
    }

    #[test]
    fn rejects_zero_horizon_and_window() {
        let err = churn_dataset(&log(), &ChurnConfig::new(30 * DAY, 0)).unwrap_err();
        assert!(err.to_string().contains("horizon N = 0"), "{err}");
        let err = churn_dataset(
            &log(),
            &ChurnConfig::new(30 * DAY, 7).with_trend_window_days(0),
        )
        .unwrap_err();
        assert!(err.to_string().contains("trend window of 0 days"), "{err}");
        let cfg = ChurnConfig::new(30 * DAY, 7).with_session_timeout_ms(-1);
        let err = churn_dataset(&log(), &cfg).unwrap_err();
        assert!(err.to_string().contains("-1 ms is negative"), "{err}");
        let err = churn_dataset(&log(), &ChurnConfig::new(i64::MAX - 5, 7)).unwrap_err();
        assert!(err.to_string().contains("overflows"), "{err}");
    }

    #[test]
    fn rejects_a_cutoff_before_every_event() {
        let err = churn_dataset(&log(), &ChurnConfig::new(2 * DAY, 7)).unwrap_err();
        assert!(matches!(err, AnalyticsError::Empty { .. }));
        assert!(
            err.to_string()
                .contains("no user has an event before the cut-off"),
            "{err}"
        );
    }

    #[test]
    fn split_is_stratified_seeded_and_disjoint() {
        let labels: Vec<bool> = (0..103).map(|i| i % 4 == 0).collect();
        let a = stratified_split(&labels, 0.25, 3).unwrap();
        assert_eq!(a, stratified_split(&labels, 0.25, 3).unwrap());
        assert_ne!(a, stratified_split(&labels, 0.25, 4).unwrap());
        let positives = labels.iter().filter(|&&y| y).count();
        let test_pos = a.test.iter().filter(|&&i| labels[i]).count();
        assert_eq!(test_pos, (0.25 * positives as f64).round() as usize);
        let mut all: Vec<usize> = a.train.iter().chain(&a.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..103).collect::<Vec<_>>());
    }

    #[test]
    fn split_rejects_bad_fraction_and_no_labels() {
        for f in [0.0, 1.0, f64::NAN] {
            let err = stratified_split(&[true, false], f, 0).unwrap_err();
            assert!(err.to_string().contains("is not in (0, 1)"), "{err}");
        }
        let err = stratified_split(&[], 0.5, 0).unwrap_err();
        assert!(err.to_string().contains("no labels"), "{err}");
    }
}
