//! Shared by the integration tests: where the compatibility corpus is, and its YAML files.
//! A test that needs the corpus fails loudly when it is missing rather than passing.

use std::path::{Path, PathBuf};

pub fn corpus() -> PathBuf {
    let dir = std::env::var_os("GANTRY_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    assert!(dir.join("workflows").is_dir(), "the compatibility corpus is missing at {} (expected ../shared/corpus beside the project, or set GANTRY_CORPUS)", dir.display());
    dir
}

/// Every `.yml`/`.yaml` file below `dir`, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yml" | "yaml")) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
