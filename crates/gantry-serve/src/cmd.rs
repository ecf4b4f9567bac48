//! `gantry serve --config gantry.toml`: the service's command line — its arguments, the
//! async runtime, and a graceful stop on SIGTERM or Ctrl-C.

use crate::{serve, ServeConfig};
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// The configuration file (TOML; see docs/serve.md). Every option can also come from
    /// GANTRY_* environment variables.
    #[arg(long, short = 'c', env = "GANTRY_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub secrets: gantry_secrets::SecretArgs,
}

/// Entry point of `gantry serve`, called by the binary.
pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let mut cfg = match &args.config {
        Some(p) => ServeConfig::load(p)?,
        None => ServeConfig::parse("")?,
    };
    if args.secrets.secrets_config.is_none() {
        if let Some(p) = cfg.secrets_config.take() {
            let mut s = args.secrets.clone();
            s.secrets_config = Some(p);
            return run_with(cfg, s);
        }
    }
    run_with(cfg, args.secrets)
}

fn run_with(cfg: ServeConfig, secrets: gantry_secrets::SecretArgs) -> Result<ExitCode> {
    let store = secrets.tenants()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let shutdown = tokio_util::sync::CancellationToken::new();
        let s = shutdown.clone();
        tokio::spawn(async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("installing the SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            tracing::info!("shutting down (no new events; running jobs get the grace period)");
            s.cancel();
        });
        serve(cfg, store, shutdown).await?;
        Ok(ExitCode::SUCCESS)
    })
}
