//! Filter patterns: the glob language GitHub uses for `branches`, `tags` and `paths` (and
//! Gantry for Kafka topics and keys and webhook names), and the ordered include/ignore lists
//! built from it. Everything here is pure: no I/O, no panics on any input.

mod glob;
mod nfa;
mod pattern_list;

pub use glob::{Glob, GlobError};
pub use pattern_list::{
    Decision, Entry, ListKind, PathsVerdict, PatternError, PatternList, Reason, Verdict,
};

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;
