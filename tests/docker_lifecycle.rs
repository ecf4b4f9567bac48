//! `gantry run` under interruption: Ctrl-C cancels gracefully (always() steps run, exit
//! 130), and nothing labelled by gantry is left behind — also after a `kill -9`, whose
//! leftovers the next run removes. Plus JavaScript actions with post steps and
//! the workspace copy (`--bind` to mount the working tree instead).

mod docker;

use docker::{build_image, labelled, Run, Workspace};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LONG: &str = r#"
on: push
jobs:
  long:
    runs-on: ubuntu-latest
    services:
      side:
        image: gantry-test/sleeper:latest
    steps:
      - name: started
        run: echo started
      - name: sleeps
        run: sleep 120
      - name: after cancel
        if: always()
        run: echo always ran
      - name: normal
        run: echo must not run
"#;

fn sleeper_image() {
    build_image(
        "gantry-test/sleeper:latest",
        "FROM gantry/busybox:latest\nCMD [\"sleep\", \"3600\"]\n",
    );
}

/// Starts gantry and returns once the `sleeps` step has started.
fn start_until_sleeping(ws: &Workspace) -> (std::process::Child, Vec<String>) {
    sleeper_image();
    let mut child = ws
        .command(&[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || Instant::now() > deadline {
            panic!("gantry ended before the step started:\n{}", seen.join(""));
        }
        seen.push(line.clone());
        if line.contains("\"step_started\"") && line.contains("\"sleeps\"") {
            break;
        }
    }
    // Keep draining stdout so that gantry never blocks on a full pipe.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut rest = Vec::new();
        for l in reader.lines().map_while(Result::ok) {
            rest.push(l);
        }
        let _ = tx.send(rest);
    });
    std::thread::sleep(Duration::from_millis(300));
    let _ = rx; // dropped: the thread still drains
    (
        child,
        seen.into_iter().map(|l| l.trim_end().to_string()).collect(),
    )
}

#[test]
fn ctrl_c_cancels_runs_always_steps_and_cleans_up() {
    let ws = Workspace::new();
    sleeper_image();
    ws.workflow(LONG);
    let mut child = ws
        .command(&[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "ended early:\n{}",
            lines.join("")
        );
        let started = line.contains("\"step_started\"") && line.contains("\"sleeps\"");
        lines.push(line);
        if started {
            break;
        }
    }
    assert!(
        !labelled(&format!("dev.gantry.pid={pid}")).is_empty(),
        "the run created nothing?"
    );
    let t0 = Instant::now();
    Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    for l in reader.lines().map_while(Result::ok) {
        lines.push(l + "\n");
    }
    let status = child.wait().unwrap();
    let out = Run::from(std::process::Output {
        status,
        stdout: lines.concat().into_bytes(),
        stderr: Vec::new(),
    });
    assert_eq!(out.code(), Some(130), "{}", out.debug());
    assert!(
        t0.elapsed() < Duration::from_secs(60),
        "cancellation took {:?}",
        t0.elapsed()
    );
    assert_eq!(out.step("long", "sleeps")["conclusion"], "cancelled");
    assert_eq!(out.step("long", "after cancel")["conclusion"], "success");
    assert!(out.lines("long").contains(&"always ran".to_string()));
    assert_eq!(out.step("long", "normal")["conclusion"], "skipped");
    assert_eq!(out.job("long")["conclusion"], "cancelled");
    let left = labelled(&format!("dev.gantry.pid={pid}"));
    assert!(left.is_empty(), "left behind after Ctrl-C: {left:?}");
}

