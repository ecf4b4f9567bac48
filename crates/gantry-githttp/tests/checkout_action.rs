//! GitHub's official `actions/checkout` (v4.4.0 and v6.1.0, unmodified JavaScript run by a real
//! `node`) against a `GitServer` on 127.0.0.1: the default shallow checkout of the event's sha,
//! full history, a branch `ref`, a second repository into a `path` (which asks the REST API for
//! the default branch), submodules, and the post step removing the persisted credentials.

mod common;

use std::path::Path;

use base64::Engine;
use common::checkout::{Checkout, Job, StepResult};
use common::{git, Fixture, Served, BRANCH, OTHER, REPO, TAG};
use gantry_githttp::GitServerConfig;

const TOKEN: &str = "ghs_checkout-test-token";

struct Setup {
    fixture: Fixture,
    served: Served,
    checkout: Checkout,
    job: Job,
}

/// A fixture, a server granting `TOKEN` both repositories, and a push job on `main`.
fn setup(version: &str) -> Setup {
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[REPO, OTHER]);
    let job = Job {
        server_url: served.url.clone(),
        repository: REPO.to_string(),
        sha: fixture.main.clone(),
        git_ref: "refs/heads/main".to_string(),
        token: TOKEN.to_string(),
        root: fixture.fresh_dir("job"),
    };
    Setup {
        checkout: Checkout::load(version),
        fixture,
        served,
        job,
    }
}

impl Setup {
    fn in_workspace(&self, path: &str, args: &[&str]) -> String {
        let dir = Checkout::workspace(&self.job).join(path);
        git(&dir, &self.fixture.home, args)
    }
}

/// Files under `dir` whose bytes hold the token or checkout's Basic credential for it.
fn files_with_credentials(dir: &Path) -> Vec<String> {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{TOKEN}"));
    let needles = [TOKEN.as_bytes(), basic.as_bytes()];
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
            continue;
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        if needles
            .iter()
            .any(|n| bytes.windows(n.len()).any(|w| w == *n))
        {
            found.push(path.display().to_string());
        }
    }
    found
}

