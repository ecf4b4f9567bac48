//! Actions as the engine uses them: reading a local `action.yml` (validated, with
//! `file:line:col` errors), the values of its inputs, and the image of a Dockerfile action —
//! built once and cached under a tag derived from a hash of its build context, so that an
//! unchanged action is never rebuilt.

use super::context::{slug, RunCtx};
use super::env::eval_text;
use super::error::EngineError;
use super::host::{hex, RunHost};
use super::workspace::tar_dir;
use crate::backend::{BuildSpec, ContainerBackend, OutputTx};
use crate::diag::Severity;
use crate::model::{Action, StrMap};
use crate::validate::{check_bytes, FileKind};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// An action ready to run: its metadata and where its files are.
#[derive(Clone, Debug)]
pub struct LoadedAction {
    pub uses: String,
    pub action: Action,
    /// The action's directory on the host.
    pub host_dir: PathBuf,
    /// The same directory as the job container sees it.
    pub container_dir: String,
    /// The metadata file, for messages.
    pub file: String,
}

/// Reads `dir/action.yml` (or `.yaml`); `uses` is quoted in errors.
pub fn load(dir: &Path, container_dir: String, uses: &str) -> Result<LoadedAction, EngineError> {
    let err = |message: String| EngineError::Action {
        uses: uses.to_string(),
        message,
    };
    if !dir.is_dir() {
        return Err(err(format!(
            "the directory {} does not exist",
            dir.display()
        )));
    }
    for name in ["action.yml", "action.yaml"] {
        let p = dir.join(name);
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let file = p.display().to_string();
        let checked = check_bytes(&bytes, FileKind::Action);
        let errors: Vec<String> = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| {
                format!(
                    "{file}:{}:{}: {} [{}]",
                    d.span.start.line, d.span.start.col, d.message, d.rule
                )
            })
            .collect();
        if !errors.is_empty() {
            return Err(err(errors.join("\n")));
        }
        let action = checked
            .action
            .ok_or_else(|| err(format!("{file} is not an action")))?;
        if action.runs.is_none() {
            return Err(err(format!("{file}: `runs:` is missing")));
        }
        return Ok(LoadedAction {
            uses: uses.to_string(),
            action,
            host_dir: dir.to_path_buf(),
            container_dir,
            file,
        });
    }
    Err(err(format!(
        "no action.yml or action.yaml in {}",
        dir.display()
    )))
}

/// `INPUT_<NAME>` variables and the `inputs` context: `with:` values, else the defaults
/// (which may be expressions), else empty — all strings, as GitHub passes them.
pub fn inputs(
    action: &Action,
    with: &StrMap,
    host: &RunHost,
) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for input in &action.inputs {
        let name = input.name.value.clone();
        let value = match with
            .iter()
            .find(|(k, _)| k.value.eq_ignore_ascii_case(&name))
        {
            Some((_, v)) => eval_text(&v.value, host)?,
            None => match &input.default {
                Some(d) => eval_text(&d.value, host)?,
                None => String::new(),
            },
        };
        out.push((name, value));
    }
    // Inputs the action does not declare still reach it (GitHub warns and passes them).
    for (k, v) in with.iter() {
        if !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(&k.value)) {
            out.push((k.value.clone(), eval_text(&v.value, host)?));
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
                no_network: cx.cfg.policy.egress == crate::policy::Egress::None,
            },
            out,
        )
        .await
        .map_err(|e| EngineError::Action {
            uses: la.uses.clone(),
            message: format!("{} ({}): {e}", la.file, dockerfile),
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
