//! Events and the compact, per-user event log every analysis runs on.
//!
//! ```
//! use youshi_user_analytics::event::{Event, EventLog, PropertyValue};
//! let log = EventLog::from_events([
//!     Event::new("u1", 2_000, "purchase").with_revenue(9.5),
//!     Event::new("u2", 1_000, "signup").with_property("platform", "ios"),
//!     Event::new("u1", 1_000, "signup"),
//! ])?;
//! assert_eq!((log.len(), log.num_users()), (3, 2));
//! // Events are grouped per user, in time order.
//! let u1: Vec<_> = log.user_events_by_name("u1").unwrap().map(|e| e.name()).collect();
//! assert_eq!(u1, ["signup", "purchase"]);
//! let e = log.event(2).unwrap();
//! assert_eq!(e.property("platform").map(|p| p.to_value()), Some(PropertyValue::from("ios")));
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```
//!
//! # Storage
//! User ids, event names, property keys and string property values are interned. Events are
//! sorted by user (in first-seen order) and, within a user, by time; each user owns a
//! contiguous range of the columns:
//!
//! | column | bytes per event |
//! |---|---|
//! | timestamp (`i64` ms) | 8 |
//! | event-name id | 4 |
//! | property-set id | 4 |
//! | revenue | 12 per event that has one (sparse) |
//!
//! Distinct property *sets* (the `(key, value)` pairs of one event) are stored once: logs
//! where properties describe the user or the device (`platform`, `country`) have few distinct
//! sets, and an event refers to its set by id. So 10 million events take about 160 MB plus
//! the dictionaries ([`EventLog::memory_bytes`] reports the total).
//!
//! # Order and ties
//! The sort is stable: events of one user with equal timestamps keep the order in which they
//! were added (the input order of a file). Every analysis walks events in this order, and
//! rules that need a strictly later event (funnel steps) compare timestamps, not positions.
//!
//! Limits: at most `u32::MAX - 1` events, users, event names, keys and string values.

use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::intern::{FastMap, Interner};

mod builder;
use crate::time::Timestamp;
use crate::{AnalyticsError, Result};
pub use builder::EventLogBuilder;

/// The value of an event property: a string, a number or a boolean.
///
/// Serialises as the bare JSON value (`"ios"`, `3.5`, `true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PropertyValue {
    /// A boolean.
    Bool(bool),
    /// A finite number.
    Number(f64),
    /// A string.
    String(String),
}

impl fmt::Display for PropertyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropertyValue::Bool(b) => write!(f, "{b}"),
            PropertyValue::Number(x) => write!(f, "{x}"),
            PropertyValue::String(s) => f.write_str(s),
        }
    }
}

impl From<&str> for PropertyValue {
    fn from(s: &str) -> Self {
        PropertyValue::String(s.to_string())
    }
}

impl From<String> for PropertyValue {
    fn from(s: String) -> Self {
        PropertyValue::String(s)
    }
}

impl From<f64> for PropertyValue {
    fn from(x: f64) -> Self {
        PropertyValue::Number(x)
    }
}

impl From<bool> for PropertyValue {
    fn from(b: bool) -> Self {
        PropertyValue::Bool(b)
    }
}

/// A property value borrowed from an [`EventLog`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PropertyRef<'a> {
    /// A boolean.
    Bool(bool),
    /// A finite number.
    Number(f64),
    /// A string.
    Str(&'a str),
}

impl PropertyRef<'_> {
    /// The owned [`PropertyValue`].
    pub fn to_value(self) -> PropertyValue {
        match self {
            PropertyRef::Bool(b) => PropertyValue::Bool(b),
            PropertyRef::Number(x) => PropertyValue::Number(x),
            PropertyRef::Str(s) => PropertyValue::String(s.to_string()),
        }
    }
}

/// One event as input: who, when, what, and optionally revenue and properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The user's id.
    pub user: String,
    /// When, in ms since the epoch (UTC).
    pub timestamp: Timestamp,
    /// The event's name (`"signup"`, `"purchase"`).
    pub name: String,
    /// Revenue attached to the event, if any; must be finite.
    pub revenue: Option<f64>,
    /// Properties in any order; keys should be distinct (for a repeated key the last wins).
    pub properties: Vec<(String, PropertyValue)>,
}

impl Event {
    /// An event without revenue or properties.
    pub fn new(user: impl Into<String>, timestamp: Timestamp, name: impl Into<String>) -> Self {
        Event {
            user: user.into(),
            timestamp,
            name: name.into(),
            revenue: None,
            properties: Vec::new(),
        }
    }

    /// The event with `revenue`.
    pub fn with_revenue(mut self, revenue: f64) -> Self {
        self.revenue = Some(revenue);
        self
    }

