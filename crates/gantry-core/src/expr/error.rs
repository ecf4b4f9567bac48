//! Errors of the expression language: where in the expression text, and what was expected.

use crate::filter::PatternError;
use std::ops::Range;

/// A syntax error; `span` is a byte range in the text that was parsed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    pub span: Range<usize>,
    pub message: String,
}

impl ExprError {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> ExprError {
        ExprError {
            span,
            message: message.into(),
        }
    }

    /// The same error for text that sits `by` bytes into a larger string.
    pub fn shifted(mut self, by: usize) -> ExprError {
        self.span = self.span.start + by..self.span.end + by;
        self
    }
}

/// An evaluation error (an unknown context, invalid JSON for `fromJSON`, a bad format string).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    pub span: Range<usize>,
    pub message: String,
}

impl EvalError {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> EvalError {
        EvalError {
            span,
            message: message.into(),
        }
    }
}

/// Why a host gave no `hashFiles` hash. The evaluator puts `hashFiles: ` before it, once
/// (an [`EvalError`] at the call), so these messages do not repeat the function's name.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HashFilesError {
    /// The host has no files to hash (the planner; hosts for tests).
    #[error("not available here")]
    Unavailable,
    /// A run's host that was given no workspace.
    #[error("no workspace on this host")]
    NoWorkspace,
    /// A pattern that is not one of GitHub's globs.
    #[error(transparent)]
    Pattern(#[from] PatternError),
}
