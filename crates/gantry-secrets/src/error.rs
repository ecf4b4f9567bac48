//! Errors from secret stores. Each names the secret and where it was looked for; none
//! carries a value.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SecretError {
    #[error("secret `{name}` is not configured: give it with -s/--secret-file, map it in the secrets config, or set a Vault default_path")]
    NotConfigured { name: String },
    /// `gantry serve`: the run's tenant has no such secret (another tenant's is never used).
    #[error("secret `{name}` is not available to tenant `{tenant}`: map it under [tenants.{key}.secrets] in the secrets config")]
    NotForTenant {
        name: String,
        tenant: String,
        /// The tenant as a TOML key (quoted when it must be).
        key: String,
    },
    #[error("cannot reach Vault at {address} for secret `{name}`: {message}")]
    Unreachable {
        name: String,
        address: String,
        message: String,
    },
    #[error("Vault login failed ({method}): {message}")]
    Login { method: String, message: String },
    #[error("permission denied reading secret `{name}` from {path}")]
    PermissionDenied { name: String, path: String },
    #[error("secret `{name}`: no secret at {path}")]
    MissingPath { name: String, path: String },
    #[error("secret `{name}`: {path} has no key `{key}`")]
    MissingKey {
        name: String,
        path: String,
        key: String,
    },
    #[error("secret `{name}` from {path}: Vault answered {message}")]
    Vault {
        name: String,
        path: String,
        message: String,
    },
    #[error("{file}: {message}")]
    Config { file: String, message: String },
}
