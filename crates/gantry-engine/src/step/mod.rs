//! Running a job's planned steps in order inside its container: conditions with the job
//! status, names and env evaluated at run time, file commands after each step,
//! `steps.<id>` outcomes and outputs, and post steps in reverse order at the end.
//!
//! Each step's [`StepKind`] picks its executor (the shape of act's step factory): `run`
//! ([`run`]), `docker_image` ([`image`]), `container_action`, `composite` and `node`
//! ([`action`]), `remote` ([`remote`], which plans the downloaded action first),
//! `parallel` and `control` (here).

mod action;
mod environment;
mod file_commands;
mod image;
mod limits;
mod post;
mod process;
mod remote;
mod run;
mod scope;
mod stopped;

pub use stopped::Stopped;

use super::context::RunCtx;
use super::env::{self, EnvMap};
use super::error::EngineError;
use super::error::ExpressionError;
use super::host::RunHost;
use super::layout::{JobLayout, StepFiles};
use super::report::{millis, Conclusion, LogStream, RunEvent};
use crate::backend::ContainerBackend;
use environment::JobEnv;
use gantry_core::expr::{parse_condition, JobStatus, Object, Value};
use gantry_plan::{JobPlan, Setting, StepKind, StepPlan};
use post::Post;
use scope::Scope;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// How long a step gets to stop after it is cancelled, before it is killed (GitHub: 7.5 s).
const GRACE: Duration = Duration::from_millis(7500);

pub struct StepResult {
    pub outcome: Conclusion,
    pub outputs: BTreeMap<String, String>,
    pub reason: Option<String>,
}

impl StepResult {
    fn success() -> StepResult {
        StepResult {
            outcome: Conclusion::Success,
            outputs: BTreeMap::new(),
            reason: None,
        }
    }
}

/// Where a job's steps run: the job's key, its container and its files.
struct Site {
    key: String,
    container: String,
    layout: JobLayout,
}

/// How far the job's steps have got.
#[derive(Default)]
struct Progress {
    /// The job's own steps context and status.
    root: Scope,
    /// Post steps registered by main steps, run last first.
    posts: Vec<Post>,
    /// Steps started so far (names their files and containers).
    counter: usize,
    first_failure: Option<String>,
}

/// Work beside the steps: containers being removed in the background, remote actions
/// already copied into the job container, the limit counters after the last failure.
#[derive(Default)]
struct Chores {
    removals: Vec<tokio::task::JoinHandle<()>>,
    uploaded: Vec<String>,
    limits_seen: limits::LimitCounters,
}

pub struct JobRunner<B: ContainerBackend> {
    cx: Arc<RunCtx<B>>,
    site: Site,
    /// The job's contexts, without the per-step ones (`steps`, `env`, `job.status`).
    host: RunHost,
    env: JobEnv,
    /// Cancelled by the job's timeout, fail-fast or Ctrl-C.
    token: CancellationToken,
    progress: Progress,
    chores: Chores,
}

/// What a job's runner starts from.
pub struct RunnerStart<'a, B: ContainerBackend> {
    pub cx: Arc<RunCtx<B>>,
    pub plan: &'a JobPlan,
    pub container: String,
    pub layout: JobLayout,
    pub host: RunHost,
    /// The workflow's and job's `env:`, evaluated.
    pub env: EnvMap,
    /// The image's `PATH`.
    pub base_path: String,
    pub token: CancellationToken,
}

/// One step on its way to an executor: what every kind needs, evaluated.
pub struct StepCall<'a> {
    pub plan: &'a StepPlan,
    pub label: &'a str,
    pub name: &'a str,
    /// Names the step's files and containers within the job.
    pub tag: String,
    pub env: EnvMap,
    pub host: RunHost,
    pub files: StepFiles,
    /// `GITHUB_ACTION`: the step's id, else `__run_<n>`.
    pub action_id: String,
    pub timeout: Option<Duration>,
}

impl StepCall<'_> {
    /// `uses:` as written (empty for steps without one).
    fn uses(&self) -> &str {
        self.plan.exec.uses.as_deref().unwrap_or("")
    }
}

/// How a step ended, for the `steps` context and the reporter.
struct Done<'a> {
    id: Option<&'a str>,
    label: &'a str,
    name: &'a str,
    t0: Instant,
    outcome: Conclusion,
    conclusion: Conclusion,
    outputs: BTreeMap<String, String>,
    reason: Option<String>,
}

impl<B: ContainerBackend> JobRunner<B> {
    pub fn new(start: RunnerStart<'_, B>) -> JobRunner<B> {
        let github = match gantry_core::expr::Host::context(&start.host, "github") {
            Some(Value::Object(o)) => (*o).clone(),
            _ => Object::new(),
        };
        let jp = start.plan;
        JobRunner {
            env: JobEnv::new(
                env::defaults(&github, &jp.id),
                start.env,
                start.base_path,
                jp.exec.default_working_directory.clone(),
            ),
            site: Site {
                key: jp.key.clone(),
                container: start.container,
                layout: start.layout,
            },
            cx: start.cx,
            host: start.host,
            token: start.token,
            progress: Progress::default(),
            chores: Chores::default(),
        }
    }

