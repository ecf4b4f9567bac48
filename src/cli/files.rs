//! Finding the workflow and action files a command should read.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The directories searched when no path is given, in the order a user expects.
pub const DEFAULT_DIRS: &[&str] = &[".github/workflows", "workflows"];

/// Expands files and directories (recursively) into a sorted list of YAML files.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if paths.is_empty() {
        for d in DEFAULT_DIRS {
            if Path::new(d).is_dir() {
                walk(Path::new(d), &mut out)?;
            }
        }
        if out.is_empty() {
            bail!(
                "no workflow files found: give a path, or run where {} exists",
                DEFAULT_DIRS.join(" or ")
            );
        }
    }
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("cannot read {}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let path = entry.path();
        let ty = entry.file_type()?;
        if ty.is_dir() {
            walk(&path, out)?;
        } else if is_yaml(&path) {
            out.push(path);
        }
    }
    Ok(())
}
