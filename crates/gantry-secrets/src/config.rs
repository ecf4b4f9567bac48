//! The secrets configuration file (TOML): how to reach Vault and log in, which secret name
//! comes from which path and key, and the default path for names not listed. Every setting
//! that holds a credential can also come from the environment (`VAULT_ADDR`, `VAULT_TOKEN`,
//! `VAULT_NAMESPACE`, `VAULT_ROLE_ID`, `VAULT_SECRET_ID`), so that no credential needs to be
//! written in the file.
//!
//! `gantry serve` scopes secrets by tenant: `[tenants.NAME]` holds a tenant's own mapping and
//! default path; the top-level `[secrets]` and `default_path` are the service's own (`[kafka]
//! secret_options`) and reach a tenant's workflows only when that tenant says `shared = true`.

use super::reference::RefError;
use super::{SecretError, VaultRef};
use gantry_core::diag::TomlError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A secrets configuration that cannot be used: TOML errors carry `line:col`, reference
/// errors name the table and the secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Toml(#[from] TomlError),
    #[error("secret `{name}`: {error}")]
    Secret { name: String, error: RefError },
    #[error("[tenants.{tenant}] secret `{name}`: {error}")]
    TenantSecret {
        tenant: String,
        name: String,
        error: RefError,
    },
    #[error("[tenants.{tenant}] default_path: {error}")]
    TenantDefaultPath { tenant: String, error: RefError },
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    pub vault: Option<VaultConfig>,
    /// Secret name → `mount/[data/]path[#key]`.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// `gantry serve`: each tenant's secrets. A workflow resolves only its own tenant's.
    #[serde(default)]
    pub tenants: BTreeMap<String, TenantConfig>,
}

/// `[tenants.NAME]`: the secrets of the workflows of one tenant (the sources that name it with
/// `tenant = "NAME"`, or the default tenant of a source: `repo:owner/name`, `hook:NAME`,
/// `kafka`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Secret name → `mount/[data/]path[#key]`.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// Where this tenant's names without a mapping are looked up; `{repository}` is the
    /// repository the operator configured for the source (never one an event names).
    pub default_path: Option<String>,
    /// Also resolve the top-level `[secrets]`, `[vault] default_path` and command-line values
    /// (after the tenant's own). Default: false.
    #[serde(default)]
    pub shared: bool,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    #[default]
    Token,
    Approle,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultConfig {
    /// Default: `VAULT_ADDR`.
    pub address: Option<String>,
    /// Vault Enterprise / OpenBao namespace. Default: `VAULT_NAMESPACE`.
    pub namespace: Option<String>,
    #[serde(default)]
    pub auth: AuthMethod,
    /// Token auth: a file holding the token. Default: `VAULT_TOKEN`.
    pub token_file: Option<PathBuf>,
    /// AppRole auth: where the method is mounted (default `approle`).
    pub approle_mount: Option<String>,
    /// AppRole: files holding the role id and secret id. Default: `VAULT_ROLE_ID`,
    /// `VAULT_SECRET_ID`.
    pub role_id_file: Option<PathBuf>,
    pub secret_id_file: Option<PathBuf>,
    /// Where names without a mapping are looked up: `{repository}` is replaced by the
    /// event's `owner/repo`; the key is the secret's name. E.g. `secret/data/ci/{repository}`.
    pub default_path: Option<String>,
    /// How far to renew the token each time (`1h`); renewal happens at two thirds of its TTL.
    pub renew_increment: Option<String>,
}

impl SecretsConfig {
    pub fn load(path: &Path) -> Result<SecretsConfig, SecretError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SecretError::Config {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let cfg = Self::parse(&text).map_err(|e| SecretError::Config {
            file,
            message: e.to_string(),
        })?;
        Ok(cfg)
    }

    /// Parses the TOML text; errors carry `line:col`.
    pub fn parse(text: &str) -> Result<SecretsConfig, ConfigError> {
        let cfg: SecretsConfig = gantry_core::diag::parse_toml(text)?;
        for (name, r) in &cfg.secrets {
            VaultRef::parse(r, name).map_err(|error| ConfigError::Secret {
                name: name.clone(),
                error,
            })?;
        }
        for (tenant, t) in &cfg.tenants {
            for (name, r) in &t.secrets {
                VaultRef::parse(r, name).map_err(|error| ConfigError::TenantSecret {
                    tenant: tenant.clone(),
                    name: name.clone(),
                    error,
                })?;
            }
            if let Some(d) = &t.default_path {
                VaultRef::parse(&d.replace("{repository}", "owner/repo"), "NAME").map_err(
                    |error| ConfigError::TenantDefaultPath {
                        tenant: tenant.clone(),
                        error,
                    },
                )?;
            }
        }
        Ok(cfg)
    }

    /// Whether anything here is read from Vault (a client is needed).
    pub fn uses_vault(&self) -> bool {
        self.vault.is_some()
            || !self.secrets.is_empty()
            || self
                .tenants
                .values()
                .any(|t| !t.secrets.is_empty() || t.default_path.is_some())
    }

