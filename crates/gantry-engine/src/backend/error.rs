//! Errors from the container runtime, with what was being done and to which object, so that
//! the engine can name the step and file around them.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum BackendError {
    #[error("cannot reach the container engine at {endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
    #[error("image `{image}` is not available locally and cannot be pulled: {message}")]
    ImageUnavailable { image: String, message: String },
    #[error("building image `{tag}` failed: {message}")]
    Build { tag: String, message: String },
    #[error("{action} `{object}` failed: {message}")]
    Api {
        action: &'static str,
        object: String,
        message: String,
    },
    #[error(transparent)]
    Option(#[from] gantry_core::container_options::OptionError),
}

impl BackendError {
    pub fn api(action: &'static str, object: &str, message: impl ToString) -> BackendError {
        BackendError::Api {
            action,
            object: object.to_string(),
            message: message.to_string(),
        }
    }
}
