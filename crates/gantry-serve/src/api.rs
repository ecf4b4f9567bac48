//! The HTTP surface besides ingress: the runs API (list, one run with jobs and steps, logs
//! as JSON or a live Server-Sent Events stream, cancel, rerun), health, readiness and
//! Prometheus metrics; `/` sends a browser on to the run pages (`/runs`, see `pages`).
//!
//! Open without a token: `/healthz`, `/readyz`, `/` (a redirect), the pages' login and
//! static files, and the webhook ingress (authenticated by signature or hook token).
//! Everything else needs a bearer token (src/serve/auth.rs): `read` for runs, logs and
//! metrics, `operate` for cancel and rerun; the pages need a session (`sessions`).

use super::ingress::{self, error};
use super::scheduler::enqueue;
use super::{auth, App};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gantry_engine::backend::ContainerBackend;
use gantry_store::read;
use gantry_store::ListFilter;
use gantry_store::{Cancel, Rerun};
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

pub fn router<B: ContainerBackend>(app: Arc<App<B>>) -> Router {
    let limit = app.settings.cfg.body_limit;
    let read = Router::new()
        .route("/api/runs", get(list::<B>))
        .route("/api/runs/{id}", get(one::<B>))
        .route("/api/runs/{id}/logs", get(logs::<B>))
        .route("/api/runs/{id}/artifacts", get(artifacts::<B>))
        .route("/api/repositories/{owner}/{name}/caches", get(caches::<B>))
        .route("/metrics", get(metrics::<B>))
        .route_layer(from_fn_with_state(app.clone(), auth::read::<B>));
    let operate = Router::new()
        .route("/api/runs/{id}/cancel", post(cancel::<B>))
        .route("/api/runs/{id}/rerun", post(rerun::<B>))
        .route("/api/runs/{id}/rerun-failed", post(rerun_failed::<B>))
        .route_layer(from_fn_with_state(app.clone(), auth::operate::<B>));
    Router::new()
        .route("/hooks/github", post(ingress::github::<B>))
        .route("/hooks/{name}", post(ingress::named::<B>))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready::<B>))
        .route("/", get(|| async { Redirect::to("/runs") }))
        .merge(read)
        .merge(operate)
        .merge(super::pages::router::<B>())
        .layer(DefaultBodyLimit::max(limit))
        .layer(map_response(auth::security_headers))
        .with_state(app)
}

/// A JSON answer with the configured host paths replaced by labels.
fn without_paths<B: ContainerBackend>(app: &App<B>, mut v: serde_json::Value) -> Response {
    super::redact::walk(&mut v, &app.intake.host_paths);
    Json(v).into_response()
}

fn store_error<B: ContainerBackend>(app: &App<B>, e: gantry_store::StoreError) -> Response {
    if e.is_unavailable() {
        return ingress::store_unavailable(app, &ingress::unavailable_cause(&e));
    }
    error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string())
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    workflow: Option<String>,
    event: Option<String>,
    limit: Option<i64>,
}

async fn list<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Query(q): Query<ListQuery>,
) -> Response {
    let f = ListFilter {
        status: q.status,
        workflow: q.workflow,
        event: q.event,
        limit: q.limit,
        before: None,
        branch: None,
        origins: None,
    };
    let runs = match app.runs.store.reader().await {
        Ok(c) => read::list_runs(&c, &f).await,
        Err(e) => Err(e),
    };
    match runs {
        Ok(runs) => without_paths(&app, json!({ "runs": runs })),
        Err(e) => store_error(&app, e),
    }
}

async fn one<B: ContainerBackend>(State(app): State<Arc<App<B>>>, Path(id): Path<i64>) -> Response {
    let c = match app.runs.store.reader().await {
        Ok(c) => c,
        Err(e) => return store_error(&app, e),
    };
    let details = async {
        let jobs = read::jobs(&c, id).await?;
        let plan = read::plan(&c, id).await?;
        Ok::<_, gantry_store::StoreError>((jobs, read::changes(&c, id).await?, plan))
    };
    match read::run(&c, id).await {
        Ok(Some(run)) => match details.await {
            // `why` and `graph`: null for runs recorded before the store kept them.
            Ok((jobs, history, plan)) => without_paths(
                &app,
                json!({ "run": run, "jobs": jobs, "history": history,
                        "why": plan.as_ref().map(|p| &p.why), "graph": plan.as_ref().map(|p| &p.graph) }),
            ),
            Err(e) => store_error(&app, e),
        },
        Ok(None) => error(StatusCode::NOT_FOUND, "not_found", format!("no run {id}")),
        Err(e) => store_error(&app, e),
    }
}

