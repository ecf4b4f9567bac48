//! The token registry: which token may read which repositories until when. Only SHA-256 digests
//! of tokens are kept, so a memory dump or a `Debug` print shows no token; nothing is persisted.

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

/// What a grant allows.
#[derive(Debug)]
struct Grant {
    repositories: HashSet<String>,
    expires: SystemTime,
}

/// The answer to "may this token read this repository?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Yes.
    Allowed,
    /// The token is unknown, revoked or expired: ask for credentials (401).
    Unauthenticated,
    /// The token is valid but not for this repository: looks like a missing repository (404).
    NotGranted,
}

/// Tokens by digest.
#[derive(Debug, Default)]
pub(crate) struct Grants {
    by_digest: HashMap<[u8; 32], Grant>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Grants {
    /// Registers (or replaces) `token` for the normalised repository names.
    pub(crate) fn grant(
        &mut self,
        token: &str,
        repositories: HashSet<String>,
        expires: SystemTime,
    ) {
        let grant = Grant {
            repositories,
            expires,
        };
        self.by_digest.insert(digest(token), grant);
    }

    /// Forgets `token`; true when it was known.
    pub(crate) fn revoke(&mut self, token: &str) -> bool {
        self.by_digest.remove(&digest(token)).is_some()
    }

    /// May `token` read `repo` (normalised) at `now`?
    pub(crate) fn decide(&self, token: &str, repo: &str, now: SystemTime) -> Decision {
        match self.by_digest.get(&digest(token)) {
            Some(grant) if grant.expires > now => {
                if grant.repositories.contains(repo) {
                    Decision::Allowed
                } else {
                    Decision::NotGranted
                }
            }
            _ => Decision::Unauthenticated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Decision, Grants};
    use std::time::{Duration, SystemTime};

    #[test]
    fn decisions() {
        let now = SystemTime::now();
        let mut grants = Grants::default();
        let a = ["o/a".to_string()].into_iter().collect();
        grants.grant("live", a, now + Duration::from_secs(60));
        let b = ["o/b".to_string()].into_iter().collect();
        grants.grant("old", b, now - Duration::from_secs(1));
        let cases = [
            ("live", "o/a", Decision::Allowed),
            ("live", "o/b", Decision::NotGranted),
            ("old", "o/b", Decision::Unauthenticated),
            ("other", "o/a", Decision::Unauthenticated),
            ("", "o/a", Decision::Unauthenticated),
        ];
        for (token, repo, expected) in cases {
            assert_eq!(grants.decide(token, repo, now), expected, "{token} {repo}");
        }
        assert!(grants.revoke("live"));
        assert!(!grants.revoke("live"));
        assert_eq!(grants.decide("live", "o/a", now), Decision::Unauthenticated);
        assert!(!format!("{grants:?}").contains("live"));
    }
}
