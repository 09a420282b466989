//! Paths on small hand-computed logs.

use youshi_user_analytics::event::{Event, EventLog};
use youshi_user_analytics::paths::{next_events, top_paths, transition_matrix, PathOptions};
use youshi_user_analytics::AnalyticsError;

fn log(events: &[(&str, i64, &str)]) -> EventLog {
    EventLog::from_events(events.iter().map(|&(u, t, n)| Event::new(u, t, n))).unwrap()
}

fn paths_log() -> EventLog {
    log(&[
        ("a", 1, "home"),
        ("a", 2, "home"),
        ("a", 3, "item"),
        ("a", 100, "cart"), // after a long gap
        ("b", 1, "home"),
        ("b", 2, "item"),
        ("b", 3, "cart"),
        ("c", 1, "item"),
    ])
}

fn next(l: &EventLog, e: &str, o: &PathOptions) -> Vec<(Option<String>, u64)> {
    next_events(l, e, 10, o)
        .unwrap()
        .next
        .into_iter()
        .map(|n| (n.event, n.count))
        .collect()
}

#[test]
fn next_events_count_path_ends_and_respect_options() {
    let l = paths_log();
    let d = PathOptions::default();
    assert_eq!(
        next(&l, "home", &d),
        [(Some("item".into()), 2), (Some("home".into()), 1)]
    );
    assert_eq!(next(&l, "item", &d), [(Some("cart".into()), 2), (None, 1)]);
    let collapsed = d.with_collapse_repeats(true);
    assert_eq!(next(&l, "home", &collapsed), [(Some("item".into()), 2)]);
    let gap = d.with_max_gap_ms(10);
    assert_eq!(
        next(&l, "item", &gap),
        [(None, 2), (Some("cart".into()), 1)]
    );
    let r = next_events(&l, "item", 1, &d).unwrap();
    assert_eq!(
        (r.occurrences, r.next.len(), r.next[0].share),
        (3, 1, 2.0 / 3.0)
    );
}

#[test]
fn the_matrix_counts_every_consecutive_pair() {
    let m = transition_matrix(&paths_log(), &PathOptions::default()).unwrap();
    assert_eq!(m.events, ["home", "item", "cart"]);
    assert_eq!(m.counts, [vec![1, 2, 0], vec![0, 0, 2], vec![0, 0, 0]]);
    assert_eq!(m.ends, [0, 1, 2]);
    assert_eq!(m.probability("item", "cart"), Some(2.0 / 3.0));
    assert_eq!(m.probability("cart", "home"), Some(0.0));
    assert_eq!(m.probability("nope", "home"), None);
}

#[test]
fn top_paths_rank_by_occurrences_then_users() {
    let l = log(&[
        ("a", 1, "x"),
        ("a", 2, "y"),
        ("a", 3, "x"),
        ("a", 4, "y"),
        ("b", 1, "y"),
        ("b", 2, "x"),
        ("c", 1, "y"),
        ("c", 2, "x"),
    ]);
    let t = top_paths(&l, 2, 10, &PathOptions::default()).unwrap();
    let got: Vec<(Vec<String>, u64, u64)> = t
        .paths
        .iter()
        .map(|p| (p.events.clone(), p.occurrences, p.users))
        .collect();
    assert_eq!(
        got,
        [
            (vec!["y".to_string(), "x".to_string()], 3, 3),
            (vec!["x".to_string(), "y".to_string()], 2, 1),
        ]
    );
    assert_eq!(t.distinct, 2);
    let three = top_paths(&l, 3, 1, &PathOptions::default()).unwrap();
    assert_eq!(three.paths[0].events, ["x", "y", "x"]);
    assert_eq!(three.distinct, 2);
}

#[test]
fn path_errors() {
    let l = paths_log();
    let d = PathOptions::default();
    let err = next_events(&l, "zzz", 3, &d).unwrap_err().to_string();
    assert!(err.contains("no event named \"zzz\""), "{err}");
    let err = next_events(&l, "home", 0, &d).unwrap_err().to_string();
    assert!(err.contains("top must be at least 1"), "{err}");
    let err = top_paths(&l, 0, 3, &d).unwrap_err().to_string();
    assert!(err.contains("length 0"), "{err}");
    let err = transition_matrix(&l, &d.with_max_gap_ms(0))
        .unwrap_err()
        .to_string();
    assert!(err.contains("maximum gap 0 ms"), "{err}");
    let r = youshi_user_analytics::filter::TimeRange::new(50, 60).unwrap();
    let err = next_events(&l, "home", 3, &d.with_range(r)).unwrap_err();
    assert!(matches!(err, AnalyticsError::Empty { .. }));
}
