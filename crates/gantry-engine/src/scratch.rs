//! The scratch root: where the per-run host directories live while a run lasts — step
//! scripts (with `${{ secrets.X }}` rendered in), the file-command files (`GITHUB_ENV`,
//! `GITHUB_OUTPUT`, `GITHUB_STATE`, `GITHUB_PATH`, step summaries), the event payload, and
//! each job's home, temp and tool cache. Anything there can hold a secret value, so the root
//! must be tmpfs (memory: never written to a disk, gone at reboot), checked with statfs, unless
//! the operator explicitly accepts a disk. The root belongs to gantry's user with mode 0700,
//! so no other user of the host can enter it; directories left by a process that died (a
//! crash, `kill -9`) are removed when the next one starts.

use sha2::{Digest, Sha256};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// `f_type` of a tmpfs (linux/magic.h).
pub const TMPFS_MAGIC: i64 = 0x0102_1994;

/// The settings an error names: the directory's and the one that accepts a disk.
#[derive(Clone, Copy, Debug)]
pub struct ScratchKeys {
    pub dir: &'static str,
    pub allow_disk: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ScratchError {
    #[error("{key} {path} is not on tmpfs: secret values rendered into step scripts and file-command files would be written to a disk. Use a directory on tmpfs (the default is /dev/shm/gantry-<uid>), or set {allow} to accept a disk (unsafe)")]
    NotTmpfs {
        key: &'static str,
        path: String,
        allow: &'static str,
    },
    #[error("{key} {path}: {message}")]
    Unusable {
        key: &'static str,
        path: String,
        message: String,
    },
}

/// Whether `path` is on a tmpfs.
pub fn is_tmpfs(path: &Path) -> io::Result<bool> {
    let st = rustix::fs::statfs(path)?;
    Ok(st.f_type as i64 == TMPFS_MAGIC)
}

fn uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// The default root: `$XDG_RUNTIME_DIR/gantry` when that directory is tmpfs (a user session),
/// else `/dev/shm/gantry-<uid>`.
pub fn default_root() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_RUNTIME_DIR").filter(|x| !x.is_empty()) {
        let x = PathBuf::from(x);
        if is_tmpfs(&x).unwrap_or(false) {
            return x.join("gantry");
        }
    }
    PathBuf::from(format!("/dev/shm/gantry-{}", uid()))
}

/// Creates `dir` (mode 0700) or checks the existing one: a directory, not a symbolic link,
/// owned by this user; group and other permissions are removed.
fn private_dir(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::other("exists and is not a directory"));
    }
    if meta.uid() != uid() {
        return Err(io::Error::other(format!(
            "is owned by uid {}, not by gantry's user (uid {}): another user could read what runs write there",
            meta.uid(),
            uid()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// The checked root: `dir`, or the default; created if needed; refused when it is not tmpfs
/// unless `allow_disk`.
pub fn prepare(
    dir: Option<&Path>,
    allow_disk: bool,
    keys: ScratchKeys,
) -> Result<PathBuf, ScratchError> {
    let root = dir.map(Path::to_path_buf).unwrap_or_else(default_root);
    let unusable = |e: io::Error| ScratchError::Unusable {
        key: keys.dir,
        path: root.display().to_string(),
        message: e.to_string(),
    };
    private_dir(&root).map_err(unusable)?;
    if !allow_disk && !is_tmpfs(&root).map_err(unusable)? {
        return Err(ScratchError::NotTmpfs {
            key: keys.dir,
            path: root.display().to_string(),
            allow: keys.allow_disk,
        });
    }
    Ok(root)
}

/// The start time of process `pid` (clock ticks since boot, field 22 of `/proc/<pid>/stat`):
/// with the pid, it names one process even after the pid is reused. Read by hand: one field
/// of one procfs file does not warrant a procfs crate.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// The file in a `gantry serve` instance's directory naming the process that uses it.
const OWNER: &str = ".owner";

/// Whether `<pid>-<start>` names a process that is gone (a start of 0: unknown, only the pid
/// counts).
fn gone(pid_start: &str) -> bool {
    let Some((pid, start)) = pid_start.trim().split_once('-') else {
        return false;
    };
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
        return false;
    };
    match start_time(pid) {
        None => true,
        Some(now) => start != 0 && now != start,
    }
}

/// Whether a directory under the root belongs to a process that is gone: `run-<pid>-<start>`
/// of `gantry run`, or a `gantry serve` instance's whose owner file names a dead process.
fn is_stale(dir: &Path) -> bool {
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    match name.strip_prefix("run-") {
        Some(rest) => gone(rest),
        None if name.starts_with("serve-") => std::fs::read_to_string(dir.join(OWNER))
            .map(|o| gone(&o))
            .unwrap_or(false),
        None => false,
    }
}

/// Removes the directories of gantry processes that no longer exist (a `gantry serve`
/// instance that is never started again included); returns how many.
pub fn remove_stale(root: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    let mut n = 0;
    for e in entries.flatten() {
        if is_stale(&e.path()) && std::fs::remove_dir_all(e.path()).is_ok() {
            n += 1;
        }
    }
    n
}

/// `<pid>-<start time>` of this process.
fn me() -> String {
    let pid = std::process::id();
    format!("{pid}-{}", start_time(pid).unwrap_or(0))
}

fn fresh_dir(dir: &Path) -> io::Result<PathBuf> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::fs::DirBuilder::new().mode(0o700).create(dir)?;
    Ok(dir.to_path_buf())
}

/// `gantry run`: this process's own directory under `root` (after removing those of
/// processes that are gone). The caller removes it when the process ends.
pub fn process_dir(root: &Path) -> io::Result<PathBuf> {
    remove_stale(root);
    fresh_dir(&root.join(format!("run-{}", me())))
}

/// `gantry serve`: the instance's directory under `root`, emptied — whatever an earlier
/// process of this instance left there (a crash) is removed — with an owner file naming this
/// process, so that the directory goes even if the instance never starts again. Refused while
/// its owner is another live process: two processes of one `instance_id` on one machine
/// would empty each other's job directories under running jobs.
pub fn instance_dir(root: &Path, instance: &str) -> io::Result<PathBuf> {
    remove_stale(root);
    let safe: String = instance
        .chars()
        .map(
            |c| match c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                true => c,
                false => '_',
            },
        )
        .take(64)
        .collect();
    let hash = crate::hex(&Sha256::digest(instance.as_bytes())[..4]);
    let dir = root.join(format!("serve-{safe}-{hash}"));
    if let Ok(owner) = std::fs::read_to_string(dir.join(OWNER)) {
        let owner = owner.trim();
        if owner != me() && !gone(owner) {
            let pid = owner.split('-').next().unwrap_or(owner);
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("instance `{instance}` is already running on this machine (process {pid}); give each process its own `instance_id` or `scratch_dir`"),
            ));
        }
    }
    let dir = fresh_dir(&dir)?;
    std::fs::write(dir.join(OWNER), me())?;
    Ok(dir)
}

