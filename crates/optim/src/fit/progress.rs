//! Progress output of the training loop: a redrawn bar on a terminal, plain lines otherwise,
//! and a Keras-style summary line per epoch.
//!
//! On a terminal the bar shows the epoch, `step/total`, the estimated time left, the
//! throughput in examples per second and the running loss:
//!
//! ```text
//! Epoch 3/10 [===========>..................] 12/32 - ETA 0.4s - 6400 ex/s - loss: 0.1234
//! ```
//!
//! When the output is not a terminal (a log file, CI), lines are printed every 10% of an
//! epoch whose length is known, and each epoch ends with a summary:
//!
//! ```text
//! Epoch 3/10 - 32 steps - 0.52s - 12308 ex/s - loss: 0.1234 - accuracy: 0.9500 - val_loss: 0.1301
//! ```

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::fit::history::Logs;

/// How the training loop reports progress (on standard error unless
/// [`Trainer::progress_output`](crate::fit::Trainer::progress_output) says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// A bar when standard error is a terminal, plain lines otherwise (the default).
    #[default]
    Auto,
    /// Always the redrawn bar.
    Bar,
    /// Always plain lines.
    Lines,
    /// Nothing at all.
    Silent,
}

/// The resolved style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Bar,
    Lines,
    Silent,
}

const BAR_WIDTH: usize = 30;
/// The bar is redrawn at most this often (and always at an epoch's first and last step).
const REDRAW: Duration = Duration::from_millis(100);

/// Writes the progress of one `fit`. Write errors are ignored: progress output never stops
/// training.
pub(crate) struct Reporter<'w> {
    style: Style,
    out: Box<dyn Write + Send + 'w>,
    custom: bool,
    epoch: usize,
    epochs: usize,
    total: Option<usize>,
    start: Instant,
    last_draw: Option<Instant>,
    examples: usize,
    next_tenth: usize,
    drawn_len: usize,
}

impl<'w> Reporter<'w> {
    /// A reporter in `mode` writing to `out`, or to standard error when `out` is `None`
    /// (`Auto` chooses the bar only for a terminal standard error).
    pub(crate) fn new(mode: Progress, out: Option<Box<dyn Write + Send + 'w>>) -> Self {
        let style = match (mode, &out) {
            (Progress::Silent, _) => Style::Silent,
            (Progress::Bar, _) => Style::Bar,
            (Progress::Lines, _) => Style::Lines,
            (Progress::Auto, Some(_)) => Style::Lines,
            (Progress::Auto, None) if std::io::stderr().is_terminal() => Style::Bar,
            (Progress::Auto, None) => Style::Lines,
        };
        Reporter {
            style,
            custom: out.is_some(),
            out: out.unwrap_or_else(|| Box::new(std::io::stderr())),
            epoch: 0,
            epochs: 0,
            total: None,
            start: Instant::now(),
            last_draw: None,
            examples: 0,
            next_tenth: 1,
            drawn_len: 0,
        }
    }

    /// The output given to [`new`](Reporter::new), if one was.
    pub(crate) fn into_output(self) -> Option<Box<dyn Write + Send + 'w>> {
        self.custom.then_some(self.out)
    }

    /// Starts epoch `epoch` of `epochs`, of `total` steps when known.
    pub(crate) fn begin_epoch(&mut self, epoch: usize, epochs: usize, total: Option<usize>) {
        self.epoch = epoch;
        self.epochs = epochs;
        self.total = total.filter(|&t| t > 0);
        self.start = Instant::now();
        self.last_draw = None;
        self.examples = 0;
        self.next_tenth = 1;
        self.drawn_len = 0;
    }

    /// Reports that step `step` (from 1) finished with `examples` examples in its batch and
    /// `running_loss` the epoch's loss so far.
    pub(crate) fn step(&mut self, step: usize, examples: usize, running_loss: f64) {
        self.examples += examples;
        match self.style {
            Style::Silent => {}
            Style::Bar => {
                let now = Instant::now();
                let last = self.total == Some(step);
                let due = self
                    .last_draw
                    .map_or(true, |t| now.duration_since(t) >= REDRAW);
                if due || last {
                    self.last_draw = Some(now);
                    let line = self.bar_line(step, running_loss);
                    self.redraw(&line);
                }
            }
            Style::Lines => {
                let Some(total) = self.total else { return };
                // Print when the step crosses the next tenth of the epoch.
                if step * 10 >= self.next_tenth * total && step < total {
                    while self.next_tenth * total <= step * 10 {
                        self.next_tenth += 1;
                    }
                    let line = format!(
                        "Epoch {}/{} - {step}/{total} - ETA {} - {} ex/s - loss: {running_loss:.4}\n",
                        self.epoch,
                        self.epochs,
                        duration(self.eta(step)),
                        self.throughput()
                    );
                    let _ = self.out.write_all(line.as_bytes());
                    let _ = self.out.flush();
                }
            }
        }
    }

    /// Ends the epoch with its summary line after `steps` steps.
    pub(crate) fn end_epoch(&mut self, steps: usize, logs: &Logs) {
        if self.style == Style::Silent {
            return;
        }
        let line = format!(
            "Epoch {}/{} - {steps} steps - {} - {} ex/s - {logs}",
            self.epoch,
            self.epochs,
            duration(self.start.elapsed()),
            self.throughput()
        );
        if self.style == Style::Bar {
            self.redraw(&line);
            let _ = self.out.write_all(b"\n");
        } else {
            let _ = writeln!(self.out, "{line}");
        }
        let _ = self.out.flush();
        self.drawn_len = 0;
    }

    /// Prints a message on its own line (early stopping, a restored checkpoint).
    pub(crate) fn message(&mut self, msg: &str) {
        if self.style == Style::Silent {
            return;
        }
        if self.drawn_len > 0 {
            let _ = self.out.write_all(b"\n");
            self.drawn_len = 0;
        }
        let _ = writeln!(self.out, "{msg}");
        let _ = self.out.flush();
    }

    fn eta(&self, step: usize) -> Duration {
        match self.total {
            Some(total) if step > 0 => {
                let per = self.start.elapsed().as_secs_f64() / step as f64;
                Duration::from_secs_f64(per * total.saturating_sub(step) as f64)
            }
            _ => Duration::ZERO,
        }
    }

    fn throughput(&self) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        if secs <= 0.0 {
            return "-".into();
        }
        format!("{:.0}", self.examples as f64 / secs)
    }

    fn bar_line(&self, step: usize, loss: f64) -> String {
        let head = format!("Epoch {}/{}", self.epoch, self.epochs);
        match self.total {
            Some(total) => {
                let done = (step.min(total) * BAR_WIDTH) / total;
                let mut bar = "=".repeat(done);
                if done < BAR_WIDTH {
                    bar.push('>');
                    bar.push_str(&".".repeat(BAR_WIDTH - done - 1));
                }
                format!(
                    "{head} [{bar}] {step}/{total} - ETA {} - {} ex/s - loss: {loss:.4}",
                    duration(self.eta(step)),
                    self.throughput()
                )
            }
            None => format!(
                "{head} - {step} steps - {} - {} ex/s - loss: {loss:.4}",
                duration(self.start.elapsed()),
                self.throughput()
            ),
        }
    }

    /// Rewrites the current terminal line, blanking what a longer previous line left.
    fn redraw(&mut self, line: &str) {
        let pad = self.drawn_len.saturating_sub(line.chars().count());
        let _ = write!(self.out, "\r{line}{}", " ".repeat(pad));
        let _ = self.out.flush();
        self.drawn_len = line.chars().count();
    }
}

