//! What every job of one run shares: the backend, configuration, the event, the `github` context, the reporter, the run's masker and labels, and the cache of
//! images already checked or built during the run.

use super::layout::WorkspaceMount;
use super::report::Reporter;
use super::{EngineConfig, Signals};
use crate::backend::{ContainerBackend, LABEL_RUN};
use crate::mask::Masker;
use gantry_core::expr::{Object, Value};
use gantry_plan::event::Event;
use gantry_secrets::SecretStore;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use tokio::sync::Mutex;

pub struct RunCtx<B: ContainerBackend> {
    pub backend: Arc<B>,
    pub cfg: Arc<EngineConfig>,
    pub event: Event,
    pub run_id: String,
    /// The workflow file, as the plan names it (refusals say `file:line:col`).
    pub file: String,
    /// Host directory for this run's files.
    pub run_dir: PathBuf,
    pub github: Object,
    pub inputs: Value,
    pub reporter: Arc<dyn Reporter>,
    /// Every secret value and `::add-mask::` value seen in the run.
    pub masker: Arc<RwLock<Masker>>,
    pub signals: Signals,
    pub workspace: WorkspaceMount,
    /// Per image or action tag: a lock so that two jobs never build or pull it twice.
    pub image_locks: Mutex<HashMap<String, Arc<Mutex<bool>>>>,
    /// Resolves the secrets each job uses, when the job starts.
    pub store: Arc<dyn SecretStore>,
    /// Where remote actions' files come from.
    pub actions: Arc<dyn super::ActionSource>,
    /// The repositories of remote reusable workflows fetched before planning.
    pub remote: gantry_plan::remote::RemoteRepos,
    /// What the host serves jobs (artifacts, caches, the git server).
    pub services: Arc<dyn super::JobServices>,
    /// `github.token` when no `GITHUB_TOKEN` secret is given: a random token of this run,
    /// which Gantry's own services accept (GitHub's API would not).
    pub run_token: String,
}

impl<B: ContainerBackend> RunCtx<B> {
    /// Labels for every container, network and volume of the run.
    pub fn labels(&self, job: &str) -> Vec<(String, String)> {
        vec![
            (LABEL_RUN.to_string(), self.run_id.clone()),
            (
                super::cleanup::LABEL_PID.to_string(),
                std::process::id().to_string(),
            ),
            (crate::backend::LABEL_JOB.to_string(), job.to_string()),
        ]
    }

    /// Masks secrets and `::add-mask::` values in text Gantry prints or stores.
    pub fn mask(&self, text: &str) -> String {
        match self.masker.read() {
            Ok(m) => m.mask(text),
            Err(_) => text.to_string(),
        }
    }

    /// A name fragment Docker accepts, unique within the run.
    pub fn slug(&self, key: &str) -> String {
        slug(key)
    }

    pub async fn image_lock(&self, key: &str) -> Arc<Mutex<bool>> {
        let mut m = self.image_locks.lock().await;
        m.entry(key.to_string()).or_default().clone()
    }
}

/// Lower-case letters, digits and `-`, at most 40 characters plus a hash suffix when cut.
pub fn slug(key: &str) -> String {
    let mut s: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-').to_string();
    let s = if s.is_empty() { "job".to_string() } else { s };
    if s.len() <= 40 {
        return s;
    }
    use sha2::Digest;
    let h = super::host::hex(&sha2::Sha256::digest(key.as_bytes()));
    format!("{}-{}", &s[..32], &h[..7])
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_docker_safe() {
        assert_eq!(super::slug("test (ubuntu, 18)"), "test-ubuntu-18");
        assert_eq!(super::slug("call/inner"), "call-inner");
        assert_eq!(super::slug("!!!"), "job");
        let long = super::slug(&"x".repeat(100));
        assert!(long.len() <= 40, "{long}");
    }
}