/// The artifacts the run's current attempt uploaded (name, size, created, expires).
async fn artifacts<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
) -> Response {
    let found = match app.runs.store.reader().await {
        Ok(c) => read::run(&c, id).await,
        Err(e) => Err(e),
    };
    let run = match found {
        Ok(Some(run)) => run,
        Ok(None) => return error(StatusCode::NOT_FOUND, "not_found", format!("no run {id}")),
        Err(e) => return store_error(&app, e),
    };
    match attempt_artifacts(&app, id, run.attempt).await {
        Ok(list) => Json(json!({ "artifacts": list })).into_response(),
        Err(e) => results_error(e),
    }
}

/// The artifacts attempt `n` of run `id` uploaded (none when no artifact service runs):
/// what the API answers and the run page lists.
pub(crate) async fn attempt_artifacts<B: ContainerBackend>(
    app: &App<B>,
    id: i64,
    n: i64,
) -> Result<Vec<gantry_results::ArtifactSummary>, gantry_jobsvc::HostServicesError> {
    let Some(services) = &app.exec.services else {
        return Ok(Vec::new());
    };
    let attempt = u32::try_from(n).unwrap_or(1);
    services.artifacts(&id.to_string(), attempt).await
}

/// A repository's caches (key, version, ref, size, last used).
async fn caches<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let Some(services) = &app.exec.services else {
        return Json(json!({ "caches": [] })).into_response();
    };
    match services.caches(&format!("{owner}/{name}")).await {
        Ok(list) => Json(json!({ "caches": list })).into_response(),
        Err(e) => results_error(e),
    }
}

/// The artifact and cache store failed: said in the log, a short answer to the client.
fn results_error(e: gantry_jobsvc::HostServicesError) -> Response {
    tracing::error!(error = %e, "reading the artifact and cache store");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "store_unavailable",
        "the artifact and cache store could not be read".to_string(),
    )
}

/// Logs as JSON, or — with `Accept: text/event-stream` — live until the run ends.
async fn logs<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let c = match app.runs.store.reader().await {
        Ok(c) => c,
        Err(e) => return store_error(&app, e),
    };
    if !matches!(read::run(&c, id).await, Ok(Some(_))) {
        return error(StatusCode::NOT_FOUND, "not_found", format!("no run {id}"));
    }
    let wants_sse = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if !wants_sse {
        return match read::logs_after(&c, id, 0, i64::MAX).await {
            Ok(l) => Json(json!({ "logs": l })).into_response(),
            Err(e) => store_error(&app, e),
        };
    }
    let stream = async_stream(app, id);
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn async_stream<B: ContainerBackend>(
    app: Arc<App<B>>,
    id: i64,
) -> impl futures_util::Stream<Item = Result<SseEvent, Infallible>> {
    futures_util::stream::unfold((0i64, false), move |(after, ended)| {
        let app = app.clone();
        async move {
            if ended {
                return None;
            }
            loop {
                let Ok(c) = app.runs.store.reader().await else {
                    return None;
                };
                let rows = read::logs_after(&c, id, after, 500)
                    .await
                    .unwrap_or_default();
                if let Some(last) = rows.last() {
                    let next = last.seq;
                    let data = serde_json::to_string(&rows).unwrap_or_default();
                    return Some((
                        Ok(SseEvent::default().event("logs").data(data)),
                        (next, false),
                    ));
                }
                let done = read::run(&c, id)
                    .await
                    .ok()
                    .flatten()
                    .is_none_or(|r| r.status.is_final());
                if done {
                    let ev = SseEvent::default().event("end").data("{}");
                    return Some((Ok(ev), (after, true)));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    })
}

/// Cancels a run wherever it is: executing here, at once; queued, it ends cancelled (only
/// if still queued: decided in the store's writer, so a claim racing it either comes first
/// and the run gets a request, or finds it cancelled); in progress on another instance, a
/// cancel request that instance acts on within a second (202 `cancelling` either way).
pub(crate) async fn cancel<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
) -> Response {
    let accepted = |what: &str| {
        let body = json!({ "id": id, what: true });
        (StatusCode::ACCEPTED, Json(body)).into_response()
    };
    if app.exec.cancel(id) {
        return accepted("cancelling");
    }
    match app.runs.store.cancel(id, "cancelled through the API").await {
        Ok(Cancel::Cancelled) => accepted("cancelled"),
        Ok(Cancel::Requested { owner }) => {
            tracing::info!(run = id, instance = %owner, "cancel asked of the instance executing the run");
            accepted("cancelling")
        }
        Ok(Cancel::Ended(status)) => error(
            StatusCode::CONFLICT,
            "not_running",
            format!("run {id} is {status}"),
        ),
        Ok(Cancel::NotFound) => error(StatusCode::NOT_FOUND, "not_found", format!("no run {id}")),
        Err(e) => store_error(&app, e),
    }
}

/// Runs the stored event's workflow again, as a new attempt of the same run — only if it
/// has ended, decided in the store's writer, so two instances asked at once make one.
pub(crate) async fn rerun<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
) -> Response {
    rerun_as(&app, id, false).await
}

/// As [`rerun`], running again only the jobs of the latest attempt that failed or were
/// cancelled and the jobs that need them; the others keep their results and outputs (see
/// `gantry_store::carry`). 409 when none failed.
pub(crate) async fn rerun_failed<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
) -> Response {
    rerun_as(&app, id, true).await
}

