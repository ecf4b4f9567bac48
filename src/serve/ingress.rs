//! Webhook ingress: authenticate, parse, match workflows, record the event and its runs
//! durably, answer 202 with the event id and run ids (or why nothing matched). A redelivery
//! (`X-GitHub-Delivery`, `Idempotency-Key`) returns the first answer and creates nothing.
//! Errors are JSON: 401 bad signature, 400 malformed, 404 unknown hook, 413 too large,
//! 503 shutting down.

use super::sources::Workflows;
use super::{accept, signature, App};
use crate::event::{self, Event};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub fn error(status: StatusCode, reason: &str, message: String) -> Response {
    (
        status,
        axum::Json(json!({ "error": reason, "message": message })),
    )
        .into_response()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn body_or_reject(app: &App, body: Result<Bytes, BytesRejection>) -> Result<Bytes, Box<Response>> {
    body.map_err(|e| {
        Box::new(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            app.metrics.reject("too_large");
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {} bytes", app.cfg.body_limit),
            )
        } else {
            app.metrics.reject("bad_body");
            error(e.status(), "bad_body", e.body_text())
        })
    })
}

fn check_open(app: &App) -> Result<(), Box<Response>> {
    app.metrics.received.fetch_add(1, Ordering::Relaxed);
    if app.accepting.load(Ordering::SeqCst) {
        Ok(())
    } else {
        app.metrics.reject("shutting_down");
        Err(Box::new(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the service is shutting down".into(),
        )))
    }
}

pub async fn github(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = check_open(&app) {
        return *r;
    }
    let body = match body_or_reject(&app, body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let Some(secret) = app.cfg.github_secret() else {
        app.metrics.reject("no_secret");
        return error(
            StatusCode::UNAUTHORIZED,
            "no_secret",
            "no GitHub webhook secret is configured ([github] webhook_secret)".into(),
        );
    };
    let sig = header(&headers, "x-hub-signature-256").unwrap_or("");
    if !signature::verify(secret.as_bytes(), &body, sig) {
        app.metrics.reject("bad_signature");
        let what = if sig.is_empty() {
            "missing"
        } else {
            "does not match"
        };
        return error(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            format!("X-Hub-Signature-256 {what}"),
        );
    }
    let Some(kind) = header(&headers, "x-github-event") else {
        app.metrics.reject("bad_request");
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the X-GitHub-Event header is missing".into(),
        );
    };
    let Some(delivery) = header(&headers, "x-github-delivery") else {
        app.metrics.reject("bad_request");
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the X-GitHub-Delivery header is missing".into(),
        );
    };
    if kind == "ping" {
        return (StatusCode::OK, axum::Json(json!({ "message": "pong" }))).into_response();
    }
    let payload =
        match event::parse_payload(&format!("{kind} payload"), &String::from_utf8_lossy(&body)) {
            Ok(p) => p,
            Err(e) => {
                app.metrics.reject("malformed");
                return error(StatusCode::BAD_REQUEST, "malformed", e.to_string());
            }
        };
    let ev = match event::from_payload(kind, payload) {
        Ok(e) => e,
        Err(e) => {
            app.metrics.reject("malformed");
            return error(StatusCode::BAD_REQUEST, "malformed", e.to_string());
        }
    };
    settle(&app, format!("github:{delivery}"), "github", ev).await
}

pub async fn named(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = check_open(&app) {
        return *r;
    }
    let Some(hook) = app.cfg.hooks.get(&name) else {
        app.metrics.reject("unknown_hook");
        return error(
            StatusCode::NOT_FOUND,
            "unknown_hook",
            format!("no webhook named `{name}`"),
        );
    };
    let body = match body_or_reject(&app, body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let authorised = match (hook.secret(), hook.token()) {
        (Some(s), _) => {
            let sig = header(&headers, "x-hub-signature-256")
                .or_else(|| header(&headers, "x-signature-256"))
                .unwrap_or("");
            signature::verify(s.as_bytes(), &body, sig)
        }
        (None, Some(t)) => {
            signature::token_matches(&t, header(&headers, "authorization").unwrap_or(""))
        }
        (None, None) => false,
    };
    if !authorised {
        app.metrics.reject("bad_signature");
        return error(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            format!("the request to hook `{name}` is not signed with its secret or token"),
        );
    }
    let ctype = header(&headers, "content-type").unwrap_or("");
    if ctype.contains("json") {
        if let Err(e) = event::parse_payload(
            &format!("hook {name} body"),
            &String::from_utf8_lossy(&body),
        ) {
            app.metrics.reject("malformed");
            return error(StatusCode::BAD_REQUEST, "malformed", e.to_string());
        }
    }
    let kept: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let mut ev = event::webhook_call(&name, &kept, &body);
    if let Some(r) = &hook.repository {
        ev.meta.repository = Some(r.clone());
    }
    let id = match header(&headers, "idempotency-key") {
        Some(k) => format!("hook:{name}:{k}"),
        None => format!("hook:{name}:{}", uuid_like()),
    };
    settle(&app, id, &format!("hook:{name}"), ev).await
}

/// An authenticated event: forwarded to the events topic when this instance only ingests,
/// else matched and recorded here.
async fn settle(app: &Arc<App>, id: String, source: &str, ev: Event) -> Response {
    if let Some(f) = &app.forwarder {
        let body = json!({ "id": id, "source": source, "event": ev }).to_string();
        return match f.send(&id, body.as_bytes()).await {
            Ok(at) => {
                app.metrics.accepted.fetch_add(1, Ordering::Relaxed);
                (
                    StatusCode::ACCEPTED,
                    axum::Json(json!({ "event_id": id, "forwarded": at })),
                )
                    .into_response()
            }
            Err(e) => {
                app.metrics.reject("forward");
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "forward",
                    format!("the event could not be put on {}: {e}", f.topic),
                )
            }
        };
    }
    let workflows = accept::workflows_for(app, source, &ev).await;
    record(app, id, source, ev, workflows).await
}

/// A unique id for events that bring none.
fn uuid_like() -> String {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{:x}-{:x}-{:x}",
        now.as_nanos(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

async fn record(
    app: &Arc<App>,
    id: String,
    source: &str,
    ev: Event,
    workflows: Result<Workflows, String>,
) -> Response {
    match accept::accept(app, id, source, &ev, &workflows).await {
        Ok(a) => (
            StatusCode::ACCEPTED,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            a.response,
        )
            .into_response(),
        Err(e) => {
            app.metrics.reject("store");
            error(StatusCode::SERVICE_UNAVAILABLE, "store", e.to_string())
        }
    }
}
