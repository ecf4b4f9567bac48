//! What reading the store returns, whichever backend it is: runs, jobs with their steps,
//! the history of changes, log lines, events, and the filter of the runs list.

use super::status::{Progress, Status};
use gantry_engine::Conclusion;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub event_id: String,
    pub event: String,
    pub workflow_file: String,
    pub workflow_name: String,
    pub status: Status,
    pub conclusion: Option<Conclusion>,
    pub attempt: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub reason: Option<String>,
    /// The instance that recorded or last claimed the run (its `instance_id`): who runs or
    /// ran it (empty for runs recorded before instances had names).
    pub owner: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct JobRow {
    pub key: String,
    pub name: String,
    pub status: Progress,
    pub conclusion: Option<Conclusion>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub reason: Option<String>,
    pub steps: Vec<StepRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepRow {
    pub step: String,
    pub name: String,
    pub status: Progress,
    pub outcome: Option<Conclusion>,
    pub conclusion: Option<Conclusion>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub reason: Option<String>,
}

/// One status change of the run (no job), a job (no step) or a step.
#[derive(Clone, Debug, Serialize)]
pub struct ChangeRow {
    pub attempt: i64,
    pub job: Option<String>,
    pub step: Option<String>,
    pub status: Status,
    pub conclusion: Option<Conclusion>,
    pub reason: Option<String>,
    pub at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LogRow {
    pub seq: i64,
    pub job: String,
    pub step: Option<String>,
    pub stream: String,
    pub line: String,
    pub at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct EventRow {
    pub id: String,
    pub source: String,
    pub name: String,
    pub received_at: i64,
    pub payload: String,
}

#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub workflow: Option<String>,
    pub event: Option<String>,
    pub limit: Option<i64>,
    /// Only runs with a smaller id (the next page of a list newest first).
    pub before: Option<i64>,
    /// Only runs of events on this branch: the event's ref is `refs/heads/<branch>` (or is
    /// `<branch>` itself, given in full).
    pub branch: Option<String>,
    /// Only runs of events from these origins (a tenant's: see [`Origins`]).
    pub origins: Option<Origins>,
}

/// Where events came from: any of `sources` (`hook:NAME`, `kafka`, `cli`...), or `github`
/// for one of `repositories` (compared without case).
#[derive(Clone, Debug, Default)]
pub struct Origins {
    pub sources: Vec<String>,
    pub repositories: Vec<String>,
}

impl Origins {
    /// The two lists as JSON arrays: the SQL of both backends reads them as such.
    pub(crate) fn as_json(&self) -> (String, String) {
        let text = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        (text(&self.sources), text(&self.repositories))
    }
}
