//! Checks of the job graph: every `needs` names a job that exists, and there is no cycle.

use crate::diag::Diagnostics;
use crate::model::Workflow;
use std::collections::HashMap;

pub fn check(wf: &Workflow, diags: &mut Diagnostics) {
    let index: HashMap<&str, usize> = wf
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.id.value.as_str(), i))
        .collect();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); wf.jobs.len()];
    for (i, job) in wf.jobs.iter().enumerate() {
        for (n, need) in job.needs.iter().enumerate() {
            if job.needs[..n].iter().any(|p| p.value == need.value) {
                diags.warning(
                    "needs",
                    need.span,
                    format!(
                        "job `{}` lists `{}` in `needs` twice",
                        job.id.value, need.value
                    ),
                );
                continue;
            }
            match index.get(need.value.as_str()) {
                Some(&j) if j == i => diags.error(
                    "needs",
                    need.span,
                    format!("job `{}` cannot need itself", job.id.value),
                ),
                Some(&j) => edges[i].push(j),
                None => diags.error(
                    "needs",
                    need.span,
                    format!(
                        "job `{}` needs `{}`, which is not a job in this workflow{}",
                        job.id.value,
                        need.value,
                        known_jobs(wf)
                    ),
                ),
            }
        }
    }
    report_cycles(wf, &edges, diags);
}

fn known_jobs(wf: &Workflow) -> String {
    let ids: Vec<String> = wf
        .jobs
        .iter()
        .map(|j| format!("`{}`", j.id.value))
        .collect();
    if ids.is_empty() || ids.len() > 12 {
        String::new()
    } else {
        format!(" (jobs: {})", ids.join(", "))
    }
}

/// Finds cycles with an iterative depth-first search and reports each once, at the `needs`
/// entry that closes it, spelling out the whole loop.
fn report_cycles(wf: &Workflow, edges: &[Vec<usize>], diags: &mut Diagnostics) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark = vec![Mark::New; edges.len()];
    for root in 0..edges.len() {
        if mark[root] != Mark::New {
            continue;
        }
        // (node, next edge to follow)
        let mut stack = vec![(root, 0usize)];
        mark[root] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&to) = edges[node].get(*next) {
                *next += 1;
                match mark[to] {
                    Mark::New => {
                        mark[to] = Mark::Active;
                        stack.push((to, 0));
                    }
                    Mark::Active => {
                        let from = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                        let mut path: Vec<&str> = stack[from..]
                            .iter()
                            .map(|(n, _)| wf.jobs[*n].id.value.as_str())
                            .collect();
                        path.push(wf.jobs[to].id.value.as_str());
                        let job = &wf.jobs[node];
                        let span = job
                            .needs
                            .iter()
                            .find(|n| n.value == wf.jobs[to].id.value)
                            .map_or(job.id.span, |n| n.span);
                        diags.error(
                            "needs",
                            span,
                            format!("`needs` forms a cycle: {}", path.join(" → ")),
                        );
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
}
