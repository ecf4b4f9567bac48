//! Loading what a plan is made from, for both fronts (`gantry plan`/`run` and `gantry
//! serve`): workflow files read and checked ([`Loaded`], errors as `file:line:col`), local
//! actions and reusable workflows resolved in a workspace ([`FsResolver`]), the repositories
//! of remote reusable workflows fetched before planning ([`fetch_remote_calls`]), the
//! platform map parsed ([`platforms`]), and the plan for an event built from all of that
//! ([`plan`]). Neither front imports the other; what they share lives here.

mod error;
pub mod git;
pub mod merge;
mod objects;
mod remote;
mod resolver;
#[cfg(test)]
mod testgit;
mod workflows;

pub use error::LoadError;
pub use gantry_plan::remote::{RemoteRepos, RepoAt};
pub use remote::{fetch_remote_calls, remote_calls};
pub use resolver::FsResolver;
pub use workflows::{check, read_dir, read_paths, Loaded};

use gantry_core::policy::{Policy, PolicyError};
use gantry_plan::event::Event;
use gantry_plan::platform::PlatformMap;
use gantry_plan::{Plan, PlanOptions, WorkflowFile};
use std::path::Path;

/// The operator's `[policy]` from a TOML file (`--policy FILE`), read here so that the core
/// only ever parses text.
pub fn policy(path: &Path) -> Result<Policy, PolicyError> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Policy::from_toml(&file, &text),
        Err(error) => Err(PolicyError::Read { file, error }),
    }
}

/// The platform map from `LABEL=IMAGE` mappings (`-P`, `[platforms]`) over the defaults;
/// a mapping that is not one is an error, never skipped.
pub fn platforms<S: AsRef<str>>(
    specs: impl IntoIterator<Item = S>,
) -> Result<PlatformMap, LoadError> {
    let mut map = PlatformMap::default();
    for spec in specs {
        map.parse_and_set(spec.as_ref())?;
    }
    Ok(map)
}

/// The plan of `workflows` for `event`, local actions and reusable workflows read from
/// `workspace`; a call of another repository's reusable workflow is an error naming it
/// (nothing was fetched: see [`plan_with_remote`]).
pub fn plan(event: &Event, workflows: &[Loaded], opts: &PlanOptions, workspace: &Path) -> Plan {
    plan_with_remote(event, workflows, opts, workspace, RemoteRepos::default())
}

/// [`plan`], with the repositories of remote reusable workflows fetched before planning
/// ([`fetch_remote_calls`]).
pub fn plan_with_remote(
    event: &Event,
    workflows: &[Loaded],
    opts: &PlanOptions,
    workspace: &Path,
    remote: RemoteRepos,
) -> Plan {
    let files: Vec<WorkflowFile<'_>> = workflows.iter().map(Loaded::as_file).collect();
    let resolver = FsResolver {
        root: workspace.to_path_buf(),
        remote,
    };
    gantry_plan::plan(event, &files, opts, &resolver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_mappings_are_parsed_or_refused() {
        let map = platforms(["ubuntu-latest=debian:12", "Custom = img:1"]).unwrap();
        let image = |label: &str| {
            map.image_for(&[label.to_string()])
                .map(|(i, _)| i.to_string())
        };
        assert_eq!(image("ubuntu-latest").as_deref(), Some("debian:12"));
        assert_eq!(image("custom").as_deref(), Some("img:1"));
        for bad in ["nothing", "=img", "label="] {
            let e = platforms([bad]).unwrap_err().to_string();
            assert!(e.contains(bad) && e.contains("LABEL=IMAGE"), "{e}");
        }
    }
}

#[cfg(test)]
mod policy_tests {
    #[test]
    fn a_policy_file_that_cannot_be_read_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.toml");
        let e = super::policy(&missing).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}: ", missing.display())), "{e}");
        let f = dir.path().join("gantry.toml");
        std::fs::write(&f, "[policy]\nmemory = \"512m\"\n").unwrap();
        assert_eq!(
            super::policy(&f).unwrap().memory_bytes().unwrap(),
            512 << 20
        );
    }
}
