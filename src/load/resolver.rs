//! Reading local actions and reusable workflows from the workspace for the planner.

use crate::diag::Severity;
use crate::model::{Action, Workflow};
use crate::plan::resolve::Resolver;
use crate::validate::{check_bytes, FileKind};
use std::path::PathBuf;

pub struct FsResolver {
    pub root: PathBuf,
}

fn errors_of(diags: &[crate::diag::Diagnostic], path: &str) -> Option<String> {
    let errs: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            format!(
                "{path}:{}:{}: {}",
                d.span.start.line, d.span.start.col, d.message
            )
        })
        .collect();
    (!errs.is_empty()).then(|| errs.join("; "))
}

impl Resolver for FsResolver {
    fn action(&self, path: &str) -> Result<Option<Action>, String> {
        for name in ["action.yml", "action.yaml"] {
            let p = self.root.join(path).join(name);
            if let Ok(bytes) = std::fs::read(&p) {
                let checked = check_bytes(&bytes, FileKind::Action);
                if let Some(e) = errors_of(&checked.diagnostics, &p.display().to_string()) {
                    return Err(e);
                }
                return Ok(checked.action);
            }
        }
        Ok(None)
    }

    fn workflow(&self, path: &str) -> Result<Option<Workflow>, String> {
        let p = self.root.join(path);
        let Ok(bytes) = std::fs::read(&p) else {
            return Ok(None);
        };
        let checked = check_bytes(&bytes, FileKind::Workflow);
        if let Some(e) = errors_of(&checked.diagnostics, &p.display().to_string()) {
            return Err(e);
        }
        Ok(checked.workflow)
    }
}
