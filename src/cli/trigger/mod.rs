//! `gantry trigger push`: the client a git `post-receive` hook calls to tell `gantry serve`
//! about a push to a local repository. It builds GitHub's push payload from the repository
//! (commits, changed files), signs it with the webhook secret and POSTs it to
//! `/hooks/github`. The delivery id is derived from the push itself, so a hook that runs
//! twice for the same update creates no second run.

use crate::git::{push_from_repo, PushQuery};
use crate::signature::sign;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use sha2::{Digest, Sha256};
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug, Clone)]
pub enum TriggerCommand {
    /// Send push events: from `--ref/--before/--after`, or from the `<old> <new> <ref>` lines
    /// a post-receive hook gets on standard input.
    Push(PushArgs),
}

#[derive(Args, Debug, Clone)]
pub struct PushArgs {
    /// The service, e.g. http://127.0.0.1:8080 (plain HTTP; put TLS in a reverse proxy).
    #[arg(long, env = "GANTRY_URL")]
    pub url: String,
    /// The GitHub webhook secret of the service.
    #[arg(long, env = "GANTRY_WEBHOOK_SECRET", hide_env_values = true)]
    pub secret: String,
    /// The repository's name as configured in the service (`owner/repo`).
    #[arg(long)]
    pub repository: String,
    /// The git repository (default: the current directory, as in a hook).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    #[arg(long = "ref")]
    pub git_ref: Option<String>,
    #[arg(long)]
    pub before: Option<String>,
    #[arg(long)]
    pub after: Option<String>,
}

pub fn run(cmd: TriggerCommand) -> Result<ExitCode> {
    let TriggerCommand::Push(args) = cmd;
    let mut updates = Vec::new();
    if args.git_ref.is_some() || args.after.is_some() {
        updates.push((
            args.before.clone(),
            args.after.clone(),
            args.git_ref.clone(),
        ));
    } else {
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                [old, new, r] => updates.push((
                    Some(old.to_string()),
                    Some(new.to_string()),
                    Some(r.to_string()),
                )),
                [] => {}
                _ => bail!("expected `<old-sha> <new-sha> <ref>` on standard input, got `{line}`"),
            }
        }
    }
    let mut failed = false;
    for (before, after, git_ref) in updates {
        let q = PushQuery {
            git_ref,
            sha: after,
            before,
        };
        let mut spec = push_from_repo(&args.repo, &q)?;
        spec.repository = Some(args.repository.clone());
        let delivery = {
            let h = Sha256::digest(
                format!(
                    "{}|{}|{:?}|{}",
                    args.repository, spec.git_ref, spec.before, spec.after
                )
                .as_bytes(),
            );
            format!("push-{}", crate::engine::hex(&h[..16]))
        };
        let ev = spec.into_event();
        let body = serde_json::to_vec(&ev.payload)?;
        let (code, answer) = post(
            &args.url,
            &body,
            &sign(args.secret.as_bytes(), &body),
            &delivery,
        )?;
        println!(
            "{} {}: {code} {answer}",
            ev.meta.git_ref.unwrap_or_default(),
            ev.meta.sha.unwrap_or_default()
        );
        failed |= !(200..300).contains(&code);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One HTTP/1.1 POST to `url`/hooks/github.
fn post(url: &str, body: &[u8], signature: &str, delivery: &str) -> Result<(u16, String)> {
    let rest = url.strip_prefix("http://").with_context(|| {
        format!("`{url}`: only http:// URLs are supported (use a reverse proxy for TLS)")
    })?;
    let (host, base) = match rest.split_once('/') {
        Some((h, b)) => (h, format!("/{}", b.trim_end_matches('/'))),
        None => (rest, String::new()),
    };
    let addr = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    let mut s =
        std::net::TcpStream::connect(&addr).with_context(|| format!("cannot connect to {addr}"))?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let head = format!(
        "POST {base}/hooks/github HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: {delivery}\r\nX-Hub-Signature-256: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let code = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let answer = resp
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .trim()
        .to_string();
    Ok((code, answer))
}
