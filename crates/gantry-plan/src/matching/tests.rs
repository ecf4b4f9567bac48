//! Table tests of trigger matching, from GitHub's documented filter examples and Gantry's
//! own triggers. Each case: a workflow's `on:`, an event, the verdict, and a piece of the
//! reason that must explain it.

use super::match_workflow;
use crate::event::{self, Event, KafkaMessage, PushSpec};
use gantry_core::validate::{check_text, FileKind};

fn workflow(on: &str) -> gantry_core::model::Workflow {
    let src = format!("on:\n{on}\njobs:\n  a:\n    runs-on: x\n    steps: [{{run: a}}]\n");
    let checked = check_text(&src, FileKind::Workflow);
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == gantry_core::diag::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:?}\n{src}");
    checked.workflow.expect("parsed")
}

fn push(git_ref: &str, files: Option<&[&str]>) -> Event {
    PushSpec {
        git_ref: git_ref.into(),
        after: "a".repeat(40),
        changed_files: files.map(|f| f.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    }
    .into_event()
}

fn check(on: &str, ev: &Event, want: bool, reason: &str) {
    let wf = workflow(on);
    let got = match_workflow(&wf, "w.yml", ev);
    assert_eq!(
        got.matched, want,
        "on:\n{on}\nevent {} {:?}: {:?}",
        ev.name, ev.meta.git_ref, got.reasons
    );
    assert!(
        got.reasons.iter().any(|r| r.contains(reason)),
        "want a reason containing {reason:?}, got {:?}",
        got.reasons
    );
}

#[test]
fn branch_filters_follow_githubs_examples() {
    let on = "  push:\n    branches:\n      - main\n      - 'mona/octocat'\n      - 'releases/**'";
    check(
        on,
        &push("refs/heads/main", None),
        true,
        "branch `main` matched `main` at w.yml:4:9",
    );
    check(
        on,
        &push("refs/heads/releases/10", None),
        true,
        "matched `releases/**`",
    );
    check(
        on,
        &push("refs/heads/dev", None),
        false,
        "matches none of `branches`",
    );
    let neg = "  push:\n    branches:\n      - 'releases/**'\n      - '!releases/**-alpha'";
    check(
        neg,
        &push("refs/heads/releases/10", None),
        true,
        "matched `releases/**`",
    );
    check(
        neg,
        &push("refs/heads/releases/beta/3-alpha", None),
        false,
        "excluded by `!releases/**-alpha` at w.yml:5:9",
    );
    let ignore =
        "  push:\n    branches-ignore:\n      - 'mona/octocat'\n      - 'releases/**-alpha'";
    check(
        ignore,
        &push("refs/heads/mona/octocat", None),
        false,
        "ignored by `mona/octocat`",
    );
    check(
        ignore,
        &push("refs/heads/releases/beta/3-alpha", None),
        false,
        "ignored by `releases/**-alpha`",
    );
    check(
        ignore,
        &push("refs/heads/main", None),
        true,
        "matches none of `branches-ignore`",
    );
}

#[test]
fn tags_and_branches_only_match_their_own_kind_of_ref() {
    let branches_only = "  push:\n    branches: [main]";
    check(
        branches_only,
        &push("refs/tags/v1.0", None),
        false,
        "filters only branches",
    );
    let tags_only = "  push:\n    tags: ['v*']";
    check(
        tags_only,
        &push("refs/tags/v1.0", None),
        true,
        "tag `v1.0` matched `v*`",
    );
    check(
        tags_only,
        &push("refs/heads/main", None),
        false,
        "filters only tags",
    );
    check(
        "  push:",
        &push("refs/tags/v1.0", None),
        true,
        "has no filters",
    );
    let both = "  push:\n    branches: [main]\n    tags: ['v2*']\n    paths: ['src/**']";
    // Path filters are not evaluated for tag pushes.
    check(
        both,
        &push("refs/tags/v2.1", Some(&["docs/x.md"])),
        true,
        "tag `v2.1` matched",
    );
}

#[test]
fn path_filters_follow_githubs_examples() {
    let js = "  push:\n    paths: ['**.js']";
    check(
        js,
        &push("refs/heads/main", Some(&["app.js"])),
        true,
        "changed file `app.js` matched `**.js`",
    );
    check(
        js,
        &push("refs/heads/main", Some(&["README.md"])),
        false,
        "none of the 1 changed files matches `paths`",
    );
    let docs = "  push:\n    paths-ignore: ['docs/**']";
    check(
        docs,
        &push("refs/heads/main", Some(&["docs/a.md", "docs/b/c.md"])),
        false,
        "every changed file is ignored",
    );
    check(
        docs,
        &push("refs/heads/main", Some(&["docs/a.md", "src/x.rs"])),
        true,
        "`src/x.rs` is not ignored",
    );
    let sub = "  push:\n    paths:\n      - 'sub-project/**'\n      - '!sub-project/docs/**'";
    check(
        sub,
        &push("refs/heads/main", Some(&["sub-project/docs/readme.md"])),
        false,
        "none of the 1 changed files",
    );
    check(
        sub,
        &push(
            "refs/heads/main",
            Some(&["sub-project/docs/readme.md", "sub-project/src/a.c"]),
        ),
        true,
        "`sub-project/src/a.c` matched `sub-project/**`",
    );
    check(
        sub,
        &push("refs/heads/main", None),
        true,
        "changed files are unknown",
    );
    let both = "  push:\n    branches: [main]\n    paths: ['src/**']";
    check(
        both,
        &push("refs/heads/dev", Some(&["src/a"])),
        false,
        "branch `dev` matches none",
    );
    check(
        both,
        &push("refs/heads/main", Some(&["docs/a"])),
        false,
        "none of the 1 changed files",
    );
}

#[test]
fn activity_types_and_defaults() {
    let pr = |action: &str, base: &str| {
        event::from_payload("pull_request", serde_json::json!({"action": action, "number": 3, "pull_request": {"number": 3, "base": {"ref": base}, "head": {"ref": "feature", "sha": "abc"}}})).unwrap()
    };
    check(
        "  pull_request:",
        &pr("opened", "main"),
        true,
        "has no filters",
    );
    check(
        "  pull_request:",
        &pr("labeled", "main"),
        false,
        "not one of the default types",
    );
    check(
        "  pull_request:\n    types: [labeled]",
        &pr("labeled", "main"),
        true,
        "activity `labeled` listed",
    );
    check(
        "  pull_request:\n    branches: [main]",
        &pr("closed", "main"),
        false,
        "not a default type",
    );
    check(
        "  pull_request:\n    branches: [main]",
        &pr("synchronize", "dev"),
        false,
        "base branch `dev` matches none",
    );
    check(
        "  push:",
        &pr("opened", "main"),
        false,
        "does not listen to `pull_request` (on: push)",
    );
    let issue = event::from_payload("issues", serde_json::json!({"action": "opened"})).unwrap();
    check(
        "  issues:\n    types: [closed]",
        &issue,
        false,
        "activity `opened` is not in `types`",
    );
}

fn kafka(topic: &str, key: Option<&str>, headers: &[(&str, &str)]) -> Event {
    KafkaMessage {
        topic: topic.into(),
        key: key.map(|k| k.as_bytes().to_vec()),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.as_bytes().to_vec())))
            .collect(),
        value: Some(b"{}".to_vec()),
        ..Default::default()
    }
    .into_event()
}

