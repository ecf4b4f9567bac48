//! Which steps of each job are running now, so that the terminal can say which step a log
//! line comes from when steps run at the same time (`parallel:` groups, `background:`
//! steps): a line is labelled when another step of its job runs beside its own — one
//! that is neither inside it nor around it (a composite action's steps run inside it).

use std::collections::HashMap;

#[derive(Default)]
pub struct Running {
    /// Job → labels of its running steps ("3", "3.1").
    jobs: HashMap<String, Vec<String>>,
}

/// Whether one of the two steps is inside the other (or they are the same).
fn nested(a: &str, b: &str) -> bool {
    let inside = |inner: &str, outer: &str| {
        inner == outer
            || inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    inside(a, b) || inside(b, a)
}

impl Running {
    pub fn started(&mut self, job: &str, step: &str) {
        self.jobs
            .entry(job.to_string())
            .or_default()
            .push(step.to_string());
    }

    pub fn finished(&mut self, job: &str, step: &str) {
        if let Some(steps) = self.jobs.get_mut(job) {
            steps.retain(|s| s != step);
        }
    }

    /// Whether a step of `job` that is not nested with `step` runs now.
    pub fn beside(&self, job: &str, step: &str) -> bool {
        self.jobs
            .get(job)
            .is_some_and(|steps| steps.iter().any(|s| !nested(s, step)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_beside_the_steps_it_is_not_nested_with() {
        for (running, step, want) in [
            (&[][..], "1", false),
            (&["1"][..], "1", false),
            (&["3", "3.1"][..], "3.1", false),
            (&["3", "3.1"][..], "3", false),
            (&["2.1", "2.2"][..], "2.1", true),
            (&["1", "2"][..], "2", true),
            (&["1", "10"][..], "1", true),
            (&["3", "3.1", "4"][..], "3.1", true),
        ] {
            let mut r = Running::default();
            for s in running {
                r.started("job", s);
            }
            assert_eq!(r.beside("job", step), want, "{running:?} {step}");
            assert!(!r.beside("other", step));
        }
    }

    #[test]
    fn a_finished_step_is_no_longer_running() {
        let mut r = Running::default();
        r.started("job", "1.1");
        r.started("job", "1.2");
        r.finished("job", "1.2");
        assert!(!r.beside("job", "1.1"));
    }
}
