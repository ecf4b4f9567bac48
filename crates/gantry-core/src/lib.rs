//! The pure core of Gantry: YAML with spans, the typed model, expressions, filters, cron, validation and the operator's policy. No I/O beyond the bytes it is given.

pub mod action_ref;
pub mod container_options;
pub mod cron;
pub mod diag;
pub mod expr;
pub mod filter;
pub mod model;
pub mod policy;
pub mod validate;
pub mod yaml;
