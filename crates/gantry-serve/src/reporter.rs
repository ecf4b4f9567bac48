//! A run's events into the store: job and step status changes, log lines (already masked by
//! the engine) and step durations for the metrics. Live log streams read them back. When the
//! store is behind, `report` waits for room: a container printing faster than SQLite writes
//! is slowed down instead of filling memory. Each step's output is kept up to its budget
//! (`log_budget`), so no step fills the store.

use super::log_budget::{LogBudget, Verdict};
use super::log_rows;
use super::metrics::Metrics;
use gantry_engine::{LogStream, Reporter, RunEvent};
use gantry_store::Op;
use gantry_store::Progress;
use gantry_store::Store;
use std::sync::Arc;

pub struct StoreReporter {
    pub store: Store,
    pub run: i64,
    /// The attempt this instance executes: its changes are fenced by it, and none is sent
    /// once its lease is lost (the run is being cancelled here).
    pub(crate) fenced: super::scheduler::Fenced,
    pub metrics: Arc<Metrics>,
    /// What is kept of each step's output in this run attempt.
    pub budget: LogBudget,
}

impl Reporter for StoreReporter {
    fn report(&self, event: RunEvent) {
        if let RunEvent::StepFinished { duration_ms, .. } = &event {
            self.metrics.step(*duration_ms);
        }
        let at = gantry_store::write::now_ms();
        let op = match event {
            RunEvent::JobStarted { .. }
            | RunEvent::JobFinished { .. }
            | RunEvent::StepStarted { .. }
            | RunEvent::StepFinished { .. } => {
                self.dropped_notice(&event, at);
                progress(self.run, at, event)
            }
            other => line(self.run, at, other).and_then(|op| self.budgeted(op)),
        };
        if let Some(op) = op {
            self.send(op);
        }
    }
}

impl StoreReporter {
    fn send(&self, op: Op) {
        if let Err(e) = self.fenced.send(&self.store, op) {
            tracing::error!(run = self.run, error = %e, "a run's event was not recorded");
        }
    }

    /// The line as it is kept: itself, the notice that its step's budget ran out, or nothing.
    fn budgeted(&self, mut op: Op) -> Option<Op> {
        let Op::Log {
            job,
            step,
            stream,
            line,
            ..
        } = &mut op
        else {
            return Some(op);
        };
        match self.budget.admit(job, step.as_deref(), line.len()) {
            Verdict::Keep => {}
            Verdict::Cut(notice) => {
                *stream = "system".into();
                *line = notice;
            }
            Verdict::Drop => return None,
        }
        Some(op)
    }

    /// Before a step's (or job's) end is recorded: how much of its output was not kept.
    fn dropped_notice(&self, event: &RunEvent, at: i64) {
        let (job, step) = match event {
            RunEvent::StepFinished { job, step, .. } => (job, Some(step.as_str())),
            RunEvent::JobFinished { job, .. } => (job, None),
            _ => return,
        };
        if let Some(notice) = self.budget.finish(job, step) {
            self.send(Op::Log {
                run: self.run,
                job: job.clone(),
                step: step.map(str::to_string),
                stream: "system".into(),
                line: notice,
                at,
            });
        }
    }
}

/// A job's or step's status change (`None` for other events).
fn progress(run: i64, at: i64, event: RunEvent) -> Option<Op> {
    Some(match event {
        RunEvent::JobStarted { job, name } => Op::Job {
            run,
            key: job,
            name,
            status: Progress::InProgress,
            conclusion: None,
            reason: None,
            at,
        },
        RunEvent::JobFinished {
            job,
            conclusion,
            reason,
            ..
        } => Op::Job {
            run,
            name: job.clone(),
            key: job,
            status: Progress::Completed,
            conclusion: Some(conclusion),
            reason,
            at,
        },
        RunEvent::StepStarted { job, step, name } => Op::Step {
            run,
            job,
            step,
            name,
            status: Progress::InProgress,
            outcome: None,
            conclusion: None,
            reason: None,
            at,
        },
        RunEvent::StepFinished {
            job,
            step,
            name,
            outcome,
            conclusion,
            reason,
            ..
        } => Op::Step {
            run,
            job,
            step,
            name,
            status: Progress::Completed,
            outcome: Some(outcome),
            conclusion: Some(conclusion),
            reason,
            at,
        },
        _ => return None,
    })
}