/// `0.52s`, `2m05s`, `1h02m`.
fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.2}s")
    } else if s < 3600.0 {
        let m = (s / 60.0).floor();
        format!("{m:.0}m{:02.0}s", (s - m * 60.0).floor())
    } else {
        let h = (s / 3600.0).floor();
        format!("{h:.0}h{:02.0}m", ((s - h * 3600.0) / 60.0).floor())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn run(mode: Progress, total: Option<usize>, steps: usize) -> String {
        let sink = Sink::default();
        let mut r = Reporter::new(mode, Some(Box::new(sink.clone())));
        r.begin_epoch(2, 5, total);
        for s in 1..=steps {
            r.step(s, 8, 0.5);
        }
        r.end_epoch(
            steps,
            &Logs::new(2).with("loss", 0.5).with("accuracy", 0.75),
        );
        sink.text()
    }

    #[test]
    fn lines_every_tenth_and_a_summary() {
        let out = run(Progress::Lines, Some(20), 20);
        let lines: Vec<&str> = out.lines().collect();
        // Tenths at steps 2, 4, ..., 18 (the last step is covered by the summary).
        assert_eq!(lines.len(), 10, "{out}");
        assert!(
            lines[0].starts_with("Epoch 2/5 - 2/20 - ETA "),
            "{}",
            lines[0]
        );
        assert!(lines[0].ends_with("ex/s - loss: 0.5000"), "{}", lines[0]);
        let last = lines[9];
        assert!(last.starts_with("Epoch 2/5 - 20 steps - "), "{last}");
        assert!(
            last.ends_with("ex/s - loss: 0.5000 - accuracy: 0.7500"),
            "{last}"
        );
        assert!(!out.contains('\r'));
    }

    #[test]
    fn lines_for_short_and_unknown_epochs() {
        // Three steps: tenths are crossed at steps 1 and 2, the summary follows.
        let out = run(Progress::Lines, Some(3), 3);
        assert_eq!(out.lines().count(), 3, "{out}");
        let out = run(Progress::Lines, None, 7);
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.starts_with("Epoch 2/5 - 7 steps - "));
    }

    #[test]
    fn bar_redraws_one_line_and_ends_with_the_summary() {
        let out = run(Progress::Bar, Some(4), 4);
        assert!(out.starts_with("\rEpoch 2/5 ["), "{out:?}");
        assert!(out.contains("] 4/4 - ETA "), "{out:?}");
        assert!(out.contains(&format!("[{}]", "=".repeat(BAR_WIDTH))));
        assert_eq!(out.matches('\n').count(), 1);
        let summary = out.rsplit('\r').next().unwrap();
        assert!(summary.starts_with("Epoch 2/5 - 4 steps - "), "{summary:?}");
        assert!(
            summary.trim_end().ends_with("accuracy: 0.7500"),
            "{summary:?}"
        );
    }

    #[test]
    fn silent_prints_nothing() {
        assert_eq!(run(Progress::Silent, Some(4), 4), "");
        let sink = Sink::default();
        let mut r = Reporter::new(Progress::Silent, Some(Box::new(sink.clone())));
        r.message("hello");
        assert_eq!(sink.text(), "");
    }

    #[test]
    fn messages_start_a_new_line_after_a_bar() {
        let sink = Sink::default();
        let mut r = Reporter::new(Progress::Bar, Some(Box::new(sink.clone())));
        r.begin_epoch(1, 1, Some(10));
        r.step(1, 4, 1.0);
        r.message("stopping");
        assert!(sink.text().ends_with("\nstopping\n"), "{:?}", sink.text());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(Duration::from_millis(520)), "0.52s");
        assert_eq!(duration(Duration::from_secs(125)), "2m05s");
        assert_eq!(duration(Duration::from_secs(3720)), "1h02m");
    }
}
