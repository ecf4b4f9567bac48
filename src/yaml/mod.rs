//! TEMPORARY interim parser (saphyr) until the real one lands.
pub mod node;
pub mod tmp;
pub use tmp::{parse, YamlError};
