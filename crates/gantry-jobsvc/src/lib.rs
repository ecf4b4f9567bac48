//! The services Gantry runs on the host for jobs — the artifact and cache services
//! ([`gantry_results`]) and the git server `actions/checkout` fetches from
//! ([`gantry_githttp`]) — behind one HTTP listener on the address job containers reach the
//! host at, and granted to each job through the engine's [`JobServices`]: a job reads the
//! git repository of its run (and those the operator shares), and its runtime token scopes
//! its artifacts to its run and its caches to its repository.
//!
//! Both fronts (`gantry run`, `gantry serve`) start it the same way; neither imports the
//! other, so the composition lives here.

use gantry_engine::{GitAccess, JobIdentity, JobServices, ServiceGrant};
use gantry_githttp::{GitServer, GitServerConfig};
use gantry_results::{JobGrant, ResultsConfig, ResultsService};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a job's token opens the git server at most (a job ends long before).
const GIT_GRANT: Duration = Duration::from_secs(24 * 3600);

/// Job containers are untrusted clients: a request head must arrive within 30 s, an answer
/// nobody reads is dropped after 5 minutes, and at most 512 connections are served at once
/// (a job holding them all slows other jobs' artifact calls, never the service's API).
const LIMITS: gantry_http::Limits = gantry_http::Limits {
    header_timeout: Duration::from_secs(30),
    write_timeout: Duration::from_secs(300),
    max_connections: 512,
    drain: Duration::from_secs(5),
};

#[derive(Debug, thiserror::Error)]
pub enum HostServicesError {
    #[error("the artifact and cache services: {0}")]
    Results(#[from] gantry_results::ResultsError),
    #[error("listening on {addr} for the jobs' services: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("serving the git repository `{name}`: {source}")]
    Repository {
        name: String,
        source: gantry_githttp::GitHttpError,
    },
}

/// What the services are started with.
pub struct HostServicesConfig {
    pub results: ResultsConfig,
    pub git: GitServerConfig,
    /// The port to listen on (0: any free one).
    pub port: u16,
}

/// The running services.
pub struct HostServices {
    results: ResultsService,
    git: GitServer,
    /// `http://<address>:<port>`, as job containers reach it.
    base_url: String,
    /// Repositories every job may read besides its own (`gantry run --git-repository`).
    shared: Mutex<Vec<String>>,
    /// Jobs holding each `github.token` (the jobs of a run share one): revoked with the last.
    holders: Mutex<HashMap<String, usize>>,
}

impl HostServices {
    /// Binds `addr` (the address job containers reach the host at) and serves until
    /// `shutdown`; the task ends once in-flight requests are done.
    pub async fn start(
        addr: IpAddr,
        config: HostServicesConfig,
        shutdown: CancellationToken,
    ) -> Result<(Arc<HostServices>, JoinHandle<()>), HostServicesError> {
        let results = ResultsService::new(config.results)?;
        let git = GitServer::new(config.git);
        let at = SocketAddr::new(addr, config.port);
        let listener = tokio::net::TcpListener::bind(at)
            .await
            .map_err(|source| HostServicesError::Listen { addr: at, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| HostServicesError::Listen { addr: at, source })?;
        // The results routes are fixed paths; everything else is the git server's.
        let router = results.router().merge(git.router());
        let task = tokio::spawn(gantry_http::serve(listener, router, LIMITS, shutdown));
        tracing::info!(address = %bound, "serving artifacts, caches and git to jobs");
        let services = HostServices {
            results,
            git,
            base_url: format!("http://{bound}"),
            shared: Mutex::new(Vec::new()),
            holders: Mutex::new(HashMap::new()),
        };
        Ok((Arc::new(services), task))
    }

    /// Serves `git_dir` (a bare repository or a worktree's `.git`) as `name`.
    pub fn add_repository(&self, name: &str, git_dir: PathBuf) -> Result<(), HostServicesError> {
        self.git
            .add_repository(name, git_dir)
            .map_err(|source| HostServicesError::Repository {
                name: name.to_string(),
                source,
            })
    }

    /// Serves `git_dir` as `name` to every job, not only to runs of that repository.
    pub fn share_repository(&self, name: &str, git_dir: PathBuf) -> Result<(), HostServicesError> {
        self.add_repository(name, git_dir)?;
        lock(&self.shared).push(name.to_string());
        Ok(())
    }

    /// The artifact and cache service (its listings, its sweep).
    pub fn results(&self) -> &ResultsService {
        &self.results
    }

    /// The artifacts of attempt `attempt` of run `run_id` (as the engine names runs).
    pub async fn artifacts(
        &self,
        run_id: &str,
        attempt: u32,
    ) -> Result<Vec<gantry_results::ArtifactSummary>, HostServicesError> {
        let key = numeric_run_id(&gantry_engine::run_attempt_key(run_id, attempt));
        Ok(self.results.list_artifacts(key).await?)
    }

    /// The caches of `repository` (`owner/name`).
    pub async fn caches(
        &self,
        repository: &str,
    ) -> Result<Vec<gantry_results::CacheSummary>, HostServicesError> {
        Ok(self.results.list_caches(repository).await?)
    }

    /// Removes expired artifacts, unused caches and abandoned uploads now, then every
    /// `every`, until `stop`. A store that cannot be swept is said in the log each time.
    pub fn spawn_sweeper(
        self: &Arc<Self>,
        every: Duration,
        stop: CancellationToken,
    ) -> JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                match me.results.sweep(chrono::Utc::now()).await {
                    Ok(r) => tracing::debug!(
                        artifacts = r.artifacts,
                        caches = r.cache_entries,
                        uploads = r.upload_objects,
                        "swept expired artifacts and caches"
                    ),
                    Err(e) => tracing::error!(error = %e, "sweeping expired artifacts and caches"),
                }
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(every) => {}
                }
            }
        })
    }

    /// Where job containers reach the services.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A run's id as the artifact service numbers runs: a hash of the engine's unique id,
