//! `uses:` forms from GitHub's documentation, errors with offsets, a no-panic fuzz, and every
//! `uses:` of the shared corpus (step or job level, told apart by indentation).

use super::*;
use crate::filter::testutil::{corpus_files, yaml_scalar, Rng};

fn remote(owner: &str, repo: &str, path: Option<&str>, r: &str) -> RemoteRef {
    RemoteRef {
        owner: owner.into(),
        repo: repo.into(),
        path: path.map(Into::into),
        git_ref: r.into(),
    }
}

fn docker(
    registry: Option<&str>,
    repository: &str,
    tag: Option<&str>,
    digest: Option<&str>,
) -> ActionRef {
    ActionRef::Docker(DockerRef {
        registry: registry.map(Into::into),
        repository: repository.into(),
        tag: tag.map(Into::into),
        digest: digest.map(Into::into),
    })
}

fn local(root: LocalRoot, path: &str) -> ActionRef {
    ActionRef::Local {
        root,
        path: path.into(),
    }
}

#[test]
fn step_forms() {
    let sha = "8f4b7f84864484a7bf31766abe9204da3cbe65b3";
    let digest = format!("sha256:{}", "ab".repeat(32));
    let cases: Vec<(String, ActionRef)> = vec![
        (
            "actions/checkout@v4".into(),
            ActionRef::Remote(remote("actions", "checkout", None, "v4")),
        ),
        (
            format!("actions/checkout@{sha}"),
            ActionRef::Remote(remote("actions", "checkout", None, sha)),
        ),
        (
            "github/codeql-action/init@v3".into(),
            ActionRef::Remote(remote("github", "codeql-action", Some("init"), "v3")),
        ),
        (
            "actions/aws/ec2@main".into(),
            ActionRef::Remote(remote("actions", "aws", Some("ec2"), "main")),
        ),
        (
            "o/r.js/a/b@releases/v1".into(),
            ActionRef::Remote(remote("o", "r.js", Some("a/b"), "releases/v1")),
        ),
        (
            "./.github/actions/setup".into(),
            local(LocalRoot::Workspace, ".github/actions/setup"),
        ),
        ("./".into(), local(LocalRoot::Workspace, "")),
        ("./gradle/".into(), local(LocalRoot::Workspace, "gradle/")),
        (
            "$/.github/actions/x".into(),
            local(LocalRoot::SelfRepo, ".github/actions/x"),
        ),
        (
            "docker://alpine:3.20".into(),
            docker(None, "alpine", Some("3.20"), None),
        ),
        ("docker://alpine".into(), docker(None, "alpine", None, None)),
        (
            "docker://localhost:5000/img:1".into(),
            docker(Some("localhost:5000"), "img", Some("1"), None),
        ),
        (
            "docker://ghcr.io/octo-org/my_img:latest".into(),
            docker(Some("ghcr.io"), "octo-org/my_img", Some("latest"), None),
        ),
        (
            format!("docker://ghcr.io/o/i@{digest}"),
            docker(Some("ghcr.io"), "o/i", None, Some(&digest)),
        ),
        (
            format!("docker://gcr.io/cloud-builders/gradle:8@{digest}"),
            docker(
                Some("gcr.io"),
                "cloud-builders/gradle",
                Some("8"),
                Some(&digest),
            ),
        ),
        (
            "docker://snyk/snyk:gradle-jdk11".into(),
            docker(None, "snyk/snyk", Some("gradle-jdk11"), None),
        ),
    ];
    for (text, want) in cases {
        let got = parse_step_uses(&text).unwrap_or_else(|e| panic!("{text}: {e} at {}", e.offset));
        assert_eq!(got, want, "{text}");
        assert_eq!(got.to_string(), text);
        assert!(!got.names_workflow(), "{text}");
        if let ActionRef::Docker(d) = &got {
            assert_eq!(Some(d.to_string().as_str()), text.strip_prefix("docker://"));
        }
    }
    let pinned = format!("actions/checkout@{sha}");
    let sha_ref = parse_uses(&pinned).unwrap();
    assert!(matches!(sha_ref, ActionRef::Remote(r) if r.is_full_sha()));
    assert!(!remote("a", "b", None, "v4").is_full_sha());
}

