//! Sessions and active users on small hand-computed logs.

use youshi_user_analytics::active::{active_users, ActiveOptions};
use youshi_user_analytics::event::{Event, EventLog};
use youshi_user_analytics::filter::{EventFilter, TimeRange};
use youshi_user_analytics::session::{session_stats, sessionize, SessionOptions};
use youshi_user_analytics::time::{MS_PER_DAY as DAY, MS_PER_HOUR as HOUR, MS_PER_MINUTE as MIN};
use youshi_user_analytics::AnalyticsError;

fn log(events: &[(&str, i64, &str)]) -> EventLog {
    EventLog::from_events(events.iter().map(|&(u, t, n)| Event::new(u, t, n))).unwrap()
}

fn shape(log: &EventLog, o: &SessionOptions) -> Vec<(String, u32, i64, i64)> {
    sessionize(log, o)
        .unwrap()
        .iter()
        .map(|s| (log.user_name(s.user).to_string(), s.events, s.start, s.end))
        .collect()
}

#[test]
fn a_gap_equal_to_the_timeout_stays_in_the_session() {
    let l = log(&[
        ("a", 0, "x"),
        ("a", 30 * MIN, "x"),     // gap = timeout
        ("a", 60 * MIN + 1, "x"), // gap = timeout + 1 ms
        ("b", 0, "x"),
    ]);
    let s = shape(&l, &SessionOptions::default());
    assert_eq!(
        s,
        [
            ("a".into(), 2, 0, 30 * MIN),
            ("a".into(), 1, 60 * MIN + 1, 60 * MIN + 1),
            ("b".into(), 1, 0, 0),
        ]
    );
    let stats = session_stats(&l, &SessionOptions::default()).unwrap();
    assert_eq!((stats.sessions, stats.users, stats.events), (3, 2, 4));
    assert_eq!(stats.mean_duration_ms, 10.0 * MIN as f64);
    assert_eq!(stats.median_duration_ms, 0.0);
    assert_eq!(stats.max_duration_ms, 30 * MIN);
    assert_eq!(stats.single_event_sessions, 2);
    assert_eq!(stats.mean_sessions_per_user, 1.5);
    assert_eq!(stats.median_events_per_session, 1.0);
    assert_eq!(stats.max_events_per_session, 2);
    assert_eq!(
        stats,
        sessionize(&l, &SessionOptions::default())
            .unwrap()
            .stats()
            .unwrap()
    );
}

#[test]
fn sessions_crossing_midnight_split_only_when_asked_in_the_given_offset() {
    // 23:50 and 00:10 UTC: one session by the timeout.
    let l = log(&[("a", DAY - 10 * MIN, "x"), ("a", DAY + 10 * MIN, "x")]);
    assert_eq!(shape(&l, &SessionOptions::default()).len(), 1);
    let utc = SessionOptions::default().with_midnight_split(0);
    assert_eq!(shape(&l, &utc).len(), 2);
    // At +01:00 both are on the same local day (00:50 and 01:10).
    let plus1 = SessionOptions::default().with_midnight_split(3600);
    assert_eq!(shape(&l, &plus1).len(), 1);
    // At -00:30 local midnight is 00:30 UTC: 23:20 and 23:40 local, same day.
    let minus = SessionOptions::default().with_midnight_split(-1800);
    assert_eq!(shape(&l, &minus).len(), 1);
}

#[test]
fn a_range_clips_sessions() {
    let l = log(&[("a", 0, "x"), ("a", MIN, "x"), ("a", 2 * MIN, "x")]);
    let o = SessionOptions::default().with_range(TimeRange::new(MIN, 2 * MIN).unwrap());
    assert_eq!(shape(&l, &o), [("a".into(), 1, MIN, MIN)]);
}

