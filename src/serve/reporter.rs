//! A run's events into the store: job and step status changes, log lines (already masked by
//! the engine) and step durations for the metrics. Live log streams read them back. When the
//! store is behind, `report` waits for room: a container printing faster than SQLite writes
//! is slowed down instead of filling memory.

use super::metrics::Metrics;
use crate::engine::{LogStream, Reporter, RunEvent};
use crate::store::Op;
use crate::store::Progress;
use crate::store::Store;
use std::sync::Arc;

pub struct StoreReporter {
    pub store: Store,
    pub run: i64,
    pub metrics: Arc<Metrics>,
}

impl Reporter for StoreReporter {
    fn report(&self, event: RunEvent) {
        let at = crate::store::write::now_ms();
        let run = self.run;
        let op = match event {
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
                duration_ms,
            } => {
                self.metrics.step(duration_ms);
                Op::Step {
                    run,
                    job,
                    step,
                    name,
                    status: Progress::Completed,
                    outcome: Some(outcome),
                    conclusion: Some(conclusion),
                    reason,
                    at,
                }
            }
            RunEvent::Log {
                job,
                step,
                stream,
                line,
            } => Op::Log {
                run,
                job,
                step,
                stream: match stream {
                    LogStream::Stdout => "stdout",
                    LogStream::Stderr => "stderr",
                    LogStream::System => "system",
                }
                .into(),
                line,
                at,
            },
            RunEvent::Summary {
                job,
                step,
                markdown,
            } => Op::Log {
                run,
                job,
                step: Some(step),
                stream: "summary".into(),
                line: markdown,
                at,
            },
            RunEvent::Annotation {
                job,
                step,
                level,
                message,
                ..
            } => Op::Log {
                run,
                job,
                step: Some(step),
                stream: "annotation".into(),
                line: format!("{level}: {message}"),
                at,
            },
            RunEvent::Group { .. } | RunEvent::RunStarted { .. } | RunEvent::RunFinished { .. } => {
                return
            }
        };
        if let Err(e) = self.store.send(op) {
            tracing::error!(run, error = %e, "a run's event was not recorded");
        }
    }
}
