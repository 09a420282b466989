//! Bar charts: a general [`BarChart`], and the funnel, RFM segment and CLV histogram charts
//! built on it.

use serde::{Deserialize, Serialize};

use super::svg::{compact, Anchor, Svg};
use crate::funnel::{EntryRule, FunnelReport};
use crate::rfm::SegmentSummary;
use crate::{AnalyticsError, Result};

/// One bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// The label under the bar.
    pub label: String,
    /// Its height; negative and non-finite values are drawn as 0.
    pub value: f64,
    /// Text above the bar (its value when `None`).
    pub note: Option<String>,
}

/// A vertical bar chart with a title, axis labels and a y axis starting at 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BarChart {
    /// The title.
    pub title: String,
    /// The x axis's label.
    pub x_label: String,
    /// The y axis's label.
    pub y_label: String,
    /// The bars, left to right.
    pub bars: Vec<Bar>,
    /// The gap between bars as a share of each bar's slot (0.3; 0 for a histogram).
    pub gap: f64,
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 440.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 110.0;

/// 1, 2 or 5 times a power of ten, at least `x`.
fn nice_step(x: f64) -> f64 {
    if !(x > 0.0 && x.is_finite()) {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&s| s >= x)
        .unwrap_or(10.0 * p)
}

impl BarChart {
    /// A chart with no bars and a gap of 0.3.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        BarChart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            bars: Vec::new(),
            gap: 0.3,
        }
    }

    /// The chart with one more bar.
    pub fn bar(mut self, label: impl Into<String>, value: f64, note: Option<String>) -> Self {
        self.bars.push(Bar {
            label: label.into(),
            value,
            note,
        });
        self
    }

    /// The chart as an SVG document: one `<rect class="bar">` per bar (with a `<title>`
    /// tooltip), y ticks at 1-2-5 steps, labels rotated when there are many bars.
    pub fn to_svg(&self) -> String {
        let mut svg = Svg::new(WIDTH, HEIGHT);
        svg.title(&self.title);
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let value = |v: f64| if v.is_finite() { v.max(0.0) } else { 0.0 };
        let max = self.bars.iter().map(|b| value(b.value)).fold(0.0, f64::max);
        let step = nice_step(max / 4.0);
        let top = if max > 0.0 {
            step * (max / step).ceil()
        } else {
            1.0
        };
        let y_of = |v: f64| TOP + plot_h * (1.0 - v / top);
        let mut tick = 0.0;
        while tick <= top * (1.0 + 1e-9) {
            let y = y_of(tick);
            svg.line(LEFT, y, LEFT + plot_w, y, "#e0e0e0");
            svg.text(LEFT - 6.0, y + 4.0, &compact(tick), 11.0, Anchor::End, 0.0);
            tick += step;
        }
        svg.line(LEFT, TOP, LEFT, TOP + plot_h, "#333333");
        svg.line(LEFT, TOP + plot_h, LEFT + plot_w, TOP + plot_h, "#333333");
        let n = self.bars.len().max(1) as f64;
        let slot = plot_w / n;
        let gap = if self.gap.is_finite() {
            self.gap.clamp(0.0, 0.9)
        } else {
            0.3
        };
        let rotate = self.bars.len() > 8 || self.bars.iter().any(|b| b.label.chars().count() > 12);
        for (i, b) in self.bars.iter().enumerate() {
            let v = value(b.value);
            let x = LEFT + slot * i as f64 + slot * gap / 2.0;
            let w = slot * (1.0 - gap);
            let y = y_of(v);
            let note = b.note.clone().unwrap_or_else(|| compact(v));
            svg.rect(
                x,
                y,
                w,
                TOP + plot_h - y,
                "#4c78a8",
                Some("bar"),
                Some(&format!("{}: {note}", b.label)),
            );
            if slot >= 28.0 {
                svg.text(x + w / 2.0, y - 4.0, &note, 10.0, Anchor::Middle, 0.0);
            }
            let cx = x + w / 2.0;
            let ly = TOP + plot_h + 16.0;
            if rotate {
                svg.text(cx, ly, &b.label, 11.0, Anchor::End, -35.0);
            } else {
                svg.text(cx, ly, &b.label, 11.0, Anchor::Middle, 0.0);
            }
        }
        svg.text(
            LEFT + plot_w / 2.0,
            HEIGHT - 10.0,
            &self.x_label,
            13.0,
            Anchor::Middle,
            0.0,
        );
        svg.text(
            18.0,
            TOP + plot_h / 2.0,
            &self.y_label,
            13.0,
            Anchor::Middle,
            -90.0,
        );
        svg.finish()
    }
}

/// The users reaching each step of a funnel, each bar noting its conversion from the first
/// step.
///
/// # Examples
/// ```
/// use youshi_user_analytics::chart::funnel_svg;
/// use youshi_user_analytics::event::{Event, EventLog};
/// use youshi_user_analytics::filter::EventFilter;
/// use youshi_user_analytics::funnel::Funnel;
/// let log = EventLog::from_events([
///     Event::new("a", 0, "view"), Event::new("a", 1, "buy"), Event::new("b", 0, "view"),
/// ])?;
/// let report = Funnel::new(vec![EventFilter::named("view"), EventFilter::named("buy")], 60_000)?
///     .run(&log)?;
/// let svg = funnel_svg(&report);
/// assert_eq!(svg.matches(r#"class="bar""#).count(), 2);
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn funnel_svg(report: &FunnelReport) -> String {
    let mut chart = BarChart::new(
        match report.entry_rule {
            EntryRule::First => "Funnel (first entry)",
            EntryRule::Best => "Funnel (best entry)",
        },
        "step",
        "users",
    );
    for s in &report.steps {
        chart = chart.bar(
            format!("{}. {}", s.step + 1, s.label),
            s.users as f64,
            Some(format!(
                "{} ({:.1}%)",
                s.users,
                100.0 * s.conversion_from_start
            )),
        );
    }
    chart.to_svg()
}

