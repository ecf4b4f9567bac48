//! Pre steps (`runs.pre` of JavaScript actions): run when the job starts, before any of its
//! steps, for each of the job's own action steps whose action has one — as GitHub's runner
//! runs "Pre Run" steps, remote actions included (fetched then, as GitHub downloads them
//! while setting up the job). `runs.pre-if` (default `always()`) decides; what a pre step
//! saves with `GITHUB_STATE` reaches its main and post steps as `STATE_*`.

use super::action::runtime;
use super::process::Command;
use super::scope::Scope;
use super::{JobRunner, StepCall, StepResult};
use crate::backend::ContainerBackend;
use crate::error::EngineError;
use crate::layout::WORKSPACE;
use crate::loaded_action::LoadedAction;
use crate::protocol::file_commands::parse_key_values;
use crate::report::{millis, Conclusion, RunEvent};
use gantry_plan::{ActionRuns, StepKind, StepPlan};
use std::time::Instant;

impl<B: ContainerBackend> JobRunner<B> {
    /// Runs the pre steps of the job's steps, in order.
    pub async fn run_pres(&self, steps: &[StepPlan]) {
        for (i, step) in steps.iter().enumerate() {
            let Some(la) = self.pre_action(step).await else {
                continue;
            };
            let label = format!("pre {}", i + 1);
            let name = format!("Pre {}", la.uses);
            let t0 = Instant::now();
            let (outcome, reason) = match self.run_pre(step, &label, &name, la).await {
                Ok(None) => (Conclusion::Skipped, None),
                Ok(Some(r)) => (r.outcome, r.reason),
                Err(e) => (Conclusion::Failure, Some(e.to_string())),
            };
            if outcome == Conclusion::Failure {
                self.progress().root.failed = true;
            }
            self.cx.reporter.report(RunEvent::StepFinished {
                job: self.site.key.clone(),
                step: label,
                name,
                outcome,
                conclusion: outcome,
                reason: reason.map(|r| self.cx.mask(&r)),
                duration_ms: millis(t0.elapsed()),
            });
        }
    }

    /// The step's action when it is a JavaScript action with a `pre` script. A remote
    /// action that cannot be fetched has none here: its main step says why.
    async fn pre_action(&self, step: &StepPlan) -> Option<LoadedAction> {
        let uses = step.exec.uses.as_deref().unwrap_or("");
        let la = match &step.kind {
            StepKind::Node { action, .. } => self.local_action(uses, action),
            StepKind::Remote {
                repository,
                path,
                git_ref,
            } => self.fetch(uses, repository, path, git_ref).await.ok()?,
            _ => return None,
        };
        match &la.plan.runs {
            ActionRuns::Node(n) if n.pre.is_some() => Some(la),
            _ => None,
        }
    }

    /// Runs one pre step (`None`: its `pre-if` was false).
    async fn run_pre(
        &self,
        step: &StepPlan,
        label: &str,
        name: &str,
        la: LoadedAction,
    ) -> Result<Option<StepResult>, EngineError> {
        let ActionRuns::Node(n) = &la.plan.runs else {
            return Ok(None);
        };
        let (pre, pre_if, using) = (n.pre.clone(), n.pre_if.clone(), n.using.clone());
        let scope = Scope::default();
        let (env, host) = self.step_env(step, &scope)?;
        if !self.action_condition(("pre-if", pre_if.as_deref()), &host, label) {
            return Ok(None);
        }
        let (tag, files) = self.new_step_files()?;
        let call = StepCall {
            plan: step,
            label,
            name,
            tag,
            env,
            host,
            files,
            action_id: step.id.clone().unwrap_or_else(|| "__pre".into()),
            timeout: None,
            stop: self.token.clone(),
        };
        let err = |message: String| EngineError::Action {
            uses: la.uses.clone(),
            message,
        };
        let node = runtime::node_binary(&using, self.cx.cfg.externals.as_deref()).map_err(err)?;
        let script = format!("{}/{}", la.container_dir, pre.unwrap_or_default());
        let a = self.prepare(&call, la)?;
        self.started(label, name);
        let command = Command {
            argv: vec![node, script],
            working_dir: WORKSPACE.to_string(),
            env: a.penv,
            timeout: None,
            stop: call.stop.clone(),
        };
        let (r, effects) = self.exec(label, &call.tag, command).await?;
        let mut state = effects.state;
        if let Ok(text) = call.files.read("GITHUB_STATE") {
            state.extend(parse_key_values(&text).unwrap_or_default());
        }
        self.progress()
            .pre_state
            .insert(label.trim_start_matches("pre ").to_string(), state);
        Ok(Some(r))
    }
}
