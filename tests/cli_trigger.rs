//! `gantry trigger push` against local test servers: over HTTPS with a certificate signed by
//! a CA generated here and trusted with `--ca-cert` (and refused without it), answers sent
//! with chunked transfer encoding, a path prefix kept, a service that never answers, and the
//! request itself (GitHub's headers and a signature the service's own check accepts).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::thread::JoinHandle;

const SECRET: &str = "It's a Secret to Everybody";

/// What the test server received.
struct Request {
    head: String,
    body: Vec<u8>,
}

impl Request {
    fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or_default()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Reads one request (head and a `Content-Length` body); `None` when the connection fails
/// first (a refused TLS handshake).
fn read_request(s: &mut impl Read) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut req = Request {
        head,
        body: buf[head_end..].to_vec(),
    };
    let len: usize = req.header("content-length")?.parse().ok()?;
    while req.body.len() < len {
        let n = s.read(&mut chunk).ok().filter(|n| *n > 0)?;
        req.body.extend_from_slice(&chunk[..n]);
    }
    Some(req)
}

/// How the server answers its one request.
enum Reply {
    /// These bytes, then the connection is closed.
    Bytes(Vec<u8>),
    /// Nothing: the connection stays open until the client gives up.
    Never,
}

fn answer(stream: &mut (impl Read + Write), reply: &Reply) -> Option<Request> {
    let req = read_request(stream)?;
    match reply {
        Reply::Bytes(b) => {
            stream.write_all(b).ok()?;
            stream.flush().ok()?;
        }
        Reply::Never => while stream.read(&mut [0u8; 64]).is_ok_and(|n| n > 0) {},
    }
    Some(req)
}

/// A server for one connection, plain or TLS; its thread returns the request it read.
fn server(
    tls: Option<Arc<rustls::ServerConfig>>,
    reply: Reply,
) -> (u16, JoinHandle<Option<Request>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().ok()?;
        match tls {
            None => {
                let mut tcp: TcpStream = tcp;
                answer(&mut tcp, &reply)
            }
            Some(cfg) => {
                let conn = rustls::ServerConnection::new(cfg).ok()?;
                let mut s = rustls::StreamOwned::new(conn, tcp);
                let req = answer(&mut s, &reply);
                s.conn.send_close_notify();
                let _ = s.flush();
                req
            }
        }
    });
    (port, handle)
}

/// A CA and a certificate it signed for 127.0.0.1: the server's TLS settings, and the CA's
/// PEM written to `dir`.
fn tls_with_own_ca(dir: &Path) -> (Arc<rustls::ServerConfig>, PathBuf) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "gantry test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (Arc::new(cfg), ca_file)
}

/// A repository with one commit on `main`; returns its sha.
fn repo(dir: &Path) -> String {
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "git {args:?}: {o:?}");
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("README.md"), "hello\n").unwrap();
    git(&["add", "README.md"]);
    git(&["commit", "-qm", "first"]);
    git(&["rev-parse", "HEAD"])
}

fn trigger(url: &str, repo: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["trigger", "push", "--url", url])
        .args([
            "--repository",
            "octo-org/octo-repo",
            "--ref",
            "main",
            "--repo",
        ])
        .arg(repo)
        .args(extra)
        .env("GANTRY_WEBHOOK_SECRET", SECRET)
        .env_remove("GANTRY_CA_CERT")
        .output()
        .unwrap()
}