    /// The job's cancellation token (cancelled by the job's timeout, fail-fast, Ctrl-C).
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// The job's contexts (for `continue-on-error` of the job).
    pub fn host(&self) -> &RunHost {
        &self.host
    }

    fn status(&self, scope: &Scope) -> JobStatus {
        if self.token.is_cancelled() {
            JobStatus::Cancelled
        } else if self.progress.root.failed || scope.failed {
            JobStatus::Failure
        } else {
            JobStatus::Success
        }
    }

    /// The host for a step's expressions in `scope`.
    fn step_host(&self, scope: &Scope, env: &EnvMap) -> RunHost {
        scope.host(&self.host, self.status(scope), env)
    }

    fn log(&self, step: Option<&str>, line: String) {
        self.cx.reporter.report(RunEvent::Log {
            job: self.site.key.clone(),
            step: step.map(str::to_string),
            stream: LogStream::System,
            line: self.cx.mask(&line),
        });
    }

    pub async fn run_steps(&mut self, steps: &[StepPlan]) {
        let mut root = std::mem::take(&mut self.progress.root);
        self.run_scope(steps, &mut root).await;
        self.progress.root = root;
    }

    async fn run_scope(&mut self, steps: &[StepPlan], scope: &mut Scope) {
        for (i, step) in steps.iter().enumerate() {
            let label = format!("{}{}", scope.prefix, i + 1);
            match &step.kind {
                StepKind::Parallel { steps: inner } => {
                    Box::pin(self.parallel(inner, scope, &label)).await
                }
                _ => self.run_one(step, scope, label).await,
            }
        }
    }

    /// The `parallel` executor (2026 syntax): Gantry runs the group's steps one after
    /// another, labelled under the group.
    async fn parallel(&mut self, steps: &[StepPlan], scope: &mut Scope, label: &str) {
        let saved = std::mem::replace(&mut scope.prefix, format!("{label}."));
        self.run_scope(steps, scope).await;
        scope.prefix = saved;
    }

    /// Whether a step runs: its `if:` (default `success()`) with the job's status now.
    fn condition(step: &StepPlan, host: &RunHost) -> Result<bool, ExpressionError> {
        match step.exec.if_.as_deref() {
            None => Ok(host.status == JobStatus::Success),
            Some(c) => parse_condition(c)
                .map_err(|e| ExpressionError::condition(c, e))?
                .evaluate(host)
                .map_err(|e| ExpressionError::condition(c, e)),
        }
    }

    fn started(&self, label: &str, name: &str) {
        self.cx.reporter.report(RunEvent::StepStarted {
            job: self.site.key.clone(),
            step: label.to_string(),
            name: name.to_string(),
        });
    }

    async fn run_one(&mut self, step: &StepPlan, scope: &mut Scope, label: String) {
        let t0 = Instant::now();
        let host = self.step_host(scope, &self.context_env(scope));
        let name = match &step.exec.name {
            Some(n) => env::eval_text(n, &host).unwrap_or_else(|_| n.clone()),
            None => step.name.clone(),
        };
        let mut done = Done {
            id: step.id.as_deref(),
            label: &label,
            name: &name,
            t0,
            outcome: Conclusion::Skipped,
            conclusion: Conclusion::Skipped,
            outputs: BTreeMap::new(),
            reason: None,
        };
        match Self::condition(step, &host) {
            Ok(false) => return self.finish(scope, done),
            Err(e) => {
                self.started(&label, &name);
                done.outcome = Conclusion::Failure;
                done.conclusion = Conclusion::Failure;
                done.reason = Some(e.to_string());
                return self.finish(scope, done);
            }
            Ok(true) => {}
        }
        self.started(&label, &name);
        // Everything the step logs (and the backend beneath it) is inside its span.
        let span = tracing::info_span!("step", step = %label);
        let executed = self
            .execute(step, scope, &label, &name)
            .instrument(span)
            .await;
        let (outcome, outputs, reason) = match executed {
            Ok(r) => (r.outcome, r.outputs, r.reason),
            Err(e) => (Conclusion::Failure, BTreeMap::new(), Some(e.to_string())),
        };
        done.conclusion = if outcome == Conclusion::Failure && self.continue_on_error(step, scope) {
            Conclusion::Success
        } else {
            outcome
        };
        done.outcome = outcome;
        done.outputs = outputs;
        done.reason = reason;
        self.finish(scope, done);
    }

    /// Records a finished (or skipped) step: the `steps` context, the job's first
    /// failure, and the reporter.
    fn finish(&mut self, scope: &mut Scope, done: Done<'_>) {
        if let Some(id) = done.id {
            scope.record(id, &done.outputs, done.outcome, done.conclusion);
        }
        if done.conclusion == Conclusion::Failure {
            scope.failed = true;
            if self.progress.first_failure.is_none() {
                let (label, name) = (done.label, done.name);
                self.progress.first_failure = Some(match &done.reason {
                    Some(r) => format!("step {label} `{name}` failed: {r}"),
                    None => format!("step {label} `{name}` failed"),
                });
            }
        }
        self.cx.reporter.report(RunEvent::StepFinished {
            job: self.site.key.clone(),
            step: done.label.to_string(),
            name: done.name.to_string(),
            outcome: done.outcome,
            conclusion: done.conclusion,
            reason: done.reason.map(|r| self.cx.mask(&r)),
            duration_ms: millis(done.t0.elapsed()),
        });
    }

