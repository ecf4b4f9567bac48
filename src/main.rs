//! The `gantry` binary: joins the two fronts — the local commands (`gantry_cli`) and the
//! service (`gantry serve`) — under one clap parser, and turns errors into exit codes.
//! The fronts never import each other; this file is the only place both are named.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Validation and planning allocate many small strings and nodes; mimalloc handles that
/// pattern markedly faster than the system allocator.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "gantry",
    version,
    about = "Run GitHub Actions workflows on your own events: pushes, webhooks, Kafka messages"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    #[command(flatten)]
    Local(gantry_cli::Command),
    /// The runner service: webhooks in, runs in Docker, a durable run store, an API.
    Serve(Box<gantry_serve::cmd::ServeArgs>),
}

fn main() -> ExitCode {
    // The libraries log through `tracing`; its events go to stderr, where Gantry's messages
    // always went. `GANTRY_LOG` filters them (tracing's directives; default: Gantry's own
    // crates at info, their dependencies' warnings).
    let filter = tracing_subscriber::EnvFilter::try_from_env("GANTRY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,gantry=info"));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .init();
    let result = match Args::parse().command {
        Command::Local(command) => gantry_cli::run(command),
        Command::Serve(args) => gantry_serve::cmd::run(*args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gantry: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
