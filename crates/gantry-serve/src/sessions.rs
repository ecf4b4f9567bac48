//! Browser sessions of the pages (`/login`, `/runs`...): a navigation cannot send an
//! `Authorization` header, so a person logs in once with an `[[api.tokens]]` token and the
//! browser keeps a random session id in a cookie instead. The map from id to the token's
//! name and scope lives only in this instance's memory (ids are never stored or logged; a
//! restart logs everyone out); each session has an expiry and a CSRF token that every
//! state-changing form must carry. The JSON API does not read this cookie.

use super::config::ApiScope;
use axum::http::{header, HeaderMap};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The cookie's name.
pub const COOKIE: &str = "gantry_session";

/// How long a session lasts after login (it is not extended by use).
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// More sessions than this at once: the oldest is dropped (a flood of logins cannot grow
/// memory without bound).
const MAX_SESSIONS: usize = 10_000;

#[derive(Clone, Debug)]
pub struct Session {
    /// The `[[api.tokens]]` entry logged in with.
    pub name: String,
    pub scope: ApiScope,
    /// What the page's forms carry in their `csrf` field.
    pub csrf: String,
    expires: Instant,
}

#[derive(Debug, thiserror::Error)]
#[error("the system's random number source failed: {0}")]
pub struct RandomError(String);

/// The live sessions, by id.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    /// A new session for token `name`: its id (the cookie's value) and CSRF token.
    pub fn create(&self, name: &str, scope: ApiScope) -> Result<(String, Session), RandomError> {
        let id = random_hex()?;
        let session = Session {
            name: name.to_string(),
            scope,
            csrf: random_hex()?,
            expires: Instant::now() + LIFETIME,
        };
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS {
            let oldest = map
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        map.insert(id.clone(), session.clone());
        Ok((id, session))
    }

    /// The session the request's cookie names, if it exists and has not expired.
    pub fn find(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers)?;
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).filter(|s| s.expires > Instant::now()).cloned()
    }

    /// Ends the request's session (logout); no session: nothing to do.
    pub fn remove(&self, headers: &HeaderMap) {
        if let Some(id) = cookie(headers) {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        }
    }
}

/// 32 random bytes as hex.
fn random_hex() -> Result<String, RandomError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| RandomError(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
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
    fn sessions_are_found_by_cookie_and_removed() {
        let s = Sessions::default();
        let (id, made) = s.create("op", ApiScope::Operate).unwrap();
        assert_eq!(id.len(), 64);
        assert_ne!(id, made.csrf);
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{COOKIE}={id}")).unwrap(),
        );
        assert_eq!(s.find(&h).unwrap().name, "op");
        s.remove(&h);
        assert!(s.find(&h).is_none());
        assert!(set_cookie(&id, true).ends_with("; Secure"));
        assert!(!set_cookie(&id, false).contains("Secure"));
        assert!(csrf_matches(&made.csrf, &made.csrf.clone()));
        assert!(!csrf_matches(&made.csrf, "x"));
    }
}
