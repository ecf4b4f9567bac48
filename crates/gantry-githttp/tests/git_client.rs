//! The host `git` client against a `GitServer` on 127.0.0.1: clone, a shallow fetch of a commit
//! by sha that no ref points at, push refused, bad or missing credentials refused, and a token
//! for one repository unable to see another.

mod common;

use common::{git, git_output, Fixture, Served, BRANCH, OTHER, REPO, TAG};
use gantry_githttp::GitServerConfig;

const TOKEN: &str = "ghs_client-test-token";

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn clone_gets_every_branch_and_tag() {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[REPO]);
    let dest = fixture.fresh_dir("clone");
    let url = served.url_with_token(TOKEN, REPO);
    git(&dest, &fixture.home, &["clone", "-q", &url, "."]);
    assert_eq!(
        git(&dest, &fixture.home, &["rev-parse", "HEAD"]),
        fixture.main
    );
    let branch = format!("refs/remotes/origin/{BRANCH}");
    assert_eq!(
        git(&dest, &fixture.home, &["rev-parse", &branch]),
        fixture.feature
    );
    let tag = format!("refs/tags/{TAG}^{{commit}}");
    assert_eq!(
        git(&dest, &fixture.home, &["rev-parse", &tag]),
        fixture.tagged
    );
}

#[test]
fn clone_through_a_dot_git_url_of_a_bare_repository() {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[OTHER]);
    let dest = fixture.fresh_dir("clone");
    let url = format!("{}.git", served.url_with_token(TOKEN, OTHER));
    git(&dest, &fixture.home, &["clone", "-q", &url, "."]);
    assert_eq!(
        git(&dest, &fixture.home, &["rev-parse", "HEAD"]),
        fixture.other
    );
}

#[test]
fn shallow_fetch_of_a_commit_no_ref_points_at() {
    for protocol in ["protocol.version=2", "protocol.version=0"] {
        shallow_fetch_by_sha(protocol);
    }
}

fn shallow_fetch_by_sha(protocol: &str) {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[REPO]);
    let dest = fixture.fresh_dir("fetch");
    let home = &fixture.home;
    git(&dest, home, &["init", "-q"]);
    git(
        &dest,
        home,
        &[
            "remote",
            "add",
            "origin",
            &served.url_with_token(TOKEN, REPO),
        ],
    );
    // The parent of main is reachable but no ref's tip: GitHub serves it, so must Gantry.
    let sha = fixture.main_parent.as_str();
    git(
        &dest,
        home,
        &["-c", protocol, "fetch", "-q", "--depth=1", "origin", sha],
    );
    assert_eq!(git(&dest, home, &["rev-parse", "FETCH_HEAD"]), sha);
    assert_eq!(
        git(&dest, home, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    assert_eq!(
        git(&dest, home, &["rev-list", "--count", "FETCH_HEAD"]),
        "1"
    );
}

#[test]
fn a_partial_clone_gets_its_filter() {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[REPO]);
    let dest = fixture.fresh_dir("partial");
    let home = &fixture.home;
    let url = served.url_with_token(TOKEN, REPO);
    git(
        &dest,
        home,
        &[
            "clone",
            "-q",
            "--filter=blob:none",
            "--no-checkout",
            &url,
            ".",
        ],
    );
    assert_eq!(
        git(&dest, home, &["config", "remote.origin.partialclonefilter"]),
        "blob:none"
    );
    // No blob came with the clone: the server applied the filter rather than ignoring it.
    let missing = git(
        &dest,
        home,
        &["rev-list", "--objects", "--missing=print", "HEAD"],
    );
    assert!(missing.lines().any(|l| l.starts_with('?')), "{missing}");
}

#[test]
fn push_is_refused_even_with_a_valid_token() {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[REPO]);
    let dest = fixture.fresh_dir("push");
    let home = &fixture.home;
    git(
        &dest,
        home,
        &["clone", "-q", &served.url_with_token(TOKEN, REPO), "."],
    );
    std::fs::write(dest.join("new.txt"), "pushed?").unwrap();
    git(&dest, home, &["add", "new.txt"]);
    git(&dest, home, &["commit", "-q", "-m", "try to push"]);
    let out = git_output(&dest, home, &["push", "origin", "HEAD:main"]);
    assert!(!out.status.success(), "push succeeded");
    assert!(stderr_of(&out).contains("403"), "{}", stderr_of(&out));
    let served_main = git(
        &fixture.repo_git_dir,
        home,
        &["rev-parse", "refs/heads/main"],
    );
    assert_eq!(served_main, fixture.main);
}

#[test]
fn wrong_or_missing_credentials_are_refused_with_401() {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[REPO]);
    let urls = [
        served.url_with_token("not-the-token", REPO),
        format!("{}/{REPO}", served.url),
    ];
    for url in urls {
        let out = git_output(fixture.dir.path(), &fixture.home, &["ls-remote", &url]);
        assert!(!out.status.success(), "{url} was readable");
        let stderr = stderr_of(&out);
        // A 401 makes git ask for credentials: it reports the failure, or (none given in the
        // URL, prompts off) that it could not ask. The status itself is checked in http.rs.
        let asked = ["401", "Authentication failed", "could not read Username"];
        assert!(asked.iter().any(|a| stderr.contains(a)), "{stderr}");
        assert!(!stderr.contains(TOKEN), "{stderr}");
    }
}

#[test]
fn a_token_for_one_repository_cannot_see_another() {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[OTHER]);
    let readable = served.url_with_token(TOKEN, OTHER);
    let listed = git(fixture.dir.path(), &fixture.home, &["ls-remote", &readable]);
    assert!(listed.contains(&fixture.other), "{listed}");
    for repo in [REPO, "owner/missing"] {
        let url = served.url_with_token(TOKEN, repo);
        let out = git_output(fixture.dir.path(), &fixture.home, &["ls-remote", &url]);
        assert!(!out.status.success(), "{repo} was readable");
        assert!(stderr_of(&out).contains("not found"), "{}", stderr_of(&out));
    }
}
