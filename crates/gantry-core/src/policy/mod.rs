//! The operator's policy: what a workflow may ask of the host (privileges, capabilities,
//! host paths, namespaces, devices, security options) and the confinement every container
//! gets whatever the workflow says (no new privileges, dropped capabilities, memory, CPU
//! and process limits, an optional read-only root, non-root user and OCI runtime, egress).
//!
//! Workflow authors are not trusted, so the defaults are closed: every key that opens
//! something is off until the operator turns it on, in `[policy]` of `gantry.toml` or in the
//! file `gantry run --policy FILE` reads. Checking is pure: [`check`] judges parsed options
//! and volumes, [`workflow`] walks a workflow's model for the planner and `validate`.

pub mod check;
mod confinement;
pub mod workflow;

pub use check::{check_options, check_port, check_volume, Refusal, VolumeSpec};
pub use confinement::Confinement;
pub use workflow::{check_workflow, Located};

use crate::diag::TomlError;
use serde::Deserialize;

/// Capabilities every container loses (Docker's default set minus these remains):
/// raw sockets (spoofing, ARP tricks), device nodes, audit writes, file capabilities and
/// chroot. `apt-get`, `npm` and `pip` as root need none of them.
pub const DEFAULT_DROP: &[&str] = &["NET_RAW", "MKNOD", "AUDIT_WRITE", "SETFCAP", "SYS_CHROOT"];

/// Where a job's containers may send traffic.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Egress {
    /// Anywhere the host can reach (jobs still cannot reach each other).
    #[default]
    All,
    /// Nowhere outside the job: its network is internal (services stay reachable).
    None,
}

/// `[policy]`: see docs/security.md for every key, its default and why.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Allow `--privileged` (full root on the host).
    pub privileged: bool,
    /// Capabilities workflows may add with `--cap-add` (`"ALL"` allows any).
    pub cap_add: Vec<String>,
    /// Host directories (and everything below them) workflows may bind-mount.
    pub host_paths: Vec<String>,
    /// Allow mounting the container engine's socket or state (root on the host), even
    /// under an allowed host path.
    pub docker_socket: bool,
    /// Allow named volumes (they outlive the run and are shared by name across runs).
    pub named_volumes: bool,
    /// Allow `host` for `--network`, `--pid`, `--ipc`, `--uts`, `--userns`, `--cgroupns`.
    pub host_namespaces: bool,
    /// Device paths workflows may pass with `--device`.
    pub devices: Vec<String>,
    /// `--security-opt` values allowed besides the confining ones (`no-new-privileges`).
    pub security_opts: Vec<String>,
    /// Allow `--sysctl`.
    pub sysctls: bool,
    /// Allow `ports:` published on addresses other than the host's loopback.
    pub public_ports: bool,
    /// Capabilities removed from every container.
    pub drop_capabilities: Vec<String>,
    /// Memory of each container (`512m`, `4g`); also the most a workflow may ask for.
    pub memory: String,
    /// CPUs of each container; also the most a workflow may ask for.
    pub cpus: f64,
    /// Processes (and threads) each container may have at once.
    pub pids_limit: i64,
    /// Mount the root filesystem read-only (with a tmpfs at `/tmp`).
    pub read_only_rootfs: bool,
    /// Run job and step containers as this user (`1001:1001`) instead of the image's.
    pub user: Option<String>,
    /// Let `options: --user` override `user` (only meaningful when `user` is set).
    pub user_override: bool,
    /// OCI runtime for every container (`runsc` for gVisor); default: the engine's.
    pub runtime: Option<String>,
    pub egress: Egress,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            privileged: false,
            cap_add: Vec::new(),
            host_paths: Vec::new(),
            docker_socket: false,
            named_volumes: false,
            host_namespaces: false,
            devices: Vec::new(),
            security_opts: Vec::new(),
            sysctls: false,
            public_ports: false,
            drop_capabilities: DEFAULT_DROP.iter().map(|c| c.to_string()).collect(),
            memory: "4g".into(),
            cpus: 2.0,
            pids_limit: 2048,
            read_only_rootfs: false,
            user: None,
            user_override: false,
            runtime: None,
            egress: Egress::All,
        }
    }
}

/// A `[policy]` value that cannot be used; Display names the key, the value and what was
/// expected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum InvalidPolicy {
    #[error("memory = {0:?}: expected a size of at least 6m, like \"512m\" or \"4g\"")]
    Memory(String),
    #[error(
        "user = {0:?}: expected a numeric UID or UID:GID (the job's files on the host \
         are given to it, and the host cannot resolve the image's user names)"
    )]
    User(String),
    #[error("cpus = {0}: expected a number above 0")]
    Cpus(f64),
    #[error("pids_limit = {0}: expected a number above 0")]
    PidsLimit(i64),
}

/// A policy file that cannot be used: unreadable, not TOML of the right shape, or with a
/// value [`Policy::checked`] refuses. Displayed as `file:line:col: message` or
/// `file: message`, like other diagnostics.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{file}: {error}")]
    Read { file: String, error: std::io::Error },
    #[error("{file}:{error}")]
    Toml { file: String, error: TomlError },
    #[error("{file}: [policy] {error}")]
    Invalid { file: String, error: InvalidPolicy },
}

