//! `pull_request` deliveries to the real `gantry serve`, signed as GitHub signs them, for a
//! local repository: `opened` and `synchronize` run the workflows of the merge commit the
//! service builds under `refs/pull/N/merge` (and, from the same delivery, the
//! `pull_request_target` workflows of the default branch); a step sees GitHub's
//! `GITHUB_REF`/`GITHUB_SHA`/`GITHUB_HEAD_REF`/`GITHUB_BASE_REF`; statuses go to the head
//! commit; `closed` runs only workflows that list it; a `paths` filter excludes a pull
//! request touching other paths; a merge conflict runs no `pull_request` workflow.

mod docker;
mod serve;

use serde_json::{json, Value};
use serve::github::FakeGitHub;
use serve::{git, Service, SECRET};

const PAYLOAD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/events/pull_request.json"
);

/// `pull_request` (default types) with a path filter; the head branch rewrites its echo.
const CI: &str = r#"name: pr
on:
  pull_request:
    paths: ['src/**']
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "workflow from the base"
          echo "event=${{ github.event_name }} number=${{ github.event.pull_request.number }}"
          echo "ref=$GITHUB_REF sha=$GITHUB_SHA head=$GITHUB_HEAD_REF base=$GITHUB_BASE_REF"
          cat base.txt src/feature.txt
"#;

const TARGET: &str = r#"name: target
on: pull_request_target
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "target workflow from the base"
          echo "event=${{ github.event_name }} ref=$GITHUB_REF sha=$GITHUB_SHA head=$GITHUB_HEAD_REF"
"#;

const CLOSED: &str = r#"name: closed
on:
  pull_request:
    types: [closed]
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: echo "closed merged=${{ github.event.pull_request.merged }} ref=$GITHUB_REF sha=$GITHUB_SHA"
"#;

/// What a delivery is about.
struct Pr<'a> {
    action: &'a str,
    number: u64,
    head: (&'a str, &'a str),
    base: (&'a str, &'a str),
    /// A merged pull request's merge commit (`closed` deliveries).
    merged: Option<&'a str>,
}

/// GitHub's `pull_request` payload (the fixture) about `pr`.
fn payload(pr: &Pr) -> Value {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(PAYLOAD).unwrap()).unwrap();
    v["action"] = json!(pr.action);
    v["number"] = json!(pr.number);
    let p = &mut v["pull_request"];
    p["number"] = json!(pr.number);
    p["head"]["ref"] = json!(pr.head.0);
    p["head"]["sha"] = json!(pr.head.1);
    p["head"]["label"] = json!(format!("octo-org:{}", pr.head.0));
    p["base"]["ref"] = json!(pr.base.0);
    p["base"]["sha"] = json!(pr.base.1);
    if pr.action == "closed" {
        p["state"] = json!("closed");
        p["closed_at"] = json!("2026-11-21T09:00:00Z");
    }
    if let Some(m) = pr.merged {
        p["merged"] = json!(true);
        p["merged_at"] = json!("2026-11-21T09:00:00Z");
        p["merge_commit_sha"] = json!(m);
    }
    v
}