#[test]
fn kafka_topics_keys_and_headers() {
    let on = "  kafka:\n    topics: [orders, 'audit.*']\n    key: 'eu-*'\n    headers:\n      type: created";
    check(
        on,
        &kafka("orders", Some("eu-7"), &[("type", "created")]),
        true,
        "header `type: created` matched",
    );
    check(
        on,
        &kafka("audit.log", Some("eu-7"), &[("type", "created")]),
        true,
        "topic `audit.log` matched `audit.*`",
    );
    check(
        on,
        &kafka("payments", Some("eu-7"), &[("type", "created")]),
        false,
        "topic `payments` is not one of [orders, audit.*]",
    );
    check(
        on,
        &kafka("orders", Some("us-1"), &[("type", "created")]),
        false,
        "key `us-1` does not match `eu-*`",
    );
    check(
        on,
        &kafka("orders", None, &[("type", "created")]),
        false,
        "the message has no key",
    );
    check(
        on,
        &kafka("orders", Some("eu-1"), &[("type", "deleted")]),
        false,
        "header `type: deleted` does not match `created`",
    );
    check(
        on,
        &kafka("orders", Some("eu-1"), &[]),
        false,
        "header `type` is missing",
    );
    check(
        "  kafka:\n    topics: [orders]",
        &kafka("orders", None, &[]),
        true,
        "topic `orders` matched",
    );
}

