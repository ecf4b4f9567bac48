//! Cancel and rerun from the pages, for `operate` sessions only. `GET /runs/{id}/cancel`
//! (or `/rerun`, `/rerun-failed`) is the confirmation page; its form posts back to the same URL. A post must
//! carry the session cookie (never sent cross-site: `SameSite=Strict`), the session's CSRF
//! token in its `csrf` field, and come from this origin (`Origin`, `Sec-Fetch-Site`): any
//! one of the three stops a cross-site form. The action itself is the API's.

use super::{message, render, session, view, App};
use crate::config::ApiScope;
use crate::sessions::{csrf_matches, Session};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use gantry_engine::backend::ContainerBackend;
use minijinja::context;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Clone, Copy)]
enum Action {
    Cancel,
    Rerun,
    /// Re-run failed jobs (and those that need them) only.
    RerunFailed,
}

impl Action {
    /// Its path segment and control id.
    fn verb(self) -> &'static str {
        match self {
            Action::Cancel => "cancel",
            Action::Rerun => "rerun",
            Action::RerunFailed => "rerun-failed",
        }
    }

    /// What the confirmation asks and its button says.
    fn label(self) -> &'static str {
        match self {
            Action::Cancel => "Cancel",
            Action::Rerun => "Rerun",
            Action::RerunFailed => "Re-run failed jobs of",
        }
    }
}

/// Whether the run page offers "Re-run failed jobs": a job of the latest attempt failed or
/// was cancelled (or never concluded), as the store decides it (`gantry_store::carry`).
pub fn some_failed(jobs: &[gantry_store::JobRow]) -> bool {
    jobs.iter()
        .any(|j| gantry_store::carry::runs_again(j.conclusion))
}

/// Whether the request comes from a page of this origin: its `Sec-Fetch-Site` (when sent)
/// is `same-origin` or `none` (typed by the user), and its `Origin` (when sent) is ours. The
/// pages are served with `Referrer-Policy: no-referrer`, under which a browser sends
/// `Origin: null` even with its own forms: that counts only with `Sec-Fetch-Site:
/// same-origin` (a header no page can set).
pub fn same_site<B: ContainerBackend>(app: &App<B>, headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or(""));
    let fetch_site = text("sec-fetch-site");
    if fetch_site.is_some_and(|v| v != "same-origin" && v != "none") {
        return false;
    }
    match text("origin") {
        Some("null") => fetch_site == Some("same-origin"),
        _ => crate::auth::same_origin(app, headers),
    }
}

pub async fn confirm_cancel<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    confirm(&app, id, &headers, &uri, Action::Cancel).await
}

pub async fn confirm_rerun<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    confirm(&app, id, &headers, &uri, Action::Rerun).await
}

pub async fn confirm_rerun_failed<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    confirm(&app, id, &headers, &uri, Action::RerunFailed).await
}

async fn confirm<B: ContainerBackend>(
    app: &App<B>,
    id: i64,
    headers: &HeaderMap,
    uri: &Uri,
    action: Action,
) -> Response {
    let s = match session(app, headers, uri).await {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if let Err(r) = may_operate(&s) {
        return *r;
    }
    let ctx = context! {
        title => format!("{} run {id}", action.verb()),
        session => view::session(&s),
        id => id,
        action => action.verb(),
        label => action.label(),
    };
    render(StatusCode::OK, "confirm.html", ctx)
}

fn may_operate(s: &Session) -> Result<(), Box<Response>> {
    if s.scope >= ApiScope::Operate {
        return Ok(());
    }
    let text = format!(
        "you are logged in with token `{}` (scope {}); cancel and rerun need operate",
        s.name,
        s.scope.as_str()
    );
    Err(Box::new(message(StatusCode::FORBIDDEN, Some(s), text)))
}

pub async fn cancel<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    uri: Uri,
    Form(f): Form<ActionForm>,
) -> Response {
    act(app, id, &headers, &uri, &f, Action::Cancel).await
}

pub async fn rerun<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    uri: Uri,
    Form(f): Form<ActionForm>,
) -> Response {
    act(app, id, &headers, &uri, &f, Action::Rerun).await
}

pub async fn rerun_failed<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    uri: Uri,
    Form(f): Form<ActionForm>,
) -> Response {
    act(app, id, &headers, &uri, &f, Action::RerunFailed).await
}

async fn act<B: ContainerBackend>(
    app: Arc<App<B>>,
    id: i64,
    headers: &HeaderMap,
    uri: &Uri,
    f: &ActionForm,
    action: Action,
) -> Response {
    let s = match session(&app, headers, uri).await {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if let Err(r) = may_operate(&s) {
        return *r;
    }
    if !same_site(&app, headers) || !csrf_matches(&s.csrf, &f.csrf) {
        let text = format!(
            "this {} did not come from this site's own form",
            action.verb()
        );
        return message(StatusCode::FORBIDDEN, Some(&s), text);
    }
    tracing::info!(run = id, token = %s.name, action = action.verb(), "page control");
    let answer = match action {
        Action::Cancel => crate::api::cancel(State(app.clone()), Path(id)).await,
        Action::Rerun => crate::api::rerun(State(app.clone()), Path(id)).await,
        Action::RerunFailed => crate::api::rerun_failed(State(app.clone()), Path(id)).await,
    };
    if answer.status().is_success() {
        return Redirect::to(&format!("/runs/{id}")).into_response();
    }
    let status = answer.status();
    let body = axum::body::to_bytes(answer.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let why = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| status.to_string());
    message(
        status,
        Some(&s),
        format!("{} run {id}: {why}", action.verb()),
    )
}
