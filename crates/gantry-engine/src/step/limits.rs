//! Saying why a step died when the policy's limits killed it. A process the kernel kills
//! for lack of memory just exits 137, and a fork refused by the pids limit surfaces as
//! whatever the shell makes of EAGAIN; the job container's cgroup counts both events
//! (`oom_kill` in `memory.oom_control` or `memory.events`, `max` in `pids.events`), so a
//! failed step's reason can name the limit and the policy key that sets it.

use super::{JobRunner, StepResult};
use crate::backend::{output_channel, ContainerBackend, ExecSpec, Stream};
use crate::report::Conclusion;

/// The job container's cgroup counters, as last seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LimitCounters {
    pub oom_kills: u64,
    pub pids_refused: u64,
}

/// The files holding the counters, cgroup v1 first, then v2.
const MEMORY_FILES: &[&str] = &[
    "/sys/fs/cgroup/memory/memory.oom_control",
    "/sys/fs/cgroup/memory.events",
];
const PIDS_FILES: &[&str] = &[
    "/sys/fs/cgroup/pids/pids.events",
    "/sys/fs/cgroup/pids.events",
];

/// The number after `key ` on one of the lines of `text`, summed over the lines.
fn counter(text: &str, key: &str) -> u64 {
    text.lines()
        .filter_map(|l| l.strip_prefix(key)?.trim().parse::<u64>().ok())
        .sum()
}

impl<B: ContainerBackend> JobRunner<B> {
    /// Reads files in the job container (`cat` prints those that exist).
    async fn read_in_job(&self, files: &[&str]) -> String {
        let mut cmd = vec!["cat".to_string()];
        cmd.extend(files.iter().map(|f| f.to_string()));
        let spec = ExecSpec {
            cmd,
            user: Some("0".into()),
            ..Default::default()
        };
        let (tx, mut rx) = output_channel();
        let run = self.cx.backend.exec(&self.site.container, &spec, tx);
        let collect = async {
            let mut out = Vec::new();
            while let Some(c) = rx.recv().await {
                if c.stream == Stream::Stdout {
                    out.extend(c.bytes);
                }
            }
            out
        };
        let (_, out) = tokio::join!(run, collect);
        String::from_utf8_lossy(&out).into_owned()
    }

    async fn limit_counters(&self) -> LimitCounters {
        LimitCounters {
            oom_kills: counter(&self.read_in_job(MEMORY_FILES).await, "oom_kill "),
            pids_refused: counter(&self.read_in_job(PIDS_FILES).await, "max "),
        }
    }

    /// Whether the job container is at its process limit now (its leftover processes may
    /// leave no room even for reading the counters).
    async fn at_pids_limit(&self) -> bool {
        match self.cx.backend.pids(&self.site.container).await {
            Ok((current, Some(limit))) => limit > 0 && current + 2 >= limit,
            _ => false,
        }
    }

    /// After a failed `run:` step: if the memory or process limit was hit while it ran,
    /// the reason says so, with the limit and the policy key.
    pub(super) async fn explain_failure(&self, result: &mut StepResult) {
        if result.outcome != Conclusion::Failure {
            return;
        }
        let now = self.limit_counters().await;
        let before = std::mem::replace(&mut super::lock(&self.chores).limits_seen, now);
        let policy = &self.cx.cfg.policy;
        let why = if now.oom_kills > before.oom_kills {
            format!(
                "out of memory: the kernel killed the step's process (exit code 137) when the \
                 job's container reached its memory limit of {} (`[policy] memory`)",
                policy.memory
            )
        } else if now.pids_refused > before.pids_refused || self.at_pids_limit().await {
            format!(
                "the job's container reached its limit of {} processes and threads, so new \
                 ones could not start (`[policy] pids_limit`)",
                policy.pids_limit
            )
        } else {
            return;
        };
        result.reason = Some(match result.reason.take() {
            Some(r) => format!("{why}; {r}"),
            None => why,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::counter;

    #[test]
    fn counters_from_cgroup_v1_and_v2_files() {
        let v1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
        assert_eq!(counter(v1, "oom_kill "), 2);
        let v2 = "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n";
        assert_eq!(counter(v2, "oom_kill "), 1);
        assert_eq!(counter("max 12\n", "max "), 12);
        assert_eq!(counter("", "max "), 0);
    }
}
