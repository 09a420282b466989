//! Time ranges and event filters shared by the analyses.
//!
//! ```
//! use youshi_user_analytics::filter::{EventFilter, TimeRange};
//! let home = EventFilter::named("view").with_property("page", "home");
//! assert_eq!(home.to_string(), "view [page = home]");
//! let range = TimeRange::new(0, 20)?; // [0, 20): the second event is outside
//! assert!(range.contains(10) && !range.contains(20));
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::event::{EventLog, PropertyValue, Stored};
use crate::time::{format_rfc3339, Timestamp};
use crate::{AnalyticsError, Result};

/// A half-open interval of time `[start, end)` in ms since the epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// The first millisecond included.
    pub start: Timestamp,
    /// The first millisecond excluded.
    pub end: Timestamp,
}

impl TimeRange {
    /// The range `[start, end)`.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] unless `start < end`.
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self> {
        if start >= end {
            return Err(AnalyticsError::invalid(
                "time range",
                format!(
                    "start {} ({start}) is not before end {} ({end})",
                    format_rfc3339(start),
                    format_rfc3339(end)
                ),
            ));
        }
        Ok(TimeRange { start, end })
    }

    /// Every representable time.
    pub fn all() -> Self {
        TimeRange {
            start: Timestamp::MIN,
            end: Timestamp::MAX,
        }
    }

    /// Whether `ts` lies in the range.
    pub fn contains(&self, ts: Timestamp) -> bool {
        self.start <= ts && ts < self.end
    }
}

/// Which events count: a name (or any event), optionally with a property equal to a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventFilter {
    /// The event name, or `None` for any event.
    pub name: Option<String>,
    /// A property the event must have, with this exact value (numbers compare by value;
    /// `1` and `1.0` are equal, strings and numbers never are).
    pub property: Option<(String, PropertyValue)>,
}

impl EventFilter {
    /// Any event.
    pub fn any() -> Self {
        EventFilter {
            name: None,
            property: None,
        }
    }

    /// Events named `name`.
    pub fn named(name: impl Into<String>) -> Self {
        EventFilter {
            name: Some(name.into()),
            property: None,
        }
    }

    /// The filter, further requiring property `key` to equal `value`.
    pub fn with_property(
        mut self,
        key: impl Into<String>,
        value: impl Into<PropertyValue>,
    ) -> Self {
        self.property = Some((key.into(), value.into()));
        self
    }

    /// The filter resolved against a log's dictionaries.
    pub(crate) fn resolve(&self, log: &EventLog) -> Matcher {
        let name = match &self.name {
            None => NameMatch::Any,
            Some(n) => log
                .name_id(n)
                .map_or(NameMatch::Never, |id| NameMatch::Id(id.0)),
        };
        let property = match &self.property {
            None => PropMatch::Any,
            Some((k, v)) => match (log.key_id(k), log.stored_of(v)) {
                (Some(k), Some(v)) => PropMatch::Eq(k.0, v),
                _ => PropMatch::Never,
            },
        };
        Matcher { name, property }
    }
}

impl From<&str> for EventFilter {
    fn from(name: &str) -> Self {
        EventFilter::named(name)
    }
}

impl fmt::Display for EventFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name.as_deref().unwrap_or("(any event)"))?;
        if let Some((k, v)) = &self.property {
            write!(f, " [{k} = {v}]")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameMatch {
    Any,
    Id(u32),
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PropMatch {
    Any,
    Eq(u32, Stored),
    Never,
}

/// An [`EventFilter`] resolved to ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Matcher {
    pub(crate) name: NameMatch,
    pub(crate) property: PropMatch,
}

impl Matcher {
    /// Whether event `i` of `log` passes.
    #[inline]
    pub(crate) fn matches(&self, log: &EventLog, i: usize) -> bool {
        let name_ok = match self.name {
            NameMatch::Any => true,
            NameMatch::Id(id) => log.name_ids().get(i).is_some_and(|n| n.0 == id),
            NameMatch::Never => false,
        };
        name_ok
            && match self.property {
                PropMatch::Any => true,
                PropMatch::Eq(k, v) => log.stored_prop(i, k).is_some_and(|s| same(s, v)),
                PropMatch::Never => false,
            }
    }
}

fn same(a: Stored, b: Stored) -> bool {
    match (a, b) {
        (Stored::Num(x), Stored::Num(y)) => f64::from_bits(x) == f64::from_bits(y),
        _ => a == b,
    }
}

/// Checks a fixed UTC offset in seconds (at most ±18 hours, as ISO 8601 allows).
pub(crate) fn check_offset(op: &'static str, offset_seconds: i32) -> Result<()> {
    if offset_seconds.unsigned_abs() > 18 * 3600 {
        return Err(AnalyticsError::invalid(
            op,
            format!("UTC offset {offset_seconds} s is beyond ±18 hours"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    #[test]
    fn matchers_resolve_names_and_properties() {
        let log = EventLog::from_events([
            Event::new("u", 1, "a").with_property("n", 1.0),
            Event::new("u", 2, "b").with_property("n", "1"),
        ])
        .unwrap();
        let m = |f: EventFilter| {
            let r = f.resolve(&log);
            (0..2).filter(|&i| r.matches(&log, i)).collect::<Vec<_>>()
        };
        assert_eq!(m(EventFilter::any()), [0, 1]);
        assert_eq!(m(EventFilter::named("b")), [1]);
        assert_eq!(m(EventFilter::any().with_property("n", 1.0)), [0]);
        assert_eq!(m(EventFilter::any().with_property("n", "1")), [1]);
        assert_eq!(m(EventFilter::named("zzz")), Vec::<usize>::new());
        let never = EventFilter::named("a")
            .with_property("n", "2")
            .resolve(&log);
        assert_eq!(never.property, PropMatch::Never);
        let err = TimeRange::new(5, 5).unwrap_err().to_string();
        assert!(err.contains("not before end"), "{err}");
        assert!(check_offset("x", 19 * 3600).is_err());
        assert!(check_offset("x", -18 * 3600).is_ok());
    }
}
