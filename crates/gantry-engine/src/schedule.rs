//! A run's job graph: each job starts as soon as every job it needs has finished (a DAG,
//! not stages), at most `max_jobs` at once and `max-parallel` legs per matrix; a failed leg
//! cancels its siblings when `fail-fast` holds; Ctrl-C cancels what runs. At the end the
//! run removes everything labelled with its id, whatever happened.

use super::cleanup::{remove_leftovers, remove_stale};
use super::context::RunCtx;
use super::error::EngineError;
use super::job::{run_job, JobStart};
use super::layout::{WorkspaceMount, EVENT_PATH, WORKSPACE};
use super::masked::Masked;
use super::report::{millis, Conclusion, Reporter, RunEvent};
use super::{Engine, JobResult, KeptJob, RunRequest, RunResult, Signals};
use crate::backend::{ContainerBackend, LABEL_RUN};
use crate::mask::Masker;
use gantry_core::expr::{JobStatus, Object, Value};
use gantry_plan::{Decision, JobPlan};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

mod kept;
pub use kept::{is_kept_reason, kept_reason};

enum State {
    Pending,
    Running,
    Done(JobResult),
}

fn github(req: &RunRequest) -> Object {
    let g = gantry_plan::context::github_context(&req.event, &req.workflow_name, &req.file);
    let mut o = match g {
        Value::Object(o) => (*o).clone(),
        _ => Object::new(),
    };
    o.insert("run_id".into(), Value::str(&req.run_id));
    o.insert("run_number".into(), Value::str(&req.run_number.to_string()));
    o.insert("run_attempt".into(), Value::str(&req.attempt.to_string()));
    o.insert("workspace".into(), Value::str(WORKSPACE));
    o.insert("event_path".into(), Value::str(EVENT_PATH));
    // Set per job from the secret store when the job uses it.
    o.insert("token".into(), Value::str(""));
    o
}

/// An id unique on this engine, whoever numbers the runs (two services with their own
/// stores both have a run 1): labels and names are made from it.
fn instance_id(run_id: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{run_id}-{:x}{:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A random token for the run (`github.token` unless a `GITHUB_TOKEN` secret is given).
fn run_token() -> Result<String, EngineError> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes)
        .map_err(|e| EngineError::io("making the run's token", std::io::Error::other(e)))?;
    Ok(format!("gantry_{}", crate::host::hex(&bytes)))
}

/// What the run's jobs share; its directory on the scratch tmpfs is created here.
fn run_ctx<B: ContainerBackend>(
    engine: &Engine<B>,
    req: &RunRequest,
    instance: &str,
    reporter: Arc<dyn Reporter>,
    signals: &Signals,
) -> Result<RunCtx<B>, EngineError> {
    let cfg = &engine.config;
    let run_dir = cfg.run_root.join(instance);
    std::fs::create_dir_all(&run_dir)
        .map_err(|e| EngineError::io(format!("creating {}", run_dir.display()), e))?;
    let workspace = std::fs::canonicalize(&cfg.workspace)
        .map_err(|e| EngineError::io(format!("the workspace {}", cfg.workspace.display()), e))?;
    let masker = Arc::new(RwLock::new(Masker::default()));
    Ok(RunCtx {
        backend: engine.backend.clone(),
        github: github(req),
        cfg: cfg.clone(),
        inputs: Value::from_json(&serde_json::Value::Object(req.plan.inputs.clone())),
        event: req.event.clone(),
        run_id: instance.to_string(),
        file: req.file.clone(),
        run_dir,
        // Whatever reaches the reporter is masked once more, at the boundary.
        reporter: Arc::new(Masked {
            inner: reporter,
            masker: masker.clone(),
        }),
        masker,
        signals: signals.clone(),
        workspace: WorkspaceMount::Bind(workspace),
        image_locks: Default::default(),
        store: engine.secrets.clone(),
        actions: engine.actions.clone(),
        remote: req.remote.clone(),
        services: engine.services.clone(),
        run_token: run_token()?,
    })
}

