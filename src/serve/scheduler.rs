//! Executing recorded runs: a queue of run ids per tenant, at most `capacity` runs at once
//! (and `tenant_capacity` per tenant), a free slot going to the tenants in turn; each run
//! with its workspace (the pushed tree exported from git, or the hook's directory), a fresh
//! plan of its stored event and only its tenant's secrets (a secret the tenant does not have
//! fails the run before anything starts), run by the engine with its files on the scratch
//! tmpfs and reported into the store. After a crash, runs found in progress are marked
//! interrupted and run again while their attempts last (their old workspaces removed);
//! queued runs are picked up. On shutdown, running jobs get a grace period, then are
//! cancelled (and cleaned up); queued runs stay queued for the next start.

use super::fair::FairQueue;
use super::github::State;
use super::reporter::StoreReporter;
use super::sources::Workflows;
use super::App;
use crate::engine::{Conclusion, Engine, EngineConfig, RunRequest, Signals};
use crate::event::Event;
use crate::plan::PlanOptions;
use crate::store::read;
use crate::store::write::now_ms;
use crate::store::Op;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub async fn recover(app: &Arc<App>) -> anyhow::Result<()> {
    let c = app.store.reader()?;
    for r in read::runs_with_status(&c, "in_progress", &app.instance)? {
        // The interrupted attempt's checkout may hold what its steps wrote.
        let _ = std::fs::remove_dir_all(work_dir(app, r.id));
        if r.attempt < app.cfg.max_attempts {
            app.store.requeue(r.id).await?;
            enqueue(app, r.id);
        } else {
            app.store.send(Op::Run {
                run: r.id,
                status: "interrupted".into(),
                conclusion: Some("failure".into()),
                reason: Some(format!(
                    "gantry stopped while the run was in progress (attempt {} of {}); not run again",
                    r.attempt, app.cfg.max_attempts
                )),
                at: now_ms(),
            });
        }
    }
    for r in read::runs_with_status(&c, "queued", &app.instance)? {
        enqueue(app, r.id);
    }
    app.store.flush().await;
    Ok(())
}

pub fn enqueue(app: &App, id: i64) {
    app.metrics.queue_depth.fetch_add(1, Ordering::Relaxed);
    let _ = app.queue.send(id);
}

/// The tenant of a queued run, from its stored event ("" when the store cannot say: such a
/// run fails in `execute` anyway).
fn tenant_of_run(app: &App, c: Option<&rusqlite::Connection>, id: i64) -> String {
    match c.map(|c| read::run_origin(c, id)) {
        Some(Ok(Some((source, repo)))) => {
            super::tenants::of(&app.cfg, &source, repo.as_deref()).name
        }
        _ => String::new(),
    }
}

pub async fn run(app: Arc<App>, mut rx: mpsc::UnboundedReceiver<i64>, shutdown: CancellationToken) {
    let capacity = app.cfg.capacity.max(1);
    let cap = app.cfg.tenant_capacity.unwrap_or(capacity).max(1);
    let reader = app.store.reader().ok();
    let mut fair = FairQueue::default();
    let mut tenants: HashMap<tokio::task::Id, String> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        // Everything already sent is queued before a slot is given: the turn sees all tenants.
        while let Ok(id) = rx.try_recv() {
            fair.push(&tenant_of_run(&app, reader.as_ref(), id), id);
        }
        while fair.running() < capacity {
            let Some((tenant, id)) = fair.pop(cap) else {
                break;
            };
            app.metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
            let app = app.clone();
            let task = tasks.spawn(async move { execute(&app, id).await });
            tenants.insert(task.id(), tenant);
        }
        tokio::select! {
            id = rx.recv() => {
                let Some(id) = id else { break };
                fair.push(&tenant_of_run(&app, reader.as_ref(), id), id);
            }
            _ = shutdown.cancelled() => break,
            Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                let task = match done {
                    Ok((task, ())) => task,
                    Err(e) => e.id(),
                };
                if let Some(t) = tenants.remove(&task) {
                    fair.done(&t);
                }
            }
        }
    }
    // Drain: running jobs may finish within the grace period; then they are cancelled.
    let grace = Duration::from_secs(app.cfg.shutdown_grace_secs);
    let all_done = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, all_done).await.is_err() {
        if let Ok(r) = app.running.lock() {
            for s in r.values() {
                s.cancel.cancel();
            }
        }
        while tasks.join_next().await.is_some() {}
    }
}

