//! Where everything lives in the store. Metadata is JSON under `meta/`, finished blobs under
//! `blobs/`, and an upload's staged blocks, chunks and commit record under `uploads/<blob>/`
//! (swept when abandoned).

use object_store::path::Path;

pub(crate) fn artifacts_root() -> Path {
    Path::from("meta").join("artifacts")
}

pub(crate) fn artifacts_of_run(run_id: u64) -> Path {
    artifacts_root().join(run_id.to_string())
}

pub(crate) fn artifact_record(run_id: u64, id: i64) -> Path {
    artifacts_of_run(run_id).join(format!("{id}.json"))
}

pub(crate) fn caches_root() -> Path {
    Path::from("meta").join("caches")
}

/// The repository name is one path segment (its `/` is percent-encoded by `child`).
pub(crate) fn caches_of_repository(repository: &str) -> Path {
    caches_root().join(repository)
}

pub(crate) fn cache_record(repository: &str, id: i64) -> Path {
    caches_of_repository(repository).join(format!("{id}.json"))
}

pub(crate) fn uploads_root() -> Path {
    Path::from("uploads")
}

pub(crate) fn upload_dir(blob_id: &str) -> Path {
    uploads_root().join(blob_id)
}

/// The size and digest of an upload whose last byte arrived, waiting for finalize/commit.
pub(crate) fn upload_committed(blob_id: &str) -> Path {
    upload_dir(blob_id).join("committed.json")
}

pub(crate) fn blob(blob_id: &str) -> Path {
    Path::from("blobs").join(blob_id)
}

/// Blob ids are 32 lower-case hex digits; anything else in a URL is refused before it
/// becomes a path.
pub(crate) fn is_blob_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_is_one_segment() {
        let path = cache_record("owner/name", 5);
        assert_eq!(path.parts().count(), 4, "{path}");
        assert!(
            path.as_ref().starts_with("meta/caches/owner%2Fname/"),
            "{path}"
        );
    }

    #[test]
    fn blob_ids_are_hex() {
        let cases = [
            ("0123456789abcdef0123456789abcdef", true),
            ("0123456789ABCDEF0123456789abcdef", false),
            ("../../../../etc/passwd/../../../x", false),
            ("abc", false),
        ];
        for (id, ok) in cases {
            assert_eq!(is_blob_id(id), ok, "{id}");
        }
    }
}
