//! What executing a planned job or step needs beyond what `gantry plan` shows: the texts
//! evaluated when it runs (`run`, `with`, `env`, `if`, `shell`, `working-directory`,
//! `timeout-minutes`, `continue-on-error`, outputs, container settings) and the local
//! actions the planner resolved. The planner fills them from the checked model; the engine
//! reads nothing else. They are never serialized (`#[serde(skip)]` where they sit), so the
//! rendered plan does not change with them.

use super::types::StepPlan;
use std::sync::Arc;

/// An `env:` block as written: a mapping of templates, or one expression that must give
/// a mapping at run time.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvTemplate {
    Map(Vec<(String, String)>),
    Expr(String),
}

impl Default for EnvTemplate {
    fn default() -> EnvTemplate {
        EnvTemplate::Map(Vec::new())
    }
}

/// A setting written as a literal or as an expression evaluated when the step runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting<T> {
    Value(T),
    Expr(String),
}

/// A text with its position in its file, so that a refusal at run time can say
/// `file:line:col`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Placed {
    pub text: String,
    pub line: u32,
    pub col: u32,
}

/// A step's texts, evaluated when it runs (the step's kind carries the rest).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepExec {
    /// `name:` as written; without it the step is called by the plan's name.
    pub name: Option<String>,
    pub if_: Option<String>,
    pub env: EnvTemplate,
    pub continue_on_error: Option<Setting<bool>>,
    pub timeout_minutes: Option<Setting<f64>>,
    pub working_directory: Option<String>,
    /// `uses:` as written, for messages and image tags.
    pub uses: Option<String>,
    /// `with:` as written, in order.
    pub with: Vec<(String, String)>,
    /// `background:` (2026 syntax): the step starts and the job goes on without waiting.
    pub background: Option<Setting<bool>>,
}

/// What a `wait`, `wait-all` or `cancel` step (2026 syntax) does to background steps.
#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    /// `wait: [ids]`: until these background steps end.
    Wait(Vec<String>),
    /// `wait-all:`: until every background step started so far ends.
    WaitAll,
    /// `cancel: id`: stop that background step.
    Cancel(String),
}

/// A job's texts, evaluated when it starts or ends.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobExec {
    /// `if:` as written (the plan's decision aside, run time decides with `needs`).
    pub if_: Option<String>,
    /// The workflow's `env:`, applied before the job's.
    pub workflow_env: EnvTemplate,
    pub env: EnvTemplate,
    /// `container:` settings other than the image the plan already chose.
    pub container: Option<ContainerTemplate>,
    pub services: Vec<(String, ContainerTemplate)>,
    /// `outputs:` as written, in order.
    pub outputs: Vec<(String, String)>,
    /// `defaults.run.shell` of the job, else of the workflow.
    pub default_shell: Option<String>,
    /// `defaults.run.working-directory` of the job, else of the workflow.
    pub default_working_directory: Option<String>,
}

/// A job container or service as written: evaluated, then judged by the policy, when
/// the job starts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerTemplate {
    pub image: Option<String>,
    /// `credentials.username` and `credentials.password`.
    pub credentials: Option<(Option<String>, Option<String>)>,
    pub env: EnvTemplate,
    pub ports: Vec<Placed>,
    pub volumes: Vec<Placed>,
    pub options: Option<Placed>,
}

/// An action (`action.yml`) as its steps run it: resolved by the planner for local
/// actions, by the engine's run-time re-planning for downloaded ones.
#[derive(Clone, Debug)]
pub struct ActionPlan {
    /// The action's directory: relative to the workspace for a local action, to the
    /// repository's root for a remote one (empty for its root).
    pub dir: String,
    /// The metadata file, for messages.
    pub file: String,
    /// Declared inputs and their defaults (templates).
    pub inputs: Vec<(String, Option<String>)>,
    /// Declared outputs and, for composite actions, their values (templates).
    pub outputs: Vec<(String, Option<String>)>,
    pub runs: ActionRuns,
}

#[derive(Clone, Debug)]
pub enum ActionRuns {
    Docker(DockerRuns),
    /// The action's steps, planned like a job's.
    Composite(Vec<StepPlan>),
    Node(NodeRuns),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct DockerRuns {
    /// `Dockerfile` (a path in the action) or `docker://image`.
    pub image: String,
    pub entrypoint: Option<String>,
    pub pre_entrypoint: Option<String>,
    pub post_entrypoint: Option<String>,
    /// When the post step runs (`runs.post-if`; GitHub's default is `always()`).
    pub post_if: Option<String>,
    pub args: Vec<String>,
    pub env: EnvTemplate,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeRuns {
    /// `node20`, `node24`.
    pub using: String,
    pub main: Option<String>,
    /// Run at the start of the job, before any step (`runs.pre`).
    pub pre: Option<String>,
    /// When the pre step runs (`runs.pre-if`; GitHub's default is `always()`).
    pub pre_if: Option<String>,
    pub post: Option<String>,
    /// When the post step runs (`runs.post-if`; GitHub's default is `always()`).
    pub post_if: Option<String>,
}

/// A shared, immutable action plan (a step kind holds one; post steps keep it).
pub type SharedAction = Arc<ActionPlan>;

/// Which of the caller's secrets a called workflow's jobs see.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum PassedSecrets {
    #[default]
    None,
    /// `secrets: inherit`: the caller's, by the same names.
    Inherit,
    /// `secrets:` mapping: each name and its expression over the caller's secrets.
    Map(Vec<(String, String)>),
}
