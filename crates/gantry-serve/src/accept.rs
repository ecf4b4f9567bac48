//! Accepting an event, whatever brought it (a webhook, a Kafka message, a forwarded event):
//! find its workflows, decide which match (runs whose jobs are all skipped by `if:` at plan
//! time are recorded as completed at once, so they never wait for capacity), record the
//! event and its runs in one durable write, and queue the runs that will execute here.

use super::sources::SourceError;
use super::sources::Workflows;
use super::App;
use gantry_engine::backend::ContainerBackend;
use gantry_engine::Conclusion;
use gantry_plan::event::Event;
use gantry_plan::{plan, resolve::NoFiles, Decision, PlanOptions, WorkflowFile};
use gantry_store::Accepted;
use gantry_store::Answer;
use gantry_store::NewEvent;
use gantry_store::NewRun;
use gantry_store::Status;
use gantry_store::StoreError;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The workflows an event of `source` is matched against. A pull request event of a local
/// repository is settled on the way (its sha and changed files: see `pull_requests`), so
/// the event recorded is the one its runs read.
pub async fn workflows_for<B: ContainerBackend>(
    app: &Arc<App<B>>,
    source: &str,
    ev: &mut Event,
) -> Result<Workflows, SourceError> {
    if let Some(name) = source.strip_prefix("hook:") {
        let hook = app
            .settings
            .cfg
            .hooks
            .get(name)
            .ok_or_else(|| SourceError::NoHook {
                name: name.to_string(),
            })?;
        return app.sources.files.of_hook(hook);
    }
    if source == "kafka" {
        return app
            .sources
            .kafka
            .as_ref()
            .map(|k| k.current())
            .ok_or(SourceError::NoKafka);
    }
    let repo_name = ev.meta.repository.clone().unwrap_or_default();
    let Some(repo) = app.settings.cfg.repository(&repo_name) else {
        return Err(SourceError::NoRepository { name: repo_name });
    };
    if !HANDLED.contains(&ev.name.as_str()) {
        return Err(SourceError::NotHandled {
            event: ev.name.clone(),
            repository: repo.name.clone(),
        });
    }
    if repo.path.is_none() {
        let Some(fetch) = &app.sources.github else {
            return Err(SourceError::NoGitHubClientFor {
                repository: repo.name.clone(),
            });
        };
        super::pull_requests::settle_hosted(fetch, &repo.name, ev).await;
        let rev = super::pull_requests::revision(ev);
        return app.sources.files.at_sha_on_github(fetch, repo, &rev).await;
    }
    let (app2, repo, mut owned) = (app.clone(), repo.clone(), ev.clone());
    let (owned, workflows) = tokio::task::spawn_blocking(move || {
        let workflows = local_workflows(&app2, &repo, &mut owned);
        (owned, workflows)
    })
    .await?;
    *ev = owned;
    workflows
}

/// The GitHub events a configured repository's deliveries are run for.
const HANDLED: &[&str] = &["push", "pull_request", "pull_request_target"];

/// A local repository's workflows for `ev`, once a pull request event is settled. Blocking.
fn local_workflows<B: ContainerBackend>(
    app: &App<B>,
    repo: &super::config::RepositoryConfig,
    ev: &mut Event,
) -> Result<Workflows, SourceError> {
    if let Some(path) = &repo.path {
        super::pull_requests::settle_local(repo, path, ev)?;
    }
    let sha = ev.meta.sha.clone().unwrap_or_default();
    app.sources.files.at_sha(repo, &sha)
}

/// Which workflows run for the event and which do not (and why).
pub struct Decided {
    pub runs: Vec<NewRun>,
    pub names: Vec<String>,
    pub not_matched: Vec<Value>,
}

pub fn decide(ev: &Event, workflows: &Result<Workflows, SourceError>) -> Decided {
    let mut d = Decided {
        runs: Vec::new(),
        names: Vec::new(),
        not_matched: Vec::new(),
    };
    let list = match workflows {
        Err(reason) => {
            d.not_matched
                .push(json!({ "workflow": null, "reasons": [reason.to_string()] }));
            return d;
        }
        Ok(list) => list,
    };
    let files: Vec<WorkflowFile<'_>> = list.iter().map(|l| l.as_file()).collect();
    let p = plan(ev, &files, &PlanOptions::default(), &NoFiles);
    for w in p.workflows {
        if !w.matched {
            d.not_matched
                .push(json!({ "workflow": w.file, "reasons": w.reasons }));
            continue;
        }
        let all_skipped = w.errors.is_empty()
            && w.run.as_ref().is_some_and(|r| {
                !r.jobs.is_empty()
                    && r.jobs
                        .iter()
                        .all(|j| matches!(j.condition, Decision::Now { value: false }))
            });
        d.names.push(w.name.clone());
        d.runs.push(NewRun {
            workflow_file: w.file.clone(),
            workflow_name: w.name.clone(),
            status: if all_skipped {
                Status::Completed
            } else {
                Status::Queued
            },
            conclusion: all_skipped.then_some(Conclusion::Skipped),
            graph: super::planned::graph(w.run.as_ref()),
            why: w.reasons,
        });
    }
    d
}

