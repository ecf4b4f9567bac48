//! Secrets given on the command line: `-s NAME=VALUE`, `-s NAME` (from the environment) and
//! `--secret-file` (dotenv style, like act). Values never appear in errors.

use crate::{ChainStore, SecretError, SecretsConfig, StaticStore, TenantSecrets, VaultStore};
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Secrets the command line cannot give: an unreadable or malformed secret file, a
/// malformed `-s`, a variable the environment lacks, or the secrets configuration's own
/// error. None carries a value.
#[derive(Debug, thiserror::Error)]
pub enum ArgsError {
    #[error("cannot read the secret file {}", path.display())]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{}: {error}", path.display(), error.line())]
    SecretFile { path: PathBuf, error: DotenvError },
    #[error("invalid --secret: expected NAME=VALUE or NAME")]
    Malformed,
    /// `source` is why, when the environment has no such variable; a value that is not
    /// Unicode is not kept (`VarError` would carry the secret value itself).
    #[error("--secret {name}: the environment has no variable `{name}`")]
    NoVariable {
        name: String,
        #[source]
        source: Option<std::env::VarError>,
    },
    #[error(transparent)]
    Store(#[from] SecretError),
}

/// A line of a secret file that is not `NAME=VALUE` with a valid name (1-based `line`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DotenvError {
    #[error("expected NAME=VALUE")]
    NotAssignment { line: usize },
    #[error("`{name}` is not a valid secret name")]
    InvalidName { line: usize, name: String },
}

impl DotenvError {
    pub fn line(&self) -> usize {
        match self {
            DotenvError::NotAssignment { line } | DotenvError::InvalidName { line, .. } => *line,
        }
    }
}

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
    pub fn store(&self, repository: &str) -> Result<ChainStore, ArgsError> {
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
    pub fn tenants(&self) -> Result<TenantSecrets, ArgsError> {
        let fixed = StaticStore::new(self.load()?, "command line");
        let cfg = match &self.secrets_config {
            Some(p) => SecretsConfig::load(p)?,
            None => SecretsConfig::default(),
        };
        Ok(TenantSecrets::new(cfg, fixed)?)
    }

    pub fn load(&self) -> Result<BTreeMap<String, String>, ArgsError> {
        let mut out = BTreeMap::new();
        if let Some(f) = &self.secret_file {
            let text = std::fs::read_to_string(f).map_err(|source| ArgsError::ReadFile {
                path: f.clone(),
                source,
            })?;
            let pairs = parse_dotenv(&text).map_err(|error| ArgsError::SecretFile {
                path: f.clone(),
                error,
            })?;
            for (k, v) in pairs {
                out.insert(k, v);
            }
        }
        for s in &self.secrets {
            match s.split_once('=') {
                Some((k, v)) if !k.is_empty() => {
                    out.insert(k.to_string(), v.to_string());
                }
                Some(_) => return Err(ArgsError::Malformed),
                None => {
                    let v = std::env::var(s).map_err(|e| ArgsError::NoVariable {
                        name: s.clone(),
                        source: matches!(e, std::env::VarError::NotPresent).then_some(e),
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
pub fn parse_dotenv(text: &str) -> Result<Vec<(String, String)>, DotenvError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            return Err(DotenvError::NotAssignment { line: i + 1 });
        };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(DotenvError::InvalidName {
                line: i + 1,
                name: k.to_string(),
            });
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
        let e = super::parse_dotenv("A=1\nnope\n").unwrap_err();
        assert_eq!(
            (e.line(), e.to_string().as_str()),
            (2, "expected NAME=VALUE")
        );
        let e = super::parse_dotenv("BAD-NAME=secretvalue").unwrap_err();
        assert_eq!(
            (e.line(), e.to_string().as_str()),
            (1, "`BAD-NAME` is not a valid secret name")
        );
    }

    #[test]
    fn command_line_errors_say_what_and_never_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.env");
        std::fs::write(&bad, "A=1\nB-C=hunter2\n").unwrap();
        let missing = dir.path().join("missing.env");
        let args = |secrets: &[&str], file: Option<&std::path::Path>| super::SecretArgs {
            secrets: secrets.iter().map(|s| s.to_string()).collect(),
            secret_file: file.map(ToOwned::to_owned),
            secrets_config: None,
        };
        let table = [
            (
                args(&["=x"], None),
                "invalid --secret: expected NAME=VALUE or NAME".to_string(),
            ),
            (
                args(&["GANTRY_SURELY_UNSET_1"], None),
                "--secret GANTRY_SURELY_UNSET_1: the environment has no variable \
                 `GANTRY_SURELY_UNSET_1`"
                    .to_string(),
            ),
            (
                args(&[], Some(&bad)),
                format!("{}:2: `B-C` is not a valid secret name", bad.display()),
            ),
            (
                args(&[], Some(&missing)),
                format!("cannot read the secret file {}", missing.display()),
            ),
        ];
        for (a, want) in table {
            let e = a.load().unwrap_err();
            assert_eq!(e.to_string(), want);
            assert!(!e.to_string().contains("hunter2"));
        }
    }
}
