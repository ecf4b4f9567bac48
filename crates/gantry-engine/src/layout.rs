//! Where a job's files live: a directory on the host per job (event payload, file-command
//! files, home, temp) and the fixed paths at which every container of the job sees them —
//! the same paths for the job container and for container actions, as GitHub's runner does.
//! The job's directory is under the run's, under the scratch root (tmpfs, mode 0700: see
//! `scratch.rs`, the barrier against other users of the host); inside it, directories and
//! files keep the usual 0755/0644 (given to `[policy] user` when one is set), so that the
//! job's containers read and write them whatever user they run as.

use crate::backend::{Mount, MountKind};
use std::io;
use std::path::{Path, PathBuf};

pub const WORKSPACE: &str = "/github/workspace";
pub const WORKFLOW_DIR: &str = "/github/workflow";
pub const EVENT_PATH: &str = "/github/workflow/event.json";
pub const FILE_COMMANDS: &str = "/github/file_commands";
pub const HOME: &str = "/github/home";
pub const RUNNER_TEMP: &str = "/github/runner_temp";
pub const TOOL_CACHE: &str = "/github/tool_cache";
/// The runner's externals (the Node runtimes), as GitHub's runner mounts them into job
/// containers.
pub const EXTERNALS: &str = "/__e";
/// Each secret the job uses, as a file named after it (mode 0400), on a tmpfs volume.
pub const SECRETS: &str = "/run/secrets";

/// The workspace as the job's containers mount it.
#[derive(Clone, Debug)]
pub enum WorkspaceMount {
    /// The host directory itself (changes are visible on the host, like act's default).
    Bind(PathBuf),
    /// A volume the workspace was copied into (`--copy-workspace`).
    Volume(String),
}

#[derive(Clone, Debug)]
pub struct JobLayout {
    pub host_dir: PathBuf,
    pub workspace: WorkspaceMount,
    /// The in-memory volume holding the secret files, when the job uses secrets.
    pub secrets: Option<String>,
    /// `[policy] user` as numbers: the job's files on the host are given to it, so that a
    /// non-root step can write its file commands and temp files.
    pub owner: Option<(u32, u32)>,
    /// The Node runtimes, mounted read-only at [`EXTERNALS`].
    pub externals: Option<PathBuf>,
    /// A persistent tool cache mounted at [`TOOL_CACHE`] instead of the job's empty one.
    pub tool_cache: Option<PathBuf>,
}

/// A tar of one file per secret, mode 0400, owned by root or by the policy's user, for the
/// secrets volume.
pub fn secret_tar(secrets: &[(String, String)], owner: Option<(u32, u32)>) -> io::Result<Vec<u8>> {
    let (uid, gid) = owner.unwrap_or((0, 0));
    let mut b = tar::Builder::new(Vec::new());
    for (name, value) in secrets {
        let mut h = tar::Header::new_gnu();
        h.set_size(value.len() as u64);
        h.set_mode(0o400);
        h.set_uid(uid.into());
        h.set_gid(gid.into());
        h.set_cksum();
        b.append_data(&mut h, name, value.as_bytes())?;
    }
    b.into_inner()
}

/// The file-command files of one step: container paths and host paths.
#[derive(Clone, Debug)]
pub struct StepFiles {
    pub host: Vec<(&'static str, PathBuf)>,
    pub env: Vec<(String, String)>,
}

impl JobLayout {
    /// Creates the job's host directories and writes the event payload.
    pub fn create(
        run_dir: &Path,
        job_slug: &str,
        workspace: WorkspaceMount,
        payload: &serde_json::Value,
    ) -> io::Result<JobLayout> {
        let host_dir = run_dir.join(job_slug);
        for d in [
            "workflow",
            "file_commands",
            "home",
            "runner_temp",
            "tool_cache",
        ] {
            std::fs::create_dir_all(host_dir.join(d))?;
        }
        let json = serde_json::to_vec_pretty(payload).map_err(io::Error::other)?;
        std::fs::write(host_dir.join("workflow/event.json"), json)?;
        Ok(JobLayout {
            host_dir,
            workspace,
            secrets: None,
            owner: None,
            externals: None,
            tool_cache: None,
        })
    }

