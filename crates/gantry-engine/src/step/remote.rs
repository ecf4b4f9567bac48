//! The `remote` executor (`uses: owner/repo[/path]@ref`): the repository's files from the
//! run's [`crate::ActionSource`], copied into the job container once per job (so
//! that composite and JavaScript actions find them there, as on GitHub), the action
//! planned from its `action.yml` now ([`crate::replan`]), then run like a local one.

use super::{JobRunner, StepCall, StepResult};
use crate::action_source::container_dir;
use crate::backend::{discard_output, ContainerBackend, ExecSpec};
use crate::error::EngineError;
use crate::loaded_action::LoadedAction;
use crate::replan;
use crate::workspace::tar_dir;
use std::path::Path;
use std::sync::Arc;

impl<B: ContainerBackend> JobRunner<B> {
    pub(super) async fn remote(
        &self,
        call: &StepCall<'_>,
        repository: &str,
        path: &str,
        git_ref: &str,
    ) -> Result<StepResult, EngineError> {
        let la = self.fetch(call.uses(), repository, path, git_ref).await?;
        let a = self.prepare(call, la)?;
        self.run_action(call, a).await
    }

    pub(super) async fn fetch(
        &self,
        uses: &str,
        repository: &str,
        path: &str,
        git_ref: &str,
    ) -> Result<LoadedAction, EngineError> {
        let err = |message: String| EngineError::Action {
            uses: uses.into(),
            message,
        };
        let root = self
            .cx
            .actions
            .repository(repository, git_ref)
            .await
            .map_err(|error| EngineError::ActionSource {
                uses: uses.into(),
                error,
            })?;
        let base = container_dir(repository, git_ref);
        // Copied once per job: composite and JavaScript actions run from these files.
        let mut uploaded = self.uploaded.lock().await;
        if !uploaded.contains(&base) {
            self.upload(&root, &base).await.map_err(|e| match e {
                EngineError::Io { what, source } => err(format!("{what}: {source}")),
                other => other,
            })?;
            uploaded.push(base.clone());
        }
        drop(uploaded);
        let (dir, cdir) = if path.is_empty() {
            (root, base)
        } else {
            (root.join(path), format!("{base}/{path}"))
        };
        let plan = replan::remote_action(&dir, path, uses, &self.cx.cfg.workspace)?;
        Ok(LoadedAction {
            uses: uses.to_string(),
            plan: Arc::new(plan),
            host_dir: dir,
            container_dir: cdir,
        })
    }

    /// Copies a repository's files into the job container at `base`.
    async fn upload(&self, root: &Path, base: &str) -> Result<(), EngineError> {
        let dir = root.to_path_buf();
        let tar = tokio::task::spawn_blocking(move || tar_dir(&dir))
            .await
            .map_err(|e| EngineError::io("reading the action", std::io::Error::other(e)))?
            .map_err(|e| EngineError::io(format!("reading {}", root.display()), e))?;
        let mkdir = ExecSpec {
            cmd: vec!["mkdir".into(), "-p".into(), base.to_string()],
            ..Default::default()
        };
        let container = &self.site.container;
        self.cx
            .backend
            .exec(container, &mkdir, discard_output())
            .await?;
        self.cx.backend.upload(container, base, tar).await?;
        Ok(())
    }
}
