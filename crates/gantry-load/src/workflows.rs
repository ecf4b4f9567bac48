//! Workflow files read and checked: each keeps its model (when it could be read at all)
//! and the errors that keep it from running, as `file:line:col: message [rule]`.

use super::error::LoadError;
use gantry_core::model::Workflow;
use gantry_core::validate::FileKind;
use gantry_plan::resolve::{check_workflow, FileProblem};
use gantry_plan::WorkflowFile;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A workflow file read and checked: its path, model, and errors that keep it from running.
#[derive(Debug)]
pub struct Loaded {
    pub path: String,
    pub workflow: Option<Arc<Workflow>>,
    pub errors: Vec<FileProblem>,
}

impl Loaded {
    /// The planner's view of this file.
    pub fn as_file(&self) -> WorkflowFile<'_> {
        WorkflowFile {
            path: &self.path,
            workflow: self.workflow.as_deref(),
            errors: self.errors.clone(),
        }
    }
}

/// Checks the bytes of the workflow file at `path`.
pub fn check(path: String, bytes: &[u8]) -> Loaded {
    let (workflow, errors) = check_workflow(bytes, &path);
    Loaded {
        path,
        workflow: workflow.map(Arc::new),
        errors,
    }
}

fn read(p: &Path) -> Result<Loaded, LoadError> {
    let name = p.display().to_string();
    let bytes = std::fs::read(p).map_err(|e| LoadError::read(&name, e))?;
    Ok(check(name, &bytes))
}

/// The workflow files among `paths` (action metadata files left out), read and checked.
pub fn read_paths(paths: &[PathBuf]) -> Result<Vec<Loaded>, LoadError> {
    paths
        .iter()
        .filter(|p| FileKind::from_path(&p.display().to_string()) != FileKind::Action)
        .map(|p| read(p))
        .collect()
}

/// The `.yml`/`.yaml` files directly in `dir`, in name order, read and checked.
pub fn read_dir(dir: &Path) -> Result<Vec<Loaded>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| LoadError::read(dir.display(), e))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    paths
        .iter()
        .filter(|p| {
            let name = p.display().to_string();
            name.ends_with(".yml") || name.ends_with(".yaml")
        })
        .map(|p| read(p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_of_workflows_is_read_in_order_with_its_errors() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("b.yml"), "on: push\njobs: 3\n").unwrap();
        std::fs::write(
            d.path().join("a.yaml"),
            "on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: true\n",
        )
        .unwrap();
        std::fs::write(d.path().join("notes.txt"), "not a workflow").unwrap();
        let loaded = read_dir(d.path()).unwrap();
        let names: Vec<&str> = loaded
            .iter()
            .map(|l| l.path.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(names, ["a.yaml", "b.yml"]);
        assert!(loaded[0].errors.is_empty());
        let e = &loaded[1].as_file().errors[0];
        assert_eq!((e.line, e.file.rsplit('/').next()), (2, Some("b.yml")));
        assert!(e.to_string().ends_with(']'), "{e}");
        let missing = read_dir(&d.path().join("none")).unwrap_err().to_string();
        assert!(missing.starts_with("cannot read "), "{missing}");
    }
}
