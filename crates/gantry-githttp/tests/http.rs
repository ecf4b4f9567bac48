//! The HTTP surface of a `GitServer` on 127.0.0.1, request by request: who gets 401, 403, 404
//! and 405, the dumb protocol's paths refused, the REST default-branch call, the request body
//! limit (declared and streamed), the timeout, and a failing backend answering 500 without a
//! host path.

mod common;

use std::time::{Duration, SystemTime};

use base64::Engine;
use common::{Fixture, Served, OTHER, REPO};
use gantry_githttp::GitServerConfig;
use reqwest::{Client, Response, StatusCode};

const TOKEN: &str = "ghs_http-test-token";

fn basic(token: &str) -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
    format!("basic {encoded}")
}

async fn get(url: &str, authorization: Option<&str>) -> Response {
    let mut request = Client::new().get(url);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.unwrap()
}

fn info_refs(served: &Served, repo: &str) -> String {
    format!("{}/{repo}/info/refs?service=git-upload-pack", served.url)
}

#[tokio::test]
async fn bad_missing_expired_or_revoked_credentials_get_401_with_a_basic_challenge() {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[REPO]);
    let past = SystemTime::now() - Duration::from_secs(1);
    served
        .server
        .grant("expired", &[REPO.to_string()], past)
        .unwrap();
    served.grant("revoked", &[REPO]);
    assert!(served.server.revoke("revoked"));
    let url = info_refs(&served, REPO);
    let wrong = [
        None,
        Some(basic("wrong")),
        Some(basic("expired")),
        Some(basic("revoked")),
        Some(format!("token {TOKEN}")),
        Some("basic not-base64".to_string()),
    ];
    for authorization in wrong {
        let response = get(&url, authorization.as_deref()).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{authorization:?}"
        );
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Basic"), "{challenge}");
    }
    let ok = get(&url, Some(&basic(TOKEN))).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let content_type = ok.headers()["content-type"].to_str().unwrap();
    assert_eq!(content_type, "application/x-git-upload-pack-advertisement");
    assert!(ok.text().await.unwrap().contains(&fixture.main));
}

#[tokio::test]
async fn a_repository_not_granted_looks_like_one_that_does_not_exist() {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[OTHER, "owner/missing"]);
    let hidden = get(&info_refs(&served, REPO), Some(&basic(TOKEN))).await;
    let missing = get(&info_refs(&served, "owner/missing"), Some(&basic(TOKEN))).await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(hidden.text().await.unwrap(), missing.text().await.unwrap());
    assert!(served.server.remove_repository(OTHER));
    let removed = get(&info_refs(&served, OTHER), Some(&basic(TOKEN))).await;
    assert_eq!(removed.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn push_is_403_whatever_the_token() {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[REPO]);
    let refs = format!("{}/{REPO}/info/refs?service=git-receive-pack", served.url);
    let pack = format!("{}/{REPO}/git-receive-pack", served.url);
    for authorization in [None, Some(basic(TOKEN)), Some(basic("wrong"))] {
        let response = get(&refs, authorization.as_deref()).await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{authorization:?}"
        );
        let mut post = Client::new().post(&pack).body("0000");
        if let Some(value) = &authorization {
            post = post.header("authorization", value);
        }
        let response = post.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{authorization:?}"
        );
    }
}

