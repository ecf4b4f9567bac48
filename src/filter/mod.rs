//! Filter patterns: the glob language GitHub uses for `branches`, `tags` and `paths`, which
//! Gantry also uses for Kafka topics, keys and headers and webhook names.

mod glob;

pub use glob::{Glob, GlobError};
