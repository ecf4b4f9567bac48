//! The `Plan`: everything a run will do, decided before anything runs. `gantry plan` prints
//! it; `gantry run` and the service execute it. It holds secret *names* and their sources,
//! never values. What execution needs beyond the rendered plan (templates, resolved
//! actions) rides along in `#[serde(skip)]` fields: see [`super::exec`].

use super::exec::{Control, JobExec, PassedSecrets, SharedAction, StepExec};
use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub event: EventSummary,
    /// Every workflow considered, matched or not, in file order.
    pub workflows: Vec<WorkflowOutcome>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EventSummary {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The event was made up from defaults: a push of a working tree that is no git
    /// repository (`"synthetic": true`; absent otherwise).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub synthetic: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct WorkflowOutcome {
    pub file: String,
    pub name: String,
    pub matched: bool,
    /// Why it matched or not, one decision per line ("branch `dev` excluded by `!dev` at ci.yml:7:9").
    pub reasons: Vec<String>,
    /// Problems that keep a matched workflow from running (invalid file, missing input...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<crate::WorkflowProblem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<WorkflowPlan>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WorkflowPlan {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<ConcurrencyPlan>,
    /// Jobs in dependency order (a job after everything it needs).
    pub jobs: Vec<JobPlan>,
    /// What every step's container receives from Gantry (besides the user's `env`).
    pub step_environment: StepEnvironment,
    /// `inputs` as typed for this workflow (dispatch/call).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub inputs: serde_json::Map<String, Value>,
}