pub async fn run<B: ContainerBackend>(
    engine: &Engine<B>,
    req: RunRequest,
    reporter: Arc<dyn Reporter>,
    signals: Signals,
) -> Result<RunResult, EngineError> {
    let t0 = Instant::now();
    let backend = engine.backend.clone();
    remove_stale(&*backend).await;
    let instance = instance_id(&req.run_id);
    let cx = Arc::new(run_ctx(
        engine,
        &req,
        &instance,
        reporter.clone(),
        &signals,
    )?);
    let (run_dir, masker) = (cx.run_dir.clone(), cx.masker.clone());
    reporter.report(RunEvent::RunStarted {
        run_id: instance.clone(),
        workflow: req.workflow_name.clone(),
    });
    let results = schedule(&cx, req.plan.jobs.clone(), &req.kept, &signals).await;
    let results = super::masked::results(results, &masker);
    drop(cx);
    remove_leftovers(&*backend, &format!("{LABEL_RUN}={instance}")).await;
    let _ = std::fs::remove_dir_all(&run_dir);
    let conclusion = if results.iter().any(|r| r.conclusion == Conclusion::Failure) {
        Conclusion::Failure
    } else if signals.cancel.is_cancelled()
        || results
            .iter()
            .any(|r| r.conclusion == Conclusion::Cancelled)
    {
        Conclusion::Cancelled
    } else {
        Conclusion::Success
    };
    reporter.report(RunEvent::RunFinished {
        run_id: instance.clone(),
        conclusion,
        duration_ms: millis(t0.elapsed()),
    });
    Ok(RunResult {
        conclusion,
        jobs: results,
    })
}

/// The `needs` context entry of a job id: its legs' results folded into one, and their
/// outputs (a later leg's value wins, as on GitHub).
fn need_entry(legs: &[&JobResult]) -> (Conclusion, Value) {
    let result = if legs.iter().any(|r| r.conclusion == Conclusion::Failure) {
        Conclusion::Failure
    } else if legs.iter().any(|r| r.conclusion == Conclusion::Cancelled) {
        Conclusion::Cancelled
    } else if !legs.is_empty() && legs.iter().all(|r| r.conclusion == Conclusion::Skipped) {
        Conclusion::Skipped
    } else {
        Conclusion::Success
    };
    let mut outputs = Object::new();
    for l in legs {
        for (k, v) in &l.outputs {
            outputs.insert(k.clone(), Value::str(v));
        }
    }
    let mut o = Object::new();
    o.insert("result".into(), Value::str(result.as_str()));
    o.insert("outputs".into(), Value::object(outputs));
    (result, Value::object(o))
}

/// The job path a `needs` entry names: `build`, or `call/build` inside a called workflow.
fn need_id(jp: &JobPlan) -> String {
    let prefix = jp.key.rfind('/').map_or("", |i| &jp.key[..=i]);
    format!("{prefix}{}", jp.id)
}

/// The plan's jobs a `needs` entry waits for: the job's matrix legs, or, for a job that
/// calls a reusable workflow, every job of the call.
fn legs_of(jobs: &[JobPlan], need: &str) -> Vec<usize> {
    let direct: Vec<usize> = (0..jobs.len())
        .filter(|k| need_id(&jobs[*k]) == need)
        .collect();
    if !direct.is_empty() {
        return direct;
    }
    let slash = format!("{need}/");
    let leg = format!("{need} (");
    (0..jobs.len())
        .filter(|k| {
            let key = &jobs[*k].key;
            key.starts_with(&slash) || (key.starts_with(&leg) && key.contains('/'))
        })
        .collect()
}

/// A call's outputs, from `on.workflow_call.outputs` and its jobs' results and outputs.
fn call_outputs(
    jobs: &[JobPlan],
    legs: &[usize],
    done: &[&JobResult],
    need: &str,
) -> Option<Value> {
    let call = legs
        .iter()
        .filter_map(|k| jobs[*k].call.as_ref())
        .find(|c| c.caller_key == need || c.caller_key.starts_with(&format!("{need} (")))?;
    let mut jobs_ctx = Object::new();
    for r in done {
        let mut o = Object::new();
        o.insert("result".into(), Value::str(r.conclusion.as_str()));
        let mut outs = Object::new();
        for (k, v) in &r.outputs {
            outs.insert(k.clone(), Value::str(v));
        }
        o.insert("outputs".into(), Value::object(outs));
        jobs_ctx.insert(r.id.clone(), Value::object(o));
    }
    let mut host = super::host::RunHost::default();
    host.set("jobs", Value::object(jobs_ctx));
    host.set("inputs", Value::object(call.inputs.clone()));
    let mut out = Object::new();
    for (name, value) in &call.outputs {
        let v = value
            .as_ref()
            .and_then(|v| super::env::eval_text(v, &host).ok())
            .unwrap_or_default();
        out.insert(name.clone(), Value::str(&v));
    }
    Some(Value::object(out))
}

