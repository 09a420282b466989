//! Funnel rules on small hand-computed logs.

use youshi_user_analytics::event::{Event, EventLog};
use youshi_user_analytics::filter::{EventFilter, TimeRange};
use youshi_user_analytics::funnel::{EntryRule, Funnel};
use youshi_user_analytics::AnalyticsError;

fn log(events: &[(&str, i64, &str)]) -> EventLog {
    EventLog::from_events(events.iter().map(|&(u, t, n)| Event::new(u, t, n))).unwrap()
}

/// The log of the rules: a window edge, equal timestamps in both input orders, a repeated step 1.
fn rules_log() -> EventLog {
    log(&[
        ("edge", 0, "view"),
        ("edge", 5, "cart"),
        ("edge", 10, "buy"), // exactly entry + window: counts
        ("late", 0, "view"),
        ("late", 5, "cart"),
        ("late", 11, "buy"), // one ms past the window
        ("tie", 0, "view"),
        ("tie", 0, "cart"), // same instant as step 1: never step 2
        ("tie", 3, "buy"),
        ("tie2", 0, "cart"), // same instant, before step 1 in the input
        ("tie2", 0, "view"),
        ("tie2", 3, "buy"),
        ("repeat", 0, "view"),
        ("repeat", 20, "view"), // a later step 1
        ("repeat", 25, "cart"),
        ("repeat", 28, "buy"),
    ])
}

fn users(r: &youshi_user_analytics::funnel::FunnelReport) -> Vec<u64> {
    r.steps.iter().map(|s| s.users).collect()
}

#[test]
fn first_entry_counts_window_edge_ties_and_ignores_a_later_step_one() {
    let f = Funnel::new(["view", "cart", "buy"], 10).unwrap();
    let r = f.run(&rules_log()).unwrap();
    assert_eq!(users(&r), [5, 2, 1]);
    assert_eq!(r.steps[1].conversion_from_previous, 0.4);
    assert_eq!(r.steps[2].conversion_from_previous, 0.5);
    assert_eq!(r.steps[2].conversion_from_start, 0.2);
    assert_eq!(r.overall_conversion, 0.2);
    assert_eq!(r.steps[0].median_time_from_previous_ms, None);
    assert_eq!(r.steps[1].median_time_from_previous_ms, Some(5.0));
    assert_eq!(r.steps[2].median_time_from_start_ms, Some(10.0));
    assert_eq!(r.steps[2].label, "buy");
}

#[test]
fn best_entry_takes_the_step_one_that_gets_furthest() {
    let f = Funnel::new(["view", "cart", "buy"], 10)
        .unwrap()
        .with_entry(EntryRule::Best);
    let r = f.run(&rules_log()).unwrap();
    assert_eq!(users(&r), [5, 3, 2]);
    // buy after cart: edge 5, repeat 3 -> the mean of the two middle values.
    assert_eq!(r.steps[2].median_time_from_previous_ms, Some(4.0));
    assert_eq!(r.steps[2].median_time_from_start_ms, Some(9.0));
    let path = f.user_path(&rules_log(), "repeat").unwrap();
    let matched: Vec<(usize, i64, &str)> = path
        .matched
        .iter()
        .map(|m| (m.step, m.timestamp, m.name.as_str()))
        .collect();
    assert_eq!(matched, [(1, 20, "view"), (2, 25, "cart"), (3, 28, "buy")]);
    let first = f.clone().with_entry(EntryRule::First);
    let path = first.user_path(&rules_log(), "repeat").unwrap();
    assert_eq!((path.steps_reached, path.matched[0].timestamp), (1, 0));
}

