//! A hand-written SVG line chart of a [`History`]: one panel per quantity, the training
//! series and its `val_` twin drawn over the epochs, with axes, ticks and a legend.

use std::fmt::Write as _;

use crate::fit::history::History;

const PANEL_W: f64 = 420.0;
const PANEL_H: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 46.0;
/// Training and validation colours (matplotlib's first two).
const TRAIN: &str = "#1f77b4";
const VAL: &str = "#ff7f0e";

/// One panel: a quantity and its training and validation series.
struct Panel<'a> {
    title: &'a str,
    series: Vec<(&'a str, &'a [f64], &'static str)>,
}

/// Groups the history's series by quantity, `x` and `val_x` together, in order of first
/// appearance.
fn panels(history: &History) -> Vec<Panel<'_>> {
    let mut out: Vec<Panel<'_>> = Vec::new();
    for (name, values) in history.series() {
        let (base, colour) = match name.strip_prefix("val_") {
            Some(b) => (b, VAL),
            None => (name, TRAIN),
        };
        match out.iter_mut().find(|p| p.title == base) {
            Some(p) => p.series.push((name, values, colour)),
            None => out.push(Panel {
                title: base,
                series: vec![(name, values, colour)],
            }),
        }
    }
    out
}

/// Escapes text for XML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" step (1, 2 or 5 times a power of ten) giving about `target` intervals.
fn nice_step(range: f64, target: f64) -> f64 {
    let raw = range / target;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// The tick values covering `[lo, hi]` with a nice step, and the decimals to print them.
fn ticks(lo: f64, hi: f64) -> (Vec<f64>, usize) {
    let step = nice_step(hi - lo, 5.0);
    let decimals = (-step.log10().floor()).clamp(0.0, 8.0) as usize;
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    let out = (first..=last).map(|i| i as f64 * step).collect();
    (out, decimals)
}

/// The y-range of a panel's finite values, padded by 5%, or `[v - 0.5, v + 0.5]` for a
/// constant series; `[0, 1]` if nothing is finite.
fn y_range(series: &[(&str, &[f64], &str)]) -> (f64, f64) {
    let finite = series
        .iter()
        .flat_map(|(_, v, _)| v.iter().copied())
        .filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo > hi {
        return (0.0, 1.0);
    }
    if lo == hi {
        let pad = if lo == 0.0 { 0.5 } else { lo.abs() * 0.1 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// Renders the chart.
pub(crate) fn render(history: &History) -> String {
    let panels = panels(history);
    let n = panels.len().max(1);
    let width = PANEL_W * n as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{PANEL_H}" viewBox="0 0 {width} {PANEL_H}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        s,
        r#"<rect x="0" y="0" width="{width}" height="{PANEL_H}" fill="white"/>"#
    );
    if panels.is_empty() || history.is_empty() {
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">no epochs recorded</text>"#,
            width / 2.0,
            PANEL_H / 2.0
        );
    }
    let epochs = history.epochs();
    let (x_lo, x_hi) = match (epochs.first(), epochs.last()) {
        (Some(&a), Some(&b)) if a < b => (a as f64, b as f64),
        (Some(&a), _) => (a as f64 - 0.5, a as f64 + 0.5),
        _ => (0.0, 1.0),
    };
    for (i, panel) in panels.iter().enumerate() {
        if history.is_empty() {
            break;
        }
        draw_panel(&mut s, i as f64 * PANEL_W, panel, epochs, (x_lo, x_hi));
    }
    s.push_str("</svg>\n");
    s
}

fn draw_panel(s: &mut String, x0: f64, panel: &Panel<'_>, epochs: &[usize], xr: (f64, f64)) {
    let (px0, px1) = (x0 + LEFT, x0 + PANEL_W - RIGHT);
    let (py0, py1) = (TOP, PANEL_H - BOTTOM);
    let (y_lo, y_hi) = y_range(&panel.series);
    let sx = |e: f64| px0 + (e - xr.0) / (xr.1 - xr.0) * (px1 - px0);
    let sy = |v: f64| py1 - (v - y_lo) / (y_hi - y_lo) * (py1 - py0);
    let _ = writeln!(s, r#"<g class="panel" id="panel-{}">"#, esc(panel.title));
    let _ = writeln!(
        s,
        r#"<text x="{:.2}" y="20" text-anchor="middle" font-size="13">{}</text>"#,
        (px0 + px1) / 2.0,
        esc(panel.title)
    );
    // Grid and y ticks.
    let (yt, yd) = ticks(y_lo, y_hi);
    for v in yt {
        let y = sy(v);
        let _ = writeln!(
            s,
            r##"<line x1="{px0:.2}" y1="{y:.2}" x2="{px1:.2}" y2="{y:.2}" stroke="#e0e0e0"/>"##
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.2}" y="{:.2}" text-anchor="end">{v:.yd$}</text>"#,
            px0 - 6.0,
            y + 4.0
        );
    }
    // X ticks at whole epochs.
    let (xt, _) = ticks(xr.0, xr.1);
    for e in xt.into_iter().filter(|e| e.fract() == 0.0) {
        let x = sx(e);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.2}" y1="{py1:.2}" x2="{x:.2}" y2="{:.2}" stroke="#000"/>"##,
            py1 + 4.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{x:.2}" y="{:.2}" text-anchor="middle">{e}</text>"#,
            py1 + 16.0
        );
    }
    // Axes and labels.
    let _ = writeln!(
        s,
        r##"<polygon points="{px0:.2},{py0:.2} {px0:.2},{py1:.2} {px1:.2},{py1:.2}" fill="none" stroke="#000"/>"##
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.2}" y="{:.2}" text-anchor="middle">epoch</text>"#,
        (px0 + px1) / 2.0,
        PANEL_H - 10.0
    );
    // Series: one polyline per run of finite values, a marker on every point.
    for (k, (name, values, colour)) in panel.series.iter().enumerate() {
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (&e, &v) in epochs.iter().zip(values.iter()) {
            if v.is_finite() {
                if let Some(run) = runs.last_mut() {
                    run.push((sx(e as f64), sy(v)));
                }
            } else if runs.last().is_some_and(|r| !r.is_empty()) {
                runs.push(Vec::new());
            }
        }
        let _ = writeln!(s, r#"<g class="series" id="series-{}">"#, esc(name));
        for run in runs.iter().filter(|r| !r.is_empty()) {
            let pts: Vec<String> = run.iter().map(|(x, y)| format!("{x:.2},{y:.2}")).collect();
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                pts.join(" ")
            );
            for (x, y) in run {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{x:.2}" cy="{y:.2}" r="2.5" fill="{colour}"/>"#
                );
            }
        }
        s.push_str("</g>\n");
        // Legend entry.
        let ly = py0 + 12.0 + 14.0 * k as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{:.2}" y1="{ly:.2}" x2="{:.2}" y2="{ly:.2}" stroke="{colour}" stroke-width="2"/>"#,
            px1 - 110.0,
            px1 - 94.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.2}" y="{:.2}">{}</text>"#,
            px1 - 90.0,
            ly + 4.0,
            esc(name)
        );
    }
    s.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::history::Logs;

    fn history() -> History {
        let mut h = History::new();
        for e in 1..=5 {
            let x = e as f64;
            h.push(
                &Logs::new(e)
                    .with("loss", 1.0 / x)
                    .with("accuracy", 1.0 - 0.5 / x)
                    .with("val_loss", 1.1 / x)
                    .with("val_accuracy", 0.9 - 0.5 / x),
            );
        }
        h
    }

    #[test]
    fn one_panel_per_quantity_and_one_polyline_per_series() {
        let svg = history().to_svg();
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches(r#"<g class="panel""#).count(), 2);
        assert_eq!(svg.matches("<polyline").count(), 4);
        assert_eq!(svg.matches("<circle").count(), 20);
        for id in [
            "series-loss",
            "series-val_loss",
            "series-accuracy",
            "series-val_accuracy",
        ] {
            assert!(svg.contains(id), "{id} missing");
        }
        // Tags balance.
        assert_eq!(svg.matches("<g ").count(), svg.matches("</g>").count());
        assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
    }

    #[test]
    fn points_stay_inside_their_panel() {
        let svg = history().to_svg();
        for line in svg.lines().filter(|l| l.starts_with("<polyline")) {
            let pts = line.split('"').nth(1).unwrap();
            for p in pts.split(' ') {
                let (x, y) = p.split_once(',').unwrap();
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!((0.0..=2.0 * PANEL_W).contains(&x), "{x}");
                assert!((TOP..=PANEL_H - BOTTOM).contains(&y), "{y}");
            }
        }
    }

    #[test]
    fn non_finite_values_break_the_line() {
        let mut h = History::new();
        for (e, v) in [1.0, 2.0, f64::NAN, 1.0, 0.5].iter().enumerate() {
            h.push(&Logs::new(e + 1).with("loss", *v));
        }
        let svg = h.to_svg();
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn empty_and_single_epoch_histories_render() {
        let svg = History::new().to_svg();
        assert!(svg.starts_with("<svg") && svg.contains("no epochs recorded"));
        let mut h = History::new();
        h.push(&Logs::new(1).with("loss", 0.0).with("x<y", 3.0));
        let svg = h.to_svg();
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("x&lt;y") && !svg.contains("x<y"));
    }

    #[test]
    fn ticks_are_nice() {
        let (t, d) = ticks(0.03, 0.97);
        assert_eq!(d, 1);
        let want = [0.2, 0.4, 0.6, 0.8];
        assert_eq!(t.len(), want.len());
        assert!(
            t.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
            "{t:?}"
        );
        assert_eq!(nice_step(10.0, 5.0), 2.0);
        assert_eq!(nice_step(3.0, 5.0), 1.0);
        assert_eq!(nice_step(0.07, 5.0), 0.02);
    }
}
