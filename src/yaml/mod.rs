//! YAML: a span-carrying tree and a fast parser for it.
//!
//! Workflow files are small but numerous; validating a repository's worth of them is on the
//! hot path of `gantry validate`. The parser builds the tree directly from bytes (no token
//! or event stream), keeps the line and column of every node, and follows libyaml (what
//! `serde_yaml` users get) on what it accepts, including its leniency inside flow
//! collections. Tests compare it with `serde_yaml_ng` over the whole corpus.

mod cursor;
mod error;
mod flow;
pub mod node;
mod parse;
mod scalar;

#[cfg(test)]
mod tests;

pub use error::YamlError;
pub use parse::{parse, MAX_ALIAS_NODES, MAX_DEPTH};