/// Sends `body` as a signed `pull_request` delivery; the status and the answer.
fn send(s: &Service, delivery: &str, body: &Value) -> (u16, String) {
    let body = body.to_string();
    let sig = gantry_plan::signature::sign(SECRET.as_bytes(), body.as_bytes());
    s.post(
        "/hooks/github",
        &[
            ("X-GitHub-Event", "pull_request"),
            ("X-GitHub-Delivery", delivery),
            ("X-Hub-Signature-256", &sig),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
}

/// Sends `pr` as a signed `pull_request` delivery; the 202 answer.
fn deliver(s: &Service, delivery: &str, pr: &Pr) -> Value {
    let (code, text) = send(s, delivery, &payload(pr));
    assert_eq!(code, 202, "{text}\n{}", s.log_text());
    serde_json::from_str(&text).unwrap()
}

/// The id of the answer's run of workflow `name`; the answer lists exactly `names`.
fn run_of(answer: &Value, names: &[&str], name: &str) -> i64 {
    let mut got: Vec<&str> = answer["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["workflow"].as_str().unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(got, names, "{answer:#}");
    let run = answer["runs"].as_array().unwrap().iter();
    run.clone()
        .find(|r| r["workflow"] == name)
        .and_then(|r| r["id"].as_i64())
        .unwrap()
}

/// Waits for run `id` to succeed; its logs as text.
fn logs_of(s: &Service, id: i64) -> String {
    s.wait_success(id, 1);
    s.get_json(&format!("/api/runs/{id}/logs")).to_string()
}

/// Commits `files` on the checked-out branch of `repo`; the new sha.
fn commit(repo: &std::path::Path, files: &[(&str, &str)], message: &str) -> String {
    for (path, text) in files {
        let p = repo.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", message]);
    git(repo, &["rev-parse", "HEAD"])
}

/// The service with the statuses server, its repository holding the three workflows on
/// `main`, a `feature` branch (rewriting the workflows' echo lines and adding
/// `src/feature.txt`) and one more commit on `main` after it. (service, statuses, feature
/// head, main's tip)
fn setup() -> (Service, FakeGitHub, String, String) {
    let github = FakeGitHub::start(&[]);
    let api = &github.url;
    let s = Service::with_github(
        CI,
        "on: webhook\njobs: {}\n",
        "public_url = \"http://gantry.example\"",
        &format!("token = \"ghp_pr\"\napi_url = \"{api}\""),
    );
    let repo = &s.repo;
    commit(
        repo,
        &[
            (".github/workflows/target.yml", TARGET),
            (".github/workflows/closed.yml", CLOSED),
        ],
        "workflows",
    );
    git(repo, &["checkout", "-q", "-b", "feature"]);
    let ci = CI.replace("from the base", "from the head branch");
    let target = TARGET.replace("from the base", "from the head branch");
    let head = commit(
        repo,
        &[
            (".github/workflows/ci.yml", &ci),
            (".github/workflows/target.yml", &target),
            ("src/feature.txt", "the feature\n"),
        ],
        "feature",
    );
    git(repo, &["checkout", "-q", "main"]);
    let base = commit(repo, &[("base.txt", "more on main\n")], "main moves on");
    (s, github, head, base)
}

#[test]
fn pull_request_deliveries_run_the_merge_commit_and_report_on_the_head() {
    let (s, github, head, base) = setup();
    let opened = Pr {
        action: "opened",
        number: 1,
        head: ("feature", &head),
        base: ("main", &base),
        merged: None,
    };
    let answer = deliver(&s, "pr-opened", &opened);
    assert_eq!(
        answer["events"],
        json!(["github:pr-opened", "github:pr-opened:target"])
    );
    let pr_run = run_of(&answer, &["pr", "target"], "pr");
    let target_run = run_of(&answer, &["pr", "target"], "target");
    // A redelivery answers the same and builds the same merge commit.
    let merge = git(&s.repo, &["rev-parse", "refs/pull/1/merge"]);
    let again = deliver(&s, "pr-opened", &opened);
    assert_eq!(again["runs"], answer["runs"], "{again:#}");
    assert_eq!(git(&s.repo, &["rev-parse", "refs/pull/1/merge"]), merge);
    let parents = git(&s.repo, &["log", "-1", "--format=%P", &merge]);
    assert_eq!(parents, format!("{base} {head}"));
    // The pull_request workflow is the merge commit's (the head branch's version), run in
    // the merge commit's tree (main's base.txt and the branch's file).
    let logs = logs_of(&s, pr_run);
    for want in [
        "workflow from the head branch",
        "event=pull_request number=1",
        &format!("ref=refs/pull/1/merge sha={merge} head=feature base=main"),
        "more on main",
        "the feature",
    ] {
        assert!(logs.contains(want), "want {want:?} in {logs}");
    }
    // pull_request_target: the default branch's workflow at its tip, never the head's.
    let logs = logs_of(&s, target_run);
    assert!(logs.contains("target workflow from the base"), "{logs}");
    assert!(!logs.contains("from the head branch"), "{logs}");
    let want = format!("event=pull_request_target ref=refs/heads/main sha={base} head=feature");
    assert!(logs.contains(&want), "want {want:?} in {logs}");
    // Statuses: pending then success for both runs, all on the head commit.
    let statuses = github.statuses(4);
    assert!(
        statuses
            .iter()
            .all(|st| st.git_ref == format!("octo-org/octo-repo@{head}")),
        "{statuses:?}"
    );
    let mut contexts: Vec<String> = statuses
        .iter()
        .filter(|st| st.body["state"] == "success")
        .map(|st| st.body["context"].as_str().unwrap().to_string())
        .collect();
    contexts.sort();
    assert_eq!(contexts, ["gantry/pr", "gantry/target"]);
    synchronize_then_close(&s, &head, &base);
}

/// A new head commit builds a new merge commit; merging and closing runs only `closed`.
fn synchronize_then_close(s: &Service, head: &str, base: &str) {
    let repo = &s.repo;
    git(repo, &["checkout", "-q", "feature"]);
    let head2 = commit(repo, &[("src/more.txt", "more\n")], "more");
    git(repo, &["checkout", "-q", "main"]);
    assert_ne!(head2, head);
    let sync = Pr {
        action: "synchronize",
        number: 1,
        head: ("feature", &head2),
        base: ("main", base),
        merged: None,
    };
    let answer = deliver(s, "pr-sync", &sync);
    let id = run_of(&answer, &["pr", "target"], "pr");
    let merge = git(repo, &["rev-parse", "refs/pull/1/merge"]);
    assert_eq!(
        git(repo, &["log", "-1", "--format=%P", &merge]),
        format!("{base} {head2}")
    );
    let logs = logs_of(s, id);
    assert!(
        logs.contains(&format!("ref=refs/pull/1/merge sha={merge} ")),
        "{logs}"
    );
    git(
        repo,
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge pull request #1",
            "feature",
        ],
    );
    let merged = git(repo, &["rev-parse", "HEAD"]);
    let closed = Pr {
        action: "closed",
        number: 1,
        head: ("feature", &head2),
        base: ("main", base),
        merged: Some(&merged),
    };
    let answer = deliver(s, "pr-closed", &closed);
    let id = run_of(&answer, &["closed"], "closed");
    let reasons = answer["not_matched"].to_string();
    assert!(reasons.contains("activity `closed` is not"), "{reasons}");
    let logs = logs_of(s, id);
    let want = format!("closed merged=true ref=refs/heads/main sha={merged}");
    assert!(logs.contains(&want), "want {want:?} in {logs}");
}

#[test]
fn paths_and_conflicts_decide_which_pull_request_workflows_run() {
    let (s, _github, _head, base) = setup();
    let repo = &s.repo;
    // A pull request touching only docs: the `paths: ['src/**']` workflow does not run.
    git(repo, &["checkout", "-q", "-b", "docs", &base]);
    let docs = commit(repo, &[("docs/guide.md", "how to\n")], "docs");
    git(repo, &["checkout", "-q", "-b", "clash", &base]);
    let clash = commit(repo, &[("base.txt", "the branch's words\n")], "clash");
    git(repo, &["checkout", "-q", "main"]);
    let main = commit(repo, &[("base.txt", "main's words\n")], "main's words");
    let only_docs = Pr {
        action: "opened",
        number: 2,
        head: ("docs", &docs),
        base: ("main", &main),
        merged: None,
    };
    // A head commit the repository does not have: not yet, nothing recorded.
    let missing = "0123456789abcdef0123456789abcdef01234567";
    let early = Pr {
        head: ("docs", missing),
        ..only_docs
    };
    let (code, text) = send(&s, "pr-early", &payload(&early));
    assert_eq!(code, 503, "{text}");
    assert!(
        text.contains("commit_not_yet") && text.contains(missing),
        "{text}"
    );
    let answer = deliver(&s, "pr-docs", &only_docs);
    let target = run_of(&answer, &["target"], "target");
    let excluded = not_matched(&answer, "pull_request", ".github/workflows/ci.yml");
    assert!(
        excluded.contains("none of the 1 changed files matches `paths`")
            && excluded.contains("docs/guide.md"),
        "{answer:#}"
    );
    logs_of(&s, target);
    // A conflict: no merge ref, no pull_request run, and why; pull_request_target runs.
    let conflicting = Pr {
        action: "opened",
        number: 3,
        head: ("clash", &clash),
        base: ("main", &main),
        merged: None,
    };
    let answer = deliver(&s, "pr-clash", &conflicting);
    let target = run_of(&answer, &["target"], "target");
    let why = not_matched(&answer, "pull_request", "null");
    assert!(why.contains("merge conflict (base.txt)"), "{answer:#}");
    let o = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--verify", "--quiet", "refs/pull/3/merge"])
        .output()
        .unwrap();
    assert!(!o.status.success(), "no merge ref for a conflict");
    logs_of(&s, target);
}

/// The reasons the answer gives for `workflow` (a file, or `null` for the whole event) not
/// running on `event`.
fn not_matched(answer: &Value, event: &str, workflow: &str) -> String {
    answer["not_matched"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["event"] == event && n["workflow"].to_string().trim_matches('"') == workflow)
        .map(|n| n["reasons"].to_string())
        .unwrap_or_else(|| panic!("{workflow} on {event} not in {answer:#}"))
}

const HOSTED: &str = r#"name: hosted-pr
on:
  pull_request:
    branches: [main]
    paths: ['src/**']
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: |
          cat notes.txt
          echo "ref=$GITHUB_REF sha=$GITHUB_SHA head=$GITHUB_HEAD_REF base=$GITHUB_BASE_REF"
"#;

/// The service with `octo-org/hosted` on GitHub, played by `github`.
fn hosted_service(github: &FakeGitHub) -> Service {
    Service::with_github(
        "on: push\njobs: {}\n",
        "on: webhook\njobs: {}\n",
        "public_url = \"http://gantry.example\"",
        &format!(
            "token = \"ghp_hosted\"\napi_url = \"{}\"\n[[repositories]]\nname = \"octo-org/hosted\"",
            github.url
        ),
    )
}

#[test]
fn a_github_hosted_pull_request_runs_the_head_commit_and_reports_on_it() {
    let github = FakeGitHub::start(&[
        (".github/workflows/hosted.yml", HOSTED),
        ("notes.txt", "from the tarball\n"),
    ]);
    let s = hosted_service(&github);
    github.set_changed(&["src/app.rs"]);
    let (head, base) = (
        "5e3a1f0c9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f",
        "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    );
    let mut body = payload(&Pr {
        action: "opened",
        number: 4,
        head: ("feature", head),
        base: ("main", base),
        merged: None,
    });
    body["repository"]["full_name"] = json!("octo-org/hosted");
    body["repository"]["name"] = json!("hosted");
    let (code, text) = send(&s, "hosted-pr", &body);
    assert_eq!(code, 202, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    let id = run_of(&answer, &["hosted-pr"], "hosted-pr");
    let logs = logs_of(&s, id);
    let want = format!("ref=refs/pull/4/merge sha={head} head=feature base=main");
    assert!(
        logs.contains("from the tarball") && logs.contains(&want),
        "{logs}"
    );
    // pull_request read the head's workflows and tarball; pull_request_target the base's
    // workflows (the base is the default branch); the statuses went to the head.
    let seen = github.seen();
    let refs_of = |what: &str| -> Vec<String> {
        let mut r: Vec<String> = seen
            .iter()
            .filter(|x| x.what == what)
            .map(|x| x.git_ref.clone())
            .collect();
        r.dedup();
        r
    };
    assert_eq!(
        refs_of("contents/.github/workflows"),
        [head, base],
        "{seen:?}"
    );
    assert_eq!(refs_of("tarball"), [head], "{seen:?}");
    assert_eq!(refs_of("compare"), [format!("{base}...{head}")], "{seen:?}");
    let statuses = github.statuses(2);
    assert!(
        statuses
            .iter()
            .all(|st| st.git_ref == format!("octo-org/hosted@{head}")),
        "{statuses:?}"
    );
    // A pull request that changed only docs: its `paths: ['src/**']` workflow does not run.
    github.set_changed(&["docs/guide.md"]);
    body["action"] = json!("synchronize");
    body["pull_request"]["head"]["sha"] = json!("7e3a1f0c9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f");
    let (code, text) = send(&s, "hosted-pr-docs", &body);
    assert_eq!(code, 202, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert!(!text.contains("\"workflow\":\"hosted-pr\""), "{answer:#}");
    let reasons = answer["not_matched"].to_string();
    assert!(
        reasons.contains("matches `paths`") && reasons.contains("docs/guide.md"),
        "{answer:#}"
    );
}

const NEEDS_SECRET: &str = r#"name: deploy-key
on: pull_request
jobs:
  use:
    runs-on: ubuntu-latest
    steps:
      - run: echo "key=${{ secrets.DEPLOY_KEY }}"
"#;

#[test]
fn pull_request_runs_of_a_fork_get_no_secrets() {
    let (s, _github, _head, _base) = setup();
    let repo = &s.repo;
    let main = commit(
        repo,
        &[(".github/workflows/secret.yml", NEEDS_SECRET)],
        "a workflow with a secret",
    );
    git(repo, &["checkout", "-q", "-b", "forked", &main]);
    let head = commit(repo, &[("src/feature.txt", "from a fork\n")], "fork");
    git(repo, &["checkout", "-q", "main"]);
    let mut body = payload(&Pr {
        action: "opened",
        number: 5,
        head: ("forked", &head),
        base: ("main", &main),
        merged: None,
    });
    body["pull_request"]["head"]["repo"]["full_name"] = json!("mallory/octo-repo");
    body["pull_request"]["head"]["label"] = json!("mallory:forked");
    let (code, text) = send(&s, "pr-fork", &body);
    assert_eq!(code, 202, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    let names = ["deploy-key", "pr", "target"];
    // As on GitHub, the run goes ahead with the secret empty, though no store has it (the
    // unit tests of `ScopedStore::withholding` show a configured value is not read either).
    let id = run_of(&answer, &names, "deploy-key");
    s.wait_success(id, 1);
    let logs = s.get_json(&format!("/api/runs/{id}/logs"));
    let lines: Vec<&str> = logs["logs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["line"].as_str())
        .collect();
    assert!(lines.contains(&"key="), "{logs:#}");
    // Runs that need no secret run, the fork's code included.
    let logs = logs_of(&s, run_of(&answer, &names, "pr"));
    assert!(logs.contains("from a fork"), "{logs}");
    logs_of(&s, run_of(&answer, &names, "target"));
}