/// A policy file: `[policy]` alone, or a whole `gantry.toml` whose other tables are ignored.
#[derive(Deserialize)]
struct PolicyFile {
    #[serde(default)]
    policy: Policy,
}

impl Policy {
    /// `[policy]` from the text of a TOML file named `file` (`gantry run --policy FILE`;
    /// the file is read by the loading layer: the core is handed bytes, never paths).
    pub fn from_toml(file: &str, text: &str) -> Result<Policy, PolicyError> {
        let file = || file.to_string();
        let p: PolicyFile = crate::diag::parse_toml(text).map_err(|error| PolicyError::Toml {
            file: file(),
            error,
        })?;
        p.policy.checked().map_err(|error| PolicyError::Invalid {
            file: file(),
            error,
        })
    }

    /// Checks what the types cannot: sizes and limits that mean something.
    pub fn checked(self) -> Result<Policy, InvalidPolicy> {
        self.memory_bytes()?;
        if self.user.is_some() && self.owner().is_none() {
            return Err(InvalidPolicy::User(self.user.unwrap_or_default()));
        }
        if self.cpus.is_nan() || self.cpus <= 0.0 {
            return Err(InvalidPolicy::Cpus(self.cpus));
        }
        if self.pids_limit < 1 {
            return Err(InvalidPolicy::PidsLimit(self.pids_limit));
        }
        Ok(self)
    }

    pub fn memory_bytes(&self) -> Result<i64, InvalidPolicy> {
        crate::container_options::parse_bytes(&self.memory)
            .filter(|b| *b >= 6 * 1024 * 1024)
            .ok_or_else(|| InvalidPolicy::Memory(self.memory.clone()))
    }

    /// `user` as numbers (`1001` is `1001:1001`), when set.
    pub fn owner(&self) -> Option<(u32, u32)> {
        let u = self.user.as_deref()?;
        let (uid, gid) = u.split_once(':').unwrap_or((u, u));
        Some((uid.parse().ok()?, gid.parse().ok()?))
    }

    pub fn nano_cpus(&self) -> i64 {
        (self.cpus * 1e9) as i64
    }

    /// What every container of a job gets, whatever the workflow asks.
    pub fn confinement(&self) -> Confinement {
        Confinement {
            no_new_privileges: true,
            cap_drop: self.drop_capabilities.clone(),
            pids_limit: Some(self.pids_limit),
            memory: self.memory_bytes().ok(),
            nano_cpus: Some(self.nano_cpus()),
            read_only_rootfs: self.read_only_rootfs,
            runtime: self.runtime.clone().filter(|r| !r.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_closed_and_confining() {
        let p = Policy::default();
        assert!(!p.privileged && !p.docker_socket && !p.host_namespaces && !p.named_volumes);
        assert!(p.cap_add.is_empty() && p.host_paths.is_empty() && p.devices.is_empty());
        let c = p.confinement();
        assert!(c.no_new_privileges);
        for cap in ["NET_RAW", "MKNOD", "AUDIT_WRITE", "SETFCAP", "SYS_CHROOT"] {
            assert!(c.cap_drop.iter().any(|d| d == cap), "{cap}");
        }
        assert_eq!(c.memory, Some(4 << 30));
        assert_eq!(c.nano_cpus, Some(2_000_000_000));
        assert_eq!(c.pids_limit, Some(2048));
    }

    #[test]
    fn a_policy_file_is_parsed_with_positions() {
        let file = "gantry.toml";
        let text =
            "listen = \"x\"\n[policy]\nmemory = \"512m\"\npids_limit = 100\negress = \"none\"\n";
        let p = Policy::from_toml(file, text).unwrap();
        assert_eq!(p.memory_bytes(), Ok(512 << 20));
        assert_eq!(p.egress, Egress::None);
        let text = "[policy]\nprivileged = true\npriviledged = true\n";
        let e = Policy::from_toml(file, text).unwrap_err().to_string();
        assert!(e.contains(":3:1:") && e.contains("priviledged"), "{e}");
        for (text, want) in [
            (
                "[policy]\nuser = \"runner\"\n",
                format!(
                    "{file}: [policy] user = \"runner\": expected a numeric UID or UID:GID (the \
                     job's files on the host are given to it, and the host cannot resolve the \
                     image's user names)"
                ),
            ),
            (
                "[policy]\nmemory = \"lots\"\n",
                format!(
                    "{file}: [policy] memory = \"lots\": expected a size of at least 6m, like \
                     \"512m\" or \"4g\""
                ),
            ),
            (
                "[policy]\ncpus = 0.0\n",
                format!("{file}: [policy] cpus = 0: expected a number above 0"),
            ),
            (
                "[policy]\npids_limit = 0\n",
                format!("{file}: [policy] pids_limit = 0: expected a number above 0"),
            ),
        ] {
            let e = Policy::from_toml(file, text).unwrap_err().to_string();
            assert_eq!(e, want, "{text}");
        }
    }
}
