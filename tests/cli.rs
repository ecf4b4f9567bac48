//! Tests that run the real `gantry` binary: validation output and exit codes, malformed input
//! of every kind, and JSON plans for push, Kafka, webhook and dispatch events compared with
//! golden files (`GANTRY_UPDATE_GOLDEN=1 cargo test --test cli` rewrites them).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn gantry(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
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
fn examples_validate_cleanly() {
    let o = gantry(&["validate", "workflows", "action-examples"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("6 files checked: 0 errors, 0 warnings"),
        "{}",
        text(&o)
    );
}

#[test]
fn showcase_reports_every_problem_with_positions() {
    let o = gantry(&["validate", "tests/fixtures/invalid/showcase.yml"]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o);
    for want in [
        "showcase.yml:5:28: error: invalid pattern `release/[z-a]`",
        "showcase.yml:7:14: error: invalid cron `61 * * * *`: invalid minute value 61",
        "showcase.yml:14:23: warning: step `compil` is not defined before this point",
        "showcase.yml:15:15: error: `actions/checkout` has no `@ref`: pin it to a tag, branch or commit SHA",
        "showcase.yml:16:38: error: invalid expression: the expression ends after an operator",
        "showcase.yml:18:20: error: job `test` needs `lint`, which is not a job in this workflow",
        "showcase.yml:19:5: error: unexpected key `runs_on` in job `test`; did you mean `runs-on`?",
        "showcase.yml:22:17: error: context `secrets` is not available in step `if`",
        "16 |       - run: echo ${{ github.sha ==  }}",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
}

#[test]
fn json_output_for_tools() {
    let o = gantry(&[
        "validate",
        "--format",
        "json",
        "tests/fixtures/invalid/showcase.yml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["files"], 1);
    let first = &v["diagnostics"][0];
    assert_eq!(
        (
            first["line"].as_u64(),
            first["column"].as_u64(),
            first["rule"].as_str()
        ),
        (Some(5), Some(28), Some("glob"))
    );
    assert!(v["errors"].as_u64().unwrap() >= 8);
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn malformed_input_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let deep_flow = format!("on: push\njobs: {}{}\n", "[".repeat(5000), "]".repeat(5000));
    let deep_expr = format!(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{{{ {}1{} }}}}\n",
        "(".repeat(3000),
        ")".repeat(3000)
    );
    let mut huge = String::from("on: push\njobs:\n");
    for i in 0..20_000 {
        huge.push_str(&format!(
            "  j{i}:\n    runs-on: x\n    needs: [j{}]\n    steps: [{{run: echo {i}}}]\n",
            i + 1
        ));
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.yml",
            b"on: push\njobs:\n  a:\n    runs-on: [x\n".to_vec(),
            "truncated.yml:",
        ),
        (
            "tabs.yml",
            b"on: push\njobs:\n\ta:\n\t\truns-on: x\n".to_vec(),
            "tabs.yml:3:",
        ),
        (
            "types.yml",
            b"on: 42\njobs: nope\n".to_vec(),
            "types.yml:2:7: error: `jobs` must be a mapping",
        ),
        (
            "binary.yml",
            vec![b'o', b'n', b':', b' ', 0xff, 0xfe, b'\n'],
            "binary.yml:1:5: error: the file is not valid UTF-8",
        ),
        (
            "empty.yml",
            Vec::new(),
            "empty.yml:1:1: error: the file is empty",
        ),
        ("deep.yml", deep_flow.into_bytes(), "deep.yml:"),
        ("deep-expr.yml", deep_expr.into_bytes(), "nests deeper than"),
        ("huge.yml", huge.into_bytes(), "huge.yml:"),
    ];
    for (name, bytes, want) in &cases {
        let p = write(d, name, bytes);
        let o = gantry(&["validate", p.to_str().unwrap()]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {out}");
        assert!(!out.contains("panicked"), "{name} panicked: {out}");
        assert!(
            out.contains(want),
            "{name}: want {want:?} in\n{}",
            &out[..out.len().min(2000)]
        );
    }
}

/// Runs `gantry plan --format json` and compares with a golden file.
fn golden(name: &str, args: &[&str]) {
    let mut all = vec!["plan", "--format", "json", "-W", "workflows"];
    all.extend_from_slice(args);
    let o = gantry(&all);
    assert!(o.status.success(), "{}", text(&o));
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON plan");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"));
    if std::env::var_os("GANTRY_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
    }
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "missing golden file {}; run with GANTRY_UPDATE_GOLDEN=1",
                path.display()
            )
        }))
        .unwrap();
    assert_eq!(got, want, "plan {name} differs from {}", path.display());
}

