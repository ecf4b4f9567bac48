//! Table tests: the refs, shas and statuses of pull request events as GitHub documents them
//! ("Events that trigger workflows": `pull_request`, `pull_request_target`).

use super::*;
use crate::event::from_payload;
use serde_json::json;

const HEAD: &str = "1111111111111111111111111111111111111111";
const BASE: &str = "2222222222222222222222222222222222222222";
const MERGED: &str = "3333333333333333333333333333333333333333";

fn payload(action: &str, base: &str, merged: bool, default: &str) -> Value {
    json!({
        "action": action,
        "number": 5,
        "pull_request": {
            "number": 5, "state": if action == "closed" { "closed" } else { "open" },
            "merged": merged, "merge_commit_sha": if merged { MERGED } else { "" },
            "head": {"ref": "feature", "sha": HEAD},
            "base": {"ref": base, "sha": BASE},
        },
        "repository": {"full_name": "octo-org/octo-repo", "default_branch": default},
        "sender": {"login": "octocat"},
    })
}

/// (event, action, base branch, merged, default branch, GITHUB_REF, GITHUB_SHA)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static str,
    &'static str,
    Option<&'static str>,
);

#[rustfmt::skip]
const CASES: &[Case] = &[
    ("pull_request", "opened", "main", false, "main", "refs/pull/5/merge", Some(HEAD)),
    ("pull_request", "synchronize", "dev", false, "main", "refs/pull/5/merge", Some(HEAD)),
    ("pull_request", "closed", "main", false, "main", "refs/pull/5/merge", Some(HEAD)),
    ("pull_request", "closed", "dev", true, "main", "refs/heads/dev", Some(MERGED)),
    ("pull_request_target", "opened", "main", false, "main", "refs/heads/main", Some(BASE)),
    // The default branch's latest commit is not in the payload when it is not the base.
    ("pull_request_target", "opened", "dev", false, "main", "refs/heads/main", None),
    ("pull_request_target", "closed", "main", true, "main", "refs/heads/main", Some(BASE)),
];

#[test]
fn refs_and_shas_follow_githubs_table() {
    for &(name, action, base, merged, default, git_ref, sha) in CASES {
        let ev = from_payload(name, payload(action, base, merged, default)).unwrap();
        let what = format!("{name} {action} into {base} (merged: {merged})");
        assert_eq!(ev.meta.git_ref.as_deref(), Some(git_ref), "{what}");
        assert_eq!(ev.meta.sha.as_deref(), sha, "{what}");
        assert_eq!(ev.meta.base_ref.as_deref(), Some(base), "{what}");
        assert_eq!(ev.meta.head_ref.as_deref(), Some("feature"), "{what}");
        assert_eq!(status_sha(&ev).as_deref(), Some(HEAD), "statuses: {what}");
    }
}

#[test]
fn a_pull_request_says_which_commits_it_is_about() {
    let ev = from_payload("pull_request", payload("closed", "dev", true, "main")).unwrap();
    let pr = PullRequest::of(&ev).unwrap();
    assert_eq!(
        pr,
        PullRequest {
            number: 5,
            action: "closed".into(),
            base_ref: "dev".into(),
            base_sha: Some(BASE.into()),
            head_sha: Some(HEAD.into()),
            default_branch: "main".into(),
            merged: true,
            merge_commit_sha: Some(MERGED.into()),
            from_fork: false,
        }
    );
    assert_eq!(
        (pr.merge_ref().as_str(), pr.head_ref().as_str()),
        ("refs/pull/5/merge", "refs/pull/5/head")
    );
    assert_eq!(ev.ref_name(), Some("dev"));
    // Not merged, no default branch named: the base branch stands for it.
    let mut p = payload("opened", "dev", false, "main");
    p["repository"]
        .as_object_mut()
        .unwrap()
        .remove("default_branch");
    let ev = from_payload("pull_request", p).unwrap();
    let pr = PullRequest::of(&ev).unwrap();
    assert_eq!((pr.merged, pr.merge_commit_sha), (false, None));
    assert_eq!(pr.default_branch, "dev");
    assert_eq!(ev.ref_name(), Some("5/merge"));
}

#[test]
fn a_pull_request_delivery_also_stands_for_pull_request_target() {
    let ev = from_payload("pull_request", payload("opened", "main", false, "main")).unwrap();
    let target = target_of(&ev).unwrap();
    assert_eq!(target.name, "pull_request_target");
    assert_eq!(target.payload, ev.payload);
    assert_eq!(target.meta.git_ref.as_deref(), Some("refs/heads/main"));
    assert!(
        target_of(&target).is_none(),
        "only pull_request has a target"
    );
    let push = crate::event::PushSpec {
        git_ref: "refs/heads/main".into(),
        after: HEAD.into(),
        ..Default::default()
    }
    .into_event();
    assert!(PullRequest::of(&push).is_none() && target_of(&push).is_none());
    assert_eq!(status_sha(&push).as_deref(), Some(HEAD));
}

#[test]
fn a_head_in_another_repository_is_a_fork() {
    // (head.repo, from a fork)
    let cases = [
        (None, false),
        (Some(json!({"full_name": "octo-org/octo-repo"})), false),
        (Some(json!({"full_name": "mallory/octo-repo"})), true),
        (Some(Value::Null), true),
    ];
    for (repo, fork) in cases {
        let mut p = payload("opened", "main", false, "main");
        if let Some(r) = repo.clone() {
            p["pull_request"]["head"]["repo"] = r;
        }
        let ev = from_payload("pull_request", p).unwrap();
        assert_eq!(PullRequest::of(&ev).unwrap().from_fork, fork, "{repo:?}");
    }
}