/// The customers in each RFM segment, each bar noting its share.
pub fn segments_svg(segments: &[SegmentSummary]) -> String {
    let mut chart = BarChart::new("RFM segments", "segment", "customers");
    for s in segments {
        chart = chart.bar(
            s.segment.name(),
            s.customers as f64,
            Some(format!("{} ({:.1}%)", s.customers, 100.0 * s.share)),
        );
    }
    chart.to_svg()
}

/// A histogram of customer lifetime values in `bins` equal-width bins from the smallest to
/// the largest value (the last bin includes the maximum); each bar is labelled with its lower
/// edge.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] for `bins = 0` or a non-finite value;
/// [`AnalyticsError::Empty`] for no values.
pub fn clv_histogram_svg(values: &[f64], bins: usize) -> Result<String> {
    let op = "clv histogram";
    if bins == 0 {
        return Err(AnalyticsError::invalid(op, "bins = 0"));
    }
    if values.is_empty() {
        return Err(AnalyticsError::empty(op, "no values"));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(AnalyticsError::invalid(
            op,
            format!("value {i} is {}", values[i]),
        ));
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let width = if hi > lo {
        (hi - lo) / bins as f64
    } else {
        1.0
    };
    let mut counts = vec![0usize; bins];
    for &v in values {
        let b = (((v - lo) / width).floor() as usize).min(bins - 1);
        counts[b] += 1;
    }
    let mut chart = BarChart::new(
        format!("Customer lifetime value ({} customers)", values.len()),
        "lifetime value",
        "customers",
    );
    chart.gap = 0.0;
    for (b, &c) in counts.iter().enumerate() {
        let from = lo + width * b as f64;
        chart = chart.bar(compact(from), c as f64, Some(c.to_string()));
    }
    Ok(chart.to_svg())
}

#[cfg(test)]
mod tests {
    use super::super::svg::tests::balanced;
    use super::*;
    use crate::rfm::RfmSegment;

    #[test]
    fn bar_chart_is_well_formed_with_one_rect_per_bar() {
        let chart = BarChart::new("T & <co>", "x", "y")
            .bar("a", 3.0, None)
            .bar("b", -1.0, None)
            .bar("c", f64::NAN, Some("n/a".into()));
        let svg = chart.to_svg();
        balanced(&svg).unwrap();
        assert_eq!(svg.matches(r#"class="bar""#).count(), 3);
        assert!(svg.contains("T &amp; &lt;co&gt;"), "{svg}");
        assert!(svg.contains(">n/a</text>"));
        let empty = BarChart::new("empty", "x", "y").to_svg();
        balanced(&empty).unwrap();
        assert_eq!(empty.matches(r#"class="bar""#).count(), 0);
    }

    #[test]
    fn many_bars_get_rotated_labels() {
        let mut chart = BarChart::new("t", "x", "y");
        for i in 0..12 {
            chart = chart.bar(format!("b{i}"), i as f64, None);
        }
        let svg = chart.to_svg();
        assert_eq!(svg.matches("rotate(-35").count(), 12);
        balanced(&svg).unwrap();
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(26.0), 50.0);
        assert_eq!(nice_step(0.0), 1.0);
    }

    #[test]
    fn segments_chart_has_a_bar_per_segment() {
        let seg = |segment, customers, share| SegmentSummary {
            segment,
            customers,
            share,
            mean_recency_days: 1.0,
            mean_frequency: 1.0,
            mean_monetary: 1.0,
        };
        let svg = segments_svg(&[
            seg(RfmSegment::Champions, 3, 0.75),
            seg(RfmSegment::Hibernating, 1, 0.25),
        ]);
        balanced(&svg).unwrap();
        assert_eq!(svg.matches(r#"class="bar""#).count(), 2);
        assert!(svg.contains("3 (75.0%)"));
    }

    #[test]
    fn histogram_counts_every_value_once() {
        let values = [0.0, 1.0, 2.0, 3.0, 4.0, 10.0];
        let svg = clv_histogram_svg(&values, 5).unwrap();
        balanced(&svg).unwrap();
        assert_eq!(svg.matches(r#"class="bar""#).count(), 5);
        // Bins of width 2 from 0: [0, 2) 2, [2, 4) 2, [4, 6) 1, [6, 8) 0, [8, 10] 1.
        for (label, count) in [("0", 2), ("2", 2), ("4", 1), ("6", 0), ("8", 1)] {
            assert!(
                svg.contains(&format!("<title>{label}: {count}</title>")),
                "{label} {svg}"
            );
        }
        let one = clv_histogram_svg(&[5.0, 5.0], 3).unwrap();
        assert!(one.contains("<title>5: 2</title>"), "{one}");
    }

    #[test]
    fn histogram_rejects_bad_input() {
        let err = clv_histogram_svg(&[1.0], 0).unwrap_err();
        assert!(err.to_string().contains("bins = 0"), "{err}");
        let err = clv_histogram_svg(&[], 3).unwrap_err();
        assert!(err.to_string().contains("no values"), "{err}");
        let err = clv_histogram_svg(&[1.0, f64::INFINITY], 3).unwrap_err();
        assert!(err.to_string().contains("value 1 is inf"), "{err}");
    }
}
