//! The PostgreSQL run store: the same writes and reads as SQLite's, for instances that
//! share one store across hosts. Opening it applies the schema's migrations (`migrate`),
//! then starts the writer (`writer`, group commit as SQLite's) on a connection of its own;
//! readers take connections from a pool (`read`).
//!
//! The client is tokio-postgres with deadpool-postgres's pool (docs/scale.md, "Run store").

pub(crate) mod apply;
mod batch;
pub(crate) mod carry;
mod control;
mod fence;
mod lease;
pub mod migrate;
pub mod read;
pub(crate) use control::{cancel_requests, group};
pub mod tls;
pub(crate) mod writer;

use crate::error::StoreError;
use crate::health::Health;
use crate::write::Msg;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_postgres::NoTls;

/// Connections for reading at most (API requests, the scheduler's sweeps).
const READERS: usize = 16;

/// Where the server is and how to reach it (`[store]`: URL, password, TLS).
#[derive(Clone)]
pub struct Postgres {
    pub config: tokio_postgres::Config,
    pub tls: tls::Tls,
}

/// Shows where, never the password (tokio-postgres's `Config` hides it), and whether TLS.
impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tls = match self.tls {
            tls::Tls::Clear => "clear",
            tls::Tls::Verified(_) => "verified",
        };
        f.debug_struct("Postgres")
            .field("config", &self.config)
            .field("tls", &tls)
            .finish()
    }
}

/// A pool of `size` connections to `pg`.
pub fn pool(pg: &Postgres, size: usize) -> Result<Pool, StoreError> {
    let how = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match &pg.tls {
        tls::Tls::Clear => Manager::from_config(pg.config.clone(), NoTls, how),
        tls::Tls::Verified(t) => Manager::from_config(pg.config.clone(), t.clone(), how),
    };
    Pool::builder(manager)
        .max_size(size)
        .build()
        .map_err(|e| StoreError::Config(format!("url: a connection pool: {e}")))
}

/// Connects, migrates the schema to the latest version and starts the writer on `rx`; the
/// readers' pool.
pub async fn open(
    cfg: &Postgres,
    rx: mpsc::Receiver<Msg>,
    owner: &str,
    health: Arc<Health>,
) -> Result<Pool, StoreError> {
    let readers = pool(cfg, READERS)?;
    let mut c = readers.get().await?;
    migrate::migrate(&mut c, migrate::latest()).await?;
    drop(c);
    writer::start(pool(cfg, 1)?, rx, owner, health)?;
    Ok(readers)
}