/// The variables and files GitHub's runner gives every step, as Gantry will provide them.
/// Values known now are shown; run-specific ones say "at run time".
#[derive(Clone, Debug, Serialize)]
pub struct StepEnvironment {
    pub variables: Vec<(String, String)>,
    /// Path in the container → what it holds.
    pub files: Vec<(String, String)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConcurrencyPlan {
    /// The group, evaluated when possible, else the expression text.
    pub group: String,
    pub cancel_in_progress: Decision,
}

/// A value decided at plan time, or left to run time because it needs run-time contexts.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "when", rename_all = "snake_case")]
pub enum Decision {
    Now { value: bool },
    AtRunTime { expression: String },
}

#[derive(Clone, Debug, Serialize)]
pub struct JobPlan {
    /// The job id; matrix legs and called-workflow jobs share it with a suffix in `key`.
    pub id: String,
    /// Unique within the plan: `build`, `test (ubuntu, 18)`, `call/inner`.
    pub key: String,
    pub name: String,
    /// Job ids (of this plan) this job waits for.
    pub needs: Vec<String>,
    /// Whether the job runs: decided now (`if:` without run-time contexts) or at run time.
    pub condition: Decision,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix: Option<Value>,
    pub runs_on: Vec<String>,
    /// The image the job container starts from (platform map, or `container:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// No image for its `runs-on` (and no `container:`): the job cannot run here, so a run
    /// skips it whatever its `if:` says — as the plan shows — and `skip_reason` names the
    /// label to map. Jobs that need it see it skipped.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_image: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServicePlan>,
    pub steps: Vec<StepPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<ConcurrencyPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_minutes: Option<f64>,
    pub continue_on_error: Decision,
    /// Strategy settings shared by the legs of one matrix job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<StrategyPlan>,
    /// Reusable workflow this job came from (`uses:` at job level), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub called_from: Option<String>,
    /// Variable names the container gets (values shown only when not secret).
    pub env: Vec<(String, String)>,
    /// Secret names the job uses and where each comes from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretRef>,
    /// For a job of a called (reusable) workflow: what running it needs from the call.
    #[serde(skip)]
    pub call: Option<std::sync::Arc<CallSource>>,
    /// What running the job evaluates when it starts and ends.
    #[serde(skip)]
    pub exec: JobExec,
    /// Set when the job's matrix needs run-time contexts (`needs` outputs): this plan is
    /// a placeholder leg, and the run plans the job again once the jobs it needs are done.
    #[serde(skip)]
    pub at_run_time: Option<std::sync::Arc<RunTimeJob>>,
}

/// What planning a job again at run time needs: the job in its workflow, the options and
/// plan-time contexts it was planned with, and where it sits (inside a called workflow).
/// [`crate::replan_job`] plans it with the `needs` context added.
#[derive(Debug)]
pub struct RunTimeJob {
    pub workflow: gantry_core::model::Workflow,
    pub job: String,
    /// The workflow file (a called workflow's path for its jobs).
    pub path: String,
    pub options: super::build::PlanOptions,
    pub host: super::context::PlanHost,
    pub depth: usize,
    pub prefix: String,
    pub outer_needs: Vec<String>,
    /// The repository the job's workflow is in when it is a remote reusable workflow.
    pub repo: Option<crate::remote::RepoAt>,
}

/// A call of a local reusable workflow, as its jobs need it at run time: the called
/// workflow, the inputs (typed now, or expressions evaluated when the job starts), which
/// secrets the caller passes, and how the call's outputs come from the called jobs.
#[derive(Debug)]
pub struct CallSource {
    /// The calling job's key: the jobs of the call are `caller_key/...`.
    pub caller_key: String,
    pub inputs: gantry_core::expr::Object,
    /// Inputs whose values are expressions known only at run time.
    pub later: Vec<(String, String)>,
    pub secrets: PassedSecrets,
    /// `on.workflow_call.outputs`: each name and its value (a template over `jobs`).
    pub outputs: Vec<(String, Option<String>)>,
    /// What the operator's policy refuses in the called workflow.
    pub refusals: Vec<gantry_core::policy::Located>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StrategyPlan {
    pub fail_fast: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_parallel: Option<u32>,
    pub total: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServicePlan {
    pub id: String,
    pub image: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SecretRef {
    pub name: String,
    pub source: String,
    /// Where the step containers find it, on a tmpfs mount (the value is never in the plan).
    pub file: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepPlan {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    pub kind: StepKind,
    pub condition: Decision,
    /// What running the step evaluates.
    #[serde(skip)]
    pub exec: StepExec,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StepKind {
    /// A `run:` script in the job container.
    Run {
        /// The shell shown (`bash` when nothing says otherwise).
        shell: String,
        /// The script (a template).
        #[serde(skip)]
        script: String,
        /// The shell the step runs with: its `shell:`, else (outside composite actions)
        /// the defaults'; `None` picks bash where the image has it, else sh.
        #[serde(skip)]
        run_shell: Option<String>,
    },
    /// `uses: docker://image`.
    DockerImage {
        image: String,
    },
    /// A local action built from a Dockerfile.
    DockerfileAction {
        path: String,
        dockerfile: String,
        #[serde(skip)]
        action: SharedAction,
    },
    /// A local action whose `runs.image` is `docker://…`.
    DockerAction {
        path: String,
        image: String,
        #[serde(skip)]
        action: SharedAction,
    },
    Composite {
        path: String,
        steps: usize,
        #[serde(skip)]
        action: SharedAction,
    },
    Node {
        path: String,
        using: String,
        main: String,
        #[serde(skip)]
        action: SharedAction,
    },
    /// `owner/repo[/path]@ref`: decided at run time, when the run downloads it and the
    /// engine plans its `action.yml` with the planner's own functions.
    Remote {
        repository: String,
        path: String,
        git_ref: String,
    },
    Parallel {
        steps: Vec<StepPlan>,
    },
    /// `wait`, `wait-all`, `cancel` of background steps.
    Control {
        what: String,
        #[serde(skip)]
        control: Control,
    },
    /// A step that cannot run; why.
    Invalid {
        reason: String,
        /// What the step fails with when the job reaches it, when it says more than
        /// `reason` (the action's file and position).
        #[serde(skip)]
        error: Option<String>,
    },
}
