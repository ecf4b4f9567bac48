//! A load generator for `gantry serve`: signed GitHub push deliveries (each with its own
//! `X-GitHub-Delivery`) over keep-alive HTTP/1.1 connections, reporting accepted deliveries
//! per second and the latency to the 202 (p50, p99, max).
//!
//! `cargo run --release --example webhook_load -- ADDR SECRET PAYLOAD_FILE [CONNECTIONS] [SECONDS] [SHAS_FILE]`
//!
//! With `SHAS_FILE` (one commit sha per line) every delivery pushes the next sha in it: each
//! `@SHA@` in the payload is replaced and the body signed again, so no two deliveries share
//! a sha (the service's per-sha cache never answers) until the list runs out.
//!
//! `ADDR` may name several instances, comma-separated (`127.0.0.1:8081,127.0.0.1:8082`):
//! connection `c` goes to the `c % n`-th, so the load is spread evenly over them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

async fn one(
    stream: &mut BufReader<TcpStream>,
    addr: &str,
    body: &[u8],
    sig: &str,
    delivery: &str,
) -> std::io::Result<u16> {
    let head = format!(
        "POST /hooks/github HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: {delivery}\r\nX-Hub-Signature-256: {sig}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let s = stream.get_mut();
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    let mut status = String::new();
    stream.read_line(&mut status).await?;
    let code: u16 = status
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).await?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut buf = vec![0u8; len];
    stream.read_exact(&mut buf).await?;
    Ok(code)
}

/// What every connection sends.
struct Load {
    addrs: Vec<String>,
    secret: String,
    body: Vec<u8>,
    /// The fixed body's signature, when no sha list is given.
    sig: String,
    shas: Vec<String>,
    next: AtomicUsize,
    deadline: Instant,
    run: String,
}

impl Load {
    /// The next delivery's body and signature.
    fn delivery(&self) -> (Vec<u8>, String) {
        if self.shas.is_empty() {
            return (self.body.clone(), self.sig.clone());
        }
        let sha = &self.shas[self.next.fetch_add(1, Ordering::Relaxed) % self.shas.len()];
        let text = String::from_utf8_lossy(&self.body).replace("@SHA@", sha);
        let sig = gantry_plan::signature::sign(self.secret.as_bytes(), text.as_bytes());
        (text.into_bytes(), sig)
    }
}

/// One keep-alive connection sending until the deadline: latencies of the 202s, and how
/// many deliveries were not accepted.
async fn connection(load: Arc<Load>, c: usize) -> (Vec<Duration>, u64) {
    let mut lat = Vec::new();
    let mut bad = 0u64;
    let addr = load.addrs[c % load.addrs.len()].clone();
    let connect = || TcpStream::connect(addr.clone());
    let mut stream = BufReader::new(connect().await.expect("connect"));
    let _ = stream.get_ref().set_nodelay(true);
    let mut i = 0u64;
    while Instant::now() < load.deadline {
        let t0 = Instant::now();
        let delivery = format!("load-{}-{c}-{i}", load.run);
        let (body, sig) = load.delivery();
        match one(&mut stream, &addr, &body, &sig, &delivery).await {
            Ok(202) => lat.push(t0.elapsed()),
            Ok(_) => bad += 1,
            Err(_) => {
                bad += 1;
                stream = BufReader::new(connect().await.expect("reconnect"));
            }
        }
        i += 1;
    }
    (lat, bad)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!(
            "usage: webhook_load ADDR SECRET PAYLOAD_FILE [CONNECTIONS] [SECONDS] [SHAS_FILE]"
        );
        std::process::exit(2);
    }
    let body = std::fs::read(&args[3]).expect("payload file");
    let conns: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(32);
    let secs: u64 = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(10);
    let shas: Vec<String> = args.get(6).map_or_else(Vec::new, |f| {
        let text = std::fs::read_to_string(f).expect("shas file");
        text.lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    });
    let load = Arc::new(Load {
        addrs: args[1].split(',').map(str::to_string).collect(),
        sig: gantry_plan::signature::sign(args[2].as_bytes(), &body),
        secret: args[2].clone(),
        body,
        shas,
        next: AtomicUsize::new(0),
        deadline: Instant::now() + Duration::from_secs(secs),
        run: format!("{:x}", std::process::id()),
    });
    let tasks: Vec<_> = (0..conns)
        .map(|c| tokio::spawn(connection(load.clone(), c)))
        .collect();
    let t0 = Instant::now();
    let mut lat = Vec::new();
    let mut bad = 0;
    for t in tasks {
        let (l, b) = t.await.unwrap();
        lat.extend(l);
        bad += b;
    }
    let elapsed = t0.elapsed().as_secs_f64().min(secs as f64).max(0.001);
    report(lat, bad, elapsed, conns);
    let used = load.next.load(Ordering::Relaxed);
    if !load.shas.is_empty() && used > load.shas.len() {
        println!(
            "the sha list ran out: {} deliveries repeated a sha",
            used - load.shas.len()
        );
    }
}

fn report(mut lat: Vec<Duration>, bad: u64, elapsed: f64, conns: usize) {
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "accepted {} in {:.1} s = {:.0}/s with {conns} connections; not accepted {bad}; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.len(),
        elapsed,
        lat.len() as f64 / elapsed,
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
}
