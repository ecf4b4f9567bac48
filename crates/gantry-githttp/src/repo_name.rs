//! Repository names (`owner/repo`): validation and the one normal form used as a map key.
//! GitHub compares names case-insensitively and accepts a `.git` suffix in clone URLs, so both
//! registration and requests go through [`normalize`].

use crate::GitHttpError;

/// The normal form of `owner/repo` (lower case, no `.git` suffix), or an error when it is not
/// two segments of GitHub's name characters. `.` and `..` are refused: a name is never a path.
pub(crate) fn normalize(name: &str) -> Result<String, GitHttpError> {
    let invalid = || GitHttpError::InvalidRepositoryName {
        name: name.to_string(),
    };
    let (owner, repo) = name.split_once('/').ok_or_else(invalid)?;
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    if !valid_segment(owner) || !valid_segment(repo) {
        return Err(invalid());
    }
    Ok(format!("{owner}/{repo}").to_ascii_lowercase())
}

fn valid_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment.len() <= 100
        && segment != "."
        && segment != ".."
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn names() {
        let cases: &[(&str, Option<&str>)] = &[
            ("owner/repo", Some("owner/repo")),
            ("Owner/Repo", Some("owner/repo")),
            ("owner/repo.git", Some("owner/repo")),
            ("o-1/.github", Some("o-1/.github")),
            ("a_b/c.d", Some("a_b/c.d")),
            ("owner", None),
            ("owner/", None),
            ("/repo", None),
            ("owner/repo/x", None),
            ("../repo", None),
            ("owner/..", None),
            ("owner/.", None),
            ("owner/.git", None),
            ("owner/re po", None),
            ("owner/re%2fpo", None),
            ("own\\er/repo", None),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(input).ok().as_deref(), *expected, "{input}");
        }
    }
}
