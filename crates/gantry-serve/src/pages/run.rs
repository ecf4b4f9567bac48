//! A run's page: `/runs/{id}` (its latest attempt) and `/runs/{id}/attempts/{n}`. The header
//! (workflow, event details, times, conclusion, why the workflow matched), the job graph
//! (`graph`), links to the other attempts, and per job
//! its steps as `<details>` sections with duration, conclusion and their numbered,
//! timestamped log lines of that attempt only (`job_view`: colours, groups, annotations,
//! summaries), and the artifacts the attempt uploaded (`artifacts`). While the latest
//! attempt is not over, the page names its live stream for `/assets/pages.js`.

use super::artifacts::{self, Artifacts};
use super::attempt::{self, Part};
use super::{event_fields, format, graph, message, session, store_error, view, App};
use crate::sessions::Session;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use gantry_engine::backend::ContainerBackend;
use gantry_store::read::{self, Reader, RunRow};
use minijinja::context;
use std::sync::Arc;

pub async fn latest<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let want = Want {
        n: None,
        only: None,
    };
    show(&app, id, want, &headers, &uri).await
}

pub async fn attempt<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path((id, n)): Path<(i64, i64)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let want = Want {
        n: Some(n),
        only: None,
    };
    show(&app, id, want, &headers, &uri).await
}

/// `/runs/{id}/jobs/{key}`: one job of the run's latest attempt on a page of its own (a
/// long run's job is read without the others' logs); the header and graph are the run's.
pub async fn job<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path((id, key)): Path<(i64, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let want = Want {
        n: None,
        only: Some(key),
    };
    show(&app, id, want, &headers, &uri).await
}

/// `/runs/{id}/attempts/{n}/jobs/{key}`: one job of attempt `n` on a page of its own.
pub async fn attempt_job<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    Path((id, n, key)): Path<(i64, i64, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let want = Want {
        n: Some(n),
        only: Some(key),
    };
    show(&app, id, want, &headers, &uri).await
}

/// What a run's page shows: attempt `n` (the latest when `None`), all its jobs or `only` one.
struct Want {
    n: Option<i64>,
    only: Option<String>,
}

async fn show<B: ContainerBackend>(
    app: &App<B>,
    id: i64,
    want: Want,
    headers: &HeaderMap,
    uri: &Uri,
) -> Response {
    let s = match session(app, headers, uri).await {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let c = match app.runs.store.reader().await {
        Ok(c) => c,
        Err(e) => return store_error(&s, e),
    };
    let run = match read::run(&c, id).await {
        Ok(Some(run)) => run,
        Ok(None) => return message(StatusCode::NOT_FOUND, Some(&s), format!("no run {id}")),
        Err(e) => return store_error(&s, e),
    };
    let n = want.n.unwrap_or(run.attempt);
    if !(1..=run.attempt).contains(&n) {
        let text = format!("run {id} has attempts 1 to {}", run.attempt);
        return message(StatusCode::NOT_FOUND, Some(&s), text);
    }
    let artifacts = artifacts::of(app, id, n).await;
    let shown = Shown {
        n,
        only: want.only.as_deref(),
        artifacts,
    };
    match page(&c, &s, &run, &shown, &app.intake.host_paths).await {
        Ok(r) => r,
        Err(e) => store_error(&s, e),
    }
}

/// What the page of a run found shows: attempt `n`, all jobs or `only` one, the artifacts.
struct Shown<'a> {
    n: i64,
    only: Option<&'a str>,
    artifacts: Artifacts,
}

