//! Test support: where the shared compatibility corpus is. A test that needs it fails
//! loudly when it is missing rather than passing without looking.

use std::path::PathBuf;

pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("GANTRY_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
    assert!(
        dir.join("workflows").is_dir(),
        "the compatibility corpus is missing at {} (expected ../shared/corpus beside the project, or set GANTRY_CORPUS)",
        dir.display()
    );
    dir
}
