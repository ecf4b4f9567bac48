//! Remote actions downloaded from a local HTTP server playing the GitHub API (tarball at a
//! ref, redirected to codeload as GitHub does): first use downloads, later uses hit the
//! cache, concurrent uses download once, `--offline` works from the cache and says what to
//! do on a miss, 404 and 401 name the repository, hostile archives write nothing outside,
//! and `gantry run` runs a downloaded composite action and a downloaded reusable workflow.

mod docker;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use gantry_github::FetcherConfig;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Default)]
struct Fake {
    downloads: AtomicUsize,
}

fn tarball(top: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (name, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o755);
        let path = format!("{top}/{name}");
        let bytes = path.as_bytes();
        h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
        h.set_cksum();
        b.append(&h, text.as_bytes()).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

async fn tarball_route(
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match repo.as_str() {
        "missing" => (
            StatusCode::NOT_FOUND,
            r#"{"message":"Not Found","documentation_url":"https://docs.github.com"}"#,
        )
            .into_response(),
        "private" if !auth.contains("sekrit") => {
            (StatusCode::UNAUTHORIZED, r#"{"message":"Bad credentials"}"#).into_response()
        }
        _ => Redirect::to(&format!("/codeload/{owner}/{repo}/{git_ref}")).into_response(),
    }
}

async fn codeload(
    State(fake): State<Arc<Fake>>,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> Response {
    fake.downloads.fetch_add(1, Ordering::SeqCst);
    let top = format!("{owner}-{repo}-abc123");
    let body = if repo == "evil" {
        tarball(&top, &[("../../escaped", "x")])
    } else if repo == "workflows" {
        tarball(&top, &[(".github/workflows/greet.yml", &format!("on:\n  workflow_call:\n    inputs:\n      who: {{ type: string, required: true }}\njobs:\n  greet:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"downloaded workflow ({git_ref}) greets ${{{{ inputs.who }}}}\"\n"))])
    } else {
        tarball(&top, &[
            ("action.yml", "name: hi\ninputs:\n  who: { default: world }\nruns:\n  using: composite\n  steps:\n    - shell: sh\n      run: sh \"$GITHUB_ACTION_PATH/hi.sh\" \"${{ inputs.who }}\"\n"),
            ("hi.sh", &format!("echo \"downloaded action ({git_ref}) greets $1\"\n")),
        ])
    };
    ([("content-type", "application/x-gzip")], body).into_response()
}

fn fake_github() -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    let state = fake.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let app = Router::new()
                .route(
                    "/repos/{owner}/{repo}/tarball/{*git_ref}",
                    get(tarball_route),
                )
                .route("/codeload/{owner}/{repo}/{*git_ref}", get(codeload))
                .with_state(state);
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap().port()).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    (format!("http://127.0.0.1:{}", rx.recv().unwrap()), fake)
}

fn config(api: &str, cache: &std::path::Path, offline: bool) -> FetcherConfig {
    FetcherConfig {
        cache_dir: cache.to_path_buf(),
        offline,
        api_base: Some(api.into()),
        token: None,
    }
}

#[tokio::test]
async fn download_once_then_cache_concurrency_and_offline() {
    let (api, fake) = fake_github();
    let cache = tempfile::tempdir().unwrap();
    let f = Arc::new(config(&api, cache.path(), false).build().unwrap());
    let (a, b) = tokio::join!(
        f.repository("octo/tools", "v1"),
        f.repository("octo/tools", "v1")
    );
    let dir = a.unwrap();
    assert_eq!(dir, b.unwrap());
    assert!(dir.join("action.yml").is_file() && dir.join("hi.sh").is_file());
    assert_eq!(
        fake.downloads.load(Ordering::SeqCst),
        1,
        "two concurrent uses download once"
    );
    f.repository("octo/tools", "v1").await.unwrap();
    assert_eq!(
        fake.downloads.load(Ordering::SeqCst),
        1,
        "the second use hits the cache"
    );
    // A ref with a slash has its own cache entry.
    let rel = f.repository("octo/tools", "release/v1").await.unwrap();
    assert_ne!(rel, dir);
    assert!(std::fs::read_to_string(rel.join("hi.sh"))
        .unwrap()
        .contains("release/v1"));
    // Offline: the cache serves what it has and says what to do for the rest.
    let off = config(&api, cache.path(), true).build().unwrap();
    assert_eq!(off.repository("octo/tools", "v1").await.unwrap(), dir);
    let e = off
        .repository("octo/tools", "v9")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("octo/tools@v9") && e.contains("--offline") && e.contains("--action-dir"),
        "{e}"
    );
}

