//! Running a job's planned steps inside its container: conditions with the job status,
//! names and env evaluated at run time, file commands after each step, `steps.<id>`
//! outcomes and outputs, and post steps in reverse order at the end.
//!
//! Each step's [`StepKind`] picks its executor (the shape of act's step factory): `run`
//! ([`run`]), `docker_image` ([`image`]), `container_action`, `composite` and `node`
//! ([`action`]), `remote` ([`remote`], which plans the downloaded action first). How a
//! scope's steps follow each other is [`flow`]; `parallel:` groups, `background:` steps and
//! `wait`/`wait-all`/`cancel` are [`concurrent`].
//!
//! Steps may run at the same time, so the runner's methods take `&self`: what changes as
//! steps end (the job's env, post steps, counters) sits behind short-lived locks, never
//! held across an `await`.

mod action;
mod concurrent;
mod environment;
mod file_commands;
mod flow;
mod image;
mod limits;
mod post;
mod pre;
mod process;
mod remote;
mod run;
mod scope;
mod stopped;

pub use action::runtime::default_externals;
pub use file_commands::EnvChange;
pub use stopped::Stopped;

use super::context::RunCtx;
use super::env::{self, EnvMap};
use super::error::EngineError;
use super::host::RunHost;
use super::layout::{JobLayout, StepFiles};
use super::report::{Conclusion, LogStream, RunEvent};
use crate::backend::ContainerBackend;
use environment::JobEnv;
use gantry_core::expr::{JobStatus, Object, Value};
use gantry_plan::{JobPlan, Setting, StepKind, StepPlan};
use post::Post;
use scope::Scope;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// How long a step gets to stop after it is cancelled, before it is killed (GitHub: 7.5 s).
const GRACE: Duration = Duration::from_millis(7500);

/// How many background steps (`parallel:` groups' steps included) run at once in a job;
/// more wait for a slot (GitHub's limit).
const BACKGROUND_SLOTS: usize = 10;

pub struct StepResult {
    pub outcome: Conclusion,
    pub outputs: BTreeMap<String, String>,
    pub reason: Option<String>,
    /// What the step wrote to `GITHUB_ENV`/`GITHUB_PATH` (and their workflow commands), in
    /// order: applied to the job when the step settles, not while it runs.
    pub changes: Vec<EnvChange>,
}

impl StepResult {
    fn success() -> StepResult {
        StepResult {
            outcome: Conclusion::Success,
            outputs: BTreeMap::new(),
            reason: None,
            changes: Vec::new(),
        }
    }
}

/// A lock that a panicking holder left poisoned still guards consistent data here (every
/// critical section is a plain assignment or push).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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
    /// What each pre step saved (`GITHUB_STATE`), by its main step's label.
    pre_state: std::collections::HashMap<String, Vec<(String, String)>>,
    /// Steps started so far (names their files and containers).
    counter: usize,
    first_failure: Option<String>,
}

/// Work beside the steps: containers being removed in the background, the limit counters
/// after the last failure.
#[derive(Default)]
struct Chores {
    removals: Vec<tokio::task::JoinHandle<()>>,
    limits_seen: limits::LimitCounters,
}

pub struct JobRunner<B: ContainerBackend> {
    cx: Arc<RunCtx<B>>,
    site: Site,
    /// The job's contexts, without the per-step ones (`steps`, `env`, `job.status`).
    host: RunHost,
    env: Mutex<JobEnv>,
    /// Cancelled by the job's timeout, fail-fast or Ctrl-C.
    token: CancellationToken,
    progress: Mutex<Progress>,
    chores: Mutex<Chores>,
    /// Remote actions already copied into the job container (held while one is copied,
    /// so that concurrent steps copy it once).
    uploaded: tokio::sync::Mutex<Vec<String>>,
    /// Slots for the job's background steps ([`BACKGROUND_SLOTS`]).
    slots: Arc<Semaphore>,
    /// What actions' processes get from the host's services.
    action_env: Vec<(String, String)>,
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
    /// What actions' processes get from the host's services (`ACTIONS_RUNTIME_TOKEN`...).
    pub action_env: Vec<(String, String)>,
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
    /// Stops the step: the job's cancellation, or a `cancel:` of this background step.
    pub stop: CancellationToken,
}

impl StepCall<'_> {
    /// `uses:` as written (empty for steps without one).
    fn uses(&self) -> &str {
        self.plan.exec.uses.as_deref().unwrap_or("")
    }
}