#[test]
fn leftovers_of_a_killed_gantry_are_removed_by_the_next_run() {
    let ws = Workspace::new();
    ws.workflow(LONG);
    let (mut child, _) = start_until_sleeping(&ws);
    let pid = child.id();
    Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    let left = labelled(&format!("dev.gantry.pid={pid}"));
    assert!(
        !left.is_empty(),
        "kill -9 should leave the job's containers behind"
    );
    // Any later run cleans up after dead gantry processes first.
    let other = Workspace::new();
    other.workflow("on: push\njobs:\n  quick:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo quick\n");
    let r = other.run(&[]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let left = labelled(&format!("dev.gantry.pid={pid}"));
    assert!(left.is_empty(), "still there after the next run: {left:?}");
}

#[test]
fn javascript_actions_with_post_steps_and_state() {
    let ws = Workspace::new();
    ws.write(
        "actions/js/action.yml",
        "name: js\ninputs:\n  who: { default: node }\nruns:\n  using: node20\n  main: main.js\n  post: post.js\n",
    );
    ws.write(
        "actions/js/main.js",
        r#"const fs = require('fs');
console.log(`main says hi to ${process.env.INPUT_WHO}`);
fs.appendFileSync(process.env.GITHUB_STATE, 'started=yes\n');
fs.appendFileSync(process.env.GITHUB_OUTPUT, 'greeting=from-js\n');
"#,
    );
    ws.write(
        "actions/js/post.js",
        "console.log(`post sees state ${process.env.STATE_started}`);\n",
    );
    // `post-if: failure()`: its post step is skipped when the job succeeds.
    ws.write(
        "actions/onfail/action.yml",
        "name: onfail\nruns:\n  using: node20\n  main: main.js\n  post: post.js\n  post-if: failure()\n",
    );
    ws.write("actions/onfail/main.js", "console.log('onfail main');\n");
    ws.write(
        "actions/onfail/post.js",
        "console.log('onfail post ran');\n",
    );
    ws.workflow(
        r#"
on: push
jobs:
  js:
    runs-on: self-hosted
    steps:
      - id: js
        uses: ./actions/js
        with:
          who: gantry
      - uses: ./actions/onfail
      - run: echo "output ${{ steps.js.outputs.greeting }}"
"#,
    );
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let lines = r.lines("js");
    let pos = |s: &str| {
        lines
            .iter()
            .position(|l| l.contains(s))
            .unwrap_or_else(|| panic!("no `{s}` in {lines:?}"))
    };
    assert!(pos("main says hi to gantry") < pos("output from-js"));
    assert!(
        pos("output from-js") < pos("post sees state yes"),
        "post steps run after the job's steps"
    );
    assert!(pos("onfail main") < pos("output from-js"));
    assert!(
        !lines.iter().any(|l| l.contains("onfail post ran")),
        "post-if: failure() after a success: {lines:?}"
    );
}

#[test]
fn the_workspace_is_a_copy_unless_bind_is_asked_for() {
    let ws = Workspace::new();
    ws.write("data.txt", "original\n");
    ws.workflow(
        r#"
on: push
jobs:
  w:
    runs-on: ubuntu-latest
    steps:
      - run: cat data.txt && echo changed > data.txt && cat data.txt
      - uses: docker://gantry/busybox:latest
        with:
          entrypoint: /bin/cat
          args: data.txt
"#,
    );
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let lines = r.lines("w");
    assert_eq!(
        lines,
        vec!["original", "changed", "changed"],
        "{}",
        r.debug()
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("data.txt")).unwrap(),
        "original\n"
    );
    // With `--bind` the workspace is bind-mounted: the step changes the host file.
    let r = ws.run(&["--bind"]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    assert_eq!(
        std::fs::read_to_string(ws.path().join("data.txt")).unwrap(),
        "changed\n"
    );
}

#[test]
fn remote_actions_from_a_local_repository_copy() {
    let ws = Workspace::new();
    let repo = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &str| {
        let p = repo.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "action.yml",
        "name: root\ninputs:\n  msg: { default: hi }\nruns:\n  using: composite\n  steps:\n    - shell: sh\n      run: sh \"$GITHUB_ACTION_PATH/say.sh\" \"${{ inputs.msg }}\"\n",
    );
    w(
        "say.sh",
        "echo \"remote composite says $1 from $(basename $(dirname $0))\"\n",
    );
    w(
        "docker/action.yml",
        "name: img\nruns:\n  using: docker\n  image: Dockerfile\n  args: [from-remote-dockerfile]\n",
    );
    w(
        "docker/Dockerfile",
        "FROM gantry/busybox:latest\nENTRYPOINT [\"echo\"]\n",
    );
    ws.workflow(
        r#"
on: push
jobs:
  remote:
    runs-on: ubuntu-latest
    steps:
      - uses: octo/tools@v2
        with:
          msg: hello
      - uses: octo/tools/docker@v2
      - name: not provided
        uses: octo/other@v1
"#,
    );
    let spec = format!("octo/tools@v2={}", repo.path().display());
    let cache = tempfile::tempdir().unwrap();
    let cache = cache.path().to_str().unwrap().to_string();
    let r = ws.run(&["--action-dir", &spec, "--offline", "--action-cache", &cache]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let lines = r.lines("remote").join("\n");
    assert!(
        lines.contains("remote composite says hello from v2"),
        "{lines}"
    );
    assert!(lines.contains("from-remote-dockerfile"), "{lines}");
    let reason = r.step("remote", "not provided")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("octo/other@v1") && reason.contains("--action-dir"),
        "{reason}"
    );
}
