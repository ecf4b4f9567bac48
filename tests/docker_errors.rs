//! Bad input to `gantry run` — a missing image, a Dockerfile that fails to build, an
//! action.yml with an unknown `runs.using`, a missing local action, a step killed with
//! exit code 137 — each gives an error that names the step and the file, and the run ends
//! cleanly with nothing left behind.

mod docker;

use docker::{labelled, Workspace};

fn assert_clean(ws: &Workspace, r: &docker::Run) {
    let _ = ws;
    let run_id = r
        .events
        .iter()
        .find(|e| e["event"] == "run_started")
        .and_then(|e| e["run_id"].as_str())
        .unwrap_or_else(|| panic!("no run_started: {}", r.debug()))
        .to_string();
    let left = labelled(&format!("dev.gantry.run={run_id}"));
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn missing_image_names_the_job_and_the_image() {
    let ws = Workspace::new();
    ws.workflow("on: push\njobs:\n  j:\n    runs-on: nowhere\n    steps:\n      - run: true\n");
    let r = ws.run(&["-P", "nowhere=gantry-test/does-not-exist:1"]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let reason = r.job("j")["reason"].as_str().unwrap().to_string();
    assert!(
        reason.contains("job `j`") && reason.contains("gantry-test/does-not-exist:1"),
        "{reason}"
    );
    assert_clean(&ws, &r);
}

#[test]
fn a_failing_dockerfile_names_the_step_and_the_file() {
    let ws = Workspace::new();
    ws.write("bad/Dockerfile", "FROM gantry/busybox:latest\nRUN exit 7\n");
    ws.write(
        "bad/action.yml",
        "name: bad\nruns:\n  using: docker\n  image: Dockerfile\n",
    );
    ws.workflow("on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - name: build it\n        uses: ./bad\n      - if: always()\n        run: echo after\n");
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let s = r.step("j", "build it");
    let reason = s["reason"].as_str().unwrap();
    assert!(
        reason.contains("./bad") && reason.contains("action.yml") && reason.contains("Dockerfile"),
        "{reason}"
    );
    assert!(
        reason.contains("returned a non-zero code: 7") || reason.contains("exit"),
        "{reason}"
    );
    assert!(
        r.lines("j").contains(&"after".to_string()),
        "the run went on to always() steps"
    );
    assert_clean(&ws, &r);
}

#[test]
fn unknown_runs_using_is_reported_with_its_position() {
    let ws = Workspace::new();
    ws.write(
        "weird/action.yml",
        "name: weird\nruns:\n  using: python3\n  main: x.py\n",
    );
    ws.workflow("on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - name: weird step\n        uses: ./weird\n");
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let reason = r.step("j", "weird step")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("weird/action.yml:3:"), "{reason}");
    assert!(reason.contains("python3"), "{reason}");
    assert_clean(&ws, &r);
}

#[test]
fn missing_local_action_names_the_path() {
    let ws = Workspace::new();
    ws.workflow("on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - name: nothing there\n        uses: ./not/here\n");
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let reason = r.step("j", "nothing there")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("./not/here") && reason.contains("does not exist"),
        "{reason}"
    );
    assert_clean(&ws, &r);
}

#[test]
fn a_killed_step_says_so() {
    let ws = Workspace::new();
    ws.workflow("on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - name: oom\n        run: kill -9 $$\n      - name: image oom\n        if: always()\n        uses: docker://gantry/busybox:latest\n        with:\n          entrypoint: /bin/sh\n          args: -c \"sleep 30 & kill -9 $!; wait $!\"\n");
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    for step in ["oom", "image oom"] {
        let reason = r.step("j", step)["reason"].as_str().unwrap().to_string();
        assert!(
            reason.contains("137") && reason.contains("killed"),
            "{step}: {reason}"
        );
    }
    assert!(r.job("j")["reason"]
        .as_str()
        .unwrap()
        .contains("step 1 `oom`"));
    assert_clean(&ws, &r);
}
