//! The merge commit, its refs and the changed files, on real repositories made with git.

use super::*;

use crate::testgit::{commit, git as sh};

/// main: a.txt; feature (from main): b.txt and docs/x.md; main again: c.txt. The checkout is
/// left on main with an uncommitted change.
fn repository() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    sh(repo, &["init", "-q", "-b", "main"]);
    commit(repo, &[("a.txt", "a\n")], "first");
    sh(repo, &["checkout", "-q", "-b", "feature"]);
    let head = commit(repo, &[("b.txt", "b\n"), ("docs/x.md", "x\n")], "feature");
    sh(repo, &["checkout", "-q", "main"]);
    let base = commit(repo, &[("c.txt", "c\n")], "more on main");
    std::fs::write(repo.join("a.txt"), "edited, not committed\n").unwrap();
    (dir, base, head)
}

#[test]
fn a_clean_merge_is_a_commit_of_both_under_the_pull_refs() {
    let (dir, base, head) = repository();
    let repo = dir.path();
    let spec = MergeSpec {
        number: 7,
        base: &base,
        head: &head,
    };
    let Merge::Commit(sha) = merge_commit(repo, spec).unwrap() else {
        panic!("a clean merge");
    };
    assert_eq!(sh(repo, &["rev-parse", "refs/pull/7/merge"]), sha);
    assert_eq!(sh(repo, &["rev-parse", "refs/pull/7/head"]), head);
    assert_eq!(
        sh(repo, &["log", "-1", "--format=%P", &sha]),
        format!("{base} {head}")
    );
    let files = sh(repo, &["ls-tree", "-r", "--name-only", &sha]);
    assert_eq!(files, "a.txt\nb.txt\nc.txt\ndocs/x.md");
    // The same base and head make the same commit; the checkout is untouched.
    assert_eq!(merge_commit(repo, spec).unwrap(), Merge::Commit(sha));
    assert_eq!(sh(repo, &["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    assert_eq!(
        std::fs::read_to_string(repo.join("a.txt")).unwrap(),
        "edited, not committed\n"
    );
    assert!(!repo.join("b.txt").exists());
}

#[test]
fn a_conflict_names_the_files_and_writes_no_ref() {
    let (dir, base, _) = repository();
    let repo = dir.path();
    sh(repo, &["checkout", "-q", "-f", "-b", "clash", &base]);
    let ours = commit(repo, &[("c.txt", "ours\n")], "ours");
    sh(repo, &["checkout", "-q", "-b", "theirs", &base]);
    let theirs = commit(repo, &[("c.txt", "theirs\n")], "theirs");
    let spec = MergeSpec {
        number: 8,
        base: &ours,
        head: &theirs,
    };
    assert_eq!(
        merge_commit(repo, spec).unwrap(),
        Merge::Conflict {
            files: vec!["c.txt".into()]
        }
    );
    assert!(commit_of(repo, "refs/pull/8/merge").is_none());
}

#[test]
fn changed_files_are_the_heads_changes_since_the_merge_base() {
    let (dir, base, head) = repository();
    let repo = dir.path();
    // c.txt came to main after the branch: not the pull request's change.
    assert_eq!(
        changed_files(repo, &base, &head).unwrap(),
        ["b.txt", "docs/x.md"]
    );
    assert_eq!(branch_tip(repo, "main"), Some(base));
    assert_eq!(branch_tip(repo, "feature"), Some(head));
    assert_eq!(branch_tip(repo, "gone"), None);
}
