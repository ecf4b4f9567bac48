//! Webhook ingress: authenticate, parse, match workflows, record the event and its runs
//! durably, answer 202 with the event id and run ids (or why nothing matched). A redelivery
//! (`X-GitHub-Delivery`, `Idempotency-Key`) returns the first answer and creates nothing.
//! Errors are JSON: 401 bad signature, 400 malformed, 404 unknown hook, 408 body too slow,
//! 413 too large, 503 shutting down, busy, or the run store cannot write (with
//! `Retry-After`: an event is answered 202 only once it is on disk, so while the store
//! cannot record one, none is taken).
//!
//! Everything that needs no body is checked before a byte of it is read: the hook exists,
//! a hook token is right, a signature header is there and has the shape of one, and the
//! declared `Content-Length` fits. Only then is the body read, within bounds
//! (src/serve/body.rs), and its signature verified. Answers name no host path
//! (src/serve/redact.rs).

use super::body::{self, BodyError, BodySpec, Held};
use super::sources::SourceError;
use super::sources::Workflows;
use super::{accept, redact, App};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header as h, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gantry_engine::backend::ContainerBackend;
use gantry_plan::event::{self, Event};
use gantry_plan::signature;
use gantry_store::StoreError;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub fn error(status: StatusCode, reason: &str, message: String) -> Response {
    (
        status,
        axum::Json(json!({ "error": reason, "message": message })),
    )
        .into_response()
}

