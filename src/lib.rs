//! Gantry: a self-hosted, event-driven workflow runner that speaks GitHub Actions syntax.
//!
//! The crate is layered "raw → checked → running": [`yaml`] reads files into a span-carrying
//! tree, [`model`] lowers it into typed workflows and actions, [`validate`] checks them, and
//! later stages plan and run them. The pure core (`yaml`, `model`, `expr`, `validate`) knows
//! nothing of files, Docker, Kafka or Vault; [`cli`] is where effects begin.

pub mod backend;
pub mod cli;
pub mod container_options;
pub mod cron;
pub mod diag;
pub mod docker;
pub mod engine;
pub mod event;
pub mod expr;
pub mod fetch;
pub mod filter;
pub mod git;
pub mod kafka;
pub mod load;
pub mod mask;
pub mod model;
pub mod plan;
pub mod policy;
pub mod runner;
pub mod secrets;
pub mod serve;
pub mod signature;
pub mod store;
pub mod trigger;
pub mod uses;
pub mod validate;
pub mod yaml;
