//! Executing a planned workflow with a container backend: jobs as soon as their `needs`
//! finish (up to a limit), one job container per job on a per-run network, services,
//! `run:` steps, container/composite/JavaScript actions, file and workflow commands,
//! outputs, conditions, timeouts, cancellation — and no container, network or volume left
//! behind. The engine runs a [`gantry_plan::WorkflowPlan`] and nothing else: each step's
//! kind and texts are the plan's; only what the plan leaves to run time (a remote action's
//! `action.yml`, a matrix made from the outputs of needed jobs) is planned during the run,
//! in [`replan`]. Effects go through [`crate::backend::ContainerBackend`]
//! ([`crate::backend::fake`] in tests).

mod action_source;
pub mod backend;
mod call_secrets;
mod cleanup;
mod context;
mod env;
mod error;
mod host;
mod job;
mod layout;
mod loaded_action;
pub mod mask;
mod masked;
mod output;
pub mod protocol;
pub mod replan;
mod report;
mod schedule;
pub mod scratch;
mod services;
mod shell;
mod step;
mod workspace;

pub use action_source::{ActionDirError, ActionSource, ActionSourceError, NoRemote, Overrides};
pub use cleanup::{remove_leftovers, remove_run_leftovers, remove_stale};
pub use error::{EngineError, ExprFailure, ExpressionError};
pub use host::{hash_files, hex, RunHost};
pub use job::services_address;
pub use report::{Collect, Conclusion, LogStream, Reporter, RunEvent};
pub use schedule::{is_kept_reason, kept_reason};
pub use services::{
    run_attempt_key, GitAccess, JobIdentity, JobServices, NoServices, ServiceGrant,
};
pub use shell::{command as shell_command, ShellCommand};
pub use step::default_externals;

use crate::backend::ContainerBackend;
use gantry_core::expr::Object;
use gantry_plan::event::Event;
use gantry_plan::{WorkflowOutcome, WorkflowPlan};
use gantry_secrets::SecretStore;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// How the engine runs things; built once and shared by every run.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// The repository on the host that jobs see at `GITHUB_WORKSPACE`.
    pub workspace: PathBuf,
    /// Copy the workspace into a volume instead of bind-mounting it.
    pub copy_workspace: bool,
    /// Jobs running at once, across the run.
    pub max_jobs: usize,
    /// Where per-run host directories (event payload, file commands, step scripts) are
    /// created: a directory on tmpfs (see [`scratch`]); the CLI and the service check it.
    pub run_root: PathBuf,
    pub vars: Object,
    /// How long a service may take to become healthy.
    pub service_timeout: std::time::Duration,
    /// What workflows may ask of the host, and the confinement every container gets.
    pub policy: Arc<gantry_core::policy::Policy>,
    /// The Node runtimes JavaScript actions declare (`node20/bin/node`, `node24/bin/node`),
    /// mounted read-only into job containers at `/__e` as GitHub's runner mounts its own;
    /// `None` runs them with the image's `node` (tests with a fake backend).
    pub externals: Option<PathBuf>,
    /// A persistent tool cache (`RUNNER_TOOL_CACHE`) that `setup-*` actions find tools in
    /// across runs; `None` gives each job an empty one.
    pub tool_cache: Option<PathBuf>,
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            workspace: PathBuf::from("."),
            copy_workspace: false,
            max_jobs: 4,
            run_root: scratch::default_root(),
            vars: Object::new(),
            service_timeout: std::time::Duration::from_secs(300),
            policy: Arc::default(),
            externals: None,
            tool_cache: None,
        }
    }
}

/// One matched workflow to run: its plan (everything the run does) and the event.
pub struct RunRequest {
    pub run_id: String,
    pub run_number: u64,
    /// `github.run_attempt`: 1, then one more for each time the run is run again.
    pub attempt: u32,
    /// The workflow file, as the plan names it.
    pub file: String,
    pub workflow_name: String,
    pub plan: WorkflowPlan,
    pub event: Event,
    /// The repositories of remote reusable workflows fetched before planning: a job left to
    /// run time (a matrix over `needs` outputs) that calls one is planned again from them.
    pub remote: gantry_plan::remote::RemoteRepos,
    /// "Re-run failed jobs": the jobs of an earlier attempt that did not fail, which this
    /// attempt keeps instead of running them again (see `schedule::kept`); empty: run all.
    pub kept: Vec<KeptJob>,
}

