//! TLS to PostgreSQL, for instances that reach their store across a network. The URL's
//! `sslmode` decides: `disable` (or none) talks in clear, as on one host; `require`,
//! `verify-ca` and `verify-full` all mean TLS with the server's certificate verified — its
//! chain against `[store] ca_file` (else the system's roots) and its name against the URL's
//! host. Gantry never makes a TLS connection it does not verify (libpq's `require` does):
//! an unverified one protects nothing from whoever can intercept it, and the store holds
//! every run's logs. `prefer` and `allow` are refused rather than silently falling back to
//! clear text. rustls (with the ring provider the workspace already uses) through
//! tokio-postgres-rustls, the maintained rustls binding of tokio-postgres.

use crate::error::StoreError;
use rustls::pki_types::{pem::PemObject, CertificateDer};
use rustls::{ClientConfig, RootCertStore};
use std::path::Path;
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How connections to the server are made.
#[derive(Clone)]
pub enum Tls {
    Clear,
    Verified(MakeRustlsConnect),
}

/// What the URL's `sslmode` asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Mode {
    Clear,
    Verified,
}

/// Reads `sslmode` from `url` and returns the URL without it (tokio-postgres knows only
/// `disable`, `prefer` and `require`; the TLS decision is made here).
pub fn mode(url: &str) -> Result<(Mode, String), StoreError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((Mode::Clear, url.to_string()));
    };
    let mut mode = Mode::Clear;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let Some(value) = pair.strip_prefix("sslmode=") else {
            kept.push(pair);
            continue;
        };
        mode = match value {
            "disable" => Mode::Clear,
            "require" | "verify-ca" | "verify-full" => Mode::Verified,
            other => {
                return Err(StoreError::Config(format!(
                    "url: sslmode={other}: expected disable, or require/verify-ca/verify-full \
                     (TLS with the server's certificate verified); Gantry does not fall back \
                     to clear text"
                )))
            }
        };
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((mode, url))
}

/// The connector for `mode`: verified TLS trusting `ca_file` (PEM), else the system's roots.
pub fn connector(mode: Mode, ca_file: Option<&Path>) -> Result<Tls, StoreError> {
    if mode == Mode::Clear {
        return Ok(Tls::Clear);
    }
    let roots = match ca_file {
        Some(path) => roots_from(path)?,
        None => system_roots()?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Config(format!("TLS to PostgreSQL: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Tls::Verified(MakeRustlsConnect::new(config)))
}

fn roots_from(path: &Path) -> Result<RootCertStore, StoreError> {
    let bad = |why: String| StoreError::Config(format!("ca_file {}: {why}", path.display()));
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("expected at least one PEM certificate".into()));
    }
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| bad(format!("a certificate rustls cannot use: {e}")))?;
    }
    Ok(roots)
}

fn system_roots() -> Result<RootCertStore, StoreError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(StoreError::Config(
            "sslmode: TLS asked, but the system has no trusted root certificates; give \
             [store] ca_file (the PEM of the CA that signed the server's certificate)"
                .into(),
        ));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_is_read_and_taken_out_of_the_url() {
        let table = [
            ("postgres://h/db", Mode::Clear, "postgres://h/db"),
            (
                "postgres://h/db?sslmode=disable",
                Mode::Clear,
                "postgres://h/db",
            ),
            (
                "postgres://h/db?sslmode=require",
                Mode::Verified,
                "postgres://h/db",
            ),
            (
                "postgres://h/db?connect_timeout=5&sslmode=verify-full&application_name=g",
                Mode::Verified,
                "postgres://h/db?connect_timeout=5&application_name=g",
            ),
            (
                "postgres://h/db?sslmode=verify-ca",
                Mode::Verified,
                "postgres://h/db",
            ),
        ];
        for (url, want, rest) in table {
            let (got, left) = mode(url).unwrap();
            assert_eq!((got, left.as_str()), (want, rest), "{url}");
        }
    }

    #[test]
    fn modes_that_fall_back_to_clear_text_are_refused_with_what_is_expected() {
        for url in [
            "postgres://h/db?sslmode=prefer",
            "postgres://h/db?sslmode=allow",
            "postgres://h/db?sslmode=x",
        ] {
            let e = mode(url).unwrap_err().to_string();
            assert!(e.contains("expected disable, or require"), "{url}: {e}");
        }
    }

    #[test]
    fn a_ca_file_without_certificates_is_a_clear_error() {
        let d = tempfile::tempdir().unwrap();
        let empty = d.path().join("ca.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = connector(Mode::Verified, Some(&empty))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("expected at least one PEM certificate"), "{e}");
        let missing = connector(Mode::Verified, Some(&d.path().join("none.pem")))
            .err()
            .unwrap()
            .to_string();
        assert!(missing.contains("none.pem"), "{missing}");
        assert!(matches!(connector(Mode::Clear, None), Ok(Tls::Clear)));
    }
}
