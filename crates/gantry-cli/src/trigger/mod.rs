//! `gantry trigger push`: the client a git `post-receive` hook calls to tell `gantry serve`
//! about a push to a local repository. It builds GitHub's push payload from the repository
//! (commits, changed files), signs it with the webhook secret ([`gantry_plan::signature`], the
//! same code that verifies it in the service) and POSTs it to `/hooks/github` over HTTP or
//! HTTPS ([`client`]). The delivery id is derived from the push itself, so a hook that runs
//! twice for the same update creates no second run.

mod client;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use client::{ClientOptions, Delivery, HookClient};
use gantry_load::git::{push_from_repo, PushQuery};
use gantry_plan::signature::sign;
use sha2::{Digest, Sha256};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand, Debug, Clone)]
pub enum TriggerCommand {
    /// Send push events: from `--ref/--before/--after`, or from the `<old> <new> <ref>` lines
    /// a post-receive hook gets on standard input.
    Push(PushArgs),
}

#[derive(Args, Debug, Clone)]
pub struct PushArgs {
    /// The service, e.g. http://127.0.0.1:8080 or https://ci.example.com (a path prefix is
    /// kept: deliveries go to <url>/hooks/github).
    #[arg(long, env = "GANTRY_URL")]
    pub url: String,
    /// The GitHub webhook secret of the service.
    #[arg(long, env = "GANTRY_WEBHOOK_SECRET", hide_env_values = true)]
    pub secret: String,
    /// PEM file of CA certificates to trust for https:// besides the system's (e.g. the
    /// operator's own CA that signed the service's certificate).
    #[arg(long, env = "GANTRY_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Seconds one delivery may take, connecting included.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
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

/// One ref update: the query that finds it in the repository.
fn updates(args: &PushArgs) -> Result<Vec<PushQuery>> {
    if args.git_ref.is_some() || args.after.is_some() {
        return Ok(vec![PushQuery {
            git_ref: args.git_ref.clone(),
            sha: args.after.clone(),
            before: args.before.clone(),
        }]);
    }
    let mut out = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            [old, new, r] => out.push(PushQuery {
                git_ref: Some(r.to_string()),
                sha: Some(new.to_string()),
                before: Some(old.to_string()),
            }),
            [] => {}
            _ => bail!("expected `<old-sha> <new-sha> <ref>` on standard input, got `{line}`"),
        }
    }
    Ok(out)
}

pub fn run(cmd: TriggerCommand) -> Result<ExitCode> {
    let TriggerCommand::Push(args) = cmd;
    let client = HookClient::new(&ClientOptions {
        url: &args.url,
        ca_cert: args.ca_cert.as_deref(),
        timeout: Duration::from_secs(args.timeout),
    })?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut failed = false;
    for q in updates(&args)? {
        let status = rt.block_on(push(&args, &client, &q))?;
        failed |= !(200..300).contains(&status);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Delivers one update and prints the service's answer; returns the HTTP status.
async fn push(args: &PushArgs, client: &HookClient, q: &PushQuery) -> Result<u16> {
    let mut spec = push_from_repo(&args.repo, q)?;
    spec.repository = Some(args.repository.clone());
    let h = Sha256::digest(
        format!(
            "{}|{}|{:?}|{}",
            args.repository, spec.git_ref, spec.before, spec.after
        )
        .as_bytes(),
    );
    let id = format!("push-{}", gantry_engine::hex(&h[..16]));
    let ev = spec.into_event();
    let body = serde_json::to_vec(&ev.payload)?;
    let signature = sign(args.secret.as_bytes(), &body);
    let answer = client
        .post(&Delivery {
            event: "push",
            id: &id,
            signature: &signature,
            body: &body,
        })
        .await?;
    println!(
        "{} {}: {} {}",
        ev.meta.git_ref.unwrap_or_default(),
        ev.meta.sha.unwrap_or_default(),
        answer.status,
        answer.body
    );
    Ok(answer.status)
}
