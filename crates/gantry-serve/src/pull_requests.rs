//! Pull request deliveries. GitHub starts two kinds of workflows from one `pull_request`
//! activity, so a `pull_request` delivery `D` is recorded as two events: `D` (`pull_request`)
//! and `D:target` (`pull_request_target`), answered together. For a local repository the
//! commit each runs is settled here, before anything is recorded (the head commit must be in
//! the repository, else the delivery is answered "not yet" as a push is):
//!
//! - `pull_request` runs the merge commit of head into base, built in the repository under
//!   `refs/pull/N/merge` (`gantry_load::merge`); a conflict means no run, as on GitHub. A
//!   `closed` delivery of a merged pull request runs its merge commit on the base branch.
//! - `pull_request_target` runs the tip of the repository's default branch (GitHub's rule
//!   since 2025-12-08; before, the base branch).
//!
//! Either way `paths` filters see the files the head changed since its merge base with the
//! base. A `pull_request` run of a fork's pull request gets its secrets empty (`withholds_secrets`). A GitHub-hosted repository gets none of this: its runs read the head commit (or, for
//! `pull_request_target`, the base) through the API, and its changed files come from the
//! compare API (`settle_hosted`).

use super::config::RepositoryConfig;
use super::sources::{wait_for_commit, SourceError};
use gantry_load::merge::{self, Merge, MergeSpec};
use gantry_plan::event::{target_of, Event, PullRequest};
use serde_json::{json, Value};
use std::path::Path;

/// The events of a GitHub delivery, with their ids: a `pull_request` delivery is two.
pub fn events_of(id: String, ev: Event) -> Vec<(String, Event)> {
    match target_of(&ev) {
        Some(target) => {
            let target_id = format!("{id}:target");
            vec![(id, ev), (target_id, target)]
        }
        None => vec![(id, ev)],
    }
}

/// What a run of `ev` reads from a GitHub-hosted repository: the event's commit, else its
/// ref's short name (a `pull_request_target` into another branch than the default one).
pub fn revision(ev: &Event) -> String {
    ev.meta
        .sha
        .clone()
        .or_else(|| ev.ref_name().map(str::to_string))
        .unwrap_or_default()
}

/// Gives a pull request event of a GitHub-hosted repository its changed files, from the
/// compare API (`base...head`), for `paths` filters. When GitHub does not answer they stay
/// unknown, which no `paths` filter excludes, and the log says why.
pub async fn settle_hosted(fetch: &gantry_github::ActionFetcher, repository: &str, ev: &mut Event) {
    let Some(pr) = PullRequest::of(ev) else {
        return;
    };
    let (Some(base), Some(head)) = (pr.base_sha.clone(), pr.head_sha.clone()) else {
        return;
    };
    match fetch.changed_files(repository, &base, &head).await {
        Ok(files) => ev.meta.changed_files = Some(files),
        Err(e) => tracing::warn!(
            "pull request #{} of {repository}: its changed files are unknown, so `paths` filters exclude nothing: {e}",
            pr.number
        ),
    }
}

/// Settles a pull request event of the local repository at `path` in place: its sha (the
/// commit its runs read and check out) and its changed files. Other events are left as they
/// are. Blocking: git runs, and a missing commit is waited for a little.
pub fn settle_local(
    repo: &RepositoryConfig,
    path: &Path,
    ev: &mut Event,
) -> Result<(), SourceError> {
    let Some(pr) = PullRequest::of(ev) else {
        return Ok(());
    };
    let missing = |what: &'static str| SourceError::PullRequestField {
        number: pr.number,
        field: what,
    };
    let head = pr.head_sha.clone().ok_or_else(|| missing("head.sha"))?;
    wait_for_commit(path, &repo.name, &head)?;
    let sha = if ev.name == "pull_request_target" {
        default_tip(repo, path, &pr)?
    } else if pr.merged {
        let sha = pr
            .merge_commit_sha
            .clone()
            .ok_or_else(|| missing("merge_commit_sha"))?;
        wait_for_commit(path, &repo.name, &sha)?;
        sha
    } else {
        let base = pr.base_sha.clone().ok_or_else(|| missing("base.sha"))?;
        merged(repo, path, &pr, &base, &head)?
    };
    ev.meta.sha = Some(sha);
    if let Some(base) = pr.base_sha.as_deref() {
        if gantry_load::git::has_commit(path, base) {
            ev.meta.changed_files = merge::changed_files(path, base, &head).ok();
        }
    }
    Ok(())
}

