//! The command line: argument parsing with clap and one module per subcommand. This is the
//! edge where files are read and output is printed; everything it calls is testable library code.

mod console;
mod event_args;
mod files;
mod list;
mod plan;
mod run;
mod secrets;
mod serve;
mod trigger;
mod validate;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "gantry",
    version,
    about = "Run GitHub Actions workflows on your own events: pushes, webhooks, Kafka messages"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check workflow files and action metadata, reporting every problem at once.
    Validate(validate::ValidateArgs),
    /// List workflows, what triggers each, and their jobs.
    List(list::ListArgs),
    /// Dry run: what an event would run, and why each workflow does or does not match.
    Plan(Box<plan::PlanArgs>),
    /// Run the workflows an event triggers, for real, in Docker.
    Run(Box<run::RunArgs>),
    /// The runner service: webhooks in, runs in Docker, a durable run store, an API.
    Serve(Box<serve::ServeArgs>),
    /// Send an event to a running `gantry serve` (e.g. from a git post-receive hook).
    #[command(subcommand)]
    Trigger(trigger::TriggerCommand),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::List(args) => list::run(args),
        Command::Plan(args) => plan::run(*args),
        Command::Run(args) => run::run(*args),
        Command::Serve(args) => serve::run(*args),
        Command::Trigger(cmd) => trigger::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gantry: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
