//! The PostgreSQL run store: the same writes and reads as SQLite's, for instances that
//! share one store across hosts. Opening it applies the schema's migrations (`migrate`),
//! then starts the writer (`writer`, group commit as SQLite's) on a connection of its own;
//! readers take connections from a pool (`read`).
//!
//! The client is tokio-postgres with deadpool-postgres's pool (docs/scale.md, "Run store").

mod apply;
mod batch;
mod lease;
pub mod migrate;
pub mod read;
mod writer;

use crate::error::StoreError;
use crate::health::Health;
use crate::write::Msg;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_postgres::NoTls;

/// Connections for reading at most (API requests, the scheduler's sweeps).
const READERS: usize = 16;

/// A pool of `size` connections to `cfg`.
pub fn pool(cfg: &tokio_postgres::Config, size: usize) -> Result<Pool, StoreError> {
    let manager = Manager::from_config(
        cfg.clone(),
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .build()
        .map_err(|e| StoreError::Config(format!("url: a connection pool: {e}")))
}

/// Connects, migrates the schema to the latest version and starts the writer on `rx`; the
/// readers' pool.
pub async fn open(
    cfg: &tokio_postgres::Config,
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
