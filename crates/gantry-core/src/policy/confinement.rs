//! What every container of a job gets from the policy, as data the container backends apply.

/// Limits and hardening every container of a job gets from the policy. A backend applies
/// them over the workflow's own options: the smaller limit wins, nothing here can be
/// loosened by `options:`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Confinement {
    /// `no-new-privileges`: setuid binaries and file capabilities gain nothing.
    pub no_new_privileges: bool,
    pub cap_drop: Vec<String>,
    pub pids_limit: Option<i64>,
    /// Bytes of memory (swap included: no swap beyond it).
    pub memory: Option<i64>,
    pub nano_cpus: Option<i64>,
    /// Read-only root filesystem, with a tmpfs at `/tmp`.
    pub read_only_rootfs: bool,
    /// OCI runtime (`runsc`), when not the engine's default.
    pub runtime: Option<String>,
}
