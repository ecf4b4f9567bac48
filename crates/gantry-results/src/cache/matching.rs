//! GitHub's cache matching and access rules, as pure functions.
//!
//! Matching (docs: "Matching a cache key"): in the run's own ref first, an exact match of
//! `key`, then the newest entry whose key starts with `key`, then for each `restore-keys`
//! entry in order the newest entry whose key starts with it; the `version` (paths and
//! compression) must be equal. Then the same in the next scope.
//!
//! Scopes (docs: "Restrictions for accessing a cache",
//! https://docs.github.com/en/actions/reference/workflows-and-actions/dependency-caching#restrictions-for-accessing-a-cache):
//! a run restores caches of its own ref, then of a pull request's base branch, then of the
//! default branch; it saves only to its own ref.

use super::entry::CacheEntry;

/// `main` and `refs/heads/main` name the same branch.
pub(crate) fn full_ref(name: &str) -> String {
    if name.starts_with("refs/") {
        name.to_string()
    } else {
        format!("refs/heads/{name}")
    }
}

/// The scopes a run may restore from, in the order they are searched.
pub(crate) fn restore_scopes(
    git_ref: &str,
    base_ref: Option<&str>,
    default_branch: Option<&str>,
) -> Vec<String> {
    let mut scopes = vec![full_ref(git_ref)];
    for extra in [base_ref, default_branch].into_iter().flatten() {
        let extra = full_ref(extra);
        if !extra.is_empty() && extra != "refs/heads/" && !scopes.contains(&extra) {
            scopes.push(extra);
        }
    }
    scopes
}

fn newest<'a>(candidates: impl Iterator<Item = &'a CacheEntry>) -> Option<&'a CacheEntry> {
    candidates.max_by_key(|e| (e.created_at, e.id))
}

/// The entry a restore gets, if any.
pub(crate) fn find<'a>(
    entries: &'a [CacheEntry],
    primary: &str,
    restore_keys: &[String],
    version: &str,
    scopes: &[String],
) -> Option<&'a CacheEntry> {
    for scope in scopes {
        let usable = || {
            entries
                .iter()
                .filter(move |e| e.committed && e.version == version && &e.scope == scope)
        };
        if let Some(exact) = newest(usable().filter(|e| e.key == primary)) {
            return Some(exact);
        }
        for prefix in std::iter::once(primary).chain(restore_keys.iter().map(String::as_str)) {
            if prefix.is_empty() {
                continue;
            }
            if let Some(hit) = newest(usable().filter(|e| e.key.starts_with(prefix))) {
                return Some(hit);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn entry(id: i64, key: &str, version: &str, scope: &str, committed: bool) -> CacheEntry {
        let t: DateTime<Utc> = DateTime::from_timestamp(1_000 + id, 0).unwrap();
        CacheEntry {
            id,
            repository: "o/r".into(),
            key: key.into(),
            version: version.into(),
            scope: scope.into(),
            size: 1,
            blob_id: format!("{id}"),
            created_at: t,
            last_used_at: t,
            committed,
        }
    }

    #[test]
    fn scopes_follow_githubs_rules() {
        type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [&'a str]);
        let cases: &[Case] = &[
            ("refs/heads/main", None, Some("main"), &["refs/heads/main"]),
            (
                "refs/heads/feat",
                None,
                Some("main"),
                &["refs/heads/feat", "refs/heads/main"],
            ),
            (
                "refs/pull/7/merge",
                Some("release"),
                Some("refs/heads/main"),
                &["refs/pull/7/merge", "refs/heads/release", "refs/heads/main"],
            ),
            ("refs/tags/v1", None, None, &["refs/tags/v1"]),
            ("refs/heads/feat", Some(""), None, &["refs/heads/feat"]),
        ];
        for (git_ref, base, default, want) in cases {
            assert_eq!(restore_scopes(git_ref, *base, *default), *want, "{git_ref}");
        }
    }

    #[test]
    fn matching_order() {
        let main = "refs/heads/main";
        let feat = "refs/heads/feat";
        let entries = vec![
            entry(1, "linux-deps-aaa", "v1", main, true),
            entry(2, "linux-deps-bbb", "v1", main, true),
            entry(3, "linux-deps-ccc", "v2", main, true),
            entry(4, "linux-deps-feat", "v1", feat, true),
            entry(5, "linux-deps-ddd", "v1", main, false),
            entry(6, "linux-deps", "v1", main, true),
            entry(7, "linux-tools-x", "v1", main, true),
        ];
        let both = vec![feat.to_string(), main.to_string()];
        let only_main = vec![main.to_string()];
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        type Case<'a> = (&'a str, Vec<String>, &'a str, &'a Vec<String>, Option<i64>);
        let cases: Vec<Case> = vec![
            ("linux-deps-aaa", keys(&[]), "v1", &only_main, Some(1)),
            ("linux-deps", keys(&[]), "v1", &only_main, Some(6)),
            (
                "linux-deps-zzz",
                keys(&["linux-deps-"]),
                "v1",
                &only_main,
                Some(2),
            ),
            (
                "linux-deps-zzz",
                keys(&["linux-nope", "linux-tools"]),
                "v1",
                &only_main,
                Some(7),
            ),
            ("linux-deps-ccc", keys(&[]), "v1", &only_main, None),
            ("linux-deps-ccc", keys(&[]), "v2", &only_main, Some(3)),
            ("linux-deps-ddd", keys(&[]), "v1", &only_main, None),
            ("linux-deps-", keys(&[]), "v1", &both, Some(4)),
            ("linux-deps-aaa", keys(&[]), "v1", &both, Some(1)),
            ("linux-deps-feat", keys(&[]), "v1", &only_main, None),
            ("windows", keys(&["mac"]), "v1", &both, None),
        ];
        for (primary, restore, version, scopes, want) in cases {
            let got = find(&entries, primary, &restore, version, scopes).map(|e| e.id);
            assert_eq!(got, want, "{primary} {restore:?} {version} {scopes:?}");
        }
    }
}
