//! `github.actions.results.api.v1.ArtifactService` over Twirp JSON: request and answer
//! messages (proto field names, int64 as strings) and the dispatch to the operations.

use axum::body::Bytes;
use axum::extract::{Path as AxPath, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::grant::Claims;
use crate::twirp::{de_int64, de_opt_int64, error, parse, respond, ser_int64};
use crate::{ResultsError, ResultsService};

#[derive(Deserialize)]
struct RunIds {
    #[serde(default, alias = "workflowRunBackendId")]
    workflow_run_backend_id: String,
}

#[derive(Deserialize)]
struct CreateReq {
    #[serde(default)]
    name: String,
    #[serde(default, alias = "expiresAt")]
    expires_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct FinalizeReq {
    #[serde(default)]
    name: String,
    #[serde(deserialize_with = "de_int64")]
    size: i64,
    #[serde(default)]
    hash: Option<String>,
}

#[derive(Deserialize)]
struct ListReq {
    #[serde(default, alias = "nameFilter")]
    name_filter: Option<String>,
    #[serde(default, alias = "idFilter", deserialize_with = "de_opt_int64")]
    id_filter: Option<i64>,
}

#[derive(Deserialize)]
struct NameReq {
    #[serde(default)]
    name: String,
}

#[derive(Serialize)]
struct UploadAnswer {
    ok: bool,
    signed_upload_url: String,
}

#[derive(Serialize)]
struct IdAnswer {
    ok: bool,
    #[serde(serialize_with = "ser_int64")]
    artifact_id: i64,
}

#[derive(Serialize)]
struct Listed {
    workflow_run_backend_id: String,
    workflow_job_run_backend_id: String,
    #[serde(serialize_with = "ser_int64")]
    database_id: i64,
    name: String,
    size: String,
    created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
}

#[derive(Serialize)]
struct ListAnswer {
    artifacts: Vec<Listed>,
}

#[derive(Serialize)]
struct UrlAnswer {
    signed_url: String,
}

/// `POST /twirp/github.actions.results.api.v1.ArtifactService/{method}`.
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
    if let Err(e) = check_run(&claims, &method, &body) {
        return error(&e);
    }
    match method.as_str() {
        "CreateArtifact" => respond(create(&svc, &claims, &body).await),
        "FinalizeArtifact" => respond(finalize(&svc, &claims, &body).await),
        "ListArtifacts" => respond(list(&svc, &claims, &body).await),
        "GetSignedArtifactURL" => respond(signed_url(&svc, &claims, &body).await),
        "DeleteArtifact" => respond(delete(&svc, &claims, &body).await),
        other => error(&ResultsError::NotFound(format!(
            "an ArtifactService method (CreateArtifact, FinalizeArtifact, ListArtifacts, \
             GetSignedArtifactURL, DeleteArtifact), not {other}"
        ))),
    }
}

async fn create(
    svc: &ResultsService,
    claims: &Claims,
    body: &[u8],
) -> Result<UploadAnswer, ResultsError> {
    let req: CreateReq = parse("CreateArtifact", body)?;
    let url = svc
        .inner
        .artifact_create(claims, &req.name, req.expires_at)
        .await?;
    Ok(UploadAnswer {
        ok: true,
        signed_upload_url: url,
    })
}

async fn finalize(
    svc: &ResultsService,
    claims: &Claims,
    body: &[u8],
) -> Result<IdAnswer, ResultsError> {
    let req: FinalizeReq = parse("FinalizeArtifact", body)?;
    let id = svc
        .inner
        .artifact_finalize(claims, &req.name, req.size, req.hash.as_deref())
        .await?;
    Ok(IdAnswer {
        ok: true,
        artifact_id: id,
    })
}

async fn signed_url(
    svc: &ResultsService,
    claims: &Claims,
    body: &[u8],
) -> Result<UrlAnswer, ResultsError> {
    let req: NameReq = parse("GetSignedArtifactURL", body)?;
    let url = svc.inner.artifact_signed_url(claims, &req.name).await?;
    Ok(UrlAnswer { signed_url: url })
}

async fn delete(
    svc: &ResultsService,
    claims: &Claims,
    body: &[u8],
) -> Result<IdAnswer, ResultsError> {
    let req: NameReq = parse("DeleteArtifact", body)?;
    let id = svc.inner.artifact_delete(claims, &req.name).await?;
    Ok(IdAnswer {
        ok: true,
        artifact_id: id,
    })
}

/// A request naming a run must name the token's run.
fn check_run(claims: &Claims, method: &str, body: &[u8]) -> Result<(), ResultsError> {
    let ids: RunIds = parse(method, body)?;
    if !ids.workflow_run_backend_id.is_empty()
        && ids.workflow_run_backend_id != claims.run_backend_id()
    {
        return Err(ResultsError::PermissionDenied(
            "workflow_run_backend_id of the token's own run".into(),
        ));
    }
    Ok(())
}

async fn list(
    svc: &ResultsService,
    claims: &Claims,
    body: &[u8],
) -> Result<ListAnswer, ResultsError> {
    let req: ListReq = parse("ListArtifacts", body)?;
    let records = svc
        .inner
        .artifact_list(claims, req.name_filter.as_deref(), req.id_filter)
        .await?;
    let artifacts = records
        .into_iter()
        .map(|r| Listed {
            workflow_run_backend_id: claims.run_backend_id(),
            workflow_job_run_backend_id: r.job_backend_id,
            database_id: r.id,
            name: r.name,
            size: r.size.to_string(),
            created_at: r.created_at,
            digest: r.digest,
        })
        .collect();
    Ok(ListAnswer { artifacts })
}