fn finish(app: &App, id: i64, conclusion: &str, reason: Option<String>) {
    app.store.send(Op::Run {
        run: id,
        status: "completed".into(),
        conclusion: Some(conclusion.into()),
        reason,
        at: now_ms(),
    });
}

/// Where run `id` gets its checkout (or empty workspace) while it runs.
fn work_dir(app: &App, id: i64) -> PathBuf {
    app.cfg.data_dir.join("work").join(id.to_string())
}

/// The workflows and workspace of a stored event.
fn prepare(
    app: &App,
    id: i64,
    source: &str,
    ev: &Event,
    downloaded: Option<PathBuf>,
) -> Result<(Workflows, PathBuf, bool), String> {
    let work = work_dir(app, id);
    // A checkout left by an earlier attempt (a crash) is never reused.
    let _ = std::fs::remove_dir_all(&work);
    if let Some(name) = source.strip_prefix("hook:") {
        let hook = app
            .cfg
            .hooks
            .get(name)
            .ok_or_else(|| format!("hook `{name}` is no longer configured"))?;
        let workflows = app.sources.of_hook(hook)?;
        return match &hook.workspace {
            Some(w) => Ok((workflows, w.clone(), false)),
            None => {
                std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
                Ok((workflows, work, true))
            }
        };
    }
    if source == "kafka" {
        let k = app
            .cfg
            .kafka
            .as_ref()
            .ok_or("[kafka] is no longer configured")?;
        let workflows = app
            .kafka_workflows
            .as_ref()
            .map(|w| w.current())
            .unwrap_or_default();
        return match &k.workspace {
            Some(w) => Ok((workflows, w.clone(), false)),
            None => {
                std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
                Ok((workflows, work, true))
            }
        };
    }
    let name = ev.meta.repository.clone().unwrap_or_default();
    let repo = app
        .cfg
        .repository(&name)
        .ok_or_else(|| format!("repository `{name}` is no longer configured"))?;
    let sha = ev.meta.sha.clone().unwrap_or_default();
    if let Some(tree) = downloaded {
        // A GitHub repository: the tarball at the sha (cached) is copied, so runs cannot
        // change the cache.
        let workflows = app.sources.of_tree(&repo.name, &sha, &tree)?;
        copy_tree(&tree, &work).map_err(|e| format!("copying {}: {e}", tree.display()))?;
        return Ok((workflows, work, true));
    }
    let workflows = app.sources.at_sha(repo, &sha)?;
    let path = repo.path.as_ref().ok_or("no local path")?;
    crate::git::export_tree(path, &sha, &work).map_err(|e| e.to_string())?;
    Ok((workflows, work, true))
}

/// Puts the run's conclusion on the topic its workflow's `on: kafka` `publish:` names, in
/// the background (retried, logged, never failing the run).
fn publish_result(
    app: &Arc<App>,
    id: i64,
    model: &crate::model::Workflow,
    row: &read::RunRow,
    conclusion: &str,
    reason: Option<String>,
) {
    let Some(topic) = model.on.as_ref().and_then(|on| {
        on.value.events.iter().find_map(|t| match &t.config {
            crate::model::TriggerConfig::Kafka(k) => k.publish.as_ref().map(|p| p.value.clone()),
            _ => None,
        })
    }) else {
        return;
    };
    let value = serde_json::json!({
        "run_id": id,
        "attempt": row.attempt,
        "workflow": row.workflow_name,
        "workflow_file": row.workflow_file,
        "event_id": row.event_id,
        "event": row.event,
        "conclusion": conclusion,
        "reason": reason,
        "finished_at": now_ms(),
        "instance": app.instance,
    })
    .to_string();
    let app = app.clone();
    let key = row.event_id.clone();
    let ce_id = format!("run-{id}-{}", row.attempt);
    tokio::spawn(async move {
        let Some(p) = &app.kafka_producer else { return };
        let source = format!("gantry/{}", app.instance);
        let headers = [
            ("ce_specversion", "1.0"),
            ("ce_type", "dev.gantry.run.completed"),
            ("ce_source", source.as_str()),
            ("ce_id", ce_id.as_str()),
            ("content-type", "application/json"),
        ];
        for attempt in 1..=5u32 {
            let record = crate::kafka::Record {
                topic: &topic,
                key: Some(key.as_bytes()),
                value: Some(value.as_bytes()),
                headers: headers
                    .iter()
                    .map(|(k, v)| (*k, Some(v.as_bytes())))
                    .collect(),
            };
            match p.send(record).await {
                Ok(_) => return,
                Err(e) => {
                    eprintln!("gantry: publishing run {id} to {topic} (attempt {attempt}): {e}");
                    tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
                }
            }
        }
    });
}

