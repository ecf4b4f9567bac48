//! The crate's one error type, and how each error answers a client: Twirp's JSON error shape
//! (the artifact and cache clients branch on its `code`), or an HTTP status for REST and blobs.

use axum::http::StatusCode;

/// Everything that can go wrong in the results service. Messages name what was expected and
/// never carry a token, a signature or a key.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("storage: {0}")]
    Storage(#[from] object_store::Error),
    #[error("configuration: {0}")]
    Config(String),
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("already exists: {0}")]
    AlreadyExists(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("too large: {0}")]
    TooLarge(String),
    #[error("failed precondition: {0}")]
    FailedPrecondition(String),
    #[error("metadata object {path} is not valid JSON: {source}")]
    Metadata {
        path: String,
        source: serde_json::Error,
    },
    #[error("token signing failed: {0}")]
    Token(String),
}

impl ResultsError {
    /// Twirp's error code (https://twitchtv.github.io/twirp/docs/spec_v7.html#error-codes).
    pub fn twirp_code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "unauthenticated",
            Self::PermissionDenied(_) => "permission_denied",
            Self::NotFound(_) => "not_found",
            Self::AlreadyExists(_) => "already_exists",
            // Not `resource_exhausted`: Twirp maps it to 429, which the clients retry.
            Self::InvalidArgument(_) | Self::TooLarge(_) => "invalid_argument",
            Self::FailedPrecondition(_) => "failed_precondition",
            Self::Storage(_) | Self::Config(_) | Self::Metadata { .. } | Self::Token(_) => {
                "internal"
            }
        }
    }

    /// The HTTP status Twirp maps `twirp_code` to.
    pub fn twirp_status(&self) -> StatusCode {
        match self {
            Self::TooLarge(_) => StatusCode::BAD_REQUEST,
            other => other.status(),
        }
    }

    /// The HTTP status of REST and blob answers (413 for a body over its limit).
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::PermissionDenied(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::AlreadyExists(_) => StatusCode::CONFLICT,
            Self::InvalidArgument(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::FailedPrecondition(_) => StatusCode::PRECONDITION_FAILED,
            Self::Storage(_) | Self::Config(_) | Self::Metadata { .. } | Self::Token(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_twirp() {
        let cases: &[(ResultsError, &str, u16)] = &[
            (ResultsError::Unauthenticated("x"), "unauthenticated", 401),
            (ResultsError::NotFound("x".into()), "not_found", 404),
            (
                ResultsError::AlreadyExists("x".into()),
                "already_exists",
                409,
            ),
            (
                ResultsError::InvalidArgument("x".into()),
                "invalid_argument",
                400,
            ),
            (
                ResultsError::PermissionDenied("x".into()),
                "permission_denied",
                403,
            ),
            (
                ResultsError::FailedPrecondition("x".into()),
                "failed_precondition",
                412,
            ),
            (ResultsError::Config("x".into()), "internal", 500),
            (ResultsError::TooLarge("x".into()), "invalid_argument", 400),
        ];
        for (error, code, status) in cases {
            assert_eq!(error.twirp_code(), *code, "{error}");
            assert_eq!(error.twirp_status().as_u16(), *status, "{error}");
        }
    }
}