    /// The event with one more property.
    pub fn with_property(
        mut self,
        key: impl Into<String>,
        value: impl Into<PropertyValue>,
    ) -> Self {
        self.properties.push((key.into(), value.into()));
        self
    }
}

/// A user's index in an [`EventLog`]: users are numbered from 0 in first-seen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserIdx(pub u32);

/// An event name's id in an [`EventLog`]: names are numbered from 0 in first-seen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NameId(pub u32);

/// A property key's id in an [`EventLog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyId(pub u32);

/// A stored property value: strings by their interned id, numbers by their bits (so the type
/// is `Eq` and `Hash` for interning property sets and grouping breakdowns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Stored {
    Bool(bool),
    Num(u64),
    Str(u32),
}

const NO_SET: u32 = u32::MAX;

/// Distinct property sets, each a run of `(key, value)` pairs sorted by key; set 0 is empty.
#[derive(Debug, Clone)]
pub(crate) struct PropSets {
    offsets: Vec<u32>,
    entries: Vec<(u32, Stored)>,
    heads: FastMap<u64, u32>,
    chain: Vec<u32>,
}

impl Default for PropSets {
    fn default() -> Self {
        PropSets {
            offsets: vec![0, 0],
            entries: Vec::new(),
            heads: FastMap::default(),
            chain: vec![NO_SET],
        }
    }
}

impl PropSets {
    fn set(&self, id: u32) -> &[(u32, Stored)] {
        let i = id as usize;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.entries.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The id of the set `entries` (sorted by key, keys distinct), adding it if new.
    fn intern(&mut self, entries: &[(u32, Stored)]) -> Result<u32> {
        if entries.is_empty() {
            return Ok(0);
        }
        let hash = self.heads.hasher().hash_one(entries);
        let mut cur = self.heads.get(&hash).copied().unwrap_or(NO_SET);
        let head = cur;
        while cur != NO_SET {
            if self.set(cur) == entries {
                return Ok(cur);
            }
            cur = self.chain.get(cur as usize).copied().unwrap_or(NO_SET);
        }
        let id = self.chain.len();
        let end = self.entries.len() + entries.len();
        let (Ok(id), Ok(end)) = (u32::try_from(id), u32::try_from(end)) else {
            return Err(AnalyticsError::invalid(
                "build event log",
                "more than u32::MAX distinct property sets or entries",
            ));
        };
        self.entries.extend_from_slice(entries);
        self.offsets.push(end);
        self.chain.push(head);
        self.heads.insert(hash, id);
        Ok(id)
    }

    fn drop_index(&mut self) {
        self.heads = FastMap::default();
        self.chain = Vec::new();
        self.offsets.shrink_to_fit();
        self.entries.shrink_to_fit();
    }

    fn memory_bytes(&self) -> usize {
        self.offsets.capacity() * 4
            + self.entries.capacity() * std::mem::size_of::<(u32, Stored)>()
            + self.heads.capacity() * 13
            + self.chain.capacity() * 4
    }
}

/// The dictionaries of a log.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dicts {
    pub(crate) users: Interner,
    pub(crate) names: Interner,
    pub(crate) keys: Interner,
    pub(crate) strings: Interner,
    pub(crate) sets: PropSets,
}

/// A compact, immutable log of events grouped per user in time order (see the module docs).
#[derive(Debug, Clone)]
pub struct EventLog {
    pub(crate) dicts: Dicts,
    offsets: Vec<u32>,
    ts: Vec<Timestamp>,
    name: Vec<NameId>,
    props: Vec<u32>,
    revenue_at: Vec<u32>,
    revenue: Vec<f64>,
    span: Option<(Timestamp, Timestamp)>,
}

impl EventLog {
    /// A log of `events` (in any order).
    ///
    /// # Errors
    /// Those of [`EventLogBuilder::push`].
    pub fn from_events<I>(events: I) -> Result<EventLog>
    where
        I: IntoIterator,
        I::Item: std::borrow::Borrow<Event>,
    {
        let mut b = EventLogBuilder::new();
        for e in events {
            b.push(std::borrow::Borrow::borrow(&e))?;
        }
        b.build()
    }

