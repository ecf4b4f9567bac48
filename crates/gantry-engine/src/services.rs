//! What the host serves a job besides its containers — the artifact and cache services and
//! the git server `actions/checkout` fetches from — as a trait, so that the engine stays
//! free of HTTP servers: the fronts (CLI, service) start the servers and implement it; a
//! job is granted access when it starts and loses it when it ends.

/// Who a job is, as the services scope what it may read and write.
#[derive(Clone, Debug, PartialEq)]
pub struct JobIdentity {
    /// The run's id and attempt (`<github.run_id>.<github.run_attempt>`), unique per run
    /// attempt: artifacts belong to it.
    pub run_id: String,
    /// The job's key in the run (`build`, `test (ubuntu, 18)`).
    pub job_key: String,
    /// `owner/name` of the repository the run belongs to.
    pub repository: String,
    /// The run's git ref (`refs/heads/main`, `refs/pull/7/merge`) and commit.
    pub git_ref: String,
    pub sha: String,
    /// The repository's default branch, when the event says it.
    pub default_branch: Option<String>,
    /// A pull request's base branch.
    pub base_ref: Option<String>,
    /// `github.token` of the job: the git server accepts it for the repositories it serves.
    pub token: String,
}

/// [`JobIdentity::run_id`] of attempt `attempt` of run `run_id`: what the services scope a
/// run's artifacts by, and what a listing of them must name.
pub fn run_attempt_key(run_id: &str, attempt: impl std::fmt::Display) -> String {
    format!("{run_id}.{attempt}")
}

/// What a job's steps get from the services.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceGrant {
    /// Variables for the processes of actions (`ACTIONS_RUNTIME_TOKEN`, `ACTIONS_RESULTS_URL`,
    /// ...): GitHub gives them to actions, not to `run:` steps.
    pub action_env: Vec<(String, String)>,
    /// The git server and the repositories the job may fetch from it.
    pub git: Option<GitAccess>,
    /// `github.api_url` / `graphql_url`: where Gantry answers the API calls official actions
    /// make (checkout asks a repository's default branch).
    pub api_url: Option<String>,
    pub graphql_url: Option<String>,
    /// Values to mask in everything printed or stored (tokens).
    pub secrets: Vec<String>,
}

/// Git repositories served to a job. `github.server_url` stays `https://github.com` (the
/// artifact and cache clients take any other host for GitHub Enterprise Server and refuse
/// to work); the job's git configuration sends fetches of these repositories' GitHub URLs
/// to the server instead, with the job's token.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GitAccess {
    /// `http://<address>:<port>` of the git server.
    pub base_url: String,
    /// `owner/name` of each repository the job may fetch.
    pub repositories: Vec<String>,
}

/// The host's services for jobs.
pub trait JobServices: Send + Sync {
    /// Grants a starting job access; what its steps get.
    fn open(&self, job: &JobIdentity) -> ServiceGrant;
    /// Withdraws what [`JobServices::open`] granted (the job ended).
    fn close(&self, job: &JobIdentity);
}

/// No services: jobs get nothing (tests, and runs without a Docker network to serve on).
pub struct NoServices;

impl JobServices for NoServices {
    fn open(&self, _job: &JobIdentity) -> ServiceGrant {
        ServiceGrant::default()
    }

    fn close(&self, _job: &JobIdentity) {}
}
