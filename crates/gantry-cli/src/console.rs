//! How `gantry run` shows a run: each job's steps and log lines prefixed with the job, a
//! spinner per running job on a terminal (indicatif), or one JSON event per line with
//! `--format json`. Everything printed is masked again here, as a last line of defence.
//! While steps of a job run at the same time, each log line names its step (`[job] 2.1 |`).

use crate::running::Running;
use gantry_engine::mask::Masker;
use gantry_engine::{Conclusion, LogStream, Reporter, RunEvent};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

pub struct Console {
    json: bool,
    masker: Masker,
    bars: Option<(MultiProgress, Mutex<HashMap<String, ProgressBar>>)>,
    running: Mutex<Running>,
}

fn mark(c: Conclusion) -> &'static str {
    match c {
        Conclusion::Success => "✓",
        Conclusion::Failure => "✗",
        Conclusion::Cancelled => "⊘",
        Conclusion::Skipped => "-",
    }
}

/// The mark before a log line: `|` output, `!` errors, `#` Gantry's own.
fn bar(stream: LogStream) -> &'static str {
    match stream {
        LogStream::Stdout => "|",
        LogStream::Stderr => "!",
        LogStream::System => "#",
    }
}

/// The terminal is the CLI's output, not a log: a failed write to it has nowhere to go.
fn write_stderr(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn secs(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

impl Console {
    pub fn new(json: bool, secrets: &BTreeMap<String, String>) -> Console {
        let mut masker = Masker::default();
        for v in secrets.values() {
            masker.add(v);
        }
        let bars = (!json && std::io::stderr().is_terminal())
            .then(|| (MultiProgress::new(), Mutex::new(HashMap::new())));
        Console {
            json,
            masker,
            bars,
            running: Mutex::new(Running::default()),
        }
    }

    pub fn mask(&self, s: &str) -> String {
        self.masker.mask(s)
    }

    fn print(&self, line: &str) {
        let line = self.mask(line);
        match &self.bars {
            Some((mp, _)) => {
                let _ = mp.println(line);
            }
            None => println!("{line}"),
        }
    }

    pub fn header(&self, text: &str) {
        for l in text.lines() {
            self.print(l);
        }
    }

    /// A note about the run rather than from it (on stderr, masked, above any spinners).
    pub fn note(&self, text: &str) {
        let line = format!("gantry: {}", self.mask(text));
        match &self.bars {
            Some((mp, _)) => mp.suspend(|| write_stderr(&line)),
            None => write_stderr(&line),
        }
    }

    pub fn finish(&self) {
        if let Some((_, bars)) = &self.bars {
            if let Ok(mut b) = bars.lock() {
                for (_, bar) in b.drain() {
                    bar.finish_and_clear();
                }
            }
        }
    }

    fn running<T>(&self, f: impl FnOnce(&mut Running) -> T) -> T {
        let mut r = self.running.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut r)
    }

    fn spinner(&self, job: &str, msg: Option<String>) {
        let Some((mp, bars)) = &self.bars else { return };
        let Ok(mut bars) = bars.lock() else { return };
        match msg {
            Some(m) => {
                let bar = bars.entry(job.to_string()).or_insert_with(|| {
                    let b = mp.add(ProgressBar::new_spinner());
                    b.set_style(
                        ProgressStyle::with_template("{spinner} [{prefix}] {msg} {elapsed}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    b.set_prefix(job.to_string());
                    b.enable_steady_tick(Duration::from_millis(120));
                    b
                });
                bar.set_message(self.mask(&m));
            }
            None => {
                if let Some(b) = bars.remove(job) {
                    b.finish_and_clear();
                }
            }
        }
    }
}

impl Reporter for Console {
    fn report(&self, event: RunEvent) {
        if self.json {
            if let Ok(text) = serde_json::to_string(&event) {
                println!("{}", self.mask(&text));
            }
            return;
        }
        match event {
            RunEvent::RunStarted { run_id, workflow } => {
                self.print(&format!("── run {run_id}: {workflow}"))
            }
            RunEvent::JobStarted { job, name } => {
                self.print(&format!("[{job}] ▶ job {name}"));
                self.spinner(&job, Some("starting".into()));
            }
            RunEvent::StepStarted { job, step, name } => {
                self.running(|r| r.started(&job, &step));
                self.print(&format!("[{job}] ▶ {name}"));
                self.spinner(&job, Some(name));
            }
            RunEvent::Log {
                job,
                step,
                stream,
                line,
            } => {
                let beside = step
                    .as_deref()
                    .filter(|s| self.running(|r| r.beside(&job, s)));
                match beside {
                    Some(s) => self.print(&format!("[{job}] {s} {} {line}", bar(stream))),
                    None => self.print(&format!("[{job}]   {} {line}", bar(stream))),
                }
            }
            RunEvent::Group { job, title, .. } => match title {
                Some(t) => self.print(&format!("[{job}]   ▸ {t}")),
                None => self.print(&format!("[{job}]   ◂")),
            },
            RunEvent::Annotation { .. } => {}
            RunEvent::Summary { job, markdown, .. } => {
                for l in markdown.lines() {
                    self.print(&format!("[{job}]   summary: {l}"));
                }
            }
            RunEvent::StepFinished {
                job,
                step,
                name,
                outcome,
                conclusion,
                reason,
                duration_ms,
            } => {
                self.running(|r| r.finished(&job, &step));
                self.print(&step_line(&StepEnd {
                    job: &job,
                    name: &name,
                    outcome,
                    conclusion,
                    reason: reason.as_deref(),
                    duration_ms,
                }));
            }
            RunEvent::JobFinished {
                job,
                conclusion,
                reason,
                duration_ms,
            } => {
                self.spinner(&job, None);
                let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
                self.print(&format!(
                    "[{job}] {} job {} ({}){why}",
                    mark(conclusion),
                    conclusion.as_str(),
                    secs(duration_ms)
                ));
            }
            RunEvent::RunFinished {
                run_id,
                conclusion,
                duration_ms,
            } => self.print(&format!(
                "── run {run_id}: {} in {}",
                conclusion.as_str(),
                secs(duration_ms)
            )),
        }
    }
}

/// What a finished step's line shows.
struct StepEnd<'a> {
    job: &'a str,
    name: &'a str,
    outcome: Conclusion,
    conclusion: Conclusion,
    reason: Option<&'a str>,
    duration_ms: u64,
}

/// `[job] ✓ name (1.2s)`, with `(continue-on-error)` when the outcome was overridden and
/// the reason when there is one; `[job] - name (skipped)` for a skipped step.
fn step_line(s: &StepEnd<'_>) -> String {
    let StepEnd { job, name, .. } = s;
    if s.conclusion == Conclusion::Skipped {
        return format!("[{job}] - {name} (skipped)");
    }
    let why = s.reason.map(|r| format!(": {r}")).unwrap_or_default();
    let coe = if s.outcome != s.conclusion {
        " (continue-on-error)"
    } else {
        ""
    };
    format!(
        "[{job}] {} {name} ({}){coe}{why}",
        mark(s.outcome),
        secs(s.duration_ms)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_steps_say_how_they_ended() {
        use Conclusion::{Failure, Skipped, Success};
        for (outcome, conclusion, reason, want) in [
            (Success, Success, None, "[build] ✓ test (1.2s)"),
            (
                Failure,
                Failure,
                Some("exit code 2"),
                "[build] ✗ test (1.2s): exit code 2",
            ),
            (
                Failure,
                Success,
                None,
                "[build] ✗ test (1.2s) (continue-on-error)",
            ),
            (
                Skipped,
                Skipped,
                Some("if: false"),
                "[build] - test (skipped)",
            ),
        ] {
            let line = step_line(&StepEnd {
                job: "build",
                name: "test",
                outcome,
                conclusion,
                reason,
                duration_ms: 1234,
            });
            assert_eq!(line, want);
        }
    }
}
