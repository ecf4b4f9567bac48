//! Executing recorded runs: a queue of run ids per tenant, at most `capacity` runs at once
//! (and `tenant_capacity` per tenant), a free slot going to the tenants in turn; each run
//! with its workspace (the pushed tree exported from git, or the hook's directory), a fresh
//! plan of its stored event and only its tenant's secrets (a secret the tenant does not have
//! fails the run before anything starts), run by the engine with its files on the scratch
//! tmpfs and reported into the store. After a crash, runs found in progress are marked
//! interrupted and run again while their attempts last (their old workspaces removed);
//! queued runs are picked up. A run is handed over by the request that recorded it and,
//! should that hand-over be lost (the request dropped after the commit), found by a sweep of
//! the store every few seconds; it starts only once the store's writer has claimed it
//! (queued → in progress), so a run handed over twice starts once. Any instance sharing the
//! store claims any queued run; a claim is a lease this instance's heartbeat renews while the
//! run executes, and each sweep takes over the runs of instances that stopped renewing
//! theirs (`leases`). A cancel asked through the store of a run executing here (by another
//! instance's API, or `cancel-in-progress`) is found by a poll (`controls`), and
//! `concurrency:` groups are the store's, shared by all instances (`groups`). On shutdown, running jobs get a grace period, then are
//! cancelled (and cleaned up); queued runs stay queued for the next start.

use super::reporter::StoreReporter;
use super::secrets_wait::Patient;
use super::sources::SourceError;
use super::sources::Workflows;
use super::App;
use gantry_engine::backend::ContainerBackend;
use gantry_engine::{Conclusion, Engine, EngineConfig, RunRequest, Signals};
use gantry_github::State;
use gantry_plan::event::Event;
use gantry_plan::PlanOptions;
use gantry_store::read;
use gantry_store::write::now_ms;
use gantry_store::Attempt;
use gantry_store::Op;
use gantry_store::Status;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// After a start: runs this instance left in progress are run again while their attempts
/// last (else marked interrupted), and queued runs are picked up. Returns the runs to queue.
pub async fn recover<B: ContainerBackend>(app: &Arc<App<B>>) -> anyhow::Result<Vec<i64>> {
    let c = app.runs.store.reader().await?;
    // Read before the requeues below make the interrupted runs queued too: each run is
    // handed to the scheduler once (twice, it would run twice at the same time).
    let queued = read::runs_with_status(&c, Status::Queued, &app.settings.instance).await?;
    let mut queue = Vec::new();
    for r in read::runs_with_status(&c, Status::InProgress, &app.settings.instance).await? {
        // The interrupted attempt's checkout may hold what its steps wrote.
        let _ = std::fs::remove_dir_all(work_dir(app, r.id));
        if r.attempt < app.settings.cfg.max_attempts {
            // Unless another instance took it over meanwhile: then it is that one's.
            if !app.runs.store.requeue_own(r.id, r.attempt).await? {
                tracing::info!(run = r.id, "taken over by another instance meanwhile");
                continue;
            }
            tracing::info!(
                run = r.id,
                attempt = r.attempt + 1,
                "run again after a stop"
            );
            queue.push(r.id);
        } else {
            let attempt = r.attempt;
            app.runs.store.send_fenced(Op::Run {
                run: r.id,
                status: Status::Interrupted,
                conclusion: Some(Conclusion::Failure),
                reason: Some(format!(
                    "gantry stopped while the run was in progress (attempt {} of {}); not run again",
                    r.attempt, app.settings.cfg.max_attempts
                )),
                at: now_ms(),
            }, attempt)?;
        }
    }
    queue.extend(queued.iter().map(|r| r.id));
    app.runs.store.flush().await?;
    app.runs
        .metrics
        .queue_depth
        .fetch_add(queue.len() as i64, Ordering::Relaxed);
    Ok(queue)
}

/// Hands a recorded run to the scheduler, waiting while its queue is full: the run is
/// durable already, the wait only slows down whoever brought the event.
pub async fn enqueue<B: ContainerBackend>(app: &App<B>, id: i64) {
    app.runs.metrics.queue_depth.fetch_add(1, Ordering::Relaxed);
    if app.runs.queue.send(id).await.is_err() {
        app.runs.metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
        tracing::info!(
            run = id,
            "the scheduler has stopped: the run stays queued for the next start"
        );
    }
}

