//! The local command line: argument parsing with clap and one module per subcommand
//! (`gantry serve`'s own arguments live with the service; the binary joins the two). This is the
//! edge where files are read and output is printed; everything it calls is testable library code.

mod console;
mod eval;
mod event_args;
mod files;
mod list;
mod plan;
mod remote_calls;
mod run;
mod running;
mod services;
mod trigger;
mod validate;

use clap::{Subcommand, ValueEnum};
use std::process::ExitCode;

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
    /// Evaluate one expression against contexts given as JSON; prints the result as JSON.
    Eval(eval::EvalArgs),
    /// Send an event to a running `gantry serve` (e.g. from a git post-receive hook).
    #[command(subcommand)]
    Trigger(trigger::TriggerCommand),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Runs one of the local commands; the binary turns an error into exit code 2.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Validate(args) => validate::run(args),
        Command::List(args) => list::run(args),
        Command::Plan(args) => plan::run(*args),
        Command::Run(args) => run::run(*args),
        Command::Eval(args) => eval::run(args),
        Command::Trigger(cmd) => trigger::run(cmd),
    }
}
