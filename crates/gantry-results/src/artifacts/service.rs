//! The artifact operations, over the store: create (a pending record and a signed upload
//! URL), finalize (size and digest checked against what arrived), list, sign a download URL,
//! delete. Every operation is scoped to the token's run.

use chrono::{DateTime, Duration, Utc};

use super::record::{visible, ArtifactRecord};
use crate::grant::Claims;
use crate::layout;
use crate::service::Inner;
use crate::signing::Access;
use crate::store::BlobInfo;
use crate::ResultsError;

impl Inner {
    pub(crate) async fn artifact_records(
        &self,
        run_id: u64,
    ) -> Result<Vec<ArtifactRecord>, ResultsError> {
        self.store
            .list_json(&layout::artifacts_of_run(run_id))
            .await
    }

    /// The expiry GitHub would set: the client's `expires_at`, at most the retention limit.
    fn artifact_expiry(&self, now: DateTime<Utc>, asked: Option<DateTime<Utc>>) -> DateTime<Utc> {
        let ceiling = now + Duration::days(i64::from(self.config.limits.artifact_retention_days));
        asked
            .filter(|a| *a > now)
            .map_or(ceiling, |a| a.min(ceiling))
    }

    pub(crate) async fn artifact_create(
        &self,
        claims: &Claims,
        name: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<String, ResultsError> {
        validate_name(name)?;
        let now = Utc::now();
        let _guard = self.meta_lock.lock().await;
        for existing in self.artifact_records(claims.run_id).await? {
            if existing.name != name {
                continue;
            }
            if existing.finalized {
                return Err(ResultsError::AlreadyExists(format!(
                    "no artifact named {name} in this run (delete it first to replace it)"
                )));
            }
            self.remove_artifact(&existing).await?;
        }
        let record = ArtifactRecord {
            id: self.next_id(now),
            run_id: claims.run_id,
            job_backend_id: claims.job_backend_id(),
            name: name.to_string(),
            blob_id: Inner::new_blob_id()?,
            size: 0,
            digest: None,
            created_at: now,
            expires_at: self.artifact_expiry(now, expires_at),
            finalized: false,
        };
        self.store
            .put_json(&layout::artifact_record(record.run_id, record.id), &record)
            .await?;
        tracing::info!(run_id = record.run_id, artifact = %name, id = record.id, "artifact created");
        let max = self.config.limits.max_artifact_bytes;
        Ok(self.signed_url(claims, &record.blob_id, Access::Write, max))
    }

    pub(crate) async fn artifact_finalize(
        &self,
        claims: &Claims,
        name: &str,
        size: i64,
        hash: Option<&str>,
    ) -> Result<i64, ResultsError> {
        let _guard = self.meta_lock.lock().await;
        let mut record = self
            .artifact_records(claims.run_id)
            .await?
            .into_iter()
            .find(|r| r.name == name && !r.finalized)
            .ok_or_else(|| {
                ResultsError::NotFound(format!("a created, unfinalized artifact {name}"))
            })?;
        let info: BlobInfo = self
            .store
            .get_json(&layout::upload_committed(&record.blob_id))
            .await?
            .ok_or_else(|| {
                ResultsError::FailedPrecondition(format!("the upload of {name} to be complete"))
            })?;
        check_upload(&info, size, hash)?;
        record.size = info.size;
        record.digest = Some(format!("sha256:{}", info.sha256));
        record.finalized = true;
        self.store
            .put_json(&layout::artifact_record(record.run_id, record.id), &record)
            .await?;
        self.store
            .delete_prefix(&layout::upload_dir(&record.blob_id))
            .await?;
        tracing::info!(run_id = record.run_id, artifact = %name, id = record.id, size = record.size, "artifact finalized");
        Ok(record.id)
    }

    pub(crate) async fn artifact_list(
        &self,
        claims: &Claims,
        name: Option<&str>,
        id: Option<i64>,
    ) -> Result<Vec<ArtifactRecord>, ResultsError> {
        let all = visible(self.artifact_records(claims.run_id).await?, Utc::now());
        Ok(all
            .into_iter()
            .filter(|r| name.is_none_or(|n| r.name == n) && id.is_none_or(|i| r.id == i))
            .collect())
    }

    async fn artifact_named(
        &self,
        claims: &Claims,
        name: &str,
    ) -> Result<ArtifactRecord, ResultsError> {
        self.artifact_list(claims, Some(name), None)
            .await?
            .pop()
            .ok_or_else(|| ResultsError::NotFound(format!("an artifact named {name} in this run")))
    }

    pub(crate) async fn artifact_signed_url(
        &self,
        claims: &Claims,
        name: &str,
    ) -> Result<String, ResultsError> {
        let record = self.artifact_named(claims, name).await?;
        Ok(self.signed_url(claims, &record.blob_id, Access::Read, 0))
    }

    pub(crate) async fn artifact_delete(
        &self,
        claims: &Claims,
        name: &str,
    ) -> Result<i64, ResultsError> {
        let _guard = self.meta_lock.lock().await;
        let record = self.artifact_named(claims, name).await?;
        self.remove_artifact(&record).await?;
        tracing::info!(run_id = record.run_id, artifact = %name, id = record.id, "artifact deleted");
        Ok(record.id)
    }

    /// Removes an artifact's record first (so it is never listed without its blob), then
    /// its blob and any upload leftovers.
    pub(crate) async fn remove_artifact(
        &self,
        record: &ArtifactRecord,
    ) -> Result<(), ResultsError> {
        self.store
            .delete(&layout::artifact_record(record.run_id, record.id))
            .await?;
        self.store.delete(&layout::blob(&record.blob_id)).await?;
        self.store
            .delete_prefix(&layout::upload_dir(&record.blob_id))
            .await
    }
}

/// Names as GitHub accepts them: non-empty, no path separators or characters NTFS refuses.
fn validate_name(name: &str) -> Result<(), ResultsError> {
    const FORBIDDEN: &[char] = &['"', ':', '<', '>', '|', '*', '?', '\r', '\n', '\\', '/'];
    if name.trim().is_empty() || name.len() > 256 || name.contains(FORBIDDEN) {
        return Err(ResultsError::InvalidArgument(format!(
            "an artifact name of 1-256 characters without any of {FORBIDDEN:?}"
        )));
    }
    Ok(())
}

/// The client's size and `sha256:<hex>` hash must match what the service received.
pub(crate) fn check_upload(
    info: &BlobInfo,
    size: i64,
    hash: Option<&str>,
) -> Result<(), ResultsError> {
    if u64::try_from(size).ok() != Some(info.size) {
        return Err(ResultsError::InvalidArgument(format!(
            "size {size} to equal the {} bytes uploaded",
            info.size
        )));
    }
    if let Some(hash) = hash.filter(|h| !h.is_empty()) {
        let hex = hash.strip_prefix("sha256:").unwrap_or(hash);
        if !hex.eq_ignore_ascii_case(&info.sha256) {
            return Err(ResultsError::InvalidArgument(
                "a sha256 hash equal to the uploaded content's".into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_checks() {
        let info = BlobInfo {
            size: 3,
            sha256: "ab12".into(),
        };
        let cases: &[(i64, Option<&str>, bool)] = &[
            (3, Some("sha256:ab12"), true),
            (3, Some("sha256:AB12"), true),
            (3, None, true),
            (3, Some(""), true),
            (4, Some("sha256:ab12"), false),
            (-1, None, false),
            (3, Some("sha256:ffff"), false),
        ];
        for (size, hash, ok) in cases {
            assert_eq!(
                check_upload(&info, *size, *hash).is_ok(),
                *ok,
                "{size} {hash:?}"
            );
        }
    }

    #[test]
    fn names() {
        let cases = [
            ("dist", true),
            ("my artifact-1.2", true),
            ("", false),
            ("a/b", false),
            ("a:b", false),
        ];
        for (name, ok) in cases {
            assert_eq!(validate_name(name).is_ok(), ok, "{name}");
        }
    }
}
