//! Container actions (`uses: docker://image`, and actions whose `runs.using` is docker):
//! the container GitHub's runner would start — the job's mounts and network, the workspace
//! as working directory, `INPUT_*` and `GITHUB_*` variables — and how such a step is
//! stopped on timeout or cancellation. The step joins the job container's network stack
//! (`container:<id>`): it sees the job's network, services by name included, without the
//! cost of a network endpoint of its own (about 150 ms per container here).

use super::context::RunCtx;
use super::layout::WORKSPACE;
use super::step::Stopped;
use crate::backend::{ContainerBackend, ContainerSpec, Mount};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[allow(clippy::too_many_arguments)]
pub fn spec<B: ContainerBackend>(
    cx: &RunCtx<B>,
    job_key: &str,
    tag: &str,
    image: &str,
    entrypoint: Option<String>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    mounts: Vec<Mount>,
    job_container: &str,
) -> ContainerSpec {
    ContainerSpec {
        name: format!("gantry-{}-{}-step{tag}", cx.run_id, cx.slug(job_key)),
        image: image.to_string(),
        // An entrypoint given as one string is one program (GitHub does not split it).
        entrypoint: entrypoint.map(|e| vec![e]),
        cmd: (!args.is_empty()).then_some(args),
        env,
        working_dir: Some(WORKSPACE.into()),
        labels: cx.labels(job_key),
        mounts,
        network: Some(format!("container:{job_container}")),
        user: cx.cfg.policy.user.clone(),
        confinement: cx.cfg.policy.confinement(),
        ..Default::default()
    }
}

/// Waits for the container; on timeout or cancellation sends SIGTERM, then SIGKILL after
/// the grace period.
pub async fn wait<B: ContainerBackend, F>(
    cx: &RunCtx<B>,
    id: &str,
    fut: &mut F,
    timeout: Option<Duration>,
    token: &CancellationToken,
) -> Stopped
where
    F: std::future::Future<Output = Result<i64, crate::backend::BackendError>> + Unpin,
{
    let sleep = async {
        match timeout {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let why = tokio::select! {
        r = &mut *fut => return Stopped::Finished(r),
        _ = sleep => Stopped::TimedOut(timeout.unwrap_or_default()),
        _ = token.cancelled() => Stopped::Cancelled,
    };
    let _ = cx.backend.kill_container(id, "SIGTERM").await;
    if tokio::time::timeout(Duration::from_millis(7500), &mut *fut)
        .await
        .is_err()
    {
        let _ = cx.backend.kill_container(id, "SIGKILL").await;
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut *fut).await;
    }
    why
}