/// An error answered before the body was read whole: the connection is closed after it,
/// so the rest of the body is never read.
fn refuse<B: ContainerBackend>(
    app: &App<B>,
    status: StatusCode,
    reason: &'static str,
    message: String,
) -> Box<Response> {
    app.runs.metrics.reject(reason);
    let mut r = error(status, reason, message);
    r.headers_mut()
        .insert(h::CONNECTION, HeaderValue::from_static("close"));
    Box::new(r)
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Seconds a sender is asked to wait before sending an event again while the store cannot
/// write (the store tries again every second; a sender coming back sooner is refused again).
const RETRY_AFTER_SECS: u16 = 5;

/// The answer while the store cannot record events: 503, `Retry-After`, and why in SQLite's
/// words (a cause names no host path; configured paths are replaced all the same).
pub fn store_unavailable<B: ContainerBackend>(app: &App<B>, cause: &str) -> Response {
    app.runs.metrics.reject("store_unavailable");
    let message = format!(
        "the event was not accepted: the run store cannot write now ({}); send it again later",
        redact::redact(cause, &app.intake.host_paths)
    );
    let mut r = error(
        StatusCode::SERVICE_UNAVAILABLE,
        "store_unavailable",
        message,
    );
    r.headers_mut()
        .insert(h::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    r
}

/// Why the store could not record, without repeating that it could not.
pub fn unavailable_cause(e: &StoreError) -> String {
    match e {
        StoreError::Unavailable { cause } => cause.clone(),
        other => other.to_string(),
    }
}

fn check_open<B: ContainerBackend>(app: &App<B>) -> Result<(), Box<Response>> {
    app.runs.metrics.received.fetch_add(1, Ordering::Relaxed);
    if !app.intake.is_accepting() {
        return Err(refuse(
            app,
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the service is shutting down".into(),
        ));
    }
    if !app.runs.store.writable() {
        // Refused before the body is read: the connection closes after the answer.
        let cause = app.runs.store.unavailable_cause().unwrap_or_default();
        let mut r = store_unavailable(app, &cause);
        r.headers_mut()
            .insert(h::CONNECTION, HeaderValue::from_static("close"));
        return Err(Box::new(r));
    }
    Ok(())
}

/// The body, read within `body_limit`, `[ingress] body_timeout_secs` and the shared memory
/// budget.
async fn read_body<B: ContainerBackend>(
    app: &App<B>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Held, Box<Response>> {
    let spec = BodySpec {
        limit: app.settings.cfg.body_limit,
        timeout: Duration::from_secs(app.settings.cfg.ingress.body_timeout_secs),
        budget: &app.intake.body_budget,
    };
    body::read(headers, body, spec).await.map_err(|e| {
        let (status, reason) = match &e {
            BodyError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            BodyError::Timeout { .. } => (StatusCode::REQUEST_TIMEOUT, "body_timeout"),
            BodyError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            BodyError::Broken(_) => (StatusCode::BAD_REQUEST, "bad_body"),
        };
        refuse(app, status, reason, e.to_string())
    })
}

/// A declared length above `body_limit`: 413 before anything is read.
fn check_length<B: ContainerBackend>(
    app: &App<B>,
    headers: &HeaderMap,
) -> Result<(), Box<Response>> {
    body::check_declared(headers, app.settings.cfg.body_limit).map_err(|e| {
        refuse(
            app,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            e.to_string(),
        )
    })
}

pub async fn github<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match github_event(&app, &headers, body).await {
        Ok((id, ev)) => settle(&app, id, "github", ev).await,
        Err(answer) => *answer,
    }
}

/// A GitHub delivery's id and event; `Err` is the answer to give now (an error, or pong).
async fn github_event<B: ContainerBackend>(
    app: &App<B>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(String, Event), Box<Response>> {
    check_open(app)?;
    let unauthorized =
        |reason, message: &str| refuse(app, StatusCode::UNAUTHORIZED, reason, message.to_string());
    let Some(secret) = app.settings.cfg.github_secret() else {
        return Err(unauthorized(
            "no_secret",
            "no GitHub webhook secret is configured ([github] webhook_secret)",
        ));
    };
    let sig = header(headers, "x-hub-signature-256").unwrap_or("");
    if sig.is_empty() {
        return Err(unauthorized("bad_signature", "X-Hub-Signature-256 missing"));
    }
    if !signature::well_formed(sig) {
        return Err(unauthorized(
            "bad_signature",
            "X-Hub-Signature-256 does not match (expected sha256= and 64 hex digits)",
        ));
    }
    let required = |name: &str| {
        header(headers, name).ok_or_else(|| {
            refuse(
                app,
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("the {name} header is missing"),
            )
        })
    };
    let kind = required("X-GitHub-Event")?;
    let delivery = required("X-GitHub-Delivery")?;
    check_length(app, headers)?;
    let body = read_body(app, headers, body).await?;
    if !signature::verify(secret.as_bytes(), &body.bytes, sig) {
        return Err(unauthorized(
            "bad_signature",
            "X-Hub-Signature-256 does not match",
        ));
    }
    if kind == "ping" {
        let pong = (StatusCode::OK, axum::Json(json!({ "message": "pong" })));
        return Err(Box::new(pong.into_response()));
    }
    let malformed = |e: String| refuse(app, StatusCode::BAD_REQUEST, "malformed", e);
    let text = String::from_utf8_lossy(&body.bytes);
    let payload = event::parse_payload(&format!("{kind} payload"), &text)
        .map_err(|e| malformed(e.to_string()))?;
    let ev = event::from_payload(kind, payload).map_err(|e| malformed(e.to_string()))?;
    Ok((format!("github:{delivery}"), ev))
}

pub async fn named<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match named_event(&app, &name, &headers, body).await {
        Ok((id, ev)) => settle(&app, id, &format!("hook:{name}"), ev).await,
        Err(answer) => *answer,
    }
}

/// A named hook's event id and event; `Err` is the error to answer.
async fn named_event<B: ContainerBackend>(
    app: &App<B>,
    name: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<(String, Event), Box<Response>> {
    check_open(app)?;
    let Some(hook) = app.settings.cfg.hooks.get(name) else {
        return Err(refuse(
            app,
            StatusCode::NOT_FOUND,
            "unknown_hook",
            format!("no webhook named `{name}`"),
        ));
    };
    let unsigned = || {
        refuse(
            app,
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            format!("the request to hook `{name}` is not signed with its secret or token"),
        )
    };
    let secret = hook.secret();
    let sig = header(headers, "x-hub-signature-256")
        .or_else(|| header(headers, "x-signature-256"))
        .unwrap_or("");
    let token_ok = || {
        hook.token().is_some_and(|t| {
            signature::token_matches(&t, header(headers, "authorization").unwrap_or(""))
        })
    };
    // A token is checked now; a signature needs the body, but its header must be there.
    let early = match &secret {
        Some(_) => signature::well_formed(sig),
        None => token_ok(),
    };
    if !early {
        return Err(unsigned());
    }
    check_length(app, headers)?;
    let body = read_body(app, headers, body).await?;
    if secret.is_some_and(|s| !signature::verify(s.as_bytes(), &body.bytes, sig)) {
        return Err(unsigned());
    }
    hook_event(app, name, hook, headers, &body.bytes)
}

/// The `webhook` event of an authenticated hook request (a JSON body must parse).
fn hook_event<B: ContainerBackend>(
    app: &App<B>,
    name: &str,
    hook: &super::config::HookConfig,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, Event), Box<Response>> {
    let ctype = header(headers, "content-type").unwrap_or("");
    if ctype.contains("json") {
        let text = String::from_utf8_lossy(body);
        if let Err(e) = event::parse_payload(&format!("hook {name} body"), &text) {
            return Err(refuse(
                app,
                StatusCode::BAD_REQUEST,
                "malformed",
                e.to_string(),
            ));
        }
    }
    let kept: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let mut ev = event::webhook_call(name, &kept, body);
    if let Some(r) = &hook.repository {
        ev.meta.repository = Some(r.clone());
    }
    let id = match header(headers, "idempotency-key") {
        Some(k) => format!("hook:{name}:{k}"),
        None => format!("hook:{name}:{}", uuid_like()),
    };
    Ok((id, ev))
}

/// An authenticated delivery: its events (a GitHub `pull_request` is two: see
/// `pull_requests`) forwarded to the events topic when this instance only ingests, else
/// matched and recorded here. A commit not there yet for any of them records none.
async fn settle<B: ContainerBackend>(
    app: &Arc<App<B>>,
    id: String,
    source: &str,
    ev: Event,
) -> Response {
    let events = if source == "github" {
        super::pull_requests::events_of(id, ev)
    } else {
        vec![(id, ev)]
    };
    if let Some(f) = &app.intake.forwarder {
        return forward(app, f, source, events).await;
    }
    let mut decided = Vec::new();
    for (id, mut ev) in events {
        let workflows = accept::workflows_for(app, source, &mut ev).await;
        if let Some(e) = workflows.as_ref().err().filter(|e| e.is_transient()) {
            // Not recorded, so a redelivery is decided afresh (a recorded answer would be
            // replayed, and the push never run).
            app.runs.metrics.reject(e.transient_code());
            let mut r = error(
                StatusCode::SERVICE_UNAVAILABLE,
                e.transient_code(),
                e.to_string(),
            );
            r.headers_mut()
                .insert(h::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
            return r;
        }
        decided.push((id, ev, workflows));
    }
    record(app, source, decided).await
}

/// Puts a delivery's events on the events topic, for the instances that run them.
async fn forward<B: ContainerBackend>(
    app: &App<B>,
    f: &gantry_kafka::Forwarder,
    source: &str,
    events: Vec<(String, Event)>,
) -> Response {
    let first = events.first().map(|(id, _)| id.clone()).unwrap_or_default();
    let mut at = None;
    for (id, ev) in events {
        let body = json!({ "id": id, "source": source, "event": ev }).to_string();
        match f.send(&id, body.as_bytes()).await {
            Ok(sent) => at = Some(sent),
            Err(e) => {
                app.runs.metrics.reject("forward");
                return error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "forward",
                    format!("the event could not be put on {}: {e}", f.topic),
                );
            }
        }
    }
    app.runs.metrics.accepted.fetch_add(1, Ordering::Relaxed);
    let answer = json!({ "event_id": first, "forwarded": at });
    (StatusCode::ACCEPTED, axum::Json(answer)).into_response()
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

/// Records each event of a delivery with its runs; one answer for all of them.
async fn record<B: ContainerBackend>(
    app: &Arc<App<B>>,
    source: &str,
    decided: Vec<(String, Event, Result<Workflows, SourceError>)>,
) -> Response {
    let mut answers = Vec::new();
    for (id, ev, workflows) in decided {
        match accept::accept(app, id, source, &ev, &workflows).await {
            Ok(a) => answers.push((ev.name.clone(), a.response)),
            Err(e) if e.is_unavailable() => return store_unavailable(app, &unavailable_cause(&e)),
            Err(e) => {
                tracing::error!(error = %e, "recording an event");
                app.runs.metrics.reject("store");
                let message = redact::redact(&e.to_string(), &app.intake.host_paths);
                return error(StatusCode::SERVICE_UNAVAILABLE, "store", message);
            }
        }
    }
    let response = super::pull_requests::combine(&answers);
    (
        StatusCode::ACCEPTED,
        [(h::CONTENT_TYPE, "application/json")],
        redact::redact(&response, &app.intake.host_paths),
    )
        .into_response()
}
