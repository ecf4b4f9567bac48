//! What templates see of the session, and the small text helpers pages share (a query
//! value's encoding, the `next` target a login may return to).

use crate::config::ApiScope;
use crate::sessions::Session;
use serde::Serialize;

#[derive(Serialize)]
pub struct SessionView {
    pub name: String,
    pub scope: &'static str,
    /// Whether the cancel and rerun controls are shown.
    pub operate: bool,
    pub csrf: String,
}

pub fn session(s: &Session) -> SessionView {
    SessionView {
        name: s.name.clone(),
        scope: s.scope.as_str(),
        operate: s.scope >= ApiScope::Operate,
        csrf: s.csrf.clone(),
    }
}

/// `text` percent-encoded for a query value (unreserved characters kept).
pub fn encode_query(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a login may send the browser afterwards: a path of this site only (an absolute
/// or scheme-relative URL would make `/login` an open redirect).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/runs",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets() {
        for (given, want) in [
            (Some("/runs/3"), "/runs/3"),
            (Some("/runs?status=failure"), "/runs?status=failure"),
            (Some("//evil.example/"), "/runs"),
            (Some("https://evil.example/"), "/runs"),
            (Some("/\\evil.example"), "/runs"),
            (None, "/runs"),
        ] {
            assert_eq!(safe_next(given), want, "{given:?}");
        }
    }

    #[test]
    fn query_encoding() {
        for (given, want) in [
            ("/runs/3", "/runs/3"),
            ("/runs?a=b&c", "/runs%3Fa%3Db%26c"),
            ("é", "%C3%A9"),
        ] {
            assert_eq!(encode_query(given), want);
        }
    }
}
