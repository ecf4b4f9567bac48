//! The run store: every accepted event, run, job, step, status change and log line, kept in
//! SQLite in the data directory. One writer thread owns the connection and commits in
//! groups — every request waiting at that moment shares one transaction and one fsync — so
//! that an event is durable before its 202 and thousands of deliveries a second still fit.
//! Readers open their own connections (WAL lets them read while the writer writes).
//!
//! The store never drops a write: when it cannot write (a full disk), changes wait with the
//! writer until it can, requests are answered "unavailable", and [`Store::writable`] says so
//! until a write commits again.

mod apply;
mod error;
mod health;
pub mod read;
mod schema;
pub mod status;
pub mod write;
mod writer;

pub use error::StoreError;
pub use read::{ChangeRow, EventRow, JobRow, ListFilter, LogRow, RunRow, StepRow};
/// A read-only handle on the store ([`Store::reader`]) that [`read`]'s queries take; re-exported
/// so that callers need not depend on rusqlite themselves.
pub use rusqlite::Connection;
pub use status::{Progress, Status, UnknownStatus};
pub use write::{Accepted, Answer, NewEvent, NewRun, Op, Store};
pub use writer::RETRY;

#[cfg(test)]
mod tests;