/// The tenant of a queued run, from its stored event ("" when the store cannot say: such a
/// run fails in `execute` anyway).
async fn tenant_of_run<B: ContainerBackend>(
    app: &App<B>,
    c: Option<&gantry_store::Reader>,
    id: i64,
) -> String {
    let Some(c) = c else {
        return String::new();
    };
    match read::run_origin(c, id).await {
        Ok(Some((source, repo))) => {
            super::tenants::of(&app.settings.cfg, &source, repo.as_deref()).name
        }
        _ => String::new(),
    }
}

/// Runs waiting for a slot that the scheduler holds at most; beyond them, [`enqueue`]
/// waits (the runs are in the store; only their ids are held here).
const MAX_WAITING: usize = 10_000;

/// How often the store is swept for queued runs nobody holds, and how old (since recorded)
/// a run must be to be taken so: younger ones are still being handed over.
pub const SWEEP: Duration = Duration::from_secs(5);

pub async fn run<B: ContainerBackend>(
    app: Arc<App<B>>,
    recovered: Vec<i64>,
    mut rx: mpsc::Receiver<i64>,
    shutdown: CancellationToken,
) {
    let capacity = app.settings.cfg.capacity.max(1);
    let cap = app.settings.cfg.tenant_capacity.unwrap_or(capacity).max(1);
    let mut reader = app
        .runs
        .store
        .reader()
        .await
        .map_err(|e| tracing::warn!(error = %e, "no store reader for tenants: one shared turn"))
        .ok();
    let mut held = Held::default();
    for id in recovered {
        held.admit(&tenant_of_run(&app, reader.as_ref(), id).await, id);
    }
    let mut tasks = tokio::task::JoinSet::new();
    // Renews the leases of the runs executing here until the last of them has ended.
    let beat = CancellationToken::new();
    let heart = tokio::spawn(leases::heartbeat(app.clone(), beat.clone()));
    // Acts on cancels asked through the store (another instance's API) until then too.
    let controls = tokio::spawn(controls::poll(app.clone(), beat.clone()));
    // No run starts while the container runtime does not answer: they wait, queued.
    let mut runtime = app.exec.runtime.subscribe();
    let every = app.settings.sweep;
    let mut sweep = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        // Everything already sent is queued before a slot is given: the turn sees all tenants.
        while held.waiting() < MAX_WAITING {
            let Ok(id) = rx.try_recv() else { break };
            handed(
                &app,
                &mut held,
                &tenant_of_run(&app, reader.as_ref(), id).await,
                id,
            );
        }
        let slots = if *runtime.borrow_and_update() {
            capacity
        } else {
            0
        };
        while let Some((t, id)) = held.next(slots, cap) {
            let app = app.clone();
            let run = async move {
                let claimed = queued_run(&app, id).await;
                // Out of the queue once its claim is decided (committed, so the store says
                // in progress too): until then the Kafka source counts it as queued, and its
                // room (`max_queued_runs`) matches the runs queued in the store.
                app.runs.metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
                execute_claimed(&app, id, claimed).await
            };
            let task = tasks.spawn(run.instrument(tracing::info_span!("run", run = id)));
            held.started(task.id(), t, id);
        }
        tokio::select! {
            id = rx.recv(), if held.waiting() < MAX_WAITING => {
                let Some(id) = id else { break };
                let tenant = tenant_of_run(&app, reader.as_ref(), id).await;
                handed(&app, &mut held, &tenant, id);
            }
            _ = sweep.tick() => {
                // A PostgreSQL connection lost meanwhile is replaced here, once a sweep.
                if reader.as_ref().is_none_or(gantry_store::Reader::is_broken) {
                    reader = app.runs.store.reader().await.ok();
                }
                leases::take_over(&app).await;
                swept(&app, &mut held, reader.as_ref()).await
            }
            Ok(()) = runtime.changed() => {}
            _ = shutdown.cancelled() => break,
            Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                held.ended(match done {
                    Ok((task, ())) => task,
                    Err(e) => e.id(),
                });
            }
        }
    }
    // Drain: running jobs may finish within the grace period; then they are cancelled.
    let grace = Duration::from_secs(app.settings.cfg.shutdown_grace_secs);
    let all_done = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, all_done).await.is_err() {
        app.exec.cancel_all();
        while tasks.join_next().await.is_some() {}
    }
    beat.cancel();
    let _ = heart.await;
    let _ = controls.await;
}

