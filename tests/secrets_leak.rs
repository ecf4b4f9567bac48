//! Secret values never reach the disk, asserted against the real binary, Docker and OpenBao:
//! runs use a secret inline in `run:`, write it to `GITHUB_OUTPUT`, `GITHUB_ENV`,
//! `GITHUB_STATE` and the step summary, print its base64, pass it in a `docker://` step's
//! `env:` and show it in a step's name; the process is killed with SIGKILL while a later
//! step sleeps, then started again. While the run lasts the values are on the scratch tmpfs
//! only; afterwards no file under the data directory (the SQLite database and its WAL
//! included), no API answer, no log and no Docker container config holds the value or its
//! base64 (whole, or inside a longer base64 text at any of the three byte alignments), and the
//! crashed attempt's directories are gone. The same for `gantry run`; and a scratch directory
//! on disk is refused unless allowed.

mod docker;
mod serve;
mod vault;

use serde_json::{json, Value};
use serve::{Service, HOOK_TOKEN};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vault::Bao;

/// One value per test: they run at once, and Docker's configs are shared.
const SERVE_VALUE: &str = "leak-canary-Q7v9-x2!k";
const RUN_VALUE: &str = "run-canary-Z3p8-m4?q";

const STEPS: &str = r###"
      - name: inline
        id: w
        run: |
          echo "inline ${{ secrets.TOKEN }}"
          echo "out=${{ secrets.TOKEN }}" >> "$GITHUB_OUTPUT"
          echo "FROM_ENV=${{ secrets.TOKEN }}" >> "$GITHUB_ENV"
          echo "state=${{ secrets.TOKEN }}" >> "$GITHUB_STATE"
          echo "## ${{ secrets.TOKEN }}" >> "$GITHUB_STEP_SUMMARY"
          printf '%s' "${{ secrets.TOKEN }}" | base64
      - name: container env
        uses: docker://gantry/busybox:latest
        env:
          IN_ENV: ${{ secrets.TOKEN }}
        with:
          entrypoint: /bin/sh
          args: -c "echo container $IN_ENV"
      - name: read back ${{ secrets.TOKEN }}
        run: echo "env $FROM_ENV output ${{ steps.w.outputs.out }}"
      - name: sleep
        run: echo sleeping && sleep SECONDS
"###;

fn hook_workflow(seconds: u32) -> String {
    format!(
        "on:\n  webhook:\n    names: [deploy]\njobs:\n  leak:\n    runs-on: ubuntu-latest\n    steps:{}",
        STEPS.replace("SECONDS", &seconds.to_string())
    )
}

fn base64(bytes: &[u8]) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            match k <= chunk.len() {
                true => out.push(B64[((n >> (18 - 6 * k)) & 63) as usize] as char),
                false => out.push('='),
            }
        }
    }
    out
}

/// The value, its base64, and the part of its base64 that does not depend on its neighbours
/// when it starts at byte 0, 1 or 2 of a longer encoded text.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string(), base64(value.as_bytes())];
    for shift in 0..3usize {
        let mut padded = vec![0u8; shift];
        padded.extend_from_slice(value.as_bytes());
        let enc = base64(&padded);
        let skip = [0, 2, 3][shift];
        let full = padded.len() * 8 / 6;
        out.push(enc[skip..full].to_string());
    }
    out
}

fn leaks(text: &[u8], value: &str) -> Vec<String> {
    forms(value)
        .into_iter()
        .filter(|f| text.windows(f.len()).any(|w| w == f.as_bytes()))
        .collect()
}

/// Every regular file under `dir` holding a form of the value.
fn files_with_value(dir: &Path, value: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            found.extend(files_with_value(&e.path(), value));
        } else if kind.is_file() {
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            for f in leaks(&bytes, value) {
                found.push(format!("{} ({f})", e.path().display()));
            }
        }
    }
    found
}