    /// Gives the job's directories (and the event file) to the policy's user.
    pub fn give_to(&mut self, owner: Option<(u32, u32)>) -> io::Result<()> {
        self.owner = owner;
        for d in [
            "",
            "workflow",
            "workflow/event.json",
            "file_commands",
            "home",
            "runner_temp",
            "tool_cache",
        ] {
            self.own(&self.host_dir.join(d))?;
        }
        Ok(())
    }

    /// Gives one file the engine wrote for the job to the policy's user, when there is one.
    pub fn own(&self, path: &Path) -> io::Result<()> {
        match self.owner {
            Some((uid, gid)) => std::os::unix::fs::chown(path, Some(uid), Some(gid)),
            None => Ok(()),
        }
    }

    pub fn mounts(&self) -> Vec<Mount> {
        let bind = |dir: &str, target: &str| Mount {
            source: self.host_dir.join(dir).display().to_string(),
            target: target.to_string(),
            read_only: false,
            kind: MountKind::Bind,
        };
        let workspace = match &self.workspace {
            WorkspaceMount::Bind(p) => Mount {
                source: p.display().to_string(),
                target: WORKSPACE.into(),
                read_only: false,
                kind: MountKind::Bind,
            },
            WorkspaceMount::Volume(v) => Mount {
                source: v.clone(),
                target: WORKSPACE.into(),
                read_only: false,
                kind: MountKind::Volume,
            },
        };
        let tool_cache = match &self.tool_cache {
            Some(dir) => Mount {
                source: dir.display().to_string(),
                target: TOOL_CACHE.into(),
                read_only: false,
                kind: MountKind::Bind,
            },
            None => bind("tool_cache", TOOL_CACHE),
        };
        let mut mounts = vec![
            workspace,
            bind("workflow", WORKFLOW_DIR),
            bind("file_commands", FILE_COMMANDS),
            bind("home", HOME),
            bind("runner_temp", RUNNER_TEMP),
            tool_cache,
        ];
        if let Some(dir) = &self.externals {
            mounts.push(Mount {
                source: dir.display().to_string(),
                target: EXTERNALS.into(),
                read_only: true,
                kind: MountKind::Bind,
            });
        }
        if let Some(v) = &self.secrets {
            mounts.push(Mount {
                source: v.clone(),
                target: SECRETS.into(),
                read_only: false,
                kind: MountKind::Volume,
            });
        }
        mounts
    }

    /// Writes a file into the job's home directory (on tmpfs, readable by its owner only).
    pub fn write_home(&self, name: &str, text: &str) -> io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.host_dir.join("home").join(name);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)?;
        std::io::Write::write_all(&mut f, text.as_bytes())?;
        self.own(&path)
    }

    /// Host path of a file in the job's temp directory (seen at `RUNNER_TEMP/name`).
    pub fn temp_file(&self, name: &str) -> (PathBuf, String) {
        (
            self.host_dir.join("runner_temp").join(name),
            format!("{RUNNER_TEMP}/{name}"),
        )
    }

    /// Fresh, empty file-command files for a step (`tag` makes them unique in the job).
    pub fn step_files(&self, tag: &str) -> io::Result<StepFiles> {
        let mut host = Vec::new();
        let mut env = Vec::new();
        for (var, name) in [
            ("GITHUB_ENV", "env"),
            ("GITHUB_OUTPUT", "output"),
            ("GITHUB_PATH", "path"),
            ("GITHUB_STATE", "state"),
            ("GITHUB_STEP_SUMMARY", "summary"),
        ] {
            let file = format!("{name}_{tag}");
            let path = self.host_dir.join("file_commands").join(&file);
            std::fs::write(&path, b"")?;
            self.own(&path)?;
            host.push((var, path));
            env.push((var.to_string(), format!("{FILE_COMMANDS}/{file}")));
        }
        Ok(StepFiles { host, env })
    }
}

impl StepFiles {
    /// What the step wrote to the file behind `var` (`GITHUB_OUTPUT`...).
    pub fn read(&self, var: &str) -> io::Result<String> {
        match self.host.iter().find(|(v, _)| *v == var) {
            Some((_, p)) => Ok(String::from_utf8_lossy(&std::fs::read(p)?).into_owned()),
            None => Ok(String::new()),
        }
    }
}