async fn page(
    c: &Reader,
    s: &Session,
    run: &RunRow,
    shown: &Shown<'_>,
    host_paths: &[(String, String)],
) -> Result<Response, gantry_store::StoreError> {
    let n = shown.n;
    let jobs = read::jobs(c, run.id).await?;
    let changes = read::changes(c, run.id).await?;
    let event = read::event(c, &run.event_id).await?;
    let logs = read::logs_after(c, run.id, 0, i64::MAX).await?;
    let latest = n == run.attempt;
    let parts = if latest {
        attempt::current(&jobs)
    } else {
        attempt::earlier(&changes, n, &jobs)
    };
    let plan = read::plan(c, run.id).await?.unwrap_or_default();
    let ended = !latest || run.status.is_final();
    let graph = graph::layout(&graph::Spec {
        jobs: &plan.graph,
        parts: &parts,
        ended,
    });
    let Some(parts) = only_job(parts, shown.only) else {
        let text = format!(
            "run {} has no job `{}` in attempt {n}",
            run.id,
            shown.only.unwrap_or("")
        );
        return Ok(message(StatusCode::NOT_FOUND, Some(s), text));
    };
    let logs = attempt::lines_in(logs, attempt::window(&changes, n));
    let last_seq = logs.last().map_or(0, |l| l.seq);
    let (queued, started, finished) = times(run, &changes, n, latest);
    let state = if latest {
        run.conclusion.map_or(run.status.as_str(), |c| c.as_str())
    } else {
        last_state(&changes, n)
    };
    let live = (latest && !run.status.is_final())
        .then(|| format!("/runs/{}/live?after={last_seq}", run.id));
    let ctx = context! {
        title => format!("run {}: {}", run.id, run.workflow_name),
        session => view::session(s),
        run => context! {
            id => run.id, workflow => run.workflow_name, file => run.workflow_file,
            event => run.event, reason => if latest { run.reason.clone() } else { None },
            attempts => (1..=run.attempt).collect::<Vec<_>>(), ended => run.status.is_final(),
            some_failed => super::controls::some_failed(&jobs),
        },
        attempt => n,
        latest => latest,
        state => state,
        fields => event.map(|e| event_fields::fields(&e.payload)).unwrap_or_default(),
        queued => queued.map(format::datetime),
        started => started.map(format::datetime),
        duration => started.map(|s| format::duration(s, finished.unwrap_or_else(super::runs::now_ms))),
        why => plan.why,
        graph => graph,
        jobs => super::job_view::views(parts, logs, host_paths),
        live => live,
        artifacts => shown.artifacts,
        only => shown.only,
    };
    Ok(super::render_redacted(
        StatusCode::OK,
        "run.html",
        ctx,
        host_paths,
    ))
}

/// The jobs a page shows: all, or job `only` (`None` when the attempt has no such job).
fn only_job(parts: Vec<Part>, only: Option<&str>) -> Option<Vec<Part>> {
    let Some(key) = only else {
        return Some(parts);
    };
    let one: Vec<Part> = parts.into_iter().filter(|p| p.key == key).collect();
    (!one.is_empty()).then_some(one)
}

/// Queued, started and finished times (ms) of attempt `n`.
fn times(
    run: &RunRow,
    changes: &[read::ChangeRow],
    n: i64,
    latest: bool,
) -> (Option<i64>, Option<i64>, Option<i64>) {
    let own = || changes.iter().filter(|c| c.attempt == n && c.job.is_none());
    let queued = own()
        .map(|c| c.at)
        .min()
        .or((n == 1).then_some(run.created_at));
    if latest {
        return (queued, run.started_at, run.finished_at);
    }
    let started = own()
        .filter(|c| c.status == gantry_store::Status::InProgress)
        .map(|c| c.at)
        .min();
    let finished = own().filter(|c| c.status.is_final()).map(|c| c.at).max();
    (queued, started, finished)
}

/// The run's last state in attempt `n` (an earlier one: it ended).
fn last_state(changes: &[read::ChangeRow], n: i64) -> &'static str {
    changes
        .iter()
        .rfind(|c| c.attempt == n && c.job.is_none())
        .map_or("unknown", |c| {
            c.conclusion.map_or(c.status.as_str(), |x| x.as_str())
        })
}
