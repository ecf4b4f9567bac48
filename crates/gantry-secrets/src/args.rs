//! Secrets given on the command line: `-s NAME=VALUE`, `-s NAME` (from the environment) and
//! `--secret-file` (dotenv style, like act). Values never appear in errors.

use crate::{ChainStore, SecretsConfig, StaticStore, TenantSecrets, VaultStore};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Args, Debug, Clone, Default)]
pub struct SecretArgs {
    /// A secret: NAME=VALUE, or NAME to take the value from the environment (repeatable).
    #[arg(short = 's', long = "secret", value_name = "NAME[=VALUE]")]
    pub secrets: Vec<String>,
    /// A file of NAME=VALUE lines (dotenv style: `#` comments, optional quotes).
    #[arg(long = "secret-file", value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    /// Vault settings and the secret-name → path mapping (TOML; see docs/secrets.md).
    #[arg(
        long = "secrets-config",
        value_name = "FILE",
        env = "GANTRY_SECRETS_CONFIG"
    )]
    pub secrets_config: Option<PathBuf>,
}

impl SecretArgs {
    /// The store `gantry plan` describes and `gantry run` resolves from: command-line values
    /// first, then Vault. `repository` fills `{repository}` in Vault's default path.
    pub fn store(&self, repository: &str) -> Result<ChainStore> {
        let fixed = StaticStore::new(self.load()?, "command line");
        let vault = match &self.secrets_config {
            Some(p) => {
                let cfg = SecretsConfig::load(p)?;
                let wants_vault = cfg.vault.is_some() || !cfg.secrets.is_empty();
                match wants_vault {
                    true => Some(VaultStore::new(cfg, repository)?),
                    false => None,
                }
            }
            None => None,
        };
        Ok(ChainStore { fixed, vault })
    }

    /// `gantry serve`'s secrets, scoped by tenant: the secrets config's `[tenants.*]`, with
    /// the command-line values and top-level mapping shared only with tenants that opt in.
    pub fn tenants(&self) -> Result<TenantSecrets> {
        let fixed = StaticStore::new(self.load()?, "command line");
        let cfg = match &self.secrets_config {
            Some(p) => SecretsConfig::load(p)?,
            None => SecretsConfig::default(),
        };
        Ok(TenantSecrets::new(cfg, fixed)?)
    }

    pub fn load(&self) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        if let Some(f) = &self.secret_file {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read the secret file {}", f.display()))?;
            for (k, v) in parse_dotenv(&text)
                .map_err(|(line, msg)| anyhow::anyhow!("{}:{line}: {msg}", f.display()))?
            {
                out.insert(k, v);
            }
        }
        for s in &self.secrets {
            match s.split_once('=') {
                Some((k, v)) if !k.is_empty() => {
                    out.insert(k.to_string(), v.to_string());
                }
                Some(_) => bail!("invalid --secret: expected NAME=VALUE or NAME"),
                None => {
                    let v = std::env::var(s).with_context(|| {
                        format!("--secret {s}: the environment has no variable `{s}`")
                    })?;
                    out.insert(s.clone(), v);
                }
            }
        }
        Ok(out)
    }
}

/// `NAME=VALUE` lines; `#` comments; `export ` prefixes; single or double quotes (double
/// quotes understand `\n`). Errors give the line and never the value.
pub fn parse_dotenv(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            return Err((i + 1, "expected NAME=VALUE".into()));
        };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err((i + 1, format!("`{k}` is not a valid secret name")));
        }
        let v = v.trim();
        let v = if let Some(inner) = v.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
            inner.replace("\\n", "\n").replace("\\\"", "\"")
        } else if let Some(inner) = v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
            inner.to_string()
        } else {
            v.to_string()
        };
        out.push((k.to_string(), v));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dotenv_lines() {
        let v = super::parse_dotenv("# c\nA=1\nexport B=\"x\\ny\"\nC='q w'\n\n").unwrap();
        assert_eq!(
            v,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "x\ny".into()),
                ("C".into(), "q w".into())
            ]
        );
        assert_eq!(super::parse_dotenv("A=1\nnope\n").unwrap_err().0, 2);
        let e = super::parse_dotenv("BAD-NAME=secretvalue").unwrap_err().1;
        assert!(!e.contains("secretvalue"));
    }
}
