//! `push` events: from a GitHub push payload, or built from what a local git repository says
//! (the git reading itself happens at the edge, in `gantry_load::git`).

use super::error::{json_kind, EventError};
use super::{Event, Meta};
use serde_json::{json, Map, Value};

pub const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// A push as Gantry knows it before it becomes a GitHub-shaped payload.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PushSpec {
    /// Full ref, e.g. `refs/heads/main`.
    pub git_ref: String,
    /// The sha before the push; the zero sha (or `None`) when the ref was created.
    pub before: Option<String>,
    /// The sha after the push; the zero sha when the ref was deleted.
    pub after: String,
    /// `owner/name`.
    pub repository: Option<String>,
    pub pusher: Option<(String, String)>,
    pub commits: Vec<Commit>,
    /// Files changed between `before` and `after`; `None` when unknown.
    pub changed_files: Option<Vec<String>>,
    pub forced: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Commit {
    pub id: String,
    pub message: String,
    pub timestamp: String,
    pub author_name: String,
    pub author_email: String,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub modified: Vec<String>,
}

impl PushSpec {
    pub fn into_event(self) -> Event {
        let before = self.before.clone().unwrap_or_else(|| ZERO_SHA.to_string());
        let created = before == ZERO_SHA;
        let deleted = self.after == ZERO_SHA;
        let repo = self
            .repository
            .clone()
            .unwrap_or_else(|| "local/repository".to_string());
        let (owner, name) = repo.split_once('/').unwrap_or(("local", repo.as_str()));
        let (pusher_name, pusher_email) = self
            .pusher
            .clone()
            .unwrap_or_else(|| ("gantry".to_string(), "gantry@localhost".to_string()));
        let commits: Vec<Value> = self
            .commits
            .iter()
            .map(|c| {
                json!({
                    "id": c.id, "tree_id": null, "distinct": true, "message": c.message,
                    "timestamp": c.timestamp, "url": null,
                    "author": {"name": c.author_name, "email": c.author_email},
                    "committer": {"name": c.author_name, "email": c.author_email},
                    "added": c.added, "removed": c.removed, "modified": c.modified,
                })
            })
            .collect();
        let head_commit = commits.last().cloned().unwrap_or(Value::Null);
        let payload = json!({
            "ref": self.git_ref,
            "before": before,
            "after": self.after,
            "created": created,
            "deleted": deleted,
            "forced": self.forced,
            "base_ref": null,
            "compare": null,
            "commits": commits,
            "head_commit": head_commit,
            "pusher": {"name": pusher_name, "email": pusher_email},
            "repository": {
                "name": name, "full_name": repo, "owner": {"login": owner, "name": owner},
                "default_branch": "main", "private": true,
            },
            "sender": {"login": pusher_name},
        });
        Event {
            name: "push".into(),
            meta: Meta {
                git_ref: Some(self.git_ref),
                sha: Some(self.after),
                changed_files: self.changed_files,
                repository: Some(repo),
                actor: Some(pusher_name),
                ..Meta::default()
            },
            payload,
        }
    }
}

/// What a synthetic push is made of: the repository's name, the ref and the sha.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticPush {
    /// `local/<directory name>`.
    pub repository: String,
    /// Full ref; `refs/heads/main` unless the user names one.
    pub git_ref: String,
    /// The zero sha unless the user names one: clearly no commit.
    pub sha: String,
}

/// The push `gantry plan`/`run` stand for when the working tree is not a git repository,
/// as act does: no commits, no pusher, changed files unknown (so `paths` filters cannot
/// exclude it), neither `created` nor `deleted` (the zero sha as `after` would otherwise
/// read as a deleted ref), and marked [`Meta::synthetic`].
pub fn synthetic_push(s: SyntheticPush) -> Event {
    let mut ev = PushSpec {
        git_ref: s.git_ref,
        before: Some(ZERO_SHA.to_string()),
        after: s.sha,
        repository: Some(s.repository),
        ..PushSpec::default()
    }
    .into_event();
    if let Value::Object(o) = &mut ev.payload {
        o.insert("created".into(), Value::Bool(false));
        o.insert("deleted".into(), Value::Bool(false));
    }
    ev.meta.synthetic = true;
    ev
}