#[test]
fn job_forms() {
    let cases: Vec<(&str, ActionRef)> = vec![
        (
            "./.github/workflows/build.yml",
            local(LocalRoot::Workspace, ".github/workflows/build.yml"),
        ),
        (
            "$/.github/workflows/build.yml",
            local(LocalRoot::SelfRepo, ".github/workflows/build.yml"),
        ),
        (
            "octo-org/example-repo/.github/workflows/reusable-workflow.yml@main",
            ActionRef::Remote(remote(
                "octo-org",
                "example-repo",
                Some(".github/workflows/reusable-workflow.yml"),
                "main",
            )),
        ),
        (
            "octo/repo/.github/workflows/ci.yaml@v1.2.3",
            ActionRef::Remote(remote(
                "octo",
                "repo",
                Some(".github/workflows/ci.yaml"),
                "v1.2.3",
            )),
        ),
        (
            "./.github/workflows/.e2e-run.yml",
            local(LocalRoot::Workspace, ".github/workflows/.e2e-run.yml"),
        ),
    ];
    for (text, want) in cases {
        let got = parse_job_uses(text).unwrap_or_else(|e| panic!("{text}: {e} at {}", e.offset));
        assert_eq!(got, want, "{text}");
        assert_eq!(got.to_string(), text);
        assert!(got.names_workflow(), "{text}");
        assert!(
            parse_step_uses(text).is_err(),
            "{text} is not a step action"
        );
    }
}

#[test]
fn step_errors() {
    let cases: &[(&str, usize, &str)] = &[
        ("actions/checkout", 16, "has no `@ref`"),
        ("actions/checkout@", 17, "empty ref"),
        ("checkout@v4", 0, "must be `owner/repo@ref`"),
        ("/checkout@v4", 0, "a local action is written"),
        ("a//b@v1", 2, "empty repository name"),
        ("o/r//p@v1", 4, "empty path segment"),
        ("o/r/p/@v1", 6, "empty path segment"),
        ("o/r/../x@v1", 4, "`..` is not allowed"),
        ("o/r@v 1", 5, "white space"),
        (" o/r@v1", 0, "white space"),
        ("o/r@v1\t", 6, "white space"),
        ("o/r@v\u{1}1", 5, "a control character"),
        ("o/r@v1\u{7f}", 6, "a control character"),
        ("o/r@é\u{a0}", 6, "white space"),
        ("o/r@é\u{85}", 6, "white space"),
        ("o/r@é~1", 6, "`~` cannot appear in a Git ref"),
        ("", 0, "empty"),
        ("${{ matrix.action }}@v1", 0, "cannot contain expressions"),
        (
            "octo/${{ inputs.repo }}@v1",
            5,
            "cannot contain expressions",
        ),
        ("o/r@${{ inputs.ref }}", 4, "cannot contain expressions"),
        ("../up", 0, "a local action is written"),
        (".", 0, "a local action is written"),
        ("$x/y", 0, "starts with `$/`"),
        ("$", 0, "a local action is written"),
        ("$/../other", 2, "cannot leave the repository"),
        (".//a", 2, "empty path segment"),
        ("./a@v1", 3, "takes no `@ref`"),
        ("o w/r@v1", 1, "white space"),
        ("o!/r@v1", 1, "`!` cannot appear in a owner name"),
        ("oé/r@v1", 1, "`é` cannot appear in a owner name"),
        ("o/rü@v1", 3, "`ü` cannot appear in a repository name"),
        ("o/r$@v1", 3, "`$` cannot appear in a repository name"),
        ("o/..@v1", 2, "is not a repository name"),
        ("o/r@v1..2", 6, "`..` cannot appear"),
        ("o/r@v1:x", 6, "`:` cannot appear"),
        ("o/r@main/", 4, "not a valid Git ref"),
        ("o/r@x.lock", 4, "not a valid Git ref"),
        ("o/r/action.yml@v1", 4, "not the file itself"),
        ("./my/action.yaml", 5, "not the file itself"),
        ("./.github/workflows/ci.yml", 2, "call it from a job"),
        (
            "o/r/.github/workflows/sub/x.yml@v1",
            26,
            "looks like a reusable workflow",
        ),
        ("docker://", 9, "names no image"),
        ("docker://Alpine", 9, "must be lowercase"),
        ("docker://alpine:", 16, "invalid tag"),
        ("docker://alpine:.x", 16, "invalid tag"),
        ("docker://alpine@sha256:abc", 16, "invalid digest"),
        ("docker://alpine@md5", 16, "a digest is"),
        ("docker://host:port/img", 9, "invalid registry"),
        ("docker://ghcr.io//img", 17, "empty image name"),
        ("docker://ghcr.io/-img", 17, "must start and end"),
        ("docker://img!x", 12, "take only"),
    ];
    for (text, off, frag) in cases {
        let e = parse_step_uses(text).unwrap_err();
        assert_eq!(e.offset, *off, "{text:?}: {e}");
        assert!(e.message.contains(frag), "{text:?}: {e}");
    }
}

