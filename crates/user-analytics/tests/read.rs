//! The CSV and JSON Lines readers: columns, types, and every error path.

use youshi_user_analytics::event::PropertyRef;
use youshi_user_analytics::generate::{generate, write_csv, GeneratorConfig};
use youshi_user_analytics::read::{
    read_csv, read_csv_file, read_jsonl, read_jsonl_file, PropertyColumns, ReadMode, ReadOptions,
    TimestampFormat,
};
use youshi_user_analytics::AnalyticsError;

fn lenient() -> ReadOptions {
    ReadOptions::default().with_mode(ReadMode::Lenient)
}

#[test]
fn csv_columns_in_any_order_with_typed_properties() {
    let text = "\u{feff}event,flag,timestamp,n,user_id,revenue,country\n\
                buy,true,2024-01-01T00:00:01Z,3.5,u1,9.99,FR\n\
                open,false,2024-01-01T00:00:00Z,,u1,,\"DE\"\n";
    let (log, report) = read_csv(text.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!(
        (report.lines, report.events, report.skipped.len()),
        (3, 2, 0)
    );
    let events: Vec<_> = log.user_events_by_name("u1").unwrap().collect();
    assert_eq!(events[0].name(), "open");
    assert_eq!(events[0].revenue(), None);
    assert_eq!(events[0].property("n"), None); // empty field: absent
    assert_eq!(events[0].property("flag"), Some(PropertyRef::Bool(false)));
    assert_eq!(events[1].revenue(), Some(9.99));
    assert_eq!(events[1].property("n"), Some(PropertyRef::Number(3.5)));
    assert_eq!(events[1].property("country"), Some(PropertyRef::Str("FR")));
    // Without inference everything is a string; with a list only those columns are kept.
    let mut o =
        ReadOptions::default().with_property_columns(PropertyColumns::Only(vec!["n".into()]));
    o.infer_property_types = false;
    let (log, _) = read_csv(text.as_bytes(), &o).unwrap();
    let e = log.event(1).unwrap();
    assert_eq!(e.property("n"), Some(PropertyRef::Str("3.5")));
    assert_eq!(e.property("country"), None);
}

#[test]
fn csv_strict_stops_at_the_first_bad_line_with_its_number() {
    let text =
        "user_id,timestamp,event\nu1,2024-01-01T00:00:00Z,a\nu1,2024-13-01T00:00:00Z,b\nu2,x,c\n";
    let err = read_csv(text.as_bytes(), &ReadOptions::default()).unwrap_err();
    match &err {
        AnalyticsError::Parse { line, column, .. } => {
            assert_eq!((*line, column.as_deref()), (3, Some("timestamp")));
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("read CSV events: line 3, column \"timestamp\""),
        "{msg}"
    );
    assert!(
        msg.contains("2024-13-01T00:00:00Z") && msg.contains("no such date"),
        "{msg}"
    );
}

#[test]
fn csv_lenient_reports_every_skipped_line() {
    let text = "user_id,timestamp,event,revenue\n\
                u1,1700000000,a,\n\
                u1,1700000001,b\n\
                ,1700000002,c,\n\
                u2,1700000003,,\n\
                u2,1700000004,d,abc\n\
                u2,1700000005,e,inf\n\
                u2,soon,f,\n\
                u3,1700000006,g,1.5\n";
    let (log, report) = read_csv(text.as_bytes(), &lenient()).unwrap();
    assert_eq!((log.len(), log.num_users(), report.events), (2, 2, 2));
    let skipped: Vec<(u64, Option<&str>)> = report
        .skipped
        .iter()
        .map(|s| (s.line, s.column.as_deref()))
        .collect();
    assert_eq!(
        skipped,
        [
            (3, None),
            (4, Some("user_id")),
            (5, Some("event")),
            (6, Some("revenue")),
            (7, Some("revenue")),
            (8, Some("timestamp")),
        ]
    );
    assert_eq!(
        report.skipped[0].reason,
        "expected 4 fields as in the header, found 3"
    );
    assert_eq!(report.skipped[1].reason, "empty user id");
    assert_eq!(report.skipped[2].reason, "empty event name");
    assert!(report.skipped[3]
        .reason
        .contains("\"abc\" is not a finite number"));
    assert!(report.skipped[4].reason.contains("\"inf\""));
    assert!(report.skipped[5].reason.contains("\"soon\""));
    assert_eq!(report.lines, 9);
    // A skipped line leaves no trace: u2 has no event, so it is no user.
    assert!(log.user_index("u2").is_none());
}

#[test]
fn csv_header_errors_name_the_columns() {
    let err = read_csv("uid,timestamp,event\n".as_bytes(), &ReadOptions::default()).unwrap_err();
    match &err {
        AnalyticsError::MissingColumn {
            column, available, ..
        } => {
            assert_eq!(column, "user_id");
            assert_eq!(available, &["uid", "timestamp", "event"]);
        }
        other => panic!("expected a missing column, got {other:?}"),
    }
    assert!(err
        .to_string()
        .contains("the header has [\"uid\", \"timestamp\", \"event\"]"));
    let only =
        ReadOptions::default().with_property_columns(PropertyColumns::Only(vec!["plan".into()]));
    let err = read_csv("user_id,timestamp,event\n".as_bytes(), &only)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no column \"plan\""), "{err}");
    let err = read_csv(
        "user_id,timestamp,event,event\n".as_bytes(),
        &ReadOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("\"event\" appears more than once") && err.contains("fields 3 and 4"),
        "{err}"
    );
    let err = read_csv("".as_bytes(), &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, AnalyticsError::Empty { .. }));
    assert!(err.to_string().contains("no header line"));
}

