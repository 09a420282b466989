//! [`EventLogBuilder`]: collects events in any order, then sorts them into an [`EventLog`].

use super::{Dicts, Event, EventLog, NameId, PropertyValue, Stored};
use crate::time::Timestamp;
use crate::{AnalyticsError, Result};

/// Collects events in any order and builds an [`EventLog`].
///
/// ```
/// use youshi_user_analytics::event::{Event, EventLogBuilder};
/// let mut b = EventLogBuilder::new();
/// b.push(&Event::new("u1", 5, "open"))?;
/// b.push(&Event::new("u1", 1, "install"))?;
/// let log = b.build()?;
/// assert_eq!(log.event(0).unwrap().name(), "install");
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct EventLogBuilder {
    pub(crate) dicts: Dicts,
    user: Vec<u32>,
    ts: Vec<Timestamp>,
    name: Vec<u32>,
    props: Vec<u32>,
    revenue: Vec<(u32, f64)>,
    scratch: Vec<(u32, Stored)>,
}

const OP_BUILD: &str = "build event log";

impl EventLogBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty builder with room for `events` events.
    pub fn with_capacity(events: usize) -> Self {
        let mut b = Self::default();
        b.reserve(events);
        b
    }

    /// Makes room for `additional` more events.
    pub fn reserve(&mut self, additional: usize) {
        self.user.reserve(additional);
        self.ts.reserve(additional);
        self.name.reserve(additional);
        self.props.reserve(additional);
    }

    /// How many events have been added.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Whether no event has been added.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Adds one event.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] for an empty user id or event name, a revenue or
    /// number property that is not finite, or more than `u32::MAX - 1` events, users or names.
    pub fn push(&mut self, event: &Event) -> Result<()> {
        if event.user.is_empty() {
            return Err(AnalyticsError::invalid(OP_BUILD, "empty user id"));
        }
        if event.name.is_empty() {
            return Err(AnalyticsError::invalid(
                OP_BUILD,
                format!("empty event name for user {:?}", event.user),
            ));
        }
        if let Some(r) = event.revenue.filter(|r| !r.is_finite()) {
            return Err(AnalyticsError::invalid(
                OP_BUILD,
                format!("revenue {r} of user {:?} is not finite", event.user),
            ));
        }
        for (k, v) in &event.properties {
            if let PropertyValue::Number(x) = v {
                if !x.is_finite() {
                    return Err(AnalyticsError::invalid(
                        OP_BUILD,
                        format!(
                            "property {k:?} = {x} of user {:?} is not finite",
                            event.user
                        ),
                    ));
                }
            }
        }
        self.check_room()?;
        self.scratch.clear();
        for (k, v) in &event.properties {
            let key = self.dicts.keys.intern(k, "property keys")?;
            let value = match v {
                PropertyValue::Bool(b) => Stored::Bool(*b),
                PropertyValue::Number(x) => Stored::Num(x.to_bits()),
                PropertyValue::String(s) => Stored::Str(self.dicts.strings.intern(s, "strings")?),
            };
            self.scratch.push((key, value));
        }
        let props = self.finish_props()?;
        let user = self.dicts.users.intern(&event.user, "users")?;
        let name = self.dicts.names.intern(&event.name, "event names")?;
        self.push_ids(user, event.timestamp, name, event.revenue, props);
        Ok(())
    }

    fn check_room(&self) -> Result<()> {
        if self.ts.len() >= (u32::MAX - 1) as usize {
            return Err(AnalyticsError::invalid(
                OP_BUILD,
                format!("more than {} events", u32::MAX - 1),
            ));
        }
        Ok(())
    }

    /// Starts the property list of the next event (readers' fast path).
    pub(crate) fn clear_props(&mut self) {
        self.scratch.clear();
    }

    /// Adds a property to the next event (readers' fast path).
    pub(crate) fn add_prop(&mut self, key: u32, value: Stored) {
        self.scratch.push((key, value));
    }

    /// Interns the collected properties as a set: sorted by key, the last of a repeated key
    /// kept.
    pub(crate) fn finish_props(&mut self) -> Result<u32> {
        let s = &mut self.scratch;
        if s.len() > 1 {
            // Stable: among equal keys the input order is kept, so the last one is the last.
            s.sort_by_key(|&(k, _)| k);
            let mut w = 0;
            for r in 0..s.len() {
                if w > 0 && s[w - 1].0 == s[r].0 {
                    s[w - 1] = s[r];
                } else {
                    s[w] = s[r];
                    w += 1;
                }
            }
            s.truncate(w);
        }
        self.dicts.sets.intern(&self.scratch)
    }

    /// Adds an event of already-interned parts (readers' fast path; revenue checked finite
    /// by the caller).
    pub(crate) fn push_ids(
        &mut self,
        user: u32,
        ts: Timestamp,
        name: u32,
        revenue: Option<f64>,
        props: u32,
    ) {
        let row = self.ts.len() as u32;
        self.user.push(user);
        self.ts.push(ts);
        self.name.push(name);
        self.props.push(props);
        if let Some(r) = revenue {
            self.revenue.push((row, r));
        }
    }

    /// Checks that one more event fits (readers' fast path).
    pub(crate) fn ensure_room(&self) -> Result<()> {
        self.check_room()
    }

    /// Sorts the events by user and time (stably) and builds the log.
    ///
    /// # Errors
    /// None at present beyond those of [`push`](Self::push); kept fallible for limits
    /// checked at build time.
    pub fn build(self) -> Result<EventLog> {
        let EventLogBuilder {
            mut dicts,
            user,
            ts,
            name,
            props,
            revenue,
            scratch: _,
        } = self;
        let n = ts.len();
        let n_users = dicts.users.len();
        // Counting sort by user: stable, O(n).
        let mut offsets = vec![0u32; n_users + 1];
        for &u in &user {
            offsets[u as usize + 1] += 1;
        }
        for i in 0..n_users {
            offsets[i + 1] += offsets[i];
        }
        let mut cursor: Vec<u32> = offsets[..n_users].to_vec();
        let mut perm = vec![0u32; n];
        for (row, &u) in user.iter().enumerate() {
            let c = &mut cursor[u as usize];
            perm[*c as usize] = row as u32;
            *c += 1;
        }
        drop(cursor);
        // Within a user, a stable sort by time (usually already sorted: checked first).
        for w in offsets.windows(2) {
            let range = &mut perm[w[0] as usize..w[1] as usize];
            if range
                .windows(2)
                .any(|p| ts[p[0] as usize] > ts[p[1] as usize])
            {
                range.sort_by_key(|&r| ts[r as usize]);
            }
        }
        let gather = |col: &[u32]| -> Vec<u32> { perm.iter().map(|&r| col[r as usize]).collect() };
        let name_col: Vec<NameId> = perm.iter().map(|&r| NameId(name[r as usize])).collect();
        drop(name);
        let props_col = gather(&props);
        drop(props);
        let ts_col: Vec<Timestamp> = perm.iter().map(|&r| ts[r as usize]).collect();
        drop(ts);
        // Reuse the user column as the inverse permutation to place the sparse revenues.
        let mut inverse = user;
        for (pos, &r) in perm.iter().enumerate() {
            inverse[r as usize] = pos as u32;
        }
        drop(perm);
        let mut rev: Vec<(u32, f64)> = revenue
            .into_iter()
            .map(|(r, v)| (inverse[r as usize], v))
            .collect();
        drop(inverse);
        rev.sort_unstable_by_key(|&(p, _)| p);
        let (revenue_at, revenue): (Vec<u32>, Vec<f64>) = rev.into_iter().unzip();
        dicts.sets.drop_index();
        let span = if n == 0 {
            None
        } else {
            let (mut lo, mut hi) = (Timestamp::MAX, Timestamp::MIN);
            for &t in &ts_col {
                lo = lo.min(t);
                hi = hi.max(t);
            }
            Some((lo, hi))
        };
        Ok(EventLog {
            dicts,
            offsets,
            ts: ts_col,
            name: name_col,
            props: props_col,
            revenue_at,
            revenue,
            span,
        })
    }
}
