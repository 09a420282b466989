//! The retention heatmap.

use super::svg::{Anchor, Svg};
use crate::retention::{Period, Retention};

const CELL_W: f64 = 52.0;
const CELL_H: f64 = 22.0;
const LEFT: f64 = 170.0;
const TOP: f64 = 84.0;

/// The colour of a rate in [0, 1]: from near-white to dark blue, on a square-root scale so
/// that the small rates of later buckets stay distinguishable.
fn shade(rate: f64) -> (String, bool) {
    let t = if rate.is_finite() {
        rate.clamp(0.0, 1.0).sqrt()
    } else {
        0.0
    };
    let (a, b) = ([247.0, 251.0, 255.0], [8.0, 48.0, 107.0]);
    let c: Vec<u8> = a
        .iter()
        .zip(&b)
        .map(|(a, b)| (a + (b - a) * t).round() as u8)
        .collect();
    (format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]), t > 0.55)
}

/// A cohort-by-bucket heatmap of retention rates: one row per cohort (labelled with its start
/// and size), one column per bucket, each cell a `<rect class="cell">` shaded by its rate and
/// labelled with it. Incomplete cells (a bucket not yet over for every member, so the rate is
/// a lower bound) get the class `cell incomplete` and a hatched overlay, explained in a
/// legend.
///
/// # Examples
/// ```
/// use youshi_user_analytics::chart::retention_svg;
/// use youshi_user_analytics::event::{Event, EventLog};
/// use youshi_user_analytics::retention::{retention, Period, RetentionOptions};
/// use youshi_user_analytics::time::MS_PER_DAY as DAY;
/// let log = EventLog::from_events([Event::new("a", 0, "open"), Event::new("a", DAY + 1, "open")])?;
/// let r = retention(&log, &RetentionOptions::new(Period::Day, 2))?;
/// let svg = retention_svg(&r);
/// assert_eq!(svg.matches(r#"class="cell"#).count(), 3);
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn retention_svg(retention: &Retention) -> String {
    let columns = retention
        .cohorts
        .iter()
        .map(|c| c.cells.len())
        .max()
        .unwrap_or(0);
    let rows = retention.cohorts.len();
    let width = (LEFT + CELL_W * columns as f64 + 20.0).max(480.0);
    let height = TOP + CELL_H * rows as f64 + 60.0;
    let unit = match retention.period {
        Period::Day => "days",
        Period::Week => "weeks",
        Period::Month => "months",
    };
    let mut svg = Svg::new(width, height);
    svg.def(
        r##"<pattern id="incomplete" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#888888" stroke-width="2"/></pattern>"##,
    );
    svg.title(&format!("Retention by cohort ({rows} cohorts)"));
    svg.text(
        LEFT + CELL_W * columns as f64 / 2.0,
        TOP - 32.0,
        &format!("{unit} since first activity"),
        13.0,
        Anchor::Middle,
        0.0,
    );
    svg.text(
        LEFT - 8.0,
        TOP - 8.0,
        "cohort (users)",
        12.0,
        Anchor::End,
        0.0,
    );
    for k in 0..columns {
        let x = LEFT + CELL_W * (k as f64 + 0.5);
        svg.text(x, TOP - 8.0, &k.to_string(), 11.0, Anchor::Middle, 0.0);
    }
    for (r, cohort) in retention.cohorts.iter().enumerate() {
        let y = TOP + CELL_H * r as f64;
        svg.text(
            LEFT - 8.0,
            y + CELL_H / 2.0 + 4.0,
            &format!("{} ({})", cohort.start, cohort.users),
            11.0,
            Anchor::End,
            0.0,
        );
        for (k, cell) in cohort.cells.iter().enumerate() {
            let x = LEFT + CELL_W * k as f64;
            let (fill, dark) = shade(cell.rate);
            let pct = format!("{:.1}%", 100.0 * cell.rate);
            let tip = format!(
                "{} bucket {}: {} of {} users ({pct}){}",
                cohort.start,
                cell.bucket,
                cell.users,
                cohort.users,
                if cell.complete { "" } else { ", incomplete" }
            );
            let class = if cell.complete {
                "cell"
            } else {
                "cell incomplete"
            };
            svg.rect(
                x,
                y,
                CELL_W - 1.0,
                CELL_H - 1.0,
                &fill,
                Some(class),
                Some(&tip),
            );
            if !cell.complete {
                svg.rect(
                    x,
                    y,
                    CELL_W - 1.0,
                    CELL_H - 1.0,
                    "url(#incomplete)",
                    Some("hatch"),
                    None,
                );
            }
            let colour = if dark { "#ffffff" } else { "#000000" };
            svg.text_coloured(x + CELL_W / 2.0, y + CELL_H / 2.0 + 4.0, &pct, 10.0, colour);
        }
    }
    let ly = TOP + CELL_H * rows as f64 + 24.0;
    svg.rect(
        LEFT,
        ly - 11.0,
        14.0,
        14.0,
        "url(#incomplete)",
        Some("legend"),
        None,
    );
    svg.text(
        LEFT + 20.0,
        ly,
        "hatched: bucket not yet over for every member (a lower bound)",
        11.0,
        Anchor::Start,
        0.0,
    );
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::super::svg::tests::balanced;
    use super::*;
    use crate::event::{Event, EventLog};
    use crate::retention::{retention, RetentionOptions};
    use crate::time::MS_PER_DAY as DAY;

    #[test]
    fn heatmap_has_a_cell_per_bucket_and_marks_incomplete_ones() {
        let log = EventLog::from_events([
            Event::new("a", 0, "open"),
            Event::new("a", DAY + 1, "open"),
            Event::new("b", DAY, "open"),
            Event::new("b", 3 * DAY, "open"),
            Event::new("c", 2 * DAY, "open"),
        ])
        .unwrap();
        let r = retention(&log, &RetentionOptions::new(Period::Day, 2)).unwrap();
        let svg = retention_svg(&r);
        balanced(&svg).unwrap();
        let cells: usize = r.cohorts.iter().map(|c| c.cells.len()).sum();
        let incomplete = r
            .cohorts
            .iter()
            .flat_map(|c| &c.cells)
            .filter(|c| !c.complete)
            .count();
        assert!(incomplete > 0 && incomplete < cells, "{r:?}");
        assert_eq!(svg.matches(r#"class="cell"#).count(), cells);
        assert_eq!(
            svg.matches(r#"class="cell incomplete""#).count(),
            incomplete
        );
        assert_eq!(svg.matches(r#"class="hatch""#).count(), incomplete);
        assert!(svg.contains("1970-01-01 (1)"), "{svg}");
        assert!(svg.contains("days since first activity"));
    }

    #[test]
    fn shades_run_from_light_to_dark() {
        assert_eq!(shade(0.0), ("#f7fbff".to_string(), false));
        assert_eq!(shade(1.0), ("#08306b".to_string(), true));
        assert_eq!(shade(f64::NAN).0, "#f7fbff");
    }
}
