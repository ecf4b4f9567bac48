//! The API and ingress of the real `gantry serve`, attacked over real HTTP (raw TCP where a
//! client must misbehave): every endpoint but health, the page's files and the webhook
//! ingress answers 401 without a token and 403 with too small a scope; with no token
//! configured the API is closed; cross-site form posts and `no-cors` fetches change
//! nothing; unsigned 24 MiB bodies are refused without being read (the service's RSS stays
//! bounded); slow bodies, half-sent headers and idle connections are cut off by the
//! timeouts; connections beyond `max_connections` wait for a free slot; answers name no host
//! path.

mod docker;
mod serve;

use serde_json::Value;
use serve::{Service, API_TOKEN, HOOK_TOKEN, READ_TOKEN, SECRET};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const CI: &str = r#"
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built
"#;

const HOOK: &str = r#"
on:
  webhook:
    names: [deploy]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: echo deploying && sleep 60
"#;

const EVIL: &str = "http://evil.example";

/// An answer read off the wire.
#[derive(Debug)]
struct Reply {
    code: u16,
    /// Header lines, names lowercased.
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn error(&self) -> String {
        serde_json::from_str::<Value>(&self.body).unwrap_or(Value::Null)["error"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

fn addr(s: &Service) -> String {
    s.base.trim_start_matches("http://").to_string()
}

fn connect(s: &Service) -> TcpStream {
    let c = TcpStream::connect(addr(s)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    c
}

fn parse(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let code = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        code,
        headers,
        body: body.to_string(),
    }
}

/// One request on its own connection (`Connection: close`), the answer read to its end.
fn request(s: &Service, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut c = connect(s);
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        addr(s),
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    c.write_all(req.as_bytes()).unwrap();
    c.write_all(body).unwrap();
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).unwrap();
    parse(&raw)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The run's status and attempt, read with the operate token.
fn state(s: &Service, id: i64) -> (String, i64) {
    let v = s.get_json(&format!("/api/runs/{id}"));
    (
        v["run"]["status"].as_str().unwrap_or("").to_string(),
        v["run"]["attempt"].as_i64().unwrap_or(0),
    )
}

/// A request to make: method, path, extra headers.
type Route = (&'static str, String, Vec<(&'static str, &'static str)>);

/// Every protected route, for a run `id`.
fn protected(id: i64) -> Vec<Route> {
    vec![
        ("GET", "/api/runs".into(), vec![]),
        ("GET", "/api/runs?status=completed".into(), vec![]),
        ("GET", format!("/api/runs/{id}"), vec![]),
        ("GET", format!("/api/runs/{id}/logs"), vec![]),
        (
            "GET",
            format!("/api/runs/{id}/logs"),
            vec![("Accept", "text/event-stream")],
        ),
        ("GET", "/metrics".into(), vec![]),
        ("POST", format!("/api/runs/{id}/cancel"), vec![]),
        ("POST", format!("/api/runs/{id}/rerun"), vec![]),
    ]
}

fn assert_unauthorized(r: &Reply, what: &str) {
    assert_eq!(r.code, 401, "{what}: {r:?}");
    assert_eq!(r.error(), "unauthorized", "{what}: {r:?}");
    assert!(
        r.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer")),
        "{what}: {r:?}"
    );
    assert_eq!(r.header("access-control-allow-origin"), None, "{what}");
}

fn hook_run(s: &Service) -> i64 {
    let (code, text) = s.post(
        "/hooks/deploy",
        &[
            ("Authorization", &bearer(HOOK_TOKEN)),
            ("Content-Type", "application/json"),
        ],
        b"{}",
    );
    assert_eq!(code, 202, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap()
}

#[test]
fn every_endpoint_but_health_page_and_ingress_needs_a_token_of_its_scope() {
    let s = Service::new(CI, HOOK, "");
    let (code, text) = s.push("d1");
    assert_eq!(code, 202, "the GitHub ingress needs no API token: {text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    s.wait_run(id, 120);
    for route in protected(id) {
        check_scopes(&s, route);
    }
    open_routes_carry_security_headers(&s);
    // A hook needs its own token, not the API's (a malformed body: no run is created).
    let (code, text) = s.post(
        "/hooks/deploy",
        &[
            ("Authorization", &bearer(HOOK_TOKEN)),
            ("Content-Type", "application/json"),
        ],
        b"{oops",
    );
    assert_eq!(code, 400, "{text}");
    // No CORS: a preflight from another site is granted nothing.
    let pre = request(
        &s,
        "OPTIONS",
        &format!("/api/runs/{id}/cancel"),
        &[
            ("Origin", EVIL),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
        b"",
    );
    assert!(
        pre.headers
            .iter()
            .all(|(k, _)| !k.starts_with("access-control-")),
        "{pre:?}"
    );
}

/// 401 without a valid bearer token (none, unknown, another scheme, a cookie); with the
/// read token, 200 for reads and 403 for mutations.
fn check_scopes(s: &Service, (method, path, extra): Route) {
    let what = format!("{method} {path} {extra:?}");
    let with = |auth: Option<&str>| {
        let mut h = extra.clone();
        if let Some(a) = auth {
            h.push(("Authorization", a));
        }
        request(s, method, &path, &h, b"")
    };
    assert_unauthorized(&with(None), &what);
    assert_unauthorized(&with(Some("Bearer not-a-token")), &what);
    assert_unauthorized(&with(Some(&format!("Basic {API_TOKEN}"))), &what);
    let cookie = format!("gantry-api-token={API_TOKEN}; token={API_TOKEN}");
    let mut h = extra.clone();
    h.push(("Cookie", &cookie));
    assert_unauthorized(&request(s, method, &path, &h, b""), &what);
    let read = with(Some(&bearer(READ_TOKEN)));
    if method == "GET" {
        assert_eq!(read.code, 200, "{what} with a read token: {read:?}");
    } else {
        assert_eq!(read.code, 403, "{what} with a read token: {read:?}");
        assert_eq!(read.error(), "forbidden", "{read:?}");
    }
}

/// Open without a token: health, readiness, `/` (a redirect to the run pages), the login
/// page and the pages' static files, with the security headers; the login page allows no
/// inline script.
fn open_routes_carry_security_headers(s: &Service) {
    for (path, code) in [
        ("/healthz", 200),
        ("/readyz", 200),
        ("/", 303),
        ("/login", 200),
        ("/assets/pages.js", 200),
        ("/assets/pages.css", 200),
    ] {
        let r = request(s, "GET", path, &[], b"");
        assert_eq!(r.code, code, "{path}: {r:?}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
    }
    assert_eq!(
        request(s, "GET", "/", &[], b"").header("location"),
        Some("/runs")
    );
    let page = request(s, "GET", "/login", &[], b"");
    let csp = page.header("content-security-policy").unwrap_or("");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        !page.body.contains("<script>") && !page.body.contains("<style>"),
        "no inline script or style: {}",
        page.body
    );
}

#[test]
fn without_tokens_the_api_is_closed() {
    let s = Service::with_api(CI, HOOK, "", "", "");
    for (method, path, extra) in protected(1) {
        let mut h = extra.clone();
        let auth = bearer(API_TOKEN);
        h.push(("Authorization", &auth));
        let r = request(&s, method, &path, &h, b"");
        assert_unauthorized(&r, &format!("{method} {path}"));
    }
    assert_eq!(request(&s, "GET", "/healthz", &[], b"").code, 200);
    assert!(
        s.log_text().contains("the API is closed"),
        "{}",
        s.log_text()
    );
}

#[test]
fn cross_site_requests_cannot_cancel_or_rerun() {
    let s = Service::new(CI, HOOK, "");
    let id = hook_run(&s);
    let deadline = Instant::now() + Duration::from_secs(60);
    while state(&s, id).0 != "in_progress" {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    for action in ["cancel", "rerun"] {
        cross_site_attempts(&s, &format!("/api/runs/{id}/{action}"));
    }
    assert_eq!(
        state(&s, id),
        ("in_progress".to_string(), 1),
        "nothing changed"
    );
    // The page's own origin, with the operate token, may.
    let own = s.base.clone();
    let path = format!("/api/runs/{id}/cancel");
    let r = request(
        &s,
        "POST",
        &path,
        &[("Authorization", &bearer(API_TOKEN)), ("Origin", &own)],
        b"",
    );
    assert_eq!(r.code, 202, "{r:?}");
    assert_eq!(s.wait_run(id, 60)["run"]["conclusion"], "cancelled");
}

/// What a page on another site can make a browser send (a form post, a `no-cors` fetch,
/// with the service's cookies if it had any), and tokens of the wrong scope or origin.
fn cross_site_attempts(s: &Service, path: &str) {
    let form = [
        ("Origin", EVIL),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Mode", "navigate"),
    ];
    let no_cors = [
        ("Origin", EVIL),
        ("Content-Type", "text/plain;charset=UTF-8"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Mode", "no-cors"),
    ];
    let read = bearer(READ_TOKEN);
    let operate = bearer(API_TOKEN);
    let cookie = format!("gantry-api-token={API_TOKEN}");
    let r = request(s, "POST", path, &form, b"x=1");
    assert_unauthorized(&r, &format!("form {path}"));
    let r = request(s, "POST", path, &no_cors, b"x");
    assert_unauthorized(&r, &format!("no-cors {path}"));
    let mut h = no_cors.to_vec();
    h.push(("Cookie", &cookie));
    assert_unauthorized(&request(s, "POST", path, &h, b"x"), path);
    let r = request(s, "POST", path, &[("Authorization", &read)], b"");
    assert_eq!((r.code, r.error().as_str()), (403, "forbidden"), "{r:?}");
    let r = request(
        s,
        "POST",
        path,
        &[("Authorization", &operate), ("Origin", EVIL)],
        b"",
    );
    assert_eq!(
        (r.code, r.error().as_str()),
        (403, "forbidden_origin"),
        "{r:?}"
    );
}

/// VmRSS of a process, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

const BIG: usize = 24 * 1024 * 1024;

/// Sends `head` and then a `BIG` body as fast as the server takes it, while reading the
/// answer. Returns the status (0 when the server reset the connection before one could be
/// read) and how many body bytes the server's side took before it hung up.
fn blast(s: &Service, head: String) -> (u16, usize) {
    let mut c = connect(s);
    let mut w = c.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        if w.write_all(head.as_bytes()).is_err() {
            return 0;
        }
        let chunk = vec![b'x'; 64 * 1024];
        let mut sent = 0;
        while sent < BIG {
            match w.write(&chunk[..chunk.len().min(BIG - sent)]) {
                Ok(0) | Err(_) => break,
                Ok(n) => sent += n,
            }
        }
        sent
    });
    let mut raw = Vec::new();
    let _ = c.read_to_end(&mut raw);
    let _ = c.shutdown(std::net::Shutdown::Both);
    (parse(&raw).code, writer.join().unwrap())
}

#[test]
fn unsigned_big_bodies_are_refused_without_being_read() {
    let s = Service::new(CI, HOOK, "");
    let host = addr(&s);
    // A polite client sends only the head and is answered before any byte of the body.
    let mut c = connect(&s);
    let head = format!(
        "POST /hooks/github HTTP/1.1\r\nHost: {host}\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: p\r\nContent-Length: {BIG}\r\n\r\n"
    );
    c.write_all(head.as_bytes()).unwrap();
    let mut buf = [0u8; 4096];
    let n = c.read(&mut buf).unwrap();
    let r = parse(&buf[..n]);
    assert_eq!(
        (r.code, r.error().as_str()),
        (401, "bad_signature"),
        "{r:?}"
    );
    // Twenty unsigned 24 MiB deliveries and ten to a hook with a wrong token, at once.
    let before = rss(s.pid());
    let heads: Vec<String> = (0..30)
        .map(|i| {
            if i < 20 {
                format!("POST /hooks/github HTTP/1.1\r\nHost: {host}\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: big-{i}\r\nContent-Type: application/json\r\nContent-Length: {BIG}\r\n\r\n")
            } else {
                format!("POST /hooks/deploy HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer wrong\r\nContent-Length: {BIG}\r\n\r\n")
            }
        })
        .collect();
    let results: Vec<(u16, usize)> = std::thread::scope(|scope| {
        let hs: Vec<_> = heads
            .into_iter()
            .map(|h| scope.spawn(|| blast(&s, h)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let after = rss(s.pid());
    for (code, sent) in &results {
        assert!(
            *code == 401 || *code == 0,
            "refused (401, or reset before the answer was read): {results:?}"
        );
        assert!(
            *sent < BIG,
            "the server hung up before the body was sent: {results:?}"
        );
    }
    let grown = after.saturating_sub(before);
    assert!(
        grown < 50 * 1024 * 1024,
        "RSS grew by {} MiB ({before} -> {after} bytes)",
        grown / (1024 * 1024)
    );
    let metrics = s.get("/metrics").1;
    let rejected: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("gantry_events_rejected_total{reason=\"bad_signature\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert_eq!(rejected, 31, "{metrics}");
}

#[test]
fn bodies_wait_for_room_in_the_shared_buffer() {
    // Room for one 1 MiB body: while one wrongly signed body is half sent (its room
    // reserved), a second, small one is not read; when the first ends, the second is.
    let s = Service::new(
        CI,
        HOOK,
        "body_limit = 1048576\n[ingress]\nmax_buffered_bytes = 1048576\nbody_timeout_secs = 120",
    );
    let host = addr(&s);
    let zeros = "0".repeat(64);
    let head = |name: &str, len: usize| {
        format!("POST /hooks/github HTTP/1.1\r\nHost: {host}\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: {name}\r\nX-Hub-Signature-256: sha256={zeros}\r\nContent-Length: {len}\r\n\r\n")
    };
    let mut first = connect(&s);
    first.write_all(head("first", 1 << 20).as_bytes()).unwrap();
    first.write_all(&vec![b'x'; 1 << 19]).unwrap();
    // The first one has its room reserved (the metrics say so) before the second comes.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !s
        .get("/metrics")
        .1
        .contains("gantry_ingress_body_bytes_reserved 1048576")
    {
        assert!(Instant::now() < deadline, "{}", s.get("/metrics").1);
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut second = connect(&s);
    second.write_all(head("second", 1000).as_bytes()).unwrap();
    second.write_all(&[b'y'; 1000]).unwrap();
    second
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = [0u8; 4096];
    match second.read(&mut buf) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("the second body was read while the first held the room: {other:?}"),
    }
    first.write_all(&vec![b'x'; 1 << 19]).unwrap();
    let r = parse(&until_closed(&mut first));
    assert_eq!(
        (r.code, r.error().as_str()),
        (401, "bad_signature"),
        "{r:?}"
    );
    second
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let r = parse(&until_closed(&mut second));
    assert_eq!(
        (r.code, r.error().as_str()),
        (401, "bad_signature"),
        "{r:?}"
    );
}

/// Reads until the server closes the connection (or resets it, or answers): what a client
/// sees when it is cut off. Fails if the server keeps the connection open for a minute.
fn until_closed(c: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match c.read(&mut buf) {
            Ok(0) => return raw,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return raw,
            Err(e) => panic!("the connection was not closed: {e}"),
        }
    }
}

/// A wrongly signed 24 MiB body sent slowly (16 KiB every 50 ms would take 77 s) is cut off
/// by the body timeout: 408, or the connection closed, before it is all sent.
fn slow_body_is_cut_off(s: &Service) {
    let host = addr(s);
    let mut c = connect(s);
    let mut w = c.try_clone().unwrap();
    let zeros = "0".repeat(64);
    let head = format!("POST /hooks/github HTTP/1.1\r\nHost: {host}\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: slow\r\nX-Hub-Signature-256: sha256={zeros}\r\nContent-Length: {BIG}\r\n\r\n");
    let writer = std::thread::spawn(move || {
        w.write_all(head.as_bytes()).unwrap();
        let chunk = vec![b'x'; 16 * 1024];
        let mut sent = 0;
        while sent < BIG && w.write_all(&chunk).is_ok() {
            sent += chunk.len();
            std::thread::sleep(Duration::from_millis(50));
        }
        sent
    });
    let raw = until_closed(&mut c);
    let sent = writer.join().unwrap();
    assert!(
        sent < BIG,
        "cut off before the whole body was sent ({sent})"
    );
    if !raw.is_empty() {
        let r = parse(&raw);
        assert_eq!((r.code, r.error().as_str()), (408, "body_timeout"), "{r:?}");
    }
    let metrics = s.get("/metrics").1;
    assert!(
        metrics.contains("gantry_events_rejected_total{reason=\"body_timeout\"} 1"),
        "{metrics}"
    );
}

#[test]
fn slow_bodies_half_sent_heads_and_idle_connections_are_cut_off() {
    let s = Service::new(
        CI,
        HOOK,
        "[ingress]\nheader_timeout_secs = 1\nbody_timeout_secs = 2",
    );
    slow_body_is_cut_off(&s);
    let host = addr(&s);
    // Half the headers, then nothing.
    let mut c = connect(&s);
    c.write_all(
        format!("POST /hooks/github HTTP/1.1\r\nHost: {host}\r\nX-GitHub-Event: push\r\n")
            .as_bytes(),
    )
    .unwrap();
    let raw = until_closed(&mut c);
    assert!(
        raw.is_empty() || parse(&raw).code == 408,
        "{}",
        String::from_utf8_lossy(&raw)
    );
    // A connection that sends nothing, and one idle after a request (keep-alive).
    let mut idle = connect(&s);
    assert!(until_closed(&mut idle).is_empty());
    let mut kept = connect(&s);
    kept.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
        .unwrap();
    let raw = until_closed(&mut kept);
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.starts_with("HTTP/1.1 200") && text.ends_with("ok"),
        "answered, then closed when idle: {text}"
    );
}

#[test]
fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let s = Service::new(
        CI,
        HOOK,
        "[ingress]\nmax_connections = 4\nheader_timeout_secs = 120",
    );
    let host = addr(&s);
    let get = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n");
    // Four keep-alive connections, each served once (so each holds a slot), then idle.
    let mut held: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut c = connect(&s);
            c.write_all(get.as_bytes()).unwrap();
            let mut buf = [0u8; 1024];
            let n = c.read(&mut buf).unwrap();
            assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
            c
        })
        .collect();
    let mut fifth = connect(&s);
    fifth.write_all(get.as_bytes()).unwrap();
    fifth
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = [0u8; 1024];
    match fifth.read(&mut buf) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("the fifth connection was served while four held every slot: {other:?}"),
    }
    // One closes: the fifth is served.
    drop(held.pop());
    fifth
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let n = fifth.read(&mut buf).unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
}

#[test]
fn answers_name_no_host_path() {
    let missing = "/var/lib/gantry-security-test/missing-hooks";
    let quick = "on:\n  webhook:\n    names: [deploy]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo deployed\n";
    let s = Service::new(
        CI,
        quick,
        &format!("[hooks.broken]\ntoken = \"b\"\nworkflows = \"{missing}\""),
    );
    let dir = s.dir.path().display().to_string();
    let (code, text) = s.post("/hooks/broken", &[("Authorization", "Bearer b")], b"{}");
    assert_eq!(code, 202, "{text}");
    assert!(!text.contains(missing), "{text}");
    assert!(text.contains("hooks/broken"), "{text}");
    let (code, text) = s.post(
        "/hooks/deploy",
        &[("Authorization", &bearer(HOOK_TOKEN))],
        b"{}",
    );
    assert_eq!(code, 202, "{text}");
    assert!(!text.contains(&dir), "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    s.wait_run(id, 120);
    // The runs API too: a named hook's workflow file is named by its label.
    for path in ["/api/runs".to_string(), format!("/api/runs/{id}")] {
        let (code, text) = s.get(&path);
        assert_eq!(code, 200, "{text}");
        assert!(
            !text.contains(&dir) && text.contains("hooks/deploy"),
            "{path}: {text}"
        );
    }
    let sig = gantry_plan::signature::sign(SECRET.as_bytes(), b"{}");
    for (path, headers) in [
        ("/hooks/github", vec![("X-Hub-Signature-256", sig.as_str())]),
        ("/hooks/nope", vec![]),
    ] {
        let (_, text) = s.post(path, &headers, b"{}");
        assert!(!text.contains(&dir), "{path}: {text}");
    }
}
