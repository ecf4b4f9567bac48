//! The default policy against untrusted workflow code, asserted from inside the step with
//! the real Docker engine: no new privileges, dropped capabilities, process and memory
//! limits that stop a step with a clear reason, jobs of different runs unable to reach each
//! other, egress off on request, gVisor as the runtime, refusals (`--privileged`,
//! `--cap-add`, the Docker socket) before any container starts, and a working tree that a
//! step deleting the workspace leaves byte-identical.

mod docker;

use docker::{Run, Workspace};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNNER: &str = "ubuntu-latest=gantry/runner:bookworm";

fn policy(ws: &Workspace, toml: &str) -> String {
    ws.write("policy.toml", &format!("[policy]\n{toml}"))
        .display()
        .to_string()
}

/// The log line starting with `prefix`, without it.
fn value<'a>(lines: &'a [String], prefix: &str) -> &'a str {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line `{prefix}…` in {lines:#?}"))
}

#[test]
fn steps_run_without_new_privileges_dropped_capabilities_and_limits() {
    let ws = Workspace::new();
    ws.workflow(
        r#"
on: push
jobs:
  probe:
    runs-on: ubuntu-latest
    steps:
      - name: inside the job container
        run: |
          echo "nnp=$(awk '/^NoNewPrivs/ {print $2}' /proc/self/status)"
          caps=$(awk '/^CapEff/ {print $2}' /proc/self/status)
          for b in 0:CHOWN 1:DAC_OVERRIDE 6:SETGID 7:SETUID 13:NET_RAW 18:SYS_CHROOT 27:MKNOD 29:AUDIT_WRITE 31:SETFCAP; do
            echo "cap ${b#*:}=$(( (0x$caps >> ${b%%:*}) & 1 ))"
          done
          echo "pids=$(cat /sys/fs/cgroup/pids/pids.max)"
          echo "memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
      - name: inside a container action
        uses: docker://gantry/busybox:latest
        with:
          entrypoint: /bin/sh
          args: -c "echo action-nnp=$(awk '/^NoNewPrivs/ {print $2}' /proc/self/status)"
"#,
    );
    let r = ws.run(&["-P", RUNNER]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let lines = r.lines("probe");
    assert_eq!(value(&lines, "nnp="), "1");
    assert_eq!(value(&lines, "action-nnp="), "1");
    for kept in ["CHOWN", "DAC_OVERRIDE", "SETGID", "SETUID"] {
        assert_eq!(
            value(&lines, &format!("cap {kept}=")),
            "1",
            "{kept} is kept"
        );
    }
    for dropped in ["NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP"] {
        assert_eq!(value(&lines, &format!("cap {dropped}=")), "0", "{dropped}");
    }
    assert_eq!(value(&lines, "pids="), "2048", "the default pids limit");
    assert_eq!(value(&lines, "memory="), (4u64 << 30).to_string());
}

#[test]
fn a_fork_loop_hits_the_pids_limit_and_the_step_says_so() {
    let ws = Workspace::new();
    let p = policy(&ws, "pids_limit = 40\n");
    ws.workflow(
        r#"
on: push
jobs:
  forks:
    runs-on: ubuntu-latest
    steps:
      - name: fork loop
        shell: sh
        run: |
          i=0
          while [ $i -lt 200 ]; do sleep 30 & i=$((i + 1)); done
          wait
"#,
    );
    let r = ws.run(&["-P", RUNNER, "--policy", &p]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let reason = r.step("forks", "fork loop")["reason"].to_string();
    assert!(
        reason.contains("limit of 40 processes") && reason.contains("`[policy] pids_limit`"),
        "{reason}"
    );
    // The host is fine: the engine answers, and the job's container (with its 40
    // processes) is gone.
    let info = Command::new("docker")
        .args(["info", "-f", "{{.ContainersRunning}}"])
        .output()
        .unwrap();
    assert!(info.status.success());
    assert_eq!(
        docker::labelled("dev.gantry.job=forks"),
        Vec::<String>::new()
    );
}

#[test]
fn an_over_allocation_is_killed_as_out_of_memory_with_the_limit_named() {
    let ws = Workspace::new();
    let p = policy(&ws, "memory = \"96m\"\n");
    ws.workflow(
        r#"
on: push
jobs:
  mem:
    runs-on: ubuntu-latest
    steps:
      - name: allocate
        run: python3 -c "x = bytearray(512 * 1024 * 1024); print(len(x))"
      - name: after
        if: always()
        run: echo still-running
"#,
    );
    let r = ws.run(&["-P", RUNNER, "--policy", &p]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let reason = r.step("mem", "allocate")["reason"].to_string();
    for part in ["out of memory", "exit code 137", "96m", "`[policy] memory`"] {
        assert!(reason.contains(part), "{part} in {reason}");
    }
    assert!(r.lines("mem").contains(&"still-running".to_string()));
}

/// Starts a run whose job serves HTTP on port 8000 and prints its address; returns the
/// process and the address once the server answers.
fn serving_run(ws: &Workspace) -> (std::process::Child, String) {
    ws.workflow(
        r#"
on: push
jobs:
  serve:
    runs-on: ubuntu-latest
    steps:
      - name: serve
        run: |
          python3 -m http.server 8000 >/dev/null 2>&1 &
          echo "addr=$(hostname -i | awk '{print $1}')"
          sleep 60
"#,
    );
    let mut child = ws
        .command(&["-P", RUNNER])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(90);
    let addr = loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0 && Instant::now() < deadline,
            "the serving run ended early"
        );
        if let Some(i) = line.find("addr=") {
            break line[i + 5..].split('"').next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in reader.lines() {});
    (child, addr)
}

#[test]
fn a_job_cannot_reach_another_runs_job_container() {
    let a = Workspace::new();
    let (mut server, addr) = serving_run(&a);
    // The server is up: the host reaches it (control).
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect_timeout(
        &format!("{addr}:8000").parse().unwrap(),
        Duration::from_secs(1),
    )
    .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the server at {addr} never answered"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let b = Workspace::new();
    b.workflow(&format!(
        r#"
on: push
jobs:
  probe:
    runs-on: ubuntu-latest
    steps:
      - run: |
          if curl -s -m 3 -o /dev/null http://{addr}:8000/; then echo REACHED; else echo UNREACHABLE; fi
"#
    ));
    let r = b.run(&["-P", RUNNER]);
    let _ = Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status();
    let _ = server.wait();
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    assert_eq!(r.lines("probe"), vec!["UNREACHABLE"], "{}", r.debug());
}

/// The gateway address of Gantry's shared job network: a host address only containers reach.
fn shared_network_gateway() -> String {
    let o = Command::new("docker")
        .args(["network", "inspect", "gantry-isolated", "-f"])
        .arg("{{range .IPAM.Config}}{{.Gateway}}{{end}}")
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn egress_none_leaves_a_job_without_services_no_network_at_all() {
    let ws = Workspace::new();
    let wf = |target: &str| {
        format!(
            r#"
on: push
jobs:
  route:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "default-routes=$(awk '$2 == "00000000"' /proc/net/route | wc -l)"
          if curl -s -m 3 -o /dev/null http://{target}/; then echo host=reached; else echo host=unreachable; fi
"#
        )
    };
    // A first run creates the shared network; its gateway is a host address to listen on.
    ws.workflow(&wf("127.0.0.1:1"));
    assert_eq!(ws.run(&["-P", RUNNER]).code(), Some(0));
    let listener = std::net::TcpListener::bind(format!("{}:0", shared_network_gateway())).unwrap();
    let target = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            use std::io::Write;
            let _ = (&s).write_all(b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n");
        }
    });
    ws.workflow(&wf(&target));
    let open = ws.run(&["-P", RUNNER]);
    assert_eq!(open.code(), Some(0), "{}", open.debug());
    assert_eq!(value(&open.lines("route"), "default-routes="), "1");
    assert_eq!(value(&open.lines("route"), "host="), "reached", "control");
    let p = policy(&ws, "egress = \"none\"\n");
    let closed = ws.run(&["-P", RUNNER, "--policy", &p]);
    assert_eq!(closed.code(), Some(0), "{}", closed.debug());
    assert_eq!(value(&closed.lines("route"), "default-routes="), "0");
    assert_eq!(value(&closed.lines("route"), "host="), "unreachable");
}

#[test]
fn the_runtime_key_runs_steps_under_gvisor() {
    let runtimes = Command::new("docker")
        .args(["info", "-f", "{{json .Runtimes}}"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&runtimes.stdout).contains("runsc"),
        "the Docker engine has no `runsc` runtime (gVisor): run scripts/setup-docker.sh"
    );
    let ws = Workspace::new();
    let p = policy(&ws, "runtime = \"runsc\"\n");
    ws.workflow(
        r#"
on: push
jobs:
  gvisor:
    runs-on: ubuntu-latest
    steps:
      - run: dmesg | head -1
"#,
    );
    let r = ws.run(&["--policy", &p]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    assert!(r.lines("gvisor")[0].contains("gVisor"), "{}", r.debug());
}

/// Runs a workflow that must be refused before anything starts; returns the run.
fn refused(container: &str) -> Run {
    let ws = Workspace::new();
    ws.workflow(&format!(
        "on: push\njobs:\n  risky:\n    runs-on: ubuntu-latest\n    container:\n      image: gantry-test/never-built:refused\n{container}    steps:\n      - run: echo must-not-run\n"
    ));
    ws.run(&[])
}

#[test]
fn privileged_cap_add_and_the_docker_socket_are_refused_before_any_container() {
    for (container, at, key) in [
        (
            "      options: --privileged\n",
            "test.yml:7:16:",
            "`[policy] privileged`",
        ),
        (
            "      options: --cpus 1 --cap-add SYS_ADMIN\n",
            "test.yml:7:25:",
            "`[policy] cap_add`",
        ),
        (
            "      volumes:\n        - /var/run/docker.sock:/var/run/docker.sock\n",
            "test.yml:8:11:",
            "`[policy] docker_socket`",
        ),
    ] {
        let r = refused(container);
        assert_eq!(r.code(), Some(1), "{}", r.debug());
        assert!(
            r.stderr.contains(at) && r.stderr.contains(key),
            "{at} {key}: {}",
            r.debug()
        );
        assert!(
            r.stderr.contains("is refused by the policy"),
            "{}",
            r.debug()
        );
        // Nothing started: no job event, and the image that was never built was never asked for.
        assert!(!r.stdout.contains("job_started"), "{}", r.debug());
        assert!(
            !r.debug().contains("not available locally"),
            "{}",
            r.debug()
        );
    }
}

#[test]
fn plan_shows_the_refusal_and_validate_warns() {
    let ws = Workspace::new();
    let wf = ws.workflow(
        "on: push\njobs:\n  risky:\n    runs-on: ubuntu-latest\n    container:\n      image: node:20\n      options: --privileged\n    steps:\n      - run: true\n",
    );
    let plan = Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["plan", "-e", "push", "--payload", docker::PAYLOAD, "-W"])
        .arg(ws.path().join(".github/workflows"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(
        text.contains("test.yml:7:16:") && text.contains("`[policy] privileged`"),
        "{text}"
    );
    let allowed = policy(&ws, "privileged = true\n");
    let plan = Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args([
            "plan",
            "-e",
            "push",
            "--payload",
            docker::PAYLOAD,
            "--policy",
            &allowed,
            "-W",
        ])
        .arg(ws.path().join(".github/workflows"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(!text.contains("refused by the policy"), "{text}");
    let v = Command::new(env!("CARGO_BIN_EXE_gantry"))
        .arg("validate")
        .arg(&wf)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(0), "a warning never blocks: {out}");
    assert!(
        out.contains("7:16: warning:") && out.contains("[policy]"),
        "{out}"
    );
}

#[test]
fn options_known_only_at_run_time_are_refused_before_the_job_starts_containers() {
    let ws = Workspace::new();
    ws.workflow(
        "on: push\njobs:\n  risky:\n    runs-on: ubuntu-latest\n    container:\n      image: gantry-test/never-built:refused\n      options: ${{ vars.OPTS }}\n    steps:\n      - run: echo must-not-run\n",
    );
    let r = ws.run(&["--var", "OPTS=--cap-add SYS_ADMIN"]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let reason = r.job("risky")["reason"].to_string();
    assert!(
        reason.contains("test.yml:7:16:") && reason.contains("`[policy] cap_add`"),
        "{reason}"
    );
    assert!(!r.all_lines().contains("must-not-run"), "{}", r.debug());
    assert!(!reason.contains("not available locally"), "{reason}");
}

/// Every file under `dir` (the `.git` directory included) with its mode and bytes.
fn tree(dir: &std::path::Path) -> Vec<(String, u32, Vec<u8>)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if meta.is_dir() {
                stack.push(p.clone());
                out.push((rel, meta.permissions().mode(), Vec::new()));
            } else {
                out.push((rel, meta.permissions().mode(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_step_that_wipes_the_workspace_leaves_the_working_tree_untouched() {
    let ws = Workspace::new();
    ws.write("src/main.txt", "the user's work\n");
    ws.workflow(
        r#"
on: push
jobs:
  wipe:
    runs-on: ubuntu-latest
    steps:
      - run: |
          rm -rf "$GITHUB_WORKSPACE"/* "$GITHUB_WORKSPACE"/.git
          echo "left=$(ls -A "$GITHUB_WORKSPACE" | grep -v '^.github$' | wc -l)"
"#,
    );
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(ws.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&[
        "-c",
        "user.email=t@t",
        "-c",
        "user.name=t",
        "commit",
        "-qm",
        "work",
    ]);
    let before = tree(ws.path());
    let r = ws.run(&["-P", RUNNER]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    assert_eq!(
        value(&r.lines("wipe"), "left="),
        "0",
        "the step did wipe its copy"
    );
    let after = tree(ws.path());
    let changed: Vec<&String> = after
        .iter()
        .filter(|f| !before.contains(f))
        .chain(before.iter().filter(|f| !after.contains(f)))
        .map(|f| &f.0)
        .collect();
    assert!(changed.is_empty(), "the working tree changed: {changed:?}");
    // With `--bind` the user chose to hand over the tree: the same step deletes it.
    let r = ws.run(&["-P", RUNNER, "--bind"]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    assert!(!ws.path().join(".git").exists() && !ws.path().join("src").exists());
}

#[test]
fn a_non_root_user_and_a_read_only_root_still_run_ordinary_steps() {
    let ws = Workspace::new();
    ws.write("data.txt", "x\n");
    let p = policy(&ws, "user = \"1001:1001\"\nread_only_rootfs = true\n");
    ws.workflow(
        r#"
on: push
jobs:
  plain:
    runs-on: ubuntu-latest
    steps:
      - id: s
        run: |
          echo "uid=$(id -u)"
          touch /etc/x 2>/dev/null && echo root=writable || echo root=read-only
          touch /tmp/t "$HOME/h" "$RUNNER_TEMP/r" data.txt new.txt && echo dirs=writable
          echo "out=yes" >> "$GITHUB_OUTPUT"
      - uses: docker://gantry/busybox:latest
        with:
          entrypoint: /bin/sh
          args: -c "echo action-uid=$(id -u); touch from-action && echo action-ws=writable"
      - run: echo "output=${{ steps.s.outputs.out }}"
"#,
    );
    let r = ws.run(&["-P", RUNNER, "--policy", &p]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let lines = r.lines("plain");
    assert_eq!(value(&lines, "uid="), "1001");
    assert_eq!(value(&lines, "root="), "read-only");
    assert_eq!(value(&lines, "dirs="), "writable");
    assert_eq!(value(&lines, "action-uid="), "1001");
    assert_eq!(value(&lines, "action-ws="), "writable");
    assert_eq!(value(&lines, "output="), "yes");
}

#[test]
fn a_dockerfile_actions_build_runs_within_the_policys_limits() {
    let ws = Workspace::new();
    let p = policy(&ws, "memory = \"64m\"\negress = \"none\"\n");
    // The build records its own limits; `RUN` is the action author's code, run at build time.
    ws.write(
        "act/Dockerfile",
        "FROM gantry/busybox:latest\nRUN cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /limit && (ls /sys/class/net | grep -c -v '^lo$' > /nics || true)\nENTRYPOINT [\"sh\", \"-c\", \"echo build-memory=$(cat /limit) build-nics=$(cat /nics)\"]\n",
    );
    ws.write(
        "act/action.yml",
        "name: probe\nruns:\n  using: docker\n  image: Dockerfile\n",
    );
    ws.workflow(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./act\n",
    );
    let r = ws.run(&["--policy", &p]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let line = r.lines("build").join("\n");
    assert!(
        line.contains(&format!("build-memory={}", 64 << 20)),
        "{line}"
    );
    assert!(line.contains("build-nics=0"), "{line}");
}