/// Records the event and its runs (or finds them recorded before) and queues new runs.
pub async fn accept<B: ContainerBackend>(
    app: &Arc<App<B>>,
    id: String,
    source: &str,
    ev: &Event,
    workflows: &Result<Workflows, SourceError>,
) -> Result<Accepted, StoreError> {
    let d = decide(ev, workflows);
    record(app, id, source, ev, d).await
}

/// Records the event and its runs and queues them. A caller that stops waiting part way
/// (its request dropped between the commit and the hand-over) leaves its runs recorded and
/// queued, and the scheduler's sweep picks them up (see `scheduler::swept`); the listener
/// keeps handling a request whose client half-closed, so that is rare.
pub async fn record<B: ContainerBackend>(
    app: &Arc<App<B>>,
    id: String,
    source: &str,
    ev: &Event,
    d: Decided,
) -> Result<Accepted, StoreError> {
    let submitted = submit_prepared(app, prepare(id, source, ev, d)).await?;
    settle(app, submitted).await
}

/// An accept handed to the store, its answer still to come.
pub struct Submitted {
    answer: Answer<Accepted>,
    /// Per run, whether it waits to execute here (not decided at once).
    queued: Vec<bool>,
}

/// What the store is given for an event: the event, its runs, and how its answer is built.
struct Prepared {
    event: NewEvent,
    runs: Vec<NewRun>,
    respond: Respond,
    queued: Vec<bool>,
}

/// Builds the stored answer from the run ids the store gives the event's runs.
type Respond = Box<dyn FnOnce(&[i64]) -> String + Send>;

fn prepare(id: String, source: &str, ev: &Event, d: Decided) -> Prepared {
    let queued: Vec<bool> = d.runs.iter().map(|r| r.status == Status::Queued).collect();
    let payload = serde_json::to_string(ev).unwrap_or_default();
    let event_id = id.clone();
    let (names, not_matched) = (d.names, d.not_matched);
    let respond = move |ids: &[i64]| {
        let runs: Vec<_> = ids
            .iter()
            .zip(&names)
            .map(|(id, n)| json!({ "id": id, "workflow": n }))
            .collect();
        json!({ "event_id": event_id, "runs": runs, "not_matched": not_matched }).to_string()
    };
    let event = NewEvent {
        id,
        source: source.into(),
        name: ev.name.clone(),
        payload,
    };
    Prepared {
        event,
        runs: d.runs,
        respond: Box::new(respond),
        queued,
    }
}

/// Hands the event and its runs to the store without waiting for the commit (see
/// [`gantry_store::Store::submit_accept`]).
pub async fn submit<B: ContainerBackend>(
    app: &Arc<App<B>>,
    id: String,
    source: &str,
    ev: &Event,
    d: Decided,
) -> Result<Submitted, StoreError> {
    submit_prepared(app, prepare(id, source, ev, d)).await
}

async fn submit_prepared<B: ContainerBackend>(
    app: &App<B>,
    p: Prepared,
) -> Result<Submitted, StoreError> {
    let answer = app
        .runs
        .store
        .submit_accept(p.event, p.runs, p.respond)
        .await?;
    Ok(Submitted {
        answer,
        queued: p.queued,
    })
}

/// Waits for the store's answer, counts it, and queues the new runs that execute here.
pub async fn settle<B: ContainerBackend>(
    app: &Arc<App<B>>,
    s: Submitted,
) -> Result<Accepted, StoreError> {
    let a = s.answer.wait().await?;
    if a.duplicate {
        app.runs.metrics.duplicates.fetch_add(1, Ordering::Relaxed);
    } else {
        app.runs.metrics.accepted.fetch_add(1, Ordering::Relaxed);
        for (r, q) in a.run_ids.iter().zip(s.queued) {
            if q {
                super::scheduler::enqueue(app, *r).await;
            }
        }
    }
    Ok(a)
}
