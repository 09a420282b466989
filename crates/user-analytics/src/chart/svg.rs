//! A small SVG writer: escaped text, rectangles, lines, and an atomic file writer.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use crate::Result;

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by their XML entities, so it is safe in
/// element content and in attribute values.
///
/// ```
/// use youshi_user_analytics::chart::escape;
/// assert_eq!(escape(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Horizontal text anchoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// An SVG document under construction; every method appends one element.
pub(crate) struct Svg {
    width: f64,
    height: f64,
    defs: String,
    body: String,
}

/// A number with at most two decimals, no trailing zeros (`1.5`, `12`, `0.33`).
pub(crate) fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A compact label for a value: `1.2M`, `12.3k`, `950`, `0.42`.
pub(crate) fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", num((v / 1e5).round() / 10.0))
    } else if a >= 1e4 {
        format!("{}k", num((v / 1e2).round() / 10.0))
    } else if a >= 100.0 {
        num(v.round())
    } else {
        num(v)
    }
}

impl Svg {
    /// An empty document of this size with a white background.
    pub(crate) fn new(width: f64, height: f64) -> Self {
        let mut svg = Svg {
            width,
            height,
            defs: String::new(),
            body: String::new(),
        };
        svg.rect(0.0, 0.0, width, height, "#ffffff", None, None);
        svg
    }

    /// Adds raw markup to `<defs>` (patterns); the caller escapes any text in it.
    pub(crate) fn def(&mut self, markup: &str) {
        self.defs.push_str(markup);
        self.defs.push('\n');
    }

    /// A filled rectangle, with an optional class and hover title.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn rect(
        &mut self,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: &str,
        class: Option<&str>,
        title: Option<&str>,
    ) {
        let _ = write!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}""#,
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0)),
            escape(fill)
        );
        if let Some(c) = class {
            let _ = write!(self.body, r#" class="{}""#, escape(c));
        }
        match title {
            Some(t) => {
                let _ = writeln!(self.body, "><title>{}</title></rect>", escape(t));
            }
            None => self.body.push_str("/>\n"),
        }
    }

    /// A straight line.
    pub(crate) fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>"#,
            num(x1),
            num(y1),
            num(x2),
            num(y2),
            escape(stroke)
        );
    }

    /// Text at `(x, y)` (baseline), escaped; `rotate` turns it about its anchor point.
    pub(crate) fn text(
        &mut self,
        x: f64,
        y: f64,
        content: &str,
        size: f64,
        anchor: Anchor,
        rotate: f64,
    ) {
        let _ = write!(
            self.body,
            r#"<text x="{}" y="{}" font-size="{}" text-anchor="{}""#,
            num(x),
            num(y),
            num(size),
            anchor.as_str()
        );
        if rotate != 0.0 {
            let _ = write!(
                self.body,
                r#" transform="rotate({} {} {})""#,
                num(rotate),
                num(x),
                num(y)
            );
        }
        let _ = writeln!(self.body, ">{}</text>", escape(content));
    }

    /// Centred text in a fill colour.
    pub(crate) fn text_coloured(&mut self, x: f64, y: f64, content: &str, size: f64, fill: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" font-size="{}" text-anchor="middle" fill="{}">{}</text>"#,
            num(x),
            num(y),
            num(size),
            escape(fill),
            escape(content)
        );
    }

    /// A title centred at the top.
    pub(crate) fn title(&mut self, title: &str) {
        self.text(self.width / 2.0, 24.0, title, 16.0, Anchor::Middle, 0.0);
    }

    /// The finished document.
    pub(crate) fn finish(self) -> String {
        let mut out = String::with_capacity(self.body.len() + self.defs.len() + 256);
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif">"#,
            w = num(self.width),
            h = num(self.height)
        );
        if !self.defs.is_empty() {
            out.push_str("<defs>\n");
            out.push_str(&self.defs);
            out.push_str("</defs>\n");
        }
        out.push_str(&self.body);
        out.push_str("</svg>\n");
        out
    }
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory, synced,
/// then renamed over `path`, so readers never see a half-written file. Used for the SVG
/// charts and for JSON reports alike.
///
/// # Errors
/// [`crate::AnalyticsError::Io`] naming the file if the temporary file cannot be created or
/// written, or the rename fails (the temporary file is then removed).
///
/// # Examples
/// ```
/// use youshi_user_analytics::chart::write_file_atomic;
/// let path = std::env::temp_dir().join(format!("youshi-chart-doc-{}.svg", std::process::id()));
/// write_file_atomic(&path, "<svg/>")?;
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "<svg/>");
/// std::fs::remove_file(&path).ok();
/// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
/// ```
pub fn write_file_atomic(path: impl AsRef<Path>, contents: &str) -> Result<()> {
    crate::generate::write_atomic("write file", path.as_ref(), |w| {
        w.write_all(contents.as_bytes())
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Checks that every element opened is closed in order; returns the element count.
    pub(crate) fn balanced(svg: &str) -> std::result::Result<usize, String> {
        let mut stack: Vec<String> = Vec::new();
        let mut count = 0;
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let Some(end) = rest[start..].find('>') else {
                return Err(format!("unterminated tag at {start}"));
            };
            let tag = &rest[start + 1..start + end];
            rest = &rest[start + end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                match stack.pop() {
                    Some(open) if open == name.trim() => {}
                    other => return Err(format!("</{name}> closes {other:?}")),
                }
            } else if !tag.starts_with('?') && !tag.starts_with('!') {
                count += 1;
                let name: String = tag
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '/')
                    .collect();
                if !tag.ends_with('/') {
                    stack.push(name);
                }
            }
        }
        if stack.is_empty() {
            Ok(count)
        } else {
            Err(format!("unclosed {stack:?}"))
        }
    }

    #[test]
    fn tag_counter_catches_unbalanced_markup() {
        assert_eq!(balanced("<svg><rect/><text>a</text></svg>"), Ok(3));
        assert!(balanced("<svg><text>a</svg>").is_err());
        assert!(balanced("<svg>").is_err());
        assert!(balanced("<svg></text>").is_err());
    }

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(escape("a<b>&'c'\u{1}"), "a&lt;b&gt;&amp;&#39;c&#39;");
        let mut svg = Svg::new(10.0, 10.0);
        svg.text(1.0, 2.0, "</svg><script>", 10.0, Anchor::Start, 0.0);
        svg.rect(0.0, 0.0, 1.0, 1.0, "red", Some("x\"y"), Some("<t>"));
        let out = svg.finish();
        assert!(out.contains("&lt;/svg&gt;&lt;script&gt;"), "{out}");
        assert!(out.contains(r#"class="x&quot;y""#), "{out}");
        assert_eq!(balanced(&out), Ok(5));
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(-0.001), "0");
        assert_eq!(compact(1_234_567.0), "1.2M");
        assert_eq!(compact(12_345.0), "12.3k");
        assert_eq!(compact(950.4), "950");
        assert_eq!(compact(0.4234), "0.42");
    }

    #[test]
    fn atomic_write_replaces_and_reports_missing_directories() {
        let dir = std::env::temp_dir().join(format!("youshi-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.svg");
        write_file_atomic(&path, "one").unwrap();
        write_file_atomic(&path, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
        let err = write_file_atomic(dir.join("missing/b.svg"), "x").unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }
}
