//! In-process reads of a local repository's objects (gix): whether it has a commit, and
//! the workflow files of the tree at a sha. `gantry serve` does both for every pushed sha;
//! spawning `git rev-parse`, `git ls-tree` and one `git show` per file capped new pushes at
//! ~570 per second. Opened repositories are kept (one per path): gix looks for new packs
//! when an object is missing, so a mirror that fetched since is seen without reopening.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use gix::object::Kind;
use gix::ObjectId;

/// Where the workflow files of a tree are.
const WORKFLOWS: &str = ".github/workflows";

/// Why a read failed, in words for [`super::git::GitError::Failed`].
pub(crate) type ReadError = String;

/// Files as (path in the repository, bytes).
pub(crate) type Files = Vec<(String, Vec<u8>)>;

/// The repositories opened so far, by the path the caller named.
fn opened() -> &'static Mutex<HashMap<PathBuf, gix::ThreadSafeRepository>> {
    static OPENED: OnceLock<Mutex<HashMap<PathBuf, gix::ThreadSafeRepository>>> = OnceLock::new();
    OPENED.get_or_init(Default::default)
}

/// The repository at `path`, opened once per process.
fn open(path: &Path) -> Result<gix::Repository, ReadError> {
    if let Some(r) = opened().lock().ok().and_then(|m| m.get(path).cloned()) {
        return Ok(r.to_thread_local());
    }
    let repo = gix::ThreadSafeRepository::open(path).map_err(|e| e.to_string())?;
    if let Ok(mut m) = opened().lock() {
        m.insert(path.to_path_buf(), repo.clone());
    }
    Ok(repo.to_thread_local())
}

/// A full hexadecimal object id; `None` for anything else (names, short ids), which the
/// caller leaves to `git`.
pub(crate) fn full_id(sha: &str) -> Option<ObjectId> {
    (sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| ObjectId::from_hex(sha.as_bytes()).ok())
        .flatten()
}

/// Whether the repository has the commit `id` (an annotated tag peels to its commit).
pub(crate) fn has_commit(path: &Path, id: ObjectId) -> Result<bool, ReadError> {
    let repo = open(path)?;
    let found = match repo.try_find_object(id).map_err(|e| e.to_string())? {
        Some(object) => object.peel_to_kind(Kind::Commit).is_ok(),
        None => false,
    };
    Ok(found)
}

/// The `.yml`/`.yaml` files directly in `.github/workflows` (GitHub reads no
/// subdirectory) in the tree of commit `id`, in name order, with their bytes; `Ok(None)`
/// when the repository has no such commit.
pub(crate) fn workflow_files(path: &Path, id: ObjectId) -> Result<Option<Files>, ReadError> {
    let repo = open(path)?;
    let Some(object) = repo.try_find_object(id).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let commit = object.peel_to_commit().map_err(|e| e.to_string())?;
    let tree = commit.tree().map_err(|e| e.to_string())?;
    let entry = tree
        .lookup_entry_by_path(WORKFLOWS)
        .map_err(|e| e.to_string())?;
    let Some(dir) = entry.filter(|e| e.mode().is_tree()) else {
        return Ok(Some(Vec::new()));
    };
    let dir = dir.object().map_err(|e| e.to_string())?.into_tree();
    let mut out = Vec::new();
    for entry in dir.iter() {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.filename().to_string();
        if entry.mode().is_blob() && (name.ends_with(".yml") || name.ends_with(".yaml")) {
            let blob = repo
                .find_object(entry.object_id())
                .map_err(|e| e.to_string())?;
            out.push((format!("{WORKFLOWS}/{name}"), blob.detach().data));
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn write(dir: &Path, path: &str, text: &str) {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// A repository with workflow files in several forms, committed, and its sha.
    fn repo() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q", "-b", "main"]);
        for (path, text) in [
            (".github/workflows/ci.yml", "on: push\n"),
            (".github/workflows/b.yaml", "on: pull_request\n"),
            (".github/workflows/notes.md", "not a workflow\n"),
            (".github/workflows/nested/deep.yml", "on: [push]\n"),
            (".github/other.yml", "outside\n"),
            ("src/x.yml", "outside\n"),
        ] {
            write(d, path, text);
        }
        git(d, &["add", "."]);
        git(d, &["commit", "-q", "-m", "one"]);
        let sha = git(d, &["rev-parse", "HEAD"]);
        (dir, sha)
    }

    #[test]
    fn workflow_files_match_what_git_lists() {
        let (dir, sha) = repo();
        let id = full_id(&sha).unwrap();
        let read = workflow_files(dir.path(), id).unwrap().expect("the commit");
        let by_git = crate::git::workflow_files_by_command(dir.path(), &sha).unwrap();
        assert_eq!(read, by_git);
        let names: Vec<&str> = read.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            names,
            [".github/workflows/b.yaml", ".github/workflows/ci.yml"]
        );
        assert_eq!(read[1].1, b"on: push\n");
    }

    #[test]
    fn commits_are_found_and_missing_ones_are_not() {
        let (dir, sha) = repo();
        let d = dir.path();
        git(d, &["tag", "-a", "-m", "t", "v1"]);
        let tag = git(d, &["rev-parse", "v1"]);
        let tree = git(d, &["rev-parse", "HEAD^{tree}"]);
        let missing = "0123456789abcdef0123456789abcdef01234567";
        for (id, commit) in [
            (&sha, true),
            (&tag, true),
            (&tree, false),
            (&missing.to_string(), false),
        ] {
            assert_eq!(has_commit(d, full_id(id).unwrap()).unwrap(), commit, "{id}");
        }
        assert_eq!(workflow_files(d, full_id(missing).unwrap()).unwrap(), None);
        // A commit made after the repository was first read is seen: the mirror fetched.
        write(d, ".github/workflows/later.yml", "on: push\n");
        git(d, &["add", "."]);
        git(d, &["commit", "-q", "-m", "two"]);
        let later = git(d, &["rev-parse", "HEAD"]);
        assert!(has_commit(d, full_id(&later).unwrap()).unwrap());
        let files = workflow_files(d, full_id(&later).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(files.len(), 3);
    }

    #[test]
    fn only_full_hexadecimal_ids_are_read_in_process() {
        for (s, full) in [
            ("0123456789abcdef0123456789abcdef01234567", true),
            ("0123456789ABCDEF0123456789abcdef01234567", true),
            ("0123456", false),
            ("main", false),
            ("0123456789abcdef0123456789abcdef0123456g", false),
            ("", false),
        ] {
            assert_eq!(full_id(s).is_some(), full, "{s}");
        }
    }

    #[test]
    fn a_directory_that_is_no_repository_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let id = full_id("0123456789abcdef0123456789abcdef01234567").unwrap();
        assert!(has_commit(dir.path(), id).is_err());
    }
}
