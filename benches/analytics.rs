//! Product analytics over 10 million generated events (200,000 users, 90 days): reading the
//! CSV, sessions, a 3-step funnel, weekly retention and DAU/MAU, each timed alone.
//!
//! The log comes from `youshi::user_analytics::generate` (seed 0) and is written once to a
//! temporary CSV file (about 530 MB) for the read group; the analysis groups run on the log in
//! memory. Throughput is in events per second.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use youshi::user_analytics::active::{active_users, ActiveOptions};
use youshi::user_analytics::event::EventLog;
use youshi::user_analytics::funnel::{EntryRule, Funnel};
use youshi::user_analytics::generate::{generate, write_csv, GeneratorConfig};
use youshi::user_analytics::read::{read_csv_file, ReadOptions};
use youshi::user_analytics::retention::{retention, Period, RetentionOptions};
use youshi::user_analytics::session::{session_stats, SessionOptions};
use youshi::user_analytics::time::MS_PER_DAY;

const EVENTS: usize = 10_000_000;
const USERS: usize = 200_000;
const DAYS: u32 = 90;

/// The generated CSV file, removed when dropped.
struct TempCsv(PathBuf);

impl Drop for TempCsv {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(EVENTS as u64));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(5));
    g
}

fn analytics(c: &mut Criterion) {
    let log: EventLog = generate(&GeneratorConfig::new(USERS, EVENTS, DAYS)).expect("valid config");
    let csv =
        TempCsv(std::env::temp_dir().join(format!("youshi-bench-{}.csv", std::process::id())));
    write_csv(&log, &csv.0).expect("temp dir writable");

    let mut g = group(c, "read_csv");
    g.measurement_time(Duration::from_secs(40));
    g.bench_function("events_10m_users_200k", |b| {
        b.iter(|| black_box(read_csv_file(&csv.0, &ReadOptions::default()).expect("valid csv")))
    });
    g.finish();
    drop(csv);

    let mut g = group(c, "sessions");
    g.bench_function("timeout_30min_10m", |b| {
        b.iter(|| black_box(session_stats(&log, &SessionOptions::default()).expect("events")))
    });
    g.finish();

    let mut g = group(c, "funnel_3_steps");
    for (label, entry) in [
        ("first_entry_10m", EntryRule::First),
        ("best_entry_10m", EntryRule::Best),
    ] {
        let funnel = Funnel::new(["view_item", "add_to_cart", "purchase"], MS_PER_DAY)
            .expect("valid funnel")
            .with_entry(entry);
        g.bench_function(label, |b| {
            b.iter(|| black_box(funnel.run(&log).expect("entrants")))
        });
    }
    g.finish();

    let mut g = group(c, "retention_weekly");
    let options = RetentionOptions::new(Period::Week, 12);
    g.bench_function("rolling_on_12_weeks_10m", |b| {
        b.iter(|| black_box(retention(&log, &options).expect("cohorts")))
    });
    g.finish();

    let mut g = group(c, "dau_mau");
    g.bench_function("windows_7_30_10m", |b| {
        b.iter(|| black_box(active_users(&log, &ActiveOptions::default()).expect("events")))
    });
    g.finish();
}

criterion_group!(benches, analytics);
criterion_main!(benches);
