//! `ACTIONS_RUNTIME_TOKEN`: an HS256 JWT signed with a key drawn when the service starts, so a
//! token is valid only for the service that issued it, and only until it expires.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use crate::grant::{Claims, ISSUER};
use crate::ResultsError;

pub(crate) struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.set_issuer(&[ISSUER]);
        validation.validate_nbf = true;
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(&self, claims: &Claims) -> Result<String, ResultsError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| ResultsError::Token(e.to_string()))
    }

    /// The claims of a token this service signed and that has not expired. The error says
    /// only that a valid bearer token was expected.
    pub fn verify(&self, token: &str) -> Result<Claims, ResultsError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| ResultsError::Unauthenticated("a valid, unexpired bearer token"))
    }

    /// The token from an `Authorization: Bearer` header.
    pub fn verify_header(&self, headers: &axum::http::HeaderMap) -> Result<Claims, ResultsError> {
        let token = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or(ResultsError::Unauthenticated(
                "an Authorization: Bearer token",
            ))?;
        self.verify(token.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::JobGrant;

    fn claims(now: i64, lifetime: i64) -> Claims {
        let job = JobGrant {
            base_url: "http://127.0.0.1:1/".into(),
            run_id: 7,
            job_id: "build".into(),
            repository: "o/r".into(),
            git_ref: "refs/heads/main".into(),
            default_branch: None,
            base_ref: None,
        };
        Claims::new(&job, now, lifetime)
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn verifies_what_it_issued_and_refuses_the_rest() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let other = TokenKeys::new(b"another key, another service....");
        let good = keys.issue(&claims(now(), 600)).unwrap();
        let expired = keys.issue(&claims(now() - 7200, 600)).unwrap();
        let forged = other.issue(&claims(now(), 600)).unwrap();
        let mut tampered = good.clone();
        tampered.insert(good.find('.').unwrap() + 3, 'x');
        assert_eq!(keys.verify(&good).unwrap().run_id, 7);
        for (name, token) in [
            ("expired", expired.as_str()),
            ("forged", forged.as_str()),
            ("tampered", tampered.as_str()),
            ("garbage", "not-a-jwt"),
            ("empty", ""),
        ] {
            let err = keys.verify(token).unwrap_err();
            assert_eq!(err.twirp_code(), "unauthenticated", "{name}");
            assert!(
                !err.to_string().contains(token) || token.is_empty(),
                "{name}"
            );
        }
    }

    #[test]
    fn reads_bearer_headers() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let token = keys.issue(&claims(now(), 600)).unwrap();
        let mut headers = axum::http::HeaderMap::new();
        assert!(keys.verify_header(&headers).is_err());
        headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
        assert_eq!(keys.verify_header(&headers).unwrap().job_id, "build");
        headers.insert("authorization", token.parse().unwrap());
        assert!(keys.verify_header(&headers).is_err());
    }
}