#[test]
fn csv_bad_utf8_is_a_bad_line() {
    let mut text = b"user_id,timestamp,event\nu1,1,a\n".to_vec();
    text.extend_from_slice(b"u\xff,2,b\n");
    let err = read_csv(&text[..], &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 3") && err.contains("not valid UTF-8"),
        "{err}"
    );
}

#[test]
fn timestamp_formats() {
    let text = "user_id,timestamp,event\nu,1500,a\n";
    let ms = ReadOptions::default().with_timestamp_format(TimestampFormat::EpochMillis);
    assert_eq!(
        read_csv(text.as_bytes(), &ms).unwrap().0.timestamps(),
        [1500]
    );
    let s = ReadOptions::default().with_timestamp_format(TimestampFormat::EpochSeconds);
    assert_eq!(
        read_csv(text.as_bytes(), &s).unwrap().0.timestamps(),
        [1_500_000]
    );
    let rfc = ReadOptions::default().with_timestamp_format(TimestampFormat::Rfc3339);
    let err = read_csv(text.as_bytes(), &rfc).unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("\"1500\""), "{err}");
}

#[test]
fn jsonl_reads_nested_and_top_level_properties() {
    let text = concat!(
        r#"{"user_id":"u1","timestamp":"2024-01-01T00:00:00+01:00","event":"open","platform":"ios","properties":{"platform":"android","n":2,"ok":true,"gone":null}}"#,
        "\n\n",
        r#"{"user_id":42,"timestamp":1704067200123,"event":"buy","revenue":5}"#,
        "\r\n",
    );
    let (log, report) = read_jsonl(text.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!((report.lines, report.blank_lines, report.events), (3, 1, 2));
    let open = log.user_events_by_name("u1").unwrap().next().unwrap();
    assert_eq!(open.timestamp(), 1_704_063_600_000);
    assert_eq!(open.property("platform"), Some(PropertyRef::Str("android")));
    assert_eq!(open.property("n"), Some(PropertyRef::Number(2.0)));
    assert_eq!(open.property("ok"), Some(PropertyRef::Bool(true)));
    assert_eq!(open.property("gone"), None);
    let buy = log.user_events_by_name("42").unwrap().next().unwrap();
    assert_eq!(
        (buy.timestamp(), buy.revenue()),
        (1_704_067_200_123, Some(5.0))
    );
    let o = ReadOptions {
        extra_keys_as_properties: false,
        ..ReadOptions::default()
    };
    let (log, _) = read_jsonl(text.as_bytes(), &o).unwrap();
    assert_eq!(log.event(0).unwrap().properties().len(), 3);
}

#[test]
fn jsonl_lenient_and_strict_errors() {
    let text = concat!(
        "{\"user_id\":\"a\",\"timestamp\":1,\"event\":\"x\"}\n",
        "not json\n",
        "[1,2]\n",
        "{\"timestamp\":1,\"event\":\"x\"}\n",
        "{\"user_id\":\"a\",\"timestamp\":true,\"event\":\"x\"}\n",
        "{\"user_id\":\"a\",\"timestamp\":1,\"event\":\"x\",\"tags\":[1]}\n",
        "{\"user_id\":\"a\",\"timestamp\":1,\"event\":\"x\",\"revenue\":\"5\"}\n",
        "{\"user_id\":1.5,\"timestamp\":1,\"event\":\"x\"}\n",
        "{\"user_id\":\"a\",\"timestamp\":1,\"event\":\"x\",\"properties\":3}\n",
    );
    let (log, report) = read_jsonl(text.as_bytes(), &lenient()).unwrap();
    assert_eq!(log.len(), 1);
    let got: Vec<(u64, Option<&str>)> = report
        .skipped
        .iter()
        .map(|s| (s.line, s.column.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (2, None),
            (3, None),
            (4, Some("user_id")),
            (5, Some("timestamp")),
            (6, Some("tags")),
            (7, Some("revenue")),
            (8, Some("user_id")),
            (9, Some("properties")),
        ]
    );
    assert!(report.skipped[0].reason.starts_with("not a JSON object"));
    assert_eq!(report.skipped[2].reason, "missing key \"user_id\"");
    assert!(report.skipped[4].reason.contains("is an array"));
    let err = read_jsonl(text.as_bytes(), &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("read JSON Lines events: line 2:"), "{err}");
}

#[test]
fn missing_files_are_io_errors_naming_the_path() {
    let path = std::env::temp_dir().join("youshi-no-such-events-file.csv");
    for err in [
        read_csv_file(&path, &ReadOptions::default()).unwrap_err(),
        read_jsonl_file(&path, &ReadOptions::default()).unwrap_err(),
    ] {
        assert!(matches!(err, AnalyticsError::Io { .. }));
        assert!(
            err.to_string().contains("youshi-no-such-events-file.csv"),
            "{err}"
        );
    }
}

#[test]
fn generated_logs_round_trip_through_csv() {
    let log = generate(&GeneratorConfig::new(500, 40_000, 20).with_seed(3)).unwrap();
    let path = std::env::temp_dir().join(format!("youshi-roundtrip-{}.csv", std::process::id()));
    write_csv(&log, &path).unwrap();
    let (back, report) = read_csv_file(&path, &ReadOptions::default()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!((report.events, report.skipped.len()), (40_000, 0));
    for u in log.users() {
        let name = log.user_name(u);
        let a: Vec<_> = log.user_events(u).map(|e| e.to_event()).collect();
        let b: Vec<_> = back
            .user_events_by_name(name)
            .unwrap()
            .map(|e| e.to_event())
            .collect();
        assert_eq!(a, b, "user {name}");
    }
}

#[test]
fn bad_lines_keep_their_numbers_across_many_batches() {
    let mut text = String::from("user_id,timestamp,event\n");
    let mut good = [0usize; 7];
    for i in 0..30_000u64 {
        let line = i + 2;
        if line == 3 || line == 25_001 {
            text.push_str(&format!("u{},later,x\n", i % 7));
        } else {
            text.push_str(&format!("u{},{},x\n", i % 7, 1_700_000_000 + i));
            good[(i % 7) as usize] += 1;
        }
    }
    let (log, report) = read_csv(text.as_bytes(), &lenient()).unwrap();
    assert_eq!(
        (log.len(), report.events, report.lines),
        (29_998, 29_998, 30_001)
    );
    let lines: Vec<u64> = report.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, [3, 25_001]);
    // Input order is kept within each user.
    for u in log.users() {
        let ts: Vec<i64> = log.user_events(u).map(|e| e.timestamp()).collect();
        assert!(ts.windows(2).all(|w| w[0] < w[1]));
        let k: usize = log.user_name(u)[1..].parse().unwrap();
        assert_eq!(ts.len(), good[k]);
    }
    let err = read_csv(text.as_bytes(), &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(err, AnalyticsError::Parse { line: 3, .. }),
        "{err}"
    );
}

#[test]
fn written_csv_quotes_awkward_values() {
    use youshi_user_analytics::event::{Event, EventLog};
    let log = EventLog::from_events([
        Event::new("a,b", 1, "say \"hi\"").with_property("note", "two\nlines"),
        Event::new("c", 2, "x")
            .with_property("n", 1.5)
            .with_revenue(0.25),
    ])
    .unwrap();
    let path = std::env::temp_dir().join(format!("youshi-quotes-{}.csv", std::process::id()));
    write_csv(&log, &path).unwrap();
    let (back, report) = read_csv_file(&path, &ReadOptions::default()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!((report.events, report.lines), (2, 3));
    let a = back.user_events_by_name("a,b").unwrap().next().unwrap();
    assert_eq!(a.name(), "say \"hi\"");
    assert_eq!(a.property("note"), Some(PropertyRef::Str("two\nlines")));
    let c = back.user_events_by_name("c").unwrap().next().unwrap();
    assert_eq!(
        (c.revenue(), c.property("n")),
        (Some(0.25), Some(PropertyRef::Number(1.5)))
    );
    // A directory that does not exist: an I/O error naming the file.
    let err = write_csv(&log, std::env::temp_dir().join("youshi-no-dir/x.csv")).unwrap_err();
    assert!(err.to_string().contains("youshi-no-dir"), "{err}");
}

#[test]
fn crlf_line_ends_blank_lines_and_quotes_late_in_the_input() {
    let mut text = String::from("user_id,timestamp,event\r\n");
    text.push_str("u1,later,x\r\n"); // line 2
    for i in 0..20_000u64 {
        text.push_str(&format!("u{},{},x\r\n", i % 3, 1_700_000_000 + i)); // lines 3..=20_002
    }
    text.push_str("\r\n"); // a blank line: 20_003
    text.push_str("u9,1700000000,\"multi\r\nline\"\r\n"); // lines 20_004 and 20_005
    text.push_str("u9,bad,x\r\n"); // line 20_006
    text.push_str("u9,1700000001,y"); // line 20_007, no line end
    let (log, report) = read_csv(text.as_bytes(), &lenient()).unwrap();
    assert_eq!((report.events, report.blank_lines), (20_002, 1));
    let lines: Vec<u64> = report.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, [2, 20_006]);
    let u9: Vec<&str> = log
        .user_events_by_name("u9")
        .unwrap()
        .map(|e| e.name())
        .collect();
    assert_eq!(u9, ["multi\r\nline", "y"]);
    // The CR of each line end is not part of the last field.
    assert_eq!(
        log.user_events_by_name("u0")
            .unwrap()
            .next()
            .unwrap()
            .name(),
        "x"
    );
    let err = read_csv(text.as_bytes(), &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(err, AnalyticsError::Parse { line: 2, .. }),
        "{err}"
    );
    let late = text.replacen("u1,later,x\r\n", "", 1);
    let err = read_csv(late.as_bytes(), &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(err, AnalyticsError::Parse { line: 20_005, .. }),
        "{err}"
    );
}
