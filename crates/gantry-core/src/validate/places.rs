//! Where expressions may appear and which contexts and special functions each place allows,
//! following GitHub's "context availability" table. Gantry's own triggers add no contexts:
//! a Kafka message or webhook call is `github.event`.

/// One kind of place in a workflow or action file that may hold `${{ }}`.
#[derive(Debug)]
pub struct Place {
    /// How the place is named in messages, e.g. "`jobs.<job_id>.runs-on`".
    pub name: &'static str,
    pub contexts: &'static [&'static str],
    /// `success()`, `failure()`, `cancelled()`, `always()`.
    pub status_functions: bool,
    pub hash_files: bool,
}

macro_rules! place {
    ($id:ident, $name:literal, [$($c:literal),*]) => {
        pub static $id: Place = Place { name: $name, contexts: &[$($c),*], status_functions: false, hash_files: false };
    };
    ($id:ident, $name:literal, [$($c:literal),*], status) => {
        pub static $id: Place = Place { name: $name, contexts: &[$($c),*], status_functions: true, hash_files: false };
    };
    ($id:ident, $name:literal, [$($c:literal),*], step) => {
        pub static $id: Place = Place { name: $name, contexts: &[$($c),*], status_functions: false, hash_files: true };
    };
    ($id:ident, $name:literal, [$($c:literal),*], step_if) => {
        pub static $id: Place = Place { name: $name, contexts: &[$($c),*], status_functions: true, hash_files: true };
    };
}

