//! `/runs/{id}/live?after=<seq>`: the run page's live stream (Server-Sent Events, read by
//! `/assets/pages.js` with an `EventSource`, which sends the session cookie). Events:
//! `logs` (new rows after `after`, structured as `live_line` says: styled spans, groups,
//! annotations, with their time as shown), `state` (the run's and every
//! job's and step's state, whenever it changed) and `end` once the run has ended (after a
//! last `state`). Only the latest attempt is live. A `logs` event's id is its last line's
//! seq, so a browser that reconnects (it sends `Last-Event-ID`) gets no line twice.

use super::{attempt, App};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use gantry_engine::backend::ContainerBackend;
use gantry_store::read::{self, Reader};
use serde::Deserialize;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

#[derive(Deserialize)]
pub struct After {
    #[serde(default)]
    after: i64,
}

pub async fn stream<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
    Query(q): Query<After>,
    headers: HeaderMap,
) -> Response {
    // An EventSource cannot follow a redirect to a login form: a plain 401 instead.
    let tokens = &app.intake.api_tokens;
    match crate::sessions::find(&app.runs.store, tokens, &headers).await {
        Ok(Some(_)) => {}
        Ok(None) => return (StatusCode::UNAUTHORIZED, "log in first").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reading page sessions in the store");
            let text = "the run store cannot be reached";
            return (StatusCode::SERVICE_UNAVAILABLE, text).into_response();
        }
    }
    // A reconnecting EventSource sends the id of the last event it got: the last line's seq.
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok()?.parse::<i64>().ok())
        .unwrap_or(q.after);
    let events = futures_util::stream::unfold(Cursor::new(after), move |cur| {
        let app = app.clone();
        async move { next(&app, id, cur).await }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

struct Cursor {
    after: i64,
    /// The last `state` sent (none yet: `Null`).
    state: Value,
    ended: bool,
}

impl Cursor {
    fn new(after: i64) -> Cursor {
        Cursor {
            after,
            state: Value::Null,
            ended: false,
        }
    }
}

type Item = Result<SseEvent, Infallible>;

/// A store answer, or — said in the log — nothing: the stream ends there.
fn logged<T>(r: Result<T, gantry_store::StoreError>) -> Option<T> {
    r.map_err(|e| tracing::warn!(error = %e, "a run page's live stream ends: the store failed"))
        .ok()
}

/// The next event: new lines, else a changed state, else (once ended) `end`; polls the
/// store every 300 ms meanwhile. A store error ends the stream (the browser reconnects).
async fn next<B: ContainerBackend>(
    app: &App<B>,
    id: i64,
    mut cur: Cursor,
) -> Option<(Item, Cursor)> {
    if cur.ended {
        return None;
    }
    loop {
        let c = logged(app.runs.store.reader().await)?;
        let rows = logged(read::logs_after(&c, id, cur.after, 500).await)?;
        if let Some(last) = rows.last() {
            cur.after = last.seq;
            let lines: Vec<Value> = rows.iter().map(super::live_line::json).collect();
            let mut lines = Value::from(lines);
            crate::redact::walk(&mut lines, &app.intake.host_paths);
            let ev = SseEvent::default()
                .event("logs")
                .id(cur.after.to_string())
                .data(lines.to_string());
            return Some((Ok(ev), cur));
        }
        let (state, ended) = state(&c, id).await?;
        if state != cur.state {
            cur.state = state.clone();
            let ev = SseEvent::default().event("state").data(state.to_string());
            return Some((Ok(ev), cur));
        }
        if ended {
            cur.ended = true;
            return Some((Ok(SseEvent::default().event("end").data("{}")), cur));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The run's state as the page shows it, and whether it has ended.
async fn state(c: &Reader, id: i64) -> Option<(Value, bool)> {
    let run = logged(read::run(c, id).await)??;
    let jobs = logged(read::jobs(c, id).await)?;
    let parts = attempt::current(&jobs);
    let state = json!({
        "run": run.conclusion.map_or(run.status.as_str(), |c| c.as_str()),
        "jobs": parts.iter().map(|j| json!({
            "key": j.key, "name": j.name, "state": j.state,
            "steps": j.steps.iter().map(|s| json!({ "key": s.key, "name": s.name, "state": s.state })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    Some((state, run.status.is_final()))
}
