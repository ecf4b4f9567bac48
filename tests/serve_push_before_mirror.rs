//! A push that reaches `gantry serve` before its local repository has the commit (a mirror
//! that syncs on its own schedule) is not lost: the service fetches the repository's
//! remotes and looks again; while the commit is still missing the delivery is answered 503
//! with `Retry-After` and nothing is recorded, so GitHub's redelivery is decided afresh and
//! ends with exactly one run.

mod docker;
mod serve;

use serde_json::Value;
use serve::{git, Service};
use std::process::Command;

const CI: &str = r#"
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "built the second commit"
"#;

fn push(s: &Service, delivery: &str, sha: &str) -> (u16, String) {
    s.push_sha(delivery, sha)
}

#[test]
fn a_push_before_its_commit_is_retried_and_runs_once() {
    let s = Service::new(CI, "on: webhook\njobs: {}\n", "");
    // Upstream: a clone that gets a second commit the service's repository does not have.
    let up = tempfile::tempdir().unwrap();
    let upstream = up.path().join("upstream");
    let o = Command::new("git")
        .args(["clone", "-q"])
        .arg(&s.repo)
        .arg(&upstream)
        .output()
        .unwrap();
    assert!(o.status.success());
    std::fs::write(upstream.join("CHANGES.md"), "second\n").unwrap();
    git(&upstream, &["add", "."]);
    git(
        &upstream,
        &[
            "-c",
            "user.email=t@t",
            "-c",
            "user.name=t",
            "commit",
            "-q",
            "-m",
            "second",
        ],
    );
    let second = git(&upstream, &["rev-parse", "HEAD"]);

    let (code, text) = push(&s, "early-1", &second);
    assert_eq!(code, 503, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["error"], "commit_not_yet", "{v}");
    assert!(
        !text.contains(&s.repo.display().to_string()),
        "no host path: {text}"
    );

    // The mirror learns where the commit is; the redelivery fetches it and runs.
    git(
        &s.repo,
        &["remote", "add", "upstream", upstream.to_str().unwrap()],
    );
    let (code, text) = push(&s, "early-1", &second);
    assert_eq!(code, 202, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    let id = v["runs"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a run: {v}"));
    s.wait_success(id, 1);
    // A third delivery of the same event answers the same and creates nothing.
    let (code, again) = push(&s, "early-1", &second);
    assert_eq!(code, 202, "{again}");
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["runs"][0]["id"].as_i64(), Some(id), "{again}");
    let runs = s.get_json("/api/runs");
    let all = runs["runs"].as_array().map_or(0, Vec::len);
    assert_eq!(all, 1, "{runs}");
}
