//! A seeded generator of realistic product event logs, for examples, tests and benchmarks.
//!
//! ```
//! use youshi_user_analytics::generate::{generate, GeneratorConfig};
//! let log = generate(&GeneratorConfig::new(100, 5_000, 30).with_seed(7))?;
//! assert_eq!((log.len(), log.num_users()), (5_000, 100));
//! // The same seed gives the same log.
//! let again = generate(&GeneratorConfig::new(100, 5_000, 30).with_seed(7))?;
//! assert_eq!(log.timestamps(), again.timestamps());
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```
//!
//! # The model
//! - Each user signs up at a uniformly random time during the `days` simulated days
//!   (`signup` is their first event), and has a platform (`web` 50 %, `ios` 30 %, `android`
//!   20 %) and a country (eight countries, `US` the most common), which every one of their
//!   events carries as the properties `platform` and `country`.
//! - Churn: 30 % of users never come back after the signup day; the others stay for an
//!   exponentially distributed number of days (mean 25), cut at the end of the simulation.
//! - Activity: a log-normal weight per user (σ = 1) times the length of their life sets their
//!   share of the event budget, so a few heavy users produce many events and most produce
//!   few. Every user has at least the signup event, and the total is exactly `events`.
//! - Sessions: a user's events after signup come in sessions of 1–12 events (the first
//!   starting at signup) on random days of their life, with 5 s to 2 min between events.
//!   Within a session the event names follow a Markov chain over `page_view`, `search`,
//!   `view_item`, `add_to_cart`, `checkout` and `purchase`; a purchase carries a log-normal
//!   revenue (median about 33) rounded to cents.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::event::{EventLog, EventLogBuilder, Stored};
use crate::time::{days_from_civil, Timestamp, MS_PER_DAY, MS_PER_SECOND};
use crate::{AnalyticsError, Result};

const OP: &str = "generate events";

/// The size and seed of a generated log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratorConfig {
    /// Users (at least 1).
    pub users: usize,
    /// Events in total (at least one per user).
    pub events: usize,
    /// Simulated days (at least 1).
    pub days: u32,
    /// The start of the first day (2024-01-01T00:00:00Z by default).
    pub start: Timestamp,
    /// The seed of the random generator (0 by default).
    pub seed: u64,
}

impl GeneratorConfig {
    /// `users` users producing `events` events over `days` days from 2024-01-01, seed 0.
    pub fn new(users: usize, events: usize, days: u32) -> Self {
        GeneratorConfig {
            users,
            events,
            days,
            start: days_from_civil(2024, 1, 1) * MS_PER_DAY,
            seed: 0,
        }
    }

    /// The config with this seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The config starting at `start`.
    pub fn with_start(mut self, start: Timestamp) -> Self {
        self.start = start;
        self
    }
}

const NAMES: [&str; 7] = [
    "signup",
    "page_view",
    "search",
    "view_item",
    "add_to_cart",
    "checkout",
    "purchase",
];
const PLATFORMS: [(&str, f64); 3] = [("web", 0.5), ("ios", 0.3), ("android", 0.2)];
const COUNTRIES: [(&str, f64); 8] = [
    ("US", 0.35),
    ("IN", 0.15),
    ("GB", 0.10),
    ("DE", 0.10),
    ("BR", 0.10),
    ("FR", 0.08),
    ("JP", 0.07),
    ("CA", 0.05),
];
/// Markov transitions between the session events (indices into `NAMES`).
const NEXT: [&[(usize, f64)]; 7] = [
    &[(1, 1.0)],
    &[(1, 0.45), (3, 0.45), (2, 0.10)],
    &[(3, 0.7), (1, 0.3)],
    &[(3, 0.35), (4, 0.20), (1, 0.45)],
    &[(5, 0.45), (3, 0.35), (1, 0.20)],
    &[(6, 0.6), (1, 0.4)],
    &[(1, 1.0)],
];

fn pick(rng: &mut ChaCha8Rng, table: &[(usize, f64)]) -> usize {
    let mut x: f64 = rng.gen();
    for &(i, p) in table {
        if x < p {
            return i;
        }
        x -= p;
    }
    table.last().map_or(0, |&(i, _)| i)
}

fn pick_weighted(rng: &mut ChaCha8Rng, table: &[(&str, f64)]) -> usize {
    let mut x: f64 = rng.gen();
    for (i, &(_, p)) in table.iter().enumerate() {
        if x < p {
            return i;
        }
        x -= p;
    }
    table.len() - 1
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller.
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
}

struct UserPlan {
    signup: Timestamp,
    life_days: u32,
    platform: usize,
    country: usize,
    events: usize,
}

/// Generates a log as described in the module docs.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] for no users, no days, fewer events than users, or a
/// time span that overflows.
///
/// # Complexity
/// O(events log events) time (the log's build sorts each user's events).
pub fn generate(config: &GeneratorConfig) -> Result<EventLog> {
    let GeneratorConfig {
        users,
        events,
        days,
        start,
        seed,
    } = *config;
    if users == 0 || days == 0 || events < users {
        return Err(AnalyticsError::invalid(
            OP,
            format!(
                "{users} users, {events} events, {days} days: need users >= 1, days >= 1 and \
                 events >= users"
            ),
        ));
    }
    if start.checked_add(i64::from(days) * MS_PER_DAY).is_none() {
        return Err(AnalyticsError::invalid(
            OP,
            format!("start {start} plus {days} days overflows"),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let span = i64::from(days) * MS_PER_DAY;
    let mut plans: Vec<UserPlan> = Vec::with_capacity(users);
    let mut weights: Vec<f64> = Vec::with_capacity(users);
    for _ in 0..users {
        let signup = start + rng.gen_range(0..span);
        let day = ((signup - start) / MS_PER_DAY) as u32;
        let left = days - 1 - day;
        let life = if rng.gen::<f64>() < 0.3 {
            0
        } else {
            let x = -25.0 * libm::log(1.0 - rng.gen::<f64>());
            (x as u32).min(left)
        };
        let activity = libm::exp(normal(&mut rng));
        weights.push(activity * f64::from(life + 1));
        plans.push(UserPlan {
            signup,
            life_days: life,
            platform: pick_weighted(&mut rng, &PLATFORMS),
            country: pick_weighted(&mut rng, &COUNTRIES),
            events: 1,
        });
    }
    // Share the remaining budget by weight; hand out what rounding leaves one by one.
    let rest = events - users;
    let total: f64 = weights.iter().sum();
    let mut given = 0usize;
    for (p, w) in plans.iter_mut().zip(&weights) {
        let n = (rest as f64 * w / total) as usize;
        p.events += n;
        given += n;
    }
    let mut i = rng.gen_range(0..users);
    while given < rest {
        plans[i].events += 1;
        given += 1;
        i = (i + 1) % users;
    }
    drop(weights);

    let mut b = EventLogBuilder::with_capacity(events);
    let name_ids: Vec<u32> = NAMES
        .iter()
        .map(|n| b.dicts.names.intern(n, "event names"))
        .collect::<Result<_>>()?;
    let platform_key = b.dicts.keys.intern("platform", "property keys")?;
    let country_key = b.dicts.keys.intern("country", "property keys")?;
    let mut sets = vec![0u32; PLATFORMS.len() * COUNTRIES.len()];
    for (pi, (p, _)) in PLATFORMS.iter().enumerate() {
        for (ci, (c, _)) in COUNTRIES.iter().enumerate() {
            let pv = Stored::Str(b.dicts.strings.intern(p, "strings")?);
            let cv = Stored::Str(b.dicts.strings.intern(c, "strings")?);
            b.clear_props();
            b.add_prop(platform_key, pv);
            b.add_prop(country_key, cv);
            sets[pi * COUNTRIES.len() + ci] = b.finish_props()?;
        }
    }
    let end = start + span;
    let mut id = String::new();
    for (u, plan) in plans.iter().enumerate() {
        id.clear();
        use std::fmt::Write as _;
        let _ = write!(id, "u{u:07}");
        let user = b.dicts.users.intern(&id, "users")?;
        let set = sets[plan.platform * COUNTRIES.len() + plan.country];
        b.push_ids(user, plan.signup, name_ids[0], None, set);
        let mut left = plan.events - 1;
        let mut first_session = true;
        while left > 0 {
            let size = rng.gen_range(1..=12usize).min(left);
            left -= size;
            let mut t = if first_session {
                plan.signup + rng.gen_range(1..30) * MS_PER_SECOND
            } else {
                let day = rng.gen_range(0..=plan.life_days);
                let day_start = (plan.signup - start) / MS_PER_DAY * MS_PER_DAY
                    + start
                    + i64::from(day) * MS_PER_DAY;
                (day_start + rng.gen_range(0..MS_PER_DAY)).max(plan.signup + 1)
            };
            first_session = false;
            let mut state = 1usize;
            for _ in 0..size {
                let revenue = (state == 6)
                    .then(|| (libm::exp(3.5 + 0.6 * normal(&mut rng)) * 100.0).round() / 100.0);
                b.push_ids(user, t.min(end - 1), name_ids[state], revenue, set);
                t += rng.gen_range(5..=120) * MS_PER_SECOND;
                state = pick(&mut rng, NEXT[state]);
            }
        }
    }
    b.build()
}

/// Writes `bytes` produced by `fill` to `path` atomically: a temporary file in the same
/// directory, synced, then renamed over `path`.
pub(crate) fn write_atomic(
    op: &'static str,
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<()> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| AnalyticsError::Io {
            op,
            path: p,
            source,
        }
    };
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}", std::process::id()));
    let tmp: PathBuf = path.with_file_name(name);
    let file = File::create(&tmp).map_err(io(&tmp))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let written = fill(&mut w)
        .and_then(|()| w.flush())
        .and_then(|()| w.get_ref().sync_all())
        .map_err(io(&tmp));
    drop(w);
    let renamed = written.and_then(|()| std::fs::rename(&tmp, path).map_err(io(path)));
    if renamed.is_err() {
        // Only the temporary file created here is removed; `path` is untouched.
        let _ = std::fs::remove_file(&tmp);
    }
    renamed
}

/// `ts` as `YYYY-MM-DDTHH:MM:SS.mmmZ` into `out` (years 0000–9999).
fn rfc3339_into(ts: Timestamp, out: &mut [u8; 24]) {
    let days = ts.div_euclid(MS_PER_DAY);
    let ms = ts.rem_euclid(MS_PER_DAY);
    let (y, m, d) = crate::time::civil_from_days(days);
    let put = |out: &mut [u8; 24], at: usize, v: u32, n: usize| {
        let mut v = v;
        for i in (0..n).rev() {
            out[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    *out = *b"0000-00-00T00:00:00.000Z";
    put(out, 0, y.clamp(0, 9999) as u32, 4);
    put(out, 5, m, 2);
    put(out, 8, d, 2);
    put(out, 11, (ms / 3_600_000) as u32, 2);
    put(out, 14, (ms / 60_000 % 60) as u32, 2);
    put(out, 17, (ms / 1_000 % 60) as u32, 2);
    put(out, 20, (ms % 1_000) as u32, 3);
}

/// Writes `log` as CSV to `path` (atomically), in global time order (ties by user), with
/// the columns `user_id`, `timestamp` (RFC 3339 UTC with ms), `event`, `revenue` and one column
/// per property key in key order; an absent value is an empty field. Fields are quoted when
/// needed. Reading the file back with type inference gives the same log, except that a string
/// property that reads as a number or a boolean (`"42"`, `"true"`) comes back typed.
///
/// # Errors
/// [`AnalyticsError::Io`] naming the file if writing fails.
///
/// # Examples
/// ```
/// use youshi_user_analytics::generate::{generate, write_csv, GeneratorConfig};
/// use youshi_user_analytics::read::{read_csv_file, ReadOptions};
/// let log = generate(&GeneratorConfig::new(20, 300, 10))?;
/// let path = std::env::temp_dir().join(format!("youshi-doc-{}.csv", std::process::id()));
/// write_csv(&log, &path)?;
/// let (back, report) = read_csv_file(&path, &ReadOptions::default())?;
/// std::fs::remove_file(&path).ok();
/// assert_eq!((back.len(), report.skipped.len()), (300, 0));
/// assert_eq!(back.timestamps().len(), log.timestamps().len());
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn write_csv(log: &EventLog, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let ts = log.timestamps();
    let mut order: Vec<(Timestamp, u32, u32)> = Vec::with_capacity(log.len());
    for u in log.users() {
        for i in log.user_range(u) {
            order.push((ts[i], u.0, i as u32));
        }
    }
    order.sort_unstable();
    let keys: Vec<String> = (0..log.dicts.keys.len())
        .map(|k| log.key_name(crate::event::KeyId(k as u32)).to_string())
        .collect();
    write_atomic("write CSV events", path, |w| {
        let mut out = ::csv::WriterBuilder::new().from_writer(w);
        let mut header = vec!["user_id", "timestamp", "event", "revenue"];
        header.extend(keys.iter().map(String::as_str));
        out.write_record(&header).map_err(std::io::Error::from)?;
        let mut rec = ::csv::ByteRecord::new();
        let mut stamp = [0u8; 24];
        let mut num = String::new();
        let mut values: Vec<Option<String>> = vec![None; keys.len()];
        for &(t, u, i) in &order {
            let i = i as usize;
            rec.clear();
            rec.push_field(log.user_name(crate::event::UserIdx(u)).as_bytes());
            rfc3339_into(t, &mut stamp);
            rec.push_field(&stamp);
            rec.push_field(log.event_name(log.name_ids()[i]).as_bytes());
            num.clear();
            if let Some(r) = log.revenue(i) {
                use std::fmt::Write as _;
                let _ = write!(num, "{r}");
            }
            rec.push_field(num.as_bytes());
            values.iter_mut().for_each(|v| *v = None);
            for &(k, v) in log.prop_set(i) {
                if let Some(slot) = values.get_mut(k as usize) {
                    *slot = Some(match log.resolve(v) {
                        crate::event::PropertyRef::Str(s) => s.to_string(),
                        other => other.to_value().to_string(),
                    });
                }
            }
            for v in &values {
                rec.push_field(v.as_deref().unwrap_or("").as_bytes());
            }
            out.write_byte_record(&rec).map_err(std::io::Error::from)?;
        }
        out.flush()
    })
}
