//! One job from start to end: decide whether it runs, pull images, create the per-job
//! network (when it has services), start services and wait for their health checks, start
//! the job container, run the steps (then post steps), evaluate the job's outputs — and
//! remove every container, network and volume it created, whatever happened. Everything
//! comes from the job's plan ([`JobPlan`] and its [`gantry_plan::JobExec`]).

mod containers;
pub use containers::services_address;
mod files;
mod granted;

use super::context::RunCtx;
use super::env::{self, EnvMap};
use super::error::EngineError;
use super::error::ExpressionError;
use super::host::RunHost;
use super::report::{millis, Conclusion, LogStream, RunEvent};
use super::step::{JobRunner, RunnerStart};
use super::JobResult;
use crate::backend::ContainerBackend;
use containers::{At, JobContainers};
use gantry_core::expr::{parse_condition, JobStatus, Object, Value};
use gantry_plan::{Decision, JobPlan};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// What a job starts with: the `needs` context and whether the run was cancelled.
pub struct JobStart {
    pub plan: JobPlan,
    pub needs: Object,
    pub needs_status: JobStatus,
    /// Cancelled by fail-fast of its matrix, by Ctrl-C or by the run's end.
    pub token: CancellationToken,
}

/// Resources to remove at the end, in reverse order of creation.
#[derive(Default)]
pub struct Created {
    pub containers: Vec<String>,
    pub network: Option<String>,
    pub volumes: Vec<String>,
}

/// The names of one job's resources: a Docker-safe slug, the labels every resource
/// carries, and the prefix of container, network and volume names.
pub struct JobNames {
    pub slug: String,
    pub labels: Vec<(String, String)>,
    pub name: String,
}

type Finished = (Conclusion, BTreeMap<String, String>, Option<String>);

pub async fn run_job<B: ContainerBackend>(cx: Arc<RunCtx<B>>, start: JobStart) -> JobResult {
    let t0 = Instant::now();
    let jp = &start.plan;
    cx.reporter.report(RunEvent::JobStarted {
        job: jp.key.clone(),
        name: jp.name.clone(),
    });
    let (conclusion, outputs, reason) = match decide(&cx, &start) {
        // The plan found nothing to run it in (no image for its `runs-on`): skipped.
        Ok(true) if jp.no_image => (Conclusion::Skipped, BTreeMap::new(), jp.skip_reason.clone()),
        Ok(true) => {
            let mut created = Created::default();
            let r = run_started(&cx, &start, &mut created).await;
            remove(&cx, &created).await;
            r.unwrap_or_else(|e| {
                let reason = Some(cx.mask(&e.to_string()));
                (Conclusion::Failure, BTreeMap::new(), reason)
            })
        }
        Ok(false) => (
            if start.needs_status == JobStatus::Cancelled || start.token.is_cancelled() {
                Conclusion::Cancelled
            } else {
                Conclusion::Skipped
            },
            BTreeMap::new(),
            Some(skip_reason(&start)),
        ),
        Err(e) => (
            Conclusion::Failure,
            BTreeMap::new(),
            Some(cx.mask(&e.to_string())),
        ),
    };
    if let (Some(r), Conclusion::Failure) = (&reason, conclusion) {
        cx.reporter.report(RunEvent::Log {
            job: jp.key.clone(),
            step: None,
            stream: LogStream::System,
            line: format!("error: {r}"),
        });
    }
    cx.reporter.report(RunEvent::JobFinished {
        job: jp.key.clone(),
        conclusion,
        reason: reason.clone(),
        duration_ms: millis(t0.elapsed()),
    });
    JobResult {
        key: jp.key.clone(),
        id: jp.id.clone(),
        conclusion,
        outputs,
        reason,
        kept_from: None,
    }
}

fn skip_reason(start: &JobStart) -> String {
    if let Some(r) = &start.plan.skip_reason {
        return r.clone();
    }
    match start.needs_status {
        JobStatus::Success => "its `if:` condition is false".into(),
        JobStatus::Failure => "a job it needs failed".into(),
        JobStatus::Skipped => "a job it needs was skipped".into(),
        JobStatus::Cancelled => "the run was cancelled".into(),
    }
}