    /// The number of events.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Whether the log has no event.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// The number of users (each has at least one event).
    pub fn num_users(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// The users, in index order.
    pub fn users(&self) -> impl ExactSizeIterator<Item = UserIdx> {
        (0..self.num_users() as u32).map(UserIdx)
    }

    /// The id of user `u`, or `""` for an index out of range.
    pub fn user_name(&self, u: UserIdx) -> &str {
        self.dicts.users.name(u.0).unwrap_or("")
    }

    /// The index of the user with id `user`.
    pub fn user_index(&self, user: &str) -> Option<UserIdx> {
        self.dicts.users.get(user).map(UserIdx)
    }

    /// The positions of user `u`'s events (empty for an index out of range).
    pub fn user_range(&self, u: UserIdx) -> Range<usize> {
        let i = u.0 as usize;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }

    /// User `u`'s events in time order.
    pub fn user_events(&self, u: UserIdx) -> impl ExactSizeIterator<Item = EventRef<'_>> + '_ {
        self.user_range(u).map(move |i| EventRef { log: self, i })
    }

    /// The events of the user with id `user`, in time order.
    pub fn user_events_by_name(
        &self,
        user: &str,
    ) -> Option<impl ExactSizeIterator<Item = EventRef<'_>> + '_> {
        self.user_index(user).map(|u| self.user_events(u))
    }

    /// The user that owns event position `i` (binary search), if `i` is in range.
    pub fn user_of(&self, i: usize) -> Option<UserIdx> {
        if i >= self.len() {
            return None;
        }
        let p = self.offsets.partition_point(|&o| o as usize <= i);
        Some(UserIdx(p as u32 - 1))
    }

    /// The number of distinct event names.
    pub fn num_event_names(&self) -> usize {
        self.dicts.names.len()
    }

    /// The event names in id order.
    pub fn event_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.dicts.names.names()
    }

    /// The name with id `id`, or `""` for an id out of range.
    pub fn event_name(&self, id: NameId) -> &str {
        self.dicts.names.name(id.0).unwrap_or("")
    }

    /// The id of event name `name`, if it occurs.
    pub fn name_id(&self, name: &str) -> Option<NameId> {
        self.dicts.names.get(name).map(NameId)
    }

    /// The id of property key `key`, if it occurs.
    pub fn key_id(&self, key: &str) -> Option<KeyId> {
        self.dicts.keys.get(key).map(KeyId)
    }

    /// The property key with id `id`, or `""` for an id out of range.
    pub fn key_name(&self, id: KeyId) -> &str {
        self.dicts.keys.name(id.0).unwrap_or("")
    }

    /// All timestamps, grouped per user in time order.
    pub fn timestamps(&self) -> &[Timestamp] {
        &self.ts
    }

    /// All event-name ids, aligned with [`timestamps`](Self::timestamps).
    pub fn name_ids(&self) -> &[NameId] {
        &self.name
    }

    /// The event at position `i`.
    pub fn event(&self, i: usize) -> Option<EventRef<'_>> {
        (i < self.len()).then_some(EventRef { log: self, i })
    }

    /// All events, user by user.
    pub fn events(&self) -> impl ExactSizeIterator<Item = EventRef<'_>> + '_ {
        (0..self.len()).map(move |i| EventRef { log: self, i })
    }

    /// The earliest and latest timestamps, if the log is not empty.
    pub fn time_span(&self) -> Option<(Timestamp, Timestamp)> {
        self.span
    }

    /// The revenue of event `i`, if it has one.
    pub fn revenue(&self, i: usize) -> Option<f64> {
        let i = u32::try_from(i).ok()?;
        self.revenue_at
            .binary_search(&i)
            .ok()
            .and_then(|p| self.revenue.get(p).copied())
    }

    /// The number of events that carry revenue.
    pub fn num_revenue_events(&self) -> usize {
        self.revenue.len()
    }

    /// The number of distinct property sets (the empty set included).
    pub fn num_property_sets(&self) -> usize {
        self.dicts.sets.offsets.len().saturating_sub(1)
    }

    pub(crate) fn prop_set(&self, i: usize) -> &[(u32, Stored)] {
        self.props.get(i).map_or(&[], |&s| self.dicts.sets.set(s))
    }

    /// The stored value of key `key` on event `i`.
    pub(crate) fn stored_prop(&self, i: usize, key: u32) -> Option<Stored> {
        let set = self.prop_set(i);
        set.binary_search_by_key(&key, |&(k, _)| k)
            .ok()
            .map(|p| set[p].1)
    }

    pub(crate) fn resolve(&self, v: Stored) -> PropertyRef<'_> {
        match v {
            Stored::Bool(b) => PropertyRef::Bool(b),
            Stored::Num(bits) => PropertyRef::Number(f64::from_bits(bits)),
            Stored::Str(id) => PropertyRef::Str(self.dicts.strings.name(id).unwrap_or("")),
        }
    }

    /// The stored form of `value`, if it occurs in the log at all (a string never seen has
    /// none, so no event can equal it).
    pub(crate) fn stored_of(&self, value: &PropertyValue) -> Option<Stored> {
        match value {
            PropertyValue::Bool(b) => Some(Stored::Bool(*b)),
            PropertyValue::Number(x) => Some(Stored::Num(x.to_bits())),
            PropertyValue::String(s) => self.dicts.strings.get(s).map(Stored::Str),
        }
    }

    /// Approximate heap bytes held by the log: the columns at their capacity, the property
    /// sets and the dictionaries (hash maps estimated from their capacity).
    pub fn memory_bytes(&self) -> usize {
        let d = &self.dicts;
        self.offsets.capacity() * 4
            + self.ts.capacity() * 8
            + self.name.capacity() * 4
            + self.props.capacity() * 4
            + self.revenue_at.capacity() * 4
            + self.revenue.capacity() * 8
            + d.sets.memory_bytes()
            + d.users.memory_bytes()
            + d.names.memory_bytes()
            + d.keys.memory_bytes()
            + d.strings.memory_bytes()
    }
}

