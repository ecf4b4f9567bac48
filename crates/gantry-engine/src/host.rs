//! The contexts a step's expressions see at run time (`github`, `env`, `job`, `steps`,
//! `runner`, `secrets`, `strategy`, `matrix`, `needs`, `inputs`, `vars`), the job status
//! for `success()`/`failure()`, and `hashFiles` over the host's copy of the workspace.

use gantry_core::expr::{HashFilesError, Host, JobStatus, Value};
use gantry_core::filter::PatternList;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default)]
pub struct RunHost {
    pub contexts: HashMap<&'static str, Value>,
    pub status: JobStatus,
    /// The workspace on the host, for `hashFiles`; `None` disables it.
    pub workspace: Option<PathBuf>,
}

impl RunHost {
    pub fn set(&mut self, name: &'static str, v: Value) {
        self.contexts.insert(name, v);
    }
}

impl Host for RunHost {
    fn context(&self, name: &str) -> Option<Value> {
        self.contexts.get(name).cloned()
    }
    fn job_status(&self) -> JobStatus {
        self.status
    }
    fn hash_files(&self, patterns: &[String]) -> Result<String, HashFilesError> {
        let root = self.workspace.as_ref().ok_or(HashFilesError::NoWorkspace)?;
        hash_files(root, patterns)
    }
}

/// GitHub's `hashFiles`: the SHA-256 of the SHA-256s of every matching file, in path order;
/// empty when nothing matches. Patterns are relative to the workspace; `!` excludes.
pub fn hash_files(root: &Path, patterns: &[String]) -> Result<String, HashFilesError> {
    let list = PatternList::parse(gantry_core::filter::ListKind::Include, patterns)?;
    let mut files = Vec::new();
    walk(root, root, &mut files);
    files.sort();
    let mut outer = Sha256::new();
    let mut any = false;
    for rel in files {
        if !list.decide(&rel).matched {
            continue;
        }
        let Ok(bytes) = std::fs::read(root.join(&rel)) else {
            continue;
        };
        outer.update(Sha256::digest(&bytes));
        any = true;
    }
    Ok(if any {
        hex(&outer.finalize())
    } else {
        String::new()
    })
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if e.file_name() != ".git" {
                walk(root, &p, out);
            }
        } else if ft.is_file() {
            if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_files_is_stable_and_respects_patterns() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("src")).unwrap();
        std::fs::write(d.path().join("Cargo.lock"), "a").unwrap();
        std::fs::write(d.path().join("src/x.lock"), "b").unwrap();
        let all = hash_files(d.path(), &["**/*.lock".into()]).unwrap();
        assert_eq!(all.len(), 64);
        let one = hash_files(d.path(), &["**/*.lock".into(), "!src/**".into()]).unwrap();
        assert_ne!(all, one);
        assert_eq!(
            one,
            hash_files(d.path(), &["Cargo.lock".into()]).unwrap(),
            "the same single file hashes the same"
        );
        assert_eq!(hash_files(d.path(), &["*.none".into()]).unwrap(), "");
    }

    #[test]
    fn hash_files_errors_name_the_function_once() {
        let d = tempfile::tempdir().unwrap();
        let with = RunHost {
            workspace: Some(d.path().to_path_buf()),
            ..RunHost::default()
        };
        let table = [
            (
                RunHost::default(),
                "hashFiles('x')",
                "hashFiles: no workspace on this host",
            ),
            (with, "hashFiles('[')", "hashFiles: "),
        ];
        for (host, src, want) in table {
            let expr = gantry_core::expr::parse_expr(src).unwrap();
            let e = gantry_core::expr::evaluate(&expr, &host).unwrap_err();
            assert!(e.message.starts_with(want), "{src}: {}", e.message);
            assert_eq!(e.message.matches("hashFiles").count(), 1, "{}", e.message);
        }
    }
}
