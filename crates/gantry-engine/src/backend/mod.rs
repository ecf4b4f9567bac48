//! The boundary between the engine and a container runtime: what a run asks of it (images,
//! networks, containers, execs, archives, cleanup by label) as spec structs and one trait.
//! The Docker implementation lives in `gantry_docker`; [`fake`] is an in-memory one that
//! tests put behind the trait.

mod error;
pub mod fake;
mod spec;

pub use error::BackendError;
pub use gantry_core::container_options::{
    parse_bytes, parse_options, ContainerOptions, HealthCheck, OptionError,
};
pub use gantry_core::policy::Confinement;
pub use spec::*;

use std::future::Future;

/// What a run needs from a container runtime. Every resource it creates carries the labels
/// the caller gives, so that leftovers can be found and removed after a crash.
pub trait ContainerBackend: Send + Sync + 'static {
    /// Whether the runtime answers at all (the service waits for it while it does not,
    /// rather than failing runs).
    fn ping(&self) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Whether the image exists locally.
    fn image_present(&self, image: &str)
        -> impl Future<Output = Result<bool, BackendError>> + Send;
    /// Pulls an image from its registry (with credentials when given).
    fn pull_image(
        &self,
        image: &str,
        auth: Option<RegistryAuth>,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Builds an image from a tar of its context; the build log goes to `out`.
    fn build_image(
        &self,
        spec: BuildSpec,
        out: OutputTx,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// The environment the image sets (`PATH` above all), to extend rather than replace it.
    fn image_env(
        &self,
        image: &str,
    ) -> impl Future<Output = Result<Vec<String>, BackendError>> + Send;

    fn create_network(
        &self,
        spec: &NetworkSpec,
    ) -> impl Future<Output = Result<String, BackendError>> + Send;
    /// The network named in `spec`, created if it does not exist yet (shared networks that
    /// outlive runs); returns its id.
    fn ensure_network(
        &self,
        spec: &NetworkSpec,
    ) -> impl Future<Output = Result<String, BackendError>> + Send;
    fn remove_network(&self, id: &str) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// The host's address on a network (its gateway): where the network's containers reach
    /// services on the host. `None` when the engine does not say (fakes).
    fn network_gateway(
        &self,
        _name: &str,
    ) -> impl Future<Output = Result<Option<std::net::IpAddr>, BackendError>> + Send {
        async { Ok(None) }
    }

    fn create_container(
        &self,
        spec: &ContainerSpec,
    ) -> impl Future<Output = Result<String, BackendError>> + Send;
    fn start_container(&self, id: &str) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Attaches to a created container, starts it, streams its output and waits for it to
    /// exit: `docker run` without the create. Returns the exit code.
    fn run_container(
        &self,
        id: &str,
        out: OutputTx,
    ) -> impl Future<Output = Result<i64, BackendError>> + Send;
    /// Runs a command in a running container, streaming its output; returns the exit code.
    fn exec(
        &self,
        id: &str,
        spec: &ExecSpec,
        out: OutputTx,
    ) -> impl Future<Output = Result<i64, BackendError>> + Send;
    /// Copies a tar archive into the container, unpacked at `dest`.
    fn upload(
        &self,
        id: &str,
        dest: &str,
        tar: Vec<u8>,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// How many processes (and threads) the container has, and its limit: read from outside,
    /// since a container at its limit cannot start a process to tell.
    fn pids(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<(u64, Option<u64>), BackendError>> + Send;
    fn health(&self, id: &str) -> impl Future<Output = Result<Health, BackendError>> + Send;
    /// Kills the container's processes (signal as `SIGKILL`, `SIGTERM`...).
    fn kill_container(
        &self,
        id: &str,
        signal: &str,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Removes the container, running or not, with its anonymous volumes.
    fn remove_container(&self, id: &str) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Everything carrying `label` (as `key` or `key=value`), for cleanup.
    fn labelled(&self, label: &str)
        -> impl Future<Output = Result<Leftovers, BackendError>> + Send;
    /// A named volume; `in_memory` backs it with tmpfs, so that nothing written to it ever
    /// reaches the host's disk (secret files).
    fn create_volume(
        &self,
        name: &str,
        labels: &[(String, String)],
        in_memory: bool,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
    fn remove_volume(&self, name: &str) -> impl Future<Output = Result<(), BackendError>> + Send;
}
