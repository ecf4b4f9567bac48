//! Who may use the API: the `[[api.tokens]]` bearer tokens (resolved once at start and kept
//! only as SHA-256 digests), the middleware that demands a token of a scope on every route
//! but health, readiness, the page's static files and the webhook ingress, and the `Origin`
//! check that keeps other sites from driving cancel and rerun.
//!
//! Answers: 401 `{"error":"unauthorized"}` with `WWW-Authenticate: Bearer` when there is no
//! valid token (and for every request while no token is configured: the API is closed by
//! default), 403 `{"error":"forbidden"}` when the token's scope is too small, and 403
//! `{"error":"forbidden_origin"}` for a mutation sent from another origin. Only the
//! `Authorization` header is read: no cookie or other ambient credential counts.

use super::config::{ApiConfig, ApiScope};
use super::App;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gantry_engine::backend::ContainerBackend;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Shorter tokens are accepted, with a warning at start: they can be guessed.
const MIN_TOKEN_LEN: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("[[api.tokens]] `{name}`: the variable {var} named by token_env is not set or empty")]
    Unset { name: String, var: String },
    #[error("[[api.tokens]] `{name}`: token_sha256 expected 64 hex digits")]
    BadHash { name: String },
}

struct Known {
    name: String,
    scope: ApiScope,
    digest: [u8; 32],
}

/// The configured tokens, as digests.
pub struct Tokens(Vec<Known>);

impl Tokens {
    /// Reads each `token_env` variable now; a missing one is an error, not an open door.
    pub fn resolve(cfg: &ApiConfig) -> Result<Tokens, TokenError> {
        let mut out = Vec::new();
        for t in &cfg.tokens {
            let name = t.name.clone();
            let digest = match (&t.token_env, &t.token_sha256) {
                (Some(var), _) => {
                    let value = std::env::var(var).unwrap_or_default();
                    if value.is_empty() {
                        return Err(TokenError::Unset {
                            name,
                            var: var.clone(),
                        });
                    }
                    if value.len() < MIN_TOKEN_LEN {
                        tracing::warn!(
                            "[[api.tokens]] `{name}` is shorter than {MIN_TOKEN_LEN} characters; use a long random token"
                        );
                    }
                    digest(value.as_bytes())
                }
                (None, Some(hex)) => {
                    decode_digest(hex).ok_or_else(|| TokenError::BadHash { name: name.clone() })?
                }
                (None, None) => return Err(TokenError::BadHash { name }),
            };
            out.push(Known {
                name,
                scope: t.scope,
                digest,
            });
        }
        Ok(Tokens(out))
    }

    /// The name and scope of the configured token `given` is (the pages' login form).
    pub(crate) fn check(&self, given: &str) -> Option<(&str, ApiScope)> {
        self.find(given).map(|k| (k.name.as_str(), k.scope))
    }

    /// The scope and digest of the configured token named `name` (a page session's lookup:
    /// a session ends when its token is no longer configured, changes scope or value).
    pub(crate) fn named(&self, name: &str) -> Option<(ApiScope, [u8; 32])> {
        self.0
            .iter()
            .find(|k| k.name == name)
            .map(|k| (k.scope, k.digest))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The token the `Authorization: Bearer` value is, compared as digests in constant time
    /// with every configured one (no early exit).
    fn find(&self, given: &str) -> Option<&Known> {
        let d = digest(given.as_bytes());
        let mut found = None;
        for k in &self.0 {
            if bool::from(k.digest.ct_eq(&d)) {
                found = Some(k);
            }
        }
        found
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn decode_digest(hex: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The bearer token of the `Authorization` header (scheme case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn json_error(status: StatusCode, reason: &str, message: String) -> Response {
    super::ingress::error(status, reason, message)
}

fn unauthorized(message: &str, invalid: bool) -> Response {
    let mut r = json_error(StatusCode::UNAUTHORIZED, "unauthorized", message.into());
    let challenge = if invalid {
        "Bearer realm=\"gantry\", error=\"invalid_token\""
    } else {
        "Bearer realm=\"gantry\""
    };
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    r
}

/// Checks the request's token against `needed`; `Err` is the 401 or 403 answer.
fn authorize<B: ContainerBackend>(
    app: &App<B>,
    headers: &HeaderMap,
    needed: ApiScope,
) -> Result<(), Box<Response>> {
    if app.intake.api_tokens.is_empty() {
        return Err(Box::new(unauthorized(
            "the API is closed: no [[api.tokens]] are configured",
            false,
        )));
    }
    let Some(given) = bearer(headers) else {
        return Err(Box::new(unauthorized(
            "this endpoint needs an Authorization: Bearer token",
            false,
        )));
    };
    let Some(known) = app.intake.api_tokens.find(given) else {
        return Err(Box::new(unauthorized(
            "the bearer token is not valid",
            true,
        )));
    };
    if known.scope < needed {
        return Err(Box::new(json_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "token `{}` has scope {}; this needs {}",
                known.name,
                known.scope.as_str(),
                needed.as_str()
            ),
        )));
    }
    Ok(())
}

/// Whether a request's `Origin` (when it has one) is this service's own: the origin of
/// `public_url`, or the request's `Host` under http or https.
pub(crate) fn same_origin<B: ContainerBackend>(app: &App<B>, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    if let Some(own) = app.settings.cfg.public_url.as_deref().and_then(origin_of) {
        if own.eq_ignore_ascii_case(origin) {
            return true;
        }
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((host, authority), (Some(h), Some(a)) if h.eq_ignore_ascii_case(a))
}

/// `scheme://authority` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let uri: Uri = url.parse().ok()?;
    Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?))
}

/// Middleware of the read routes (runs, logs, metrics).
pub async fn read<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    req: Request,
    next: Next,
) -> Response {
    match authorize(&app, req.headers(), ApiScope::Read) {
        Ok(()) => next.run(req).await,
        Err(r) => *r,
    }
}