fn files_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| match e.file_type().map(|k| k.is_dir()) {
                    Ok(true) => files_count(&e.path()),
                    _ => 1,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn is_tmpfs(dir: &Path) -> bool {
    let o = Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim() == "tmpfs"
}

/// A scratch root of its own on /dev/shm, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = PathBuf::from(format!("/dev/shm/gantry-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// No container config Docker keeps on its disk holds the value (dockerd's
/// `config.v2.json` of every container that exists now).
const DOCKER_CONFIGS: &str = "/var/lib/docker/containers";

fn assert_docker_configs_clean(value: &str) {
    let found = files_with_value(Path::new(DOCKER_CONFIGS), value);
    assert!(found.is_empty(), "in Docker's container configs: {found:?}");
}

fn wait_for_line(s: &Service, id: i64, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !s.logs(id).contains(line) {
        assert!(
            Instant::now() < deadline,
            "no `{line}` in run {id}: {}",
            s.logs(id)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `gantry serve` with its scratch in `scratch`, a Vault-backed secret `TOKEN` for the
/// tenant of hook `deploy`, and the leaking workflow on that hook.
fn leak_service(bao: &Bao, scratch: &Scratch, conf: &Path) -> Service {
    bao.put_kv2("leak", json!({ "token": SERVE_VALUE }));
    let secrets = bao.hook_secrets_config(conf, "secret/data/leak#token");
    let extra = format!(
        "max_attempts = 2\nscratch_dir = \"{}\"\nsecrets_config = \"{}\"",
        scratch.0.display(),
        secrets.display()
    );
    Service::new("on: push\njobs: {}\n", &hook_workflow(6), &extra)
}

/// While the last step sleeps: the rendered script and the file commands hold the value on
/// the scratch tmpfs, nothing under the data directory does, and the `docker://` step's
/// container (whose config held the value in its env) went when that step ended (Docker
/// deletes its config.v2.json with it). Returns the files that hold the value.
fn check_mid_run(scratch: &Scratch, data: &Path) -> Vec<PathBuf> {
    assert!(is_tmpfs(&scratch.0), "{} is not tmpfs", scratch.0.display());
    let mid_run = files_with_value(&scratch.0, SERVE_VALUE);
    assert!(
        !mid_run.is_empty(),
        "the run's files should hold the value now"
    );
    assert_eq!(files_with_value(data, SERVE_VALUE), Vec::<String>::new());
    let deadline = Instant::now() + Duration::from_secs(5);
    while !files_with_value(Path::new(DOCKER_CONFIGS), SERVE_VALUE).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the step container outlived its step"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    mid_run
        .iter()
        .map(|f| PathBuf::from(f.split(" (").next().unwrap()))
        .collect()
}

/// The run's API answers hold no form of the value, and its logs show it was delivered.
fn check_api(s: &Service, id: i64) {
    let text = s.logs(id);
    for line in ["inline ***", "container ***", "env *** output ***"] {
        assert!(
            text.contains(line),
            "`{line}` missing (no value delivered?): {text}"
        );
    }
    let mut answers = String::new();
    for path in [
        "/api/runs?limit=100".to_string(),
        format!("/api/runs/{id}"),
        format!("/api/runs/{id}/logs"),
    ] {
        answers.push_str(&s.get(&path).1);
    }
    let found = leaks(answers.as_bytes(), SERVE_VALUE);
    assert_eq!(found, Vec::<String>::new(), "{answers}");
}

#[test]
fn serve_killed_mid_run_leaves_no_secret_on_disk_in_the_store_the_api_or_the_logs() {
    let bao = Bao::start();
    let scratch = Scratch::new("serve");
    let conf = tempfile::tempdir().unwrap();
    let mut s = leak_service(&bao, &scratch, conf.path());
    let data = s.dir.path().join("data");
    let auth = format!("Bearer {HOOK_TOKEN}");
    let (code, text) = s.post("/hooks/deploy", &[("Authorization", &auth)], b"{}");
    assert_eq!(code, 202, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    wait_for_line(&s, id, "sleeping");
    let crashed = check_mid_run(&scratch, &data);
    let first_pid = s.pid();
    s.kill9();
    assert_eq!(files_with_value(&data, SERVE_VALUE), Vec::<String>::new());
    s.start();
    // The crashed attempt's directories went at start; the run ran again to its end.
    let run = s.wait_run(id, 180);
    assert_eq!(run["run"]["conclusion"], "success", "{run}");
    assert_eq!(run["run"]["attempt"], 2, "{run}");
    check_api(&s, id);
    let pid = s.pid();
    assert_eq!(s.terminate(), Some(0));
    for p in [first_pid, pid] {
        assert!(docker::labelled(&format!("dev.gantry.pid={p}")).is_empty());
    }
    for path in &crashed {
        assert!(
            !path.exists(),
            "{} of the crashed attempt is left",
            path.display()
        );
    }
    assert_eq!(
        files_with_value(&scratch.0, SERVE_VALUE),
        Vec::<String>::new()
    );
    assert!(files_count(&data) > 0);
    let found = files_with_value(&data, SERVE_VALUE);
    assert_eq!(found, Vec::<String>::new(), "under the data directory");
    assert_docker_configs_clean(SERVE_VALUE);
    let log = s.log_text();
    assert_eq!(
        leaks(log.as_bytes(), SERVE_VALUE),
        Vec::<String>::new(),
        "{log}"
    );
}

fn run_workflow(seconds: u32) -> String {
    format!(
        "on: push\njobs:\n  leak:\n    runs-on: ubuntu-latest\n    steps:{}",
        STEPS.replace("SECONDS", &seconds.to_string())
    )
}

/// Reads `gantry run`'s JSON events until a log line says `sleeping`; returns what it read.
fn read_until_sleeping(child: &mut std::process::Child) -> String {
    let mut seen = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !seen.contains("sleeping") {
        line.clear();
        let n = out.read_line(&mut line).unwrap();
        assert!(n > 0, "gantry run ended early: {seen}");
        seen.push_str(&line);
    }
    seen
}

#[test]
fn gantry_run_killed_mid_run_leaves_no_secret_on_disk_and_its_directory_goes_next_time() {
    let scratch = Scratch::new("run");
    let scratch_arg = scratch.0.to_str().unwrap();
    let ws = docker::Workspace::new();
    ws.workflow(&run_workflow(60));
    let mut child = ws
        .command(&["--scratch-dir", scratch_arg, "-s", "TOKEN"])
        .env("TOKEN", RUN_VALUE)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let seen = read_until_sleeping(&mut child);
    // Mid-run: the process's own directory on tmpfs holds the rendered value.
    assert!(is_tmpfs(&scratch.0));
    let own: Vec<PathBuf> = std::fs::read_dir(&scratch.0)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    let name = own[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        own.len() == 1 && name.starts_with(&format!("run-{pid}-")),
        "{own:?}"
    );
    assert!(
        !files_with_value(&own[0], RUN_VALUE).is_empty(),
        "no value in {name}"
    );
    Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    let _ = child.wait();
    assert_eq!(
        leaks(seen.as_bytes(), RUN_VALUE),
        Vec::<String>::new(),
        "{seen}"
    );
    let found = files_with_value(ws.path(), RUN_VALUE);
    assert_eq!(found, Vec::<String>::new(), "in the workspace");
    // The next `gantry run` removes the dead process's directory and containers.
    ws.workflow(
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo again\n",
    );
    let r = ws.run(&["--scratch-dir", scratch_arg]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    assert!(
        !own[0].exists(),
        "the killed run's directory is still there"
    );
    let left = std::fs::read_dir(&scratch.0).unwrap().count();
    assert_eq!(left, 0, "a finished run leaves nothing");
    assert!(docker::labelled(&format!("dev.gantry.pid={pid}")).is_empty());
    assert_docker_configs_clean(RUN_VALUE);
}

#[test]
fn a_scratch_directory_on_disk_is_refused_unless_allowed() {
    let disk = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
    assert!(!is_tmpfs(disk.path()), "the test needs a directory on disk");
    let ws = docker::Workspace::new();
    ws.workflow(
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n",
    );
    let dir = disk.path().join("scratch");
    let r = ws.run(&["--scratch-dir", dir.to_str().unwrap()]);
    assert_ne!(r.code(), Some(0));
    assert!(
        r.stderr.contains("--scratch-dir")
            && r.stderr.contains("not on tmpfs")
            && r.stderr.contains("--allow-disk-scratch"),
        "{}",
        r.debug()
    );
    let r = ws.run(&[
        "--scratch-dir",
        dir.to_str().unwrap(),
        "--allow-disk-scratch",
    ]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    // The service refuses to start, naming the setting.
    let config = disk.path().join("gantry.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nscratch_dir = \"{}\"\n",
            disk.path().join("data").display(),
            dir.display()
        ),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("scratch_dir") && err.contains("allow_disk_scratch = true"),
        "{err}"
    );
}
