//! `[store]`: where the run store lives. No `url`: SQLite in the data directory, as always;
//! `url = "postgres://user@host[:port]/database"`: PostgreSQL, its password from
//! `password_env` (an environment variable) or `password_file` (a file), never from the
//! configuration itself nor shown in logs, errors or `Debug`.

use super::error::StoreError;
use super::lease::DEFAULT_LEASE;
use super::pg::tls;
pub use super::pg::Postgres;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    pub url: Option<String>,
    /// The environment variable holding the PostgreSQL password.
    pub password_env: Option<String>,
    /// The file holding the PostgreSQL password (a trailing newline is not part of it).
    pub password_file: Option<PathBuf>,
    /// How long (seconds) a claimed run is held without a renewal before another instance
    /// takes it over (`crate::lease`); 30 when not set.
    pub lease_secs: Option<u64>,
    /// The CA certificates (PEM) that sign the server's certificate, for `sslmode=require`
    /// (or verify-ca, verify-full) in the URL; without it, the system's roots.
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("url", &self.url.as_deref().map(redact))
            .field("password_env", &self.password_env)
            .field("password_file", &self.password_file)
            .field("lease_secs", &self.lease_secs)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl StoreConfig {
    /// The lease of a claimed run: `lease_secs` (at least 1), else [`DEFAULT_LEASE`].
    pub fn lease(&self) -> std::time::Duration {
        self.lease_secs
            .map_or(DEFAULT_LEASE, |s| std::time::Duration::from_secs(s.max(1)))
    }

    /// The PostgreSQL connection settings, password and TLS included; `None`: the store is
    /// SQLite.
    pub fn postgres(&self) -> Result<Option<Postgres>, StoreError> {
        let Some(url) = &self.url else {
            if self.password_env.is_some() || self.password_file.is_some() {
                return Err(StoreError::Config(
                    "password_env/password_file: expected beside url (a postgres:// URL)".into(),
                ));
            }
            return Ok(None);
        };
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::Config(format!(
                "url: expected postgres://user@host[:port]/database, got {}",
                redact(url)
            )));
        }
        let (mode, plain) = tls::mode(url)?;
        let mut cfg: tokio_postgres::Config = plain
            .parse()
            .map_err(|e| StoreError::Config(format!("url {}: {e}", redact(url))))?;
        if mode == tls::Mode::Verified {
            cfg.ssl_mode(tokio_postgres::config::SslMode::Require);
        } else {
            cfg.ssl_mode(tokio_postgres::config::SslMode::Disable);
            if self.ca_file.is_some() {
                return Err(StoreError::Config(
                    "ca_file: expected with sslmode=require (or verify-ca, verify-full) in url"
                        .into(),
                ));
            }
        }
        if let Some(password) = self.password()? {
            cfg.password(password);
        }
        let tls = tls::connector(mode, self.ca_file.as_deref())?;
        Ok(Some(Postgres { config: cfg, tls }))
    }

    fn password(&self) -> Result<Option<String>, StoreError> {
        match (&self.password_env, &self.password_file) {
            (Some(_), Some(_)) => Err(StoreError::Config(
                "expected one of password_env and password_file, not both".into(),
            )),
            (Some(var), None) => std::env::var(var).map(Some).map_err(|_| {
                StoreError::Config(format!(
                    "password_env: expected the environment variable {var} to be set"
                ))
            }),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map(|p| Some(p.trim_end_matches(['\n', '\r']).to_string()))
                .map_err(|e| StoreError::Config(format!("password_file {}: {e}", path.display()))),
            (None, None) => Ok(None),
        }
    }
}

/// The URL without its password (`postgres://user:secret@host/db` → `postgres://user@host/db`):
/// what may be logged.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    let user = userinfo.split(':').next().unwrap_or("");
    format!("{scheme}://{user}@{host}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_is_30_seconds_unless_set_and_at_least_one() {
        let table = [(None, 30), (Some(5), 5), (Some(0), 1), (Some(120), 120)];
        for (set, secs) in table {
            let cfg = StoreConfig {
                lease_secs: set,
                ..Default::default()
            };
            assert_eq!(cfg.lease(), std::time::Duration::from_secs(secs), "{set:?}");
        }
    }

    #[test]
    fn a_url_is_shown_without_its_password() {
        let table = [
            ("postgres://u:secret@h/db", "postgres://u@h/db"),
            (
                "postgres://u:se:cr@et@h:5433/db?x=1",
                "postgres://u@h:5433/db?x=1",
            ),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("postgresql://h/db", "postgresql://h/db"),
            ("not a url", "not a url"),
        ];
        for (url, shown) in table {
            assert_eq!(redact(url), shown, "{url}");
        }
    }

    #[test]
    fn the_password_comes_from_the_environment_or_a_file_and_is_never_shown() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("pw");
        std::fs::write(&file, "from-file\n").unwrap();
        let cfg = |env: Option<&str>, file: Option<&std::path::Path>| StoreConfig {
            url: Some("postgres://gantry:inline@127.0.0.1/db".into()),
            password_env: env.map(Into::into),
            password_file: file.map(Into::into),
            ..Default::default()
        };
        let pw = |c: &StoreConfig| {
            c.postgres()
                .unwrap()
                .unwrap()
                .config
                .get_password()
                .map(<[u8]>::to_vec)
        };
        assert_eq!(pw(&cfg(None, Some(&file))), Some(b"from-file".to_vec()));
        assert_eq!(
            pw(&cfg(Some("PATH"), None)),
            Some(std::env::var("PATH").unwrap().into_bytes())
        );
        let missing = cfg(Some("GANTRY_TEST_NO_SUCH_VARIABLE"), None)
            .postgres()
            .unwrap_err();
        assert!(
            missing.to_string().contains("GANTRY_TEST_NO_SUCH_VARIABLE"),
            "{missing}"
        );
        let both = cfg(Some("PATH"), Some(&file)).postgres().unwrap_err();
        assert!(both.to_string().contains("not both"), "{both}");
        let shown = format!("{:?}", cfg(None, Some(&file)));
        assert!(
            !shown.contains("inline") && shown.contains("gantry@127.0.0.1"),
            "{shown}"
        );
        assert!(
            StoreConfig::default().postgres().unwrap().is_none(),
            "no url: SQLite"
        );
        let bad = StoreConfig {
            url: Some("mysql://u:pw@h/db".into()),
            ..Default::default()
        };
        let e = bad.postgres().unwrap_err().to_string();
        assert!(
            e.contains("expected postgres://") && !e.contains("pw@"),
            "{e}"
        );
    }
}
