//! YAML: a span-carrying tree and a fast parser for it.
//!
//! Workflow files are small but numerous, and validating a repository's worth of them
//! is on the hot path of `gantry validate`. The parser builds the tree straight from the
//! bytes (no token or event stream), keeps the line and column of every node, and follows
//! libyaml (what `serde_yaml` users get) on what it accepts, including its leniency inside
//! flow collections. A test compares it with `serde_yaml_ng` over the whole corpus.

mod block;
mod block_scalar;
mod flow;
pub mod node;
pub mod parse;
mod props;
mod scalar;
mod scanner;
#[cfg(test)]
mod testutil;
pub mod tree;

pub use bumpalo::Bump;
pub use parse::{parse, parse_in, parse_shaped, Shape, YamlError, MAX_ALIAS_NODES, MAX_DEPTH};
#[cfg(test)]
mod tests;
