//! The run pages' login sessions, in the store so that every instance sharing it knows them
//! (a load balancer may send each request elsewhere; a logout on one ends the session on
//! all). A row holds only the SHA-256 of the session's cookie value (the key), the name and
//! scope of the `[[api.tokens]]` entry it logged in with, a check binding it to that token's
//! value (see [`SessionRow::token_check`]), and its expiry: the cookie value
//! is a secret and never reaches the store, and neither does the CSRF token (the service
//! derives it from the cookie value). Expired rows are never found and are swept.
//!
//! Sessions are written on the reader's own connection, not through the writer: they are
//! no run's history (no fencing, no ordering with other changes), and a login must know its
//! row is there before it answers. A store that cannot be reached is an error, and the
//! service logs nobody in then.

use super::error::{pg, sql, StoreError};
use super::read::Reader;
use rusqlite::OptionalExtension;
use std::sync::Mutex;

/// The table, the same SQL on both backends (SQLite creates it on open; PostgreSQL's
/// migration 7).
pub(crate) const TABLE: &str = "CREATE TABLE IF NOT EXISTS sessions (
    id_sha256  TEXT PRIMARY KEY,
    token_name TEXT NOT NULL,
    scope      TEXT NOT NULL,
    token_check TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);";

/// A session as stored: whose token (its name and scope, as the service spells them) and
/// until when (milliseconds since the Unix epoch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub token_name: String,
    pub scope: String,
    /// Binds the session to the value its token had at login (the service derives it from
    /// the cookie value and the token's digest, so it reveals neither): a token given a new
    /// value under the same name ends the sessions opened with the old one.
    pub token_check: String,
    pub expires_at: i64,
}

/// Records session `id_sha256` (the hex SHA-256 of its cookie value).
pub async fn insert(r: &Reader, id_sha256: &str, row: &SessionRow) -> Result<(), StoreError> {
    const SQL: &str =
        "INSERT INTO sessions (id_sha256, token_name, scope, token_check, expires_at) VALUES ($1, $2, $3, $4, $5)";
    let (name, scope, check, at) = (
        &row.token_name,
        &row.scope,
        &row.token_check,
        &row.expires_at,
    );
    match r {
        Reader::Sqlite(c) => on(c, |c| {
            c.execute(SQL, rusqlite::params![id_sha256, name, scope, check, at])
                .map_err(sql("record a session"))
        })
        .map(drop),
        Reader::Postgres(c) => c
            .execute(SQL, &[&id_sha256, name, scope, check, at])
            .await
            .map(drop)
            .map_err(pg("record a session")),
    }
}

/// Session `id_sha256`, unless unknown or expired at `now` (ms).
pub async fn find(r: &Reader, id_sha256: &str, now: i64) -> Result<Option<SessionRow>, StoreError> {
    const SQL: &str = "SELECT token_name, scope, token_check, expires_at FROM sessions WHERE id_sha256 = $1 AND expires_at > $2";
    match r {
        Reader::Sqlite(c) => on(c, |c| {
            c.query_row(SQL, rusqlite::params![id_sha256, now], |row| {
                Ok(SessionRow {
                    token_name: row.get(0)?,
                    scope: row.get(1)?,
                    token_check: row.get(2)?,
                    expires_at: row.get(3)?,
                })
            })
            .optional()
            .map_err(sql("read a session"))
        }),
        Reader::Postgres(c) => {
            let found = c
                .query_opt(SQL, &[&id_sha256, &now])
                .await
                .map_err(pg("read a session"))?;
            let Some(row) = found else { return Ok(None) };
            let what = "read a session";
            Ok(Some(SessionRow {
                token_name: row.try_get(0).map_err(pg(what))?,
                scope: row.try_get(1).map_err(pg(what))?,
                token_check: row.try_get(2).map_err(pg(what))?,
                expires_at: row.try_get(3).map_err(pg(what))?,
            }))
        }
    }
}

/// Ends session `id_sha256` (a logout); unknown: nothing to do.
pub async fn remove(r: &Reader, id_sha256: &str) -> Result<(), StoreError> {
    const SQL: &str = "DELETE FROM sessions WHERE id_sha256 = $1";
    match r {
        Reader::Sqlite(c) => on(c, |c| {
            c.execute(SQL, [id_sha256])
                .map(drop)
                .map_err(sql("end a session"))
        }),
        Reader::Postgres(c) => c
            .execute(SQL, &[&id_sha256])
            .await
            .map(drop)
            .map_err(pg("end a session")),
    }
}

/// Deletes the sessions expired at `now` (ms); how many.
pub async fn sweep(r: &Reader, now: i64) -> Result<u64, StoreError> {
    const SQL: &str = "DELETE FROM sessions WHERE expires_at <= $1";
    match r {
        Reader::Sqlite(c) => on(c, |c| {
            c.execute(SQL, [now])
                .map(|n| n as u64)
                .map_err(sql("sweep expired sessions"))
        }),
        Reader::Postgres(c) => c
            .execute(SQL, &[&now])
            .await
            .map_err(pg("sweep expired sessions")),
    }
}

/// Runs a statement on the SQLite reader's connection.
fn on<T>(
    c: &Mutex<rusqlite::Connection>,
    f: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let guard = c.lock().unwrap_or_else(|p| p.into_inner());
    f(&guard)
}