/// The `needs` context of a job and the status its `if:` sees, once every job it needs
/// (all legs of a matrix) is done; `None` while one is not.
fn needs_of(jobs: &[JobPlan], state: &[State], jp: &JobPlan) -> Option<(Object, JobStatus)> {
    let mut needs = Object::new();
    let mut status = JobStatus::Success;
    for n in &jp.needs {
        let legs = legs_of(jobs, n);
        let done: Vec<&JobResult> = legs
            .iter()
            .filter_map(|k| match &state[*k] {
                State::Done(r) => Some(r),
                _ => None,
            })
            .collect();
        if done.len() < legs.len() {
            return None;
        }
        let short = n.rsplit('/').next().unwrap_or(n).to_string();
        let (result, mut entry) = need_entry(&done);
        if let Some(outputs) = call_outputs(jobs, &legs, &done, n) {
            if let Value::Object(o) = &entry {
                let mut o = (**o).clone();
                o.insert("outputs".into(), outputs);
                entry = Value::object(o);
            }
        }
        needs.insert(short, entry);
        let result = match result {
            Conclusion::Skipped if ancestor_failed(jobs, state, n) => Conclusion::Failure,
            r => r,
        };
        status = match (status, result) {
            (JobStatus::Cancelled, _) | (_, Conclusion::Cancelled) => JobStatus::Cancelled,
            (JobStatus::Failure, _) | (_, Conclusion::Failure) => JobStatus::Failure,
            (JobStatus::Skipped, _) | (_, Conclusion::Skipped) => JobStatus::Skipped,
            (s, _) => s,
        };
    }
    Some((needs, fold_ancestors(jobs, state, jp, status)))
}

/// The status a job's `if:` sees also counts the jobs it depends on through others: on
/// GitHub a job whose ancestor failed or was cancelled is skipped by `success()`, even when
/// the job between them ran (`if: always()`). Only `needs` holds the direct ones.
fn fold_ancestors(
    jobs: &[JobPlan],
    state: &[State],
    jp: &JobPlan,
    mut status: JobStatus,
) -> JobStatus {
    let mut seen: Vec<String> = jp.needs.clone();
    let mut todo: Vec<usize> = jp.needs.iter().flat_map(|n| legs_of(jobs, n)).collect();
    while let Some(k) = todo.pop() {
        for n in &jobs[k].needs {
            if seen.contains(n) {
                continue;
            }
            seen.push(n.clone());
            for leg in legs_of(jobs, n) {
                todo.push(leg);
                if let State::Done(r) = &state[leg] {
                    status = match (status, r.conclusion) {
                        (JobStatus::Cancelled, _) | (_, Conclusion::Cancelled) => {
                            JobStatus::Cancelled
                        }
                        (_, Conclusion::Failure) => JobStatus::Failure,
                        (s, _) => s,
                    };
                }
            }
        }
    }
    status
}

/// Whether the need `n` failed, or was skipped after a failure further up its chain: on
/// GitHub `failure()` holds when any ancestor failed, while a job skipped for its own
/// reasons (its `if:`, no image) leaves `failure()` false.
fn ancestor_failed(jobs: &[JobPlan], state: &[State], n: &str) -> bool {
    legs_of(jobs, n).into_iter().any(|k| match &state[k] {
        State::Done(r) if r.conclusion == Conclusion::Failure => true,
        State::Done(r) if r.conclusion == Conclusion::Skipped => jobs[k]
            .needs
            .iter()
            .any(|up| ancestor_failed(jobs, state, up)),
        _ => false,
    })
}

/// Whether the job's matrix already runs `strategy.max-parallel` legs.
fn at_max_parallel(jobs: &[JobPlan], state: &[State], jp: &JobPlan) -> bool {
    let Some(max) = jp.strategy.as_ref().and_then(|s| s.max_parallel) else {
        return false;
    };
    let legs_running = (0..jobs.len())
        .filter(|k| need_id(&jobs[*k]) == need_id(jp) && matches!(state[*k], State::Running))
        .count();
    legs_running >= max.max(1) as usize
}

/// The run's jobs and where each stands.
struct Board {
    jobs: Vec<JobPlan>,
    state: Vec<State>,
    /// Per job id: the token a failed leg cancels when `fail-fast` holds.
    fail_fast: HashMap<String, CancellationToken>,
    /// Per job key: what the attempt keeps from an earlier one (see [`kept`]).
    kept: HashMap<String, KeptJob>,
}

type Running = JoinSet<(usize, JobResult)>;

