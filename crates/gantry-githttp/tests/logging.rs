//! Tokens never reach the log: every kind of request (granted, refused, REST, a failing
//! backend) is made with a token while everything down to TRACE is recorded, then the record is
//! searched for the token and for its Basic encoding.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine;
use common::{git_output, Fixture, Served, OTHER, REPO};
use gantry_githttp::GitServerConfig;

const TOKEN: &str = "ghs_logging-test-token";

/// A `tracing` writer appending to a shared buffer.
#[derive(Clone, Default)]
struct Record(Arc<Mutex<Vec<u8>>>);

impl Write for Record {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn no_token_in_the_log() {
    let record = Record::default();
    let writer = record.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();
    let fixture = Fixture::new();
    let served = Served::start(&fixture, GitServerConfig::default());
    served.grant(TOKEN, &[REPO]);
    let failing = GitServerConfig {
        git_program: "false".into(),
        ..GitServerConfig::default()
    };
    let broken = Served::start(&fixture, failing);
    broken.grant(TOKEN, &[REPO]);
    for url in [
        served.url_with_token(TOKEN, REPO),
        served.url_with_token(TOKEN, OTHER),
        broken.url_with_token(TOKEN, REPO),
    ] {
        git_output(fixture.dir.path(), &fixture.home, &["ls-remote", &url]);
    }
    let dest = fixture.fresh_dir("clone");
    git_output(
        &dest,
        &fixture.home,
        &["clone", "-q", &served.url_with_token(TOKEN, REPO), "."],
    );
    let log = String::from_utf8(record.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("git request"), "nothing was logged: {log}");
    assert!(log.contains("git http-backend failed"), "{log}");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{TOKEN}"));
    assert!(!log.contains(TOKEN) && !log.contains(&basic), "{log}");
}
