//! A repository hosted on GitHub (no local path): on a push, `gantry serve` reads the
//! workflow files at the pushed sha through the contents API and runs them in the source
//! tarball downloaded at that sha — both from a local HTTP server playing the GitHub API.
//! A workflow calling a reusable workflow of another GitHub repository gets that repository
//! from the same server before it is planned.

mod docker;
mod serve;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use serve::{Service, SECRET};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const HOSTED_WORKFLOW: &str = "name: hosted\non:\n  push:\n    branches: [main]\njobs:\n  show:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cat notes.txt && echo \"sha=$GITHUB_SHA\"\n";

/// A reusable workflow in the GitHub repository `octo-org/shared`.
const SHARED_WORKFLOW: &str = "on:\n  workflow_call:\n    inputs:\n      who: { type: string, required: true }\n    outputs:\n      said:\n        value: ${{ jobs.greet.outputs.said }}\njobs:\n  greet:\n    runs-on: ubuntu-latest\n    outputs:\n      said: ${{ steps.g.outputs.said }}\n    steps:\n      - id: g\n        run: |\n          echo \"shared workflow greets ${{ inputs.who }}\"\n          echo \"said=hi-${{ inputs.who }}\" >> \"$GITHUB_OUTPUT\"\n";

/// Requests seen: (path, ref, authorization).
type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

fn b64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() {
                T[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

fn item(path: &str, kind: &str, content: Option<&str>) -> Value {
    let name = path.rsplit('/').next().unwrap();
    json!({
        "name": name, "path": path, "sha": "0000", "size": content.map_or(0, str::len),
        "url": "http://x/u", "html_url": null, "git_url": null, "download_url": null,
        "type": kind, "encoding": content.map(|_| "base64"),
        "content": content.map(|c| b64(c.as_bytes())),
        "_links": { "self": "http://x/u", "git": null, "html": null }
    })
}

async fn contents(
    State(seen): State<Seen>,
    Path((_o, _r, path)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let r = q.get("ref").cloned().unwrap_or_default();
    seen.lock()
        .unwrap()
        .push((format!("contents/{path}"), r, auth));
    match path.as_str() {
        ".github/workflows" => Json(json!([
            item(".github/workflows/hosted.yml", "file", None),
            item(".github/workflows/README.md", "file", None),
        ]))
        .into_response(),
        ".github/workflows/hosted.yml" => {
            Json(item(&path, "file", Some(HOSTED_WORKFLOW))).into_response()
        }
        _ => (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response(),
    }
}

fn tarball(top: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (path, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, format!("{top}/{path}"), text.as_bytes())
            .unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

async fn tarball_route(
    State(seen): State<Seen>,
    Path((_o, repo, sha)): Path<(String, String, String)>,
) -> Response {
    seen.lock()
        .unwrap()
        .push(("tarball".into(), sha.clone(), String::new()));
    if repo == "shared" {
        let body = tarball(
            "octo-org-shared-abc1234",
            &[(".github/workflows/build.yml", SHARED_WORKFLOW)],
        );
        return ([("content-type", "application/x-gzip")], body).into_response();
    }
    let body = tarball(
        "octo-org-hosted-abc1234",
        &[
            (".github/workflows/hosted.yml", HOSTED_WORKFLOW),
            ("notes.txt", "from the tarball\n"),
        ],
    );
    ([("content-type", "application/x-gzip")], body).into_response()
}

fn fake_github() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let state = seen.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let app = Router::new()
                .route("/repos/{owner}/{repo}/contents/{*path}", get(contents))
                .route("/repos/{owner}/{repo}/tarball/{sha}", get(tarball_route))
                .with_state(state);
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap().port()).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    (format!("http://127.0.0.1:{}", rx.recv().unwrap()), seen)
}

#[test]
fn a_push_to_a_github_hosted_repository_runs_its_workflows_in_the_tarball_at_the_sha() {
    let (api, seen) = fake_github();
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
    let seen = seen.lock().unwrap().clone();
    // The listing, then only the workflow file (README.md is not a workflow), at the sha,
    // with the token; then the tarball at the sha.
    let paths: Vec<&str> = seen.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "contents/.github/workflows",
            "contents/.github/workflows/hosted.yml",
            "tarball"
        ],
        "{seen:?}"
    );
    assert!(seen.iter().all(|(_, r, _)| r == sha), "{seen:?}");
    assert!(seen[0].2.contains("ghp_hosted"), "{seen:?}");
}

#[test]
fn a_run_calls_a_reusable_workflow_of_another_github_repository() {
    let (api, seen) = fake_github();
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
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [("tarball".to_string(), "v1".to_string(), String::new())],
        "the shared repository is downloaded once, at the ref"
    );
}
