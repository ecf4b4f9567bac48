//! Clients that give up: each of 100 webhook senders writes its whole request and closes
//! its socket at once, before any answer. Every event the service recorded must run, once
//! (a request read whole is handled to the end; a sweep of the store picks up any
//! run whose hand-over was lost). Real `gantry serve`, real Docker.

mod docker;
mod serve;

use serve::{Service, HOOK_TOKEN};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

const HOOK_WORKFLOW: &str = "on: webhook\njobs:\n  go:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ran-once\n";

/// Sends a complete request for the `deploy` hook and closes the socket without reading.
fn send_and_close(base: &str, key: &str) {
    let addr = base.trim_start_matches("http://");
    let body = format!("{{\"n\": \"{key}\"}}");
    let request = format!(
        "POST /hooks/deploy HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {HOOK_TOKEN}\r\nIdempotency-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(request.as_bytes()).expect("write the request");
    // Closed at once: the service sees the client gone while (or before) it records.
    drop(s);
}

/// The runs the store holds, by event id: (status, conclusion, attempt).
fn runs(db: &std::path::Path) -> Vec<(String, String, Option<String>, i64)> {
    let c = rusqlite::Connection::open(db).expect("open the run store");
    let mut s = c
        .prepare("SELECT event_id, status, conclusion, attempt FROM runs ORDER BY id")
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// How many times each run was started (its `in_progress` lines in the history).
fn starts(db: &std::path::Path) -> Vec<i64> {
    let c = rusqlite::Connection::open(db).expect("open the run store");
    let mut s = c
        .prepare("SELECT COUNT(*) FROM changes WHERE job IS NULL AND status = 'in_progress' GROUP BY run_id")
        .unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn clients_that_close_at_once_still_get_every_recorded_event_run_once() {
    let s = Service::new("on: push\njobs: {}\n", HOOK_WORKFLOW, "");
    let threads: Vec<_> = (0..100)
        .map(|i| {
            let base = s.base.clone();
            std::thread::spawn(move || send_and_close(&base, &format!("k{i}")))
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let db = s.data_dir().join("gantry.db");
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut last = Vec::new();
    while Instant::now() < deadline {
        last = runs(&db);
        let done = last.iter().filter(|r| r.1 == "completed").count();
        if last.len() == 100 && done == 100 {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    // A client that closes before its request is read may not be recorded at all; this one
    // sends everything first, so every request is (100 events, 100 runs).
    assert_eq!(last.len(), 100, "runs recorded: {last:?}\n{}", s.log_text());
    let stuck: Vec<_> = last.iter().filter(|r| r.1 != "completed").collect();
    assert!(
        stuck.is_empty(),
        "runs never finished: {stuck:?}\n{}",
        s.log_text()
    );
    for (event, _, conclusion, attempt) in &last {
        assert_eq!(conclusion.as_deref(), Some("success"), "{event}");
        assert_eq!(*attempt, 1, "{event} ran again");
    }
    let mut keys: Vec<_> = last.iter().map(|r| r.0.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 100, "one run per event");
    let starts = starts(&db);
    assert_eq!(starts.len(), 100);
    assert!(
        starts.iter().all(|n| *n == 1),
        "a run started twice: {starts:?}"
    );
    let left = docker::labelled(&format!("dev.gantry.pid={}", s.pid()));
    assert!(left.is_empty(), "containers left: {left:?}");
}
