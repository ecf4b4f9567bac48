//! How much of one step's output the store keeps (`[logs]`): a workflow author controls what
//! a step prints, and a loop printing forever must not fill the shared run store another
//! tenant's runs need. Past a step's budget (lines or bytes, whichever ends first) one
//! system line says so, the rest of that step's output is dropped, and when the step ends
//! one more line says how much was not kept. The run itself goes on: only the log is cut.

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;

/// `[logs]` of gantry.toml.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LogLimits {
    /// Lines of one step (or of a job outside its steps) kept at most.
    #[serde(default = "default_lines")]
    pub max_lines_per_step: u64,
    /// Bytes of those lines kept at most.
    #[serde(default = "default_bytes")]
    pub max_bytes_per_step: u64,
}

impl Default for LogLimits {
    fn default() -> Self {
        LogLimits {
            max_lines_per_step: default_lines(),
            max_bytes_per_step: default_bytes(),
        }
    }
}

fn default_lines() -> u64 {
    100_000
}

fn default_bytes() -> u64 {
    64 << 20
}

/// What to do with one line.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// The first line over the budget: keep this notice instead of it.
    Cut(String),
    Drop,
}

#[derive(Default)]
struct Used {
    lines: u64,
    bytes: u64,
    dropped_lines: u64,
    dropped_bytes: u64,
}

/// The output kept so far per (job, step) of one run attempt.
pub struct LogBudget {
    limits: LogLimits,
    used: Mutex<HashMap<(String, Option<String>), Used>>,
}

impl LogBudget {
    pub fn new(limits: LogLimits) -> LogBudget {
        LogBudget {
            limits,
            used: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a line of `job`'s `step` (None: the job's own lines) and says whether to keep it.
    pub fn admit(&self, job: &str, step: Option<&str>, len: usize) -> Verdict {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        let u = used
            .entry((job.to_string(), step.map(str::to_string)))
            .or_default();
        let len = len as u64;
        let over = u.dropped_lines > 0
            || u.lines + 1 > self.limits.max_lines_per_step
            || u.bytes + len > self.limits.max_bytes_per_step;
        if !over {
            u.lines += 1;
            u.bytes += len;
            return Verdict::Keep;
        }
        u.dropped_lines += 1;
        u.dropped_bytes += len;
        if u.dropped_lines > 1 {
            return Verdict::Drop;
        }
        Verdict::Cut(format!(
            "gantry: this step's output reached its limit ({} lines or {} bytes kept per step, \
             [logs] in gantry.toml); the rest of it is not kept",
            self.limits.max_lines_per_step, self.limits.max_bytes_per_step
        ))
    }

    /// At the step's end: a line saying how much of its output was dropped, if any.
    pub fn finish(&self, job: &str, step: Option<&str>) -> Option<String> {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        let u = used.remove(&(job.to_string(), step.map(str::to_string)))?;
        (u.dropped_lines > 0).then(|| {
            format!(
                "gantry: {} lines ({} bytes) of this step's output were not kept",
                u.dropped_lines, u.dropped_bytes
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(lines: u64, bytes: u64) -> LogBudget {
        LogBudget::new(LogLimits {
            max_lines_per_step: lines,
            max_bytes_per_step: bytes,
        })
    }

    #[test]
    fn a_step_keeps_its_budget_then_one_notice_then_nothing() {
        // (limits, line lengths, expected verdict kinds: k keep, c cut, d drop)
        let table: &[((u64, u64), &[usize], &str)] = &[
            ((3, 1000), &[1, 1, 1, 1, 1], "kkkcd"),
            ((100, 10), &[4, 4, 4, 1, 1], "kkcdd"),
            ((100, 10), &[10, 0], "kk"),
            ((0, 10), &[1, 1], "cd"),
        ];
        for ((lines, bytes), lens, want) in table {
            let b = budget(*lines, *bytes);
            let got: String = lens
                .iter()
                .map(|n| match b.admit("build", Some("2"), *n) {
                    Verdict::Keep => 'k',
                    Verdict::Cut(_) => 'c',
                    Verdict::Drop => 'd',
                })
                .collect();
            assert_eq!(
                &got, want,
                "limits {lines} lines / {bytes} bytes, lines {lens:?}"
            );
        }
    }

    #[test]
    fn steps_and_jobs_have_their_own_budgets_and_the_end_reports_what_was_dropped() {
        let b = budget(1, 1000);
        assert_eq!(b.admit("a", Some("1"), 5), Verdict::Keep);
        assert!(matches!(b.admit("a", Some("1"), 5), Verdict::Cut(_)));
        assert_eq!(b.admit("a", Some("1"), 7), Verdict::Drop);
        assert_eq!(b.admit("a", Some("2"), 5), Verdict::Keep, "another step");
        assert_eq!(b.admit("b", Some("1"), 5), Verdict::Keep, "another job");
        assert_eq!(b.admit("a", None, 5), Verdict::Keep, "the job's own lines");
        assert_eq!(
            b.finish("a", Some("1")).as_deref(),
            Some("gantry: 2 lines (12 bytes) of this step's output were not kept")
        );
        assert_eq!(b.finish("a", Some("2")), None, "nothing dropped");
        assert_eq!(
            b.admit("a", Some("1"), 5),
            Verdict::Keep,
            "a new attempt starts afresh"
        );
    }
}
