//! Spec structs for the backend: what to create, mount, run and build, stated as data so
//! that the engine builds them and any backend can carry them out.

use gantry_core::policy::Confinement;
use tokio::sync::mpsc;

/// Labels every resource Gantry creates carries: the key marks "made by gantry", the value
/// the run, so a crashed run's leftovers can be found.
pub const LABEL_RUN: &str = "dev.gantry.run";
pub const LABEL_JOB: &str = "dev.gantry.job";

#[derive(Clone, Debug, Default)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub env: Vec<(String, String)>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub labels: Vec<(String, String)>,
    pub mounts: Vec<Mount>,
    /// In-memory mounts: container path → mount options (`size=1m,mode=0700`).
    pub tmpfs: Vec<(String, String)>,
    pub network: Option<String>,
    /// Names other containers on the network reach this one by.
    pub aliases: Vec<String>,
    /// `HOST:CONTAINER` or `CONTAINER` port mappings.
    pub ports: Vec<String>,
    pub options: super::ContainerOptions,
    /// What the operator's policy imposes, whatever the workflow asked.
    pub confinement: Confinement,
}

/// A network to create: jobs without services share one with inter-container traffic
/// off; a job with services gets its own. `internal` networks have no route out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkSpec {
    pub name: String,
    /// The host interface's name (`gantry-iso0`), for operators' firewall rules.
    pub bridge: Option<String>,
    pub labels: Vec<(String, String)>,
    pub internal: bool,
    /// Whether containers on the network may talk to each other.
    pub icc: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Host path (bind) or volume name.
    pub source: String,
    pub target: String,
    pub read_only: bool,
    pub kind: MountKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountKind {
    Bind,
    Volume,
}

#[derive(Clone, Debug, Default)]
pub struct ExecSpec {
    pub cmd: Vec<String>,
    pub env: Vec<(String, String)>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
}

#[derive(Clone, Debug)]
pub struct BuildSpec {
    pub tag: String,
    /// The build context as an uncompressed tar.
    pub context_tar: Vec<u8>,
    /// Path of the Dockerfile inside the context.
    pub dockerfile: String,
    pub labels: Vec<(String, String)>,
    /// The policy's memory and CPU limits for the build's `RUN` steps (a Dockerfile action's
    /// build runs the workflow author's code too).
    pub confinement: Confinement,
    /// `RUN` steps without a network (`[policy] egress = "none"`).
    pub no_network: bool,
}

#[derive(Clone, Debug)]
pub struct RegistryAuth {
    pub username: String,
    pub password: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// The container has no health check.
    None,
    Starting,
    Healthy,
    Unhealthy,
    /// The container stopped.
    Exited,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Clone, Debug)]
pub struct Chunk {
    pub stream: Stream,
    pub bytes: Vec<u8>,
}

/// How many chunks of output may wait between a container and whoever reads them. The
/// channel is bounded: a container that writes faster than the engine masks and reports
/// its lines is made to wait (the backend stops reading its stream, and the container
/// blocks on a full pipe) rather than filling Gantry's memory.
pub const OUTPUT_BUFFER: usize = 256;

/// Where a container's output goes while it runs (`send(..).await` waits for room).
pub type OutputTx = mpsc::Sender<Chunk>;
pub type OutputRx = mpsc::Receiver<Chunk>;

/// A bounded channel for one container's or command's output.
pub fn output_channel() -> (OutputTx, OutputRx) {
    mpsc::channel(OUTPUT_BUFFER)
}

/// A sender for output nobody reads: its receiver is gone, so a backend's sends fail at
/// once instead of waiting for room that never comes.
pub fn discard_output() -> OutputTx {
    output_channel().0
}

/// A container, network or volume found by label, with its labels.
#[derive(Clone, Debug, Default)]
pub struct Resource {
    pub id: String,
    pub labels: std::collections::HashMap<String, String>,
}

#[derive(Clone, Debug, Default)]
pub struct Leftovers {
    pub containers: Vec<Resource>,
    pub networks: Vec<Resource>,
    pub volumes: Vec<Resource>,
}

impl Leftovers {
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.networks.is_empty() && self.volumes.is_empty()
    }
    pub fn count(&self) -> usize {
        self.containers.len() + self.networks.len() + self.volumes.len()
    }
}