async fn schedule<B: ContainerBackend>(
    cx: &Arc<RunCtx<B>>,
    jobs: Vec<JobPlan>,
    kept: &[KeptJob],
    signals: &Signals,
) -> Vec<JobResult> {
    let mut board = Board {
        state: jobs.iter().map(|_| State::Pending).collect(),
        jobs,
        fail_fast: HashMap::new(),
        kept: kept.iter().map(|k| (k.key.clone(), k.clone())).collect(),
    };
    let mut set: Running = JoinSet::new();
    loop {
        if board.start_ready(cx, signals, &mut set) {
            // Jobs were planned again: look at the board again before waiting.
            continue;
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        let Ok((i, result)) = joined else {
            continue;
        };
        board.finished(i, result);
    }
    board.results()
}

impl Board {
    /// Starts every job whose needs are done, within the limits; `true` when a job left
    /// to run time was planned instead (its legs are new pending jobs).
    fn start_ready<B: ContainerBackend>(
        &mut self,
        cx: &Arc<RunCtx<B>>,
        signals: &Signals,
        set: &mut Running,
    ) -> bool {
        let max_jobs = cx.cfg.max_jobs.max(1);
        for i in 0..self.jobs.len() {
            if !matches!(self.state[i], State::Pending) {
                continue;
            }
            let jp = &self.jobs[i];
            let Some((needs, mut status)) = needs_of(&self.jobs, &self.state, jp) else {
                continue;
            };
            if self.keep(cx, i) {
                // Done at once: look at the board again (earlier jobs may need it).
                return true;
            }
            let jp = &self.jobs[i];
            if jp.at_run_time.is_some() {
                self.plan_legs(cx, i, &needs);
                return true;
            }
            let running = self
                .state
                .iter()
                .filter(|s| matches!(s, State::Running))
                .count();
            if running >= max_jobs {
                break;
            }
            if at_max_parallel(&self.jobs, &self.state, jp) {
                continue;
            }
            if signals.cancel.is_cancelled() {
                status = JobStatus::Cancelled;
            }
            let token = self
                .fail_fast
                .entry(need_id(jp))
                .or_insert_with(|| signals.cancel.child_token())
                .clone();
            if token.is_cancelled() {
                status = JobStatus::Cancelled;
            }
            self.state[i] = State::Running;
            let start = JobStart {
                plan: jp.clone(),
                needs,
                needs_status: status,
                token,
            };
            let cx = cx.clone();
            // A child of the caller's span (the service's run), carried into the task.
            let span = tracing::info_span!("job", job = %jp.key);
            set.spawn(async move { (i, run_job(cx, start).await) }.instrument(span));
        }
        false
    }

    /// Plans job `i`, left to run time, now that its needs are done: its legs replace it.
    /// When that fails the job runs to fail with why (its `if:` may still skip it).
    fn plan_legs<B: ContainerBackend>(&mut self, cx: &RunCtx<B>, i: usize, needs: &Object) {
        let Some(rt) = self.jobs[i].at_run_time.take() else {
            return;
        };
        match super::replan::job_legs(&rt, needs, &cx.cfg.workspace, &cx.remote) {
            Ok(legs) if legs.is_empty() => {
                let jp = &mut self.jobs[i];
                jp.condition = Decision::Now { value: false };
                jp.skip_reason = Some("its matrix has no combinations".into());
            }
            Ok(legs) => {
                let mut legs = legs.into_iter();
                if let Some(first) = legs.next() {
                    self.jobs[i] = first;
                }
                for leg in legs {
                    self.jobs.push(leg);
                    self.state.push(State::Pending);
                }
            }
            Err(e) => self.jobs[i].skip_reason = Some(e.to_string()),
        }
    }

    fn finished(&mut self, i: usize, result: JobResult) {
        let jp = &self.jobs[i];
        if result.conclusion == Conclusion::Failure
            && jp.strategy.as_ref().is_some_and(|s| s.fail_fast)
        {
            if let Some(t) = self.fail_fast.get(&need_id(jp)) {
                t.cancel();
            }
        }
        self.state[i] = State::Done(result);
    }

    fn results(self) -> Vec<JobResult> {
        self.state
            .into_iter()
            .zip(self.jobs)
            .map(|(s, jp)| match s {
                State::Done(r) => r,
                _ => JobResult {
                    key: jp.key.clone(),
                    id: jp.id.clone(),
                    conclusion: Conclusion::Cancelled,
                    outputs: Default::default(),
                    reason: Some("never started".into()),
                    kept_from: None,
                },
            })
            .collect()
    }
}