place!(RUN_NAME, "`run-name`", ["github", "inputs", "vars"]);
place!(
    WORKFLOW_CONCURRENCY,
    "workflow `concurrency`",
    ["github", "inputs", "vars"]
);
place!(
    WORKFLOW_ENV,
    "workflow `env`",
    ["github", "secrets", "inputs", "vars"]
);
place!(
    JOB_CONCURRENCY,
    "`jobs.<job_id>.concurrency`",
    ["github", "needs", "strategy", "matrix", "inputs", "vars"]
);
place!(
    JOB_CONTAINER,
    "`jobs.<job_id>.container`",
    ["github", "needs", "strategy", "matrix", "vars", "inputs"]
);
place!(
    CONTAINER_CREDENTIALS,
    "container `credentials`",
    ["github", "needs", "strategy", "matrix", "env", "vars", "secrets", "inputs"]
);
place!(
    CONTAINER_ENV,
    "container `env`",
    [
        "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "secrets",
        "inputs"
    ]
);
place!(
    JOB_CONTINUE_ON_ERROR,
    "`jobs.<job_id>.continue-on-error`",
    ["github", "needs", "strategy", "vars", "matrix", "inputs"]
);
place!(
    JOB_DEFAULTS_RUN,
    "`jobs.<job_id>.defaults.run`",
    ["github", "needs", "strategy", "matrix", "env", "vars", "inputs"]
);
place!(
    JOB_ENV,
    "`jobs.<job_id>.env`",
    ["github", "needs", "strategy", "matrix", "vars", "secrets", "inputs"]
);
place!(
    JOB_ENVIRONMENT,
    "`jobs.<job_id>.environment`",
    ["github", "needs", "strategy", "matrix", "vars", "inputs"]
);
place!(
    ENVIRONMENT_URL,
    "`jobs.<job_id>.environment.url`",
    ["github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "steps", "inputs"]
);
place!(
    JOB_IF,
    "`jobs.<job_id>.if`",
    ["github", "needs", "vars", "inputs"],
    status
);
place!(
    JOB_NAME,
    "`jobs.<job_id>.name`",
    ["github", "needs", "strategy", "matrix", "vars", "inputs"]
);
place!(
    JOB_OUTPUTS,
    "`jobs.<job_id>.outputs`",
    [
        "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "secrets",
        "steps", "inputs"
    ]
);
place!(
    JOB_RUNS_ON,
    "`jobs.<job_id>.runs-on`",
    ["github", "needs", "strategy", "matrix", "vars", "inputs"]
);
place!(
    JOB_SECRETS,
    "`jobs.<job_id>.secrets`",
    ["github", "needs", "strategy", "matrix", "secrets", "inputs", "vars"]
);
place!(
    JOB_SERVICES,
    "`jobs.<job_id>.services`",
    ["github", "needs", "strategy", "matrix", "vars", "inputs"]
);
place!(
    JOB_STRATEGY,
    "`jobs.<job_id>.strategy`",
    ["github", "needs", "vars", "inputs"]
);
place!(
    JOB_TIMEOUT,
    "`jobs.<job_id>.timeout-minutes`",
    ["github", "needs", "strategy", "matrix", "vars", "inputs"]
);
place!(
    JOB_WITH,
    "`jobs.<job_id>.with`",
    ["github", "needs", "strategy", "matrix", "inputs", "vars"]
);
place!(
    STEP_CONTINUE_ON_ERROR,
    "step `continue-on-error`",
    [
        "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "secrets",
        "steps", "inputs"
    ],
    step
);
place!(
    STEP_ENV,
    "step `env`",
    [
        "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "secrets",
        "steps", "inputs"
    ],
    step
);
place!(
    STEP_IF,
    "step `if`",
    ["github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "steps", "inputs"],
    step_if
);
place!(
    STEP_NAME,
    "step `name`",
    [
        "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "secrets",
        "steps", "inputs"
    ],
    step
);
place!(
    STEP_RUN,
    "step `run`",
    [
        "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "secrets",
        "steps", "inputs"
    ],
    step
);
place!(
    STEP_TIMEOUT,
    "step `timeout-minutes`",
    [
        "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "secrets",
        "steps", "inputs"
    ],
    step
);
place!(
    STEP_WITH,
    "step `with`",
    [
        "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "secrets",
        "steps", "inputs"
    ],
    step
);
place!(
    STEP_WORKING_DIRECTORY,
    "step `working-directory`",
    [
        "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "secrets",
        "steps", "inputs"
    ],
    step
);
place!(
    CALL_INPUT_DEFAULT,
    "`on.workflow_call.inputs.<input_id>.default`",
    ["github", "inputs", "vars"]
);
place!(
    CALL_OUTPUT_VALUE,
    "`on.workflow_call.outputs.<output_id>.value`",
    ["github", "jobs", "vars", "inputs"]
);

// Action metadata. GitHub documents no table for it; the runner evaluates these with the
// contexts of the step that uses the action, without `secrets` (an action cannot read them).
place!(
    ACTION_INPUT_DEFAULT,
    "action input `default`",
    ["github", "env", "vars", "job", "runner", "strategy", "matrix", "steps", "inputs"]
);
place!(
    ACTION_RUNS,
    "action `runs`",
    ["github", "env", "vars", "job", "runner", "strategy", "matrix", "steps", "inputs"],
    step
);
place!(
    ACTION_OUTPUT_VALUE,
    "action output `value`",
    ["github", "env", "vars", "job", "runner", "strategy", "matrix", "steps", "inputs"],
    step
);
place!(
    ACTION_STEP,
    "composite step",
    ["github", "env", "vars", "job", "runner", "strategy", "matrix", "steps", "inputs"],
    step
);
place!(
    ACTION_STEP_IF,
    "composite step `if`",
    ["github", "env", "vars", "job", "runner", "strategy", "matrix", "steps", "inputs"],
    step_if
);
place!(
    ACTION_PRE_POST_IF,
    "action `pre-if`/`post-if`",
    ["github", "env", "vars", "job", "runner", "strategy", "matrix", "inputs"],
    step_if
);

/// Every context name GitHub defines, to tell "unknown context" from "not available here".
pub const ALL_CONTEXTS: &[&str] = &[
    "github", "env", "vars", "job", "jobs", "steps", "runner", "secrets", "strategy", "matrix",
    "needs", "inputs",
];
