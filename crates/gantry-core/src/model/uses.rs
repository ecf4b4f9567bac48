//! `Uses`: a `uses:` value as written together with what it names, parsed once when the
//! model is lowered so that validation (which reports its error) and planning (which
//! decides the step's or job's kind from it) never parse it again.

use super::spanned::Str;
use crate::action_ref::{parse_job_uses, parse_step_uses, ActionRef, UsesError};

#[derive(Clone, Debug, PartialEq)]
pub struct Uses {
    /// The value as written, with its span: messages and plans quote it, and an error's
    /// offset points into it.
    pub text: Str,
    /// What it names, or why it is not acceptable where it was written (a step's `uses:`
    /// must name an action, a job's a reusable workflow).
    pub parsed: Result<ActionRef, UsesError>,
}

impl Uses {
    /// A step's `uses:`: an action or a Docker image.
    pub fn step(text: Str) -> Uses {
        let parsed = parse_step_uses(&text.value);
        Uses { text, parsed }
    }

    /// A job's `uses:`: a reusable workflow.
    pub fn job(text: Str) -> Uses {
        let parsed = parse_job_uses(&text.value);
        Uses { text, parsed }
    }

    /// The value as written.
    pub fn as_str(&self) -> &str {
        &self.text.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action_ref::LocalRoot;
    use crate::model::Spanned;
    use crate::yaml::node::Span;

    /// The same text is an action in a step and a reusable workflow in a job; each context
    /// refuses the other's kind, and the text stays as written either way.
    #[test]
    fn the_context_decides_what_is_accepted() {
        let text = |s: &str| Spanned::new(s.to_string(), Span::default());
        let wf = "./.github/workflows/ci.yml";
        let local = ActionRef::Local {
            root: LocalRoot::Workspace,
            path: ".github/workflows/ci.yml".into(),
        };
        let cases: [(Uses, Option<&ActionRef>); 4] = [
            (Uses::job(text(wf)), Some(&local)),
            (Uses::step(text(wf)), None),
            (Uses::job(text("docker://alpine")), None),
            (Uses::job(text("")), None),
        ];
        for (uses, want) in &cases {
            assert_eq!(uses.parsed.as_ref().ok(), *want, "{}", uses.as_str());
        }
        assert_eq!(cases[1].0.as_str(), wf);
        let step_err = cases[1].0.parsed.as_ref().unwrap_err();
        assert_eq!(step_err.offset, 2);
        assert!(step_err.message.contains("call it from a job"));
    }
}
