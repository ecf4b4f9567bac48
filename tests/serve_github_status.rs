//! Commit statuses: a push run sets `pending`, then `success`/`failure`, on a local HTTP
//! server playing the GitHub API, with the token and a link to the run; a failing API is
//! retried, and reporting never fails the run.

mod docker;
mod serve;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use serve::Service;
use std::sync::{Arc, Mutex};

type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

async fn status(
    State((seen, fails)): State<(Seen, Arc<Mutex<u32>>)>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    {
        let mut f = fails.lock().unwrap();
        if *f > 0 {
            *f -= 1;
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"message": "try again"})),
            );
        }
    }
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    seen.lock()
        .unwrap()
        .push((format!("{owner}/{repo}@{sha}"), auth, body.clone()));
    (
        StatusCode::CREATED,
        Json(json!({
            "url": "http://x", "avatar_url": null, "id": 1, "node_id": "n", "state": body["state"],
            "description": body["description"], "target_url": body["target_url"], "context": body["context"],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "creator": null
        })),
    )
}

fn fake_github(fails: u32) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let state = (seen.clone(), Arc::new(Mutex::new(fails)));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let app = Router::new()
                .route("/repos/{owner}/{repo}/statuses/{sha}", post(status))
                .with_state(state);
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap().port()).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    (format!("http://127.0.0.1:{}", rx.recv().unwrap()), seen)
}

const OK: &str = "on:\n  push:\n    branches: [main]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n";

#[test]
fn push_runs_report_pending_then_their_conclusion() {
    let (api, seen) = fake_github(1);
    let s = Service::with_github(
        OK,
        "on: push\njobs: {}\n",
        "public_url = \"http://gantry.example\"",
        &format!("token = \"ghp_test\"\napi_url = \"{api}\""),
    );
    let (code, text) = s.push("status-1");
    assert_eq!(code, 202, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    let run = s.wait_run(id, 120);
    assert_eq!(run["run"]["conclusion"], "success");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while seen.lock().unwrap().len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "statuses: {:?}",
            seen.lock().unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let seen = seen.lock().unwrap().clone();
    let states: Vec<&str> = seen
        .iter()
        .map(|(_, _, b)| b["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["pending", "success"], "{seen:?}");
    let (target, auth, body) = &seen[1];
    assert_eq!(target, &format!("octo-org/octo-repo@{}", s.sha));
    assert!(auth.contains("ghp_test"), "{auth}");
    assert_eq!(body["context"], "gantry/ci.yml");
    assert_eq!(
        body["target_url"],
        format!("http://gantry.example/runs/{id}")
    );
}

#[test]
fn an_unreachable_github_never_fails_the_run() {
    let s = Service::with_github(
        OK,
        "on: push\njobs: {}\n",
        "",
        "token = \"t\"\napi_url = \"http://127.0.0.1:9\"",
    );
    let (code, text) = s.push("status-2");
    assert_eq!(code, 202, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(s.wait_run(id, 120)["run"]["conclusion"], "success");
}
