//! Every result serialises to JSON with serde.

use serde_json::{json, Value};
use youshi_user_analytics::active::{active_users, ActiveOptions};
use youshi_user_analytics::event::{Event, EventLog, PropertyValue};
use youshi_user_analytics::funnel::{EntryRule, Funnel};
use youshi_user_analytics::paths::{next_events, top_paths, transition_matrix, PathOptions};
use youshi_user_analytics::read::{read_csv, ReadMode, ReadOptions};
use youshi_user_analytics::retention::{retention, Period, RetentionOptions};
use youshi_user_analytics::session::{session_stats, sessionize, SessionOptions};

fn log() -> EventLog {
    EventLog::from_events([
        Event::new("a", 0, "view").with_property("platform", "ios"),
        Event::new("a", 5, "buy").with_revenue(2.5),
        Event::new("b", 1, "view"),
    ])
    .unwrap()
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

#[test]
fn analyses_serialise_with_their_field_names() {
    let l = log();
    let f = Funnel::new(["view", "buy"], 10)
        .unwrap()
        .with_entry(EntryRule::Best)
        .with_breakdown("platform");
    let v = to_json(&f.run(&l).unwrap());
    assert_eq!(v["entry_rule"], "best");
    assert_eq!(v["steps"][1]["users"], 1);
    assert_eq!(v["steps"][1]["median_time_from_previous_ms"], 5.0);
    assert_eq!(v["steps"][0]["median_time_from_previous_ms"], Value::Null);
    assert_eq!(v["breakdown"]["groups"][0]["value"], Value::Null);
    assert_eq!(v["breakdown"]["groups"][1]["value"], "ios");
    let v = to_json(&f.user_path(&l, "a").unwrap());
    assert_eq!(
        v["matched"][1],
        json!({"step": 2, "event_index": 1, "name": "buy", "timestamp": 5})
    );

    let v = to_json(&retention(&l, &RetentionOptions::new(Period::Day, 1)).unwrap());
    assert_eq!(
        (v["period"].clone(), v["buckets"].clone()),
        (json!("day"), json!("rolling"))
    );
    assert_eq!(v["cohorts"][0]["start"], "1970-01-01");
    assert_eq!(v["cohorts"][0]["cells"][0]["users"], 1);
    assert_eq!(v["summary"][0]["bucket"], 0);

    let v = to_json(&active_users(&l, &ActiveOptions::default()).unwrap());
    assert_eq!(v["days"][0]["dau"], 2);
    assert_eq!(
        v["active_days_histogram"][0],
        json!({"days": 1, "users": 2})
    );

    let v = to_json(&session_stats(&l, &SessionOptions::default()).unwrap());
    assert_eq!(
        (v["sessions"].clone(), v["events"].clone()),
        (json!(2), json!(3))
    );
    let v = to_json(
        &sessionize(&l, &SessionOptions::default())
            .unwrap()
            .get(0)
            .unwrap(),
    );
    assert_eq!(
        v,
        json!({"user": 0, "first_event": 0, "events": 2, "start": 0, "end": 5})
    );

    let v = to_json(&next_events(&l, "view", 5, &PathOptions::default()).unwrap());
    assert_eq!(v["next"][0]["event"], "buy");
    assert_eq!(v["next"][1]["event"], Value::Null);
    let v = to_json(&transition_matrix(&l, &PathOptions::default()).unwrap());
    assert_eq!(v["counts"], json!([[0, 1], [0, 0]]));
    let v = to_json(&top_paths(&l, 2, 5, &PathOptions::default()).unwrap());
    assert_eq!(v["paths"][0]["events"], json!(["view", "buy"]));
}

#[test]
fn inputs_and_reports_serialise() {
    let e = Event::new("u", 1, "x")
        .with_property("n", 2.0)
        .with_property("ok", true);
    let v = to_json(&e);
    assert_eq!(v["properties"], json!([["n", 2.0], ["ok", true]]));
    let back: Event = serde_json::from_value(v).unwrap();
    assert_eq!(back, e);
    assert_eq!(to_json(&PropertyValue::from("s")), json!("s"));
    let o = ReadOptions::default().with_mode(ReadMode::Lenient);
    let (_, report) = read_csv("user_id,timestamp,event\nu,x,a\n".as_bytes(), &o).unwrap();
    let v = to_json(&report);
    assert_eq!(v["skipped"][0]["line"], 2);
    assert_eq!(v["skipped"][0]["column"], "timestamp");
}
