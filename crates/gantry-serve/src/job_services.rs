//! What the service gives jobs from the host (`[runner]`): the artifact and cache services
//! and the git server (`gantry-jobsvc`) on the host's address on Gantry's Docker network,
//! serving each configured local repository to the runs of that repository only; the Node
//! runtimes JavaScript actions declare; and a tool cache per tenant (one tenant's
//! `setup-*` downloads are never another's tools).

use super::config::{RunnerConfig, ServeConfig};
use gantry_engine::backend::ContainerBackend;
use gantry_jobsvc::{HostServices, HostServicesConfig};
use gantry_results::{ResultsConfig, StorageConfig};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Starts the services until `stop`; `None` when `[runner] services = false` or the engine
/// gives no address for them (said in the log).
pub async fn start<B: ContainerBackend>(
    cfg: &ServeConfig,
    backend: &B,
    stop: CancellationToken,
) -> anyhow::Result<Option<Arc<HostServices>>> {
    let runner = &cfg.runner;
    if !runner.services {
        tracing::info!("[runner] services = false: jobs get no artifact, cache or git service");
        return Ok(None);
    }
    let Some(addr) = gantry_engine::services_address(backend).await? else {
        tracing::warn!("the container engine gave no address for the jobs' services");
        return Ok(None);
    };
    let storage = runner
        .storage
        .clone()
        .unwrap_or_else(|| StorageConfig::Directory(cfg.data_dir.join("results")));
    if let StorageConfig::Directory(dir) = &storage {
        std::fs::create_dir_all(dir)?;
    }
    let mut results = ResultsConfig::new(storage);
    results.cache_protocol = runner.cache_protocol;
    results.limits = runner.limits.clone();
    let config = HostServicesConfig {
        results,
        git: Default::default(),
        port: runner.port,
    };
    let (services, _task) = HostServices::start(addr, config, stop.clone()).await?;
    services.spawn_sweeper(std::time::Duration::from_secs(3600), stop);
    for repo in &cfg.repositories {
        let Some(path) = &repo.path else { continue };
        match gantry_load::git::git_dir(path) {
            Some(dir) => services.add_repository(&repo.name, dir)?,
            None => {
                tracing::warn!(repository = %repo.name, "not served to checkout: no git directory")
            }
        }
    }
    Ok(Some(services))
}

/// The Node runtimes: `[runner] externals`, else Gantry's default (where
/// scripts/setup-node.sh installs them).
pub fn externals(runner: &RunnerConfig) -> PathBuf {
    runner
        .externals
        .clone()
        .unwrap_or_else(gantry_engine::default_externals)
}

/// Where remote actions come from: `[runner] actions` directories first, then GitHub
/// (downloaded and cached under `data_dir`), when a client can be had.
pub fn action_source(
    cfg: &ServeConfig,
    github: Option<gantry_github::ActionFetcher>,
) -> anyhow::Result<Arc<dyn gantry_engine::ActionSource>> {
    let mut dirs = Vec::new();
    for (target, dir) in &cfg.runner.actions {
        let spec = format!("{target}={}", dir.display());
        dirs.push(
            gantry_engine::Overrides::parse(&spec)
                .map_err(|e| anyhow::anyhow!("[runner] actions: {e}"))?,
        );
    }
    let fallback: Arc<dyn gantry_engine::ActionSource> = match github {
        Some(f) => Arc::new(f),
        None => Arc::new(gantry_engine::NoRemote),
    };
    Ok(Arc::new(gantry_engine::Overrides { dirs, fallback }))
}

/// The tenant's own tool cache under the data directory (created when missing).
pub fn tool_cache(cfg: &ServeConfig, tenant: &str) -> std::io::Result<PathBuf> {
    let safe: String = tenant
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let dir = cfg.data_dir.join("tool_cache").join(safe);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