/// The source tree of a push to a GitHub-hosted repository, downloaded at the sha.
async fn download(app: &App, source: &str, ev: &Event) -> Result<Option<PathBuf>, String> {
    if source != "github" {
        return Ok(None);
    }
    let name = ev.meta.repository.clone().unwrap_or_default();
    let Some(repo) = app.cfg.repository(&name).filter(|r| r.path.is_none()) else {
        return Ok(None);
    };
    let fetch = app
        .github_fetch
        .as_ref()
        .ok_or("no GitHub client could be built")?;
    let sha = ev.meta.sha.clone().unwrap_or_default();
    fetch
        .repository(&repo.name, &sha)
        .await
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Copies a directory tree (files, directories, symbolic links as links).
fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if entry.file_name() != ".gantry-complete" {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

async fn execute(app: &Arc<App>, id: i64) {
    let Ok(c) = app.store.reader() else { return };
    let Ok(Some(row)) = read::run(&c, id) else {
        return;
    };
    if row.status != "queued" {
        return;
    }
    let Ok(Some(event_row)) = read::event(&c, &row.event_id) else {
        return finish(
            app,
            id,
            "failure",
            Some("the run's event is missing".into()),
        );
    };
    let ev: Event = match serde_json::from_str(&event_row.payload) {
        Ok(e) => e,
        Err(e) => {
            return finish(
                app,
                id,
                "failure",
                Some(format!("the stored event cannot be read: {e}")),
            )
        }
    };
    let downloaded = match download(app, &event_row.source, &ev).await {
        Ok(d) => d,
        Err(e) => return finish(app, id, "failure", Some(e)),
    };
    let app2 = app.clone();
    let source = event_row.source.clone();
    let ev2 = ev.clone();
    let prepared =
        tokio::task::spawn_blocking(move || prepare(&app2, id, &source, &ev2, downloaded)).await;
    let (workflows, workspace, temporary) = match prepared {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return finish(app, id, "failure", Some(e)),
        Err(e) => return finish(app, id, "failure", Some(e.to_string())),
    };
    let platforms = match app.sources.platforms(&app.cfg.platforms) {
        Ok(p) => p.clone(),
        Err(e) => return finish(app, id, "failure", Some(format!("[platforms]: {e}"))),
    };
    let opts = PlanOptions {
        platforms,
        policy: app.policy.clone(),
        ..PlanOptions::default()
    };
    let p = crate::load::plan(&ev, &workflows, &opts, &workspace);
    let Some(outcome) = p
        .workflows
        .into_iter()
        .find(|w| w.file == row.workflow_file)
    else {
        return finish(
            app,
            id,
            "failure",
            Some(format!("{} is gone", row.workflow_file)),
        );
    };
    if !outcome.errors.is_empty() {
        return finish(app, id, "failure", Some(outcome.errors.join("; ")));
    }
    let (Some(run), Some(model)) = (
        outcome.run.clone(),
        workflows
            .iter()
            .find(|l| l.path == row.workflow_file)
            .and_then(|l| l.workflow.clone()),
    ) else {
        return finish(
            app,
            id,
            "skipped",
            Some("the workflow no longer matches the event".into()),
        );
    };
    // Only the tenant's secrets, and a secret it does not have fails the run now.
    let tenant = super::tenants::of(&app.cfg, &event_row.source, ev.meta.repository.as_deref());
    let secrets = app.secrets.tenant(tenant);
    if let Err(e) = secrets.check(&super::tenants::secret_names(&run)) {
        return finish(app, id, "failure", Some(e.to_string()));
    }
    let model_for_results = model.clone();
    let signals = Signals::default();
    if let Ok(mut r) = app.running.lock() {
        r.insert(id, signals.clone());
    }
    let group = run.concurrency.as_ref().map(|c| {
        let cancel = matches!(
            c.cancel_in_progress,
            crate::plan::Decision::Now { value: true }
        );
        (c.group.clone(), cancel)
    });
    if let Some((g, cancel)) = &group {
        let (entry, replaced) = app.groups.enter(g, id, signals.clone(), *cancel);
        if let Some(old) = replaced {
            finish(
                app,
                old,
                "cancelled",
                Some(format!("replaced by run {id} in concurrency group `{g}`")),
            );
        }
        if let super::concurrency::Entry::Wait(rx) = entry {
            app.store.send(Op::Log {
                run: id,
                job: String::new(),
                step: None,
                stream: "system".into(),
                line: format!("waiting for concurrency group `{g}`"),
                at: now_ms(),
            });
            let go = tokio::select! {
                r = rx => r.unwrap_or(false),
                _ = signals.cancel.cancelled() => false,
            };
            if !go {
                if let Ok(mut r) = app.running.lock() {
                    r.remove(&id);
                }
                if signals.cancel.is_cancelled() {
                    finish(
                        app,
                        id,
                        "cancelled",
                        Some("cancelled while waiting for its concurrency group".into()),
                    );
                }
                return;
            }
            app.groups.started(g, id, signals.clone());
        }
    }
    // Pushes from GitHub get a commit status, set beside the run (never holding it up).
    let status_target = (event_row.source == "github")
        .then(|| Some((ev.meta.repository.clone()?, ev.meta.sha.clone()?)))
        .flatten();
    let workflow_name = outcome.name.clone();
    if let Some((repo, sha)) = status_target.clone() {
        let app = app.clone();
        let name = workflow_name.clone();
        tokio::spawn(async move {
            if let Some(s) = &app.statuses {
                s.set(&repo, &sha, &name, id, State::Pending, "running")
                    .await;
            }
        });
    }
    app.store.send(Op::Run {
        run: id,
        status: "in_progress".into(),
        conclusion: None,
        reason: None,
        at: now_ms(),
    });
    let config = EngineConfig {
        workspace: workspace.clone(),
        // Each job gets its own copy: the service never bind-mounts a tree into a job, not
        // even its own export (jobs of one run must not see each other's changes).
        copy_workspace: true,
        max_jobs: app.cfg.capacity.max(1),
        run_root: app.run_root.clone(),
        policy: app.policy.clone(),
        ..EngineConfig::default()
    };
    let engine = Engine::new(app.backend.clone(), config).with_secrets(Arc::new(secrets));
    let reporter = Arc::new(StoreReporter {
        store: app.store.clone(),
        run: id,
        metrics: app.metrics.clone(),
    });
    let req = RunRequest {
        run_id: id.to_string(),
        run_number: id as u64,
        file: outcome.file.clone(),
        workflow_name: outcome.name.clone(),
        plan: run,
        event: ev,
    };
    let result = engine.run(req, reporter, signals).await;
    if let Ok(mut r) = app.running.lock() {
        r.remove(&id);
    }
    if let Some((g, _)) = &group {
        app.groups.leave(g, id);
    }
    let (state, description) = match result {
        Ok(r) => {
            let reason = (r.conclusion == Conclusion::Failure)
                .then(|| r.jobs.iter().find_map(|j| j.reason.clone()))
                .flatten();
            let state = match r.conclusion {
                Conclusion::Success | Conclusion::Skipped => State::Success,
                Conclusion::Failure => State::Failure,
                Conclusion::Cancelled => State::Error,
            };
            let description = reason
                .clone()
                .unwrap_or_else(|| r.conclusion.as_str().into());
            finish(app, id, r.conclusion.as_str(), reason.clone());
            publish_result(
                app,
                id,
                &model_for_results,
                &row,
                r.conclusion.as_str(),
                reason,
            );
            (state, description)
        }
        Err(e) => {
            finish(app, id, "failure", Some(e.to_string()));
            publish_result(
                app,
                id,
                &model_for_results,
                &row,
                "failure",
                Some(e.to_string()),
            );
            (State::Error, e.to_string())
        }
    };
    if let (Some((repo, sha)), Some(s)) = (status_target, &app.statuses) {
        s.set(&repo, &sha, &workflow_name, id, state, &description)
            .await;
    }
    if temporary {
        let _ = std::fs::remove_dir_all(&workspace);
    }
}
