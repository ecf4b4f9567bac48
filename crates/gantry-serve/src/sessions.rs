//! Browser sessions of the pages (`/login`, `/runs`...): a navigation cannot send an
//! `Authorization` header, so a person logs in once with an `[[api.tokens]]` token and the
//! browser keeps a random session id in a cookie instead. Sessions live in the run store
//! (`gantry_store::sessions`), so every instance sharing it knows them and a logout on one
//! ends the session on all; a restart logs nobody out. The store holds only the SHA-256 of
//! the id (the id is a secret: never stored or logged), the token's name and scope, a check
//! binding the session to the token's value (SHA-256 of a label, the id and the token's
//! digest) and the expiry. Each lookup also checks that a token of that name, scope and
//! value is still configured: removing a token, changing its scope or giving it a new value
//! (rotating a leaked one) ends its sessions. Every state-changing form carries a CSRF token,
//! derived from the id (SHA-256 of a fixed label and the id), so it is not stored either.
//! The JSON API does not read this cookie.

use super::auth::Tokens;
use super::config::ApiScope;
use axum::http::{header, HeaderMap};
use gantry_store::sessions::{self as stored, SessionRow};
use gantry_store::write::now_ms;
use gantry_store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The cookie's name.
pub const COOKIE: &str = "gantry_session";

/// How long a session lasts after login (it is not extended by use).
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// What the CSRF token is derived with (so that it is not the id's stored hash).
const CSRF_LABEL: &[u8] = b"gantry page csrf v1\0";

/// What a session's token check is derived with.
const TOKEN_LABEL: &[u8] = b"gantry page session token v1\0";

#[derive(Clone, Debug)]
pub struct Session {
    /// The `[[api.tokens]]` entry logged in with.
    pub name: String,
    pub scope: ApiScope,
    /// What the page's forms carry in their `csrf` field.
    pub csrf: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the system's random number source failed: {0}")]
    Random(String),
    #[error("no token named `{0}` is configured")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SessionError {
    /// The store cannot be reached (the page says so: 503).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, SessionError::Store(e) if e.is_unavailable())
    }
}

/// Starts a session for the configured token `name`: its id (the cookie's value) and the
/// session. Expired sessions are swept first.
pub async fn create(
    store: &Store,
    tokens: &Tokens,
    name: &str,
) -> Result<(String, Session), SessionError> {
    let (scope, digest) = tokens
        .named(name)
        .ok_or_else(|| SessionError::Unknown(name.to_string()))?;
    let id = random_hex()?;
    let r = store.reader().await?;
    let now = now_ms();
    let swept = stored::sweep(&r, now).await?;
    if swept > 0 {
        tracing::debug!(swept, "expired page sessions deleted");
    }
    let lifetime = i64::try_from(LIFETIME.as_millis()).unwrap_or(i64::MAX);
    let row = SessionRow {
        token_name: name.to_string(),
        scope: scope.as_str().to_string(),
        token_check: token_check(&id, &digest),
        expires_at: now.saturating_add(lifetime),
    };
    stored::insert(&r, &hex_sha256(id.as_bytes()), &row).await?;
    let session = Session {
        name: name.to_string(),
        scope,
        csrf: csrf_of(&id),
    };
    Ok((id, session))
}

/// The session the request's cookie names, if it exists, has not expired, and its token is
/// still configured with the same scope.
pub async fn find(
    store: &Store,
    tokens: &Tokens,
    headers: &HeaderMap,
) -> Result<Option<Session>, StoreError> {
    let Some(id) = cookie(headers) else {
        return Ok(None);
    };
    let r = store.reader().await?;
    let Some(row) = stored::find(&r, &hex_sha256(id.as_bytes()), now_ms()).await? else {
        return Ok(None);
    };
    match tokens.named(&row.token_name) {
        Some((scope, digest))
            if scope.as_str() == row.scope
                && csrf_matches(&token_check(id, &digest), &row.token_check) =>
        {
            Ok(Some(Session {
                name: row.token_name,
                scope,
                csrf: csrf_of(id),
            }))
        }
        _ => Ok(None),
    }
}

/// Ends the request's session (logout) on every instance; no session: nothing to do.
pub async fn remove(store: &Store, headers: &HeaderMap) -> Result<(), StoreError> {
    let Some(id) = cookie(headers) else {
        return Ok(());
    };
    let r = store.reader().await?;
    stored::remove(&r, &hex_sha256(id.as_bytes())).await
}

