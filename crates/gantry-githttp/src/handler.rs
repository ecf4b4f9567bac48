//! The git endpoint: route the request, decide access, hand it to the backend, and turn every
//! refusal or failure into a short plain-text answer (never a host path, never a token).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::backend;
use crate::cgi_env::CgiRequest;
use crate::credentials::{self, Schemes};
use crate::route::{self, Route};
use crate::server::Lookup;
use crate::GitServer;

/// Every request that is not the REST route.
pub(crate) async fn git(State(server): State<GitServer>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (repo, service) = match route::route(&parts.method, parts.uri.path(), parts.uri.query()) {
        Route::Fetch { repo, service } => (repo, service),
        Route::Push => {
            return plain(
                StatusCode::FORBIDDEN,
                "push is refused: this server is read-only",
            )
        }
        Route::MethodNotAllowed => {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        Route::NotFound => return plain(StatusCode::NOT_FOUND, "not found"),
    };
    let token = credentials::token(&parts.headers, Schemes::Basic);
    let git_dir = match server.lookup(token.as_deref(), &repo) {
        Lookup::Allowed(dir) => dir,
        Lookup::Unauthenticated => return unauthorized(),
        Lookup::NotFound => return plain(StatusCode::NOT_FOUND, "not found"),
    };
    tracing::debug!(repository = %repo, ?service, "git request");
    let request = CgiRequest::new(git_dir, service, &parts.headers);
    match backend::serve(server.config(), request, body).await {
        Ok(response) => response,
        Err(e) => {
            tracing::warn!(repository = %repo, error = %e, "git request failed");
            let (status, message) = backend::error_status(&e);
            plain(status, message)
        }
    }
}

/// A plain-text answer.
pub(crate) fn plain(status: StatusCode, message: &'static str) -> Response {
    (status, format!("{message}\n")).into_response()
}

/// 401 with `WWW-Authenticate: Basic`, so git asks its credential helpers and sends them.
pub(crate) fn unauthorized() -> Response {
    let mut response = plain(StatusCode::UNAUTHORIZED, "authentication required");
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"gantry\""),
    );
    response
}