impl<B: ContainerBackend> JobRunner<B> {
    pub fn new(start: RunnerStart<'_, B>) -> JobRunner<B> {
        let github = match gantry_core::expr::Host::context(&start.host, "github") {
            Some(Value::Object(o)) => (*o).clone(),
            _ => Object::new(),
        };
        let jp = start.plan;
        JobRunner {
            env: Mutex::new(JobEnv::new(
                env::defaults(&github, &jp.id),
                start.env,
                start.base_path,
                jp.exec.default_working_directory.clone(),
            )),
            site: Site {
                key: jp.key.clone(),
                container: start.container,
                layout: start.layout,
            },
            cx: start.cx,
            host: start.host,
            token: start.token,
            progress: Mutex::new(Progress::default()),
            chores: Mutex::new(Chores::default()),
            uploaded: tokio::sync::Mutex::new(Vec::new()),
            slots: Arc::new(Semaphore::new(BACKGROUND_SLOTS)),
            action_env: start.action_env,
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

    fn progress(&self) -> MutexGuard<'_, Progress> {
        lock(&self.progress)
    }

    fn job_env(&self) -> MutexGuard<'_, JobEnv> {
        lock(&self.env)
    }

    fn status(&self, scope: &Scope) -> JobStatus {
        if self.token.is_cancelled() {
            JobStatus::Cancelled
        } else if self.progress().root.failed || scope.failed {
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
        let mut root = std::mem::take(&mut self.progress().root);
        self.run_scope(steps, &mut root).await;
        self.progress().root = root;
    }

    /// `continue-on-error`, evaluated with the host the step's `if:` saw.
    fn continue_on_error(step: &StepPlan, host: &RunHost) -> bool {
        match &step.exec.continue_on_error {
            Some(Setting::Value(b)) => *b,
            Some(Setting::Expr(e)) => env::eval_value(e, host)
                .map(|v| v.truthy())
                .unwrap_or(false),
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

    /// The next step's number and its fresh file-command files.
    fn new_step_files(&self) -> Result<(String, StepFiles), EngineError> {
        let tag = self.next_tag();
        let files = self
            .site
            .layout
            .step_files(&tag)
            .map_err(|e| EngineError::io("creating the file-command files", e))?;
        Ok((tag, files))
    }

    /// A step's number within the job: names its files and containers.
    fn next_tag(&self) -> String {
        let mut p = self.progress();
        p.counter += 1;
        format!("{}", p.counter)
    }

    /// Hands a step, its env and host evaluated, to its kind's executor.
    async fn execute(
        &self,
        step: &StepPlan,
        at: flow::StepAt<'_>,
        (env, host): (EnvMap, RunHost),
    ) -> Result<StepResult, EngineError> {
        let timeout = Self::timeout(step, &host);
        let (tag, files) = self.new_step_files()?;
        let action_id = step.id.clone().unwrap_or_else(|| format!("__run_{tag}"));
        let call = StepCall {
            plan: step,
            label: at.label,
            name: at.name,
            tag,
            env,
            host,
            files,
            action_id,
            timeout,
            stop: at.stop.clone(),
        };
        let mut result = self.dispatch(&call).await?;
        self.apply_files(at.label, &call.files, &mut result)?;
        Ok(result)
    }

    /// The step factory: one executor per kind.
    async fn dispatch(&self, call: &StepCall<'_>) -> Result<StepResult, EngineError> {
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
            // The scope runs these itself ([`flow`], [`concurrent`]).
            StepKind::Control { .. } | StepKind::Parallel { .. } => Err(EngineError::Unsupported(
                "a parallel group or control step as a process".into(),
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
        let removals = std::mem::take(&mut lock(&self.chores).removals);
        for r in removals {
            let _ = r.await;
        }
    }

    /// The job's `outputs:`, evaluated with the final steps context.
    pub fn job_outputs(&self, outputs: &[(String, String)]) -> BTreeMap<String, String> {
        let host = self.root_host();
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

    /// Whether an action's `pre-if`/`post-if` (`key`) holds with `host`; none is GitHub's
    /// default, `always()`. A condition that cannot be evaluated is said on the step
    /// `label`, and does not hold.
    fn action_condition(
        &self,
        (key, condition): (&str, Option<&str>),
        host: &RunHost,
        label: &str,
    ) -> bool {
        let Some(c) = condition else {
            return true;
        };
        let decided = gantry_core::expr::parse_condition(c)
            .map_err(|e| e.to_string())
            .and_then(|cond| cond.evaluate(host).map_err(|e| e.to_string()));
        decided.unwrap_or_else(|e| {
            self.log(Some(label), format!("{key} `{c}`: {e}"));
            false
        })
    }

    /// The host of the job's own scope after its steps (job outputs, post steps' `if`).
    fn root_host(&self) -> RunHost {
        let p = self.progress();
        let status = if self.token.is_cancelled() {
            JobStatus::Cancelled
        } else if p.root.failed {
            JobStatus::Failure
        } else {
            JobStatus::Success
        };
        p.root.host(&self.host, status, &self.context_env(&p.root))
    }

    pub fn conclusion(&self) -> (Conclusion, Option<String>) {
        let p = self.progress();
        if p.root.failed {
            (Conclusion::Failure, p.first_failure.clone())
        } else if self.token.is_cancelled() {
            (Conclusion::Cancelled, Some("cancelled".into()))
        } else {
            (Conclusion::Success, None)
        }
    }
}