async fn rerun_as<B: ContainerBackend>(app: &Arc<App<B>>, id: i64, failed_only: bool) -> Response {
    if !app.intake.is_accepting() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the service is shutting down".into(),
        );
    }
    let answer = if failed_only {
        app.runs.store.rerun_failed(id).await
    } else {
        app.runs.store.rerun(id).await
    };
    match answer {
        Ok(Rerun::Requeued { attempt }) => {
            enqueue(app, id).await;
            let body = json!({ "id": id, "attempt": attempt });
            (StatusCode::ACCEPTED, Json(body)).into_response()
        }
        Ok(Rerun::Busy(status)) => error(
            StatusCode::CONFLICT,
            "busy",
            format!("run {id} is {status}"),
        ),
        Ok(Rerun::NothingFailed) => error(
            StatusCode::CONFLICT,
            "nothing_failed",
            format!("no job of run {id}'s latest attempt failed or was cancelled"),
        ),
        Ok(Rerun::NotFound) => error(StatusCode::NOT_FOUND, "not_found", format!("no run {id}")),
        Err(e) => store_error(app, e),
    }
}

/// Ready when accepting and the store can write: a load balancer sends events elsewhere
/// while this instance's disk is full.
async fn ready<B: ContainerBackend>(State(app): State<Arc<App<B>>>) -> Response {
    if !app.intake.is_accepting() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    if !app.runs.store.writable() {
        let cause = app.runs.store.unavailable_cause().unwrap_or_default();
        let text = format!("the run store cannot write ({cause})");
        return (StatusCode::SERVICE_UNAVAILABLE, text).into_response();
    }
    if !app.exec.runtime_up() {
        // Events are still taken (the store can write); their runs wait for the runtime.
        let text = "the container runtime does not answer: runs wait for it";
        return (StatusCode::SERVICE_UNAVAILABLE, text).into_response();
    }
    if !app.exec.secrets.up() {
        let text = "the secret store does not answer: runs that need secrets wait for it";
        return (StatusCode::SERVICE_UNAVAILABLE, text).into_response();
    }
    match app.runs.store.reader().await {
        Ok(_) => "ready".into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

async fn metrics<B: ContainerBackend>(State(app): State<Arc<App<B>>>) -> Response {
    let runs = match app.runs.store.reader().await {
        Ok(c) => read::counts(&c).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let mut text = app.runs.metrics.render(
        &runs,
        app.settings
            .cfg
            .kafka
            .as_ref()
            .map(|_| &*app.intake.kafka_stats),
    );
    text.push_str(&format!(
        "# TYPE gantry_store_writable gauge\ngantry_store_writable {}\n\
         # TYPE gantry_store_held_changes gauge\ngantry_store_held_changes {}\n\
         # TYPE gantry_runtime_up gauge\ngantry_runtime_up {}\n\
         # TYPE gantry_secrets_up gauge\ngantry_secrets_up {}\n",
        u8::from(app.runs.store.writable()),
        app.runs.store.held_changes(),
        u8::from(app.exec.runtime_up()),
        u8::from(app.exec.secrets.up())
    ));
    // Webhook bodies in memory (src/serve/body.rs): reserved now, of the budget.
    let budget = app
        .settings
        .cfg
        .max_buffered_bytes()
        .min(tokio::sync::Semaphore::MAX_PERMITS);
    let reserved = budget.saturating_sub(app.intake.body_budget.available_permits());
    text.push_str(&format!(
        "# TYPE gantry_ingress_body_bytes_reserved gauge\ngantry_ingress_body_bytes_reserved {reserved}\n\
         # TYPE gantry_ingress_body_bytes_budget gauge\ngantry_ingress_body_bytes_budget {budget}\n"
    ));
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        text,
    )
        .into_response()
}
