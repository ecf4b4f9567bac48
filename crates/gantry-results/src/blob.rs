//! The blob endpoints behind signed URLs: uploads in the Azure Blob protocol subset the
//! official clients use (stage block, commit block list, or one whole-blob PUT) and plain
//! GET downloads. No bearer token reaches these; the URL's signature is the permission.

use axum::body::Body;
use axum::extract::{Path as AxPath, Query, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use crate::blocks::{assemble, block_path, parse_block_list};
use crate::layout;
use crate::signing::{Access, Grant};
use crate::sink::Sink;
use crate::{ResultsError, ResultsService};

/// The signed grant plus the Azure operation the SDK appends.
#[derive(Debug, Deserialize)]
pub(crate) struct BlobQuery {
    perm: Option<String>,
    exp: Option<i64>,
    max: Option<u64>,
    sig: Option<String>,
    comp: Option<String>,
    blockid: Option<String>,
}

/// Largest block list body read into memory (50,000 blocks of ~64-byte ids).
const MAX_BLOCK_LIST_BYTES: usize = 4 * 1024 * 1024;

fn blob_error(e: &ResultsError) -> Response {
    if e.status().is_server_error() {
        tracing::error!(error = %e, "blob request failed");
    }
    (e.status(), e.to_string()).into_response()
}

impl BlobQuery {
    fn grant(&self) -> Result<Grant, ResultsError> {
        match (&self.perm, self.exp, &self.sig) {
            (Some(perm), Some(exp), Some(sig)) => Ok(Grant {
                perm: perm.clone(),
                exp,
                max: self.max.unwrap_or(0),
                sig: sig.clone(),
            }),
            _ => Err(ResultsError::Unauthenticated("a signed blob URL")),
        }
    }
}

fn authorize(
    svc: &ResultsService,
    id: &str,
    query: &BlobQuery,
    access: Access,
) -> Result<Grant, ResultsError> {
    if !layout::is_blob_id(id) {
        return Err(ResultsError::NotFound("a blob id".into()));
    }
    let grant = query.grant()?;
    svc.inner
        .signer
        .verify(id, access, &grant, Utc::now().timestamp())?;
    Ok(grant)
}

/// `GET /_gantry/blob/{id}`: the finished blob.
pub(crate) async fn download(
    State(svc): State<ResultsService>,
    AxPath(id): AxPath<String>,
    Query(query): Query<BlobQuery>,
) -> Response {
    if let Err(e) = authorize(&svc, &id, &query, Access::Read) {
        return blob_error(&e);
    }
    match svc.inner.store.read(&layout::blob(&id)).await {
        Ok((size, stream)) => {
            tracing::debug!(blob = %id, size, "blob download");
            let headers = [
                (CONTENT_TYPE, "application/octet-stream".to_string()),
                (CONTENT_LENGTH, size.to_string()),
            ];
            (headers, Body::from_stream(stream)).into_response()
        }
        Err(e) => blob_error(&e),
    }
}

/// `PUT /_gantry/blob/{id}`: a staged block, a block list, or a whole blob.
pub(crate) async fn upload(
    State(svc): State<ResultsService>,
    AxPath(id): AxPath<String>,
    Query(query): Query<BlobQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let grant = match authorize(&svc, &id, &query, Access::Write) {
        Ok(grant) => grant,
        Err(e) => return blob_error(&e),
    };
    let result = match query.comp.as_deref() {
        Some("block") => stage_block(&svc, &id, query.blockid.as_deref(), grant.max, body).await,
        Some("blocklist") => commit_block_list(&svc, &id, grant.max, body).await,
        None if is_block_blob(&headers) => put_whole(&svc, &id, grant.max, body).await,
        _ => Err(ResultsError::InvalidArgument(
            "comp=block, comp=blocklist or x-ms-blob-type: BlockBlob".into(),
        )),
    };
    match result {
        Ok(()) => StatusCode::CREATED.into_response(),
        Err(e) => blob_error(&e),
    }
}

fn is_block_blob(headers: &HeaderMap) -> bool {
    headers
        .get("x-ms-blob-type")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"BlockBlob"))
}

async fn stage_block(
    svc: &ResultsService,
    id: &str,
    block_id: Option<&str>,
    max: u64,
    body: Body,
) -> Result<(), ResultsError> {
    let block_id = block_id
        .filter(|b| !b.is_empty() && b.len() <= 256)
        .ok_or_else(|| ResultsError::InvalidArgument("a blockid of at most 256 bytes".into()))?;
    let path = block_path(&layout::upload_dir(id), block_id);
    Sink::write_stream(&svc.inner.store, &path, body.into_data_stream(), max).await?;
    Ok(())
}

async fn commit_block_list(
    svc: &ResultsService,
    id: &str,
    max: u64,
    body: Body,
) -> Result<(), ResultsError> {
    let xml = axum::body::to_bytes(body, MAX_BLOCK_LIST_BYTES)
        .await
        .map_err(|e| ResultsError::InvalidArgument(format!("a block list body: {e}")))?;
    let ids = parse_block_list(&xml)?;
    let store = &svc.inner.store;
    let info = assemble(store, &layout::upload_dir(id), &ids, &layout::blob(id), max).await?;
    tracing::debug!(blob = %id, blocks = ids.len(), size = info.size, "block list committed");
    store.put_json(&layout::upload_committed(id), &info).await
}

async fn put_whole(
    svc: &ResultsService,
    id: &str,
    max: u64,
    body: Body,
) -> Result<(), ResultsError> {
    let store = &svc.inner.store;
    let info = Sink::write_stream(store, &layout::blob(id), body.into_data_stream(), max).await?;
    tracing::debug!(blob = %id, size = info.size, "blob written");
    store.put_json(&layout::upload_committed(id), &info).await
}
