//! The service's own rules over plain HTTP on 127.0.0.1: authentication (missing, forged,
//! expired tokens; tampered signed URLs), key uniqueness, eviction and retention sweeps.

mod common;

use common::{start, start_on, start_with, Harness, JobSpec};
use gantry_results::CacheProtocol;
use reqwest::StatusCode;
use serde_json::{json, Value};

const ARTIFACTS: &str = "twirp/github.actions.results.api.v1.ArtifactService";
const CACHE_V2: &str = "twirp/github.actions.results.api.v1.CacheService";

fn token(h: &Harness, run_id: u64, repository: &str) -> String {
    let job = h.job(JobSpec {
        run_id,
        job_id: "build",
        repository,
        git_ref: "refs/heads/main",
    });
    job.env
        .iter()
        .find(|(k, _)| k == "ACTIONS_RUNTIME_TOKEN")
        .unwrap()
        .1
        .clone()
}

async fn twirp(h: &Harness, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", h.base_url))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Reserves, uploads (one whole-blob PUT, as the Azure SDK does for small files) and
/// finalizes a v2 cache entry.
async fn save_v2(h: &Harness, token: &str, key: &str, bytes: &[u8]) {
    let (status, created) = twirp(
        h,
        &format!("{CACHE_V2}/CreateCacheEntry"),
        Some(token),
        json!({"key": key, "version": "v"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let url = created["signed_upload_url"].as_str().unwrap();
    let put = reqwest::Client::new()
        .put(url)
        .header("x-ms-blob-type", "BlockBlob")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::CREATED);
    let body = json!({"key": key, "version": "v", "size_bytes": bytes.len().to_string()});
    let (status, done) = twirp(
        h,
        &format!("{CACHE_V2}/FinalizeCacheEntryUpload"),
        Some(token),
        body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
}

async fn restore_v2(h: &Harness, token: &str, key: &str) -> Value {
    let body = json!({"key": key, "restore_keys": [], "version": "v"});
    twirp(
        h,
        &format!("{CACHE_V2}/GetCacheEntryDownloadURL"),
        Some(token),
        body,
    )
    .await
    .1
}

#[tokio::test]
async fn refuses_missing_forged_and_expired_tokens() {
    let h = start(CacheProtocol::V2).await;
    let other = start(CacheProtocol::V2).await;
    let forged = token(&other, 1, "o/r");
    let expiring = start_with(|c| c.token_lifetime = std::time::Duration::ZERO).await;
    let expired = token(&expiring, 1, "o/r");
    let list = json!({"workflow_run_backend_id": "1", "workflow_job_run_backend_id": "x"});
    let cases = [
        ("missing", None),
        ("forged", Some(forged.as_str())),
        ("garbage", Some("a.b.c")),
    ];
    for (name, token) in cases {
        let (status, body) = twirp(
            &h,
            &format!("{ARTIFACTS}/ListArtifacts"),
            token,
            list.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(body["code"], "unauthenticated", "{name}");
        assert!(
            !body.to_string().contains(&forged),
            "{name}: no token echoed"
        );
        let v1 = reqwest::Client::new().get(format!(
            "{}_apis/artifactcache/cache?keys=k&version=v",
            h.base_url
        ));
        let v1 = match token {
            Some(t) => v1.bearer_auth(t),
            None => v1,
        };
        assert_eq!(
            v1.send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "{name} v1"
        );
    }
    // Issued with a zero lifetime: expired once its second has passed.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _) = twirp(
        &expiring,
        &format!("{ARTIFACTS}/ListArtifacts"),
        Some(&expired),
        list,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "expired");
}

#[tokio::test]
async fn signed_urls_refuse_tampering_and_other_runs_see_nothing() {
    let h = start(CacheProtocol::V2).await;
    let t = token(&h, 5, "o/r");
    save_v2(&h, &t, "k1", b"cache bytes").await;
    let found = restore_v2(&h, &t, "k1").await;
    assert_eq!(found["ok"], true, "{found}");
    let url = found["signed_download_url"].as_str().unwrap().to_string();
    let get = |u: String| async move { reqwest::get(u).await.unwrap() };
    let ok = get(url.clone()).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.bytes().await.unwrap().as_ref(), b"cache bytes");
    let tampered = url.replace("perm=r", "perm=w");
    assert_eq!(get(tampered).await.status(), StatusCode::UNAUTHORIZED);
    let unsigned = url.split('?').next().unwrap().to_string();
    assert_eq!(get(unsigned).await.status(), StatusCode::UNAUTHORIZED);
    let mut flipped = url.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    assert_eq!(get(flipped).await.status(), StatusCode::UNAUTHORIZED);

    let stranger = token(&h, 6, "o/elsewhere");
    assert_eq!(restore_v2(&h, &stranger, "k1").await["ok"], false);
    let (status, again) = twirp(
        &h,
        &format!("{CACHE_V2}/CreateCacheEntry"),
        Some(&t),
        json!({"key": "k1", "version": "v"}),
    )
    .await;
    assert_eq!(
        (status, again["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_exists"))
    );
}

#[tokio::test]
async fn evicts_least_recently_used_past_the_repository_limit() {
    let h = start_with(|c| c.limits.max_cache_bytes_per_repository = 25).await;
    let t = token(&h, 1, "o/r");
    save_v2(&h, &t, "old", &[1u8; 10]).await;
    save_v2(&h, &t, "used", &[2u8; 10]).await;
    assert_eq!(
        restore_v2(&h, &t, "old").await["ok"],
        true,
        "touch old: now used most recently"
    );
    save_v2(&h, &t, "new", &[3u8; 10]).await;
    let mut keys: Vec<String> = h
        .service
        .list_caches("o/r")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.key)
        .collect();
    keys.sort();
    assert_eq!(keys, ["new", "old"]);
}

#[tokio::test]
async fn sweep_expires_unused_caches_and_old_artifacts() {
    let h = start_with(|c| c.limits.artifact_retention_days = 2).await;
    let t = token(&h, 9, "o/r");
    save_v2(&h, &t, "k", b"abc").await;
    let create = json!({"workflow_run_backend_id": "9", "name": "logs", "version": 4});
    let (status, created) =
        twirp(&h, &format!("{ARTIFACTS}/CreateArtifact"), Some(&t), create).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let put = reqwest::Client::new()
        .put(created["signed_upload_url"].as_str().unwrap())
        .header("x-ms-blob-type", "BlockBlob")
        .body("zip")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::CREATED);
    let finalize = json!({"workflow_run_backend_id": "9", "name": "logs", "size": "3",
        "hash": "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"});
    let (status, bad) = twirp(
        &h,
        &format!("{ARTIFACTS}/FinalizeArtifact"),
        Some(&t),
        finalize.clone(),
    )
    .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_argument")),
        "hash of abc, not zip"
    );
    let good = json!({"workflow_run_backend_id": "9", "name": "logs", "size": "3"});
    let (status, _) = twirp(&h, &format!("{ARTIFACTS}/FinalizeArtifact"), Some(&t), good).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.service.list_artifacts(9).await.unwrap().len(), 1);

    let now = chrono::Utc::now();
    let early = h
        .service
        .sweep(now + chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!((early.artifacts, early.cache_entries), (0, 0));
    let late = h
        .service
        .sweep(now + chrono::Duration::days(8))
        .await
        .unwrap();
    assert_eq!((late.artifacts, late.cache_entries), (1, 1));
    assert!(h.service.list_artifacts(9).await.unwrap().is_empty());
    assert!(h.service.list_caches("o/r").await.unwrap().is_empty());
    assert_eq!(restore_v2(&h, &t, "k").await["ok"], false);
}

#[tokio::test]
async fn a_restart_keeps_entries_and_refuses_old_tokens() {
    let h = start(CacheProtocol::V2).await;
    let old = token(&h, 1, "o/r");
    save_v2(&h, &old, "kept", b"survives").await;
    let restarted = start_on(h.storage, |_| {}).await;
    let (status, _) = twirp(
        &restarted,
        &format!("{CACHE_V2}/GetCacheEntryDownloadURL"),
        Some(&old),
        json!({"key": "kept", "version": "v"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "keys are drawn per process"
    );
    let fresh = token(&restarted, 2, "o/r");
    let found = restore_v2(&restarted, &fresh, "kept").await;
    let body = reqwest::get(found["signed_download_url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(body.bytes().await.unwrap().as_ref(), b"survives");
}
