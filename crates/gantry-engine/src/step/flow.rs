//! How a scope's steps follow each other: each step's `if:` with the job status now, its
//! name and env evaluated when it starts ([`JobRunner::gate`]), its executor
//! ([`JobRunner::launch`]), then what it leaves: the `steps` context, the job's env, the
//! job's first failure ([`JobRunner::settle`]). A foreground step settles as it ends; a
//! background one at the `wait` that names it ([`super::concurrent`]).

use super::concurrent::Background;
use super::file_commands::EnvChange;
use super::scope::Scope;
use super::{JobRunner, StepResult};
use crate::backend::ContainerBackend;
use crate::env::{self, EnvMap};
use crate::error::{EngineError, ExpressionError};
use crate::host::RunHost;
use crate::report::{millis, Conclusion, RunEvent};
use gantry_core::expr::{parse_condition, JobStatus};
use gantry_plan::{Setting, StepKind, StepPlan};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Which step an executor runs, for its logs and its stopping.
#[derive(Clone, Copy)]
pub struct StepAt<'a> {
    pub label: &'a str,
    pub name: &'a str,
    pub stop: &'a CancellationToken,
}

/// How a step ended, for the `steps` context and the reporter.
pub struct Done<'p> {
    /// The plan's number of the step (file order): settling goes by it.
    pub index: usize,
    pub id: Option<&'p str>,
    pub label: String,
    pub name: String,
    pub t0: Instant,
    pub outcome: Conclusion,
    pub conclusion: Conclusion,
    pub outputs: BTreeMap<String, String>,
    pub reason: Option<String>,
    pub changes: Vec<EnvChange>,
}

impl<'p> Done<'p> {
    fn new(step: &'p StepPlan, label: String, name: String, t0: Instant) -> Done<'p> {
        Done {
            index: step.index,
            id: step.id.as_deref(),
            label,
            name,
            t0,
            outcome: Conclusion::Skipped,
            conclusion: Conclusion::Skipped,
            outputs: BTreeMap::new(),
            reason: None,
            changes: Vec::new(),
        }
    }

    /// A step that failed before running.
    pub fn failed(mut self, reason: String) -> Done<'p> {
        self.outcome = Conclusion::Failure;
        self.conclusion = Conclusion::Failure;
        self.reason = Some(reason);
        self
    }
}

/// A step whose `if:` held, with what it starts with.
pub struct Launch<'p> {
    pub step: &'p StepPlan,
    pub done: Done<'p>,
    /// What its `if:` saw (`continue-on-error` is evaluated with it too).
    pub host: RunHost,
    /// Its env and host, or why they could not be evaluated.
    pub env: Result<(EnvMap, RunHost), EngineError>,
    pub stop: CancellationToken,
}

