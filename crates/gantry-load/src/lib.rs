//! Loading what a plan is made from, for both fronts (`gantry plan`/`run` and `gantry
//! serve`): workflow files read and checked ([`Loaded`], errors as `file:line:col`), local
//! actions and reusable workflows resolved in a workspace ([`FsResolver`]), the platform
//! map parsed ([`platforms`]), and the plan for an event built from all of that
//! ([`plan`]). Neither front imports the other; what they share lives here.

mod error;
pub mod git;
mod resolver;
mod workflows;

pub use error::LoadError;
pub use resolver::FsResolver;
pub use workflows::{check, read_dir, read_paths, Loaded};

use gantry_plan::event::Event;
use gantry_plan::platform::PlatformMap;
use gantry_plan::{Plan, PlanOptions, WorkflowFile};
use std::path::Path;

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
/// `workspace`.
pub fn plan(event: &Event, workflows: &[Loaded], opts: &PlanOptions, workspace: &Path) -> Plan {
    let files: Vec<WorkflowFile<'_>> = workflows.iter().map(Loaded::as_file).collect();
    let resolver = FsResolver {
        root: workspace.to_path_buf(),
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
