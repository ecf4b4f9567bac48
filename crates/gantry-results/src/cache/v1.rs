//! Cache v1: the REST API at `ACTIONS_CACHE_URL` + `_apis/artifactcache/`: look up, list,
//! reserve, upload chunks by `Content-Range`, commit. Errors are `{"message": ...}`.

use axum::body::{Body, Bytes};
use axum::extract::{Path as AxPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::matching::{full_ref, restore_scopes};
use super::service::Lookup;
use crate::grant::Claims;
use crate::signing::Access;
use crate::{ResultsError, ResultsService};

fn rest_error(e: &ResultsError) -> Response {
    if e.status().is_server_error() {
        tracing::error!(error = %e, "cache request failed");
    }
    (
        e.status(),
        Json(serde_json::json!({ "message": e.to_string() })),
    )
        .into_response()
}

fn auth(svc: &ResultsService, headers: &HeaderMap) -> Result<Claims, ResultsError> {
    svc.inner.tokens.verify_header(headers)
}

/// Bodies are parsed after authentication (an extractor would answer first).
fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ResultsError> {
    serde_json::from_slice(body)
        .map_err(|e| ResultsError::InvalidArgument(format!("a JSON body: {e}")))
}

/// Fields default to empty so that authentication is checked before the query.
#[derive(Deserialize)]
pub(crate) struct LookupQuery {
    #[serde(default)]
    keys: String,
    #[serde(default)]
    version: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Found {
    cache_key: String,
    scope: String,
    cache_version: String,
    creation_time: DateTime<Utc>,
    archive_location: String,
}

/// `GET cache?keys=k1,k2&version=v`: 200 with `archiveLocation`, or 204 for a miss.
pub(crate) async fn lookup(
    State(svc): State<ResultsService>,
    headers: HeaderMap,
    Query(query): Query<LookupQuery>,
) -> Response {
    let result = async {
        let claims = auth(&svc, &headers)?;
        if query.keys.is_empty() || query.version.is_empty() {
            return Err(ResultsError::InvalidArgument(
                "keys and version query parameters".into(),
            ));
        }
        let keys: Vec<String> = query.keys.split(',').map(str::to_string).collect();
        let (primary, restore) = keys
            .split_first()
            .ok_or_else(|| ResultsError::InvalidArgument("keys".into()))?;
        let lookup = Lookup {
            primary,
            restore_keys: restore,
            version: &query.version,
        };
        let hit = svc.inner.cache_lookup(&claims, &lookup).await?;
        Ok(hit.map(|e| Found {
            archive_location: svc.inner.signed_url(&claims, &e.blob_id, Access::Read, 0),
            cache_key: e.key,
            scope: e.scope,
            cache_version: e.version,
            creation_time: e.created_at,
        }))
    }
    .await;
    match result {
        Ok(Some(found)) => Json(found).into_response(),
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => rest_error(&e),
    }
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    key: Option<String>,
}

/// `GET caches?key=k`: the entries with that key this run could see (the client prints them
/// when a restore misses).
pub(crate) async fn list(
    State(svc): State<ResultsService>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    let result = async {
        let claims = auth(&svc, &headers)?;
        let scopes = restore_scopes(
            &claims.git_ref,
            claims.base_ref.as_deref(),
            claims.default_branch.as_deref(),
        );
        let entries = svc.inner.cache_entries(&claims.repository).await?;
        let listed: Vec<_> = entries
            .iter()
            .filter(|e| e.committed && scopes.contains(&e.scope))
            .filter(|e| query.key.as_ref().is_none_or(|k| &e.key == k))
            .map(|e| {
                serde_json::json!({
                    "cacheKey": e.key, "cacheVersion": e.version, "scope": e.scope,
                    "creationTime": e.created_at,
                })
            })
            .collect();
        Ok::<_, ResultsError>(
            serde_json::json!({ "totalCount": listed.len(), "artifactCaches": listed }),
        )
    }
    .await;
    match result {
        Ok(body) => Json(body).into_response(),
        Err(e) => rest_error(&e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReserveBody {
    key: String,
    version: String,
    cache_size: Option<u64>,
}

/// `POST caches`: 201 `{"cacheId"}`; 409 when the key exists in the run's ref; 400 when too
/// large (the client shows that message).
pub(crate) async fn reserve(
    State(svc): State<ResultsService>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let claims = auth(&svc, &headers)?;
        let body: ReserveBody = parse_body(&body)?;
        svc.inner
            .cache_reserve(&claims, &body.key, &body.version, body.cache_size)
            .await
    }
    .await;
    match result {
        Ok(entry) => (
            StatusCode::CREATED,
            Json(serde_json::json!({ "cacheId": entry.id })),
        )
            .into_response(),
        Err(ResultsError::TooLarge(m)) => rest_error(&ResultsError::InvalidArgument(m)),
        Err(e) => rest_error(&e),
    }
}

/// `bytes <start>-<end>/<total or *>`, both ends inclusive.
pub(crate) fn parse_content_range(value: &str) -> Option<(u64, u64)> {
    let range = value.trim().strip_prefix("bytes ")?;
    let (span, _total) = range.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let (start, end) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
    (start <= end).then_some((start, end))
}

/// `PATCH caches/{id}` with `Content-Range`: one chunk of the archive.
pub(crate) async fn upload_chunk(
    State(svc): State<ResultsService>,
    AxPath(id): AxPath<i64>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let claims = auth(&svc, &headers)?;
        let range = headers
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_content_range)
            .ok_or_else(|| {
                ResultsError::InvalidArgument(
                    "a Content-Range: bytes <start>-<end>/* header".into(),
                )
            })?;
        svc.inner
            .cache_store_chunk(&claims, id, range, body.into_data_stream())
            .await
    }
    .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => rest_error(&e),
    }
}

#[derive(Deserialize)]
pub(crate) struct CommitBody {
    size: i64,
}

/// `POST caches/{id}` with `{"size"}`: assemble the chunks and make the entry restorable.
pub(crate) async fn commit(
    State(svc): State<ResultsService>,
    AxPath(id): AxPath<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let claims = auth(&svc, &headers)?;
        let body: CommitBody = parse_body(&body)?;
        svc.inner.cache_commit_chunks(&claims, id, body.size).await
    }
    .await;
    match result {
        Ok(entry) => {
            tracing::debug!(scope = %full_ref(&entry.scope), id, "v1 commit");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => rest_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        let cases = [
            ("bytes 0-199/*", Some((0, 199))),
            ("bytes 200-399/1000", Some((200, 399))),
            ("bytes 5-4/*", None),
            ("items 0-1/*", None),
            ("bytes 0-/*", None),
        ];
        for (value, want) in cases {
            assert_eq!(parse_content_range(value), want, "{value}");
        }
    }
}
