//! Remote reusable workflows (`uses: owner/repo/.github/workflows/x.yml@ref` at job level)
//! with the real `gantry` binary and real Docker: the repository comes from `--action-dir`,
//! the called job runs with the caller's inputs, a nested `./` call inside the remote
//! workflow is read from the remote repository (not the workspace), and the caller's next
//! job sees the call's output; `--offline` without the repository fails naming the
//! reference; `gantry plan` shows the remote jobs from `--action-dir` and names what it
//! cannot see. (Downloading from a fake GitHub API: tests/remote_actions.rs.)

mod docker;

use std::path::Path;

const BUILD: &str = r#"
on:
  workflow_call:
    inputs:
      greeting: { type: string, required: true }
      times: { type: number, default: 1 }
    outputs:
      result:
        value: ${{ jobs.build.outputs.result }}
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      result: ${{ steps.s.outputs.result }}
    steps:
      - id: s
        run: |
          echo "remote build says ${{ inputs.greeting }} x${{ inputs.times }}"
          echo "result=built-${{ inputs.greeting }}" >> "$GITHUB_OUTPUT"
  nested:
    uses: ./.github/workflows/inner.yml
"#;

const INNER: &str = r#"
on: workflow_call
jobs:
  inner:
    runs-on: ubuntu-latest
    steps:
      - run: echo "inner workflow from the shared repository"
"#;

const CALLER: &str = r#"
on: push
jobs:
  call:
    uses: octo-org/shared/.github/workflows/build.yml@v1
    with:
      greeting: hello
      times: 3
  after:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - run: echo "caller saw ${{ needs.call.outputs.result }} (${{ needs.call.result }})"
"#;

/// The shared repository's files in `dir`.
fn shared_repository(dir: &Path) {
    let wfs = dir.join(".github/workflows");
    std::fs::create_dir_all(&wfs).unwrap();
    std::fs::write(wfs.join("build.yml"), BUILD).unwrap();
    std::fs::write(wfs.join("inner.yml"), INNER).unwrap();
}

/// A workspace calling the shared workflow; its own `inner.yml` must not be the one run.
fn caller_workspace() -> docker::Workspace {
    let ws = docker::Workspace::new();
    ws.workflow(CALLER);
    ws.write(
        ".github/workflows/inner.yml",
        "on: workflow_call\njobs:\n  inner:\n    runs-on: ubuntu-latest\n    steps: [{run: echo WRONG workspace file}]\n",
    );
    ws
}

#[test]
fn gantry_run_calls_a_remote_reusable_workflow_from_an_action_dir() {
    let shared = tempfile::tempdir().unwrap();
    shared_repository(shared.path());
    let cache = tempfile::tempdir().unwrap();
    let ws = caller_workspace();
    let dir = format!("octo-org/shared@v1={}", shared.path().display());
    let cache_s = cache.path().to_str().unwrap();
    // --offline with an empty cache: only the override can provide the repository.
    let r = ws.run(&["--action-dir", &dir, "--action-cache", cache_s, "--offline"]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let built = r.lines("call/build").join("\n");
    assert!(
        built.contains("remote build says hello x3"),
        "{}",
        r.debug()
    );
    let inner = r.lines("call/nested/inner").join("\n");
    assert!(
        inner.contains("inner workflow from the shared repository"),
        "a nested ./ call is read in the remote repository: {}",
        r.debug()
    );
    assert!(!r.stdout.contains("WRONG"), "{}", r.debug());
    let after = r.lines("after").join("\n");
    assert!(
        after.contains("caller saw built-hello (success)"),
        "{}",
        r.debug()
    );
}

#[test]
fn offline_without_the_repository_fails_naming_the_reference() {
    let cache = tempfile::tempdir().unwrap();
    let ws = caller_workspace();
    let r = ws.run(&[
        "--action-cache",
        cache.path().to_str().unwrap(),
        "--offline",
    ]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let all = format!("{}{}", r.stdout, r.stderr);
    for want in [
        "job `call` calls octo-org/shared/.github/workflows/build.yml@v1, which was not fetched",
        "octo-org/shared@v1 is not in the action cache",
        "--offline forbids downloading it",
        "--action-dir octo-org/shared@v1=PATH",
    ] {
        assert!(all.contains(want), "want {want:?} in:\n{all}");
    }
    assert!(!all.contains("remote build says"), "nothing runs: {all}");
}

fn gantry_plan(ws: &docker::Workspace, extra: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gantry"))
        .arg("plan")
        .arg("-W")
        .arg(ws.path().join(".github/workflows"))
        .arg("--workspace")
        .arg(ws.path())
        .args(["-e", "push", "--payload", docker::PAYLOAD])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn gantry_plan_reads_remote_workflows_without_downloading() {
    let shared = tempfile::tempdir().unwrap();
    shared_repository(shared.path());
    let cache = tempfile::tempdir().unwrap();
    let ws = caller_workspace();
    let cache_s = cache.path().to_str().unwrap();
    // Not cached, no override: the plan names the call and why, and fails.
    let o = gantry_plan(&ws, &["--action-cache", cache_s]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "calls octo-org/shared/.github/workflows/build.yml@v1, which was not fetched"
        ) && text.contains("`gantry plan` does not download"),
        "{text}"
    );
    // With the override: the remote jobs are planned.
    let dir = format!("octo-org/shared@v1={}", shared.path().display());
    let o = gantry_plan(
        &ws,
        &[
            "--action-cache",
            cache_s,
            "--action-dir",
            &dir,
            "--format",
            "json",
        ],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    let plan: serde_json::Value = serde_json::from_str(&text).unwrap();
    let caller = plan["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["file"].as_str().unwrap().ends_with("test.yml"))
        .unwrap();
    let keys: Vec<&str> = caller["run"]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["call/build", "call/nested/inner", "after"], "{text}");
}

/// A call whose matrix needs another job's output is planned again when that job is done:
/// the remote workflow still comes from the repository fetched before the run.
#[test]
fn a_remote_call_with_a_run_time_matrix_is_planned_again_from_the_fetched_repository() {
    let shared = tempfile::tempdir().unwrap();
    shared_repository(shared.path());
    let cache = tempfile::tempdir().unwrap();
    let ws = docker::Workspace::new();
    ws.workflow(
        r#"
on: push
jobs:
  setup:
    runs-on: ubuntu-latest
    outputs:
      list: ${{ steps.s.outputs.list }}
    steps:
      - id: s
        run: echo 'list=["alpha","beta"]' >> "$GITHUB_OUTPUT"
  call:
    needs: setup
    strategy:
      matrix:
        g: ${{ fromJSON(needs.setup.outputs.list) }}
    uses: octo-org/shared/.github/workflows/build.yml@v1
    with:
      greeting: ${{ matrix.g }}
  after:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - run: echo "after the legs (${{ needs.call.result }})"
"#,
    );
    let dir = format!("octo-org/shared@v1={}", shared.path().display());
    let cache_s = cache.path().to_str().unwrap();
    let r = ws.run(&["--action-dir", &dir, "--action-cache", cache_s, "--offline"]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let all = r.all_lines();
    for want in [
        "remote build says alpha x1",
        "remote build says beta x1",
        "after the legs (success)",
    ] {
        assert!(all.contains(want), "want {want:?}: {}", r.debug());
    }
}
