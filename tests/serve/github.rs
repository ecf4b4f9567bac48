//! A local HTTP server playing the parts of GitHub's API that `gantry serve` uses for a
//! GitHub-hosted repository: the contents API (the `.github/workflows` listing and its
//! files), the source tarball, the compare API (the files a pull request changed, once
//! set), and commit statuses. Every repository and ref gets the same files; what was asked
//! for is recorded.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A request seen: what (`contents/<path>`, `tarball`, `status`), the ref or sha, the
/// `Authorization` header, and a status's body.
#[derive(Clone, Debug)]
pub struct Seen {
    pub what: String,
    pub git_ref: String,
    pub auth: String,
    pub body: Value,
}

#[derive(Clone)]
struct Fake {
    files: Arc<Vec<(String, String)>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// What the compare API answers; `None`: 404.
    changed: Arc<Mutex<Option<Vec<String>>>>,
    /// The contents API answers 502, as GitHub does in an outage.
    down: Arc<std::sync::atomic::AtomicBool>,
}

/// The server's base URL (for `[github] api_url`) and what it sees.
pub struct FakeGitHub {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    changed: Arc<Mutex<Option<Vec<String>>>>,
    down: Arc<std::sync::atomic::AtomicBool>,
}

impl FakeGitHub {
    /// Serves `files` (path, text) as every repository's tree at every ref.
    pub fn start(files: &[(&str, &str)]) -> FakeGitHub {
        let fake = Fake {
            files: Arc::new(
                files
                    .iter()
                    .map(|(p, t)| (p.to_string(), t.to_string()))
                    .collect(),
            ),
            seen: Arc::default(),
            changed: Arc::default(),
            down: Arc::default(),
        };
        let (seen, changed, down) = (fake.seen.clone(), fake.changed.clone(), fake.down.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let app = Router::new()
                    .route("/repos/{owner}/{repo}/contents/{*path}", get(contents))
                    .route("/repos/{owner}/{repo}/tarball/{sha}", get(tarball_route))
                    .route("/repos/{owner}/{repo}/compare/{basehead}", get(compare))
                    .route("/repos/{owner}/{repo}/statuses/{sha}", post(status))
                    .with_state(fake);
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(l.local_addr().unwrap().port()).unwrap();
                axum::serve(l, app).await.unwrap();
            });
        });
        let url = format!("http://127.0.0.1:{}", rx.recv().unwrap());
        FakeGitHub {
            url,
            seen,
            changed,
            down,
        }
    }

    /// From now on, the contents API answers 502 (`true`) or serves again (`false`).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }

    /// The files the compare API says a pull request changed, from now on.
    pub fn set_changed(&self, files: &[&str]) {
        *self.changed.lock().unwrap() = Some(files.iter().map(|f| f.to_string()).collect());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits up to 30 s until `n` statuses were posted; all statuses then.
    pub fn statuses(&self, n: usize) -> Vec<Seen> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let got: Vec<Seen> = self
                .seen()
                .into_iter()
                .filter(|s| s.what == "status")
                .collect();
            if got.len() >= n {
                return got;
            }
            assert!(std::time::Instant::now() < deadline, "statuses: {got:?}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

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

/// A contents API item: a file (with its text when given) or a directory.
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

fn auth(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn contents(
    State(fake): State<Fake>,
    Path((_o, _r, path)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    fake.seen.lock().unwrap().push(Seen {
        what: format!("contents/{path}"),
        git_ref: q.get("ref").cloned().unwrap_or_default(),
        auth: auth(&headers),
        body: Value::Null,
    });
    if fake.down.load(std::sync::atomic::Ordering::SeqCst) {
        return (StatusCode::BAD_GATEWAY, "Server Error").into_response();
    }
    if let Some((p, text)) = fake.files.iter().find(|(p, _)| *p == path) {
        return Json(item(p, "file", Some(text))).into_response();
    }
    let prefix = format!("{path}/");
    let listing: Vec<Value> = fake
        .files
        .iter()
        .filter(|(p, _)| {
            p.strip_prefix(&prefix)
                .is_some_and(|rest| !rest.contains('/'))
        })
        .map(|(p, _)| item(p, "file", None))
        .collect();
    if listing.is_empty() {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response();
    }
    Json(listing).into_response()
}

async fn compare(
    State(fake): State<Fake>,
    Path((_o, _r, basehead)): Path<(String, String, String)>,
) -> Response {
    fake.seen.lock().unwrap().push(Seen {
        what: "compare".into(),
        git_ref: basehead,
        auth: String::new(),
        body: Value::Null,
    });
    match fake.changed.lock().unwrap().clone() {
        Some(files) => {
            let files: Vec<Value> = files.iter().map(|f| json!({ "filename": f })).collect();
            Json(json!({ "files": files })).into_response()
        }
        None => (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response(),
    }
}

/// A gzipped tarball of `files` under one top directory, as GitHub serves it.
pub fn tarball(top: &str, files: &[(String, String)]) -> Vec<u8> {
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
    State(fake): State<Fake>,
    Path((_o, _r, sha)): Path<(String, String, String)>,
) -> Response {
    fake.seen.lock().unwrap().push(Seen {
        what: "tarball".into(),
        git_ref: sha,
        auth: String::new(),
        body: Value::Null,
    });
    let body = tarball("octo-org-hosted-abc1234", &fake.files);
    ([("content-type", "application/x-gzip")], body).into_response()
}

async fn status(
    State(fake): State<Fake>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    fake.seen.lock().unwrap().push(Seen {
        what: "status".into(),
        git_ref: format!("{owner}/{repo}@{sha}"),
        auth: auth(&headers),
        body: body.clone(),
    });
    let answer = json!({
        "url": "http://x", "avatar_url": null, "id": 1, "node_id": "n", "state": body["state"],
        "description": body["description"], "target_url": body["target_url"],
        "context": body["context"], "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z", "creator": null
    });
    (StatusCode::CREATED, Json(answer))
}
