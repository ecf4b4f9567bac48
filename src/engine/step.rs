//! Running a job's steps in order inside its container: conditions with the job status,
//! names and env evaluated at run time, `run:` scripts, container/composite/JavaScript
//! actions, timeouts and cancellation, file commands after each step, `steps.<id>`
//! outcomes and outputs, and post steps in reverse order at the end.

mod limits;
mod post;
mod stopped;
mod uses;

pub use stopped::Stopped;

use super::actions::{self, LoadedAction};
use super::container_action;
use super::context::RunCtx;
use super::env::{self, EnvMap};
use super::error::EngineError;
use super::host::RunHost;
use super::layout::{JobLayout, StepFiles, WORKSPACE};
use super::output::{self, CommandEffects, OutputCx};
use super::report::{millis, Conclusion, LogStream, RunEvent};
use super::shell;
use crate::backend::{Chunk, ContainerBackend, ExecSpec};
use crate::expr::{parse_condition, JobStatus, Object, Value};
use crate::model::{BoolOrExpr, Job, NumOrExpr, RunsKind, Step, StepAction, StrMap};
use crate::plan::JobPlan;
use crate::runner::file_commands::{parse_key_values, parse_path_file};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long a step gets to stop after it is cancelled, before it is killed (GitHub: 7.5 s).
const GRACE: Duration = Duration::from_millis(7500);

/// The steps context and inputs of one level: the job itself, or a composite action.
#[derive(Default)]
pub struct Scope {
    pub steps: Object,
    pub inputs: Option<Value>,
    pub action: Option<LoadedAction>,
    /// Step labels within this scope: "3" in the job, "3.2" inside a composite.
    pub prefix: String,
    pub failed: bool,
    /// Inside a composite action: the env of the step that called it.
    pub base_env: Option<EnvMap>,
}

/// A post step to run after the job's steps (`post:` of JavaScript actions,
/// `post-entrypoint:` of container actions).
struct Post {
    label: String,
    name: String,
    action: LoadedAction,
    inputs: Vec<(String, String)>,
    state: Vec<(String, String)>,
    env: EnvMap,
    main_failed: bool,
}

struct StepResult {
    outcome: Conclusion,
    outputs: BTreeMap<String, String>,
    reason: Option<String>,
}

pub struct JobRunner<B: ContainerBackend> {
    cx: Arc<RunCtx<B>>,
    key: String,
    container: String,
    layout: JobLayout,
    pub host: RunHost,
    env: EnvMap,
    /// Values written to `GITHUB_ENV` by earlier steps.
    env_file: EnvMap,
    defaults: EnvMap,
    base_path: String,
    path_add: Vec<String>,
    default_shell: Option<String>,
    default_wd: Option<String>,
    token: CancellationToken,
    root: Scope,
    posts: Vec<Post>,
    counter: usize,
    first_failure: Option<String>,
    /// Step containers being removed in the background, off the steps' critical path.
    removals: Vec<tokio::task::JoinHandle<()>>,
    /// Remote actions already copied into the job container.
    uploaded: Vec<String>,
    /// The job container's memory and process limit counters after the last failed step.
    limits_seen: limits::LimitCounters,
}

