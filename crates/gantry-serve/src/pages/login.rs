//! Logging in and out: `GET /login` shows the form, `POST /login` checks the token given
//! against `[[api.tokens]]` and starts a session (cookie `HttpOnly; SameSite=Strict`, and
//! `Secure` when `public_url` is https), `POST /logout` ends it. A login from another
//! origin is refused (login CSRF), and the token itself is never kept or logged. Too many
//! failed logins from one address answer 429 without checking the token (`login_limit`).

use super::{render, view, App};
use crate::sessions;
use axum::extract::{ConnectInfo, Extension, Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use gantry_engine::backend::ContainerBackend;
use minijinja::context;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
    next: Option<String>,
}

pub async fn form<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Query(q): Query<Next>,
) -> Response {
    let next = view::safe_next(q.next.as_deref());
    let closed = app.intake.api_tokens.is_empty();
    page(StatusCode::OK, next, None, closed)
}

fn page(status: StatusCode, next: &str, error: Option<&str>, closed: bool) -> Response {
    let ctx = context! { title => "log in", next => next, error => error, closed => closed };
    render(status, "login.html", ctx)
}

pub async fn submit<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = view::safe_next(f.next.as_deref());
    let closed = app.intake.api_tokens.is_empty();
    let trusted = &app.settings.cfg.api.trusted_proxies;
    let client = crate::client_addr::client(connect.as_deref(), &headers, trusted);
    let limit = &app.intake.login_limit;
    if let Some(wait) = limit.refused(client, Instant::now()) {
        tracing::warn!(client = ?client, "page logins refused: too many failed from this address");
        return too_many(next, closed, wait);
    }
    if !super::controls::same_site(&app, &headers) {
        let why = "a login from another site is refused";
        return page(StatusCode::FORBIDDEN, next, Some(why), closed);
    }
    let Some((name, _)) = app.intake.api_tokens.check(f.token.trim()) else {
        limit.failed(client, Instant::now());
        tracing::info!(client = ?client, "a page login with a token that is not configured was refused");
        let why = "that token is not one of the configured [[api.tokens]]";
        return page(StatusCode::UNAUTHORIZED, next, Some(why), closed);
    };
    limit.succeeded(client);
    let (id, _) = match sessions::create(&app.runs.store, &app.intake.api_tokens, name).await {
        Ok(made) => made,
        Err(e) => {
            tracing::error!(error = %e, "starting a page session");
            let (code, why) = if e.is_unavailable() {
                let why =
                    "the run store, where sessions are kept, cannot be reached; try again shortly";
                (StatusCode::SERVICE_UNAVAILABLE, why)
            } else {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the session could not be started",
                )
            };
            return page(code, next, Some(why), closed);
        }
    };
    tracing::info!(token = name, "page session started");
    let secure = app
        .settings
        .cfg
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let cookie = sessions::set_cookie(&id, secure);
    ([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response()
}

/// 429: this address failed too often; `Retry-After` says when to try again.
fn too_many(next: &str, closed: bool, wait: std::time::Duration) -> Response {
    let secs = wait.as_secs().max(1);
    let why = format!("too many failed logins from your address; try again in {secs} s");
    let mut r = page(StatusCode::TOO_MANY_REQUESTS, next, Some(&why), closed);
    r.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    r
}

pub async fn logout<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    headers: HeaderMap,
) -> Response {
    let cookie = sessions::clear_cookie();
    if super::controls::same_site(&app, &headers) {
        if let Err(e) = sessions::remove(&app.runs.store, &headers).await {
            // The browser forgets the cookie, but the session is still valid: say so.
            let mut r = super::session_store_error(&e);
            if let Ok(v) = header::HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            return r;
        }
    }
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}
