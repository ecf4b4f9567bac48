//! An artifact's metadata object, and the summary the caller's API lists.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One artifact of one run. It is visible once `finalized`; before that its blob is an
/// upload in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ArtifactRecord {
    pub id: i64,
    pub run_id: u64,
    pub job_backend_id: String,
    pub name: String,
    pub blob_id: String,
    pub size: u64,
    /// `sha256:<hex>` of the zip, as the client sent and the service checked it.
    pub digest: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub finalized: bool,
}

/// A finished artifact as the caller's API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArtifactSummary {
    pub id: i64,
    pub name: String,
    pub size: u64,
    pub digest: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<&ArtifactRecord> for ArtifactSummary {
    fn from(r: &ArtifactRecord) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
            size: r.size,
            digest: r.digest.clone(),
            created_at: r.created_at,
            expires_at: r.expires_at,
        }
    }
}

/// The latest finalized, unexpired artifact per name, by id.
pub(crate) fn visible(records: Vec<ArtifactRecord>, now: DateTime<Utc>) -> Vec<ArtifactRecord> {
    let mut latest: Vec<ArtifactRecord> = Vec::new();
    for r in records
        .into_iter()
        .filter(|r| r.finalized && r.expires_at > now)
    {
        match latest.iter_mut().find(|l| l.name == r.name) {
            Some(l) if l.id < r.id => *l = r,
            Some(_) => {}
            None => latest.push(r),
        }
    }
    latest.sort_by_key(|r| r.id);
    latest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: i64, name: &str, finalized: bool, expires_in_days: i64) -> ArtifactRecord {
        let now = DateTime::from_timestamp(1_000_000, 0).unwrap();
        ArtifactRecord {
            id,
            run_id: 1,
            job_backend_id: "j".into(),
            name: name.into(),
            blob_id: format!("b{id}"),
            size: 1,
            digest: None,
            created_at: now,
            expires_at: now + chrono::Duration::days(expires_in_days),
            finalized,
        }
    }

    #[test]
    fn visible_keeps_latest_finalized_unexpired_per_name() {
        let now = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let cases: Vec<(Vec<ArtifactRecord>, Vec<i64>)> = vec![
            (vec![rec(1, "a", true, 1), rec(2, "a", true, 1)], vec![2]),
            (vec![rec(2, "a", true, 1), rec(1, "a", true, 1)], vec![2]),
            (vec![rec(1, "a", true, 1), rec(2, "a", false, 1)], vec![1]),
            (vec![rec(1, "a", true, -1), rec(2, "b", true, 1)], vec![2]),
            (vec![rec(3, "b", true, 1), rec(1, "a", true, 1)], vec![1, 3]),
        ];
        for (records, want) in cases {
            let got: Vec<i64> = visible(records, now).iter().map(|r| r.id).collect();
            assert_eq!(got, want);
        }
    }
}
