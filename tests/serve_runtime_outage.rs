//! The container runtime made unreachable for 20 s: `gantry serve` talks to the real Docker
//! engine through a unix-socket proxy that this test cuts (every connection closed, the
//! socket gone) and then restores. Meanwhile `/readyz` answers 503, webhooks are still
//! recorded (202) and their runs wait, queued; once the runtime answers again they run,
//! once each. The run in progress when the runtime went away is not failed for it: it
//! runs again as its second attempt. No container is left.

mod docker;
mod serve;

use serve::{Service, HOOK_TOKEN};
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DOCKER_SOCKET: &str = "/var/run/docker.sock";
const HOOK_WORKFLOW: &str = "on: webhook\njobs:\n  go:\n    runs-on: ubuntu-latest\n    steps:\n      - run: sleep ${{ github.event.body.pause }}\n";

/// A unix-socket proxy to the Docker engine that can be cut and restored.
struct Proxy {
    path: PathBuf,
    cut: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<UnixStream>>>,
}

fn pipe(mut from: UnixStream, mut to: UnixStream) {
    let mut buf = [0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

impl Proxy {
    fn start(path: &Path) -> Proxy {
        let p = Proxy {
            path: path.to_path_buf(),
            cut: Arc::default(),
            stop: Arc::default(),
            open: Arc::default(),
        };
        let (path, cut, stop, open) = (
            p.path.clone(),
            p.cut.clone(),
            p.stop.clone(),
            p.open.clone(),
        );
        std::thread::spawn(move || {
            let mut listener: Option<UnixListener> = None;
            while !stop.load(Ordering::SeqCst) {
                if cut.load(Ordering::SeqCst) {
                    if listener.take().is_some() {
                        let _ = std::fs::remove_file(&path);
                    }
                    for s in open.lock().unwrap().drain(..) {
                        let _ = s.shutdown(std::net::Shutdown::Both);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                let l = listener.get_or_insert_with(|| {
                    let _ = std::fs::remove_file(&path);
                    let l = UnixListener::bind(&path).expect("bind the proxy socket");
                    l.set_nonblocking(true).unwrap();
                    l
                });
                match l.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(upstream) = UnixStream::connect(DOCKER_SOCKET) else {
                            continue;
                        };
                        let mut kept = open.lock().unwrap();
                        kept.push(client.try_clone().unwrap());
                        kept.push(upstream.try_clone().unwrap());
                        let (c2, u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                        std::thread::spawn(move || pipe(client, upstream));
                        std::thread::spawn(move || pipe(u2, c2));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        while !p.path.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        p
    }

    fn set_cut(&self, cut: bool) {
        self.cut.store(cut, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn wait_until(secs: u64, what: &str, s: &Service, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(
            Instant::now() < deadline,
            "timed out: {what}\n{}",
            s.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Posts a `deploy` event whose step sleeps `pause` seconds; its run id.
fn post(s: &Service, key: &str, pause: u32) -> i64 {
    let auth = format!("Bearer {HOOK_TOKEN}");
    let body = format!("{{\"pause\": {pause}}}");
    let (code, text) = s.post(
        "/hooks/deploy",
        &[
            ("Authorization", auth.as_str()),
            ("Idempotency-Key", key),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    );
    assert_eq!(code, 202, "events are recorded: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["runs"][0]["id"].as_i64().unwrap()
}

#[test]
fn runs_wait_for_an_unreachable_runtime_and_run_when_it_is_back() {
    docker::require_docker();
    let scratch = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(&scratch.path().join("docker.sock"));
    let mut s = Service::configure(
        "on: push\njobs: {}\n",
        HOOK_WORKFLOW,
        "",
        "",
        serve::API_TOKENS,
    );
    s.env.push((
        "DOCKER_HOST".into(),
        format!("unix://{}", proxy.path.display()),
    ));
    s.start();
    assert_eq!(s.get("/readyz").0, 200, "{}", s.log_text());
    let busy = post(&s, "busy", 8);
    wait_until(60, "the first run is in progress", &s, || {
        s.get_json(&format!("/api/runs/{busy}"))["run"]["status"] == "in_progress"
    });
    // Its job container up and its 8 s step under way.
    std::thread::sleep(Duration::from_secs(3));
    let cut_at = Instant::now();
    proxy.set_cut(true);
    wait_until(10, "/readyz says the runtime is gone", &s, || {
        s.get("/readyz").0 == 503
    });
    let queued: Vec<i64> = (0..3)
        .map(|i| post(&s, &format!("outage-{i}"), 0))
        .collect();
    while cut_at.elapsed() < Duration::from_secs(20) {
        assert_eq!(s.get("/readyz").0, 503);
        for id in &queued {
            let run = s.get_json(&format!("/api/runs/{id}"));
            assert_eq!(run["run"]["status"], "queued", "{run}\n{}", s.log_text());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    proxy.set_cut(false);
    wait_until(15, "/readyz is ready again", &s, || {
        s.get("/readyz").0 == 200
    });
    for id in &queued {
        s.wait_success(*id, 1);
    }
    // The run in progress ran again (its first attempt's containers removed).
    let deadline = Instant::now() + Duration::from_secs(120);
    let run = loop {
        let run = s.get_json(&format!("/api/runs/{busy}"));
        if run["run"]["status"] == "completed" && run["run"]["attempt"] == 2 {
            break run;
        }
        assert!(Instant::now() < deadline, "{run}\n{}", s.log_text());
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(
        run["run"]["conclusion"],
        "success",
        "{run}\n{}",
        s.log_text()
    );
    let log = s.log_text();
    assert!(
        log.contains("the container runtime does not answer"),
        "{log}"
    );
    assert!(log.contains("the container runtime answers again"), "{log}");
    assert!(
        log.contains("the container runtime was lost during its last attempt"),
        "{log}"
    );
    let left = docker::labelled(&format!("dev.gantry.pid={}", s.pid()));
    assert!(left.is_empty(), "containers left: {left:?}\n{log}");
}
