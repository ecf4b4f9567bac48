//! Loads the compatibility corpus for the benchmarks (fails loudly when it is missing).

use std::path::{Path, PathBuf};

pub fn dir() -> PathBuf {
    let dir = std::env::var_os("GANTRY_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    assert!(
        dir.join("workflows").is_dir(),
        "the compatibility corpus is missing at {}",
        dir.display()
    );
    dir
}

/// Every workflow file's path and text.
pub fn workflows() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut repos: Vec<_> = std::fs::read_dir(dir().join("workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    repos.sort();
    for r in repos {
        let mut files: Vec<_> = std::fs::read_dir(&r)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            out.push((
                f.display().to_string(),
                std::fs::read_to_string(&f).unwrap(),
            ));
        }
    }
    out
}
