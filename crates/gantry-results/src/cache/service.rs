//! The cache operations over the store, shared by both protocols: look up (and mark used),
//! reserve a key in the run's own ref, commit an upload, evict past the repository's limit.

use chrono::{DateTime, Utc};

use super::entry::CacheEntry;
use super::matching::{find, full_ref, restore_scopes};
use crate::grant::Claims;
use crate::layout;
use crate::service::Inner;
use crate::sink::Sink;
use crate::store::BlobInfo;
use crate::ResultsError;

/// What a restore asks for.
pub(crate) struct Lookup<'a> {
    pub primary: &'a str,
    pub restore_keys: &'a [String],
    pub version: &'a str,
}

impl Inner {
    pub(crate) async fn cache_entries(
        &self,
        repository: &str,
    ) -> Result<Vec<CacheEntry>, ResultsError> {
        self.store
            .list_json(&layout::caches_of_repository(repository))
            .await
    }

    async fn save_entry(&self, entry: &CacheEntry) -> Result<(), ResultsError> {
        self.store
            .put_json(&layout::cache_record(&entry.repository, entry.id), entry)
            .await
    }

    /// The entry GitHub's rules give this run, marked as used now.
    pub(crate) async fn cache_lookup(
        &self,
        claims: &Claims,
        lookup: &Lookup<'_>,
    ) -> Result<Option<CacheEntry>, ResultsError> {
        let scopes = restore_scopes(
            &claims.git_ref,
            claims.base_ref.as_deref(),
            claims.default_branch.as_deref(),
        );
        let _guard = self.meta_lock.lock().await;
        let entries = self.cache_entries(&claims.repository).await?;
        let Some(hit) = find(
            &entries,
            lookup.primary,
            lookup.restore_keys,
            lookup.version,
            &scopes,
        ) else {
            tracing::debug!(repository = %claims.repository, key = %lookup.primary, "cache miss");
            return Ok(None);
        };
        let mut hit = hit.clone();
        hit.last_used_at = Utc::now();
        self.save_entry(&hit).await?;
        tracing::info!(repository = %claims.repository, key = %hit.key, scope = %hit.scope, "cache hit");
        Ok(Some(hit))
    }

    /// A pending entry for `key` in the run's own ref. A key already saved (or being saved)
    /// there with this version cannot be created again.
    pub(crate) async fn cache_reserve(
        &self,
        claims: &Claims,
        key: &str,
        version: &str,
        size: Option<u64>,
    ) -> Result<CacheEntry, ResultsError> {
        validate_key(key, version)?;
        let max = self.config.limits.max_cache_entry_bytes;
        if size.is_some_and(|s| s > max) {
            return Err(ResultsError::TooLarge(format!(
                "a cache entry of at most {max} bytes"
            )));
        }
        let scope = full_ref(&claims.git_ref);
        let now = Utc::now();
        let _guard = self.meta_lock.lock().await;
        let entries = self.cache_entries(&claims.repository).await?;
        if entries
            .iter()
            .any(|e| e.key == key && e.version == version && e.scope == scope)
        {
            return Err(ResultsError::AlreadyExists(format!(
                "no cache entry {key} in {scope} yet (another job may be saving it)"
            )));
        }
        let entry = CacheEntry {
            id: self.next_id(now),
            repository: claims.repository.clone(),
            key: key.to_string(),
            version: version.to_string(),
            scope,
            size: 0,
            blob_id: Inner::new_blob_id()?,
            created_at: now,
            last_used_at: now,
            committed: false,
        };
        self.save_entry(&entry).await?;
        tracing::info!(repository = %entry.repository, key = %key, id = entry.id, "cache reserved");
        Ok(entry)
    }