impl<B: ContainerBackend> JobRunner<B> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cx: Arc<RunCtx<B>>,
        jp: &JobPlan,
        job: &Job,
        container: String,
        layout: JobLayout,
        host: RunHost,
        env: EnvMap,
        base_path: String,
        token: CancellationToken,
    ) -> JobRunner<B> {
        let github = match crate::expr::Host::context(&host, "github") {
            Some(Value::Object(o)) => (*o).clone(),
            _ => Object::new(),
        };
        let defaults = env::defaults(&github, &jp.id);
        let pick = |f: fn(&crate::model::Defaults) -> Option<&crate::model::Str>| {
            job.defaults
                .as_ref()
                .and_then(f)
                .or_else(|| {
                    super::job::workflow_of(&cx, jp)
                        .defaults
                        .as_ref()
                        .and_then(f)
                })
                .map(|s| s.value.clone())
        };
        let default_shell = pick(|d| d.shell.as_ref());
        let default_wd = pick(|d| d.working_directory.as_ref());
        JobRunner {
            key: jp.key.clone(),
            cx,
            container,
            layout,
            host,
            env,
            env_file: EnvMap::new(),
            defaults,
            base_path,
            path_add: Vec::new(),
            default_shell,
            default_wd,
            token,
            root: Scope::default(),
            posts: Vec::new(),
            counter: 0,
            first_failure: None,
            removals: Vec::new(),
            uploaded: Vec::new(),
            limits_seen: limits::LimitCounters::default(),
        }
    }

    /// The job's cancellation token (cancelled by the job's timeout, fail-fast, Ctrl-C).
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    fn status(&self, scope: &Scope) -> JobStatus {
        if self.token.is_cancelled() {
            JobStatus::Cancelled
        } else if self.root.failed || scope.failed {
            JobStatus::Failure
        } else {
            JobStatus::Success
        }
    }

    /// The host for a step's expressions in `scope`.
    fn step_host(&self, scope: &Scope, env: &EnvMap) -> RunHost {
        let mut h = self.host.clone();
        h.status = self.status(scope);
        h.set("steps", Value::object(scope.steps.clone()));
        h.set("env", env::to_value(env));
        if let Some(i) = &scope.inputs {
            h.set("inputs", i.clone());
        }
        if let Some(a) = &scope.action {
            if let Some(Value::Object(g)) = crate::expr::Host::context(&h, "github") {
                let mut g = (*g).clone();
                g.insert("action_path".into(), Value::str(&a.container_dir));
                h.set("github", Value::object(g));
            }
        }
        let mut job = match crate::expr::Host::context(&h, "job") {
            Some(Value::Object(o)) => (*o).clone(),
            _ => Object::new(),
        };
        job.insert(
            "status".into(),
            Value::str(match h.status {
                JobStatus::Success => "success",
                JobStatus::Failure => "failure",
                JobStatus::Cancelled => "cancelled",
            }),
        );
        h.set("job", Value::object(job));
        h
    }

    fn log(&self, step: Option<&str>, line: String) {
        self.cx.reporter.report(RunEvent::Log {
            job: self.key.clone(),
            step: step.map(str::to_string),
            stream: LogStream::System,
            line: self.cx.mask(&line),
        });
    }

    pub async fn run_steps(&mut self, steps: &[Step]) {
        let mut root = std::mem::take(&mut self.root);
        self.run_scope(steps, &mut root).await;
        self.root = root;
    }

    async fn run_scope(&mut self, steps: &[Step], scope: &mut Scope) {
        for (i, step) in steps.iter().enumerate() {
            let label = format!("{}{}", scope.prefix, i + 1);
            match &step.action {
                // 2026 syntax: Gantry runs the group's steps one after another.
                StepAction::Parallel(inner) => {
                    Box::pin(self.run_scope_inline(inner, scope, &label)).await
                }
                _ => self.run_one(step, scope, label).await,
            }
        }
    }

    async fn run_scope_inline(&mut self, steps: &[Step], scope: &mut Scope, label: &str) {
        let saved = std::mem::replace(&mut scope.prefix, format!("{label}."));
        self.run_scope(steps, scope).await;
        scope.prefix = saved;
    }

    async fn run_one(&mut self, step: &Step, scope: &mut Scope, label: String) {
        let t0 = Instant::now();
        let host = self.step_host(scope, &self.env);
        let name = step
            .name
            .as_ref()
            .map(|n| env::eval_text(&n.value, &host).unwrap_or_else(|_| n.value.clone()))
            .unwrap_or_else(|| step.label());
        let run = match &step.if_ {
            None => Ok(host.status == JobStatus::Success),
            Some(c) => parse_condition(&c.value)
                .map_err(|e| format!("`if: {}`: {e}", c.value))
                .and_then(|cond| {
                    cond.evaluate(&host)
                        .map_err(|e| format!("`if: {}`: {e}", c.value))
                }),
        };
        let id = step.id.as_ref().map(|i| i.value.clone());
        let finish = |this: &mut Self,
                      scope: &mut Scope,
                      outcome: Conclusion,
                      conclusion: Conclusion,
                      outputs: BTreeMap<String, String>,
                      reason: Option<String>| {
            if let Some(id) = &id {
                let mut o = Object::new();
                let mut outs = Object::new();
                for (k, v) in &outputs {
                    outs.insert(k.clone(), Value::str(v));
                }
                o.insert("outputs".into(), Value::object(outs));
                o.insert("outcome".into(), Value::str(outcome.as_str()));
                o.insert("conclusion".into(), Value::str(conclusion.as_str()));
                scope.steps.insert(id.clone(), Value::object(o));
            }
            if conclusion == Conclusion::Failure {
                scope.failed = true;
                if this.first_failure.is_none() {
                    this.first_failure = Some(match &reason {
                        Some(r) => format!("step {label} `{name}` failed: {r}"),
                        None => format!("step {label} `{name}` failed"),
                    });
                }
            }
            this.cx.reporter.report(RunEvent::StepFinished {
                job: this.key.clone(),
                step: label.clone(),
                name: name.clone(),
                outcome,
                conclusion,
                reason: reason.map(|r| this.cx.mask(&r)),
                duration_ms: millis(t0.elapsed()),
            });
        };
        match run {
            Ok(false) => {
                let c = Conclusion::Skipped;
                finish(self, scope, c, c, BTreeMap::new(), None);
                return;
            }
            Err(e) => {
                self.cx.reporter.report(RunEvent::StepStarted {
                    job: self.key.clone(),
                    step: label.clone(),
                    name: name.clone(),
                });
                let c = Conclusion::Failure;
                finish(self, scope, c, c, BTreeMap::new(), Some(e));
                return;
            }
            Ok(true) => {}
        }
        self.cx.reporter.report(RunEvent::StepStarted {
            job: self.key.clone(),
            step: label.clone(),
            name: name.clone(),
        });
        let r = self.execute(step, scope, &label, &name).await;
        let (outcome, outputs, reason) = match r {
            Ok(r) => (r.outcome, r.outputs, r.reason),
            Err(e) => (Conclusion::Failure, BTreeMap::new(), Some(e.to_string())),
        };
        let conclusion = if outcome == Conclusion::Failure && self.continue_on_error(step, scope) {
            Conclusion::Success
        } else {
            outcome
        };
        finish(self, scope, outcome, conclusion, outputs, reason);
    }

    fn continue_on_error(&self, step: &Step, scope: &Scope) -> bool {
        match step.continue_on_error.as_ref().map(|c| &c.value) {
            Some(BoolOrExpr::Bool(b)) => *b,
            Some(BoolOrExpr::Expr(e)) => {
                let host = self.step_host(scope, &self.env);
                env::eval_value(e, &host)
                    .map(|v| v.truthy())
                    .unwrap_or(false)
            }
            None => false,
        }
    }

    fn timeout(&self, step: &Step, host: &RunHost) -> Option<Duration> {
        let minutes = match step.timeout_minutes.as_ref().map(|t| &t.value) {
            Some(NumOrExpr::Num(n)) => Some(*n),
            Some(NumOrExpr::Expr(e)) => env::eval_value(e, host).ok().map(|v| v.to_number()),
            None => None,
        }?;
        (minutes.is_finite() && minutes > 0.0).then(|| Duration::from_secs_f64(minutes * 60.0))
    }

    /// The environment a step's process gets, and its host for expressions.
    fn step_env(&self, step: &Step, scope: &Scope) -> Result<(EnvMap, RunHost), EngineError> {
        let mut env = scope.base_env.clone().unwrap_or_else(|| self.env.clone());
        for (k, v) in &self.env_file {
            env.insert(k.clone(), v.clone());
        }
        if let Some(a) = &scope.action {
            env.insert("GITHUB_ACTION_PATH".into(), a.container_dir.clone());
        }
        let host = self.step_host(scope, &env);
        env::apply(&mut env, &step.env, &host).map_err(EngineError::Expression)?;
        let host = self.step_host(scope, &env);
        Ok((env, host))
    }

    /// Everything the process sees: runner defaults, then the user's env, then the files.
    fn process_env(&self, env: &EnvMap, files: &StepFiles, action: &str) -> Vec<(String, String)> {
        let mut all = self.defaults.clone();
        all.insert("GITHUB_ACTION".into(), action.to_string());
        for (k, v) in env {
            all.insert(k.clone(), v.clone());
        }
        for (k, v) in &files.env {
            all.insert(k.clone(), v.clone());
        }
        let mut path = self.path_add.clone();
        path.push(
            env.get("PATH")
                .cloned()
                .unwrap_or_else(|| self.base_path.clone()),
        );
        all.insert("PATH".into(), path.join(":"));
        all.into_iter().collect()
    }

    fn working_dir(&self, step: &Step, host: &RunHost) -> Result<String, EngineError> {
        let wd = match step.working_directory.as_ref() {
            Some(w) => Some(env::eval_text(&w.value, host).map_err(EngineError::Expression)?),
            None => self.default_wd.clone(),
        };
        Ok(match wd {
            None => WORKSPACE.to_string(),
            Some(w) if w.starts_with('/') => w,
            Some(w) => format!("{WORKSPACE}/{}", w.trim_start_matches("./")),
        })
    }

    async fn execute(
        &mut self,
        step: &Step,
        scope: &mut Scope,
        label: &str,
        name: &str,
    ) -> Result<StepResult, EngineError> {
        let (env, host) = self.step_env(step, scope)?;
        let timeout = self.timeout(step, &host);
        self.counter += 1;
        let tag = format!("{}", self.counter);
        let files = self
            .layout
            .step_files(&tag)
            .map_err(|e| EngineError::io("creating the file-command files", e))?;
        let action_id = step
            .id
            .as_ref()
            .map_or_else(|| format!("__run_{tag}"), |i| i.value.clone());
        let mut result = match &step.action {
            StepAction::Run(script) => {
                let text = env::eval_text(&script.value, &host).map_err(EngineError::Expression)?;
                let shell = match &step.shell {
                    Some(s) => Some(s.value.clone()),
                    None if scope.action.is_some() => None,
                    None => self.default_shell.clone(),
                };
                let wd = self.working_dir(step, &host)?;
                let penv = self.process_env(&env, &files, &action_id);
                self.run_script(label, &tag, &text, shell.as_deref(), wd, penv, timeout)
                    .await?
            }
            StepAction::Uses { uses, with } => {
                self.run_uses(
                    label,
                    name,
                    &uses.value,
                    with,
                    env,
                    &host,
                    &files,
                    &action_id,
                    timeout,
                )
                .await?
            }
            StepAction::Wait(_) | StepAction::WaitAll(_) | StepAction::Cancel(_) => {
                // Background steps run in the foreground in Gantry, so there is nothing
                // left to wait for or cancel.
                StepResult {
                    outcome: Conclusion::Success,
                    outputs: BTreeMap::new(),
                    reason: None,
                }
            }
            StepAction::Parallel(_) | StepAction::Invalid => {
                return Err(EngineError::Unsupported(
                    "the step has neither `run` nor `uses`".into(),
                ))
            }
        };
        self.apply_files(label, name, &files, &mut result)?;
        Ok(result)
    }

    /// Reads what the step wrote to `GITHUB_ENV`, `GITHUB_OUTPUT`, `GITHUB_PATH` and
    /// `GITHUB_STEP_SUMMARY`.
    fn apply_files(
        &mut self,
        label: &str,
        _name: &str,
        files: &StepFiles,
        result: &mut StepResult,
    ) -> Result<(), EngineError> {
        let read = |var: &str| {
            files
                .read(var)
                .map_err(|e| EngineError::io(format!("reading {var}"), e))
        };
        let bad = |var: &str, e: crate::runner::file_commands::FileCommandError| {
            EngineError::Unsupported(format!("{var} line {}: {}", e.line, e.message))
        };
        for (k, v) in parse_key_values(&read("GITHUB_ENV")?).map_err(|e| bad("GITHUB_ENV", e))? {
            if env::protected(&k) {
                self.log(
                    Some(label),
                    format!("warning: GITHUB_ENV cannot set `{k}`; ignored"),
                );
                continue;
            }
            self.env_file.insert(k, v);
        }
        for (k, v) in
            parse_key_values(&read("GITHUB_OUTPUT")?).map_err(|e| bad("GITHUB_OUTPUT", e))?
        {
            result.outputs.insert(k, v);
        }
        for p in parse_path_file(&read("GITHUB_PATH")?).into_iter().rev() {
            self.path_add.insert(0, p);
        }
        let summary = read("GITHUB_STEP_SUMMARY")?;
        if !summary.trim().is_empty() {
            self.cx.reporter.report(RunEvent::Summary {
                job: self.key.clone(),
                step: label.to_string(),
                markdown: self.cx.mask(&summary),
            });
        }
        Ok(())
    }

    fn output_cx(&self, label: &str) -> OutputCx {
        OutputCx {
            reporter: self.cx.reporter.clone(),
            masker: self.cx.masker.clone(),
            job: self.key.clone(),
            step: label.to_string(),
            debug: self
                .cx
                .cfg
                .vars
                .get("ACTIONS_STEP_DEBUG")
                .is_some_and(|v| v.to_text() == "true"),
        }
    }

    fn absorb(&mut self, effects: &CommandEffects, result: &mut StepResult) {
        for (k, v) in &effects.outputs {
            result.outputs.insert(k.clone(), v.clone());
        }
        for p in effects.path.iter().rev() {
            self.path_add.insert(0, p.clone());
        }
    }

    /// Runs a command in the job container with output handling, timeout and cancellation.
    #[allow(clippy::too_many_arguments)]
    async fn exec(
        &mut self,
        label: &str,
        tag: &str,
        argv: Vec<String>,
        wd: String,
        env: Vec<(String, String)>,
        timeout: Option<Duration>,
    ) -> Result<(StepResult, CommandEffects), EngineError> {
        let (pid_host, pid_path) = self.layout.temp_file(&format!("step-{tag}.pid"));
        let _ = std::fs::remove_file(&pid_host);
        // The wrapper records the process id, so that a cancelled step can be signalled.
        let mut cmd = vec![
            "sh".to_string(),
            "-c".to_string(),
            format!("echo $$ > {pid_path}; exec \"$@\""),
            "sh".to_string(),
        ];
        cmd.extend(argv);
        let spec = ExecSpec {
            cmd,
            env,
            working_dir: Some(wd),
            user: self.cx.cfg.policy.user.clone(),
        };
        let (tx, rx) = mpsc::unbounded_channel::<Chunk>();
        let out = output::spawn(self.output_cx(label), rx);
        let backend = self.cx.backend.clone();
        let container = self.container.clone();
        let mut fut = Box::pin(async move { backend.exec(&container, &spec, tx).await });
        let stopped = self.wait_or_stop(&mut fut, timeout, &pid_path).await;
        let effects = out.await.unwrap_or_default();
        let mut result = stopped.into_result()?;
        self.explain_failure(&mut result).await;
        self.absorb(&effects, &mut result);
        Ok((result, effects))
    }

    /// Waits for `fut`; on timeout or cancellation signals the step's process group (TERM,
    /// then KILL after the grace period) and stops waiting if it still does not end.
    async fn wait_or_stop<F>(
        &self,
        fut: &mut F,
        timeout: Option<Duration>,
        pid_path: &str,
    ) -> Stopped
    where
        F: std::future::Future<Output = Result<i64, crate::backend::BackendError>> + Unpin,
    {
        let sleep = async {
            match timeout {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        // A step that starts after cancellation (`if: always()`) runs to its end; only a
        // second Ctrl-C stops it.
        let token = if self.token.is_cancelled() {
            self.cx.signals.force.clone()
        } else {
            self.token.clone()
        };
        let why = tokio::select! {
            r = &mut *fut => return Stopped::Finished(r),
            _ = sleep => Stopped::TimedOut(timeout.unwrap_or_default()),
            _ = token.cancelled() => Stopped::Cancelled,
        };
        for signal in ["TERM", "KILL"] {
            self.signal(pid_path, signal).await;
            let grace = if signal == "TERM" {
                GRACE
            } else {
                Duration::from_secs(2)
            };
            if tokio::time::timeout(grace, &mut *fut).await.is_ok() {
                return why;
            }
            if self.cx.signals.force.is_cancelled() {
                break;
            }
        }
        why
    }

    async fn signal(&self, pid_path: &str, signal: &str) {
        let spec = ExecSpec {
            cmd: vec![
                "sh".into(),
                "-c".into(),
                format!("p=$(cat {pid_path} 2>/dev/null) && {{ kill -{signal} -- -$p 2>/dev/null || kill -{signal} $p; }}"),
            ],
            ..Default::default()
        };
        let (tx, _rx) = mpsc::unbounded_channel();
        let _ = self.cx.backend.exec(&self.container, &spec, tx).await;
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_script(
        &mut self,
        label: &str,
        tag: &str,
        text: &str,
        shell: Option<&str>,
        wd: String,
        env: Vec<(String, String)>,
        timeout: Option<Duration>,
    ) -> Result<StepResult, EngineError> {
        let probe = shell::command(shell, "");
        let (host_path, path) = self
            .layout
            .temp_file(&format!("step-{tag}{}", probe.extension));
        std::fs::write(&host_path, text).map_err(|e| EngineError::io("writing the script", e))?;
        self.layout
            .own(&host_path)
            .map_err(|e| EngineError::io("giving the script to the policy's user", e))?;
        let cmd = shell::command(shell, &path);
        let (r, _) = self.exec(label, tag, cmd.argv, wd, env, timeout).await?;
        Ok(r)
    }

    /// Waits for the background removal of step containers.
    pub async fn drain(&mut self) {
        for r in self.removals.drain(..) {
            let _ = r.await;
        }
    }

    /// The job's `outputs:`, evaluated with the final steps context.
    pub fn job_outputs(&self, outputs: &StrMap) -> BTreeMap<String, String> {
        let host = self.step_host(&self.root, &self.env);
        let mut out = BTreeMap::new();
        for (k, v) in outputs.iter() {
            match env::eval_text(&v.value, &host) {
                Ok(val) => {
                    out.insert(k.value.clone(), val);
                }
                Err(e) => self.log(None, format!("warning: job output `{}`: {e}", k.value)),
            }
        }
        out
    }

    pub fn conclusion(&self) -> (Conclusion, Option<String>) {
        if self.root.failed {
            (Conclusion::Failure, self.first_failure.clone())
        } else if self.token.is_cancelled() {
            (Conclusion::Cancelled, Some("cancelled".into()))
        } else {
            (Conclusion::Success, None)
        }
    }
}
