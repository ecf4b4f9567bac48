//! Events: what happened (a push, a Kafka message, a webhook call, a manual dispatch), as a
//! normalised JSON payload (`github.event`) plus the metadata that trigger matching and the
//! `GITHUB_*` variables need. Pure: reading git or a broker happens at the edges.

mod error;
mod github;
mod message;
mod pull_request;
mod push;
mod webhook;

pub use error::EventError;
pub use github::{dispatch, schedule};
pub use message::KafkaMessage;
pub use pull_request::{status_sha, target_of, PullRequest};
pub use push::{synthetic_push, Commit, PushSpec, SyntheticPush, ZERO_SHA};
pub use webhook::call as webhook_call;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event ready to be matched against workflows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `push`, `pull_request`, `kafka`, `webhook`, `workflow_dispatch`, ...
    pub name: String,
    /// The payload steps see as `github.event` and in the file at `GITHUB_EVENT_PATH`.
    pub payload: Value,
    pub meta: Meta,
}

/// What matching and the runner need without digging through the payload.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Full ref (`refs/heads/main`, `refs/tags/v1`); for pull requests the merge ref.
    pub git_ref: Option<String>,
    pub sha: Option<String>,
    /// The activity type (`opened`, `completed`, ...), for `types:` filters.
    pub action: Option<String>,
    /// Pull requests: the base branch (what `branches:` filters match for PRs).
    pub base_ref: Option<String>,
    pub head_ref: Option<String>,
    /// Files changed by the event, for `paths:` filters. `None`: unknown, so path filters
    /// cannot exclude the event (GitHub runs the workflow when it cannot compute the diff).
    pub changed_files: Option<Vec<String>>,
    pub repository: Option<String>,
    pub actor: Option<String>,
    /// `workflow_dispatch` inputs as given (typed per workflow at planning time).
    pub inputs: Vec<(String, String)>,
    /// `schedule`: the cron expression that fired.
    pub schedule: Option<String>,
    pub kafka: Option<KafkaMeta>,
    /// `webhook`: the hook's name.
    pub hook: Option<String>,
    /// Made up from defaults, not read from anything (a push of a working tree that is no
    /// git repository: [`synthetic_push`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub synthetic: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KafkaMeta {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The key as text (lossy for binary keys); `None` for a message without a key.
    pub key: Option<String>,
    /// Headers as text, in message order; a header without a value has `None`.
    pub headers: Vec<(String, Option<String>)>,
}

impl Event {
    /// The short ref name (`main`, `v1.2`, `5/merge` for a pull request's merge ref), as
    /// `github.ref_name`.
    pub fn ref_name(&self) -> Option<&str> {
        let r = self.meta.git_ref.as_deref()?;
        Some(
            r.strip_prefix("refs/heads/")
                .or_else(|| r.strip_prefix("refs/tags/"))
                .or_else(|| r.strip_prefix("refs/pull/"))
                .unwrap_or(r),
        )
    }

    /// Whether the ref is a tag (tag filters apply) rather than a branch.
    pub fn is_tag(&self) -> bool {
        self.meta
            .git_ref
            .as_deref()
            .is_some_and(|r| r.starts_with("refs/tags/"))
    }
}

/// Every event name Gantry can build from a payload file.
pub const KNOWN: &[&str] = &[
    "push",
    "pull_request",
    "pull_request_target",
    "workflow_dispatch",
    "schedule",
    "kafka",
    "webhook",
];

/// Builds an event of a GitHub event name from its payload (e.g. `--event push --payload f.json`).
/// Other GitHub events are accepted too (for `types:` matching) when the name is known to
/// the event table; their payload is passed through.
pub fn from_payload(name: &str, payload: Value) -> Result<Event, EventError> {
    match name {
        "push" => push::from_payload(payload),
        "pull_request" | "pull_request_target" => github::pull_request(name, payload),
        "workflow_dispatch" => github::dispatch_payload(payload),
        "kafka" => message::from_payload(payload),
        "webhook" => webhook::from_payload(payload),
        _ if gantry_core::model::events::lookup(name).is_some() => {
            Ok(github::generic(name, payload))
        }
        _ => Err(EventError::UnknownEvent {
            name: name.to_string(),
        }),
    }
}

/// Parses a payload document, pointing at the line and column of a JSON error.
pub fn parse_payload(what: &str, text: &str) -> Result<Value, EventError> {
    serde_json::from_str(text).map_err(|e| EventError::NotJson {
        what: what.to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}