fn default_checkout(version: &str) {
    let s = setup(version);
    let main = s.checkout.run_main(&s.job, &[]);
    assert_eq!(s.in_workspace("", &["rev-parse", "HEAD"]), s.fixture.main);
    assert_eq!(
        s.in_workspace("", &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    assert_eq!(s.in_workspace("", &["rev-list", "--count", "HEAD"]), "1");
    assert_eq!(main.outputs.get("commit"), Some(&s.fixture.main));
    let origin = format!("{}/{REPO}", s.served.url);
    assert_eq!(s.in_workspace("", &["remote", "get-url", "origin"]), origin);
    post_removes_credentials(&s, &main);
}

/// The main step persisted the credential (persist-credentials defaults to true); the post step
/// leaves it in no file of the job (workspace, runner temp, home).
fn post_removes_credentials(s: &Setup, main: &StepResult) {
    assert!(
        !files_with_credentials(&s.job.root).is_empty(),
        "the main step persisted no credentials"
    );
    s.checkout.run_post(&s.job, main);
    assert_eq!(files_with_credentials(&s.job.root), Vec::<String>::new());
}

fn full_history(version: &str) {
    let s = setup(version);
    s.checkout.run_main(&s.job, &[("fetch-depth", "0")]);
    assert_eq!(s.in_workspace("", &["rev-parse", "HEAD"]), s.fixture.main);
    assert_eq!(
        s.in_workspace("", &["rev-parse", "--is-shallow-repository"]),
        "false"
    );
    let count = s.in_workspace("", &["rev-list", "--count", "HEAD"]);
    assert_eq!(count, s.fixture.main_commits.to_string());
    let branch = format!("refs/remotes/origin/{BRANCH}");
    assert_eq!(
        s.in_workspace("", &["rev-parse", &branch]),
        s.fixture.feature
    );
    let tag = format!("refs/tags/{TAG}^{{commit}}");
    assert_eq!(s.in_workspace("", &["rev-parse", &tag]), s.fixture.tagged);
}

fn branch_ref(version: &str) {
    let s = setup(version);
    let main = s.checkout.run_main(&s.job, &[("ref", BRANCH)]);
    assert_eq!(
        s.in_workspace("", &["rev-parse", "HEAD"]),
        s.fixture.feature
    );
    assert_eq!(s.in_workspace("", &["branch", "--show-current"]), BRANCH);
    assert_eq!(main.outputs.get("commit"), Some(&s.fixture.feature));
}

fn other_repository_into_path(version: &str) {
    let s = setup(version);
    s.checkout
        .run_main(&s.job, &[("repository", OTHER), ("path", "sub")]);
    assert_eq!(
        s.in_workspace("sub", &["rev-parse", "HEAD"]),
        s.fixture.other
    );
    assert_eq!(s.in_workspace("sub", &["branch", "--show-current"]), "main");
    let origin = format!("{}/{OTHER}", s.served.url);
    assert_eq!(
        s.in_workspace("sub", &["remote", "get-url", "origin"]),
        origin
    );
    let file = Checkout::workspace(&s.job).join("sub/other.txt");
    assert_eq!(
        std::fs::read_to_string(file).unwrap(),
        "the other repository"
    );
}

fn submodules(version: &str) {
    let s = setup(version);
    let main = s.checkout.run_main(&s.job, &[("submodules", "true")]);
    assert_eq!(s.in_workspace("", &["rev-parse", "HEAD"]), s.fixture.main);
    assert_eq!(
        s.in_workspace("sub", &["rev-parse", "HEAD"]),
        s.fixture.other
    );
    let file = Checkout::workspace(&s.job).join("sub/other.txt");
    assert_eq!(
        std::fs::read_to_string(file).unwrap(),
        "the other repository"
    );
    let origin = format!("{}/{OTHER}", s.served.url);
    assert_eq!(
        s.in_workspace("sub", &["remote", "get-url", "origin"]),
        origin
    );
    post_removes_credentials(&s, &main);
}

/// v6 asks the REST API for the object format before `git init` when it has no sha; a SHA-256
/// repository must come out as one.
#[test]
fn v6_checks_out_a_sha256_repository() {
    let s = setup("v6.1.0");
    let (modern, head) = s.fixture.sha256_repository();
    s.served
        .server
        .add_repository("owner/modern", modern)
        .unwrap();
    s.served.grant(TOKEN, &[REPO, OTHER, "owner/modern"]);
    s.checkout.run_main(
        &s.job,
        &[("repository", "owner/modern"), ("path", "modern")],
    );
    assert_eq!(s.in_workspace("modern", &["rev-parse", "HEAD"]), head);
    let format = s.in_workspace("modern", &["rev-parse", "--show-object-format"]);
    assert_eq!(format, "sha256");
}

#[test]
fn v4_default_is_a_shallow_checkout_of_the_event_sha_and_post_removes_credentials() {
    default_checkout("v4.4.0");
}

#[test]
fn v6_default_is_a_shallow_checkout_of_the_event_sha_and_post_removes_credentials() {
    default_checkout("v6.1.0");
}

#[test]
fn v4_fetch_depth_0_fetches_all_history_branches_and_tags() {
    full_history("v4.4.0");
}

#[test]
fn v6_fetch_depth_0_fetches_all_history_branches_and_tags() {
    full_history("v6.1.0");
}

#[test]
fn v4_ref_checks_out_a_branch() {
    branch_ref("v4.4.0");
}

#[test]
fn v6_ref_checks_out_a_branch() {
    branch_ref("v6.1.0");
}

#[test]
fn v4_checks_out_a_second_repository_into_a_path() {
    other_repository_into_path("v4.4.0");
}

#[test]
fn v6_checks_out_a_second_repository_into_a_path() {
    other_repository_into_path("v6.1.0");
}

#[test]
fn v4_submodules_are_fetched_from_the_server() {
    submodules("v4.4.0");
}

#[test]
fn v6_submodules_are_fetched_from_the_server() {
    submodules("v6.1.0");
}
