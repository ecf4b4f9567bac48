//! Errors of the run store, with the operation that failed.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("run store {what}: {source}")]
    Sqlite {
        what: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("run store: the writer has stopped")]
    Closed,
    #[error("run store: {0}")]
    Io(#[from] std::io::Error),
}

pub fn sql(what: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { what, source }
}
