//! Where secret values come from: a [`SecretStore`] resolves the secret *names* a job uses
//! into values, from the command line (`-s`, `--secret-file`) or from Vault (KV v1/v2 with
//! token or AppRole auth) through a mapping (`DB_PASSWORD = "secret/data/app#password"`)
//! and a default path per repository; `gantry serve` scopes them by tenant ([`TenantSecrets`]).
//! Errors name the secret and its path, never a value.

mod args;
mod chain;
mod config;
mod error;
mod reference;
mod tenant;
mod vault;

pub use args::{parse_dotenv, ArgsError, DotenvError, SecretArgs};
pub use chain::{ChainStore, StaticStore};
pub use config::{AuthMethod, ConfigError, SecretsConfig, TenantConfig, VaultConfig};
pub use error::SecretError;
pub use reference::{RefError, VaultRef};
pub use tenant::{ScopedStore, Tenant, TenantSecrets};
pub use vault::VaultStore;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Resolves secret names into values. All or nothing: when one secret cannot be had, the
/// caller gets an error naming it and no value at all.
pub trait SecretStore: Send + Sync {
    /// Values of `names` (upper-case, as GitHub treats secret names).
    fn resolve<'a>(
        &'a self,
        names: &'a [String],
    ) -> BoxFuture<'a, Result<BTreeMap<String, String>, SecretError>>;
    /// Where `name` would come from, for `gantry plan` ("vault secret/data/app#password").
    fn describe(&self, name: &str) -> String;
}
