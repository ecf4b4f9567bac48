//! Errors that end a step or a job before its own code runs: a missing image or action, an
//! invalid action.yml, a backend failure. Each names the step and the file involved.

use crate::backend::BackendError;
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
    #[error("{0}")]
    Expression(String),
    #[error("{0}")]
    Unsupported(String),
    /// The workflow asks for something the operator's policy refuses (`file:line:col`).
    #[error("{0}")]
    Policy(String),
    #[error("{0}")]
    Secret(#[from] gantry_secrets::SecretError),
}

impl EngineError {
    pub fn io(what: impl ToString, source: std::io::Error) -> EngineError {
        EngineError::Io {
            what: what.to_string(),
            source,
        }
    }
}