/// One event of an [`EventLog`], borrowed.
#[derive(Debug, Clone, Copy)]
pub struct EventRef<'a> {
    log: &'a EventLog,
    i: usize,
}

impl<'a> EventRef<'a> {
    /// The event's position in the log.
    pub fn index(&self) -> usize {
        self.i
    }

    /// The user's index.
    pub fn user_idx(&self) -> UserIdx {
        self.log.user_of(self.i).unwrap_or(UserIdx(u32::MAX))
    }

    /// The user's id.
    pub fn user(&self) -> &'a str {
        self.log.user_name(self.user_idx())
    }

    /// The timestamp.
    pub fn timestamp(&self) -> Timestamp {
        self.log.ts[self.i]
    }

    /// The event name's id.
    pub fn name_id(&self) -> NameId {
        self.log.name[self.i]
    }

    /// The event name.
    pub fn name(&self) -> &'a str {
        self.log.event_name(self.log.name[self.i])
    }

    /// The revenue, if any.
    pub fn revenue(&self) -> Option<f64> {
        self.log.revenue(self.i)
    }

    /// The properties, sorted by key id (first-seen order of the keys).
    pub fn properties(&self) -> impl ExactSizeIterator<Item = (&'a str, PropertyRef<'a>)> + 'a {
        let log = self.log;
        log.prop_set(self.i)
            .iter()
            .map(move |&(k, v)| (log.dicts.keys.name(k).unwrap_or(""), log.resolve(v)))
    }

    /// The value of property `key`, if the event has it.
    pub fn property(&self, key: &str) -> Option<PropertyRef<'a>> {
        let k = self.log.dicts.keys.get(key)?;
        self.log.stored_prop(self.i, k).map(|v| self.log.resolve(v))
    }

    /// The event as an owned [`Event`].
    pub fn to_event(&self) -> Event {
        Event {
            user: self.user().to_string(),
            timestamp: self.timestamp(),
            name: self.name().to_string(),
            revenue: self.revenue(),
            properties: self
                .properties()
                .map(|(k, v)| (k.to_string(), v.to_value()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_sets_are_shared_and_last_key_wins() {
        let log = EventLog::from_events([
            Event::new("a", 1, "x")
                .with_property("p", "ios")
                .with_property("c", "fr"),
            Event::new("b", 2, "x")
                .with_property("c", "fr")
                .with_property("p", "ios"),
            Event::new("a", 3, "x")
                .with_property("p", 1.0)
                .with_property("p", true),
            Event::new("a", 4, "x"),
        ])
        .unwrap();
        // Empty set, {p: ios, c: fr} shared by two events, {p: true}.
        assert_eq!(log.num_property_sets(), 3);
        let third = log.event(2).unwrap();
        assert_eq!((third.user(), third.timestamp()), ("a", 4));
        let second = log.event(1).unwrap();
        assert_eq!(second.property("p"), Some(PropertyRef::Bool(true)));
        assert_eq!(log.event(0).unwrap().properties().len(), 2);
        assert_eq!(log.user_of(3), Some(UserIdx(1)));
        assert_eq!(log.user_of(4), None);
    }

    #[test]
    fn push_rejects_bad_events_without_side_effects() {
        let mut b = EventLogBuilder::new();
        let err = b.push(&Event::new("", 1, "x")).unwrap_err().to_string();
        assert!(err.contains("empty user id"), "{err}");
        let err = b
            .push(&Event::new("u", 1, "x").with_revenue(f64::NAN))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("revenue NaN") && err.contains("\"u\""),
            "{err}"
        );
        let err = b
            .push(&Event::new("u", 1, "x").with_property("k", f64::INFINITY))
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"k\"") && err.contains("inf"), "{err}");
        let err = b.push(&Event::new("u", 1, "")).unwrap_err().to_string();
        assert!(err.contains("empty event name"), "{err}");
        assert!(b.is_empty());
        let log = b.build().unwrap();
        assert_eq!((log.len(), log.num_users(), log.time_span()), (0, 0, None));
    }
}
