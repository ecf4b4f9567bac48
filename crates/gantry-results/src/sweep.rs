//! Retention: what `sweep(now)` removes (expired artifacts, cache entries unused for too long,
//! uploads abandoned for a day) and the listings the caller's API shows.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::artifacts::record::{visible, ArtifactRecord, ArtifactSummary};
use crate::cache::entry::{CacheEntry, CacheSummary};
use crate::cache::service::unused_too_long;
use crate::{layout, ResultsError, ResultsService};

/// An upload not finished within this long is abandoned.
const ABANDONED_AFTER_HOURS: i64 = 24;

/// What one sweep removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub artifacts: usize,
    pub cache_entries: usize,
    pub upload_objects: usize,
}

impl ResultsService {
    /// Removes what has expired at `now`. The caller runs it periodically.
    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<SweepReport, ResultsError> {
        let inner = &self.inner;
        let _guard = inner.meta_lock.lock().await;
        let abandoned = now - Duration::hours(ABANDONED_AFTER_HOURS);
        let mut report = SweepReport::default();
        let artifacts: Vec<ArtifactRecord> =
            inner.store.list_json(&layout::artifacts_root()).await?;
        for record in artifacts {
            if record.expires_at <= now || (!record.finalized && record.created_at < abandoned) {
                inner.remove_artifact(&record).await?;
                report.artifacts += 1;
            }
        }
        let entries: Vec<CacheEntry> = inner.store.list_json(&layout::caches_root()).await?;
        let days = inner.config.limits.cache_unused_days;
        let mut repositories = Vec::new();
        for entry in entries {
            let stale = if entry.committed {
                unused_too_long(entry.last_used_at, now, days)
            } else {
                entry.created_at < abandoned
            };
            if stale {
                inner.remove_cache_entry(&entry).await?;
                report.cache_entries += 1;
            } else if !repositories.contains(&entry.repository) {
                repositories.push(entry.repository);
            }
        }
        for repository in repositories {
            report.cache_entries += inner.evict(&repository).await?;
        }
        for listed in inner.store.list(&layout::uploads_root()).await? {
            if listed.last_modified < abandoned {
                inner.store.delete(&listed.path).await?;
                report.upload_objects += 1;
            }
        }
        tracing::info!(?report, "results sweep");
        Ok(report)
    }

    /// The run's finished, unexpired artifacts.
    pub async fn list_artifacts(&self, run_id: u64) -> Result<Vec<ArtifactSummary>, ResultsError> {
        let records = self.inner.artifact_records(run_id).await?;
        Ok(visible(records, Utc::now())
            .iter()
            .map(ArtifactSummary::from)
            .collect())
    }

    /// The repository's committed cache entries, most recently used first.
    pub async fn list_caches(&self, repository: &str) -> Result<Vec<CacheSummary>, ResultsError> {
        let mut entries: Vec<CacheEntry> = self
            .inner
            .cache_entries(repository)
            .await?
            .into_iter()
            .filter(|e| e.committed)
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse((e.last_used_at, e.id)));
        Ok(entries.iter().map(CacheSummary::from).collect())
    }
}
