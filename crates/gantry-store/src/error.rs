//! Errors of the run store, with the operation that failed, and which of them mean the
//! store itself cannot write now (a full disk, an I/O error...) rather than that one
//! operation was wrong: the first kind stops intake until the store writes again.

use rusqlite::ErrorCode;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("run store {what}: {source}")]
    Sqlite {
        what: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// The store cannot write now; what was asked was not recorded. `cause` is SQLite's
    /// own words (`database or disk is full`), which name no path.
    #[error("the run store cannot write now ({cause})")]
    Unavailable { cause: String },
    #[error("run store (PostgreSQL) {what}: {source}")]
    Postgres {
        what: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
    /// No connection to PostgreSQL could be had (the server is down or refuses us).
    #[error("run store (PostgreSQL): no connection: {}", causes(.0))]
    Pool(#[from] deadpool_postgres::PoolError),
    /// A row holds text the store does not know (see [`UnknownStatus`]).
    #[error("run store {what}: {source}")]
    Unknown {
        what: &'static str,
        #[source]
        source: crate::status::UnknownStatus,
    },
    /// The `[store]` settings are not usable; says which and what was expected.
    #[error("[store] {0}")]
    Config(String),
    #[error("run store: the writer has stopped")]
    Closed,
    #[error("run store: {0}")]
    Io(#[from] std::io::Error),
    /// A JSON column (`runs.why`, `runs.graph`) holds text that does not parse.
    #[error("run store {what}: {source}")]
    Malformed {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

pub fn sql(what: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { what, source }
}

impl StoreError {
    /// The store could not write, whatever was asked: retrying the same thing later may
    /// succeed, and meanwhile the service should not accept what it cannot record.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unavailable { .. } | StoreError::Closed | StoreError::Io(_) => true,
            StoreError::Sqlite { source, .. } => is_store_fault(source),
            StoreError::Postgres { source, .. } => is_pg_fault(source),
            StoreError::Pool(_) => true,
            StoreError::Unknown { .. } | StoreError::Config(_) | StoreError::Malformed { .. } => {
                false
            }
        }
    }
}

/// SQLite failed because of the database or its disk, not because of the statement: every
/// write would fail alike until the cause goes away.
pub fn is_store_fault(e: &rusqlite::Error) -> bool {
    let rusqlite::Error::SqliteFailure(f, _) = e else {
        return false;
    };
    matches!(
        f.code,
        ErrorCode::DiskFull
            | ErrorCode::SystemIoFailure
            | ErrorCode::ReadOnly
            | ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::CannotOpen
            | ErrorCode::DatabaseCorrupt
            | ErrorCode::NotADatabase
            | ErrorCode::OutOfMemory
            | ErrorCode::PermissionDenied
            | ErrorCode::FileLockingProtocolFailed
            | ErrorCode::NoLargeFileSupport
            | ErrorCode::OperationInterrupted
    )
}

pub fn pg(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |source| StoreError::Postgres { what, source }
}

/// PostgreSQL failed because of the server or the connection, not because of the
/// statement: no answer from the server at all (a closed connection, I/O), or a class of
/// error that says so (08 connection, 40 transaction rolled back such as a deadlock, 53
/// resources such as a full disk, 57 operator intervention such as a shutdown, 58 system,
/// XX internal). The same statement may well succeed later: its change is kept, not dropped.
pub fn is_pg_fault(e: &tokio_postgres::Error) -> bool {
    let Some(db) = e.as_db_error() else {
        return true;
    };
    let code = db.code().code();
    ["08", "40", "53", "57", "58", "XX"]
        .iter()
        .any(|class| code.starts_with(class))
}

/// An error with every cause under it (`a: b: c`): a TLS handshake's failure says only
/// "error performing TLS handshake" until its cause ("invalid peer certificate: ...") is
/// shown. The causes of a connection failure name no password.
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let more = cause.to_string();
        if !text.ends_with(&more) {
            text = format!("{text}: {more}");
        }
        next = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn the_disk_and_the_database_are_store_faults_a_bad_statement_is_not() {
        use rusqlite::ffi;
        let table = [
            (ffi::SQLITE_FULL, true),
            (ffi::SQLITE_IOERR, true),
            (ffi::SQLITE_READONLY, true),
            (ffi::SQLITE_BUSY, true),
            (ffi::SQLITE_CORRUPT, true),
            (ffi::SQLITE_CONSTRAINT, false),
            (ffi::SQLITE_MISMATCH, false),
            (ffi::SQLITE_TOOBIG, false),
            (ffi::SQLITE_ERROR, false),
        ];
        for (code, fault) in table {
            assert_eq!(is_store_fault(&failure(code)), fault, "code {code}");
            let e = StoreError::Sqlite {
                what: "insert",
                source: failure(code),
            };
            assert_eq!(e.is_unavailable(), fault, "code {code}");
        }
        assert!(!is_store_fault(&rusqlite::Error::QueryReturnedNoRows));
        assert!(StoreError::Unavailable {
            cause: "database or disk is full".into()
        }
        .is_unavailable());
    }
}
