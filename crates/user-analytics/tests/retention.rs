//! Retention rules on small hand-computed logs, with cohorts at period boundaries.

use youshi_user_analytics::event::{Event, EventLog};
use youshi_user_analytics::filter::{EventFilter, TimeRange};
use youshi_user_analytics::retention::{
    retention, Buckets, CohortMode, Period, Retention, RetentionMeasure, RetentionOptions,
};
use youshi_user_analytics::time::{days_from_civil, MS_PER_DAY as DAY, MS_PER_HOUR as HOUR};
use youshi_user_analytics::AnalyticsError;

fn at(y: i32, m: u32, d: u32) -> i64 {
    days_from_civil(y, m, d) * DAY
}

/// 2024-01-01 is a Monday.
fn boundary_log() -> EventLog {
    EventLog::from_events([
        // Born Sunday 23:00 (week of Jan 1), back two hours later on Monday.
        Event::new("a", at(2024, 1, 7) + 23 * HOUR, "signup"),
        Event::new("a", at(2024, 1, 8) + HOUR, "open"),
        // Born Monday 00:00 exactly (week of Jan 8); an event at the same instant is no return;
        // back exactly seven days later.
        Event::new("b", at(2024, 1, 8), "signup"),
        Event::new("b", at(2024, 1, 8), "open"),
        Event::new("b", at(2024, 1, 15), "open"),
        // Born the last millisecond of Sunday (week of Jan 1), back 14 days and 1 ms later.
        Event::new("c", at(2024, 1, 8) - 1, "signup"),
        Event::new("c", at(2024, 1, 22), "open"),
    ])
    .unwrap()
}

fn opts() -> RetentionOptions {
    RetentionOptions::new(Period::Week, 3).with_birth(EventFilter::named("signup"))
}

fn table(r: &Retention) -> Vec<(String, u64, Vec<u64>)> {
    r.cohorts
        .iter()
        .map(|c| {
            (
                c.start.clone(),
                c.users,
                c.cells.iter().map(|x| x.users).collect(),
            )
        })
        .collect()
}

fn complete(r: &Retention, cohort: usize) -> Vec<bool> {
    r.cohorts[cohort].cells.iter().map(|c| c.complete).collect()
}

#[test]
fn rolling_weeks_count_from_the_birth_instant() {
    let r = retention(&boundary_log(), &opts()).unwrap();
    assert_eq!(
        table(&r),
        [
            ("2024-01-01".to_string(), 2, vec![1, 0, 1, 0]),
            ("2024-01-08".to_string(), 1, vec![0, 1, 0, 0]),
        ]
    );
    // as_of = Jan 22 00:00:00.001; cohort Jan 1's last birth is Jan 7 23:59:59.999, so its
    // bucket 1 ends at Jan 21 23:59:59.999 (complete) and bucket 2 on Jan 28 (not); cohort
    // Jan 8's bucket 1 ends at Jan 22 00:00, a millisecond before as_of.
    assert_eq!(r.as_of, at(2024, 1, 22) + 1);
    assert_eq!(complete(&r, 0), [true, true, false, false]);
    assert_eq!(complete(&r, 1), [true, true, false, false]);
    assert_eq!(r.cohorts[0].cells[0].rate, 0.5);
    // Summary over complete cells only, weighted by cohort size.
    assert_eq!(r.summary[0].rate, Some(1.0 / 3.0));
    assert_eq!((r.summary[1].cohorts, r.summary[1].users), (2, 3));
    assert_eq!(
        (r.summary[1].retained, r.summary[1].rate),
        (1, Some(1.0 / 3.0))
    );
    assert_eq!(r.summary[2].rate, None);
}

#[test]
fn calendar_weeks_start_on_monday() {
    let r = retention(&boundary_log(), &opts().with_buckets(Buckets::Calendar)).unwrap();
    assert_eq!(
        table(&r),
        [
            ("2024-01-01".to_string(), 2, vec![0, 1, 0, 1]),
            ("2024-01-08".to_string(), 1, vec![0, 1, 0, 0]),
        ]
    );
    assert_eq!(complete(&r, 0), [true, true, true, false]);
    assert_eq!(complete(&r, 1), [true, true, false, false]);
}

#[test]
fn on_or_after_counts_any_later_return() {
    let o = opts().with_measure(RetentionMeasure::OnOrAfter);
    let r = retention(&boundary_log(), &o).unwrap();
    assert_eq!(table(&r)[0].2, [2, 1, 1, 0]);
    assert_eq!(table(&r)[1].2, [1, 1, 0, 0]);
}