#[tokio::test]
async fn errors_name_the_repository_and_hostile_archives_write_nothing() {
    let (api, _) = fake_github();
    let cache = tempfile::tempdir().unwrap();
    let f = config(&api, &cache.path().join("c"), false)
        .build()
        .unwrap();
    let e = f
        .repository("octo/missing", "v1")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("octo/missing@v1") && e.contains("not found"),
        "{e}"
    );
    let e = f
        .repository("octo/private", "v1")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("octo/private@v1") && e.contains("401") && e.contains("GITHUB_TOKEN"),
        "{e}"
    );
    let with_token = FetcherConfig {
        token: Some("sekrit".into()),
        ..config(&api, &cache.path().join("c"), false)
    }
    .build()
    .unwrap();
    with_token.repository("octo/private", "v1").await.unwrap();
    let e = f
        .repository("octo/evil", "v1")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("outside"), "{e}");
    assert!(!cache.path().join("escaped").exists() && !cache.path().join("c/escaped").exists());
    assert!(
        !cache.path().join("c/octo/evil/v1").exists(),
        "a failed download leaves no cache entry"
    );
}

#[test]
fn gantry_run_uses_a_downloaded_action() {
    let (api, fake) = fake_github();
    let cache = tempfile::tempdir().unwrap();
    let ws = docker::Workspace::new();
    ws.workflow("on: push\njobs:\n  r:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: octo/greeter@v3\n        with:\n          who: gantry\n");
    let cache_s = cache.path().to_str().unwrap();
    let r = ws.run(&["--github-api", &api, "--action-cache", cache_s]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    assert!(
        r.lines("r")
            .join("\n")
            .contains("downloaded action (v3) greets gantry"),
        "{}",
        r.debug()
    );
    // Offline, from the cache.
    let r = ws.run(&["--github-api", &api, "--action-cache", cache_s, "--offline"]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    assert_eq!(fake.downloads.load(Ordering::SeqCst), 1);
}

#[test]
fn gantry_run_calls_a_downloaded_reusable_workflow() {
    let (api, fake) = fake_github();
    let cache = tempfile::tempdir().unwrap();
    let ws = docker::Workspace::new();
    ws.workflow("on: push\njobs:\n  call:\n    uses: octo/workflows/.github/workflows/greet.yml@v2\n    with:\n      who: gantry\n");
    let cache_s = cache.path().to_str().unwrap();
    let r = ws.run(&["--github-api", &api, "--action-cache", cache_s]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    assert!(
        r.lines("call/greet")
            .join("\n")
            .contains("downloaded workflow (v2) greets gantry"),
        "{}",
        r.debug()
    );
    // Offline, from the cache: nothing downloaded again.
    let r = ws.run(&["--github-api", &api, "--action-cache", cache_s, "--offline"]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    assert_eq!(fake.downloads.load(Ordering::SeqCst), 1);
    // A repository GitHub does not have: the plan names the call and GitHub's answer.
    ws.workflow(
        "on: push\njobs:\n  call:\n    uses: octo/missing/.github/workflows/greet.yml@v2\n",
    );
    let r = ws.run(&["--github-api", &api, "--action-cache", cache_s]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("job `call` calls octo/missing/.github/workflows/greet.yml@v2, which was not fetched: octo/missing@v2 was not found on GitHub"),
        "{all}"
    );
}
