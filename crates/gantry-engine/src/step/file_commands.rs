//! After each step: what it wrote to `GITHUB_ENV`, `GITHUB_OUTPUT`, `GITHUB_PATH` and
//! `GITHUB_STEP_SUMMARY`, and what its workflow commands asked for (`::set-output`,
//! `::add-path::`), kept in the step's result: the job's env changes when the step
//! settles (at once in the foreground, at its `wait` in the background).

use super::{JobRunner, StepResult};
use crate::backend::ContainerBackend;
use crate::env;
use crate::error::EngineError;
use crate::layout::StepFiles;
use crate::output::CommandEffects;
use crate::protocol::file_commands::{parse_key_values, parse_path_file, FileCommandError};
use crate::report::RunEvent;

impl<B: ContainerBackend> JobRunner<B> {
    /// Reads what the step wrote to its file-command files into its result.
    pub(super) fn apply_files(
        &self,
        label: &str,
        files: &StepFiles,
        result: &mut StepResult,
    ) -> Result<(), EngineError> {
        let read = |var: &str| {
            files
                .read(var)
                .map_err(|e| EngineError::io(format!("reading {var}"), e))
        };
        let bad = |var: &str, e: FileCommandError| {
            EngineError::Unsupported(format!("{var} line {}: {}", e.line, e.message))
        };
        for (k, v) in parse_key_values(&read("GITHUB_ENV")?).map_err(|e| bad("GITHUB_ENV", e))? {
            if env::protected(&k) {
                self.log(
                    Some(label),
                    format!("warning: GITHUB_ENV cannot set `{k}`; ignored"),
                );
                continue;
            }
            result.changes.push(EnvChange::Set(k, v));
        }
        for (k, v) in
            parse_key_values(&read("GITHUB_OUTPUT")?).map_err(|e| bad("GITHUB_OUTPUT", e))?
        {
            result.outputs.insert(k, v);
        }
        for p in parse_path_file(&read("GITHUB_PATH")?).into_iter().rev() {
            result.changes.push(EnvChange::Path(p));
        }
        let summary = read("GITHUB_STEP_SUMMARY")?;
        if !summary.trim().is_empty() {
            self.cx.reporter.report(RunEvent::Summary {
                job: self.site.key.clone(),
                step: label.to_string(),
                markdown: self.cx.mask(&summary),
            });
        }
        Ok(())
    }

    /// Outputs and `PATH` entries a step's workflow commands set.
    pub(super) fn absorb(&self, effects: &CommandEffects, result: &mut StepResult) {
        for (k, v) in &effects.outputs {
            result.outputs.insert(k.clone(), v.clone());
        }
        for p in effects.path.iter().rev() {
            result.changes.push(EnvChange::Path(p.clone()));
        }
        for (k, v) in &effects.env {
            result.changes.push(EnvChange::Set(k.clone(), v.clone()));
        }
    }
}

/// A change a step makes to the environment of the steps after it.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvChange {
    /// `GITHUB_ENV` (or `::set-env::`).
    Set(String, String),
    /// `GITHUB_PATH` (or `::add-path::`).
    Path(String),
}
