//! A pull request event beyond matching: what its payload says about the commits involved
//! (number, base and head shas, merged or not), the `pull_request_target` event a GitHub
//! `pull_request` delivery also stands for, and the commit a run's status belongs to.

use super::{github, Event};
use serde_json::Value;

/// The parts of a `pull_request` / `pull_request_target` payload that say which commits
/// a run is about.
#[derive(Clone, Debug, PartialEq)]
pub struct PullRequest {
    pub number: u64,
    /// The activity type (`opened`, `synchronize`, `closed`, ...).
    pub action: String,
    /// The base branch's short name (`main`).
    pub base_ref: String,
    pub base_sha: Option<String>,
    pub head_sha: Option<String>,
    /// The repository's default branch (`repository.default_branch`), else the base branch.
    pub default_branch: String,
    /// A `closed` delivery of a pull request that was merged.
    pub merged: bool,
    /// Once merged, the commit on the base branch (GitHub's `merge_commit_sha`).
    pub merge_commit_sha: Option<String>,
    /// The head is in another repository than the base (`head.repo` is another repository,
    /// or `null`: a fork deleted since), whose author may not be trusted with secrets.
    pub from_fork: bool,
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl PullRequest {
    /// The pull request of a `pull_request` or `pull_request_target` event; `None` for other
    /// events or a payload without a number.
    pub fn of(ev: &Event) -> Option<PullRequest> {
        if ev.name != "pull_request" && ev.name != "pull_request_target" {
            return None;
        }
        let p = &ev.payload;
        let number = p
            .pointer("/pull_request/number")
            .or_else(|| p.get("number"))
            .and_then(Value::as_u64)?;
        let base_ref = text(p, "/pull_request/base/ref").unwrap_or_default();
        let default_branch = text(p, "/repository/default_branch").unwrap_or(base_ref.clone());
        let action = text(p, "/action").unwrap_or_else(|| "opened".into());
        let merged = action == "closed"
            && p.pointer("/pull_request/merged").and_then(Value::as_bool) == Some(true);
        let from_fork = match p.pointer("/pull_request/head/repo") {
            Some(Value::Null) => true,
            Some(repo) => repo.get("full_name") != p.pointer("/repository/full_name"),
            None => false,
        };
        Some(PullRequest {
            number,
            from_fork,
            action,
            base_ref,
            base_sha: text(p, "/pull_request/base/sha"),
            head_sha: text(p, "/pull_request/head/sha"),
            default_branch,
            merged,
            merge_commit_sha: text(p, "/pull_request/merge_commit_sha"),
        })
    }

    /// `refs/pull/N/merge`.
    pub fn merge_ref(&self) -> String {
        format!("refs/pull/{}/merge", self.number)
    }

    /// `refs/pull/N/head`.
    pub fn head_ref(&self) -> String {
        format!("refs/pull/{}/head", self.number)
    }
}

/// The `pull_request_target` event GitHub also starts from a `pull_request` delivery (there is
/// no `pull_request_target` webhook: it is the same activity, run from the default branch).
pub fn target_of(ev: &Event) -> Option<Event> {
    if ev.name != "pull_request" {
        return None;
    }
    github::pull_request("pull_request_target", ev.payload.clone()).ok()
}

/// The commit a run's status is set on: a pull request's head commit (GitHub shows statuses
/// of the head on the pull request, never of the merge commit), else the event's sha.
pub fn status_sha(ev: &Event) -> Option<String> {
    match PullRequest::of(ev) {
        Some(pr) => pr.head_sha,
        None => ev.meta.sha.clone(),
    }
}

#[cfg(test)]
mod tests;
