//! The pages people open in a browser, each with its own URL: `/login`, `/runs` (the list),
//! `/runs/{id}` and `/runs/{id}/attempts/{n}` (a run), `/runs/{id}/jobs/{key}` and
//! `/runs/{id}/attempts/{n}/jobs/{key}` (one job), their live stream, and the cancel and
//! rerun confirmations. Pages are rendered on the server from templates; the browser gets
//! HTML, one static script (`/assets/pages.js`, live updates only) and one style sheet.
//!
//! Pages authenticate with the session cookie of `crate::sessions` (a navigation cannot send
//! `Authorization`); without a session they redirect to `/login`. Every page carries a
//! Content-Security-Policy that allows only this origin's script and style, none inline.
//!
//! Why minijinja: templates stay HTML files a reader can edit (askama would compile them into
//! the crate, and rebuild it on every wording change), escaping is on for every `.html`
//! template by default, and it has no dependencies beyond serde: a small, well-kept part
//! rather than a hand-written renderer. Templates are embedded with `include_str!`.

mod artifacts;
mod attempt;
mod controls;
mod event_fields;
mod format;
mod graph;
mod job_view;
mod live;
mod live_line;
mod login;
mod logview;
mod run;
mod runs;
mod summary;
mod view;

use super::sessions::Session;
use super::App;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use gantry_engine::backend::ContainerBackend;
use minijinja::Environment;
use std::sync::{Arc, OnceLock};

/// Script and style of this origin only, no inline either; forms post only here.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
    object-src 'none'; frame-ancestors 'none'";

pub fn router<B: ContainerBackend>() -> Router<Arc<App<B>>> {
    Router::new()
        .route("/login", get(login::form::<B>).post(login::submit::<B>))
        .route("/logout", post(login::logout::<B>))
        .route("/runs", get(runs::page::<B>))
        .route("/runs/{id}", get(run::latest::<B>))
        .route("/runs/{id}/attempts/{n}", get(run::attempt::<B>))
        // A job's key may hold a `/` (a called workflow's job: `call/inner`).
        .route("/runs/{id}/jobs/{*key}", get(run::job::<B>))
        .route(
            "/runs/{id}/attempts/{n}/jobs/{*key}",
            get(run::attempt_job::<B>),
        )
        .route("/runs/{id}/live", get(live::stream::<B>))
        .route(
            "/runs/{id}/cancel",
            get(controls::confirm_cancel::<B>).post(controls::cancel::<B>),
        )
        .route(
            "/runs/{id}/rerun",
            get(controls::confirm_rerun::<B>).post(controls::rerun::<B>),
        )
        .route(
            "/runs/{id}/rerun-failed",
            get(controls::confirm_rerun_failed::<B>).post(controls::rerun_failed::<B>),
        )
        .route("/assets/pages.js", get(script))
        .route("/assets/pages.css", get(style))
}

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, text) in [
            ("base.html", include_str!("templates/base.html")),
            ("login.html", include_str!("templates/login.html")),
            ("runs.html", include_str!("templates/runs.html")),
            ("run.html", include_str!("templates/run.html")),
            ("graph.html", include_str!("templates/graph.html")),
            ("log.html", include_str!("templates/log.html")),
            (
                "annotations.html",
                include_str!("templates/annotations.html"),
            ),
            ("confirm.html", include_str!("templates/confirm.html")),
            ("message.html", include_str!("templates/message.html")),
        ] {
            // Embedded and covered by the tests: a broken template fails them, not a user.
            if let Err(e) = env.add_template(name, text) {
                tracing::error!(template = name, error = %e, "a page template does not parse");
            }
        }
        // A job key in a URL path (`/runs/{id}/jobs/{key}`): spaces, parentheses, commas...
        env.add_filter("urlpath", |text: String| view::encode_query(&text));
        env
    })
}

/// Renders template `name` with `ctx` under the pages' CSP; a template error is a 500.
pub(crate) fn render(status: StatusCode, name: &str, ctx: minijinja::Value) -> Response {
    let html = env().get_template(name).and_then(|t| t.render(ctx));
    match html {
        Ok(html) => (status, [(header::CONTENT_SECURITY_POLICY, CSP)], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template = name, error = %e, "rendering a page");
            let ctx = minijinja::context! { title => "error", message => "the page could not be rendered" };
            let fallback = env()
                .get_template("message.html")
                .and_then(|t| t.render(ctx))
                .unwrap_or_else(|_| "the page could not be rendered".into());
            let code = StatusCode::INTERNAL_SERVER_ERROR;
            (
                code,
                [(header::CONTENT_SECURITY_POLICY, CSP)],
                Html(fallback),
            )
                .into_response()
        }
    }
}

/// As [`render`], with the configured host paths in every value replaced by their labels
/// (as in the API's answers): run pages show workflow files, reasons and log lines.
pub(crate) fn render_redacted(
    status: StatusCode,
    name: &str,
    ctx: minijinja::Value,
    host_paths: &[(String, String)],
) -> Response {
    let ctx = match serde_json::to_value(&ctx) {
        Ok(mut v) => {
            super::redact::walk(&mut v, host_paths);
            minijinja::Value::from_serialize(&v)
        }
        Err(e) => {
            tracing::error!(template = name, error = %e, "a page's values do not serialise");
            let text = "the page could not be rendered".to_string();
            return message(StatusCode::INTERNAL_SERVER_ERROR, None, text);
        }
    };
    render(status, name, ctx)
}