/// A step after its `if:`: ended already (skipped, or its condition failed), or to run.
pub enum Gate<'p> {
    Ended(Done<'p>),
    Go(Box<Launch<'p>>),
}

impl<B: ContainerBackend> JobRunner<B> {
    pub(super) async fn run_scope(&self, steps: &[StepPlan], scope: &mut Scope) {
        let mut bg = Background::new();
        for (i, step) in steps.iter().enumerate() {
            let label = format!("{}{}", scope.prefix, i + 1);
            match &step.kind {
                StepKind::Parallel { steps: inner } => {
                    self.parallel(inner, scope, &label, &mut bg).await
                }
                StepKind::Control { control, .. } => {
                    self.control(step, control, scope, label, &mut bg).await
                }
                _ if self.in_background(step, scope) => {
                    self.start_background(step, scope, label, &mut bg)
                }
                _ => match self.gate(step, scope, label) {
                    Gate::Ended(done) => self.finish(scope, done),
                    Gate::Go(l) => {
                        let done = bg.drive(self.launch(*l)).await;
                        self.finish(scope, done);
                    }
                },
            }
        }
        // GitHub's implicit `wait-all` before the job's post steps (and, here, at the end
        // of a composite action's steps).
        self.settle_all(&mut bg, scope).await;
    }

    /// A composite action's scope, boxed as `dyn`: its steps may be composite actions
    /// again, and the future's type must not contain itself.
    pub(super) fn inner_scope<'a>(
        &'a self,
        steps: &'a [StepPlan],
        scope: &'a mut Scope,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(self.run_scope(steps, scope))
    }

    /// `background:` of a step (false when it cannot be evaluated: the step then runs in
    /// the foreground, and the warning says why).
    fn in_background(&self, step: &StepPlan, scope: &Scope) -> bool {
        match &step.exec.background {
            None => false,
            Some(Setting::Value(b)) => *b,
            Some(Setting::Expr(e)) => {
                let host = self.step_host(scope, &self.context_env(scope));
                match env::eval_value(e, &host) {
                    Ok(v) => v.truthy(),
                    Err(err) => {
                        self.log(None, format!("warning: `background: {e}`: {err}"));
                        false
                    }
                }
            }
        }
    }

    /// A step's `if:` (default `success()`) with the job's status now, its name, and what
    /// it starts with.
    pub(super) fn gate<'p>(&self, step: &'p StepPlan, scope: &Scope, label: String) -> Gate<'p> {
        let t0 = Instant::now();
        let host = self.step_host(scope, &self.context_env(scope));
        let name = match &step.exec.name {
            Some(n) => env::eval_text(n, &host).unwrap_or_else(|_| n.clone()),
            None => step.name.clone(),
        };
        let done = Done::new(step, label, name, t0);
        match Self::condition(step, &host) {
            Ok(false) => Gate::Ended(done),
            Err(e) => {
                self.started(&done.label, &done.name);
                Gate::Ended(done.failed(e.to_string()))
            }
            Ok(true) => Gate::Go(Box::new(Launch {
                step,
                env: self.step_env(step, scope),
                stop: self.stop_for(scope),
                done,
                host,
            })),
        }
    }

    /// The token a step in `scope` stops on: a child of the scope's (a composite action's
    /// step) or of the job's; for a step that starts after those were cancelled
    /// (`if: always()`), only a second Ctrl-C.
    fn stop_for(&self, scope: &Scope) -> CancellationToken {
        let parent = scope.stop.as_ref().unwrap_or(&self.token);
        if parent.is_cancelled() {
            self.cx.signals.force.child_token()
        } else {
            parent.child_token()
        }
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

    pub(super) fn started(&self, label: &str, name: &str) {
        self.cx.reporter.report(RunEvent::StepStarted {
            job: self.site.key.clone(),
            step: label.to_string(),
            name: name.to_string(),
        });
    }

    /// Runs a step whose `if:` held, to its end.
    pub(super) async fn launch<'p>(&self, l: Launch<'p>) -> Done<'p> {
        let Launch {
            step,
            mut done,
            host,
            env,
            stop,
        } = l;
        self.started(&done.label, &done.name);
        // Everything the step logs (and the backend beneath it) is inside its span.
        let span = tracing::info_span!("step", step = %done.label);
        let at = StepAt {
            label: &done.label,
            name: &done.name,
            stop: &stop,
        };
        let executed = match env {
            Ok(env) => self.execute(step, at, env).instrument(span).await,
            Err(e) => Err(e),
        };
        let r = executed.unwrap_or_else(|e| StepResult {
            reason: Some(e.to_string()),
            outcome: Conclusion::Failure,
            ..StepResult::success()
        });
        done.conclusion =
            if r.outcome == Conclusion::Failure && Self::continue_on_error(step, &host) {
                Conclusion::Success
            } else {
                r.outcome
            };
        done.outcome = r.outcome;
        done.outputs = r.outputs;
        done.reason = r.reason;
        done.changes = r.changes;
        done
    }

    /// A foreground step's end: reported and settled at once.
    pub(super) fn finish(&self, scope: &mut Scope, done: Done<'_>) {
        self.report_finished(&done);
        self.settle(scope, done);
    }

    pub(super) fn report_finished(&self, done: &Done<'_>) {
        self.cx.reporter.report(RunEvent::StepFinished {
            job: self.site.key.clone(),
            step: done.label.clone(),
            name: done.name.clone(),
            outcome: done.outcome,
            conclusion: done.conclusion,
            reason: done.reason.as_deref().map(|r| self.cx.mask(r)),
            duration_ms: millis(done.t0.elapsed()),
        });
    }

    /// What an ended step leaves to the steps after it: its env changes, `steps.<id>`,
    /// and, failed, the scope's failure and the job's first failure.
    pub(super) fn settle(&self, scope: &mut Scope, done: Done<'_>) {
        {
            let mut env = self.job_env();
            for change in done.changes {
                env.change(change);
            }
        }
        if let Some(id) = done.id {
            scope.record(id, &done.outputs, done.outcome, done.conclusion);
        }
        if done.conclusion == Conclusion::Failure {
            scope.failed = true;
            let mut p = self.progress();
            if p.first_failure.is_none() {
                let (label, name) = (&done.label, &done.name);
                p.first_failure = Some(match &done.reason {
                    Some(r) => format!("step {label} `{name}` failed: {}", self.cx.mask(r)),
                    None => format!("step {label} `{name}` failed"),
                });
            }
        }
    }
}
