//! The policy applied to a workflow's model before anything runs: every `container:` and
//! `services:` entry whose `options:` or `volumes:` are literal text is judged, and each
//! refusal keeps the place it was written, so `gantry plan`/`run`/`serve` refuse the run
//! with `file:line:col` and `gantry validate` warns at the same place. Text holding
//! `${{ }}` is judged by the engine once evaluated, before any container of the job starts.

use super::check::{check_options, check_port, check_volume, Refusal};
use super::Policy;
use crate::container_options::parse_options;
use crate::diag::Diagnostic;
use crate::model::{Container, JobKind, Str, Workflow};
use crate::yaml::node::{Pos, Span};

/// A refusal and where it was asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub span: Span,
    /// "job `build`'s container", "service `db` of job `test`".
    pub place: String,
    pub refusal: Refusal,
}

impl Located {
    /// `file:line:col: place: refusal`, the form plan errors take.
    pub fn render(&self, file: &str) -> String {
        format!(
            "{file}:{}:{}: {}: {}",
            self.span.start.line, self.span.start.col, self.place, self.refusal
        )
    }

    pub fn diagnostic(&self) -> Diagnostic {
        Diagnostic::warning(
            "policy",
            self.span,
            format!(
                "{}: {}; with the default policy `gantry run` and `gantry serve` refuse this run",
                self.place, self.refusal
            ),
        )
    }
}

/// Every refusal in the workflow's job and service containers, in file order.
pub fn check_workflow(wf: &Workflow, policy: &Policy) -> Vec<Located> {
    let mut out = Vec::new();
    for job in &wf.jobs {
        let JobKind::Steps(sj) = &job.kind else {
            continue;
        };
        if let Some(c) = &sj.container {
            let place = format!("job `{}`'s container", job.id.value);
            check_container(c, &place, policy, &mut out);
        }
        for (sid, c) in &sj.services {
            let place = format!("service `{}` of job `{}`", sid.value, job.id.value);
            check_container(c, &place, policy, &mut out);
        }
    }
    out.sort_by_key(|l| l.span.start.offset);
    out
}

fn check_container(c: &Container, place: &str, policy: &Policy, out: &mut Vec<Located>) {
    let entries = c
        .volumes
        .iter()
        .map(|v| (v, check_volume as fn(&str, &Policy) -> Vec<Refusal>))
        .chain(
            c.ports
                .iter()
                .map(|p| (p, check_port as fn(&str, &Policy) -> Vec<Refusal>)),
        );
    for (text, check) in entries.filter(|(t, _)| !t.has_expr()) {
        for refusal in check(&text.value, policy) {
            out.push(Located {
                span: text.span,
                place: place.to_string(),
                refusal,
            });
        }
    }
    let Some(text) = c.options.as_ref().filter(|o| !o.has_expr()) else {
        return;
    };
    // A malformed `options:` fails the job with the parser's message at run time.
    let Ok(options) = parse_options(&text.value) else {
        return;
    };
    for refusal in check_options(&options, policy) {
        out.push(Located {
            span: flag_span(text, &refusal.option),
            place: place.to_string(),
            refusal,
        });
    }
}

/// The flag's own place inside a one-line plain `options:` value (its first word), else
/// the whole value: offsets inside quoted or folded text do not map to columns.
fn flag_span(text: &Str, option: &str) -> Span {
    let s = text.span;
    let plain =
        s.start.line == s.end.line && (s.end.offset - s.start.offset) as usize == text.value.len();
    let flag = option.split([' ', '=']).next().unwrap_or(option);
    match text.value.find(flag).filter(|_| plain && !flag.is_empty()) {
        Some(i) => {
            let at = |d: usize| Pos {
                offset: s.start.offset + d as u32,
                line: s.start.line,
                col: s.start.col + d as u32,
            };
            Span::new(at(i), at(i + flag.len()))
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{check_text, FileKind};

    fn refusals(yaml: &str) -> Vec<String> {
        let wf = check_text(yaml, FileKind::Workflow).workflow.unwrap();
        check_workflow(&wf, &Policy::default())
            .iter()
            .map(|l| l.render("ci.yml"))
            .collect()
    }

    #[test]
    fn refusals_name_file_line_column_option_and_key() {
        let got = refusals(
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    container:\n      image: node:20\n      options: --cpus 1 --privileged\n      volumes:\n        - /var/run/docker.sock:/var/run/docker.sock\n    services:\n      db:\n        image: postgres\n        options: --cap-add SYS_ADMIN\n    steps:\n      - run: true\n",
        );
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(
            got[0].starts_with("ci.yml:7:25: job `build`'s container: `--privileged`"),
            "{}",
            got[0]
        );
        assert!(got[0].ends_with("`[policy] privileged`)"), "{}", got[0]);
        assert!(
            got[1].starts_with(
                "ci.yml:9:11: job `build`'s container: `/var/run/docker.sock:/var/run/docker.sock`"
            ),
            "{}",
            got[1]
        );
        assert!(got[1].contains("`[policy] docker_socket`"), "{}", got[1]);
        assert!(
            got[2].starts_with("ci.yml:13:18: service `db` of job `build`: `--cap-add SYS_ADMIN`"),
            "{}",
            got[2]
        );
    }

    #[test]
    fn expressions_are_left_to_run_time_and_plain_containers_pass() {
        let got = refusals(
            "on: push\njobs:\n  a:\n    runs-on: x\n    container:\n      image: node\n      options: ${{ vars.OPTS }}\n      volumes: ['${{ vars.V }}:/v', '/cache']\n    steps:\n      - run: true\n",
        );
        assert!(got.is_empty(), "{got:?}");
    }
}
