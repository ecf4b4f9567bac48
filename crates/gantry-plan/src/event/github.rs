//! GitHub events other than push: pull requests (base/head refs and activity type for
//! matching) and the rest, passed through with their `action`.

use super::error::{json_kind, EventError};
use super::{Event, Meta};
use serde_json::Value;

pub fn pull_request(name: &str, payload: Value) -> Result<Event, EventError> {
    if !payload.is_object() {
        return Err(EventError::NotObject {
            event: name.into(),
            found: json_kind(&payload),
        });
    }
    let pr = payload
        .get("pull_request")
        .ok_or_else(|| EventError::MissingField {
            event: name.into(),
            field: "pull_request".into(),
            hint: "a pull_request payload carries the pull request object".into(),
        })?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let (git_ref, sha) = pull_request_refs(name, &payload, pr);
    let meta = Meta {
        git_ref,
        sha,
        action: text(payload.get("action")).or(Some("opened".into())),
        base_ref: text(pr.pointer("/base/ref")),
        head_ref: text(pr.pointer("/head/ref")),
        repository: text(payload.pointer("/repository/full_name")),
        actor: text(payload.pointer("/sender/login")),
        ..Meta::default()
    };
    Ok(Event {
        name: name.into(),
        payload,
        meta,
    })
}

/// `GITHUB_REF` and `GITHUB_SHA` as GitHub sets them for a pull request event, as far as
/// the payload tells: `pull_request` runs the merge ref (`refs/pull/N/merge`; the head sha
/// stands for its merge commit until the service builds it) except for a `closed` delivery of
/// a merged pull request, which runs the base branch at the merge commit;
/// `pull_request_target` runs the repository's default branch (since 2025-12-08), whose
/// latest commit the payload knows only when it is the base branch.
fn pull_request_refs(name: &str, payload: &Value, pr: &Value) -> (Option<String>, Option<String>) {
    let text = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    let base = text(pr, "/base/ref");
    if name == "pull_request_target" {
        let default = text(payload, "/repository/default_branch").or(base.clone());
        let sha = text(pr, "/base/sha").filter(|_| default == base);
        return (default.map(|d| format!("refs/heads/{d}")), sha);
    }
    let closed = payload.get("action").and_then(Value::as_str) == Some("closed");
    if closed && pr.get("merged").and_then(Value::as_bool) == Some(true) {
        let sha = text(pr, "/merge_commit_sha").or_else(|| text(pr, "/head/sha"));
        return (base.map(|b| format!("refs/heads/{b}")), sha);
    }
    let number = pr
        .get("number")
        .and_then(Value::as_u64)
        .or_else(|| payload.get("number").and_then(Value::as_u64));
    (
        number.map(|n| format!("refs/pull/{n}/merge")),
        text(pr, "/head/sha"),
    )
}

pub fn generic(name: &str, payload: Value) -> Event {
    let text = |p: &str| {
        payload
            .pointer(p)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let meta = Meta {
        action: text("/action"),
        git_ref: text("/ref"),
        sha: text("/after").or_else(|| text("/sha")),
        repository: text("/repository/full_name"),
        actor: text("/sender/login"),
        schedule: if name == "schedule" {
            text("/schedule")
        } else {
            None
        },
        ..Meta::default()
    };
    Event {
        name: name.into(),
        payload,
        meta,
    }
}

/// `workflow_dispatch`: inputs arrive as text and are typed per workflow when planning.
pub fn dispatch(git_ref: &str, sha: Option<&str>, inputs: Vec<(String, String)>) -> Event {
    let map: serde_json::Map<String, Value> = inputs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let payload = serde_json::json!({ "inputs": map, "ref": git_ref, "workflow": null });
    Event {
        name: "workflow_dispatch".into(),
        payload,
        meta: Meta {
            git_ref: Some(git_ref.to_string()),
            sha: sha.map(str::to_string),
            inputs,
            ..Meta::default()
        },
    }
}

/// `schedule`: the payload GitHub gives is just the cron expression.
pub fn schedule(cron: &str, git_ref: &str) -> Event {
    Event {
        name: "schedule".into(),
        payload: serde_json::json!({ "schedule": cron }),
        meta: Meta {
            schedule: Some(cron.to_string()),
            git_ref: Some(git_ref.to_string()),
            ..Meta::default()
        },
    }
}

/// A `workflow_dispatch` payload file: `{"ref": ..., "inputs": {...}}`; input values become
/// text, as the API sends them.
pub fn dispatch_payload(payload: Value) -> Result<Event, EventError> {
    if !payload.is_object() {
        return Err(EventError::NotObject {
            event: "workflow_dispatch".into(),
            found: json_kind(&payload),
        });
    }
    let git_ref = payload
        .get("ref")
        .and_then(Value::as_str)
        .unwrap_or("refs/heads/main");
    let git_ref = if git_ref.starts_with("refs/") {
        git_ref.to_string()
    } else {
        format!("refs/heads/{git_ref}")
    };
    let inputs: Vec<(String, String)> = match payload.get("inputs") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                )
            })
            .collect(),
        Some(other) => {
            return Err(EventError::WrongType {
                event: "workflow_dispatch".into(),
                field: "inputs".into(),
                expected: "an object",
                found: json_kind(other),
            })
        }
    };
    let sha = payload.get("sha").and_then(Value::as_str);
    let mut ev = dispatch(&git_ref, sha, inputs);
    ev.meta.repository = payload
        .pointer("/repository/full_name")
        .and_then(Value::as_str)
        .map(str::to_string);
    ev.meta.actor = payload
        .pointer("/sender/login")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(ev)
}
