//! The token a request carries in its `Authorization` header. Git sends HTTP Basic (checkout's
//! `http.extraheader` is `AUTHORIZATION: basic base64(x-access-token:TOKEN)`; the user name is
//! ignored, as GitHub does); Octokit, for the REST call, sends `token TOKEN`.

use axum::http::HeaderMap;
use base64::Engine;

/// Which schemes a caller accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schemes {
    /// HTTP Basic only (git endpoints).
    Basic,
    /// Basic, `token` or `Bearer` (the REST endpoint, as GitHub's API).
    BasicOrToken,
}

/// The token in the request's `Authorization` header, if it has one this caller accepts.
pub(crate) fn token(headers: &HeaderMap, schemes: Schemes) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        return basic_password(rest);
    }
    let is_token = scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer");
    (schemes == Schemes::BasicOrToken && is_token && !rest.is_empty()).then(|| rest.to_string())
}

/// The password of `base64(user:password)`.
fn basic_password(encoded: &str) -> Option<String> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (_, password) = text.split_once(':')?;
    (!password.is_empty()).then(|| password.to_string())
}

#[cfg(test)]
mod tests {
    use super::{token, Schemes};
    use axum::http::{HeaderMap, HeaderValue};

    #[test]
    fn tokens() {
        // base64("x-access-token:s3cret") and base64("user:") and base64("nocolon")
        let cases: &[(&str, Schemes, Option<&str>)] = &[
            (
                "basic eC1hY2Nlc3MtdG9rZW46czNjcmV0",
                Schemes::Basic,
                Some("s3cret"),
            ),
            (
                "Basic eC1hY2Nlc3MtdG9rZW46czNjcmV0",
                Schemes::BasicOrToken,
                Some("s3cret"),
            ),
            (
                "BASIC  eC1hY2Nlc3MtdG9rZW46czNjcmV0 ",
                Schemes::Basic,
                Some("s3cret"),
            ),
            ("Basic dXNlcjo=", Schemes::Basic, None),
            ("Basic bm9jb2xvbg==", Schemes::Basic, None),
            ("Basic !!!", Schemes::Basic, None),
            ("token s3cret", Schemes::Basic, None),
            ("token s3cret", Schemes::BasicOrToken, Some("s3cret")),
            ("Bearer s3cret", Schemes::BasicOrToken, Some("s3cret")),
            ("Bearer ", Schemes::BasicOrToken, None),
            ("Digest abc", Schemes::BasicOrToken, None),
            ("s3cret", Schemes::BasicOrToken, None),
        ];
        for (header, schemes, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert("authorization", HeaderValue::from_str(header).unwrap());
            assert_eq!(token(&headers, *schemes).as_deref(), *expected, "{header}");
        }
        assert_eq!(token(&HeaderMap::new(), Schemes::BasicOrToken), None);
    }
}
