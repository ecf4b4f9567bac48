//! The files a pull request changed, from GitHub's compare API (`base...head`, the changes
//! of the head since its merge base), for `paths` filters of a GitHub-hosted repository's
//! pull requests. Read as plain JSON: only `files[].filename` (and a rename's
//! `previous_filename`) is needed, and octocrab's full comparison model requires every
//! commit field of the answer.

use super::FetchError;
use octocrab::Octocrab;
use serde_json::Value;

/// GitHub answers at most this many files; its `paths` filters see the same ones ("Diffs
/// are limited to 300 files").
pub const MAX_FILES: usize = 300;

pub(crate) async fn changed_files(
    client: &Octocrab,
    repository: &str,
    base: &str,
    head: &str,
) -> Result<Vec<String>, FetchError> {
    let route = format!("/repos/{repository}/compare/{base}...{head}");
    let answer: Value = client.get(route, None::<&()>).await.map_err(|e| {
        let status = match &e {
            octocrab::Error::GitHub { source, .. } => Some(source.status_code.as_u16()),
            _ => None,
        };
        FetchError::from_status(
            repository,
            &format!("{base}...{head}"),
            status,
            e.to_string(),
        )
    })?;
    Ok(files_of(&answer))
}

/// The paths in a compare answer's `files`, renamed files under both names.
fn files_of(answer: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let files = answer["files"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    for f in files.iter().take(MAX_FILES) {
        for key in ["filename", "previous_filename"] {
            if let Some(p) = f[key].as_str().filter(|p| !out.iter().any(|o| o == p)) {
                out.push(p.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn files_renames_and_githubs_limit() {
        let answer = json!({"files": [
            {"filename": "src/a.rs", "status": "modified"},
            {"filename": "docs/new.md", "previous_filename": "docs/old.md", "status": "renamed"},
            {"status": "modified"},
        ]});
        assert_eq!(
            files_of(&answer),
            ["src/a.rs", "docs/new.md", "docs/old.md"]
        );
        assert!(files_of(&json!({})).is_empty());
        let many: Vec<Value> = (0..400)
            .map(|i| json!({"filename": format!("f{i}")}))
            .collect();
        let listed = files_of(&json!({ "files": many }));
        assert_eq!(listed.len(), MAX_FILES);
        assert_eq!(listed.last().map(String::as_str), Some("f299"));
    }
}
