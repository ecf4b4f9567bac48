//! How a step's process ended (exit code, timeout, cancellation) and the step result and
//! reason that follow from it, shared by `run:` steps and container actions.

use super::StepResult;
use crate::error::EngineError;
use crate::report::Conclusion;
use std::collections::BTreeMap;
use std::time::Duration;

pub enum Stopped {
    Finished(Result<i64, crate::backend::BackendError>),
    TimedOut(Duration),
    Cancelled,
}

impl Stopped {
    /// How the step ended, before its file commands add outputs; an engine error (the
    /// container could not be run or waited for) is not a step failure but the run's error.
    pub(super) fn into_result(self) -> Result<StepResult, EngineError> {
        let (outcome, reason) = match self {
            Stopped::Finished(Ok(0)) => (Conclusion::Success, None),
            Stopped::Finished(Ok(code)) => (Conclusion::Failure, Some(exit_reason(code))),
            Stopped::Finished(Err(e)) => return Err(e.into()),
            Stopped::TimedOut(d) => (
                Conclusion::Failure,
                Some(format!(
                    "the step exceeded its timeout of {} minutes",
                    d.as_secs_f64() / 60.0
                )),
            ),
            Stopped::Cancelled => (Conclusion::Cancelled, Some("cancelled".into())),
        };
        Ok(StepResult {
            outcome,
            outputs: BTreeMap::new(),
            reason,
            changes: Vec::new(),
        })
    }
}

fn exit_reason(code: i64) -> String {
    match code {
        137 => "the process was killed (exit code 137: SIGKILL, often out of memory)".into(),
        127 => "command not found (exit code 127)".into(),
        c => format!("exit code {c}"),
    }
}
