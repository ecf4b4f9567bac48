//! `/runs`: the runs, newest first, 50 a page (`before=<id>` is the next page), filtered by
//! workflow (name or file), event name, status (or conclusion), branch and tenant (the
//! sources and repositories configured for it: `crate::tenants::origins`), each linking to
//! its page.

use super::{format, session, store_error, view, App};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use gantry_engine::backend::ContainerBackend;
use gantry_store::{read, ListFilter, RunRow};
use minijinja::context;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const PAGE: i64 = 50;

#[derive(Deserialize, Serialize, Default)]
pub struct Filters {
    #[serde(default)]
    workflow: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    tenant: String,
    before: Option<i64>,
}

/// One row of the list, as the template shows it.
#[derive(Serialize)]
struct Row {
    id: i64,
    workflow: String,
    event: String,
    state: String,
    attempt: i64,
    created: String,
    duration: Option<String>,
}

fn row(r: &RunRow) -> Row {
    Row {
        id: r.id,
        workflow: r.workflow_name.clone(),
        event: r.event.clone(),
        state: r
            .conclusion
            .map_or(r.status.as_str(), |c| c.as_str())
            .to_string(),
        attempt: r.attempt,
        created: format::datetime(r.created_at),
        duration: r
            .started_at
            .map(|s| format::duration(s, r.finished_at.unwrap_or_else(now_ms))),
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn some(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

pub async fn page<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<Filters>,
) -> Response {
    let s = match session(&app, &headers, &uri).await {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let f = ListFilter {
        status: some(&q.status),
        workflow: some(&q.workflow),
        event: some(&q.event),
        limit: Some(PAGE),
        before: q.before,
        branch: some(&q.branch),
        origins: some(&q.tenant).map(|t| crate::tenants::origins(&app.settings.cfg, &t)),
    };
    let runs = match app.runs.store.reader().await {
        Ok(c) => read::list_runs(&c, &f).await,
        Err(e) => Err(e),
    };
    let runs = match runs {
        Ok(r) => r,
        Err(e) => return store_error(&s, e),
    };
    let next = (runs.len() as i64 == PAGE)
        .then(|| runs.last().map(|r| r.id))
        .flatten()
        .map(|last| {
            format!(
                "/runs?workflow={}&event={}&status={}&branch={}&tenant={}&before={last}",
                view::encode_query(&q.workflow),
                view::encode_query(&q.event),
                view::encode_query(&q.status),
                view::encode_query(&q.branch),
                view::encode_query(&q.tenant)
            )
        });
    let ctx = context! {
        title => "runs",
        session => view::session(&s),
        runs => runs.iter().map(row).collect::<Vec<_>>(),
        filters => q,
        next => next,
    };
    super::render_redacted(StatusCode::OK, "runs.html", ctx, &app.intake.host_paths)
}
