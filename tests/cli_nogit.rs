//! `gantry plan` in a directory that is not a git repository: a push is then a synthetic one
//! of the working tree (the zero sha, `refs/heads/main`, `local/<directory>`, changed files
//! unknown), said in the plan's header and JSON; an explicit `--repo` that is not one, or a
//! broken repository, still fails.

use std::path::Path;
use std::process::{Command, Output};

/// A fresh directory outside any repository holding the project's `workflows/ci.yml`.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("nogit-tree")
        .tempdir()
        .unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    let ci = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows/ci.yml");
    std::fs::copy(ci, wf.join("ci.yml")).unwrap();
    dir
}

/// `gantry ARGS` in `dir`, git never looking above it (whatever holds the temp directory).
fn gantry_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(args)
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap())
        .env("NO_COLOR", "1")
        .output()
        .expect("gantry runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn plan_without_git_is_a_synthetic_push_of_the_working_tree() {
    let dir = tree();
    let o = gantry_in(dir.path(), &["plan"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        out.lines().next(),
        Some(
            "event push refs/heads/main @ 000000000000 \
             (no git repository: a synthetic push of the working tree)"
        ),
        "{out}"
    );
    for want in [
        "1 of 1 workflows will run",
        ".github/workflows/ci.yml (ci): RUNS",
        "because branch `main` matched `main` at ci.yml:7:16",
        // paths-ignore cannot exclude a push whose changed files are unknown.
        "because path filters skipped: the changed files are unknown",
        "job check (sh, 1)",
        "job summary needs [check]",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
}

#[test]
fn plan_json_without_git_marks_the_event_synthetic() {
    let dir = tree();
    let name = dir.path().file_name().unwrap().to_string_lossy();
    let o = gantry_in(dir.path(), &["plan", "--format", "json"]);
    assert!(o.status.success(), "{}", text(&o));
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        plan["event"],
        serde_json::json!({
            "name": "push",
            "git_ref": "refs/heads/main",
            "sha": "0000000000000000000000000000000000000000",
            "synthetic": true,
        })
    );
    let w = &plan["workflows"][0];
    assert_eq!(w["matched"], true, "{w}");
    let jobs: Vec<&str> = w["run"]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        jobs,
        [
            "check (sh, 1)",
            "check (bash, 1, true)",
            "check (bash, 2, true)",
            "summary"
        ]
    );
    let pairs: Vec<(String, String)> =
        serde_json::from_value(w["run"]["step_environment"]["variables"].clone()).unwrap();
    let vars: std::collections::BTreeMap<String, String> = pairs.into_iter().collect();
    let repository = format!("local/{name}");
    for (var, want) in [
        ("GITHUB_SHA", "0000000000000000000000000000000000000000"),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_REPOSITORY", repository.as_str()),
    ] {
        assert_eq!(vars.get(var).map(String::as_str), Some(want), "{var}");
    }
}

#[test]
fn ref_and_sha_flags_replace_the_defaults_and_before_needs_git() {
    let dir = tree();
    let sha = "abcdef0123456789abcdef0123456789abcdef01";
    let o = gantry_in(
        dir.path(),
        &[
            "plan",
            "--ref",
            "releases/v1",
            "--sha",
            sha,
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(plan["event"]["git_ref"], "refs/heads/releases/v1");
    assert_eq!(plan["event"]["sha"], sha);
    assert_eq!(plan["workflows"][0]["matched"], true);
    let cases: [(&[&str], &str); 2] = [
        (
            &["plan", "--before", "HEAD~1"],
            "--before needs a git repository",
        ),
        (
            &["plan", "--sha", "not-a-sha"],
            "--sha `not-a-sha`: without a git repository a commit must be given as 40 hex digits",
        ),
    ];
    for (args, want) in cases {
        let o = gantry_in(dir.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(want), "{args:?}: {}", text(&o));
    }
}

#[test]
fn a_named_repo_or_a_broken_one_still_fails() {
    let dir = tree();
    let other = tempfile::tempdir().unwrap();
    let o = gantry_in(
        dir.path(),
        &["plan", "--repo", other.path().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("is not a git repository"), "{}", text(&o));
    // A `.git` file pointing nowhere is a broken repository, not a missing one.
    std::fs::write(dir.path().join(".git"), "gitdir: /nonexistent/gantry\n").unwrap();
    let o = gantry_in(dir.path(), &["plan"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("`git rev-parse --git-dir` failed") && !out.contains("synthetic"),
        "{out}"
    );
}