    /// The run's pending entry, by id (v1) or by key and version (v2).
    pub(crate) async fn cache_pending(
        &self,
        claims: &Claims,
        pick: impl Fn(&CacheEntry) -> bool,
    ) -> Result<CacheEntry, ResultsError> {
        let scope = full_ref(&claims.git_ref);
        self.cache_entries(&claims.repository)
            .await?
            .into_iter()
            .find(|e| !e.committed && e.scope == scope && pick(e))
            .ok_or_else(|| {
                ResultsError::NotFound(
                    "a reserved, uncommitted cache entry of this run's ref".into(),
                )
            })
    }

    /// v2: the blob arrived through its signed URL; check its size and commit.
    pub(crate) async fn cache_finalize(
        &self,
        claims: &Claims,
        key: &str,
        version: &str,
        size: i64,
    ) -> Result<CacheEntry, ResultsError> {
        let _guard = self.meta_lock.lock().await;
        let entry = self
            .cache_pending(claims, |e| e.key == key && e.version == version)
            .await?;
        let info: BlobInfo = self
            .store
            .get_json(&layout::upload_committed(&entry.blob_id))
            .await?
            .ok_or_else(|| {
                ResultsError::FailedPrecondition(format!(
                    "the upload of cache {key} to be complete"
                ))
            })?;
        self.commit_entry(entry, &info, size).await
    }

    /// v1: the chunks arrived by PATCH; assemble them in offset order and commit.
    pub(crate) async fn cache_commit_chunks(
        &self,
        claims: &Claims,
        id: i64,
        size: i64,
    ) -> Result<CacheEntry, ResultsError> {
        let _guard = self.meta_lock.lock().await;
        let entry = self.cache_pending(claims, |e| e.id == id).await?;
        let info = self.assemble_chunks(&entry.blob_id).await?;
        self.commit_entry(entry, &info, size).await
    }

    async fn commit_entry(
        &self,
        mut entry: CacheEntry,
        info: &BlobInfo,
        size: i64,
    ) -> Result<CacheEntry, ResultsError> {
        if u64::try_from(size).ok() != Some(info.size) {
            return Err(ResultsError::InvalidArgument(format!(
                "size {size} to equal the {} bytes uploaded",
                info.size
            )));
        }
        entry.size = info.size;
        entry.committed = true;
        entry.last_used_at = Utc::now();
        self.save_entry(&entry).await?;
        self.store
            .delete_prefix(&layout::upload_dir(&entry.blob_id))
            .await?;
        tracing::info!(repository = %entry.repository, key = %entry.key, size = entry.size, "cache saved");
        self.evict(&entry.repository).await?;
        Ok(entry)
    }

