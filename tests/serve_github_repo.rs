//! A repository hosted on GitHub (no local path): on a push, `gantry serve` reads the
//! workflow files at the pushed sha through the contents API and runs them in the source
//! tarball downloaded at that sha — both from a local HTTP server playing the GitHub API.
//! A workflow calling a reusable workflow of another GitHub repository gets that repository
//! from the same server before it is planned.

mod docker;
mod serve;

use serde_json::{json, Value};
use serve::github::FakeGitHub;
use serve::{Service, SECRET};

const HOSTED_WORKFLOW: &str = "name: hosted\non:\n  push:\n    branches: [main]\njobs:\n  show:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cat notes.txt && echo \"sha=$GITHUB_SHA\"\n";

/// A reusable workflow, served in every repository's tarball (`octo-org/shared` included).
const SHARED_WORKFLOW: &str = "on:\n  workflow_call:\n    inputs:\n      who: { type: string, required: true }\n    outputs:\n      said:\n        value: ${{ jobs.greet.outputs.said }}\njobs:\n  greet:\n    runs-on: ubuntu-latest\n    outputs:\n      said: ${{ steps.g.outputs.said }}\n    steps:\n      - id: g\n        run: |\n          echo \"shared workflow greets ${{ inputs.who }}\"\n          echo \"said=hi-${{ inputs.who }}\" >> \"$GITHUB_OUTPUT\"\n";

fn fake_github() -> FakeGitHub {
    FakeGitHub::start(&[
        (".github/workflows/hosted.yml", HOSTED_WORKFLOW),
        (".github/workflows/README.md", "not a workflow\n"),
        ("notes.txt", "from the tarball\n"),
    ])
}

fn hosted_service(github: &FakeGitHub) -> Service {
    let api = &github.url;
    Service::with_github(
        "on: push\njobs: {}\n",
        "on: push\njobs: {}\n",
        "",
        &format!("token = \"ghp_hosted\"\napi_url = \"{api}\"\n[[repositories]]\nname = \"octo-org/hosted\""),
    )
}

/// A signed push of `sha` to `octo-org/hosted`, as delivery `delivery`.
fn push_hosted(s: &Service, delivery: &str, sha: &str) -> (u16, String) {
    let mut payload: Value = serde_json::from_str(&s.push_payload()).unwrap();
    payload["repository"]["full_name"] = json!("octo-org/hosted");
    payload["repository"]["name"] = json!("hosted");
    payload["after"] = json!(sha);
    payload["head_commit"]["id"] = json!(sha);
    let body = payload.to_string();
    let sig = gantry_plan::signature::sign(SECRET.as_bytes(), body.as_bytes());
    s.post(
        "/hooks/github",
        &[
            ("X-GitHub-Event", "push"),
            ("X-GitHub-Delivery", delivery),
            ("X-Hub-Signature-256", &sig),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
}

/// GitHub down while a push's workflow files are read: the delivery is not recorded and
/// gets 503 with Retry-After, so its redelivery (GitHub's, or an operator's) is decided
/// afresh and runs — a recorded "no workflows" answer would be replayed and never run.
#[test]
fn a_push_met_by_a_github_outage_is_answered_503_unrecorded_and_its_redelivery_runs() {
    let github = fake_github();
    let s = hosted_service(&github);
    let sha = "6f4b2a1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a";
    github.set_down(true);
    let (code, text) = push_hosted(&s, "outage-1", sha);
    assert_eq!(code, 503, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["error"], "source_unavailable", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or("")
            .contains("octo-org/hosted"),
        "{answer}"
    );
    let runs = s.get_json("/api/runs");
    assert_eq!(runs["runs"].as_array().map(Vec::len), Some(0), "{runs}");
    github.set_down(false);
    let (code, text) = push_hosted(&s, "outage-1", sha);
    assert_eq!(code, 202, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    s.wait_success(id, 1);
}

#[test]
fn a_push_to_a_github_hosted_repository_runs_its_workflows_in_the_tarball_at_the_sha() {
    let github = fake_github();
    let s = hosted_service(&github);
    let sha = "5e3a1f0c9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f";
    let (code, text) = push_hosted(&s, "hosted-1", sha);
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

#[test]
fn a_run_calls_a_reusable_workflow_of_another_github_repository() {
    let github = FakeGitHub::start(&[(".github/workflows/build.yml", SHARED_WORKFLOW)]);
    let api = &github.url;
    let caller = "on: push\njobs:\n  call:\n    uses: octo-org/shared/.github/workflows/build.yml@v1\n    with:\n      who: serve\n  after:\n    needs: call\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"caller saw ${{ needs.call.outputs.said }}\"\n";
    let s = Service::with_github(
        caller,
        "on: push\njobs: {}\n",
        "",
        &format!("token = \"ghp_hosted\"\napi_url = \"{api}\"\n"),
    );
    let (code, text) = s.push("remote-call-1");
    assert_eq!(code, 202, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    let id = answer["runs"][0]["id"].as_i64().unwrap();
    s.wait_success(id, 1);
    let logs = s.get_json(&format!("/api/runs/{id}/logs")).to_string();
    assert!(logs.contains("shared workflow greets serve"), "{logs}");
    assert!(logs.contains("caller saw hi-serve"), "{logs}");
    let downloads: Vec<String> = github
        .seen()
        .into_iter()
        .filter(|s| s.what == "tarball")
        .map(|s| s.git_ref)
        .collect();
    assert_eq!(
        downloads,
        ["v1"],
        "the shared repository is downloaded once, at the ref"
    );
}
