//! Workflow files checked once per content: pushes of new commits mostly leave
//! `.github/workflows` as it was, so the files read at a new sha are the ones already parsed
//! and validated for an earlier sha. Checking them again cost about a third of the time to
//! accept a push of a new sha (`scripts/bench-serve.sh`).

use gantry_load::{check, Loaded};
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

/// Files as (path in the repository, bytes).
pub type Files = Vec<(String, Vec<u8>)>;

/// Checked files, shared by every run that reads them.
pub type Workflows = Arc<Vec<Loaded>>;

/// How many distinct sets of files are kept (each a repository's workflows at some commit).
const KEPT: usize = 64;

#[derive(Default)]
pub struct Checked {
    by_content: Mutex<HashMap<u64, (Files, Workflows)>>,
}

impl Checked {
    /// The files checked: from an earlier check of the very same files (paths and bytes
    /// compared, not only their hash), else checked now and kept.
    pub fn of(&self, files: Files) -> Workflows {
        let mut h = DefaultHasher::new();
        files.hash(&mut h);
        let key = h.finish();
        let kept = self.by_content.lock().ok().and_then(|m| {
            m.get(&key)
                .filter(|(f, _)| *f == files)
                .map(|(_, w)| w.clone())
        });
        if let Some(w) = kept {
            return w;
        }
        let loaded: Workflows = Arc::new(files.iter().map(|(p, b)| check(p.clone(), b)).collect());
        if let Ok(mut m) = self.by_content.lock() {
            if m.len() >= KEPT {
                m.clear();
            }
            m.insert(key, (files, loaded.clone()));
        }
        loaded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Files {
        list.iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn the_same_files_are_checked_once_and_other_files_again() {
        let c = Checked::default();
        let a = files(&[(".github/workflows/ci.yml", "on: push\njobs: {}\n")]);
        let first = c.of(a.clone());
        assert!(Arc::ptr_eq(&first, &c.of(a)), "same files: the same check");
        // (files, why they are not the same)
        let others = [
            (
                files(&[(".github/workflows/ci.yml", "on: pull_request\njobs: {}\n")]),
                "bytes",
            ),
            (
                files(&[(".github/workflows/cd.yml", "on: push\njobs: {}\n")]),
                "path",
            ),
            (files(&[]), "none"),
        ];
        for (f, why) in others {
            let w = c.of(f.clone());
            assert!(!Arc::ptr_eq(&first, &w), "{why}");
            assert_eq!(w.len(), f.len(), "{why}");
            if let Some(l) = w.first() {
                assert_eq!(l.path, f[0].0, "{why}");
            }
        }
        let bad = c.of(files(&[(".github/workflows/x.yml", "on: [\n")]));
        assert!(!bad[0].errors.is_empty(), "a file with errors keeps them");
    }
}