#[test]
fn equal_timestamps_never_make_consecutive_steps_in_either_order() {
    let l = rules_log();
    let f = Funnel::new(["view", "cart"], 10).unwrap();
    for u in ["tie", "tie2"] {
        assert_eq!(f.user_path(&l, u).unwrap().steps_reached, 1, "{u}");
    }
    // The same event name may fill two steps, from two distinct, strictly later events.
    let twice = log(&[("u", 0, "a"), ("u", 0, "a"), ("u", 1, "a")]);
    let f = Funnel::new(["a", "a", "a"], 10).unwrap();
    assert_eq!(f.user_path(&twice, "u").unwrap().steps_reached, 2);
}

#[test]
fn entry_must_be_in_range_but_later_steps_may_fall_after_it() {
    let l = log(&[
        ("a", 5, "view"),
        ("a", 15, "buy"),
        ("b", 25, "view"), // entry after the range
        ("b", 26, "buy"),
    ]);
    let f = Funnel::new(["view", "buy"], 100)
        .unwrap()
        .with_range(TimeRange::new(0, 10).unwrap());
    let r = f.run(&l).unwrap();
    assert_eq!(users(&r), [1, 1]);
}

#[test]
fn breakdown_groups_by_the_entry_event_property() {
    let l = EventLog::from_events([
        Event::new("a", 0, "view").with_property("platform", "ios"),
        Event::new("a", 1, "buy").with_property("platform", "web"),
        Event::new("b", 0, "view").with_property("platform", "ios"),
        Event::new("c", 0, "view").with_property("platform", "web"),
        Event::new("c", 1, "buy"),
        Event::new("d", 0, "view"),
    ])
    .unwrap();
    let r = Funnel::new(["view", "buy"], 10)
        .unwrap()
        .with_breakdown("platform")
        .run(&l)
        .unwrap();
    let b = r.breakdown.unwrap();
    assert_eq!(b.property, "platform");
    let groups: Vec<(Option<String>, Vec<u64>)> = b
        .groups
        .iter()
        .map(|g| {
            (
                g.value.as_ref().map(ToString::to_string),
                g.steps.iter().map(|s| s.users).collect(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            (Some("ios".into()), vec![2, 1]),
            (None, vec![1, 0]),
            (Some("web".into()), vec![1, 1]),
        ]
    );
    assert_eq!(b.groups[0].overall_conversion, 0.5);
}

#[test]
fn steps_can_filter_on_properties() {
    let l = EventLog::from_events([
        Event::new("a", 0, "view").with_property("page", "home"),
        Event::new("a", 1, "view").with_property("page", "item"),
        Event::new("b", 0, "view").with_property("page", "item"),
    ])
    .unwrap();
    let steps = [
        EventFilter::named("view").with_property("page", "home"),
        EventFilter::named("view").with_property("page", "item"),
    ];
    let r = Funnel::new(steps, 10).unwrap().run(&l).unwrap();
    assert_eq!(users(&r), [1, 1]);
    assert_eq!(r.steps[0].label, "view [page = home]");
}

#[test]
fn errors_name_the_problem() {
    let err = Funnel::new(Vec::<&str>::new(), 10).unwrap_err();
    assert!(matches!(err, AnalyticsError::InvalidArgument { .. }));
    assert!(err.to_string().contains("at least one step"), "{err}");
    let err = Funnel::new(["a"], 0).unwrap_err().to_string();
    assert!(err.contains("window 0 ms must be positive"), "{err}");
    let err = Funnel::new(vec!["a"; 65], 1).unwrap_err().to_string();
    assert!(err.contains("65 steps"), "{err}");
    let l = rules_log();
    let err = Funnel::new(["signup", "view"], 10)
        .unwrap()
        .run(&l)
        .unwrap_err();
    assert!(matches!(err, AnalyticsError::Empty { .. }));
    assert!(err.to_string().contains("step 1 (signup)"), "{err}");
    let err = Funnel::new(["view"], 10)
        .unwrap()
        .with_breakdown("plan")
        .run(&l)
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"plan\""), "{err}");
    let err = Funnel::new(["view"], 10)
        .unwrap()
        .user_path(&l, "nobody")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no user \"nobody\""), "{err}");
}
