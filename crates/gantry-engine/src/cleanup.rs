//! Nothing a run creates outlives it: every container, network and volume carries the run
//! label and the pid of the gantry process that made it. A run removes its own at the end;
//! at start, resources of gantry processes that no longer exist (killed, crashed) go too.

use crate::backend::{ContainerBackend, Leftovers, Resource, LABEL_RUN};

pub const LABEL_PID: &str = "dev.gantry.pid";

/// Removes everything carrying `label` (`key` or `key=value`); returns how many.
pub async fn remove_leftovers<B: ContainerBackend>(backend: &B, label: &str) -> usize {
    match backend.labelled(label).await {
        Ok(l) => remove(backend, &l, |_| true).await,
        Err(_) => 0,
    }
}

/// Removes what run `run_id` of this process left (after the runtime was lost under it:
/// its containers may have outlived the connection to them). Each engine run labels its
/// resources `<run_id>-<unique>` (see `schedule::instance_id`).
pub async fn remove_run_leftovers<B: ContainerBackend>(backend: &B, run_id: &str) -> usize {
    let me = std::process::id().to_string();
    let prefix = format!("{run_id}-");
    let of_run = |r: &Resource| {
        r.labels.get(LABEL_PID) == Some(&me)
            && r.labels
                .get(LABEL_RUN)
                .is_some_and(|v| v.starts_with(&prefix))
    };
    match backend.labelled(LABEL_RUN).await {
        Ok(l) => remove(backend, &l, of_run).await,
        Err(_) => 0,
    }
}

/// Removes resources left by gantry processes that are gone (on this machine).
pub async fn remove_stale<B: ContainerBackend>(backend: &B) -> usize {
    match backend.labelled(LABEL_RUN).await {
        Ok(l) => remove(backend, &l, is_stale).await,
        Err(_) => 0,
    }
}

fn is_stale(r: &Resource) -> bool {
    match r.labels.get(LABEL_PID).and_then(|p| p.parse::<u32>().ok()) {
        Some(pid) => !process_alive(pid),
        None => false,
    }
}

fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

async fn remove<B: ContainerBackend>(
    backend: &B,
    l: &Leftovers,
    keep: impl Fn(&Resource) -> bool,
) -> usize {
    let mut n = 0;
    // Containers first: a network or volume in use cannot be removed.
    for c in l.containers.iter().filter(|r| keep(r)) {
        n += usize::from(backend.remove_container(&c.id).await.is_ok());
    }
    for net in l.networks.iter().filter(|r| keep(r)) {
        n += usize::from(backend.remove_network(&net.id).await.is_ok());
    }
    for v in l.volumes.iter().filter(|r| keep(r)) {
        n += usize::from(backend.remove_volume(&v.id).await.is_ok());
    }
    n
}
