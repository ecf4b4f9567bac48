//! What the run page's template gets of each job: its steps as foldable sections with their
//! log tree (`logview`), annotation counts and line count; the job's annotations (listed at
//! the top, each linking to its line) and its steps' summaries (sanitised HTML, below).
//! Rows are sorted into their steps in one pass, so a long log costs its length once,
//! not once per step.

use super::attempt::Part;
use super::logview::{self, Node};
use super::{format, summary};
use crate::log_rows::Level;
use gantry_store::read::LogRow;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize)]
pub struct Section {
    key: String,
    name: String,
    state: String,
    duration: Option<String>,
    /// The `<details>` starts open: the step failed or is running.
    open: bool,
    nodes: Vec<Node>,
    /// How many numbered lines: live lines are numbered on from here.
    lines: usize,
    /// "1 error", "2 warnings"... of the step's annotations.
    counts: Vec<Count>,
}

#[derive(Serialize)]
struct Count {
    level: &'static str,
    text: String,
}

#[derive(Serialize)]
struct NoteView {
    level: &'static str,
    place: Option<String>,
    message: String,
    /// The step the annotation came from (its name).
    step: String,
    /// `#line:<job>:<step>:<n>`, or the step's section when it had no line yet.
    href: String,
}

#[derive(Serialize)]
struct SummaryView {
    step: String,
    /// Sanitised by `summary::render`: the template shows it as HTML.
    html: String,
}

#[derive(Serialize)]
pub struct JobView {
    key: String,
    name: String,
    state: String,
    duration: Option<String>,
    steps: Vec<Section>,
    notes: Vec<NoteView>,
    summaries: Vec<SummaryView>,
    /// Why a job kept from an earlier attempt was not run (see `attempt::Part::kept`).
    kept: Option<String>,
}

/// A step of a job as the log tree needs it: where its rows are and what it is called.
struct StepRef<'a> {
    job: &'a str,
    key: &'a str,
    name: &'a str,
}

/// The jobs with their steps and each step's lines (lines of no step: a "job" section).
pub fn views(parts: Vec<Part>, logs: Vec<LogRow>, host_paths: &[(String, String)]) -> Vec<JobView> {
    let mut by_step: HashMap<(String, Option<String>), Vec<LogRow>> = HashMap::new();
    for l in logs {
        by_step
            .entry((l.job.clone(), l.step.clone()))
            .or_default()
            .push(l);
    }
    let mut out = Vec::new();
    for job in parts {
        let mut v = JobView {
            // A kept job did not run in this attempt: no duration of its own.
            duration: duration(&job).filter(|_| job.kept.is_none()),
            kept: job.kept.clone(),
            key: job.key.clone(),
            name: job.name.clone(),
            state: job.state.clone(),
            steps: Vec::new(),
            notes: Vec::new(),
            summaries: Vec::new(),
        };
        for st in &job.steps {
            let rows = by_step.remove(&(job.key.clone(), Some(st.key.clone())));
            let at = StepRef {
                job: &job.key,
                key: &st.key,
                name: &st.name,
            };
            let log = logview::step(rows.as_deref().unwrap_or_default());
            let section = v.add(&at, log, host_paths, st.state.clone(), duration(st));
            v.steps.push(section);
        }
        // Lines of no step (the runner's own: set-up, why the job failed), after the steps.
        if let Some(rows) = by_step.remove(&(job.key.clone(), None)) {
            let at = StepRef {
                job: &job.key,
                key: "",
                name: "Job messages",
            };
            let section = v.add(
                &at,
                logview::step(&rows),
                host_paths,
                job.state.clone(),
                None,
            );
            v.steps.push(section);
        }
        out.push(v);
    }
    out
}

