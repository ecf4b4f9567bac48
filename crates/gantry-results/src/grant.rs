//! What a job is granted: the description the caller gives (`JobGrant`) and the claims the
//! service signs into its `ACTIONS_RUNTIME_TOKEN`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One job of one run, as the caller describes it when it starts the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobGrant {
    /// Where the job's steps reach this service, e.g. `http://172.17.0.1:41234/`.
    pub base_url: String,
    /// Unique per run (all jobs of a run share it; artifacts are scoped to it).
    pub run_id: u64,
    pub job_id: String,
    /// `owner/name`; caches are scoped to it.
    pub repository: String,
    /// The run's ref, e.g. `refs/heads/main` or `refs/pull/7/merge`.
    pub git_ref: String,
    /// The repository's default branch (`main` or `refs/heads/main`).
    pub default_branch: Option<String>,
    /// A pull request's base branch (`GITHUB_BASE_REF`).
    pub base_ref: Option<String>,
}

/// The token's claims. `scp` is what `@actions/artifact` decodes (`Actions.Results:<run
/// backend id>:<job backend id>`); the rest scope every call the service answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub scp: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub run_id: u64,
    pub job_id: String,
    pub repository: String,
    pub git_ref: String,
    pub default_branch: Option<String>,
    pub base_ref: Option<String>,
    pub base_url: String,
}

pub(crate) const ISSUER: &str = "gantry-results";

impl Claims {
    pub fn new(job: &JobGrant, now: i64, lifetime_secs: i64) -> Self {
        let run = run_backend_id(job.run_id);
        let job_backend = job_backend_id(&job.job_id);
        Self {
            scp: format!(
                "Actions.GenericRead:{run} Actions.UploadArtifacts:{run}:{job_backend} \
                 Actions.Results:{run}:{job_backend}"
            ),
            iss: ISSUER.to_string(),
            iat: now,
            nbf: now - 60,
            exp: now + lifetime_secs,
            run_id: job.run_id,
            job_id: job.job_id.clone(),
            repository: job.repository.clone(),
            git_ref: job.git_ref.clone(),
            default_branch: job.default_branch.clone(),
            base_ref: job.base_ref.clone(),
            base_url: job.base_url.clone(),
        }
    }

    pub fn run_backend_id(&self) -> String {
        run_backend_id(self.run_id)
    }

    pub fn job_backend_id(&self) -> String {
        job_backend_id(&self.job_id)
    }
}

/// The run's id as the artifact client passes it back in `workflow_run_backend_id`.
pub(crate) fn run_backend_id(run_id: u64) -> String {
    run_id.to_string()
}

/// A job id may hold `:` or spaces (matrix names), which the client's `scp` parsing splits on,
/// so the backend id is a digest of it.
pub(crate) fn job_backend_id(job_id: &str) -> String {
    hex::encode(&Sha256::digest(job_id.as_bytes())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(job_id: &str) -> JobGrant {
        JobGrant {
            base_url: "http://127.0.0.1:1/".into(),
            run_id: 42,
            job_id: job_id.into(),
            repository: "o/r".into(),
            git_ref: "refs/heads/main".into(),
            default_branch: Some("main".into()),
            base_ref: None,
        }
    }

    #[test]
    fn scp_carries_ids_the_artifact_client_splits() {
        for job_id in ["build", "test (ubuntu, 20)", "a:b c"] {
            let claims = Claims::new(&grant(job_id), 1000, 60);
            let results = claims
                .scp
                .split(' ')
                .find(|s| s.starts_with("Actions.Results:"))
                .unwrap();
            let parts: Vec<&str> = results.split(':').collect();
            assert_eq!(parts.len(), 3, "{results}");
            assert_eq!(parts[1], "42");
            assert_eq!(parts[2], claims.job_backend_id());
            assert_eq!(claims.exp, 1060);
        }
    }

    #[test]
    fn job_backend_ids_differ_per_job() {
        assert_ne!(job_backend_id("a"), job_backend_id("b"));
        assert_eq!(job_backend_id("a"), job_backend_id("a"));
    }
}