/// Removes the directory when dropped (a `gantry run` process's own).
pub struct RemoveOnDrop(pub PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: ScratchKeys = ScratchKeys {
        dir: "scratch_dir",
        allow_disk: "allow_disk_scratch = true",
    };

    #[test]
    fn a_disk_directory_is_refused_unless_allowed() {
        let disk = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let dir = disk.path().join("scratch");
        if is_tmpfs(disk.path()).unwrap() {
            return;
        }
        let e = prepare(Some(&dir), false, KEYS).unwrap_err().to_string();
        assert!(
            e.contains("scratch_dir") && e.contains("allow_disk_scratch = true"),
            "{e}"
        );
        assert_eq!(prepare(Some(&dir), true, KEYS).unwrap(), dir);
        let mode = std::fs::metadata(&dir).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn the_default_is_tmpfs_and_private() {
        let root = prepare(None, false, KEYS).unwrap();
        assert!(is_tmpfs(&root).unwrap());
        assert_eq!(std::fs::metadata(&root).unwrap().mode() & 0o077, 0);
    }

    #[test]
    fn stale_process_directories_go_and_live_ones_stay() {
        let root = tempfile::tempdir().unwrap();
        let me = process_dir(root.path()).unwrap();
        // A pid that cannot exist, and this process with another start time (a reused pid).
        let dead = root.path().join(format!("run-{}-5", u32::MAX));
        let reused = root.path().join(format!("run-{}-1", std::process::id()));
        let other = root.path().join("serve-x");
        let dead_serve = root.path().join("serve-y");
        for d in [&dead, &reused, &other, &dead_serve] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(dead_serve.join(OWNER), format!("{}-5", u32::MAX)).unwrap();
        assert_eq!(remove_stale(root.path()), 3);
        assert!(me.is_dir() && other.is_dir() && !dead.exists() && !reused.exists());
        assert!(!dead_serve.exists());
        let i = instance_dir(root.path(), "127.0.0.1:8080").unwrap();
        std::fs::write(i.join("left"), "x").unwrap();
        let again = instance_dir(root.path(), "127.0.0.1:8080").unwrap();
        assert_eq!(i, again);
        assert!(!again.join("left").exists());
        // A live instance's directory stays.
        assert_eq!(remove_stale(root.path()), 0);
        assert!(again.is_dir());
    }

    #[test]
    fn an_instance_directory_owned_by_another_live_process_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = instance_dir(root.path(), "shared").unwrap();
        std::fs::write(dir.join("job"), "x").unwrap();
        // Process 1 (init) with its real start time: another live process owns it.
        let init = format!("1-{}", start_time(1).unwrap());
        std::fs::write(dir.join(OWNER), &init).unwrap();
        let e = instance_dir(root.path(), "shared").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert!(e.to_string().contains("already running"), "{e}");
        assert!(dir.join("job").exists(), "its files are left alone");
        // Once that owner is gone (a dead pid), the directory is taken over and emptied.
        std::fs::write(dir.join(OWNER), format!("{}-5", u32::MAX)).unwrap();
        let again = instance_dir(root.path(), "shared").unwrap();
        assert!(!again.join("job").exists());
    }
}