fn out(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The request is GitHub's: the push event, a delivery id, a signature the service accepts.
fn assert_is_signed_push(req: &Request, path: &str, sha: &str) {
    assert_eq!(req.request_line(), format!("POST {path} HTTP/1.1"));
    assert_eq!(req.header("x-github-event"), Some("push"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert!(req
        .header("x-github-delivery")
        .is_some_and(|d| d.starts_with("push-")));
    let sig = req.header("x-hub-signature-256").unwrap_or_default();
    assert!(
        gantry_plan::signature::verify(SECRET.as_bytes(), &req.body, sig),
        "bad signature {sig}"
    );
    let payload: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(payload["after"], sha);
    assert_eq!(payload["ref"], "refs/heads/main");
}

fn plain_answer(status: &str, body: &str) -> Reply {
    Reply::Bytes(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// The body in `parts`, each one chunk of `Transfer-Encoding: chunked`.
fn chunked_answer(status: &str, parts: &[&str]) -> Reply {
    let mut r = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    for p in parts {
        r.push_str(&format!("{:x}\r\n{p}\r\n", p.len()));
    }
    r.push_str("0\r\n\r\n");
    Reply::Bytes(r.into_bytes())
}

#[test]
fn pushes_over_https_to_a_service_signed_by_the_operators_ca() {
    let dir = tempfile::tempdir().unwrap();
    let sha = repo(dir.path());
    let (tls, ca_file) = tls_with_own_ca(dir.path());
    let body = r#"{"runs":[{"id":7}]}"#;
    let (port, server) = server(Some(tls), plain_answer("202 Accepted", body));
    let url = format!("https://127.0.0.1:{port}/ci/");
    let o = trigger(&url, dir.path(), &["--ca-cert", ca_file.to_str().unwrap()]);
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stdout}{stderr}");
    assert_eq!(stdout, format!("refs/heads/main {sha}: 202 {body}\n"));
    let req = server.join().unwrap().expect("the server got the request");
    assert_is_signed_push(&req, "/ci/hooks/github", &sha);
}

#[test]
fn an_unknown_ca_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    repo(dir.path());
    let (tls, _) = tls_with_own_ca(dir.path());
    let (port, server) = server(Some(tls), plain_answer("202 Accepted", "{}"));
    let o = trigger(&format!("https://127.0.0.1:{port}"), dir.path(), &[]);
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.starts_with(&format!(
            "gantry: error: cannot connect to 127.0.0.1:{port}: "
        )) && stderr.contains("UnknownIssuer"),
        "{stderr}"
    );
    assert!(server.join().unwrap().is_none(), "no request gets through");
}

#[test]
fn chunked_answers_are_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let sha = repo(dir.path());
    for (reply, code, printed) in [
        (
            chunked_answer(
                "202 Accepted",
                &[r#"{"runs":"#, r#"[{"id":1},"#, r#"{"id":2}]}"#],
            ),
            Some(0),
            r#"202 {"runs":[{"id":1},{"id":2}]}"#,
        ),
        (
            chunked_answer("401 Unauthorized", &[r#"{"error":"#, r#""bad signature"}"#]),
            Some(1),
            r#"401 {"error":"bad signature"}"#,
        ),
    ] {
        let (port, server) = server(None, reply);
        let o = trigger(&format!("http://127.0.0.1:{port}"), dir.path(), &[]);
        let (stdout, stderr) = out(&o);
        assert_eq!(o.status.code(), code, "{stdout}{stderr}");
        assert_eq!(stdout, format!("refs/heads/main {sha}: {printed}\n"));
        let req = server.join().unwrap().expect("the server got the request");
        assert_is_signed_push(&req, "/hooks/github", &sha);
    }
}

#[test]
fn redirects_are_reported_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let sha = repo(dir.path());
    let (port, server) = server(
        None,
        Reply::Bytes(
            b"HTTP/1.1 308 Permanent Redirect\r\nLocation: http://127.0.0.1:1/hooks/github\r\nContent-Length: 5\r\nConnection: close\r\n\r\nmoved"
                .to_vec(),
        ),
    );
    let o = trigger(&format!("http://127.0.0.1:{port}"), dir.path(), &[]);
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(stdout, format!("refs/heads/main {sha}: 308 moved\n"));
    assert!(server.join().unwrap().is_some());
}

#[test]
fn a_service_that_never_answers_fails_the_hook() {
    let dir = tempfile::tempdir().unwrap();
    repo(dir.path());
    let (port, server) = server(None, Reply::Never);
    let o = trigger(
        &format!("http://127.0.0.1:{port}"),
        dir.path(),
        &["--timeout", "1"],
    );
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(2), "{stdout}{stderr}");
    assert_eq!(
        stderr,
        format!("gantry: error: no answer from 127.0.0.1:{port} within 1 s\n")
    );
    assert!(server.join().unwrap().is_some());
}

#[test]
fn unusable_urls_and_ca_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    repo(dir.path());
    let missing = dir.path().join("missing.pem");
    let not_pem = dir.path().join("README.md");
    for (url, extra, want) in [
        (
            "http://127.0.0.1:1",
            vec![],
            "gantry: error: cannot connect to 127.0.0.1:1: Connection refused (os error 111)\n"
                .to_string(),
        ),
        (
            "ftp://127.0.0.1:1",
            vec![],
            "gantry: error: `ftp://127.0.0.1:1`: only http:// and https:// URLs are supported\n"
                .to_string(),
        ),
        (
            "https://127.0.0.1:1",
            vec!["--ca-cert", missing.to_str().unwrap()],
            format!(
                "gantry: error: cannot read the CA certificate {}: No such file or directory (os error 2)\n",
                missing.display()
            ),
        ),
        (
            "https://127.0.0.1:1",
            vec!["--ca-cert", not_pem.to_str().unwrap()],
            format!(
                "gantry: error: the CA certificate {}: no PEM certificate in it\n",
                not_pem.display()
            ),
        ),
    ] {
        let o = trigger(url, dir.path(), &extra);
        let (stdout, stderr) = out(&o);
        assert_eq!(o.status.code(), Some(2), "{stdout}{stderr}");
        assert_eq!(stderr, want);
    }
}