    /// `gantry serve`: the reference of `name` in `tenant`'s own settings — its mapping, then
    /// its default path (the shared ones are [`Self::shared_reference`]). `repository` fills
    /// `{repository}`; a path that needs it when there is none does not apply.
    pub fn tenant_reference(
        &self,
        tenant: &str,
        name: &str,
        repository: Option<&str>,
    ) -> Option<VaultRef> {
        let t = self.tenants.get(tenant)?;
        mapped(&t.secrets, name).or_else(|| fill(t.default_path.as_deref()?, name, repository))
    }

    /// The top-level mapping, then the top-level default path (when it can be filled).
    pub fn shared_reference(&self, name: &str, repository: Option<&str>) -> Option<VaultRef> {
        mapped(&self.secrets, name).or_else(|| {
            let default = self.vault.as_ref()?.default_path.as_deref()?;
            fill(default, name, repository)
        })
    }

    /// Whether `tenant` also sees the shared (top-level and command-line) secrets.
    pub fn tenant_shares(&self, tenant: &str) -> bool {
        self.tenants.get(tenant).is_some_and(|t| t.shared)
    }

    /// The reference for `name`: its mapping, else the default path, else `None`.
    pub fn reference(&self, name: &str, repository: &str) -> Option<VaultRef> {
        self.shared_reference(name, Some(repository))
    }
}

/// `name`'s entry in a mapping (names are case-insensitive, as on GitHub).
fn mapped(map: &BTreeMap<String, String>, name: &str) -> Option<VaultRef> {
    let upper = name.to_ascii_uppercase();
    let (_, r) = map.iter().find(|(k, _)| k.to_ascii_uppercase() == upper)?;
    VaultRef::parse(r, &upper).ok()
}

/// A default path with `{repository}` filled; `None` when it needs a repository and has none.
fn fill(default: &str, name: &str, repository: Option<&str>) -> Option<VaultRef> {
    let path = match (default.contains("{repository}"), repository) {
        (false, _) => default.to_string(),
        (true, Some(r)) if !r.is_empty() => default.replace("{repository}", r),
        (true, _) => return None,
    };
    VaultRef::parse(&path, &name.to_ascii_uppercase()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_and_default_path() {
        let cfg = SecretsConfig::parse(
            r#"
[vault]
address = "http://127.0.0.1:8200"
auth = "approle"
default_path = "secret/data/ci/{repository}"

[secrets]
DB_PASSWORD = "secret/data/app#password"
"#,
        )
        .unwrap();
        assert_eq!(cfg.vault.as_ref().unwrap().auth, AuthMethod::Approle);
        let r = cfg.reference("db_password", "o/r").unwrap();
        assert_eq!(r.to_string(), "secret/data/app#password");
        let r = cfg.reference("API_KEY", "octo/repo").unwrap();
        assert_eq!(r.to_string(), "secret/data/ci/octo/repo#API_KEY");
    }

    #[test]
    fn tenants_see_their_own_and_shared_only_when_they_say_so() {
        let cfg = SecretsConfig::parse(
            r#"
[vault]
default_path = "secret/data/ci/{repository}"
[secrets]
SHARED = "secret/data/common#s"
[tenants.acme]
default_path = "secret/data/acme/{repository}"
[tenants.acme.secrets]
DEPLOY = "secret/data/acme#deploy"
[tenants.beta]
shared = true
[tenants.beta.secrets]
SHARED = "secret/data/beta#own"
"#,
        )
        .unwrap();
        let r = |t: &str, n: &str, repo: Option<&str>| {
            cfg.tenant_reference(t, n, repo).map(|r| r.to_string())
        };
        assert_eq!(
            r("acme", "deploy", None).unwrap(),
            "secret/data/acme#deploy"
        );
        assert_eq!(
            r("acme", "OTHER", Some("o/r")).unwrap(),
            "secret/data/acme/o/r#OTHER"
        );
        // No repository configured: a default path that needs one does not apply.
        assert_eq!(r("acme", "OTHER", None), None);
        assert_eq!(r("acme", "SHARED", None), None);
        assert_eq!(r("beta", "SHARED", None).unwrap(), "secret/data/beta#own");
        assert_eq!(r("beta", "X", Some("o/r")), None);
        assert_eq!(
            cfg.shared_reference("X", Some("o/r")).unwrap().to_string(),
            "secret/data/ci/o/r#X"
        );
        assert_eq!(cfg.shared_reference("X", None), None);
        assert_eq!(r("nobody", "SHARED", Some("o/r")), None);
        assert!(cfg.uses_vault() && cfg.tenant_shares("beta") && !cfg.tenant_shares("acme"));
        let e = SecretsConfig::parse("[tenants.a.secrets]\nX = \"nomount\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("[tenants.a] secret `X`"), "{e}");
    }

    #[test]
    fn errors_have_positions() {
        let e = SecretsConfig::parse("[vault]\nadress = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("2:1:") && e.contains("adress"), "{e}");
        for (text, want) in [
            (
                "[secrets]\nX = \"nomount\"\n",
                "secret `X`: `nomount`: expected mount/path#key, e.g. secret/data/app#password",
            ),
            (
                "[tenants.t]\ndefault_path = \"kv/x#\"\n",
                "[tenants.t] default_path: `kv/x#`: empty key after `#`",
            ),
        ] {
            let e = SecretsConfig::parse(text).unwrap_err().to_string();
            assert_eq!(e, want, "{text}");
        }
    }
}