/// Makes sure the repository at `path` has the commit a settled `pull_request` event runs:
/// the instance that executes a run need not be the one that accepted its event (another
/// host, a takeover), and the merge commit was built only in the accepting host's repository.
/// The merge is built again from the payload's base and head; it is the same commit (the
/// merge takes its dates from the head and a fixed identity), which is checked.
pub fn rebuild_merge(repo: &RepositoryConfig, path: &Path, ev: &Event) -> Result<(), SourceError> {
    let (Some(pr), Some(sha)) = (PullRequest::of(ev), ev.meta.sha.as_deref()) else {
        return Ok(());
    };
    if ev.name != "pull_request" || pr.merged || gantry_load::git::has_commit(path, sha) {
        return Ok(());
    }
    let (Some(base), Some(head)) = (pr.base_sha.as_deref(), pr.head_sha.as_deref()) else {
        return Ok(());
    };
    wait_for_commit(path, &repo.name, head)?;
    let built = merged(repo, path, &pr, base, head)?;
    if built != sha {
        return Err(SourceError::MergeDiffers {
            number: pr.number,
            recorded: sha.to_string(),
            built,
        });
    }
    Ok(())
}

/// The merge commit of `head` into `base` (`refs/pull/N/merge`); a conflict is an error
/// that becomes the event's reason for running nothing.
fn merged(
    repo: &RepositoryConfig,
    path: &Path,
    pr: &PullRequest,
    base: &str,
    head: &str,
) -> Result<String, SourceError> {
    wait_for_commit(path, &repo.name, base)?;
    let spec = MergeSpec {
        number: pr.number,
        base,
        head,
    };
    match merge::merge_commit(path, spec)? {
        Merge::Commit(sha) => Ok(sha),
        Merge::Conflict { files } => Err(SourceError::MergeConflict {
            number: pr.number,
            files: files.join(", "),
        }),
    }
}

/// The default branch's latest commit in the repository; a repository without the branch
/// falls back to the payload's base commit when the base is the default branch.
fn default_tip(
    repo: &RepositoryConfig,
    path: &Path,
    pr: &PullRequest,
) -> Result<String, SourceError> {
    if let Some(tip) = merge::branch_tip(path, &pr.default_branch) {
        return Ok(tip);
    }
    match &pr.base_sha {
        Some(base) if pr.base_ref == pr.default_branch => {
            wait_for_commit(path, &repo.name, base)?;
            Ok(base.clone())
        }
        _ => Err(SourceError::NoBranch {
            repository: repo.name.clone(),
            branch: pr.default_branch.clone(),
        }),
    }
}

/// Whether the runs of `ev` get no secrets but `GITHUB_TOKEN`: a `pull_request` from a fork
/// runs code its author wrote, and GitHub gives it every other secret as an empty value.
/// `pull_request_target` runs the default branch's code and keeps its secrets.
pub fn withholds_secrets(ev: &Event) -> bool {
    ev.name == "pull_request" && PullRequest::of(ev).is_some_and(|pr| pr.from_fork)
}

/// One answer for the events of a delivery: the first event's id, every event's id, their
/// runs, and what did not match each (named by event).
pub fn combine(answers: &[(String, String)]) -> String {
    if let [(_, only)] = answers {
        return only.clone();
    }
    let mut runs = Vec::new();
    let mut not_matched = Vec::new();
    let mut ids = Vec::new();
    for (event, text) in answers {
        let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        ids.push(v["event_id"].clone());
        runs.extend(v["runs"].as_array().cloned().unwrap_or_default());
        for mut n in v["not_matched"].as_array().cloned().unwrap_or_default() {
            n["event"] = json!(event);
            not_matched.push(n);
        }
    }
    let first = ids.first().cloned().unwrap_or(Value::Null);
    json!({ "event_id": first, "events": ids, "runs": runs, "not_matched": not_matched })
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hosted_run_reads_the_events_commit_else_its_branch() {
        let payload = |base: &str| {
            json!({"action": "opened", "number": 2,
                "pull_request": {"number": 2, "head": {"ref": "f", "sha": "h"}, "base": {"ref": base, "sha": "b"}},
                "repository": {"full_name": "o/r", "default_branch": "main"}})
        };
        let cases = [
            ("pull_request", "dev", "h"),
            ("pull_request_target", "main", "b"),
            ("pull_request_target", "dev", "main"),
        ];
        for (name, base, want) in cases {
            let ev = gantry_plan::event::from_payload(name, payload(base)).unwrap();
            assert_eq!(revision(&ev), want, "{name} into {base}");
        }
        let (id, ev) = (
            "github:d".to_string(),
            gantry_plan::event::from_payload("pull_request", payload("main")).unwrap(),
        );
        let ids: Vec<(String, String)> = events_of(id, ev)
            .into_iter()
            .map(|(id, ev)| (id, ev.name))
            .collect();
        assert_eq!(
            ids,
            [
                ("github:d".to_string(), "pull_request".to_string()),
                (
                    "github:d:target".to_string(),
                    "pull_request_target".to_string()
                )
            ]
        );
    }

    #[test]
    fn runs_of_forks_get_no_secrets() {
        let payload = json!({"action": "opened", "number": 6,
            "pull_request": {"number": 6, "head": {"ref": "f", "sha": "h", "repo": {"full_name": "mallory/r"}},
                "base": {"ref": "main", "sha": "b", "repo": {"full_name": "o/r"}}},
            "repository": {"full_name": "o/r", "default_branch": "main"}});
        let from =
            |name: &str, p: &Value| gantry_plan::event::from_payload(name, p.clone()).unwrap();
        let mut same = payload.clone();
        same["pull_request"]["head"]["repo"]["full_name"] = json!("o/r");
        let mut deleted = payload.clone();
        deleted["pull_request"]["head"]["repo"] = Value::Null;
        // (event, payload, secrets withheld)
        let cases = [
            ("pull_request", &payload, true),
            ("pull_request", &deleted, true),
            ("pull_request_target", &payload, false),
            ("pull_request", &same, false),
        ];
        for (event, p, withheld) in cases {
            assert_eq!(withholds_secrets(&from(event, p)), withheld, "{event} {p}");
        }
    }

    #[test]
    fn a_delivery_answer_joins_its_events() {
        let pr = r#"{"event_id":"github:d","runs":[{"id":1,"workflow":"ci"}],"not_matched":[{"workflow":"t.yml","reasons":["r"]}]}"#;
        let target =
            r#"{"event_id":"github:d:target","runs":[{"id":2,"workflow":"t"}],"not_matched":[]}"#;
        let one = combine(&[("pull_request".into(), pr.into())]);
        assert_eq!(one, pr, "one event: its own answer");
        let both: Value = serde_json::from_str(&combine(&[
            ("pull_request".into(), pr.into()),
            ("pull_request_target".into(), target.into()),
        ]))
        .unwrap();
        assert_eq!(both["event_id"], "github:d");
        assert_eq!(both["events"], json!(["github:d", "github:d:target"]));
        assert_eq!(
            both["runs"],
            json!([{"id":1,"workflow":"ci"},{"id":2,"workflow":"t"}])
        );
        assert_eq!(both["not_matched"][0]["event"], "pull_request");
    }
}