/// A job an attempt keeps from an earlier one: its result and outputs as they were then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptJob {
    /// The job's key in the plan (a matrix leg's: `test (1)`).
    pub key: String,
    pub conclusion: Conclusion,
    /// Masked already: they were when the earlier attempt ended.
    pub outputs: BTreeMap<String, String>,
    /// The attempt it ran in.
    pub attempt: u32,
}

impl RunRequest {
    /// The request for a matched workflow of a plan; `None` when it does not run (not
    /// matched, or blocked by errors).
    pub fn from_outcome(
        outcome: &WorkflowOutcome,
        event: &Event,
        run_id: String,
        run_number: u64,
    ) -> Option<RunRequest> {
        let plan = outcome
            .run
            .clone()
            .filter(|_| outcome.matched && outcome.errors.is_empty())?;
        Some(RunRequest {
            run_id,
            run_number,
            attempt: 1,
            file: outcome.file.clone(),
            workflow_name: outcome.name.clone(),
            plan,
            event: event.clone(),
            remote: Default::default(),
            kept: Vec::new(),
        })
    }
}

/// Ctrl-C handling: `cancel` asks for a graceful stop (running steps are stopped, `always()`
/// steps still run, everything is cleaned up); `force` stops at once (still cleaning up).
#[derive(Clone, Default)]
pub struct Signals {
    pub cancel: CancellationToken,
    pub force: CancellationToken,
}

#[derive(Clone, Debug)]
pub struct JobResult {
    pub key: String,
    pub id: String,
    pub conclusion: Conclusion,
    pub outputs: BTreeMap<String, String>,
    pub reason: Option<String>,
    /// The attempt the job was kept from (not executed in this one; see [`KeptJob`]).
    pub kept_from: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct RunResult {
    pub conclusion: Conclusion,
    pub jobs: Vec<JobResult>,
}

pub struct Engine<B: ContainerBackend> {
    backend: Arc<B>,
    config: Arc<EngineConfig>,
    secrets: Arc<dyn SecretStore>,
    actions: Arc<dyn ActionSource>,
    services: Arc<dyn JobServices>,
}

impl<B: ContainerBackend> Engine<B> {
    pub fn new(backend: Arc<B>, config: EngineConfig) -> Engine<B> {
        Engine {
            backend,
            config: Arc::new(config),
            secrets: Arc::new(gantry_secrets::ChainStore::default()),
            actions: Arc::new(NoRemote),
            services: Arc::new(NoServices),
        }
    }

    /// What the host serves jobs: artifact and cache services, the git server (by default:
    /// nothing).
    pub fn with_services(mut self, services: Arc<dyn JobServices>) -> Engine<B> {
        self.services = services;
        self
    }

    /// Where remote actions come from (by default: nowhere, with a message saying so).
    pub fn with_actions(mut self, source: Arc<dyn ActionSource>) -> Engine<B> {
        self.actions = source;
        self
    }

    /// Where the secrets jobs use come from (by default: none but an empty `GITHUB_TOKEN`).
    pub fn with_secrets(mut self, store: Arc<dyn SecretStore>) -> Engine<B> {
        self.secrets = store;
        self
    }

    pub fn backend(&self) -> &Arc<B> {
        &self.backend
    }

    /// Runs one workflow to the end (or until cancelled), reporting as it goes, and removes
    /// everything it created before returning.
    pub async fn run(
        &self,
        req: RunRequest,
        reporter: Arc<dyn Reporter>,
        signals: Signals,
    ) -> Result<RunResult, EngineError> {
        schedule::run(self, req, reporter, signals).await
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_kept;
#[cfg(test)]
mod tests_parallel;