#[tokio::test]
async fn only_the_smart_upload_pack_paths_are_served() {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[REPO]);
    let not_found = [
        format!("/{REPO}/info/refs"),
        format!("/{REPO}/HEAD"),
        format!("/{REPO}/objects/info/packs"),
        format!("/{REPO}/config"),
        format!("/{REPO}/description"),
        "/owner/%2e%2e/info/refs?service=git-upload-pack".to_string(),
        "/owner/repo%2f..%2fother/info/refs?service=git-upload-pack".to_string(),
        format!("/{REPO}/info/refs?service=git-upload-archive"),
        "/".to_string(),
    ];
    for path in not_found {
        let response = get(&format!("{}{path}", served.url), Some(&basic(TOKEN))).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let wrong_method = get(
        &format!("{}/{REPO}/git-upload-pack", served.url),
        Some(&basic(TOKEN)),
    )
    .await;
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_rest_api_gives_the_default_branch_to_granted_tokens() {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[OTHER]);
    let url = format!("{}/api/v3/repos/{OTHER}", served.url);
    for authorization in [
        format!("token {TOKEN}"),
        format!("Bearer {TOKEN}"),
        basic(TOKEN),
    ] {
        let response = get(&url, Some(&authorization)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: serde_json::Value =
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(body["default_branch"], "main");
        assert_eq!(body["full_name"], OTHER);
    }
    assert_eq!(get(&url, None).await.status(), StatusCode::UNAUTHORIZED);
    let (modern, _) = fixture.sha256_repository();
    served
        .server
        .add_repository("owner/modern", modern)
        .unwrap();
    served.grant(TOKEN, &[OTHER, "owner/modern"]);
    for (repo, format) in [(OTHER, "sha1"), ("owner/modern", "sha256")] {
        let url = format!("{}/api/v3/repos/{repo}/hash-algorithm", served.url);
        let response = get(&url, Some(&format!("token {TOKEN}"))).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: serde_json::Value =
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(body["hash_algorithm"], format);
    }
    let hidden = format!("{}/api/v3/repos/{REPO}", served.url);
    let response = get(&hidden, Some(&format!("token {TOKEN}"))).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// An upload-pack (protocol v0) request wanting `sha` once per line, `lines` times: a valid
/// request of any size.
fn upload_pack_request(sha: &str, lines: usize) -> Vec<u8> {
    let mut body = String::new();
    for _ in 0..lines {
        let line = format!("want {sha}\n");
        body.push_str(&format!("{:04x}{line}", line.len() + 4));
    }
    body.push_str("00000009done\n");
    body.into_bytes()
}

async fn post_upload_pack(
    served: &Served,
    body: reqwest::Body,
) -> Result<(StatusCode, Vec<u8>), reqwest::Error> {
    let response = Client::new()
        .post(format!("{}/{REPO}/git-upload-pack", served.url))
        .header("authorization", basic(TOKEN))
        .header("content-type", "application/x-git-upload-pack-request")
        .body(body)
        .send()
        .await?;
    let status = response.status();
    Ok((status, response.bytes().await?.to_vec()))
}

/// A streamed (chunked, no Content-Length) body of `bytes` in 256-byte pieces.
fn streamed(bytes: Vec<u8>) -> reqwest::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(256).map(|c| Ok(c.to_vec())).collect();
    reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn request_bodies_over_the_limit_are_refused() {
    let fixture = Fixture::new();
    let limit = 2048;
    let config = GitServerConfig {
        max_request_body: limit,
        ..GitServerConfig::default()
    };
    let served = Served::start(&fixture, config);
    served.grant(TOKEN, &[REPO]);
    let small = upload_pack_request(&fixture.main, 2);
    let large = upload_pack_request(&fixture.main, 100);
    assert!(small.len() < limit as usize && large.len() > limit as usize);
    for body in [small.clone().into(), streamed(small)] {
        let (status, pack) = post_upload_pack(&served, body).await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert!(
            pack.windows(4).any(|w| w == b"PACK"),
            "no pack in the answer"
        );
    }
    let (status, _) = post_upload_pack(&served, large.clone().into())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Streamed, the limit is only crossed after the backend's head went out: the request
    // is refused (413) or the response aborted, never completed.
    match post_upload_pack(&served, streamed(large)).await {
        Ok((status, _)) => assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE),
        Err(e) => assert!(e.is_body() || e.is_request() || e.is_decode(), "{e}"),
    }
}

#[tokio::test]
async fn a_gzip_request_body_is_inflated_by_the_backend() {
    use std::io::Write;
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[REPO]);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&upload_pack_request(&fixture.main, 50))
        .unwrap();
    let response = Client::new()
        .post(format!("{}/{REPO}/git-upload-pack", served.url))
        .header("authorization", basic(TOKEN))
        .header("content-type", "application/x-git-upload-pack-request")
        .header("content-encoding", "gzip")
        .body(gzip.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let pack = response.bytes().await.unwrap();
    assert!(
        pack.windows(4).any(|w| w == b"PACK"),
        "no pack in the answer"
    );
}

#[tokio::test]
async fn a_request_past_its_timeout_does_not_complete() {
    let fixture = Fixture::new();
    let config = GitServerConfig {
        request_timeout: Duration::ZERO,
        ..GitServerConfig::default()
    };
    let served = Served::start(&fixture, config);
    served.grant(TOKEN, &[REPO]);
    let response = get(&info_refs(&served, REPO), Some(&basic(TOKEN))).await;
    match response.status() {
        StatusCode::GATEWAY_TIMEOUT => {}
        other => assert!(response.bytes().await.is_err(), "completed with {other}"),
    }
}

#[tokio::test]
async fn a_failing_backend_is_a_500_without_host_paths() {
    let fixture = Fixture::new();
    let missing_git = fixture.dir.path().join("no-such-git");
    for program in [missing_git, "false".into()] {
        let config = GitServerConfig {
            git_program: program.clone(),
            ..GitServerConfig::default()
        };
        let served = Served::start(&fixture, config);
        served.grant(TOKEN, &[REPO]);
        let response = get(&info_refs(&served, REPO), Some(&basic(TOKEN))).await;
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{program:?}"
        );
        let body = response.text().await.unwrap();
        assert_eq!(body.trim(), "git backend failed");
    }
    // A served directory that vanished: the backend's own error, without its message.
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[OTHER]);
    std::fs::remove_dir_all(&fixture.other_git_dir).unwrap();
    let response = get(&info_refs(&served, OTHER), Some(&basic(TOKEN))).await;
    assert!(!response.status().is_success(), "{}", response.status());
    let body = response.text().await.unwrap();
    let root = fixture.dir.path().to_str().unwrap();
    assert!(!body.contains(root) && !body.contains("served"), "{body}");
}
