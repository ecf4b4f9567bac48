//! The environment of a job's steps, in GitHub's order of precedence: the runner's
//! variables, then the workflow's and job's `env`, then what earlier steps wrote to
//! `GITHUB_ENV`, then the step's own `env`; `PATH` is the image's with what steps added
//! through `GITHUB_PATH` in front. Also the step's working directory.

use super::file_commands::EnvChange;
use super::scope::Scope;
use super::JobRunner;
use crate::backend::ContainerBackend;
use crate::env::{self, EnvMap};
use crate::error::EngineError;
use crate::host::RunHost;
use crate::layout::{StepFiles, WORKSPACE};
use gantry_plan::StepPlan;

pub struct JobEnv {
    /// `GITHUB_*`, `RUNNER_*`, `CI`.
    defaults: EnvMap,
    /// The workflow's and job's `env:`, evaluated.
    user: EnvMap,
    /// Values written to `GITHUB_ENV` by earlier steps.
    from_file: EnvMap,
    /// Directories written to `GITHUB_PATH` (or `::add-path::`), latest first.
    path_add: Vec<String>,
    /// The image's `PATH`.
    base_path: String,
    /// `defaults.run.working-directory`.
    default_wd: Option<String>,
}

impl JobEnv {
    pub fn new(
        defaults: EnvMap,
        user: EnvMap,
        base_path: String,
        default_wd: Option<String>,
    ) -> JobEnv {
        JobEnv {
            defaults,
            user,
            from_file: EnvMap::new(),
            path_add: Vec::new(),
            base_path,
            default_wd,
        }
    }

    pub fn user(&self) -> &EnvMap {
        &self.user
    }

    /// What a step wrote to `GITHUB_ENV` (a value for the steps after it) or `GITHUB_PATH`
    /// (a directory in front of `PATH`).
    pub fn change(&mut self, change: EnvChange) {
        match change {
            EnvChange::Set(name, value) => {
                self.from_file.insert(name, value);
            }
            EnvChange::Path(dir) => self.path_add.insert(0, dir),
        }
    }

    /// Everything the process sees: runner defaults, then the user's env, then the files.
    pub fn process_env(
        &self,
        env: &EnvMap,
        files: &StepFiles,
        action: &str,
    ) -> Vec<(String, String)> {
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

    /// The step's `working-directory` (else the defaults'), under the workspace unless
    /// absolute.
    pub fn working_dir(&self, step: &StepPlan, host: &RunHost) -> Result<String, EngineError> {
        let wd = match &step.exec.working_directory {
            Some(w) => Some(env::eval_text(w, host).map_err(EngineError::Expression)?),
            None => self.default_wd.clone(),
        };
        Ok(match wd {
            None => WORKSPACE.to_string(),
            Some(w) if w.starts_with('/') => w,
            Some(w) => format!("{WORKSPACE}/{}", w.trim_start_matches("./")),
        })
    }
}

impl<B: ContainerBackend> JobRunner<B> {
    /// The `env` context where a step's `if:`, `name` and `continue-on-error` are evaluated:
    /// the job's `env:` (inside a composite action, the calling step's), then what earlier
    /// steps wrote to `GITHUB_ENV` — as GitHub builds it.
    pub(super) fn context_env(&self, scope: &Scope) -> EnvMap {
        let job = self.job_env();
        let mut env = scope.base_env.clone().unwrap_or_else(|| job.user.clone());
        for (k, v) in &job.from_file {
            env.insert(k.clone(), v.clone());
        }
        env
    }

    /// The environment a step's process gets, and its host for expressions.
    pub(super) fn step_env(
        &self,
        step: &StepPlan,
        scope: &Scope,
    ) -> Result<(EnvMap, RunHost), EngineError> {
        let mut env = self.context_env(scope);
        if let Some(path) = &scope.action_path {
            env.insert("GITHUB_ACTION_PATH".into(), path.clone());
        }
        let host = self.step_host(scope, &env);
        env::apply(&mut env, &step.exec.env, &host).map_err(EngineError::Expression)?;
        let host = self.step_host(scope, &env);
        Ok((env, host))
    }
}
