//! Which of this instance's workflow files a stored run names. A run records its workflow
//! file as the recording instance loaded it: relative to the repository for a repository's
//! (`.github/workflows/ci.yml`), but an absolute path into that instance's configured
//! directory for a named hook's or a Kafka topic's. Another instance sharing the store —
//! another host, or another directory on this one — runs it from its own directory, so an
//! absolute path matches a file of the same name there (those directories are flat).

use std::path::Path;

/// Whether `loaded` (a workflow this instance loaded) is the file `stored` (the run's).
pub fn same_file(loaded: &str, stored: &str) -> bool {
    if loaded == stored {
        return true;
    }
    let (a, b) = (Path::new(loaded), Path::new(stored));
    a.is_absolute() && b.is_absolute() && a.file_name().is_some() && a.file_name() == b.file_name()
}

#[cfg(test)]
mod tests {
    use super::same_file;

    #[test]
    fn absolute_paths_match_by_file_name_and_relative_ones_exactly() {
        let cases = [
            (".github/workflows/ci.yml", ".github/workflows/ci.yml", true),
            (
                ".github/workflows/ci.yml",
                ".github/workflows/other.yml",
                false,
            ),
            ("a/ci.yml", ".github/workflows/ci.yml", false),
            ("/srv/a/hooks/deploy.yml", "/srv/a/hooks/deploy.yml", true),
            ("/srv/b/hooks/deploy.yml", "/srv/a/hooks/deploy.yml", true),
            ("/srv/b/hooks/build.yml", "/srv/a/hooks/deploy.yml", false),
            ("/srv/b/deploy.yml", "deploy.yml", false),
            ("/", "/", true),
            ("/", "/x/", false),
        ];
        for (loaded, stored, want) in cases {
            assert_eq!(same_file(loaded, stored), want, "{loaded} vs {stored}");
        }
    }
}
