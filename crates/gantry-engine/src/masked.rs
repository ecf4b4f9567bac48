//! The last line of masking: every text a run reports — step names (which may render a
//! secret: `name: deploy ${{ secrets.X }}`), reasons, log lines, group titles, annotations,
//! summaries — passes through the run's masker before any reporter (the console, the run
//! store) sees it, whatever the code that produced it did; so do the jobs' reasons the run
//! returns.

use super::report::{Reporter, RunEvent};
use super::JobResult;
use crate::mask::Masker;
use std::sync::{Arc, RwLock};

pub struct Masked {
    pub inner: Arc<dyn Reporter>,
    pub masker: Arc<RwLock<Masker>>,
}

fn with_masker<T>(masker: &RwLock<Masker>, f: impl FnOnce(&Masker) -> T) -> T {
    match masker.read() {
        Ok(m) => f(&m),
        // A writer panicked: the values it held are still there.
        Err(poisoned) => f(&poisoned.into_inner()),
    }
}

fn event(mut e: RunEvent, m: &Masker) -> RunEvent {
    let one = |s: &mut String| *s = m.mask(s);
    match &mut e {
        RunEvent::RunStarted { workflow, .. } => one(workflow),
        RunEvent::JobStarted { name, .. } | RunEvent::StepStarted { name, .. } => one(name),
        RunEvent::JobFinished { reason, .. } => reason.iter_mut().for_each(one),
        RunEvent::Log { line, .. } => one(line),
        RunEvent::Group { title, .. } => title.iter_mut().for_each(one),
        RunEvent::Annotation { message, file, .. } => {
            one(message);
            file.iter_mut().for_each(one);
        }
        RunEvent::Summary { markdown, .. } => one(markdown),
        RunEvent::StepFinished { name, reason, .. } => {
            one(name);
            reason.iter_mut().for_each(one);
        }
        RunEvent::RunFinished { .. } => {}
    }
    e
}

impl Reporter for Masked {
    fn report(&self, e: RunEvent) {
        let e = with_masker(&self.masker, |m| event(e, m));
        self.inner.report(e);
    }
}

/// The jobs' results with their reasons (a reason quotes a step's name) and outputs masked.
pub fn results(results: Vec<JobResult>, masker: &RwLock<Masker>) -> Vec<JobResult> {
    with_masker(masker, |m| {
        results
            .into_iter()
            .map(|mut r| {
                r.reason = r.reason.map(|t| m.mask(&t));
                // Outputs leave the run here (the service keeps them for a later attempt):
                // a secret in one is masked, as in a log line.
                for v in r.outputs.values_mut() {
                    *v = m.mask(v);
                }
                r
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Collect, Conclusion};

    #[test]
    fn names_reasons_and_lines_are_masked() {
        let mut m = Masker::default();
        m.add("hunter22-secret");
        let masker = Arc::new(RwLock::new(m));
        let inner = Arc::new(Collect::default());
        let r = Masked {
            inner: inner.clone(),
            masker: masker.clone(),
        };
        r.report(RunEvent::StepFinished {
            job: "j".into(),
            step: "1".into(),
            name: "deploy hunter22-secret".into(),
            outcome: Conclusion::Failure,
            conclusion: Conclusion::Failure,
            reason: Some("step 1 `deploy hunter22-secret` failed".into()),
            duration_ms: 1,
        });
        let text = serde_json::to_string(&inner.events()).unwrap();
        assert!(
            !text.contains("hunter22") && text.contains("deploy ***"),
            "{text}"
        );
        let done = results(
            vec![JobResult {
                key: "j".into(),
                id: "j".into(),
                conclusion: Conclusion::Failure,
                outputs: [("x".to_string(), "is hunter22-secret".to_string())].into(),
                reason: Some("aGVsbG8gaHVudGVyMjItc2VjcmV0 hunter22-secret".into()),
                kept_from: None,
            }],
            &masker,
        );
        assert_eq!(done[0].outputs["x"], "is ***", "outputs too");
        let reason = done[0].reason.clone().unwrap();
        assert_eq!(
            reason, "aGVsbG8g*** ***",
            "the value and its base64 inside a longer one"
        );
    }
}