/// A line of the run's log: output, a step summary, an annotation, a group's opening or
/// closing (`log_rows` says how each is written). `None`: not kept (the run's start and
/// end, which the scheduler records itself).
fn line(run: i64, at: i64, event: RunEvent) -> Option<Op> {
    let (job, step, stream, line) = match event {
        RunEvent::Log {
            job,
            step,
            stream,
            line,
        } => {
            let stream = match stream {
                LogStream::Stdout => "stdout",
                LogStream::Stderr => "stderr",
                LogStream::System => "system",
            };
            (job, step, stream, line)
        }
        RunEvent::Summary {
            job,
            step,
            markdown,
        } => (job, Some(step), log_rows::SUMMARY, markdown),
        RunEvent::Annotation {
            job,
            step,
            level,
            message,
            file,
            line,
        } => {
            let a = log_rows::Annotation {
                level: log_rows::Level::parse(&level),
                message,
                file,
                line: line.map(u64::from),
            };
            (job, Some(step), log_rows::ANNOTATION, a.encode())
        }
        // The page folds a group's lines: its opening and closing are kept as rows.
        RunEvent::Group { job, step, title } => match title {
            Some(t) => (job, Some(step), log_rows::GROUP, t),
            None => (job, Some(step), log_rows::END_GROUP, String::new()),
        },
        RunEvent::RunStarted { .. } | RunEvent::RunFinished { .. } => return None,
        // Status changes: `progress`.
        RunEvent::JobStarted { .. }
        | RunEvent::JobFinished { .. }
        | RunEvent::StepStarted { .. }
        | RunEvent::StepFinished { .. } => return None,
    };
    Some(Op::Log {
        run,
        job,
        step,
        stream: stream.into(),
        line,
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_engine::Conclusion;

    /// What the store gets for each kind of event: (kind, status or stream, conclusion).
    fn kept(event: RunEvent) -> Option<(&'static str, String, Option<Conclusion>)> {
        let op = match event {
            e @ (RunEvent::JobStarted { .. }
            | RunEvent::JobFinished { .. }
            | RunEvent::StepStarted { .. }
            | RunEvent::StepFinished { .. }) => progress(7, 1, e),
            e => line(7, 1, e),
        }?;
        Some(match op {
            Op::Job {
                status, conclusion, ..
            } => ("job", status.as_str().into(), conclusion),
            Op::Step {
                status, conclusion, ..
            } => ("step", status.as_str().into(), conclusion),
            Op::Log { stream, line, .. } => ("log", format!("{stream} {line}"), None),
            Op::Run { .. } => ("run", String::new(), None),
            Op::JobResult { .. } => ("result", String::new(), None),
        })
    }

    #[test]
    fn each_engine_event_becomes_its_change_or_nothing() {
        let s = String::from;
        let table = [
            (
                RunEvent::JobStarted {
                    job: s("b"),
                    name: s("B"),
                },
                Some(("job", s("in_progress"), None)),
            ),
            (
                RunEvent::JobFinished {
                    job: s("b"),
                    conclusion: Conclusion::Failure,
                    reason: None,
                    duration_ms: 1,
                },
                Some(("job", s("completed"), Some(Conclusion::Failure))),
            ),
            (
                RunEvent::StepFinished {
                    job: s("b"),
                    step: s("1"),
                    name: s("s"),
                    outcome: Conclusion::Success,
                    conclusion: Conclusion::Success,
                    reason: None,
                    duration_ms: 1,
                },
                Some(("step", s("completed"), Some(Conclusion::Success))),
            ),
            (
                RunEvent::Log {
                    job: s("b"),
                    step: None,
                    stream: LogStream::Stderr,
                    line: s("oops"),
                },
                Some(("log", s("stderr oops"), None)),
            ),
            (
                RunEvent::Annotation {
                    job: s("b"),
                    step: s("1"),
                    level: s("warning"),
                    message: s("careful"),
                    file: None,
                    line: None,
                },
                Some(("log", s("annotation {\"level\":\"warning\",\"message\":\"careful\"}"), None)),
            ),
            (
                RunEvent::Annotation {
                    job: s("b"),
                    step: s("1"),
                    level: s("error"),
                    message: s("bad: thing"),
                    file: Some(s("src/a.rs")),
                    line: Some(3),
                },
                Some((
                    "log",
                    s("annotation {\"level\":\"error\",\"message\":\"bad: thing\",\"file\":\"src/a.rs\",\"line\":3}"),
                    None,
                )),
            ),
            (
                RunEvent::Group {
                    job: s("b"),
                    step: s("1"),
                    title: Some(s("Setup")),
                },
                Some(("log", s("group Setup"), None)),
            ),
            (
                RunEvent::Group {
                    job: s("b"),
                    step: s("1"),
                    title: None,
                },
                Some(("log", s("endgroup "), None)),
            ),
            (
                RunEvent::RunStarted {
                    run_id: s("7"),
                    workflow: s("w"),
                },
                None,
            ),
        ];
        for (event, want) in table {
            let name = format!("{event:?}");
            assert_eq!(kept(event), want, "{name}");
        }
    }
}