#[cfg(test)]
mod rebuild_tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A repository with `main` and a branch `f` that merges cleanly: (dir, base, head).
    fn repository(root: &Path) -> (std::path::PathBuf, String, String) {
        let a = root.join("a");
        std::fs::create_dir_all(&a).unwrap();
        git(&a, &["init", "-q", "-b", "main"]);
        std::fs::write(a.join("one"), "1\n").unwrap();
        git(&a, &["add", "."]);
        git(&a, &["commit", "-q", "-m", "base"]);
        let base = git(&a, &["rev-parse", "HEAD"]);
        git(&a, &["checkout", "-q", "-b", "f"]);
        std::fs::write(a.join("two"), "2\n").unwrap();
        git(&a, &["add", "."]);
        git(&a, &["commit", "-q", "-m", "head"]);
        let head = git(&a, &["rev-parse", "HEAD"]);
        git(&a, &["checkout", "-q", "main"]);
        std::fs::write(a.join("three"), "3\n").unwrap();
        git(&a, &["add", "."]);
        git(&a, &["commit", "-q", "-m", "base moves on"]);
        let base_now = git(&a, &["rev-parse", "HEAD"]);
        assert_ne!(base, base_now);
        (a, base_now, head)
    }

    #[test]
    fn a_host_that_did_not_accept_a_pull_request_builds_the_same_merge_commit() {
        let d = tempfile::tempdir().unwrap();
        let (a, base, head) = repository(d.path());
        let b = d.path().join("b");
        git(
            d.path(),
            &[
                "clone",
                "-q",
                "--mirror",
                a.to_str().unwrap(),
                b.to_str().unwrap(),
            ],
        );
        let payload = json!({"action": "opened", "number": 3,
            "pull_request": {"number": 3, "head": {"ref": "f", "sha": head}, "base": {"ref": "main", "sha": base}},
            "repository": {"full_name": "o/r", "default_branch": "main"}});
        let mut ev = gantry_plan::event::from_payload("pull_request", payload).unwrap();
        let cfg = |path: &Path| RepositoryConfig {
            name: "o/r".into(),
            path: Some(path.to_path_buf()),
            tenant: None,
        };
        settle_local(&cfg(&a), &a, &mut ev).unwrap();
        let sha = ev.meta.sha.clone().unwrap();
        assert!(!gantry_load::git::has_commit(&b, &sha), "b lacks the merge");
        rebuild_merge(&cfg(&b), &b, &ev).unwrap();
        assert!(
            gantry_load::git::has_commit(&b, &sha),
            "built again, the same sha"
        );
        rebuild_merge(&cfg(&b), &b, &ev).unwrap();

        let c = d.path().join("c");
        git(
            d.path(),
            &[
                "clone",
                "-q",
                "--mirror",
                a.to_str().unwrap(),
                c.to_str().unwrap(),
            ],
        );
        ev.meta.sha = Some("1".repeat(40));
        let e = rebuild_merge(&cfg(&c), &c, &ev).unwrap_err().to_string();
        assert!(
            e.contains("pull request #3") && e.contains("not the one recorded"),
            "{e}"
        );
    }
}
