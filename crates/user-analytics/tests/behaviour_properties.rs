//! Property tests against naive references: sessions partition events, funnels match an
//! exhaustive search, the generator keeps its promises.

use proptest::prelude::*;
use youshi_user_analytics::event::{Event, EventLog};
use youshi_user_analytics::funnel::{EntryRule, Funnel};
use youshi_user_analytics::generate::{generate, GeneratorConfig};
use youshi_user_analytics::session::{sessionize, SessionOptions};
use youshi_user_analytics::time::day_of;

fn arb_log() -> impl Strategy<Value = Vec<(u8, i64, u8)>> {
    prop::collection::vec((0u8..4, 0i64..200, 0u8..3), 0..40)
}

fn build(rows: &[(u8, i64, u8)]) -> EventLog {
    let names = ["a", "b", "c"];
    EventLog::from_events(
        rows.iter()
            .map(|&(u, t, n)| Event::new(format!("u{u}"), t * 1000, names[n as usize])),
    )
    .unwrap()
}

/// The furthest step reachable from entry `e` by trying every choice of later events.
fn naive_reach(ts: &[i64], names: &[u32], steps: &[u32], e: usize, window: i64) -> usize {
    fn go(ts: &[i64], names: &[u32], steps: &[u32], prev: usize, k: usize, end: i64) -> usize {
        if k == steps.len() {
            return k;
        }
        let mut best = k;
        for j in 0..ts.len() {
            if names[j] == steps[k] && ts[j] > ts[prev] && ts[j] <= end {
                best = best.max(go(ts, names, steps, j, k + 1, end));
            }
        }
        best
    }
    go(ts, names, steps, e, 1, ts[e] + window)
}

proptest! {
    #[test]
    fn sessions_partition_each_users_events(rows in arb_log(), timeout in 1i64..60, split in any::<bool>()) {
        let log = build(&rows);
        let mut o = SessionOptions::default().with_timeout_ms(timeout * 1000);
        if split {
            o = o.with_midnight_split(0);
        }
        let s = sessionize(&log, &o).unwrap();
        let ts = log.timestamps();
        let mut next = 0usize;
        for sess in s.iter() {
            // Contiguous, in order, within one user, covering every event once.
            prop_assert_eq!(sess.first_event, next);
            let range = log.user_range(sess.user);
            let end = sess.first_event + sess.events as usize;
            prop_assert!(range.start <= sess.first_event && end <= range.end);
            for i in sess.first_event + 1..end {
                prop_assert!(ts[i] - ts[i - 1] <= timeout * 1000);
            }
            if sess.first_event > range.start {
                let (a, b) = (ts[sess.first_event - 1], ts[sess.first_event]);
                prop_assert!(b - a > timeout * 1000 || (split && day_of(a, 0) != day_of(b, 0)));
            }
            prop_assert_eq!((sess.start, sess.end), (ts[sess.first_event], ts[end - 1]));
            next = end;
        }
        prop_assert_eq!(next, log.len());
    }

    #[test]
    fn funnels_match_an_exhaustive_search(rows in arb_log(), window in 1i64..100, steps in prop::collection::vec(0u32..3, 1..4)) {
        let log = build(&rows);
        let names = ["a", "b", "c"];
        let step_names: Vec<&str> = steps.iter().map(|&s| names[s as usize]).collect();
        let f = Funnel::new(step_names.clone(), window * 1000).unwrap();
        let first = f.run(&log).ok();
        let best = f.clone().with_entry(EntryRule::Best).run(&log).ok();
        let mut want_first = vec![0u64; steps.len()];
        let mut want_best = vec![0u64; steps.len()];
        for u in log.users() {
            let r = log.user_range(u);
            let ts = &log.timestamps()[r.clone()];
            let ids: Vec<u32> = log.name_ids()[r].iter().map(|n| n.0).collect();
            let step_ids: Vec<u32> = step_names.iter()
                .map(|s| log.name_id(s).map_or(u32::MAX, |n| n.0)).collect();
            let entries: Vec<usize> = (0..ts.len()).filter(|&j| ids[j] == step_ids[0]).collect();
            let reach = |e: usize| naive_reach(ts, &ids, &step_ids, e, window * 1000);
            let rf = entries.first().map_or(0, |&e| reach(e));
            let rb = entries.iter().map(|&e| reach(e)).max().unwrap_or(0);
            want_first[..rf].iter_mut().for_each(|c| *c += 1);
            want_best[..rb].iter_mut().for_each(|c| *c += 1);
        }
        let got = |r: &Option<youshi_user_analytics::funnel::FunnelReport>| r.as_ref()
            .map_or(vec![0; steps.len()], |r| r.steps.iter().map(|s| s.users).collect());
        prop_assert_eq!(got(&first), want_first.clone());
        prop_assert_eq!(got(&best), want_best.clone());
        for w in want_best.windows(2) { prop_assert!(w[0] >= w[1]); }
        for (a, b) in want_first.iter().zip(&want_best) { prop_assert!(a <= b); }
    }
}

#[test]
fn the_generator_is_seeded_exact_and_starts_users_with_signup() {
    let c = GeneratorConfig::new(300, 20_000, 60).with_seed(11);
    let a = generate(&c).unwrap();
    let b = generate(&c).unwrap();
    assert_eq!(a.timestamps(), b.timestamps());
    assert_ne!(
        generate(&c.with_seed(12)).unwrap().timestamps(),
        a.timestamps()
    );
    assert_eq!((a.len(), a.num_users()), (20_000, 300));
    let (lo, hi) = a.time_span().unwrap();
    assert!(lo >= c.start && hi < c.start + 60 * youshi_user_analytics::time::MS_PER_DAY);
    for u in a.users() {
        let first = a.user_events(u).next().unwrap();
        assert_eq!(first.name(), "signup");
        assert!(first.property("platform").is_some() && first.property("country").is_some());
    }
    let purchases = a.events().filter(|e| e.name() == "purchase").count();
    assert!(purchases > 0 && purchases == a.num_revenue_events());
    let err = generate(&GeneratorConfig::new(10, 5, 3))
        .unwrap_err()
        .to_string();
    assert!(err.contains("events >= users"), "{err}");
}
