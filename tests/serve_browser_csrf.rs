//! A cross-site page in a real browser (Debian's headless Chromium) against `gantry serve`:
//! the page submits a form POST to cancel a running run and sends `no-cors` fetches to cancel
//! and rerun it, as a CSRF attack would. The API takes credentials only from the
//! `Authorization` header, which a cross-site page cannot set, so none of it does anything:
//! the run is neither cancelled nor rerun. The pages' own cancel form (`/runs/{id}/cancel`)
//! posted from that site does nothing either (no session cookie crosses sites; see
//! tests/serve_pages.rs for the same with a logged-in browser).

mod docker;
mod serve;

use serde_json::Value;
use serve::{Service, HOOK_TOKEN};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CI: &str =
    "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n";

const SLOW: &str = r#"
on:
  webhook:
    names: [deploy]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 20
"#;

fn chromium() -> &'static str {
    let found = Command::new("chromium").arg("--version").output();
    assert!(
        found.map(|o| o.status.success()).unwrap_or(false),
        "this test needs a real browser: Debian's `chromium` (scripts/test.sh installs it)"
    );
    "chromium"
}

/// The attacker's site: serves `page` at `/evil.html` and records every path asked for.
fn evil_site(page: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            let mut reader = BufReader::new(&stream);
            let _ = reader.read_line(&mut line);
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            log.lock().unwrap().push(path.clone());
            let body = if path == "/evil.html" {
                page.as_str()
            } else {
                ""
            };
            let _ = (&stream).write_all(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    (base, seen)
}

#[test]
fn a_cross_site_page_cannot_cancel_or_rerun_runs() {
    let browser = chromium();
    let s = Service::new(CI, SLOW, "");
    let auth = format!("Bearer {HOOK_TOKEN}");
    let (code, text) = s.post(
        "/hooks/deploy",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        b"{}",
    );
    assert_eq!(code, 202, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while s.get_json(&format!("/api/runs/{id}"))["run"]["status"] != "in_progress" {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    let target = &s.base;
    let page = format!(
        r#"<!doctype html><html><body>
<iframe name="sink" id="sink"></iframe>
<form id="f" method="POST" target="sink" action="{target}/api/runs/{id}/cancel"><input name="confirm" value="1"></form>
<iframe name="sink2" id="sink2"></iframe>
<form id="g" method="POST" target="sink2" action="{target}/runs/{id}/cancel"><input name="csrf" value="guess"></form>
<script>
const opts = {{ method: "POST", mode: "no-cors", credentials: "include", body: "x" }};
fetch("{target}/api/runs/{id}/rerun", opts)
  .finally(() => fetch("{target}/api/runs/{id}/cancel", opts))
  .finally(() => {{
    new Image().src = "/fetches-done";
    document.getElementById("sink").onload = () => {{ new Image().src = "/form-done"; }};
    document.getElementById("f").submit();
    document.getElementById("sink2").onload = () => {{ new Image().src = "/page-form-done"; }};
    document.getElementById("g").submit();
  }});
</script></body></html>"#
    );
    let (evil, seen) = evil_site(page);
    // `timeout`: a headless browser that never settles must not hang the suite.
    let out = Command::new("timeout")
        .args(["-s", "KILL", "60", browser])
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("{evil}/evil.html"))
        .output()
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    // The script ran its fetches, and the form's POST was sent and answered (the frame
    // it targets loaded Gantry's answer).
    for done in ["/fetches-done", "/form-done", "/page-form-done"] {
        assert!(
            seen.iter().any(|p| p == done),
            "{done} not seen: {seen:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let run = s.get_json(&format!("/api/runs/{id}"));
    assert_ne!(run["run"]["conclusion"], "cancelled", "{run}");
    let done = s.wait_run(id, 90);
    assert_eq!(done["run"]["conclusion"], "success", "{done}");
    assert_eq!(done["run"]["attempt"], 1, "not rerun: {done}");
    let runs = s.get_json("/api/runs");
    assert_eq!(runs["runs"].as_array().unwrap().len(), 1, "{runs}");
}