/// The host a job's expressions start from.
pub fn base_host<B: ContainerBackend>(cx: &RunCtx<B>, start: &JobStart) -> RunHost {
    let jp = &start.plan;
    let mut github = cx.github.clone();
    github.insert("job".into(), Value::str(&jp.id));
    let mut h = RunHost {
        workspace: Some(cx.cfg.workspace.clone()),
        status: start.needs_status,
        ..RunHost::default()
    };
    h.set("github", Value::object(github));
    h.set("inputs", cx.inputs.clone());
    h.set("vars", Value::object(cx.cfg.vars.clone()));
    h.set("secrets", Value::object(Object::new()));
    h.set("needs", Value::object(start.needs.clone()));
    h.set("runner", env::runner_context());
    h.set(
        "matrix",
        jp.matrix
            .as_ref()
            .map_or_else(|| Value::object(Object::new()), Value::from_json),
    );
    let mut strategy = Object::new();
    if let Some(s) = &jp.strategy {
        strategy.insert("fail-fast".into(), Value::Bool(s.fail_fast));
        strategy.insert("job-total".into(), Value::Number(s.total as f64));
        strategy.insert(
            "max-parallel".into(),
            Value::Number(s.max_parallel.map_or(s.total as f64, f64::from)),
        );
    }
    h.set("strategy", Value::object(strategy));
    h.set("env", Value::object(Object::new()));
    if let Some(call) = &jp.call {
        // A called workflow sees its own inputs; those given as run-time expressions are
        // evaluated now, with the contexts the first jobs of the call have.
        let mut inputs = call.inputs.clone();
        for (k, expr) in &call.later {
            if let Ok(v) = env::eval_value(expr, &h) {
                inputs.insert(k.clone(), v);
            }
        }
        h.set("inputs", Value::object(inputs));
    }
    h
}

/// Whether the job runs: its `if:` (default `success()`) with the needs' results.
fn decide<B: ContainerBackend>(cx: &RunCtx<B>, start: &JobStart) -> Result<bool, EngineError> {
    if matches!(start.plan.condition, Decision::Now { value: false }) {
        return Ok(false);
    }
    let host = base_host(cx, start);
    let failed = |error: ExpressionError| EngineError::JobCondition {
        job: start.plan.id.clone(),
        error,
    };
    match start.plan.exec.if_.as_deref() {
        None => Ok(start.needs_status == JobStatus::Success),
        Some(t) => parse_condition(t)
            .map_err(|e| failed(ExpressionError::condition(t, e)))?
            .evaluate(&host)
            .map_err(|e| failed(ExpressionError::condition(t, e))),
    }
}

async fn run_started<B: ContainerBackend>(
    cx: &Arc<RunCtx<B>>,
    start: &JobStart,
    created: &mut Created,
) -> Result<Finished, EngineError> {
    let jp = &start.plan;
    if let Some(r) = &jp.skip_reason {
        return Err(EngineError::Unsupported(format!("job `{}`: {r}", jp.key)));
    }
    let image = jp
        .image
        .clone()
        .ok_or_else(|| EngineError::Unsupported(format!("job `{}` has no image", jp.key)))?;
    let mut host = base_host(cx, start);
    let slug = cx.slug(&jp.key);
    let names = JobNames {
        labels: cx.labels(&jp.key),
        name: format!("gantry-{}-{slug}", cx.run_id),
        slug,
    };
    // Secrets first: a job whose secrets cannot all be had never starts a container.
    let secrets = files::job_secrets(cx, jp, &mut host).await?;
    let opened = granted::open(cx, jp, &mut host);
    let user_env = job_env(jp, &mut host)?;
    let (layout, secret_files) = files::job_files(cx, &names, &secrets, created).await?;
    if let Some(text) = &opened.git_config {
        layout
            .write_home(".gitconfig", text)
            .map_err(|e| EngineError::io("writing the job's git configuration", e))?;
    }
    // Every container of the job is specified and judged by the policy before any starts.
    let at = At {
        file: jp.called_from.as_deref().unwrap_or(&cx.file),
        job: &jp.id,
        what: format!("job `{}`'s container", jp.id),
    };
    let specs = JobContainers::specify(cx, jp, &host, &names, &layout, &image, &at)?;
    let id = specs.start(cx, start, &names, created, &mut host).await?;
    files::fill_job_container(cx, &id, &layout, &secret_files).await?;
    let base_path = base_path(cx, &image).await;
    let runner = JobRunner::new(RunnerStart {
        cx: cx.clone(),
        plan: jp,
        container: id,
        layout,
        host,
        env: user_env,
        action_env: opened.action_env,
        base_path,
        token: start.token.child_token(),
    });
    run_steps(jp, runner).await
}

