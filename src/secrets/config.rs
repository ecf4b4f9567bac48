//! The secrets configuration file (TOML): how to reach Vault and log in, which secret name
//! comes from which path and key, and the default path for names not listed. Every setting
//! that holds a credential can also come from the environment (`VAULT_ADDR`, `VAULT_TOKEN`,
//! `VAULT_NAMESPACE`, `VAULT_ROLE_ID`, `VAULT_SECRET_ID`), so that no credential needs to be
//! written in the file.

use super::{SecretError, VaultRef};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    pub vault: Option<VaultConfig>,
    /// Secret name → `mount/[data/]path[#key]`.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
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
        let cfg = Self::parse(&text).map_err(|message| SecretError::Config { file, message })?;
        Ok(cfg)
    }

    /// Parses the TOML text; errors carry `line:col`.
    pub fn parse(text: &str) -> Result<SecretsConfig, String> {
        let cfg: SecretsConfig = crate::diag::parse_toml(text)?;
        for (name, r) in &cfg.secrets {
            VaultRef::parse(r, name).map_err(|e| format!("secret `{name}`: {e}"))?;
        }
        Ok(cfg)
    }

    /// The reference for `name`: its mapping, else the default path, else `None`.
    pub fn reference(&self, name: &str, repository: &str) -> Option<VaultRef> {
        let upper = name.to_ascii_uppercase();
        if let Some((_, r)) = self
            .secrets
            .iter()
            .find(|(k, _)| k.to_ascii_uppercase() == upper)
        {
            return VaultRef::parse(r, &upper).ok();
        }
        let default = self.vault.as_ref()?.default_path.as_ref()?;
        VaultRef::parse(&default.replace("{repository}", repository), &upper).ok()
    }
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
    fn errors_have_positions() {
        let e = SecretsConfig::parse("[vault]\nadress = \"x\"\n").unwrap_err();
        assert!(e.starts_with("2:1:") && e.contains("adress"), "{e}");
        let e = SecretsConfig::parse("[secrets]\nX = \"nomount\"\n").unwrap_err();
        assert!(e.contains("secret `X`"), "{e}");
    }
}
