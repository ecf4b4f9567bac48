//! GitHub's official actions, unmodified (`../shared/official-actions/`), under `gantry run`
//! against the real Docker engine, offline: checkout of the triggering repository (shallow,
//! full history, a second repository into `path:`) leaving the user's tree byte-identical;
//! upload-artifact in one job and download-artifact in a dependent one; cache saved in one
//! run and restored in the next over both protocols; github-script with the default
//! token; setup-node finding a pre-seeded Node in the tool cache; and a JavaScript action's
//! inputs (`with-hyphen`, `default: null`) and pre/main/post state as GitHub passes them.

mod docker;

use docker::{git, official_action as official, require_docker, seed_tool_cache, Run, OFFICIAL};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// `--action-dir` for each official action the tests use.
fn action_dirs() -> Vec<String> {
    let mut out = Vec::new();
    for (uses, dir) in OFFICIAL {
        out.push("--action-dir".into());
        out.push(format!("{uses}={}", official(dir).display()));
    }
    out
}

/// A repository with `commits` commits on `main`, a tag `v1` on the first, and `origin`
/// naming it `name` (as `gantry run` reads the repository's name).
fn repository(dir: &Path, name: &str, commits: usize, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q"]);
    git(
        dir,
        &[
            "remote",
            "add",
            "origin",
            &format!("https://github.com/{name}.git"),
        ],
    );
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    for i in 0..commits {
        std::fs::write(dir.join("COUNT"), i.to_string()).unwrap();
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", &format!("commit {i}")]);
        if i == 0 {
            git(dir, &["tag", "v1"]);
        }
    }
}

/// Every file under `dir` (`.git` included) with its bytes and mode: to prove a run left
/// the user's tree as it was.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if meta.is_dir() {
                stack.push(p);
                out.insert(rel, (Vec::new(), meta.permissions().mode()));
            } else {
                out.insert(rel, (std::fs::read(&p).unwrap(), meta.permissions().mode()));
            }
        }
    }
    out
}

/// `gantry run` in `repo` (its HEAD is the pushed commit) with the official actions, the
/// runner image for `ubuntu-latest`, and this test's own results and tool-cache directories.
fn gantry_run(repo: &Path, state: &Path, extra: &[&str]) -> Run {
    require_docker();
    let out = Command::new(env!("CARGO_BIN_EXE_gantry"))
        .arg("run")
        .args([
            "--format",
            "json",
            "-P",
            "ubuntu-latest=gantry/runner:bookworm",
        ])
        .args(action_dirs())
        .arg("--results-dir")
        .arg(state.join("results"))
        .arg("--tool-cache")
        .arg(state.join("tool_cache"))
        .args(extra)
        .current_dir(repo)
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    Run::from(out)
}

fn assert_success(run: &Run) {
    assert_eq!(run.conclusion(), "success", "{}", run.debug());
}