#[test]
fn webhook_names() {
    let hook = |name: &str| event::webhook_call(name, &[], b"{}");
    check(
        "  webhook:\n    names: [deploy, rollback]",
        &hook("deploy"),
        true,
        "hook `deploy` matched `deploy`",
    );
    check(
        "  webhook:\n    names: [deploy]",
        &hook("other"),
        false,
        "hook `other` is not one of [deploy]",
    );
    check("  webhook:", &hook("anything"), true, "accepts every hook");
}

#[test]
fn schedule_and_dispatch() {
    let on = "  schedule:\n    - cron: '0 3 * * *'\n  workflow_dispatch:";
    check(
        on,
        &event::schedule("0 3 * * *", "refs/heads/main"),
        true,
        "cron `0 3 * * *` at w.yml:3:13",
    );
    check(
        on,
        &event::schedule("5 3 * * *", "refs/heads/main"),
        false,
        "not one of this workflow's schedules",
    );
    check(
        on,
        &event::dispatch("refs/heads/main", None, vec![]),
        true,
        "`workflow_dispatch` at w.yml:4:3",
    );
    check(
        "  workflow_call:",
        &event::dispatch("refs/heads/main", None, vec![]),
        false,
        "does not listen to `workflow_dispatch`",
    );
}

#[test]
fn workflow_run_names_and_branches() {
    let run = |name: &str, branch: &str| {
        let payload = serde_json::json!({"action": "completed", "workflow_run": {"name": name, "head_branch": branch}});
        event::from_payload("workflow_run", payload).unwrap()
    };
    for (on, ev, want, reason) in [
        (
            "  workflow_run:\n    workflows: [Build*]",
            run("Build and test", "main"),
            true,
            "workflow `Build and test` listed at w.yml:3:17",
        ),
        (
            "  workflow_run:\n    workflows: [Deploy]",
            run("Build", "main"),
            false,
            "workflow `Build` is not in `workflows` at w.yml:3:16",
        ),
        (
            "  workflow_run:\n    workflows: [Build]\n    branches: [main]",
            run("Build", "dev"),
            false,
            "branch `dev` matches none of `branches`",
        ),
        (
            "  workflow_run:\n    workflows: [Build]\n    branches-ignore: [dev]",
            run("Build", "main"),
            true,
            "branch `main` matches none of `branches-ignore`",
        ),
        (
            "  workflow_run:\n    workflows: [Build]\n    types: [requested]",
            run("Build", "main"),
            false,
            "activity `completed` is not in `types`",
        ),
    ] {
        check(on, &ev, want, reason);
    }
}

#[test]
fn events_without_filters_say_so() {
    // `types` applies only to events with an activity.
    let ev = event::from_payload("issues", serde_json::json!({})).unwrap();
    let got = match_workflow(&workflow("  issues:\n    types: [opened]"), "w.yml", &ev);
    assert!(got.matched);
    assert_eq!(
        got.reasons,
        ["`issues` filters do not apply to this event"],
        "{got:?}"
    );
}