/// A run handed over by whoever recorded it ([`enqueue`] counted it); one held already
/// (found by a sweep first) is not held twice.
fn handed<B: ContainerBackend>(app: &App<B>, held: &mut Held, tenant: &str, id: i64) {
    if !held.admit(tenant, id) {
        app.runs.metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Holds the queued runs of this instance that nobody holds: ones whose hand-over was lost
/// (a request dropped between the commit and the hand-over, a store that failed under the
/// scheduler). A run taken twice so still starts once: the store's claim decides.
async fn swept<B: ContainerBackend>(
    app: &App<B>,
    held: &mut Held,
    reader: Option<&gantry_store::Reader>,
) {
    let room = MAX_WAITING.saturating_sub(held.waiting());
    let (Some(c), true) = (reader, room > 0) else {
        return;
    };
    let before = now_ms() - app.settings.sweep.as_millis() as i64;
    let ids = match read::queued_before(c, before, room).await {
        Ok(ids) => ids,
        Err(e) => return tracing::error!(error = %e, "sweeping the store for queued runs"),
    };
    for id in ids {
        if !held.holds(id) && held.admit(&tenant_of_run(app, reader, id).await, id) {
            app.runs.metrics.queue_depth.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                run = id,
                "a queued run nobody held is picked up by the sweep"
            );
        }
    }
}

/// Records the run's end (fenced by the attempt this instance claimed, when it did). The
/// store keeps it until it can write it (a full disk), so the run ends recorded; only a
/// stopped writer loses it, and then the next start marks the run.
fn finish<B: ContainerBackend>(
    app: &App<B>,
    (id, fenced): (i64, Option<&Fenced>),
    conclusion: Conclusion,
    reason: Option<String>,
) {
    if fenced.is_some_and(Fenced::lost) {
        return tracing::info!(run = id, "{}: its end is not recorded", leases::TAKEN_OVER);
    }
    tracing::info!(run = id, conclusion = conclusion.as_str(), "run finished");
    record(
        app,
        fenced,
        Op::Run {
            run: id,
            status: Status::Completed,
            conclusion: Some(conclusion),
            reason,
            at: now_ms(),
        },
    );
}

/// Sends a change of the run to the store (fenced by the attempt this instance claimed,
/// when it did), saying so when the store has stopped.
fn record<B: ContainerBackend>(app: &App<B>, fenced: Option<&Fenced>, op: Op) {
    let sent = match fenced {
        Some(f) => f.send(&app.runs.store, op),
        None => app.runs.store.send(op),
    };
    if let Err(e) = sent {
        tracing::error!(error = %e, "a run's change was not recorded");
    }
}

/// Where run `id` gets its checkout (or empty workspace) while it runs.
fn work_dir<B: ContainerBackend>(app: &App<B>, id: i64) -> PathBuf {
    app.settings.cfg.data_dir.join("work").join(id.to_string())
}

/// The workflows and workspace of a stored event.
fn prepare<B: ContainerBackend>(
    app: &App<B>,
    id: i64,
    source: &str,
    ev: &Event,
    downloaded: Option<PathBuf>,
) -> Result<(Workflows, PathBuf, bool), SourceError> {
    let work = work_dir(app, id);
    // A checkout left by an earlier attempt (a crash) is never reused.
    let _ = std::fs::remove_dir_all(&work);
    if let Some(name) = source.strip_prefix("hook:") {
        let hook = app
            .settings
            .cfg
            .hooks
            .get(name)
            .ok_or_else(|| SourceError::HookGone {
                name: name.to_string(),
            })?;
        let workflows = app.sources.files.of_hook(hook)?;
        return match &hook.workspace {
            Some(w) => Ok((workflows, w.clone(), false)),
            None => {
                std::fs::create_dir_all(&work).map_err(SourceError::Workspace)?;
                Ok((workflows, work, true))
            }
        };
    }
    if source == "kafka" {
        let k = app
            .settings
            .cfg
            .kafka
            .as_ref()
            .ok_or(SourceError::KafkaGone)?;
        let workflows = app
            .sources
            .kafka
            .as_ref()
            .map(|w| w.current())
            .unwrap_or_default();
        return match &k.workspace {
            Some(w) => Ok((workflows, w.clone(), false)),
            None => {
                std::fs::create_dir_all(&work).map_err(SourceError::Workspace)?;
                Ok((workflows, work, true))
            }
        };
    }
    let name = ev.meta.repository.clone().unwrap_or_default();
    let repo = app
        .settings
        .cfg
        .repository(&name)
        .ok_or(SourceError::RepositoryGone { name })?;
    let sha = super::pull_requests::revision(ev);
    if let Some(tree) = downloaded {
        // A GitHub repository: the tarball at the sha (cached) is copied, so runs cannot
        // change the cache.
        let workflows = app.sources.files.of_tree(&repo.name, &sha, &tree)?;
        copy_tree(&tree, &work).map_err(|error| SourceError::Copy {
            path: tree.clone(),
            error,
        })?;
        return Ok((workflows, work, true));
    }
    let path = repo.path.as_ref().ok_or(SourceError::NoLocalPath)?;
    super::pull_requests::rebuild_merge(repo, path, ev)?;
    let workflows = app.sources.files.at_sha(repo, &sha)?;
    gantry_load::git::export_tree(path, &sha, &work)?;
    Ok((workflows, work, true))
}

/// Puts the run's conclusion on the topic its workflow's `on: kafka` `publish:` names, in
/// the background (retried, logged, never failing the run).
fn publish_result<B: ContainerBackend>(
    app: &Arc<App<B>>,
    id: i64,
    model: &gantry_core::model::Workflow,
    row: &read::RunRow,
    conclusion: Conclusion,
    reason: Option<String>,
) {
    let Some(topic) = model.on.as_ref().and_then(|on| {
        on.value.events.iter().find_map(|t| match &t.config {
            gantry_core::model::TriggerConfig::Kafka(k) => {
                k.publish.as_ref().map(|p| p.value.clone())
            }
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
        "conclusion": conclusion.as_str(),
        "reason": reason,
        "finished_at": now_ms(),
        "instance": app.settings.instance,
    })
    .to_string();
    let app = app.clone();
    let key = row.event_id.clone();
    let ce_id = format!("run-{id}-{}", row.attempt);
    tokio::spawn(async move {
        let Some(p) = &app.outbound.kafka_producer else {
            return;
        };
        let source = format!("gantry/{}", app.settings.instance);
        let headers = [
            ("ce_specversion", "1.0"),
            ("ce_type", "dev.gantry.run.completed"),
            ("ce_source", source.as_str()),
            ("ce_id", ce_id.as_str()),
            ("content-type", "application/json"),
        ];
        for attempt in 1..=5u32 {
            let record = gantry_kafka::Record {
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
                    tracing::warn!(run = id, topic = %topic, attempt, error = %e, "publishing a run's conclusion");
                    tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
                }
            }
        }
    });
}

/// The source tree of a push to a GitHub-hosted repository, downloaded at the sha.
async fn download<B: ContainerBackend>(
    app: &App<B>,
    source: &str,
    ev: &Event,
) -> Result<Option<PathBuf>, SourceError> {
    if source != "github" {
        return Ok(None);
    }
    let name = ev.meta.repository.clone().unwrap_or_default();
    let Some(repo) = app
        .settings
        .cfg
        .repository(&name)
        .filter(|r| r.path.is_none())
    else {
        return Ok(None);
    };
    let fetch = app
        .sources
        .github
        .as_ref()
        .ok_or(SourceError::NoGitHubClient)?;
    let rev = super::pull_requests::revision(ev);
    Ok(Some(fetch.repository(&repo.name, &rev).await?))
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

/// The run and its event, once this instance has claimed the queued run (see
/// [`gantry_store::Store::claim`]): a run handed over twice starts once. A store that
/// cannot read or write now makes the run wait (tried again with backoff), never fail;
/// on shutdown it stays queued for the next start.
async fn queued_run<B: ContainerBackend>(
    app: &Arc<App<B>>,
    id: i64,
) -> Option<(read::RunRow, read::EventRow, Instant)> {
    let mut wait = Duration::from_millis(200);
    loop {
        let error = match load(app, id).await {
            Ok(None) => return None,
            // At the attempt read: the one this instance executes and fences its changes by.
            // The lease runs at least a lease from before the claim was asked.
            Ok(Some((row, ev))) => match claim(app, id, row.attempt).await {
                (Ok(true), asked) => return Some((row, ev, asked)),
                (Ok(false), _) => {
                    tracing::debug!("taken or run already: not run again");
                    return None;
                }
                (Err(e), _) => e,
            },
            Err(e) => e,
        };
        if !app.intake.is_accepting() {
            tracing::warn!(error = %error, "a queued run while shutting down: it stays queued");
            return None;
        }
        tracing::error!(error = %error, "taking a queued run; trying again");
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// Claims run `id` at `attempt`; with when the claim was asked.
async fn claim<B: ContainerBackend>(
    app: &App<B>,
    id: i64,
    attempt: i64,
) -> (Result<bool, gantry_store::StoreError>, Instant) {
    let asked = Instant::now();
    (app.runs.store.claim_attempt(id, attempt).await, asked)
}

/// `None`: nothing to run (gone, no longer queued, or its event missing: then failed).
async fn load<B: ContainerBackend>(
    app: &App<B>,
    id: i64,
) -> Result<Option<(read::RunRow, read::EventRow)>, gantry_store::StoreError> {
    let c = app.runs.store.reader().await?;
    let Some(row) = read::run(&c, id).await? else {
        tracing::warn!("a queued run is not in the store");
        return Ok(None);
    };
    if row.status != Status::Queued {
        tracing::debug!(status = %row.status, "no longer queued: not run");
        return Ok(None);
    }
    match read::event(&c, &row.event_id).await? {
        Some(event) => Ok(Some((row, event))),
        None => {
            let reason = "the run's event is missing".to_string();
            finish(app, (id, None), Conclusion::Failure, Some(reason));
            Ok(None)
        }
    }
}

/// A queued run ready to start: its plan, its event, the tenant's secrets and the files
/// its jobs get.
struct Ready {
    ev: Event,
    file: String,
    name: String,
    plan: gantry_plan::WorkflowPlan,
    model: Arc<gantry_core::model::Workflow>,
    secrets: gantry_secrets::ScopedStore,
    workspace: PathBuf,
    /// The workspace is this run's own copy, removed at the end.
    temporary: bool,
    /// The repositories of remote reusable workflows it was planned with.
    remote: gantry_load::RemoteRepos,
}

/// The repositories of the remote reusable workflows `workflows` call, fetched (and cached)
/// with the service's GitHub client; without one, none (the plan names each such call).
async fn remote_repos<B: ContainerBackend>(
    app: &App<B>,
    workflows: &[gantry_load::Loaded],
    workspace: &std::path::Path,
) -> gantry_load::RemoteRepos {
    let Some(github) = &app.sources.github else {
        return gantry_load::RemoteRepos::default();
    };
    let fetch = |at: gantry_load::RepoAt| async move {
        github
            .repository(&at.repository, &at.git_ref)
            .await
            .map_err(|e| e.to_string())
    };
    gantry_load::fetch_remote_calls(workflows, workspace, fetch).await
}

/// A run that ends before it starts: its conclusion and why.
type Stop = (Conclusion, String);

fn failed(reason: impl ToString) -> Stop {
    (Conclusion::Failure, reason.to_string())
}

/// Claims queued run `id` and executes it (tests: the scheduler claims first, see `run`).
#[cfg(test)]
async fn execute<B: ContainerBackend>(app: &Arc<App<B>>, id: i64) {
    let claimed = queued_run(app, id).await;
    execute_claimed(app, id, claimed).await
}

/// Executes run `id` once claimed here (`None`: it was not, nothing to do).
async fn execute_claimed<B: ContainerBackend>(
    app: &Arc<App<B>>,
    id: i64,
    claimed: Option<(read::RunRow, read::EventRow, Instant)>,
) {
    let Some((row, event_row, asked)) = claimed else {
        return;
    };
    // Claimed: its lease is renewed until the run ends, however it ends; once lost, the
    // run is cancelled and records nothing more.
    let attempt = Attempt {
        run: id,
        attempt: row.attempt,
    };
    let lease = app.runs.leased.hold(attempt, asked);
    let fenced = &lease.fenced;
    let ready = match ready(app, id, &row, &event_row).await {
        Ok(ready) => ready,
        Err((conclusion, reason)) => {
            return finish(app, (id, Some(fenced)), conclusion, Some(reason))
        }
    };
    if fenced.lost() || !secrets_reachable(app, id, &ready).await {
        return remove_workspace(id, ready.temporary, &ready.workspace);
    }
    let signals = Signals {
        cancel: fenced.token().child_token(),
        ..Signals::default()
    };
    app.exec.track(id, signals.clone());
    let group = ready.plan.concurrency.as_ref().map(|c| {
        let cancel = matches!(
            c.cancel_in_progress,
            gantry_plan::Decision::Now { value: true }
        );
        (c.group.clone(), cancel)
    });
    if let Some((g, cancel)) = &group {
        if !groups::enter(app, (id, fenced), g, *cancel, &signals).await {
            return;
        }
    }
    // Runs of GitHub deliveries get a commit status (a pull request's on its head commit),
    // set beside the run (never holding it up).
    let status_target = (event_row.source == "github")
        .then(|| {
            Some((
                ready.ev.meta.repository.clone()?,
                gantry_plan::event::status_sha(&ready.ev)?,
            ))
        })
        .flatten();
    if let Some((repo, sha)) = status_target.clone() {
        let (app, name) = (app.clone(), ready.name.clone());
        tokio::spawn(async move {
            if let Some(s) = &app.outbound.statuses {
                s.set(&repo, &sha, &name, id, State::Pending, "running")
                    .await;
            }
        });
    }
    let (workspace, temporary, name) =
        (ready.workspace.clone(), ready.temporary, ready.name.clone());
    let model = ready.model.clone();
    let outages = app.exec.outages.load(Ordering::SeqCst);
    let result = run_engine(app, (id, fenced), &row, ready, signals).await;
    app.exec.forget(id);
    if let Some((g, _)) = &group {
        groups::leave(app, g, id).await;
    }
    if fenced.lost() {
        // Another instance runs it (or will): nothing more here, nothing recorded.
        gantry_engine::remove_run_leftovers(&*app.exec.backend, &id.to_string()).await;
        tracing::warn!("{}: the run stopped here unrecorded", leases::TAKEN_OVER);
        return remove_workspace(id, temporary, &workspace);
    }
    let succeeded = matches!(&result, Ok(r) if r.conclusion != Conclusion::Failure);
    if !succeeded && super::runtime_watch::lost_since(app, outages).await {
        lost_runtime(app, (id, fenced), &row).await;
        remove_workspace(id, temporary, &workspace);
        return;
    }
    let (state, description) = conclude(app, (id, fenced), &row, &model, result);
    if let (Some((repo, sha)), Some(s)) = (status_target, &app.outbound.statuses) {
        s.set(&repo, &sha, &name, id, state, &description).await;
    }
    remove_workspace(id, temporary, &workspace);
}

fn remove_workspace(id: i64, temporary: bool, workspace: &std::path::Path) {
    if temporary {
        if let Err(e) = std::fs::remove_dir_all(workspace) {
            tracing::warn!(run = id, "removing the run's workspace copy: {e}");
        }
    }
}

/// The container runtime was lost while the run was in progress: its failure is not the
/// run's. Once the runtime answers again, what the run left is removed and the run goes
/// again as its next attempt while attempts last (as after a crash of the service; the
/// sweep hands it to the scheduler), else it fails saying why. On shutdown it stays in
/// progress, for the next start to recover.
async fn lost_runtime<B: ContainerBackend>(
    app: &Arc<App<B>>,
    (id, fenced): (i64, &Fenced),
    row: &read::RunRow,
) {
    tracing::warn!(run = id, "the container runtime was lost during the run");
    if !super::runtime_watch::back(app).await {
        return;
    }
    let removed = gantry_engine::remove_run_leftovers(&*app.exec.backend, &id.to_string()).await;
    let max = app.settings.cfg.max_attempts;
    if row.attempt >= max {
        let reason = format!(
            "the container runtime was lost while the run was in progress (attempt {} of {max}); not run again",
            row.attempt
        );
        return finish(app, (id, Some(fenced)), Conclusion::Failure, Some(reason));
    }
    // Only while the attempt is still this instance's (not taken over meanwhile).
    match app.runs.store.requeue_own(id, row.attempt).await {
        Ok(false) => tracing::info!(run = id, "taken over by another instance meanwhile"),
        Ok(true) => tracing::info!(
            run = id,
            attempt = row.attempt + 1,
            removed,
            "run again: the container runtime was lost during its last attempt"
        ),
        Err(e) => {
            tracing::error!(run = id, error = %e, "requeueing a run after the runtime was lost; the next start recovers it")
        }
    }
}

/// Reads the run's event, fetches and checks its workflow sources, plans it and scopes the
/// tenant's secrets; any of these failing ends the run before it starts.
async fn ready<B: ContainerBackend>(
    app: &Arc<App<B>>,
    id: i64,
    row: &read::RunRow,
    event_row: &read::EventRow,
) -> Result<Ready, Stop> {
    let ev: Event = serde_json::from_str(&event_row.payload)
        .map_err(|e| failed(format!("the stored event cannot be read: {e}")))?;
    let downloaded = download(app, &event_row.source, &ev)
        .await
        .map_err(failed)?;
    let (app2, source, ev2) = (app.clone(), event_row.source.clone(), ev.clone());
    let (workflows, workspace, temporary) =
        tokio::task::spawn_blocking(move || prepare(&app2, id, &source, &ev2, downloaded))
            .await
            .map_err(failed)?
            .map_err(failed)?;
    let platforms = app
        .sources
        .files
        .platforms(&app.settings.cfg.platforms)
        .map_err(|e| failed(format!("[platforms]: {e}")))?;
    let opts = PlanOptions {
        platforms: platforms.clone(),
        platform_hint: gantry_plan::platform::PlatformHint::Table,
        policy: app.settings.policy.clone(),
        ..PlanOptions::default()
    };
    let remote = remote_repos(app, &workflows, &workspace).await;
    let p = gantry_load::plan_with_remote(&ev, &workflows, &opts, &workspace, remote.clone());
    let Some(outcome) = p
        .workflows
        .into_iter()
        .find(|w| same_file::same_file(&w.file, &row.workflow_file))
    else {
        return Err(failed(format!("{} is gone", row.workflow_file)));
    };
    if !outcome.errors.is_empty() {
        return Err(failed(outcome.errors_text()));
    }
    let model = workflows
        .iter()
        .find(|l| same_file::same_file(&l.path, &row.workflow_file))
        .and_then(|l| l.workflow.clone());
    let (Some(plan), Some(model)) = (outcome.run, model) else {
        let reason = "the workflow no longer matches the event".to_string();
        return Err((Conclusion::Skipped, reason));
    };
    let secrets = run_secrets(app, &event_row.source, &ev, &plan)?;
    Ok(Ready {
        ev,
        file: outcome.file,
        name: outcome.name,
        plan,
        model,
        secrets,
        workspace,
        temporary,
        remote,
    })
}

/// Only the tenant's secrets: a secret it does not have fails the run now. A `pull_request`
/// from a fork gets them all empty, as on GitHub (see `pull_requests::withholds_secrets`).
fn run_secrets<B: ContainerBackend>(
    app: &App<B>,
    source: &str,
    ev: &Event,
    plan: &gantry_plan::WorkflowPlan,
) -> Result<gantry_secrets::ScopedStore, Stop> {
    let names = super::tenants::secret_names(plan);
    let tenant = super::tenants::of(&app.settings.cfg, source, ev.meta.repository.as_deref());
    let mut secrets = app.settings.secrets.tenant(tenant);
    if super::pull_requests::withholds_secrets(ev) {
        secrets = secrets.withholding();
    }
    secrets.check(&names).map_err(failed)?;
    Ok(secrets)
}

/// Waits while Vault does not answer for the run's secrets (tried with backoff, said in the
/// log): a secret store that is down makes runs wait, not fail. Any other answer is left to
/// the engine, which reports it on the job that needs the secret. False once shutdown
/// began: the run stays in progress, and the next start runs it again.
async fn secrets_reachable<B: ContainerBackend>(app: &App<B>, id: i64, ready: &Ready) -> bool {
    let names = super::tenants::secret_names(&ready.plan);
    if names.is_empty() {
        return true;
    }
    // Shutdown ends the wait: the run stays in progress, and the next start runs it again.
    // The values are read again by the engine, job by job; these are dropped.
    let answer = app
        .exec
        .secrets
        .wait_for(app.intake.stopping(), || ready.secrets.fetch(&names))
        .await;
    let waited_out = matches!(answer, Err(gantry_secrets::SecretError::Unreachable { .. }));
    if waited_out {
        tracing::info!(
            run = id,
            "shutting down while the run waited for the secret store"
        );
    }
    !waited_out
}

/// Runs the claimed run's plan on the engine, reporting to the store.
async fn run_engine<B: ContainerBackend>(
    app: &Arc<App<B>>,
    (id, fenced): (i64, &Fenced),
    row: &read::RunRow,
    ready: Ready,
    signals: Signals,
) -> Result<gantry_engine::RunResult, gantry_engine::EngineError> {
    // Recorded in progress already: when it was claimed.
    tracing::info!(workflow = %row.workflow_file, attempt = row.attempt, "run started");
    let runner = &app.settings.cfg.runner;
    let tenant = ready
        .secrets
        .tenant()
        .map_or("default", |t| t.name.as_str());
    let tool_cache = super::job_services::tool_cache(&app.settings.cfg, tenant)
        .map_err(|e| gantry_engine::EngineError::io("creating the tenant's tool cache", e))?;
    let config = EngineConfig {
        workspace: ready.workspace.clone(),
        // Each job gets its own copy: the service never bind-mounts a tree into a job, not
        // even its own export (jobs of one run must not see each other's changes).
        copy_workspace: true,
        max_jobs: app.settings.cfg.capacity.max(1),
        run_root: app.settings.run_root.clone(),
        policy: app.settings.policy.clone(),
        externals: Some(super::job_services::externals(runner)),
        tool_cache: Some(tool_cache),
        ..EngineConfig::default()
    };
    let mut engine =
        Engine::new(app.exec.backend.clone(), config).with_secrets(Arc::new(Patient {
            inner: ready.secrets,
            health: app.exec.secrets.clone(),
            stop: signals.cancel.clone(),
        }));
    if let Some(services) = &app.exec.services {
        engine = engine.with_services(services.clone());
    }
    let engine = engine.with_actions(app.exec.actions.clone());
    let reporter = Arc::new(StoreReporter {
        store: app.runs.store.clone(),
        run: id,
        fenced: fenced.clone(),
        metrics: app.runs.metrics.clone(),
        budget: crate::log_budget::LogBudget::new(app.settings.cfg.logs),
    });
    let kept = kept::load(app, id, row.attempt).await?;
    let req = RunRequest {
        attempt: u32::try_from(row.attempt).unwrap_or(1),
        run_id: id.to_string(),
        run_number: id as u64,
        file: ready.file,
        workflow_name: ready.name,
        plan: ready.plan,
        event: ready.ev,
        remote: ready.remote,
        kept,
    };
    engine.run(req, reporter, signals).await
}

/// Records how the run ended and publishes it; the commit status to set and its text.
fn conclude<B: ContainerBackend>(
    app: &Arc<App<B>>,
    (id, fenced): (i64, &Fenced),
    row: &read::RunRow,
    model: &gantry_core::model::Workflow,
    result: Result<gantry_engine::RunResult, gantry_engine::EngineError>,
) -> (State, String) {
    let (conclusion, reason) = match &result {
        Ok(r) => {
            let reason = (r.conclusion == Conclusion::Failure)
                .then(|| r.jobs.iter().find_map(|j| j.reason.clone()))
                .flatten();
            (r.conclusion, reason)
        }
        Err(e) => (Conclusion::Failure, Some(e.to_string())),
    };
    if let Ok(r) = &result {
        kept::record_results(app, (id, fenced), r);
    }
    finish(app, (id, Some(fenced)), conclusion, reason.clone());
    publish_result(app, id, model, row, conclusion, reason.clone());
    let state = match (&result, conclusion) {
        (Err(_), _) | (_, Conclusion::Cancelled) => State::Error,
        (_, Conclusion::Success | Conclusion::Skipped) => State::Success,
        (_, Conclusion::Failure) => State::Failure,
    };
    let description = reason.unwrap_or_else(|| conclusion.as_str().into());
    (state, description)
}

mod controls;
mod groups;
mod held;
mod kept;
mod leases;
mod same_file;

pub(crate) use leases::{Fenced, Leased};
#[cfg(test)]
mod tests;

use held::Held;