    fn continue_on_error(&self, step: &StepPlan, scope: &Scope) -> bool {
        match &step.exec.continue_on_error {
            Some(Setting::Value(b)) => *b,
            Some(Setting::Expr(e)) => {
                let host = self.step_host(scope, &self.context_env(scope));
                env::eval_value(e, &host)
                    .map(|v| v.truthy())
                    .unwrap_or(false)
            }
            None => false,
        }
    }

    fn timeout(step: &StepPlan, host: &RunHost) -> Option<Duration> {
        let minutes = match &step.exec.timeout_minutes {
            Some(Setting::Value(n)) => Some(*n),
            Some(Setting::Expr(e)) => env::eval_value(e, host).ok().map(|v| v.to_number()),
            None => None,
        }?;
        (minutes.is_finite() && minutes > 0.0).then(|| Duration::from_secs_f64(minutes * 60.0))
    }

    /// Evaluates what every step needs, then hands the step to its kind's executor.
    async fn execute(
        &mut self,
        step: &StepPlan,
        scope: &mut Scope,
        label: &str,
        name: &str,
    ) -> Result<StepResult, EngineError> {
        let (env, host) = self.step_env(step, scope)?;
        let timeout = Self::timeout(step, &host);
        self.progress.counter += 1;
        let tag = format!("{}", self.progress.counter);
        let files = self
            .site
            .layout
            .step_files(&tag)
            .map_err(|e| EngineError::io("creating the file-command files", e))?;
        let action_id = step.id.clone().unwrap_or_else(|| format!("__run_{tag}"));
        let call = StepCall {
            plan: step,
            label,
            name,
            tag,
            env,
            host,
            files,
            action_id,
            timeout,
        };
        let mut result = self.dispatch(&call).await?;
        self.apply_files(label, &call.files, &mut result)?;
        Ok(result)
    }

    /// The step factory: one executor per kind.
    async fn dispatch(&mut self, call: &StepCall<'_>) -> Result<StepResult, EngineError> {
        match &call.plan.kind {
            StepKind::Run {
                script, run_shell, ..
            } => self.run(call, script, run_shell.as_deref()).await,
            StepKind::DockerImage { image } => self.docker_image(call, image).await,
            StepKind::DockerfileAction { action, .. } | StepKind::DockerAction { action, .. } => {
                let a = self.prepare(call, self.local(call, action))?;
                self.container_action(call, a).await
            }
            StepKind::Composite { action, .. } => {
                let a = self.prepare(call, self.local(call, action))?;
                self.composite(call, a).await
            }
            StepKind::Node { action, .. } => {
                let a = self.prepare(call, self.local(call, action))?;
                self.node(call, a).await
            }
            StepKind::Remote {
                repository,
                path,
                git_ref,
            } => self.remote(call, repository, path, git_ref).await,
            // Background steps run in the foreground in Gantry, so there is nothing left
            // to wait for or cancel.
            StepKind::Control { .. } => Ok(StepResult::success()),
            StepKind::Parallel { .. } => Err(EngineError::Unsupported(
                "a parallel group runs as its steps".into(),
            )),
            StepKind::Invalid { reason, error } => Err(match (&call.plan.exec.uses, error) {
                (Some(uses), Some(message)) => EngineError::Action {
                    uses: uses.clone(),
                    message: message.clone(),
                },
                (Some(uses), None) => EngineError::Action {
                    uses: uses.clone(),
                    message: reason.clone(),
                },
                (None, _) => EngineError::Unsupported(reason.clone()),
            }),
        }
    }

    /// Waits for the background removal of step containers.
    pub async fn drain(&mut self) {
        for r in self.chores.removals.drain(..) {
            let _ = r.await;
        }
    }

    /// The job's `outputs:`, evaluated with the final steps context.
    pub fn job_outputs(&self, outputs: &[(String, String)]) -> BTreeMap<String, String> {
        let host = self.step_host(&self.progress.root, &self.context_env(&self.progress.root));
        let mut out = BTreeMap::new();
        for (k, v) in outputs {
            match env::eval_text(v, &host) {
                Ok(val) => {
                    out.insert(k.clone(), val);
                }
                Err(e) => self.log(None, format!("warning: job output `{k}`: {e}")),
            }
        }
        out
    }

    pub fn conclusion(&self) -> (Conclusion, Option<String>) {
        if self.progress.root.failed {
            (Conclusion::Failure, self.progress.first_failure.clone())
        } else if self.token.is_cancelled() {
            (Conclusion::Cancelled, Some("cancelled".into()))
        } else {
            (Conclusion::Success, None)
        }
    }
}
