//! Making the workspace available to containers: a bind mount of the host directory, or
//! (`--copy-workspace`) a labelled volume per job that the job container fills from a tar of
//! the directory, so that the host copy is never modified and a remote engine works too.

use std::path::Path;

/// A tar of `dir` (the `.git` directory included: steps may run git), deterministic:
/// sorted entries, zero times and owners, so that equal trees give equal bytes.
pub fn tar_dir(dir: &Path) -> std::io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    b.mode(tar::HeaderMode::Deterministic);
    b.follow_symlinks(false);
    let mut entries = Vec::new();
    collect(dir, dir, &mut entries)?;
    entries.sort();
    for rel in entries {
        let full = dir.join(&rel);
        b.append_path_with_name(&full, &rel)?;
    }
    b.into_inner()
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        let rel = p
            .strip_prefix(root)
            .map_err(std::io::Error::other)?
            .to_path_buf();
        let ft = e.file_type()?;
        out.push(rel);
        if ft.is_dir() {
            collect(root, &p, out)?;
        }
    }
    Ok(())
}
