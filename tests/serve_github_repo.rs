//! A repository hosted on GitHub (no local path): on a push, `gantry serve` reads the
//! workflow files at the pushed sha through the contents API and runs them in the source
//! tarball downloaded at that sha — both from a local HTTP server playing the GitHub API.

mod docker;
mod serve;

use serde_json::{json, Value};
use serve::github::FakeGitHub;
use serve::{Service, SECRET};

const HOSTED_WORKFLOW: &str = "name: hosted\non:\n  push:\n    branches: [main]\njobs:\n  show:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cat notes.txt && echo \"sha=$GITHUB_SHA\"\n";

fn fake_github() -> FakeGitHub {
    FakeGitHub::start(&[
        (".github/workflows/hosted.yml", HOSTED_WORKFLOW),
        (".github/workflows/README.md", "not a workflow\n"),
        ("notes.txt", "from the tarball\n"),
    ])
}

#[test]
fn a_push_to_a_github_hosted_repository_runs_its_workflows_in_the_tarball_at_the_sha() {
    let github = fake_github();
    let api = &github.url;
    let s = Service::with_github(
        "on: push\njobs: {}\n",
        "on: push\njobs: {}\n",
        "",
        &format!("token = \"ghp_hosted\"\napi_url = \"{api}\"\n[[repositories]]\nname = \"octo-org/hosted\""),
    );
    let sha = "5e3a1f0c9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f";
    let mut payload: Value = serde_json::from_str(&s.push_payload()).unwrap();
    payload["repository"]["full_name"] = json!("octo-org/hosted");
    payload["repository"]["name"] = json!("hosted");
    payload["after"] = json!(sha);
    payload["head_commit"]["id"] = json!(sha);
    let body = payload.to_string();
    let sig = gantry_plan::signature::sign(SECRET.as_bytes(), body.as_bytes());
    let (code, text) = s.post(
        "/hooks/github",
        &[
            ("X-GitHub-Event", "push"),
            ("X-GitHub-Delivery", "hosted-1"),
            ("X-Hub-Signature-256", &sig),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    );
    assert_eq!(code, 202, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["runs"][0]["workflow"], "hosted", "{answer:#}");
    let id = answer["runs"][0]["id"].as_i64().unwrap();
    let run = s.wait_run(id, 120);
    assert_eq!(run["run"]["conclusion"], "success", "{run:#}");
    let logs = s.get_json(&format!("/api/runs/{id}/logs")).to_string();
    assert!(logs.contains("from the tarball"), "{logs}");
    assert!(logs.contains(&format!("sha={sha}")), "{logs}");
    // The listing, then only the workflow file (README.md is not a workflow), at the sha,
    // with the token; then the tarball at the sha (statuses aside).
    let seen: Vec<_> = github
        .seen()
        .into_iter()
        .filter(|s| s.what != "status")
        .collect();
    let paths: Vec<&str> = seen.iter().map(|s| s.what.as_str()).collect();
    assert_eq!(
        paths,
        [
            "contents/.github/workflows",
            "contents/.github/workflows/hosted.yml",
            "tarball"
        ],
        "{seen:?}"
    );
    assert!(seen.iter().all(|s| s.git_ref == sha), "{seen:?}");
    assert!(seen[0].auth.contains("ghp_hosted"), "{seen:?}");
}
