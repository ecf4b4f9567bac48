//! A load generator for `gantry serve`: signed GitHub push deliveries (each with its own
//! `X-GitHub-Delivery`) over keep-alive HTTP/1.1 connections, reporting accepted deliveries
//! per second and the latency to the 202 (p50, p99, max).
//!
//! `cargo run --release --example webhook_load -- ADDR SECRET PAYLOAD_FILE [CONNECTIONS] [SECONDS]`

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

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: webhook_load ADDR SECRET PAYLOAD_FILE [CONNECTIONS] [SECONDS]");
        std::process::exit(2);
    }
    let addr = args[1].clone();
    let secret = args[2].clone();
    let body = std::fs::read(&args[3]).expect("payload file");
    let conns: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(32);
    let secs: u64 = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(10);
    let sig = gantry_plan::signature::sign(secret.as_bytes(), &body);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let run = format!("{:x}", std::process::id());
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (addr, body, sig, run) = (addr.clone(), body.clone(), sig.clone(), run.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut bad = 0u64;
            let mut stream = BufReader::new(TcpStream::connect(&addr).await.expect("connect"));
            let _ = stream.get_ref().set_nodelay(true);
            let mut i = 0u64;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let delivery = format!("load-{run}-{c}-{i}");
                match one(&mut stream, &addr, &body, &sig, &delivery).await {
                    Ok(202) => lat.push(t0.elapsed()),
                    Ok(_) => bad += 1,
                    Err(_) => {
                        bad += 1;
                        stream =
                            BufReader::new(TcpStream::connect(&addr).await.expect("reconnect"));
                    }
                }
                i += 1;
            }
            (lat, bad)
        }));
    }
    let t0 = Instant::now();
    let mut lat = Vec::new();
    let mut bad = 0;
    for t in tasks {
        let (l, b) = t.await.unwrap();
        lat.extend(l);
        bad += b;
    }
    let elapsed = t0.elapsed().as_secs_f64().min(secs as f64).max(0.001);
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
