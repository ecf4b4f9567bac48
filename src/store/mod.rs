//! The run store: every accepted event, run, job, step, status change and log line, kept in
//! SQLite in the data directory. One writer thread owns the connection and commits in
//! groups — every request waiting at that moment shares one transaction and one fsync — so
//! that an event is durable before its 202 and thousands of deliveries a second still fit.
//! Readers open their own connections (WAL lets them read while the writer writes).

mod error;
pub mod read;
mod schema;
pub mod write;

pub use error::StoreError;
pub use read::{ChangeRow, EventRow, JobRow, ListFilter, LogRow, RunRow, StepRow};
pub use write::{Accepted, NewEvent, NewRun, Op, Store};

#[cfg(test)]
mod tests;
