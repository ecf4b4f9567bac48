//! How `gantry run` shows a run: each job's steps and log lines prefixed with the job, a
//! spinner per running job on a terminal (indicatif), or one JSON event per line with
//! `--format json`. Everything printed is masked again here, as a last line of defence.

use crate::engine::{Conclusion, LogStream, Reporter, RunEvent};
use crate::mask::Masker;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

pub struct Console {
    json: bool,
    masker: Masker,
    bars: Option<(MultiProgress, Mutex<HashMap<String, ProgressBar>>)>,
}

fn mark(c: Conclusion) -> &'static str {
    match c {
        Conclusion::Success => "✓",
        Conclusion::Failure => "✗",
        Conclusion::Cancelled => "⊘",
        Conclusion::Skipped => "-",
    }
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
        Console { json, masker, bars }
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

    pub fn note(&self, text: &str) {
        eprintln!("gantry: {text}");
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
            RunEvent::StepStarted { job, name, .. } => {
                self.print(&format!("[{job}] ▶ {name}"));
                self.spinner(&job, Some(name));
            }
            RunEvent::Log {
                job, stream, line, ..
            } => {
                let bar = match stream {
                    LogStream::Stdout => "|",
                    LogStream::Stderr => "!",
                    LogStream::System => "#",
                };
                self.print(&format!("[{job}]   {bar} {line}"));
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
                name,
                outcome,
                conclusion,
                reason,
                duration_ms,
                ..
            } => {
                if conclusion == Conclusion::Skipped {
                    self.print(&format!("[{job}] - {name} (skipped)"));
                    return;
                }
                let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
                let coe = if outcome != conclusion {
                    " (continue-on-error)"
                } else {
                    ""
                };
                self.print(&format!(
                    "[{job}] {} {name} ({}){coe}{why}",
                    mark(outcome),
                    secs(duration_ms)
                ));
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