const CHECKOUT: &str = r#"
on: push
jobs:
  shallow:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          test "$(git rev-parse HEAD)" = "$GITHUB_SHA"
          echo "commits=$(git rev-list --count HEAD) shallow=$(git rev-parse --is-shallow-repository)"
          echo "readme=$(cat README.md)"
          rm -rf ./* .git
  full:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v6
        with:
          fetch-depth: 0
      - run: echo "full-commits=$(git rev-list --count HEAD) tags=$(git tag -l | tr '\n' ,)"
      - uses: actions/checkout@v4
        with:
          repository: octo/other
          path: other
      - run: echo "other=$(cat other/OTHER.md) other-commits=$(git -C other rev-list --count HEAD)"
"#;

#[test]
fn checkout_fetches_from_gantry_and_leaves_the_working_tree_as_it_was() {
    let d = tempfile::tempdir().unwrap();
    let (app, other) = (d.path().join("app"), d.path().join("other"));
    repository(
        &app,
        "octo/app",
        3,
        &[
            ("README.md", "hello from app"),
            (".github/workflows/ci.yml", CHECKOUT),
        ],
    );
    repository(&other, "octo/other", 2, &[("OTHER.md", "second repo")]);
    let before = snapshot(&app);
    let spec = format!("octo/other={}", other.display());
    let run = gantry_run(&app, d.path(), &["--git-repository", &spec]);
    assert_success(&run);
    let shallow = run.lines("shallow").join("\n");
    assert!(shallow.contains("commits=1 shallow=true"), "{shallow}");
    assert!(shallow.contains("readme=hello from app"), "{shallow}");
    let full = run.lines("full").join("\n");
    assert!(full.contains("full-commits=3 tags=v1,"), "{full}");
    assert!(full.contains("other=second repo other-commits=1"), "{full}");
    assert!(
        snapshot(&app) == before,
        "the run changed the user's working tree or its .git"
    );
}

const ARTIFACTS: &str = r#"
on: push
jobs:
  make:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "single file" > one.txt
          mkdir -p out/nested && echo "a" > out/a.txt && echo "deep" > out/nested/b.txt
          echo "part one" > p1.txt && echo "part two" > p2.txt
      - uses: actions/upload-artifact@v4
        with: { name: one, path: one.txt }
      - uses: actions/upload-artifact@v4
        with: { name: dir, path: out/ }
      - uses: actions/upload-artifact@v4
        with: { name: part-1, path: p1.txt }
      - uses: actions/upload-artifact@v4
        with: { name: part-2, path: p2.txt }
  use:
    needs: make
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with: { name: one }
      - uses: actions/download-artifact@v4
        with: { name: dir, path: got-dir }
      - uses: actions/download-artifact@v4
        with: { pattern: part-*, merge-multiple: true, path: merged }
      - run: |
          echo "one=$(cat one.txt)"
          echo "dir=$(cat got-dir/a.txt)+$(cat got-dir/nested/b.txt)"
          echo "merged=$(cat merged/p1.txt)+$(cat merged/p2.txt)"
"#;

#[test]
fn artifacts_pass_from_one_job_to_a_dependent_one() {
    let d = tempfile::tempdir().unwrap();
    let app = d.path().join("app");
    repository(
        &app,
        "octo/app",
        1,
        &[(".github/workflows/ci.yml", ARTIFACTS)],
    );
    let run = gantry_run(&app, d.path(), &[]);
    assert_success(&run);
    let used = run.lines("use").join("\n");
    assert!(used.contains("one=single file"), "{used}");
    assert!(used.contains("dir=a+deep"), "{used}");
    assert!(used.contains("merged=part one+part two"), "{used}");
}

/// A cache saved by the first run and restored by the second; `PROTOCOL` picks v1 or v2.
const CACHE: &str = r#"
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    env:
      ACTIONS_CACHE_SERVICE_V2: PROTOCOL
    steps:
      - uses: actions/cache@v4
        id: cache
        with:
          path: deps
          key: deps-${{ hashFiles('lock.txt') }}
      - run: echo "hit=${{ steps.cache.outputs.cache-hit }} content=$(cat deps/data 2>/dev/null || echo none)"
      - run: mkdir -p deps && echo "built once" > deps/data
"#;

#[test]
fn a_cache_saved_by_one_run_is_restored_by_the_next_over_both_protocols() {
    for (protocol, v2) in [("v2", "true"), ("v1", "")] {
        let d = tempfile::tempdir().unwrap();
        let app = d.path().join("app");
        let wf = CACHE.replace("PROTOCOL", &format!("'{v2}'"));
        repository(
            &app,
            "octo/app",
            1,
            &[(".github/workflows/ci.yml", &wf), ("lock.txt", "v1")],
        );
        // Debug output says which protocol the client spoke.
        let debug = ["--var", "ACTIONS_STEP_DEBUG=true"];
        let first = gantry_run(&app, d.path(), &debug);
        assert_success(&first);
        let lines = first.lines("build").join("\n");
        assert!(
            lines.contains(&format!("Cache service version: {protocol}")),
            "{protocol}: {lines}"
        );
        // actions/cache leaves `cache-hit` unset on a miss.
        assert!(lines.contains("hit= content=none"), "{protocol}: {lines}");
        assert!(
            lines.contains("Cache saved with key: deps-"),
            "{protocol}: {lines}"
        );
        let second = gantry_run(&app, d.path(), &debug);
        assert_success(&second);
        let lines = second.lines("build").join("\n");
        assert!(
            lines.contains("hit=true content=built once"),
            "{protocol}: {lines}"
        );
    }
}

const SCRIPT_AND_NODE: &str = r#"
on: push
jobs:
  script:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/github-script@v7
        with:
          script: |
            console.log(`event=${context.eventName} sha=${context.sha} token=${core.getInput('github-token') !== ''}`)
  node:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-node@v4
        with:
          node-version: 20.20.2
      - run: echo "node=$(node --version) from=$(command -v node)"
"#;

#[test]
fn github_script_sees_the_event_and_setup_node_finds_the_tool_cache() {
    let d = tempfile::tempdir().unwrap();
    let app = d.path().join("app");
    repository(
        &app,
        "octo/app",
        1,
        &[(".github/workflows/ci.yml", SCRIPT_AND_NODE)],
    );
    seed_tool_cache(&d.path().join("tool_cache"));
    let sha = git(&app, &["rev-parse", "HEAD"]);
    let run = gantry_run(&app, d.path(), &[]);
    assert_success(&run);
    let script = run.lines("script").join("\n");
    assert!(
        script.contains(&format!("event=push sha={sha} token=true")),
        "{script}"
    );
    let node = run.lines("node").join("\n");
    assert!(
        node.contains("node=v20.20.2 from=/github/tool_cache/node/20.20.2/x64/bin/node"),
        "{node}"
    );
}

const INPUTS_ACTION: &str = r#"
name: inputs
description: prints its inputs as the runner passes them
inputs:
  with-hyphen:
    description: a name with a hyphen
  nothing:
    description: declared with a null default
    default: null
  quoted:
    description: the text null
    default: 'null'
runs:
  using: node24
  pre: pre.js
  main: main.js
  post: post.js
"#;

const INPUTS_MAIN: &str = r#"
const fs = require('fs');
const e = process.env;
console.log(`hyphen=${e['INPUT_WITH-HYPHEN']} nothing=${JSON.stringify(e.INPUT_NOTHING)} quoted=${e.INPUT_QUOTED}`);
console.log(`node=${process.version} pre-state=${e.STATE_from_pre}`);
fs.appendFileSync(e.GITHUB_STATE, 'from_main=m\n');
"#;

#[test]
fn a_javascript_action_gets_its_inputs_and_state_as_github_passes_them() {
    let d = tempfile::tempdir().unwrap();
    let app = d.path().join("app");
    let wf = r#"
on: push
jobs:
  act:
    runs-on: ubuntu-latest
    steps:
      - run: echo "main step runs after pre"
      - uses: ./inputs
        with:
          with-hyphen: kept
"#;
    repository(
        &app,
        "octo/app",
        1,
        &[
            (".github/workflows/ci.yml", wf),
            ("inputs/action.yml", INPUTS_ACTION),
            ("inputs/main.js", INPUTS_MAIN),
            (
                "inputs/pre.js",
                "require('fs').appendFileSync(process.env.GITHUB_STATE, 'from_pre=p\\n'); console.log('pre ran');",
            ),
            (
                "inputs/post.js",
                "console.log(`post pre=${process.env.STATE_from_pre} main=${process.env.STATE_from_main}`);",
            ),
        ],
    );
    let run = gantry_run(&app, d.path(), &[]);
    assert_success(&run);
    let lines = run.lines("act");
    let text = lines.join("\n");
    assert!(
        text.contains(r#"hyphen=kept nothing="" quoted=null"#),
        "{text}"
    );
    assert!(text.contains("pre-state=p"), "{text}");
    assert!(text.contains("node=v24."), "the declared runtime: {text}");
    assert!(text.contains("post pre=p main=m"), "{text}");
    let pre = lines.iter().position(|l| l == "pre ran").expect("pre ran");
    let first = lines
        .iter()
        .position(|l| l == "main step runs after pre")
        .expect("the first step ran");
    assert!(pre < first, "pre runs before the job's steps: {text}");
}
