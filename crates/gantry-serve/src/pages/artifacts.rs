//! The run page's artifacts: what the attempt shown uploaded (`actions/upload-artifact`),
//! read from the artifact store as `/api/runs/{id}/artifacts` reads it, each with its size,
//! when it was made and when it expires. Listed once they exist: on the page as served, and
//! on a live page when the run ends (pages.js takes the list from the page then). When
//! the store cannot be read, the page says so instead of showing none.

use super::App;
use gantry_engine::backend::ContainerBackend;
use gantry_results::ArtifactSummary;
use serde::Serialize;

#[derive(Debug, Serialize, PartialEq)]
pub struct ArtifactView {
    name: String,
    size: String,
    created: String,
    expires: String,
}

/// The artifacts of an attempt, or that they could not be read.
#[derive(Debug, Serialize, PartialEq)]
#[serde(tag = "kind", content = "list", rename_all = "snake_case")]
pub enum Artifacts {
    Listed(Vec<ArtifactView>),
    /// The artifact store failed (logged); the page says it could not read them.
    Unreadable,
}

/// The artifacts attempt `n` of run `id` uploaded (none when no artifact service runs).
pub async fn of<B: ContainerBackend>(app: &App<B>, id: i64, n: i64) -> Artifacts {
    match crate::api::attempt_artifacts(app, id, n).await {
        Ok(list) => Artifacts::Listed(list.iter().map(view).collect()),
        Err(e) => {
            tracing::error!(run = id, attempt = n, error = %e, "reading a run's artifacts for its page");
            Artifacts::Unreadable
        }
    }
}

fn view(a: &ArtifactSummary) -> ArtifactView {
    ArtifactView {
        name: a.name.clone(),
        size: size(a.size),
        created: a.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        expires: a.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// Bytes as people read them: `512 B`, `1.5 KiB`, `3.2 MiB`, `1.1 GiB`.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn sizes_read_as_people_read_them() {
        let table = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536, "1.5 KiB"),
            (5 * 1024 * 1024, "5.0 MiB"),
            (3 * 1024 * 1024 * 1024 + 1, "3.0 GiB"),
            (u64::MAX, "16777216.0 TiB"),
        ];
        for (bytes, want) in table {
            assert_eq!(size(bytes), want, "{bytes}");
        }
    }

    #[test]
    fn an_artifact_shows_its_name_size_and_times() {
        let at = |h| Utc.with_ymd_and_hms(2026, 12, 7, h, 5, 0).unwrap();
        let a = ArtifactSummary {
            id: 1,
            name: "<report>".into(),
            size: 2048,
            digest: None,
            created_at: at(10),
            expires_at: at(11),
        };
        let want = ArtifactView {
            name: "<report>".into(),
            size: "2.0 KiB".into(),
            created: "2026-12-07 10:05 UTC".into(),
            expires: "2026-12-07 11:05 UTC".into(),
        };
        assert_eq!(view(&a), want);
    }
}