    /// v1: stores one `Content-Range` chunk at its offset.
    pub(crate) async fn cache_store_chunk<S, E>(
        &self,
        claims: &Claims,
        id: i64,
        range: (u64, u64),
        body: S,
    ) -> Result<(), ResultsError>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let entry = self.cache_pending(claims, |e| e.id == id).await?;
        let (start, end) = range;
        let max = self.config.limits.max_cache_entry_bytes;
        if end < start || end >= max {
            return Err(ResultsError::InvalidArgument(format!(
                "a Content-Range within {max} bytes"
            )));
        }
        let path = chunk_path(&entry.blob_id, start);
        let info = Sink::write_stream(&self.store, &path, body, end - start + 1).await?;
        if info.size != end - start + 1 {
            self.store.delete(&path).await?;
            return Err(ResultsError::InvalidArgument(format!(
                "a body of {} bytes as its Content-Range says",
                end - start + 1
            )));
        }
        Ok(())
    }

    async fn assemble_chunks(&self, blob_id: &str) -> Result<BlobInfo, ResultsError> {
        let mut chunks = self
            .store
            .list(&layout::upload_dir(blob_id).join("chunks"))
            .await?;
        chunks.sort_by(|a, b| a.path.as_ref().cmp(b.path.as_ref()));
        let mut sink = Sink::open(
            &self.store,
            &layout::blob(blob_id),
            self.config.limits.max_cache_entry_bytes,
        )
        .await?;
        let mut offset = 0u64;
        for chunk in &chunks {
            let start = chunk.path.filename().and_then(|f| f.parse::<u64>().ok());
            let result = if start != Some(offset) {
                Err(ResultsError::InvalidArgument(format!(
                    "contiguous chunks (none starts at byte {offset})"
                )))
            } else {
                self.store.copy_into(&chunk.path, &mut sink).await
            };
            if let Err(e) = result {
                sink.abort().await;
                return Err(e);
            }
            offset += chunk.size;
        }
        sink.finish().await
    }

    /// Least recently used committed entries go until the repository fits its limit.
    pub(crate) async fn evict(&self, repository: &str) -> Result<usize, ResultsError> {
        let limit = self.config.limits.max_cache_bytes_per_repository;
        let mut entries: Vec<CacheEntry> = self
            .cache_entries(repository)
            .await?
            .into_iter()
            .filter(|e| e.committed)
            .collect();
        entries.sort_by_key(|e| (e.last_used_at, e.id));
        let mut total: u64 = entries.iter().map(|e| e.size).sum();
        let mut removed = 0;
        for entry in entries {
            if total <= limit {
                break;
            }
            total -= entry.size;
            self.remove_cache_entry(&entry).await?;
            tracing::info!(repository, key = %entry.key, "cache entry evicted (repository over its limit)");
            removed += 1;
        }
        Ok(removed)
    }

    pub(crate) async fn remove_cache_entry(&self, entry: &CacheEntry) -> Result<(), ResultsError> {
        self.store
            .delete(&layout::cache_record(&entry.repository, entry.id))
            .await?;
        self.store.delete(&layout::blob(&entry.blob_id)).await?;
        self.store
            .delete_prefix(&layout::upload_dir(&entry.blob_id))
            .await
    }
}

/// Chunks are named by their zero-padded offset, so name order is offset order.
fn chunk_path(blob_id: &str, start: u64) -> object_store::path::Path {
    layout::upload_dir(blob_id)
        .join("chunks")
        .join(format!("{start:020}"))
}

/// Keys as `@actions/cache` checks them: at most 512 characters, no commas.
fn validate_key(key: &str, version: &str) -> Result<(), ResultsError> {
    if key.is_empty() || key.len() > 512 || key.contains(',') {
        return Err(ResultsError::InvalidArgument(
            "a key of 1-512 characters without commas".into(),
        ));
    }
    if version.is_empty() || version.len() > 512 {
        return Err(ResultsError::InvalidArgument("a cache version".into()));
    }
    Ok(())
}

/// Whether an entry unused since `last_used_at` has expired at `now`.
pub(crate) fn unused_too_long(last_used_at: DateTime<Utc>, now: DateTime<Utc>, days: u32) -> bool {
    now - last_used_at > chrono::Duration::days(i64::from(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let cases = [
            ("npm-abc", "v", true),
            ("", "v", false),
            ("a,b", "v", false),
            ("k", "", false),
        ];
        for (key, version, ok) in cases {
            assert_eq!(validate_key(key, version).is_ok(), ok, "{key}");
        }
        assert!(validate_key(&"x".repeat(513), "v").is_err());
    }

    #[test]
    fn chunk_names_sort_by_offset() {
        let mut names = [chunk_path("b", 100), chunk_path("b", 9), chunk_path("b", 0)];
        names.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
        let offsets: Vec<u64> = names
            .iter()
            .map(|p| p.filename().unwrap().parse().unwrap())
            .collect();
        assert_eq!(offsets, vec![0, 9, 100]);
    }

    #[test]
    fn expiry_after_unused_days() {
        let t = DateTime::from_timestamp(0, 0).unwrap();
        let day = chrono::Duration::days(1);
        assert!(!unused_too_long(t, t + day * 7, 7));
        assert!(unused_too_long(
            t,
            t + day * 7 + chrono::Duration::seconds(1),
            7
        ));
    }
}