#[test]
fn plan_push_from_a_payload() {
    golden(
        "plan-push",
        &[
            "--event",
            "push",
            "--payload",
            "tests/fixtures/events/push.json",
        ],
    );
}

#[test]
fn plan_push_of_docs_only_is_ignored_by_paths() {
    let o = gantry(&[
        "plan",
        "-W",
        "workflows",
        "--event",
        "push",
        "--payload",
        "tests/fixtures/events/docs-only-push.json",
    ]);
    let out = text(&o);
    assert!(out.contains("workflows/ci.yml (ci): does not run"), "{out}");
    assert!(out.contains("every changed file is ignored by `paths-ignore` at ci.yml:8:19 (README.md, docs/guide.md)"), "{out}");
}

#[test]
fn plan_kafka_message() {
    golden(
        "plan-kafka",
        &[
            "--event",
            "kafka",
            "--topic",
            "orders",
            "--key",
            "eu-42",
            "--header",
            "type=created",
            "--value",
            r#"{"id":"o-1","amount":1250}"#,
        ],
    );
    let o = gantry(&[
        "plan",
        "-W",
        "workflows",
        "--event",
        "kafka",
        "--topic",
        "orders",
        "--key",
        "us-1",
        "--header",
        "type=created",
    ]);
    assert!(
        text(&o).contains("key `us-1` does not match `eu-*` at orders.yml:8:10"),
        "{}",
        text(&o)
    );
}

#[test]
fn plan_webhook_call() {
    golden(
        "plan-webhook",
        &[
            "--event",
            "webhook",
            "--hook",
            "deploy",
            "--value",
            r#"{"environment":"staging"}"#,
        ],
    );
}

#[test]
fn plan_dispatch_with_typed_inputs() {
    golden(
        "plan-dispatch",
        &[
            "--event",
            "workflow_dispatch",
            "--payload",
            "tests/fixtures/events/dispatch.json",
            "--input",
            "verbose=true",
            "-j",
            "summary",
        ],
    );
    let o = gantry(&[
        "plan",
        "-W",
        "workflows",
        "--event",
        "workflow_dispatch",
        "--ref",
        "main",
        "--input",
        "verbose=maybe",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("input `verbose` is a boolean; `maybe` is neither true nor false"),
        "{}",
        text(&o)
    );
}

#[test]
fn bad_events_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.json",
        b"{\n  \"ref\": \"refs/heads/main\",\n  oops\n}\n",
    );
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["--event", "pusj"], "unknown event `pusj`".into()),
        (
            vec!["--event", "push", "--payload", bad.to_str().unwrap()],
            format!(
                "payload file {} is not valid JSON at line 3, column 3",
                bad.display()
            ),
        ),
        (
            vec![
                "--event",
                "push",
                "--payload",
                "tests/fixtures/events/missing.json",
            ],
            "cannot read the payload file tests/fixtures/events/missing.json".into(),
        ),
        (
            vec!["--event", "push", "--ref", "no-such-branch"],
            "ref `no-such-branch` does not exist".into(),
        ),
        (
            vec!["--event", "kafka"],
            "a kafka event needs --topic".into(),
        ),
        (
            vec!["--event", "webhook"],
            "a webhook event needs --hook".into(),
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["plan", "-W", "workflows"];
        all.extend(args.iter());
        let o = gantry(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(
            text(&o).contains(&want),
            "{args:?}: want {want:?} in {}",
            text(&o)
        );
    }
}

#[test]
fn list_shows_triggers_and_jobs() {
    let o = gantry(&["list", "workflows"]);
    let out = text(&o);
    assert!(
        out.contains("on kafka (topics: [orders], key: eu-*, header type: created)"),
        "{out}"
    );
    assert!(
        out.contains("job summary: runs-on ubuntu-latest, 2 steps, needs [check]"),
        "{out}"
    );
}

