//! Cache v2: `github.actions.results.api.v1.CacheService` over Twirp JSON. Uploads and
//! downloads go through signed blob URLs.

use axum::body::Bytes;
use axum::extract::{Path as AxPath, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::service::Lookup;
use crate::grant::Claims;
use crate::signing::Access;
use crate::twirp::{de_int64, error, parse, respond, ser_int64};
use crate::{ResultsError, ResultsService};

#[derive(Deserialize)]
struct CreateReq {
    #[serde(default)]
    key: String,
    #[serde(default)]
    version: String,
}

#[derive(Deserialize)]
struct FinalizeReq {
    #[serde(default)]
    key: String,
    #[serde(default)]
    version: String,
    #[serde(alias = "sizeBytes", deserialize_with = "de_int64")]
    size_bytes: i64,
}

#[derive(Deserialize)]
struct DownloadReq {
    #[serde(default)]
    key: String,
    #[serde(default, alias = "restoreKeys")]
    restore_keys: Vec<String>,
    #[serde(default)]
    version: String,
}

#[derive(Serialize)]
struct CreateAnswer {
    ok: bool,
    signed_upload_url: String,
}

#[derive(Serialize)]
struct FinalizeAnswer {
    ok: bool,
    #[serde(serialize_with = "ser_int64")]
    entry_id: i64,
}

#[derive(Serialize)]
struct DownloadAnswer {
    ok: bool,
    signed_download_url: String,
    matched_key: String,
}

/// `POST /twirp/github.actions.results.api.v1.CacheService/{method}`.
pub(crate) async fn handle(
    State(svc): State<ResultsService>,
    AxPath(method): AxPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let claims = match svc.inner.tokens.verify_header(&headers) {
        Ok(claims) => claims,
        Err(e) => return error(&e),
    };
    match method.as_str() {
        "CreateCacheEntry" => respond(create(&svc, &claims, &body).await),
        "FinalizeCacheEntryUpload" => respond(
            async {
                let req: FinalizeReq = parse(&method, &body)?;
                let entry = svc
                    .inner
                    .cache_finalize(&claims, &req.key, &req.version, req.size_bytes)
                    .await?;
                Ok(FinalizeAnswer {
                    ok: true,
                    entry_id: entry.id,
                })
            }
            .await,
        ),
        "GetCacheEntryDownloadURL" => respond(download(&svc, &claims, &body).await),
        other => error(&ResultsError::NotFound(format!(
            "a CacheService method (CreateCacheEntry, FinalizeCacheEntryUpload, \
             GetCacheEntryDownloadURL), not {other}"
        ))),
    }
}

async fn create(
    svc: &ResultsService,
    claims: &Claims,
    body: &[u8],
) -> Result<CreateAnswer, ResultsError> {
    let req: CreateReq = parse("CreateCacheEntry", body)?;
    let entry = svc
        .inner
        .cache_reserve(claims, &req.key, &req.version, None)
        .await?;
    let max = svc.inner.config.limits.max_cache_entry_bytes;
    Ok(CreateAnswer {
        ok: true,
        signed_upload_url: svc
            .inner
            .signed_url(claims, &entry.blob_id, Access::Write, max),
    })
}

/// A miss is `ok: false`, not an error: the client treats errors as failures to restore.
async fn download(
    svc: &ResultsService,
    claims: &Claims,
    body: &[u8],
) -> Result<DownloadAnswer, ResultsError> {
    let req: DownloadReq = parse("GetCacheEntryDownloadURL", body)?;
    let lookup = Lookup {
        primary: &req.key,
        restore_keys: &req.restore_keys,
        version: &req.version,
    };
    Ok(match svc.inner.cache_lookup(claims, &lookup).await? {
        Some(entry) => DownloadAnswer {
            ok: true,
            signed_download_url: svc
                .inner
                .signed_url(claims, &entry.blob_id, Access::Read, 0),
            matched_key: entry.key,
        },
        None => DownloadAnswer {
            ok: false,
            signed_download_url: String::new(),
            matched_key: String::new(),
        },
    })
}