#[test]
fn an_offset_moves_births_across_the_week_boundary() {
    let sizes = |offset| {
        let r = retention(&boundary_log(), &opts().with_offset(offset)).unwrap();
        r.cohorts
            .iter()
            .map(|c| (c.start.clone(), c.users))
            .collect::<Vec<_>>()
    };
    // At +01:00 the Sunday-night births of a and c are Monday local: all in the week of Jan 8.
    assert_eq!(sizes(3600), [("2024-01-08".to_string(), 3)]);
    // At -01:00 b's Monday 00:00 UTC birth is Sunday 23:00 local: all in the week of Jan 1.
    assert_eq!(sizes(-3600), [("2024-01-01".to_string(), 3)]);
}

#[test]
fn recurring_cohorts_count_every_period_with_a_birth() {
    let l = EventLog::from_events([
        Event::new("d", 10 * HOUR, "open"),
        Event::new("d", DAY + 10 * HOUR, "open"),
        Event::new("d", DAY + 11 * HOUR, "open"),
        Event::new("d", 3 * DAY + 10 * HOUR, "open"),
    ])
    .unwrap();
    let o = RetentionOptions::new(Period::Day, 2);
    let first = retention(&l, &o).unwrap();
    assert_eq!(
        table(&first),
        [("1970-01-01".to_string(), 1, vec![0, 1, 0])]
    );
    let rec = retention(&l, &o.clone().with_cohorts(CohortMode::Recurring)).unwrap();
    assert_eq!(
        table(&rec),
        [
            ("1970-01-01".to_string(), 1, vec![0, 1, 0]),
            ("1970-01-02".to_string(), 1, vec![1, 0, 1]),
            ("1970-01-04".to_string(), 1, vec![0, 0, 0]),
        ]
    );
    // A range keeps the first-time cohort only when the first birth ever lies in it.
    let ranged = o.with_range(TimeRange::new(DAY, 2 * DAY).unwrap());
    assert!(matches!(
        retention(&l, &ranged),
        Err(AnalyticsError::Empty { .. })
    ));
}

#[test]
fn monthly_rolling_buckets_clamp_to_the_month_end() {
    let l = EventLog::from_events([
        Event::new("m", at(2024, 1, 31), "open"),
        Event::new("m", at(2024, 2, 29) - 1, "open"), // bucket 0
        Event::new("n", at(2024, 1, 31), "open"),
        Event::new("n", at(2024, 2, 29), "open"), // Jan 31 + 1 month = Feb 29: bucket 1
        Event::new("n", at(2024, 3, 31), "open"), // + 2 months = Mar 31: bucket 2
    ])
    .unwrap();
    let r = retention(&l, &RetentionOptions::new(Period::Month, 2)).unwrap();
    assert_eq!(table(&r), [("2024-01-01".to_string(), 2, vec![1, 1, 1])]);
    let cal = retention(
        &l,
        &RetentionOptions::new(Period::Month, 2).with_buckets(Buckets::Calendar),
    )
    .unwrap();
    assert_eq!(table(&cal), [("2024-01-01".to_string(), 2, vec![0, 2, 1])]);
}

#[test]
fn as_of_hides_later_events_and_marks_cells_incomplete() {
    let o = opts().with_as_of(at(2024, 1, 15));
    let r = retention(&boundary_log(), &o).unwrap();
    // b's return at Jan 15 00:00 is at as_of: ignored. c's at Jan 22 too.
    assert_eq!(table(&r)[0].2, [1, 0, 0, 0]);
    assert_eq!(table(&r)[1].2, [0, 0, 0, 0]);
    assert_eq!(complete(&r, 0), [true, false, false, false]);
}

#[test]
fn errors_name_the_problem() {
    let l = boundary_log();
    let err = retention(&l, &RetentionOptions::new(Period::Day, 1001))
        .unwrap_err()
        .to_string();
    assert!(err.contains("1001 periods"), "{err}");
    let err = retention(
        &l,
        &RetentionOptions::new(Period::Day, 1).with_offset(20 * 3600),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("72000 s"), "{err}");
    let err = retention(
        &l,
        &RetentionOptions::new(Period::Day, 1).with_birth(EventFilter::named("purchase")),
    )
    .unwrap_err();
    assert!(matches!(err, AnalyticsError::Empty { .. }));
    assert!(err.to_string().contains("purchase"), "{err}");
}
