//! SQLite on a disk that fills up: the store goes down, holds changes, refuses events, and
//! comes back by itself once there is room.

use super::{all_runs, event, log, run, until_writable};
use crate::read;
use crate::*;

/// A small tmpfs of its own (the tests run as root), unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn new(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "mounting a tmpfs (the tests need root)");
        SmallDisk { dir }
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Fills the disk to the last byte; the filler's path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        let mut n = block.len();
        while n > 0 {
            match f.write(&block[..n]) {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => n /= 2,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: whatever still has a file open there lets go later.
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// A full disk: accepting answers "unavailable" and the store says it is down; changes sent
/// meanwhile are held, and once there is room again the writer's probe brings the store back
/// by itself and every held change is on disk, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_holds_changes_refuses_events_and_recovers_by_itself() {
    let disk = SmallDisk::new("4m");
    let store = Store::open(disk.path()).unwrap();
    let id = store
        .accept(event("before"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids[0];
    let filler = disk.fill();
    let refused = store
        .accept(event("during"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap_err();
    assert!(refused.is_unavailable(), "{refused}");
    assert!(refused.to_string().contains("full"), "{refused}");
    assert!(!store.writable());
    assert!(store.unavailable_cause().unwrap().contains("full"));
    let s = store.clone();
    tokio::task::spawn_blocking(move || {
        for i in 0..50 {
            s.send(log(id, &format!("held {i}"))).unwrap();
        }
    })
    .await
    .unwrap();
    // The flush is answered after the writer took every change sent before it.
    assert!(store.flush().await.unwrap_err().is_unavailable());
    assert_eq!(store.held_changes(), 50);
    std::fs::remove_file(filler).unwrap();
    until_writable(&store).await;
    store.flush().await.unwrap();
    assert_eq!(store.held_changes(), 0);
    let c = store.reader().await.unwrap();
    let lines: Vec<String> = read::logs_after(&c, id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect();
    let want: Vec<String> = (0..50).map(|i| format!("held {i}")).collect();
    assert_eq!(lines, want);
    assert!(
        read::event(&c, "during").await.unwrap().is_none(),
        "refused, not recorded"
    );
    let again = store
        .accept(event("during"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap();
    assert!(!again.duplicate);
    assert_eq!(all_runs(&store).await.len(), 2);
    drop(c);
    drop(store);
}
