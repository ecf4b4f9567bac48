//! The run store: every accepted event, run, job, step, status change and log line, kept in
//! SQLite in the data directory, or in PostgreSQL when `[store] url` names one (`pg`; the
//! same messages to a writer of its own, the same queries through [`Reader`]). One writer
//! thread owns the connection and commits in groups — every request waiting at that moment shares one transaction and one fsync — so
//! that an event is durable before its 202 and thousands of deliveries a second still fit.
//! Readers open their own connections (WAL lets them read while the writer writes).
//!
//! The store never drops a write: when it cannot write (a full disk), changes wait with the
//! writer until it can, requests are answered "unavailable", and [`Store::writable`] says so
//! until a write commits again. The one exception is fencing (`fence`): a change sent for a
//! run's attempt that is no longer this instance's (another instance took the run over) is
//! dropped, so that a run executed twice is recorded once. The run pages' login sessions
//! live here too (`sessions`), so that every instance sharing the store knows them.

mod apply;
pub mod carry;
mod carry_apply;
pub mod config;
pub mod control;
mod control_apply;
mod error;
pub mod fence;
mod fence_apply;
mod groups;
mod health;
mod held;
pub mod lease;
mod lease_apply;
mod pg;
pub mod read;
mod rows;
pub mod run_plan;
mod schema;
pub mod sessions;
mod sqlite_read;
pub mod status;
pub mod write;
mod writer;

pub use carry::Kept;
pub use config::StoreConfig;
pub use control::{Cancel, Entered, Rerun, Turn};
pub use error::StoreError;
pub use lease::{Attempt, Lease, TakeOver, Taken, DEFAULT_LEASE};
pub use read::{ChangeRow, EventRow, JobRow, ListFilter, LogRow, Origins, Reader, RunRow, StepRow};
pub use run_plan::{PlannedJob, RunPlan};
pub use status::{Progress, Status, UnknownStatus};
pub use write::{Accepted, Answer, NewEvent, NewRun, Op, Store};
pub use writer::RETRY;

#[cfg(any(test, feature = "testpg"))]
pub mod testpg;
#[cfg(test)]
mod tests;
