//! The HTTP surface besides ingress: the runs API (list, one run with jobs and steps, logs
//! as JSON or a live Server-Sent Events stream, cancel, rerun), the page at `/`, health,
//! readiness and Prometheus metrics.

use super::ingress::{self, error};
use super::scheduler::enqueue;
use super::App;
use crate::store::{read, ListFilter, Op};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub fn router(app: Arc<App>) -> Router {
    let limit = app.cfg.body_limit;
    Router::new()
        .route("/hooks/github", post(ingress::github))
        .route("/hooks/{name}", post(ingress::named))
        .route("/api/runs", get(list))
        .route("/api/runs/{id}", get(one))
        .route("/api/runs/{id}/logs", get(logs))
        .route("/api/runs/{id}/cancel", post(cancel))
        .route("/api/runs/{id}/rerun", post(rerun))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .route("/", get(|| async { Html(include_str!("page.html")) }))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app)
}

fn store_error(e: crate::store::StoreError) -> Response {
    error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string())
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    workflow: Option<String>,
    event: Option<String>,
    limit: Option<i64>,
}

async fn list(State(app): State<Arc<App>>, Query(q): Query<ListQuery>) -> Response {
    let f = ListFilter {
        status: q.status,
        workflow: q.workflow,
        event: q.event,
        limit: q.limit,
    };
    match app.store.reader().and_then(|c| read::list_runs(&c, &f)) {
        Ok(runs) => Json(json!({ "runs": runs })).into_response(),
        Err(e) => store_error(e),
    }
}

async fn one(State(app): State<Arc<App>>, Path(id): Path<i64>) -> Response {
    let c = match app.store.reader() {
        Ok(c) => c,
        Err(e) => return store_error(e),
    };
    match read::run(&c, id) {
        Ok(Some(run)) => match read::jobs(&c, id).and_then(|j| Ok((j, read::changes(&c, id)?))) {
            Ok((jobs, history)) => {
                Json(json!({ "run": run, "jobs": jobs, "history": history })).into_response()
            }
            Err(e) => store_error(e),
        },
        Ok(None) => error(StatusCode::NOT_FOUND, "not_found", format!("no run {id}")),
        Err(e) => store_error(e),
    }
}

/// Logs as JSON, or — with `Accept: text/event-stream` — live until the run ends.
async fn logs(State(app): State<Arc<App>>, Path(id): Path<i64>, headers: HeaderMap) -> Response {
    let c = match app.store.reader() {
        Ok(c) => c,
        Err(e) => return store_error(e),
    };
    if !matches!(read::run(&c, id), Ok(Some(_))) {
        return error(StatusCode::NOT_FOUND, "not_found", format!("no run {id}"));
    }
    let wants_sse = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if !wants_sse {
        return match read::logs_after(&c, id, 0, i64::MAX) {
            Ok(l) => Json(json!({ "logs": l })).into_response(),
            Err(e) => store_error(e),
        };
    }
    let stream = async_stream(app, id);
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn async_stream(
    app: Arc<App>,
    id: i64,
) -> impl futures_util::Stream<Item = Result<SseEvent, Infallible>> {
    futures_util::stream::unfold((0i64, false), move |(after, ended)| {
        let app = app.clone();
        async move {
            if ended {
                return None;
            }
            loop {
                let Ok(c) = app.store.reader() else {
                    return None;
                };
                let rows = read::logs_after(&c, id, after, 500).unwrap_or_default();
                if let Some(last) = rows.last() {
                    let next = last.seq;
                    let data = serde_json::to_string(&rows).unwrap_or_default();
                    return Some((
                        Ok(SseEvent::default().event("logs").data(data)),
                        (next, false),
                    ));
                }
                let done = read::run(&c, id)
                    .ok()
                    .flatten()
                    .is_none_or(|r| r.status == "completed" || r.status == "interrupted");
                if done {
                    let ev = SseEvent::default().event("end").data("{}");
                    return Some((Ok(ev), (after, true)));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    })
}

async fn cancel(State(app): State<Arc<App>>, Path(id): Path<i64>) -> Response {
    let running = app.running.lock().ok().and_then(|r| r.get(&id).cloned());
    if let Some(s) = running {
        s.cancel.cancel();
        return (
            StatusCode::ACCEPTED,
            Json(json!({ "id": id, "cancelling": true })),
        )
            .into_response();
    }
    let Ok(c) = app.store.reader() else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "store",
            "unavailable".into(),
        );
    };
    match read::run(&c, id) {
        Ok(Some(r)) if r.status == "queued" => {
            app.store.send(Op::Run {
                run: id,
                status: "completed".into(),
                conclusion: Some("cancelled".into()),
                reason: Some("cancelled before it started".into()),
                at: crate::store::write::now_ms(),
            });
            app.store.flush().await;
            (
                StatusCode::ACCEPTED,
                Json(json!({ "id": id, "cancelled": true })),
            )
                .into_response()
        }
        Ok(Some(r)) => error(
            StatusCode::CONFLICT,
            "not_running",
            format!("run {id} is {}", r.status),
        ),
        Ok(None) => error(StatusCode::NOT_FOUND, "not_found", format!("no run {id}")),
        Err(e) => store_error(e),
    }
}

/// Runs the stored event's workflow again, as a new attempt of the same run.
async fn rerun(State(app): State<Arc<App>>, Path(id): Path<i64>) -> Response {
    if !app.accepting.load(Ordering::SeqCst) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the service is shutting down".into(),
        );
    }
    let Ok(c) = app.store.reader() else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "store",
            "unavailable".into(),
        );
    };
    match read::run(&c, id) {
        Ok(Some(r)) if r.status == "queued" || r.status == "in_progress" => error(
            StatusCode::CONFLICT,
            "busy",
            format!("run {id} is {}", r.status),
        ),
        Ok(Some(r)) => match app.store.requeue(id).await {
            Ok(()) => {
                enqueue(&app, id);
                (
                    StatusCode::ACCEPTED,
                    Json(json!({ "id": id, "attempt": r.attempt + 1 })),
                )
                    .into_response()
            }
            Err(e) => store_error(e),
        },
        Ok(None) => error(StatusCode::NOT_FOUND, "not_found", format!("no run {id}")),
        Err(e) => store_error(e),
    }
}

async fn ready(State(app): State<Arc<App>>) -> Response {
    if !app.accepting.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    match app.store.reader() {
        Ok(_) => "ready".into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let runs = app
        .store
        .reader()
        .and_then(|c| read::counts(&c))
        .unwrap_or_default();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        app.metrics
            .render(&runs, app.cfg.kafka.as_ref().map(|_| &*app.kafka_stats)),
    )
        .into_response()
}
