//! What a run tells the outside world while it happens: job and step starts and ends, log
//! lines (already masked), groups, annotations and summaries. The CLI prints them; the
//! service stores them. Nothing here knows where they go.

use serde::Serialize;
use std::time::Duration;

/// How a step or job ended, as GitHub names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    Success,
    Failure,
    Cancelled,
    Skipped,
}

impl Conclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            Conclusion::Success => "success",
            Conclusion::Failure => "failure",
            Conclusion::Cancelled => "cancelled",
            Conclusion::Skipped => "skipped",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStream {
    Stdout,
    Stderr,
    /// Gantry's own lines about the step (image builds, service health...).
    System,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    RunStarted {
        run_id: String,
        workflow: String,
    },
    JobStarted {
        job: String,
        name: String,
    },
    JobFinished {
        job: String,
        conclusion: Conclusion,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        duration_ms: u64,
    },
    StepStarted {
        job: String,
        step: String,
        name: String,
    },
    Log {
        job: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        stream: LogStream,
        line: String,
    },
    Group {
        job: String,
        step: String,
        /// `None` closes the group.
        title: Option<String>,
    },
    Annotation {
        job: String,
        step: String,
        level: String,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        line: Option<u32>,
    },
    Summary {
        job: String,
        step: String,
        markdown: String,
    },
    StepFinished {
        job: String,
        step: String,
        name: String,
        outcome: Conclusion,
        conclusion: Conclusion,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        duration_ms: u64,
    },
    RunFinished {
        run_id: String,
        conclusion: Conclusion,
        duration_ms: u64,
    },
}

/// Receives a run's events in order per job (jobs interleave).
pub trait Reporter: Send + Sync {
    fn report(&self, event: RunEvent);
}

/// Collects events in memory, for tests and for callers that render at the end.
#[derive(Default)]
pub struct Collect(pub std::sync::Mutex<Vec<RunEvent>>);

impl Reporter for Collect {
    fn report(&self, event: RunEvent) {
        if let Ok(mut v) = self.0.lock() {
            v.push(event);
        }
    }
}

impl Collect {
    pub fn events(&self) -> Vec<RunEvent> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Every log line of a job (all steps), for assertions.
    pub fn lines(&self, job: &str) -> Vec<String> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                RunEvent::Log { job: j, line, .. } if j == job => Some(line),
                _ => None,
            })
            .collect()
    }
}

pub fn millis(d: Duration) -> u64 {
    d.as_millis().min(u64::MAX as u128) as u64
}
