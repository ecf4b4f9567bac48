//! Making the workspace available to containers: by default a labelled volume per job that
//! the job container fills from a tar of the directory, so that the host copy is never
//! modified (a step may empty its workspace, as `actions/checkout` does) and a remote engine
//! works too; or, when the user asks (`--bind`), a bind mount of the host directory.
//! Like act, the copy leaves out what `.gitignore` files exclude (build output such as
//! `target/` can be gigabytes), and keeps `.git` whole, since steps run git.

use std::path::Path;

/// A tar of `dir` (the `.git` directory included: steps may run git), deterministic:
/// sorted entries, zero times and owners, so that equal trees give equal bytes.
pub fn tar_dir(dir: &Path) -> std::io::Result<Vec<u8>> {
    let mut entries = Vec::new();
    collect(dir, dir, &mut entries)?;
    tar_entries(dir, entries)
}

/// As [`tar_dir`], leaving out what the directory's `.gitignore` files (and
/// `.git/info/exclude`) exclude; `.git` itself is copied whole.
pub fn tar_workspace(dir: &Path) -> std::io::Result<Vec<u8>> {
    let mut entries = Vec::new();
    let walk = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .git_global(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for e in walk {
        let e = e.map_err(std::io::Error::other)?;
        let rel = e.path().strip_prefix(dir).map_err(std::io::Error::other)?;
        if !rel.as_os_str().is_empty() {
            entries.push(rel.to_path_buf());
        }
    }
    let git = dir.join(".git");
    if std::fs::symlink_metadata(&git).is_ok() {
        entries.push(".git".into());
        if git.is_dir() {
            collect(dir, &git, &mut entries)?;
        }
    }
    tar_entries(dir, entries)
}

fn tar_entries(dir: &Path, mut entries: Vec<std::path::PathBuf>) -> std::io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    b.mode(tar::HeaderMode::Deterministic);
    b.follow_symlinks(false);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(tar: &[u8]) -> Vec<String> {
        let mut a = tar::Archive::new(tar);
        let mut out: Vec<String> = a
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn the_copy_leaves_out_ignored_files_and_keeps_git() {
        let d = tempfile::tempdir().unwrap();
        let w = |rel: &str| {
            let p = d.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, rel).unwrap();
        };
        w(".gitignore");
        std::fs::write(d.path().join(".gitignore"), "/target\n*.log\n").unwrap();
        for f in [
            "src/main.rs",
            "target/debug/big",
            "build.log",
            ".git/HEAD",
            ".github/ci.yml",
        ] {
            w(f);
        }
        let got = names(&tar_workspace(d.path()).unwrap());
        for kept in [
            ".git",
            ".git/HEAD",
            ".github/ci.yml",
            ".gitignore",
            "src/main.rs",
        ] {
            assert!(
                got.iter().any(|n| n.trim_end_matches('/') == kept),
                "{kept}: {got:?}"
            );
        }
        for left in ["target", "target/debug/big", "build.log"] {
            assert!(
                !got.iter().any(|n| n.trim_end_matches('/') == left),
                "{left}: {got:?}"
            );
        }
        let all = names(&tar_dir(d.path()).unwrap());
        assert!(
            all.iter().any(|n| n == "target/debug/big"),
            "tar_dir copies all"
        );
    }
}