#[test]
fn session_errors() {
    let l = log(&[("a", 0, "x")]);
    let err = sessionize(&l, &SessionOptions::default().with_timeout_ms(0))
        .unwrap_err()
        .to_string();
    assert!(err.contains("timeout 0 ms must be positive"), "{err}");
    let err = sessionize(
        &l,
        &SessionOptions::default().with_midnight_split(-19 * 3600),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("-68400 s"), "{err}");
    let empty = SessionOptions::default().with_range(TimeRange::new(5, 6).unwrap());
    assert!(matches!(
        session_stats(&l, &empty),
        Err(AnalyticsError::Empty { .. })
    ));
    assert!(sessionize(&l, &empty).unwrap().is_empty());
}

fn active_log() -> EventLog {
    log(&[
        ("a", 0, "open"),
        ("a", DAY + 1, "open"),
        ("a", 4 * DAY, "open"),
        ("b", DAY, "open"),
        ("b", DAY + HOUR, "open"),
        ("b", 2 * DAY, "open"),
        ("c", 4 * DAY + 5, "open"),
        ("c", 3 * DAY, "ping"),
    ])
}

#[test]
fn dau_wau_mau_over_trailing_windows() {
    let o = ActiveOptions::default()
        .with_windows(2, 3)
        .with_filter(EventFilter::named("open"));
    let r = active_users(&active_log(), &o).unwrap();
    let col = |f: fn(&youshi_user_analytics::active::DailyActive) -> u64| {
        r.days.iter().map(f).collect::<Vec<_>>()
    };
    assert_eq!(col(|d| d.dau), [1, 2, 1, 0, 2]);
    assert_eq!(col(|d| d.wau), [1, 2, 2, 1, 2]);
    assert_eq!(col(|d| d.mau), [1, 2, 2, 2, 3]);
    let complete: Vec<bool> = r.days.iter().map(|d| d.complete).collect();
    assert_eq!(complete, [false, false, true, true, true]);
    let sticky: Vec<f64> = r.days[2..].iter().map(|d| d.stickiness).collect();
    assert_eq!(sticky, [(4.0 / 3.0) / 2.0, 1.0 / 2.0, 1.0 / 3.0]);
    assert!((r.stickiness.unwrap() - 0.5).abs() < 1e-12);
    assert_eq!(r.mean_dau, 1.2);
    assert_eq!(r.mean_mau, Some(7.0 / 3.0));
    assert_eq!(r.users, 3);
    let hist: Vec<(u32, u64)> = r
        .active_days_histogram
        .iter()
        .map(|b| (b.days, b.users))
        .collect();
    assert_eq!(hist, [(1, 1), (2, 1), (3, 1)]);
    assert_eq!(r.days[0].date, "1970-01-01");
    // Counting every event, c is also active on day 3.
    let all = active_users(&active_log(), &o.clone().with_filter(EventFilter::any())).unwrap();
    assert_eq!(all.days[3].dau, 1);
}

#[test]
fn the_offset_moves_events_between_days() {
    let l = log(&[("a", DAY - HOUR, "x"), ("b", DAY + HOUR, "x")]);
    let utc = active_users(&l, &ActiveOptions::default()).unwrap();
    assert_eq!(utc.days.len(), 2);
    let plus2 = active_users(&l, &ActiveOptions::default().with_offset(7200)).unwrap();
    assert_eq!(
        (plus2.days.len(), plus2.days[0].dau, plus2.days[0].day),
        (1, 2, 1)
    );
}

#[test]
fn active_errors() {
    let l = active_log();
    for (w, m) in [(0, 3), (3, 0), (4, 3)] {
        let err = active_users(&l, &ActiveOptions::default().with_windows(w, m))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("windows of {w} and {m} days")),
            "{err}"
        );
    }
    let none = ActiveOptions::default().with_filter(EventFilter::named("zzz"));
    let err = active_users(&l, &none).unwrap_err();
    assert!(matches!(err, AnalyticsError::Empty { .. }));
    assert!(err.to_string().contains("zzz"), "{err}");
}
