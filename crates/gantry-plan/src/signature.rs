//! Webhook authentication: GitHub's `X-Hub-Signature-256` (HMAC-SHA256 of the raw body,
//! hex, `sha256=` prefix) compared in constant time, the shape check done before the body
//! is read, and bearer tokens for named hooks.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Whether `header` is the signature of `body` with `secret`.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Some(given) = decode_hex(hex) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    expected.as_slice().ct_eq(&given).into()
}

/// Whether `header` has the shape of a signature (`sha256=` and 64 hex digits): checked
/// before the body is read, so a request without one costs no body.
pub fn well_formed(header: &str) -> bool {
    header
        .trim()
        .strip_prefix("sha256=")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `sha256=<hex>` for a body, as senders compute it.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// Constant-time comparison of a bearer token.
pub fn token_matches(expected: &str, authorization: &str) -> bool {
    let given = authorization
        .strip_prefix("Bearer ")
        .or_else(|| authorization.strip_prefix("bearer "))
        .unwrap_or("");
    !given.is_empty() && expected.as_bytes().ct_eq(given.as_bytes()).into()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitHub's documented test vector ("Validating webhook deliveries").
    #[test]
    fn githubs_test_vector() {
        let secret = b"It's a Secret to Everybody";
        let body = b"Hello, World!";
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(verify(secret, body, sig));
        assert_eq!(sign(secret, body), sig);
        assert!(!verify(secret, b"Hello, World?", sig));
        assert!(!verify(b"other", body, sig));
        for bad in [
            "",
            "sha1=abc",
            "sha256=zz",
            "sha256=757107",
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        ] {
            assert!(!verify(secret, body, bad), "{bad}");
        }
    }

    #[test]
    fn shapes_of_signatures() {
        let good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(well_formed(good));
        for bad in [
            "",
            "sha256=00",
            "sha1=757107",
            &good[..70],
            &good.replace('e', "g"),
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn bearer_tokens() {
        assert!(token_matches("t0k", "Bearer t0k"));
        assert!(!token_matches("t0k", "Bearer t0K"));
        assert!(!token_matches("t0k", "t0k"));
        assert!(!token_matches("", "Bearer "));
    }
}
