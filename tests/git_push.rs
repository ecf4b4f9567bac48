//! A push event derived from a real local git repository: refs, shas, changed files, commits.

use gantry_load::git::{is_repository, push_from_repo, GitError, PushQuery};
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Ada",
            "-c",
            "user.email=ada@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .status()
        .expect("git runs")
        .success();
    assert!(ok, "git {args:?} failed");
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn push_of_a_branch_lists_changed_files_and_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "README.md", "hi\n");
    write(d, "src/a.rs", "fn a() {}\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "first"]);
    write(d, "src/a.rs", "fn a() { }\n");
    write(d, "docs/guide.md", "guide\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "second\n\nwith a body"]);

    let spec = push_from_repo(d, &PushQuery::default()).unwrap();
    assert_eq!(spec.git_ref, "refs/heads/main");
    assert_eq!(spec.after.len(), 40);
    assert_eq!(
        spec.changed_files.as_deref(),
        Some(&["docs/guide.md".to_string(), "src/a.rs".to_string()][..])
    );
    assert_eq!(spec.commits.len(), 1);
    assert_eq!(spec.commits[0].message, "second\n\nwith a body");
    assert_eq!(spec.commits[0].added, vec!["docs/guide.md"]);
    assert_eq!(spec.commits[0].modified, vec!["src/a.rs"]);

    let ev = spec.into_event();
    assert_eq!(ev.payload["ref"], "refs/heads/main");
    assert_eq!(ev.payload["created"], false);
    assert_eq!(ev.payload["head_commit"]["author"]["name"], "Ada");
    assert_eq!(ev.ref_name(), Some("main"));

    // The first commit of a branch: `before` is the zero sha and every file counts as changed.
    let first = push_from_repo(
        d,
        &PushQuery {
            sha: Some("HEAD~1".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(first.before.as_deref().unwrap().chars().all(|c| c == '0'));
    assert_eq!(first.changed_files.unwrap().len(), 2);
}

#[test]
fn a_ref_that_does_not_exist_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "f", "x");
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "c"]);
    let err = push_from_repo(
        d,
        &PushQuery {
            git_ref: Some("nope".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, GitError::UnknownRef { .. }), "{err}");
    assert!(
        err.to_string().contains("ref `nope` does not exist"),
        "{err}"
    );
    let not_repo = tempfile::tempdir().unwrap();
    let err = push_from_repo(not_repo.path(), &PushQuery::default()).unwrap_err();
    assert!(err.to_string().contains("is not a git repository"), "{err}");
}

#[test]
fn only_a_directory_git_finds_no_repository_in_is_not_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, plain, broken) = (
        tmp.path().join("repo"),
        tmp.path().join("plain"),
        tmp.path().join("broken"),
    );
    for d in [&repo, &plain, &broken] {
        std::fs::create_dir(d).unwrap();
    }
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(broken.join(".git"), "gitdir: /nonexistent/gantry\n").unwrap();
    assert!(is_repository(&repo).unwrap());
    assert!(!is_repository(&plain).unwrap());
    let err = is_repository(&broken).unwrap_err();
    assert!(matches!(err, GitError::Failed { .. }), "{err}");
    let err = push_from_repo(&plain, &PushQuery::default()).unwrap_err();
    assert!(matches!(err, GitError::NotARepo { .. }), "{err}");
    let missing = tmp.path().join("missing");
    assert!(
        is_repository(&missing).is_err(),
        "a missing directory is no answer"
    );
}