/// below 2^53 so that JavaScript clients keep it exact.
fn numeric_run_id(run_id: &str) -> u64 {
    use sha2::Digest;
    let h = sha2::Sha256::digest(run_id.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    (u64::from_be_bytes(b) & ((1 << 53) - 1)).max(1)
}

impl JobServices for HostServices {
    fn open(&self, job: &JobIdentity) -> ServiceGrant {
        let grant = JobGrant {
            base_url: self.base_url.clone(),
            run_id: numeric_run_id(&job.run_id),
            job_id: job.job_key.clone(),
            repository: job.repository.clone(),
            git_ref: job.git_ref.clone(),
            default_branch: job.default_branch.clone(),
            base_ref: job.base_ref.clone(),
        };
        let action_env = self.results.grant(&grant);
        let mut readable = vec![job.repository.clone()];
        readable.extend(lock(&self.shared).iter().cloned());
        readable.retain(|r| !r.is_empty());
        let expires = SystemTime::now() + GIT_GRANT;
        let git = match self.git.grant(&job.token, &readable, expires) {
            Ok(()) => {
                *lock(&self.holders).entry(job.token.clone()).or_default() += 1;
                Some(GitAccess {
                    base_url: self.base_url.clone(),
                    repositories: readable,
                })
            }
            Err(e) => {
                tracing::warn!(job = %job.job_key, error = %e, "no git access for the job");
                None
            }
        };
        let secrets = action_env
            .iter()
            .filter(|(k, _)| k == "ACTIONS_RUNTIME_TOKEN")
            .map(|(_, v)| v.clone())
            .collect();
        ServiceGrant {
            action_env,
            git,
            api_url: Some(format!("{}/api/v3", self.base_url)),
            graphql_url: Some(format!("{}/api/graphql", self.base_url)),
            secrets,
        }
    }

    fn close(&self, job: &JobIdentity) {
        let mut holders = lock(&self.holders);
        let Some(n) = holders.get_mut(&job.token) else {
            return;
        };
        *n -= 1;
        if *n == 0 {
            holders.remove(&job.token);
            self.git.revoke(&job.token);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn run_ids_are_exact_in_javascript_and_stable() {
        for id in ["1", "17335-4a2", "a-much-longer-run-instance-id-0123456789"] {
            let n = super::numeric_run_id(id);
            assert!(n > 0 && n < (1 << 53), "{id}: {n}");
            assert_eq!(n, super::numeric_run_id(id));
        }
        assert_ne!(super::numeric_run_id("1"), super::numeric_run_id("2"));
    }
}