#[test]
fn job_errors() {
    let cases: &[(&str, usize, &str)] = &[
        ("./workflows/build.yml", 2, "a file in `.github/workflows/`"),
        ("octo/repo/ci.yml@v1", 10, "a file in `.github/workflows/`"),
        ("octo/repo/.github/workflows/ci.yml", 34, "has no `@ref`"),
        ("octo/repo@v1", 9, "names an action"),
        (
            "octo/repo/.github/workflows/sub/ci.yml@v1",
            31,
            "directly in",
        ),
        ("./.github/workflows/ci.json", 22, "`.yml` or `.yaml`"),
        ("./.github/workflows/ci", 22, "`.yml` or `.yaml`"),
        ("$/.github/workflows", 2, "a file in `.github/workflows/`"),
        ("docker://alpine:3", 0, "only be used by a step"),
        ("${{ inputs.wf }}", 0, "cannot contain expressions"),
        ("./.github/workflows/ci.yml@main", 26, "takes no `@ref`"),
    ];
    for (text, off, frag) in cases {
        let e = parse_job_uses(text).unwrap_err();
        assert_eq!(e.offset, *off, "{text:?}: {e}");
        assert!(e.message.contains(frag), "{text:?}: {e}");
    }
}

#[test]
fn fuzz_never_panics_and_offsets_stay_inside() {
    let alphabet = [
        "a",
        "o",
        "/",
        "@",
        ".",
        "./",
        "$/",
        "docker://",
        ":",
        "v1",
        "${{",
        "}}",
        " ",
        "-",
        "_",
        "é",
        ".github/workflows/",
        "x.yml",
        "sha256:",
        "0",
        "A",
        "..",
        "#",
    ];
    let mut rng = Rng::new(9);
    let mut ok = 0;
    for _ in 0..40_000 {
        let s = rng.string(&alphabet, 7);
        for parse in [parse_uses, parse_step_uses, parse_job_uses] {
            match parse(&s) {
                Ok(u) => {
                    ok += 1;
                    assert_eq!(
                        parse_uses(&u.to_string()).as_ref(),
                        Ok(&u),
                        "{s:?} round trip"
                    );
                }
                Err(e) => assert!(
                    e.offset <= s.len() && s.is_char_boundary(e.offset),
                    "{s:?}: {e:?}"
                ),
            }
        }
    }
    assert!(ok > 1_000, "{ok}");
}

/// The nearest earlier line with less indentation (skipping blanks and comments).
fn parent(lines: &[&str], i: usize, indent: usize) -> Option<usize> {
    (0..i).rev().find(|&k| {
        let t = lines[k].trim();
        !t.is_empty()
            && !t.starts_with('#')
            && lines[k].len() - lines[k].trim_start().len() < indent
    })
}

/// Every `uses:` line of the corpus parses in its context: job level when it is a key of a
/// mapping that is itself an entry of the top-level `jobs:`, step level otherwise.
#[test]
fn corpus_uses_parse() {
    let (mut steps, mut jobs, mut failures) = (0, 0, Vec::new());
    for (path, text) in corpus_files() {
        let lines: Vec<&str> = text.lines().collect();
        let is_action = path
            .file_name()
            .is_some_and(|f| f == "action.yml" || f == "action.yaml");
        for (i, line) in lines.iter().enumerate() {
            let indent = line.len() - line.trim_start().len();
            let body = line.trim_start();
            let (dash, rest) = match body.strip_prefix("- ") {
                Some(r) => (true, r.trim_start()),
                None => (false, body),
            };
            let Some(value) = rest.strip_prefix("uses:") else {
                continue;
            };
            let value = yaml_scalar(value);
            let job_level = !is_action
                && !dash
                && parent(&lines, i, indent).is_some_and(|p| {
                    let p_indent = lines[p].len() - lines[p].trim_start().len();
                    let key = lines[p].split(" #").next().unwrap_or("").trim();
                    let key_only = key.ends_with(':') && !key.starts_with('-');
                    key_only
                        && parent(&lines, p, p_indent)
                            .is_some_and(|g| lines[g].trim_end() == "jobs:")
                });
            let parsed = if job_level {
                parse_job_uses(&value)
            } else {
                parse_step_uses(&value)
            };
            if job_level {
                jobs += 1
            } else {
                steps += 1
            }
            match parsed {
                Ok(u) => assert_eq!(u.to_string(), value, "round trip"),
                Err(e) => failures.push(format!("{}:{}: `{value}`: {e}", path.display(), i + 1)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} invalid `uses:` values:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        steps > 4_000 && jobs > 80,
        "{steps} step and {jobs} job `uses:` found"
    );
}