/// A short page saying what went wrong (not found, store unavailable...).
pub(crate) fn message(status: StatusCode, session: Option<&Session>, text: String) -> Response {
    let ctx = minijinja::context! {
        title => status.canonical_reason().unwrap_or("error"),
        message => text,
        session => session.map(view::session),
    };
    render(status, "message.html", ctx)
}

/// The request's session, or the redirect to `/login` that comes back to this page; a 503
/// page while the store (where sessions live) cannot be reached.
pub(crate) async fn session<B: ContainerBackend>(
    app: &App<B>,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Session, Box<Response>> {
    let found = super::sessions::find(&app.runs.store, &app.intake.api_tokens, headers).await;
    match found {
        Ok(Some(s)) => Ok(s),
        Err(e) => Err(Box::new(session_store_error(&e))),
        Ok(None) => {
            let back = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/runs");
            let to = format!("/login?next={}", view::encode_query(back));
            Err(Box::new(Redirect::to(&to).into_response()))
        }
    }
}

/// A store error while reading or writing sessions, as a page without a session: 503 while
/// the store cannot be reached, 500 otherwise.
pub(crate) fn session_store_error(e: &gantry_store::StoreError) -> Response {
    tracing::error!(error = %e, "reading or writing page sessions in the store");
    if e.is_unavailable() {
        let text = "the run store, where sessions are kept, cannot be reached; try again shortly";
        return message(StatusCode::SERVICE_UNAVAILABLE, None, text.to_string());
    }
    let text = "the run store, where sessions are kept, could not be read".to_string();
    message(StatusCode::INTERNAL_SERVER_ERROR, None, text)
}

/// A store error as a page: 503 while the store cannot be reached, 500 otherwise.
pub(crate) fn store_error(session: &Session, e: gantry_store::StoreError) -> Response {
    tracing::error!(error = %e, "reading the store for a page");
    if e.is_unavailable() {
        let text = "the run store cannot be reached; try again shortly".to_string();
        return message(StatusCode::SERVICE_UNAVAILABLE, Some(session), text);
    }
    let text = "the run store could not be read".to_string();
    message(StatusCode::INTERNAL_SERVER_ERROR, Some(session), text)
}

async fn script() -> Response {
    let js = include_str!("assets/pages.js");
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        js,
    )
        .into_response()
}

async fn style() -> Response {
    let css = include_str!("assets/pages.css");
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], css).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    /// Every template parses, and what the pages put in them comes out escaped.
    #[test]
    fn templates_render_escaped() {
        let evil = "<script>alert(1)</script>";
        let session = context! { name => evil, scope => "operate", operate => true, csrf => "c" };
        let job = context! {
            key => "build", name => evil, state => "failure", duration => "1s",
            steps => vec![context! { key => "1", name => evil, state => "failure", open => true, lines => 2,
                counts => vec![context! { level => "error", text => evil }],
                nodes => vec![context! { kind => "group", n => 1, time => "00:00:00.000", unclosed => true,
                    title => vec![context! { text => evil, class => "" }],
                    children => vec![context! { kind => "line", n => 2, time => "00:00:00.000", stream => "stdout",
                        spans => vec![context! { text => evil, class => "ansi-red" }] }] }] }],
            notes => vec![context! { level => "error", place => evil, message => evil, step => evil, href => "#x" }],
            summaries => vec![context! { step => evil, html => "<p>sanitised</p>" }],
        };
        let run = context! { id => 1, workflow => evil, file => "ci.yml", event => "push",
        attempts => vec![1, 2], ended => true };
        let pages = [
            (
                "login.html",
                context! { title => "log in", next => evil, error => evil },
            ),
            (
                "message.html",
                context! { title => "x", message => evil, session => session.clone() },
            ),
            (
                "confirm.html",
                context! { title => "x", session => session.clone(), id => 1, action => "cancel" },
            ),
            (
                "runs.html",
                context! { title => "runs", session => session.clone(),
                runs => vec![context! { id => 1, workflow => evil, event => "push", state => "success", attempt => 1, created => "t" }],
                filters => context! { workflow => evil, event => "", status => "", branch => evil, tenant => evil } },
            ),
            (
                "run.html",
                context! { title => "run", session => session, run => run, attempt => 2,
                latest => true, state => "failure", jobs => vec![job], why => vec![evil],
                fields => vec![context! { label => "message", value => evil }],
                artifacts => context! { kind => "listed", list => vec![context! {
                    name => evil, size => "1 B", created => "t", expires => "t" }] } },
            ),
        ];
        for (name, ctx) in pages {
            let html = env().get_template(name).and_then(|t| t.render(ctx));
            let html = html.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                !html.contains("<script>alert"),
                "{name} lets markup through"
            );
            assert!(html.contains("src=\"/assets/pages.js\""), "{name}");
            if name == "run.html" {
                for want in [
                    "<span class=\"ansi-red\">&lt;script&gt;",
                    "<details class=\"group unclosed\">",
                    "id=\"line:build:1:2\"",
                    "<p>sanitised</p>",
                ] {
                    assert!(html.contains(want), "{want} in {html}");
                }
            }
        }
    }
}