fn str_field<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, EventError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(EventError::WrongType {
            event: "push".into(),
            field: field.into(),
            expected: "a string",
            found: json_kind(other),
        }),
    }
}

/// A push payload as GitHub sends it. Changed files come from the commits' added/removed/
/// modified lists; GitHub truncates those at 20 commits, so more than that means "unknown".
pub fn from_payload(payload: Value) -> Result<Event, EventError> {
    let Value::Object(obj) = &payload else {
        return Err(EventError::NotObject {
            event: "push".into(),
            found: json_kind(&payload),
        });
    };
    let git_ref = str_field(obj, "ref")?.ok_or_else(|| EventError::MissingField {
        event: "push".into(),
        field: "ref".into(),
        hint: "a push payload names the pushed ref, e.g. \"ref\": \"refs/heads/main\"".into(),
    })?;
    let after = str_field(obj, "after")?.map(str::to_string);
    let mut changed: Option<Vec<String>> = None;
    if let Some(Value::Array(commits)) = obj.get("commits") {
        if commits.len() < 20 {
            let mut files = Vec::new();
            let mut complete = true;
            for c in commits {
                let mut any = false;
                for key in ["added", "removed", "modified"] {
                    if let Some(Value::Array(list)) = c.get(key) {
                        any = true;
                        files.extend(list.iter().filter_map(|f| f.as_str().map(str::to_string)));
                    }
                }
                complete &= any;
            }
            if complete {
                files.sort();
                files.dedup();
                changed = Some(files);
            }
        }
    }
    let repository = obj
        .get("repository")
        .and_then(|r| r.get("full_name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let actor = obj
        .get("sender")
        .and_then(|s| s.get("login"))
        .or_else(|| obj.get("pusher").and_then(|p| p.get("name")))
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Event {
        name: "push".into(),
        meta: Meta {
            git_ref: Some(git_ref.to_string()),
            sha: after,
            changed_files: changed,
            repository,
            actor,
            ..Meta::default()
        },
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_synthetic_push_is_marked_and_neither_creates_nor_deletes() {
        let cases = [
            ("refs/heads/main", ZERO_SHA, "main"),
            (
                "refs/tags/v1",
                "1234567890123456789012345678901234567890",
                "v1",
            ),
        ];
        for (git_ref, sha, short) in cases {
            let ev = synthetic_push(SyntheticPush {
                repository: "local/tree".into(),
                git_ref: git_ref.into(),
                sha: sha.into(),
            });
            assert!(ev.meta.synthetic, "{git_ref}");
            assert_eq!(ev.name, "push");
            assert_eq!(ev.ref_name(), Some(short));
            assert_eq!(ev.meta.sha.as_deref(), Some(sha));
            assert_eq!(ev.meta.repository.as_deref(), Some("local/tree"));
            assert_eq!(ev.meta.changed_files, None, "unknown: paths cannot exclude");
            let p = &ev.payload;
            assert_eq!(
                (p["created"].as_bool(), p["deleted"].as_bool()),
                (Some(false), Some(false))
            );
            assert_eq!(p["repository"]["full_name"], "local/tree");
            assert_eq!(p["commits"], json!([]));
        }
    }

    #[test]
    fn events_read_from_somewhere_are_not_synthetic() {
        let ev = PushSpec {
            git_ref: "refs/heads/main".into(),
            after: "1234567890123456789012345678901234567890".into(),
            ..PushSpec::default()
        }
        .into_event();
        assert!(!ev.meta.synthetic);
        let json = serde_json::to_value(&ev.meta).unwrap();
        assert!(json.get("synthetic").is_none(), "{json}");
    }
}