/// Environment: workflow env, then job env (the job's sees the workflow's).
fn job_env(jp: &JobPlan, host: &mut RunHost) -> Result<EnvMap, EngineError> {
    let mut user_env = EnvMap::new();
    env::apply(&mut user_env, &jp.exec.workflow_env, host).map_err(EngineError::Expression)?;
    host.set("env", env::to_value(&user_env));
    env::apply(&mut user_env, &jp.exec.env, host).map_err(EngineError::Expression)?;
    host.set("env", env::to_value(&user_env));
    Ok(user_env)
}

/// The `PATH` the job's image sets, which steps extend rather than replace.
async fn base_path<B: ContainerBackend>(cx: &RunCtx<B>, image: &str) -> String {
    let image_env = cx.backend.image_env(image).await.unwrap_or_default();
    image_env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .to_string()
}

/// Runs the steps and post steps under the job's timeout; the job's outcome and outputs.
async fn run_steps<B: ContainerBackend>(
    jp: &JobPlan,
    mut runner: JobRunner<B>,
) -> Result<Finished, EngineError> {
    let timeout = jp
        .timeout_minutes
        .filter(|m| *m > 0.0)
        .map(|m| Duration::from_secs_f64(m * 60.0));
    let timed_out = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let timer = timeout.map(|d| {
        let t = runner.token().clone();
        let flag = timed_out.clone();
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            t.cancel();
        })
    });
    runner.run_pres(&jp.steps).await;
    runner.run_steps(&jp.steps).await;
    runner.run_posts().await;
    runner.drain().await;
    if let Some(t) = timer {
        t.abort();
    }
    let outputs = runner.job_outputs(&jp.exec.outputs);
    let (mut conclusion, mut reason) = runner.conclusion();
    if timed_out.load(std::sync::atomic::Ordering::SeqCst) {
        conclusion = Conclusion::Failure;
        reason = Some(format!(
            "the job exceeded its timeout of {} minutes",
            jp.timeout_minutes.unwrap_or_default()
        ));
    }
    if conclusion == Conclusion::Failure && continue_on_error(jp, runner.host()) {
        reason = reason.map(|r| format!("{r} (continue-on-error)"));
        return Ok((Conclusion::Success, outputs, reason));
    }
    Ok((conclusion, outputs, reason))
}

fn continue_on_error(jp: &JobPlan, host: &RunHost) -> bool {
    match &jp.continue_on_error {
        Decision::Now { value } => *value,
        Decision::AtRunTime { expression } => env::eval_value(expression, host)
            .map(|v| v.truthy())
            .unwrap_or(false),
    }
}

async fn remove<B: ContainerBackend>(cx: &RunCtx<B>, created: &Created) {
    for c in created.containers.iter().rev() {
        if let Err(e) = cx.backend.remove_container(c).await {
            tracing::warn!(container = %c, error = %e, "removing a job's container failed");
        }
    }
    if let Some(n) = &created.network {
        if let Err(e) = cx.backend.remove_network(n).await {
            tracing::warn!(network = %n, error = %e, "removing a job's network failed");
        }
    }
    for v in &created.volumes {
        if let Err(e) = cx.backend.remove_volume(v).await {
            tracing::warn!(volume = %v, error = %e, "removing a job's volume failed");
        }
    }
}
