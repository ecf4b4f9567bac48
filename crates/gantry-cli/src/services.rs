//! The services `gantry run` gives its jobs (see `gantry-jobsvc`): artifacts and caches kept
//! under `--results-dir` (caches outlive the run, so the next run restores them), and the
//! git server `actions/checkout` fetches from — the working tree's repository, read-only,
//! plus each `--git-repository`. Served on the host's address on Gantry's Docker network.

use super::run::RunArgs;
use anyhow::{Context, Result};
use gantry_docker::DockerBackend;
use gantry_engine::{JobServices, NoServices};
use gantry_jobsvc::{HostServices, HostServicesConfig};
use gantry_results::{ResultsConfig, StorageConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Starts the services (until `shutdown`); none when the engine gives no address for them.
pub async fn start(
    backend: &DockerBackend,
    args: &RunArgs,
    repository: Option<&str>,
    results_dir: PathBuf,
    shutdown: CancellationToken,
) -> Result<(Arc<dyn JobServices>, Option<String>)> {
    let Some(addr) = gantry_engine::services_address(backend).await? else {
        let note = "the Docker engine gave no address for Gantry's services: artifacts, \
                    caches and actions/checkout will not work in this run";
        return Ok((Arc::new(NoServices), Some(note.into())));
    };
    std::fs::create_dir_all(&results_dir)
        .with_context(|| format!("--results-dir {}: creating it", results_dir.display()))?;
    let config = HostServicesConfig {
        results: ResultsConfig::new(StorageConfig::Directory(results_dir)),
        git: Default::default(),
        port: 0,
    };
    let (services, _task) = HostServices::start(addr, config, shutdown.clone()).await?;
    // What earlier runs left and has expired goes first.
    services.spawn_sweeper(std::time::Duration::from_secs(3600), shutdown);
    if let (Some(name), Some(git_dir)) =
        (repository, gantry_load::git::git_dir(&args.plan.workspace))
    {
        services.add_repository(name, git_dir)?;
    }
    for spec in &args.git_repositories {
        let (name, dir) = spec
            .split_once('=')
            .with_context(|| format!("--git-repository {spec}: expected OWNER/NAME=DIR"))?;
        let git_dir = gantry_load::git::git_dir(Path::new(dir))
            .with_context(|| format!("--git-repository {spec}: {dir} is not a git repository"))?;
        services.share_repository(name, git_dir)?;
    }
    Ok((services, None))
}