/// The check binding session `id` to its token's value (`digest`: the token's SHA-256).
fn token_check(id: &str, digest: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(TOKEN_LABEL);
    h.update(id.as_bytes());
    h.update(digest);
    hex(&h.finalize())
}

/// The CSRF token of session `id`.
fn csrf_of(id: &str) -> String {
    let mut h = Sha256::new();
    h.update(CSRF_LABEL);
    h.update(id.as_bytes());
    hex(&h.finalize())
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 random bytes as hex.
fn random_hex() -> Result<String, SessionError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| SessionError::Random(e.to_string()))?;
    Ok(hex(&bytes))
}

/// The session id of the request's `Cookie` headers.
fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value that gives the browser session `id` (`Secure` when the service is
/// reached over https): never sent cross-site, never readable by script.
pub fn set_cookie(id: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        LIFETIME.as_secs()
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// Whether two CSRF tokens are equal, compared in constant time.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_are_found_among_others() {
        for (value, want) in [
            ("gantry_session=abc", Some("abc")),
            ("a=1; gantry_session=abc; b=2", Some("abc")),
            ("a=1", None),
            ("gantry_sessionx=abc", None),
            ("", None),
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::COOKIE, HeaderValue::from_str(value).unwrap());
            assert_eq!(cookie(&h), want, "{value}");
        }
    }

    #[test]
    fn cookies_csrf_and_hashes() {
        let id = random_hex().unwrap();
        assert_eq!(id.len(), 64);
        assert_ne!(id, random_hex().unwrap());
        let csrf = csrf_of(&id);
        assert_eq!(csrf.len(), 64);
        assert_eq!(csrf, csrf_of(&id), "derived: the same for every instance");
        assert_ne!(csrf, hex_sha256(id.as_bytes()), "not the stored hash");
        assert_ne!(csrf, id);
        assert!(set_cookie(&id, true).ends_with("; Secure"));
        assert!(!set_cookie(&id, false).contains("Secure"));
        assert!(csrf_matches(&csrf, &csrf.clone()));
        assert!(!csrf_matches(&csrf, "x"));
    }

    fn tokens(names: &[(&str, ApiScope)]) -> Tokens {
        with_hash(names, "ab")
    }

    /// Tokens named `names` whose SHA-256 is `byte` repeated.
    fn with_hash(names: &[(&str, ApiScope)], byte: &str) -> Tokens {
        use crate::config::{ApiConfig, ApiToken};
        let tokens = names
            .iter()
            .map(|(name, scope)| ApiToken {
                name: name.to_string(),
                scope: *scope,
                token_env: None,
                token_sha256: Some(byte.repeat(32)),
            })
            .collect();
        let cfg = ApiConfig {
            tokens,
            trusted_proxies: Vec::new(),
        };
        Tokens::resolve(&cfg).unwrap()
    }

    /// A session is found through the store by its cookie, with its CSRF token derived
    /// again; it ends when its token is removed, changes scope or is given a new value, and at logout; the store's
    /// files never hold the cookie's value.
    #[tokio::test]
    async fn sessions_live_in_the_store_and_end_with_their_token() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let configured = tokens(&[("op", ApiScope::Operate)]);
        let (id, made) = create(&store, &configured, "op").await.unwrap();
        let mut h = HeaderMap::new();
        let value = format!("{COOKIE}={id}");
        h.insert(header::COOKIE, HeaderValue::from_str(&value).unwrap());
        let found = find(&store, &configured, &h).await.unwrap().unwrap();
        assert_eq!(
            (found.name.as_str(), found.scope),
            ("op", ApiScope::Operate)
        );
        assert_eq!(found.csrf, made.csrf);
        let read_now = tokens(&[("op", ApiScope::Read)]);
        assert!(
            find(&store, &read_now, &h).await.unwrap().is_none(),
            "scope changed"
        );
        let rotated = with_hash(&[("op", ApiScope::Operate)], "cd");
        assert!(
            find(&store, &rotated, &h).await.unwrap().is_none(),
            "the token was given a new value"
        );
        let gone = tokens(&[("other", ApiScope::Operate)]);
        assert!(
            find(&store, &gone, &h).await.unwrap().is_none(),
            "token removed"
        );
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(&id) && !text.contains(&made.csrf),
                "a secret on disk"
            );
        }
        remove(&store, &h).await.unwrap();
        assert!(
            find(&store, &configured, &h).await.unwrap().is_none(),
            "logged out"
        );
        assert!(find(&store, &configured, &HeaderMap::new())
            .await
            .unwrap()
            .is_none());
    }
}
