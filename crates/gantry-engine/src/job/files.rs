//! A job's secrets and files: the secrets it uses (resolved all or none, masked, given to
//! expressions), its directories on the scratch tmpfs, the workspace volume (unless
//! `--bind`) and the in-memory secrets volume, filled once the job container runs.

use super::containers::give_workspace;
use super::{Created, JobNames};
use crate::backend::ContainerBackend;
use crate::context::RunCtx;
use crate::error::EngineError;
use crate::host::RunHost;
use crate::layout::{secret_tar, JobLayout, WorkspaceMount, SECRETS, WORKSPACE};
use crate::workspace::tar_workspace;
use gantry_core::expr::{Object, Value};
use gantry_plan::JobPlan;
use std::collections::BTreeMap;

/// The job's secrets, resolved (all or none), registered with the masker and set as the
/// `secrets` context; and `github.token`, which is always set: the `GITHUB_TOKEN` secret
/// when one is given, else the run's own token.
pub async fn job_secrets<B: ContainerBackend>(
    cx: &RunCtx<B>,
    jp: &JobPlan,
    host: &mut RunHost,
) -> Result<BTreeMap<String, String>, EngineError> {
    let names: Vec<String> = jp.secrets.iter().map(|s| s.name.clone()).collect();
    let mut secrets = match &jp.call {
        None => cx.store.resolve(&names).await?,
        Some(call) => crate::call_secrets::resolve(cx, call, &names, host).await?,
    };
    let token = job_token(cx, &secrets).await?;
    if secrets.contains_key("GITHUB_TOKEN") {
        secrets.insert("GITHUB_TOKEN".into(), token.clone());
    }
    if let Ok(mut m) = cx.masker.write() {
        for v in secrets.values() {
            m.add(v);
        }
        m.add(&token);
    }
    let mut secrets_ctx = Object::new();
    for (k, v) in &secrets {
        secrets_ctx.insert(k.clone(), Value::str(v));
    }
    secrets_ctx.insert("GITHUB_TOKEN".into(), Value::str(&token));
    host.set("secrets", Value::object(secrets_ctx));
    if let Some(Value::Object(g)) = gantry_core::expr::Host::context(host, "github") {
        let mut g = (*g).clone();
        g.insert("token".into(), Value::str(&token));
        host.set("github", Value::object(g));
    }
    Ok(secrets)
}

/// `github.token`: the `GITHUB_TOKEN` secret (asked of the store even when the workflow
/// never names it, as GitHub always sets the token), else the run's own token.
async fn job_token<B: ContainerBackend>(
    cx: &RunCtx<B>,
    secrets: &BTreeMap<String, String>,
) -> Result<String, EngineError> {
    let mut token = secrets.get("GITHUB_TOKEN").cloned().unwrap_or_default();
    if token.is_empty() && !secrets.contains_key("GITHUB_TOKEN") {
        let given = cx.store.resolve(&["GITHUB_TOKEN".to_string()]).await?;
        token = given.get("GITHUB_TOKEN").cloned().unwrap_or_default();
    }
    if token.is_empty() {
        token = cx.run_token.clone();
    }
    Ok(token)
}

/// The job's files: its directories on the scratch tmpfs (given to the policy's user), the
/// workspace volume (unless `--bind`) and the in-memory secrets volume.
pub async fn job_files<B: ContainerBackend>(
    cx: &RunCtx<B>,
    names: &JobNames,
    secrets: &BTreeMap<String, String>,
    created: &mut Created,
) -> Result<(JobLayout, Vec<(String, String)>), EngineError> {
    let workspace = if cx.cfg.copy_workspace {
        let v = format!("{}-workspace", names.name);
        cx.backend.create_volume(&v, &names.labels, false).await?;
        created.volumes.push(v.clone());
        WorkspaceMount::Volume(v)
    } else {
        cx.workspace.clone()
    };
    let mut layout = JobLayout::create(&cx.run_dir, &names.slug, workspace, &cx.event.payload)
        .map_err(|e| EngineError::io("creating the job's files", e))?;
    layout.externals = cx.cfg.externals.clone();
    layout.tool_cache = cx.cfg.tool_cache.clone();
    layout
        .give_to(cx.cfg.policy.owner())
        .map_err(|e| EngineError::io("giving the job's files to the policy's user", e))?;
    let secret_files: Vec<(String, String)> = secrets
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !secret_files.is_empty() {
        let v = format!("{}-secrets", names.name);
        cx.backend.create_volume(&v, &names.labels, true).await?;
        created.volumes.push(v.clone());
        layout.secrets = Some(v);
    }
    Ok((layout, secret_files))
}

/// Fills the started job container: the secret files, and the workspace copy.
pub async fn fill_job_container<B: ContainerBackend>(
    cx: &RunCtx<B>,
    id: &str,
    layout: &JobLayout,
    secret_files: &[(String, String)],
) -> Result<(), EngineError> {
    if !secret_files.is_empty() {
        let tar = secret_tar(secret_files, layout.owner)
            .map_err(|e| EngineError::io("preparing the secret files", e))?;
        cx.backend.upload(id, SECRETS, tar).await?;
    }
    if let WorkspaceMount::Volume(_) = &layout.workspace {
        let dir = cx.cfg.workspace.clone();
        let tar = tokio::task::spawn_blocking(move || tar_workspace(&dir))
            .await
            .map_err(|e| EngineError::io("copying the workspace", std::io::Error::other(e)))?
            .map_err(|e| EngineError::io("copying the workspace", e))?;
        cx.backend.upload(id, WORKSPACE, tar).await?;
        if let Some(owner) = layout.owner {
            give_workspace(cx, id, owner).await?;
        }
    }
    Ok(())
}
