//! Actions as the engine runs them: where a planned action's files are, the values of its
//! inputs, and the image of a Dockerfile action — built once and cached under a tag
//! derived from a hash of its build context, so that an unchanged action is never rebuilt.

use super::context::{slug, RunCtx};
use super::env::eval_text;
use super::error::{EngineError, ExpressionError};
use super::host::{hex, RunHost};
use super::workspace::tar_dir;
use crate::backend::{BuildSpec, ContainerBackend, OutputTx};
use gantry_plan::{ActionPlan, SharedAction};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// An action ready to run: its plan and where its files are.
#[derive(Clone, Debug)]
pub struct LoadedAction {
    /// `uses:` as written.
    pub uses: String,
    pub plan: SharedAction,
    /// The action's directory on the host.
    pub host_dir: PathBuf,
    /// The same directory as the job container sees it.
    pub container_dir: String,
}

/// `INPUT_<NAME>` variables and the `inputs` context: `with:` values, else the defaults
/// (which may be expressions), else empty — all strings, as GitHub passes them.
pub fn inputs(
    action: &ActionPlan,
    with: &[(String, String)],
    host: &RunHost,
) -> Result<Vec<(String, String)>, ExpressionError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, default) in &action.inputs {
        let value = match with.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            Some((_, v)) => eval_text(v, host)?,
            None => match default {
                Some(d) => eval_text(d, host)?,
                None => String::new(),
            },
        };
        out.push((name.clone(), value));
    }
    // Inputs the action does not declare still reach it (GitHub warns and passes them).
    for (k, v) in with {
        if !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(k)) {
            out.push((k.clone(), eval_text(v, host)?));
        }
    }
    Ok(out)
}

/// `INPUT_MY_INPUT` for `my input` / `My-Input`: upper case, spaces to underscores.
pub fn input_var(name: &str) -> String {
    format!("INPUT_{}", name.replace(' ', "_").to_ascii_uppercase())
}

/// Builds (or finds already built) the image of a Dockerfile action; returns its tag.
pub async fn dockerfile_image<B: ContainerBackend>(
    cx: &RunCtx<B>,
    la: &LoadedAction,
    dockerfile: &str,
    out: OutputTx,
) -> Result<String, EngineError> {
    let dir = la.host_dir.clone();
    let context = tokio::task::spawn_blocking(move || tar_dir(&dir))
        .await
        .map_err(|e| EngineError::io("reading the action", std::io::Error::other(e)))?
        .map_err(|e| EngineError::io(format!("reading {}", la.host_dir.display()), e))?;
    let mut h = Sha256::new();
    h.update(dockerfile.as_bytes());
    h.update(&context);
    let hash = hex(&h.finalize());
    let tag = format!("gantry-action/{}:{}", slug(&la.uses), &hash[..16]);
    let lock = cx.image_lock(&tag).await;
    let mut built = lock.lock().await;
    if *built || cx.backend.image_present(&tag).await? {
        *built = true;
        return Ok(tag);
    }
    cx.backend
        .build_image(
            BuildSpec {
                tag: tag.clone(),
                context_tar: context,
                dockerfile: dockerfile.to_string(),
                labels: vec![("dev.gantry.action".into(), la.uses.clone())],
                confinement: cx.cfg.policy.confinement(),
                no_network: cx.cfg.policy.egress == gantry_core::policy::Egress::None,
            },
            out,
        )
        .await
        .map_err(|e| EngineError::Action {
            uses: la.uses.clone(),
            message: format!("{} ({}): {e}", la.plan.file, dockerfile),
        })?;
    *built = true;
    Ok(tag)
}

/// Makes sure an image exists locally, pulling it when a registry has it.
pub async fn ensure_image<B: ContainerBackend>(
    cx: &RunCtx<B>,
    image: &str,
    auth: Option<crate::backend::RegistryAuth>,
) -> Result<(), EngineError> {
    let lock = cx.image_lock(image).await;
    let mut ok = lock.lock().await;
    if *ok || cx.backend.image_present(image).await? {
        *ok = true;
        return Ok(());
    }
    cx.backend.pull_image(image, auth).await?;
    *ok = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn input_variable_names() {
        assert_eq!(super::input_var("who-to-greet"), "INPUT_WHO-TO-GREET");
        assert_eq!(super::input_var("my input"), "INPUT_MY_INPUT");
    }
}
