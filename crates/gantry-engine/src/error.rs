//! Errors that end a step or a job before its own code runs: a missing image or action, an
//! invalid action.yml, an expression that fails, a backend failure. Each names the step and
//! the file involved.

use crate::action_source::ActionSourceError;
use crate::backend::BackendError;
use gantry_core::expr::{EvalError, ExprError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("action `{uses}`: {message}")]
    Action { uses: String, message: String },
    /// A remote action's repository that the run's [`crate::ActionSource`] could not give.
    #[error("action `{uses}`: {error}")]
    ActionSource {
        uses: String,
        error: ActionSourceError,
    },
    #[error(transparent)]
    Expression(#[from] ExpressionError),
    /// A job's `if:` that cannot be decided.
    #[error("job `{job}`: {error}")]
    JobCondition { job: String, error: ExpressionError },
    #[error("{0}")]
    Unsupported(String),
    /// The workflow asks for something the operator's policy refuses (`file:line:col`).
    #[error("{0}")]
    Policy(String),
    #[error("{0}")]
    Secret(#[from] gantry_secrets::SecretError),
}

/// An expression of the plan that failed at run time, shown with its text.
#[derive(Debug, Error)]
pub enum ExpressionError {
    /// A `${{ }}` template (an `env:` value, `with:`, a script, a container setting).
    #[error("`{text}`: {error}")]
    Template { text: String, error: ExprFailure },
    /// An `if:` condition.
    #[error("`if: {text}`: {error}")]
    Condition { text: String, error: ExprFailure },
    /// `env: ${{ ... }}` whose value is not a mapping; `kind` is the value's type.
    #[error("`env: {expression}` must evaluate to a mapping, not {kind}")]
    EnvNotMapping {
        expression: String,
        kind: &'static str,
    },
}

/// Why an expression failed: it does not parse, or evaluating it does not work.
#[derive(Debug, Error)]
pub enum ExprFailure {
    #[error(transparent)]
    Parse(#[from] ExprError),
    #[error(transparent)]
    Eval(#[from] EvalError),
}

impl ExpressionError {
    /// The template `text` failed with `error`.
    pub fn template(text: &str, error: impl Into<ExprFailure>) -> ExpressionError {
        ExpressionError::Template {
            text: text.to_string(),
            error: error.into(),
        }
    }

    /// The condition `text` failed with `error`.
    pub fn condition(text: &str, error: impl Into<ExprFailure>) -> ExpressionError {
        ExpressionError::Condition {
            text: text.to_string(),
            error: error.into(),
        }
    }
}

impl EngineError {
    pub fn io(what: impl ToString, source: std::io::Error) -> EngineError {
        EngineError::Io {
            what: what.to_string(),
            source,
        }
    }
}