/// GitHub runs a workflow whose references name nothing (the value is null) and whose
/// job-level `if:` reads a job it depends on through another: `validate` warns (an error
/// only under `--strict`, or `--strict=<rule>`), and `plan` plans it all the same.
#[test]
fn warnings_never_stop_a_plan_and_strict_makes_them_errors() {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join("w.yml");
    std::fs::write(
        &wf,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{run: a}]\n  b:\n    needs: a\n    runs-on: ubuntu-latest\n    steps: [{run: b}]\n  c:\n    needs: b\n    if: needs.a.result == 'success'\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ steps.nope.outputs.x }}\n",
    )
    .unwrap();
    let path = wf.to_str().unwrap();
    let o = gantry(&["validate", path]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("0 errors, 1 warnings"), "{}", text(&o));
    for strict in ["--strict", "--strict=reference", "--strict=key,reference"] {
        let o = gantry(&["validate", strict, path]);
        assert_eq!(o.status.code(), Some(1), "{strict}: {}", text(&o));
        assert!(text(&o).contains("1 errors, 0 warnings"), "{}", text(&o));
    }
    let o = gantry(&["validate", "--strict=key", path]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let dir_arg = dir.path().to_str().unwrap();
    let o = gantry(&["plan", "-W", dir_arg, "--event", "push"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("1 of 1 workflows will run"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("job c"), "{}", text(&o));
}

/// `gantry validate` follows a local reusable workflow from the caller's workspace and
/// reports a broken contract at the caller, naming the callee's declaration.
#[test]
fn validate_checks_calls_against_the_called_file() {
    let dir = tempfile::tempdir().unwrap();
    let wfs = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wfs).unwrap();
    std::fs::write(
        wfs.join("callee.yml"),
        "on:\n  workflow_call:\n    inputs:\n      env: {type: string, required: true}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{run: a}]\n",
    )
    .unwrap();
    std::fs::write(
        wfs.join("caller.yml"),
        "on: push\njobs:\n  call:\n    uses: ./.github/workflows/callee.yml\n    with:\n      stage: prod\n  gone:\n    uses: ./.github/workflows/gone.yml\n",
    )
    .unwrap();
    let caller = wfs.join("caller.yml");
    let o = gantry(&["validate", caller.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    for want in [
        "caller.yml:4:11: error: input `env` is required by `./.github/workflows/callee.yml` and has no default (declared at ./.github/workflows/callee.yml:4:7)",
        "caller.yml:6:7: error: input `stage` is not declared by `./.github/workflows/callee.yml` (inputs: env) [call]",
        "caller.yml:8:11: error: `./.github/workflows/gone.yml` is not in the workspace [call]",
    ] {
        assert!(out.contains(want), "want {want:?} in:\n{out}");
    }
}

/// A job whose `runs-on` has no image is planned as skipped, with the `-P` to add; a `-P`
/// that maps the label gives it its image.
#[test]
fn plan_skips_a_job_without_an_image_and_names_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let wf = write(
        dir.path(),
        "mac.yml",
        b"on: push\njobs:\n  mac:\n    runs-on: macos-latest\n    steps: [{run: echo}]\n",
    );
    let wf = wf.to_str().unwrap();
    let payload = "tests/fixtures/events/push.json";
    let base = ["plan", "--format", "json", "-W", wf, "--payload", payload];
    let job = |extra: &[&str]| {
        let o = gantry(&[&base[..], extra].concat());
        assert!(o.status.success(), "{}", text(&o));
        let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        plan["workflows"][0]["run"]["jobs"][0].clone()
    };
    let unmapped = job(&[]);
    assert_eq!(unmapped["no_image"], true, "{unmapped}");
    assert_eq!(
        unmapped["skip_reason"],
        "no image for runs-on [macos-latest]; map a label with -P macos-latest=IMAGE"
    );
    let mapped = job(&["-P", "macos-latest=gantry/busybox:latest"]);
    assert_eq!(mapped["image"], "gantry/busybox:latest", "{mapped}");
    assert!(mapped.get("no_image").is_none() && mapped.get("skip_reason").is_none());
}