impl JobView {
    /// The step's section; its annotations and summary go to the job's lists.
    fn add(
        &mut self,
        at: &StepRef,
        log: logview::StepLog,
        host_paths: &[(String, String)],
        state: String,
        duration: Option<String>,
    ) -> Section {
        let mut tally = [0usize; 3];
        for note in &log.notes {
            let a = &note.annotation;
            tally[a.level as usize] += 1;
            let href = match note.line {
                Some(n) => format!("#line:{}:{}:{n}", at.job, at.key),
                None => format!("#step:{}:{}", at.job, at.key),
            };
            self.notes.push(NoteView {
                level: a.level.as_str(),
                place: a.place(),
                message: a.message.clone(),
                step: at.name.to_string(),
                href,
            });
        }
        if let Some(md) = &log.summary {
            self.summaries.push(SummaryView {
                step: at.name.to_string(),
                html: summary::render(md, host_paths),
            });
        }
        Section {
            key: at.key.to_string(),
            name: at.name.to_string(),
            open: matches!(state.as_str(), "failure" | "in_progress"),
            state,
            duration,
            nodes: log.nodes,
            lines: log.lines,
            counts: counts(tally),
        }
    }
}

/// "1 error", "2 warnings", "1 notice" (levels with none left out).
fn counts(tally: [usize; 3]) -> Vec<Count> {
    [Level::Error, Level::Warning, Level::Notice]
        .into_iter()
        .filter(|l| tally[*l as usize] > 0)
        .map(|l| {
            let n = tally[l as usize];
            let plural = if n == 1 { "" } else { "s" };
            Count {
                level: l.as_str(),
                text: format!("{n} {}{plural}", l.as_str()),
            }
        })
        .collect()
}

fn duration(p: &Part) -> Option<String> {
    let from = p.started_at?;
    Some(format::duration(
        from,
        p.finished_at.unwrap_or_else(super::runs::now_ms),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, step: Option<&str>, stream: &str, line: &str) -> LogRow {
        LogRow {
            seq,
            job: "b".into(),
            step: step.map(Into::into),
            stream: stream.into(),
            line: line.into(),
            at: 0,
        }
    }

    fn part(key: &str, steps: Vec<Part>) -> Part {
        Part {
            key: key.into(),
            name: key.to_uppercase(),
            state: "success".into(),
            steps,
            ..Part::default()
        }
    }

    /// Interleaved rows of two steps and the job go to their own sections, in order;
    /// annotations link to their lines and summaries come out sanitised.
    #[test]
    fn rows_go_to_their_steps_once() {
        let parts = vec![part("b", vec![part("1", vec![]), part("2", vec![])])];
        let error = r#"{"level":"error","message":"bad","file":"a.rs","line":3}"#;
        let logs = vec![
            row(1, Some("1"), "stdout", "one"),
            row(2, Some("2"), "stdout", "two"),
            row(3, Some("1"), "system", "error (a.rs:3): bad"),
            row(4, Some("1"), "annotation", error),
            row(5, Some("2"), "annotation", "warning: early"),
            row(6, None, "system", "job line"),
            row(7, Some("2"), "summary", "**s** <script>x</script>"),
            row(8, Some("9"), "stdout", "a step the job does not have"),
        ];
        let jobs = views(parts, logs, &[]);
        let job = &jobs[0];
        let lines: Vec<(&str, usize)> = job
            .steps
            .iter()
            .map(|s| (s.name.as_str(), s.lines))
            .collect();
        assert_eq!(lines, [("1", 2), ("2", 1), ("Job messages", 1)]);
        let notes: Vec<(&str, Option<&str>, &str)> = job
            .notes
            .iter()
            .map(|n| (n.level, n.place.as_deref(), n.href.as_str()))
            .collect();
        assert_eq!(
            notes,
            [
                ("error", Some("a.rs:3"), "#line:b:1:2"),
                ("warning", None, "#line:b:2:1"),
            ]
        );
        let counts: Vec<&str> = job.steps[0]
            .counts
            .iter()
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(counts, ["1 error"]);
        assert_eq!(job.summaries.len(), 1);
        assert_eq!(job.summaries[0].step, "2");
        assert!(job.summaries[0].html.contains("<strong>s</strong>"));
        assert!(!job.summaries[0].html.contains("<script"));
    }

    #[test]
    fn annotation_counts() {
        let text = |t| counts(t).into_iter().map(|c| c.text).collect::<Vec<_>>();
        assert_eq!(text([1, 2, 0]), ["1 error", "2 warnings"]);
        assert_eq!(text([0, 0, 3]), ["3 notices"]);
        assert!(text([0, 0, 0]).is_empty());
    }
}
