//! A cache entry's metadata object, and the summary the caller's API lists.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One cache entry of one repository, saved from one ref (its scope). Restorable once
/// `committed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CacheEntry {
    pub id: i64,
    pub repository: String,
    pub key: String,
    pub version: String,
    /// The full ref that saved it, e.g. `refs/heads/main`.
    pub scope: String,
    pub size: u64,
    pub blob_id: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub committed: bool,
}

/// A committed entry as the caller's API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheSummary {
    pub id: i64,
    pub key: String,
    pub version: String,
    pub git_ref: String,
    pub size: u64,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
}

impl From<&CacheEntry> for CacheSummary {
    fn from(e: &CacheEntry) -> Self {
        Self {
            id: e.id,
            key: e.key.clone(),
            version: e.version.clone(),
            git_ref: e.scope.clone(),
            size: e.size,
            created_at: e.created_at,
            last_used_at: e.last_used_at,
        }
    }
}