/// Middleware of the mutations (cancel, rerun): the `operate` scope, and no other origin.
pub async fn operate<B: ContainerBackend>(
    State(app): State<Arc<App<B>>>,
    req: Request,
    next: Next,
) -> Response {
    if let Err(r) = authorize(&app, req.headers(), ApiScope::Operate) {
        return *r;
    }
    if !same_origin(&app, req.headers()) {
        return json_error(
            StatusCode::FORBIDDEN,
            "forbidden_origin",
            "cancel and rerun are refused from another origin".into(),
        );
    }
    next.run(req).await
}

/// The headers every answer carries: no sniffing, no referrer, no framing, no caching, and
/// a Content-Security-Policy that allows nothing unless the handler set its own (the page).
pub async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'",
        ));
    r.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ApiToken;

    fn cfg(tokens: Vec<ApiToken>) -> ApiConfig {
        ApiConfig {
            tokens,
            trusted_proxies: Vec::new(),
        }
    }

    #[test]
    fn tokens_resolve_and_match_by_digest() {
        std::env::set_var("GANTRY_AUTH_UNIT_TOKEN", "a-long-enough-operate-token");
        let read_hash = digest(b"read-token-0123456789")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        let t = Tokens::resolve(&cfg(vec![
            ApiToken {
                name: "op".into(),
                scope: ApiScope::Operate,
                token_env: Some("GANTRY_AUTH_UNIT_TOKEN".into()),
                token_sha256: None,
            },
            ApiToken {
                name: "reader".into(),
                scope: ApiScope::Read,
                token_env: None,
                token_sha256: Some(read_hash.to_uppercase()),
            },
        ]))
        .unwrap();
        assert_eq!(t.find("a-long-enough-operate-token").unwrap().name, "op");
        assert_eq!(t.find("read-token-0123456789").unwrap().name, "reader");
        assert!(t.find("read-token-012345678").is_none());
        assert!(t.find("").is_none());
        let e = Tokens::resolve(&cfg(vec![ApiToken {
            name: "gone".into(),
            scope: ApiScope::Read,
            token_env: Some("GANTRY_AUTH_UNIT_UNSET".into()),
            token_sha256: None,
        }]))
        .err()
        .unwrap()
        .to_string();
        assert!(
            e.contains("`gone`") && e.contains("GANTRY_AUTH_UNIT_UNSET"),
            "{e}"
        );
    }

    #[test]
    fn bearer_values() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        for (v, want) in [
            ("Bearer abc", Some("abc")),
            ("bearer abc", Some("abc")),
            ("Basic abc", None),
            ("Bearer ", None),
            ("abc", None),
        ] {
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(v));
            assert_eq!(bearer(&h), want, "{v}");
        }
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://ci.example.com/gantry/").as_deref(),
            Some("https://ci.example.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn config_checks() {
        let bad = [
            "[[api.tokens]]\nname = \"a\"\nscope = \"read\"\n",
            "[[api.tokens]]\nname = \"a\"\nscope = \"read\"\ntoken_env = \"X\"\ntoken_sha256 = \"00\"\n",
            "[[api.tokens]]\nname = \"a\"\nscope = \"read\"\ntoken_sha256 = \"zz\"\n",
            "[[api.tokens]]\nname = \"a\"\nscope = \"admin\"\ntoken_env = \"X\"\n",
            "[[api.tokens]]\nname = \"a\"\nscope = \"read\"\ntoken_env = \"X\"\n[[api.tokens]]\nname = \"a\"\nscope = \"read\"\ntoken_env = \"Y\"\n",
        ];
        for text in bad {
            assert!(crate::ServeConfig::parse(text).is_err(), "{text}");
        }
        let ok = crate::ServeConfig::parse(
            "[[api.tokens]]\nname = \"a\"\nscope = \"operate\"\ntoken_env = \"X\"\n",
        )
        .unwrap();
        assert_eq!(ok.api.tokens[0].scope, ApiScope::Operate);
        assert_eq!(ok.ingress.header_timeout_secs, 10);
        assert_eq!(ok.max_buffered_bytes(), 100 * 1024 * 1024);
        assert!(crate::ServeConfig::parse("[ingress]\nbody_timeout_secs = 0\n").is_err());
    }
}
