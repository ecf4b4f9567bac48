//! The plan as a readable tree: workflows matched and not (with reasons), jobs in
//! dependency order with what they need, matrix legs, images and steps.

use super::types::*;
use std::fmt::Write;

fn decision(d: &Decision) -> String {
    match d {
        Decision::Now { value: true } => String::new(),
        Decision::Now { value: false } => " [skipped]".into(),
        Decision::AtRunTime { expression } => format!(" [if at run time: {}]", expression.trim()),
    }
}

/// How a step's kind reads in the plan.
pub fn step_kind(k: &StepKind) -> String {
    match k {
        StepKind::Run { shell, .. } => format!("run ({shell})"),
        StepKind::DockerImage { image } => format!("docker://{image}"),
        StepKind::DockerfileAction {
            path, dockerfile, ..
        } => {
            format!("action ./{path} (builds {dockerfile})")
        }
        StepKind::DockerAction { path, image, .. } => format!("action ./{path} (image {image})"),
        StepKind::Composite { path, steps, .. } => {
            format!("composite action ./{path} ({steps} steps)")
        }
        StepKind::Node {
            path, using, main, ..
        } => format!("{using} action ./{path} ({main})"),
        StepKind::Remote {
            repository,
            path,
            git_ref,
        } => {
            let p = if path.is_empty() {
                String::new()
            } else {
                format!("/{path}")
            };
            format!("remote action {repository}{p}@{git_ref}")
        }
        StepKind::Parallel { steps } => format!("parallel group of {}", steps.len()),
        StepKind::Control { what, .. } => what.clone(),
        StepKind::Invalid { reason, .. } => format!("INVALID: {reason}"),
    }
}

fn steps(out: &mut String, list: &[StepPlan], indent: &str) {
    for s in list {
        let _ = writeln!(
            out,
            "{indent}{}. {} — {}{}",
            s.index,
            s.name,
            step_kind(&s.kind),
            decision(&s.condition)
        );
        if let StepKind::Parallel { steps: inner } = &s.kind {
            self::steps(out, inner, &format!("{indent}   "));
        }
    }
}

/// For a call whose matrix is known only at run time (one placeholder job): what it calls.
fn later_call(j: &crate::JobPlan) -> Option<String> {
    let (called, _) = j.called_from.as_ref().zip(j.at_run_time.as_ref())?;
    Some(format!(
        "calls {called} for each leg of its matrix, planned when the jobs it needs are done"
    ))
}

pub fn render_text(plan: &Plan) -> String {
    let mut out = String::new();
    let ev = &plan.event;
    let _ = write!(out, "event {}", ev.name);
    if let Some(r) = &ev.git_ref {
        let _ = write!(out, " {r}");
    }
    if let Some(s) = &ev.sha {
        let _ = write!(out, " @ {}", &s[..s.len().min(12)]);
    }
    if let Some(a) = &ev.action {
        let _ = write!(out, " (action {a})");
    }
    if ev.synthetic {
        out.push_str(" (no git repository: a synthetic push of the working tree)");
    }
    out.push('\n');
    let matched = plan
        .workflows
        .iter()
        .filter(|w| w.matched && w.errors.is_empty())
        .count();
    let _ = writeln!(
        out,
        "{matched} of {} workflows will run\n",
        plan.workflows.len()
    );
    for w in &plan.workflows {
        let verdict = match (w.matched, w.errors.is_empty()) {
            (true, true) => "RUNS",
            (true, false) => "MATCHES BUT CANNOT RUN",
            (false, _) => "does not run",
        };
        let _ = writeln!(out, "{} ({}): {verdict}", w.file, w.name);
        for r in &w.reasons {
            let _ = writeln!(out, "  because {r}");
        }
        for e in &w.errors {
            let _ = writeln!(out, "  error: {e}");
        }
        let Some(run) = &w.run else {
            out.push('\n');
            continue;
        };
        if let Some(n) = &run.run_name {
            let _ = writeln!(out, "  run name: {n}");
        }
        if let Some(c) = &run.concurrency {
            let _ = writeln!(
                out,
                "  concurrency group: {}{}",
                c.group,
                if c.cancel_in_progress == (Decision::Now { value: true }) {
                    " (cancels in-progress runs)"
                } else {
                    ""
                }
            );
        }
        for j in &run.jobs {
            let needs = if j.needs.is_empty() {
                String::new()
            } else {
                format!(" needs [{}]", j.needs.join(", "))
            };
            let _ = writeln!(out, "  job {}{needs}{}", j.key, decision(&j.condition));
            if j.name != j.key {
                let _ = writeln!(out, "    name: {}", j.name);
            }
            if let Some(r) = &j.skip_reason {
                let _ = writeln!(out, "    skipped: {r}");
            }
            if let Some(note) = later_call(j) {
                let _ = writeln!(out, "    {note}");
            }
            if let Some(img) = &j.image {
                let _ = writeln!(out, "    image: {img} (runs-on {})", j.runs_on.join(", "));
            }
            for s in &j.services {
                let _ = writeln!(out, "    service {}: {}", s.id, s.image);
            }
            if !j.secrets.is_empty() {
                let list: Vec<String> = j
                    .secrets
                    .iter()
                    .map(|s| format!("{} ({})", s.name, s.source))
                    .collect();
                let _ = writeln!(out, "    secrets: {}", list.join(", "));
            }
            steps(&mut out, &j.steps, "    ");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(event: EventSummary) -> String {
        let plan = Plan {
            event,
            workflows: Vec::new(),
        };
        render_text(&plan)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn the_header_says_when_the_event_is_synthetic() {
        let push = |synthetic| EventSummary {
            name: "push".into(),
            git_ref: Some("refs/heads/main".into()),
            sha: Some("0000000000000000000000000000000000000000".into()),
            action: None,
            synthetic,
        };
        let cases = [
            (
                push(true),
                "event push refs/heads/main @ 000000000000 \
                 (no git repository: a synthetic push of the working tree)",
            ),
            (push(false), "event push refs/heads/main @ 000000000000"),
        ];
        for (event, want) in cases {
            assert_eq!(header(event), want);
        }
    }
}
