//! Table tests of validation: each case is a small file and the exact diagnostics
//! (line, column, rule, a piece of the message) it must produce — no more, no fewer.

use super::{check_text, FileKind};
use crate::diag::Severity;

pub(super) struct Case {
    name: &'static str,
    kind: FileKind,
    src: &'static str,
    /// (line, col, rule, severity, message fragment)
    want: &'static [(u32, u32, &'static str, Severity, &'static str)],
}

const E: Severity = Severity::Error;
const W: Severity = Severity::Warning;

pub(super) fn wf(
    name: &'static str,
    src: &'static str,
    want: &'static [(u32, u32, &'static str, Severity, &'static str)],
) -> Case {
    Case {
        name,
        kind: FileKind::Workflow,
        src,
        want,
    }
}

pub(super) fn run(cases: &[Case]) {
    let mut failures = Vec::new();
    for c in cases {
        let got = check_text(c.src, c.kind).diagnostics;
        let got_view: Vec<String> = got
            .iter()
            .map(|d| {
                format!(
                    "{}:{} [{}] {:?} {}",
                    d.span.start.line, d.span.start.col, d.rule, d.severity, d.message
                )
            })
            .collect();
        let ok = got.len() == c.want.len()
            && got
                .iter()
                .zip(c.want)
                .all(|(d, (line, col, rule, sev, frag))| {
                    d.span.start.line == *line
                        && d.span.start.col == *col
                        && d.rule == *rule
                        && d.severity == *sev
                        && d.message.contains(frag)
                });
        if !ok {
            failures.push(format!(
                "case `{}`:\n  want {:?}\n  got  {:#?}",
                c.name, c.want, got_view
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn structure_and_types() {
    run(&[
        wf("clean", "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n", &[]),
        wf("no on, no jobs", "name: x\n", &[(1, 1, "required", E, "no `on:`"), (1, 1, "required", E, "no `jobs:`")]),
        wf("unknown top key with suggestion", "on: push\njob:\n  a: {}\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(2, 1, "key", E, "did you mean `jobs`?")]),
        wf("unknown job key", "on: push\njobs:\n  a:\n    runs_on: x\n    steps: [{run: a}]\n", &[(3, 3, "required", E, "no `runs-on`"), (4, 5, "key", E, "did you mean `runs-on`?")]),
        wf("steps not a list", "on: push\njobs:\n  a:\n    runs-on: x\n    steps: echo\n", &[(5, 12, "type", E, "must be a list of steps")]),
        wf("step with run and uses", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: a\n        uses: b@c\n", &[(7, 9, "key", E, "both `run` and `uses`")]),
        wf("step with nothing", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - name: a\n", &[(6, 9, "required", E, "must have `run` or `uses`")]),
        wf("with on run step", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: a\n        with: {x: 1}\n", &[(7, 9, "key", E, "`with` only applies")]),
        wf("timeout wrong type", "on: push\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: soon\n    steps: [{run: a}]\n", &[(5, 22, "type", E, "a number or an expression")]),
        wf("timeout expression ok", "on: push\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: ${{ 3 }}\n    steps: [{run: a}]\n", &[]),
        wf("duplicate key", "on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n    steps: [{run: a}]\n", &[(5, 5, "key", E, "already defined at line 4")]),
        wf("bad job id", "on: push\njobs:\n  1a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 3, "id", E, "must start with a letter")]),
        wf("call job rejects steps keys", "on: push\njobs:\n  a:\n    uses: o/r/.github/workflows/w.yml@v1\n    runs-on: x\n", &[(5, 5, "key", E, "calls a reusable workflow")]),
        wf("permissions", "on: push\npermissions:\n  contents: readd\n  foo: read\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 13, "permissions", E, "must be `read`, `write` or `none`"), (4, 3, "key", E, "unexpected key `foo`")]),
        wf("2026 steps", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - id: bg\n        run: sleep 1\n        background: true\n      - parallel:\n          - run: a\n          - run: b\n      - wait: bg\n      - wait-all:\n      - cancel: bg\n", &[]),
        wf("concurrency queue", "on: push\nconcurrency:\n  group: g\n  cancel-in-progress: false\n  queue: max\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[]),
    ]);
}

#[test]
fn triggers() {
    run(&[
        wf("unknown event", "on: pusj\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(1, 5, "event", E, "did you mean `push`?")]),
        wf("list of events", "on: [push, pull_request, kafka]\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(1, 26, "event", E, "needs a configuration naming its `topics`")]),
        wf("both branches and branches-ignore", "on:\n  push:\n    branches: [a]\n    branches-ignore: [b]\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(4, 22, "event", E, "cannot use both")]),
        wf("unknown activity type", "on:\n  issues:\n    types: [opened, shut]\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 21, "event", W, "unknown activity type `shut`")]),
        wf("filter GitHub ignores", "on:\n  pull_request:\n    tags: [v1]\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 5, "key", W, "GitHub ignores it")]),
        wf("kafka ok", "on:\n  kafka:\n    topics: [orders]\n    key: 'eu-*'\n    headers: {type: created}\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[]),
        wf("kafka publish", "on:\n  kafka:\n    topics: [orders]\n    publish: order-results\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[]),
        wf("kafka publish not a topic", "on:\n  kafka:\n    topics: [orders]\n    publish: 'order results'\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(4, 14, "event", E, "must be a Kafka topic name")]),
        wf("kafka without topics", "on:\n  kafka:\n    key: x\n    partition: 3\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 5, "event", E, "at least one topic"), (4, 5, "key", E, "unexpected key `partition`")]),
        wf("webhook ok", "on:\n  webhook:\n    names: [deploy]\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[]),
        wf("webhook bad", "on:\n  webhook:\n    name: deploy\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 5, "key", E, "did you mean `names`?")]),
        wf("schedule needs cron", "on:\n  schedule:\n    - crn: '* * * * *'\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 7, "key", E, "did you mean `cron`?"), (3, 7, "required", E, "needs a `cron`")]),
    ]);
}

#[test]
fn needs_graph() {
    run(&[
        wf("undefined needs", "on: push\njobs:\n  a:\n    needs: [b]\n    runs-on: x\n    steps: [{run: a}]\n", &[(4, 13, "needs", E, "needs `b`, which is not a job")]),
        wf("cycle", "on: push\njobs:\n  a:\n    needs: b\n    runs-on: x\n    steps: [{run: a}]\n  b:\n    needs: a\n    runs-on: x\n    steps: [{run: a}]\n", &[(8, 12, "needs", E, "cycle: a → b → a")]),
        wf("self", "on: push\njobs:\n  a:\n    needs: a\n    runs-on: x\n    steps: [{run: a}]\n", &[(4, 12, "needs", E, "cannot need itself")]),
        wf("diamond is fine", "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n  b:\n    needs: a\n    runs-on: x\n    steps: [{run: a}]\n  c:\n    needs: a\n    runs-on: x\n    steps: [{run: a}]\n  d:\n    needs: [b, c]\n    runs-on: x\n    steps: [{run: a}]\n", &[]),
    ]);
}

#[test]
fn step_ids() {
    run(&[
        wf("duplicate step id", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - id: s\n        run: a\n      - id: S\n        run: b\n", &[(8, 13, "id", E, "already used by a step at line 6")]),
        wf("bad step id", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - id: 'a b'\n        run: a\n", &[(6, 13, "id", E, "must start with a letter")]),
    ]);
}

#[test]
fn actions() {
    run(&[
        Case { name: "docker action", kind: FileKind::Action, src: "name: a\ndescription: d\nruns:\n  using: docker\n  image: Dockerfile\n  args: [x]\n", want: &[] },
        Case { name: "unknown using", kind: FileKind::Action, src: "name: a\nruns:\n  using: python3\n", want: &[(3, 10, "action", E, "unknown `runs.using: python3`")] },
        Case { name: "node without main", kind: FileKind::Action, src: "runs:\n  using: node24\n", want: &[(2, 10, "required", E, "needs `runs.main`")] },
        Case { name: "extra top key is ignored by GitHub", kind: FileKind::Action, src: "name: a\nmaintainer: me\nruns:\n  using: composite\n  steps:\n    - run: a\n      shell: bash\n", want: &[(2, 1, "key", W, "GitHub ignores it")] },
    ]);
}

#[test]
fn malformed_input_gives_positioned_errors() {
    let got = check_text("on: push\njobs:\n  a: [\n", FileKind::Workflow).diagnostics;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rule, "yaml");
    assert!(got[0].span.start.line >= 3, "{got:?}");
    let got = super::check_bytes(b"on: push\njobs: \xff\n", FileKind::Workflow).diagnostics;
    assert_eq!(
        (got[0].rule, got[0].span.start.line, got[0].span.start.col),
        ("encoding", 2, 7)
    );
    let got = check_text("", FileKind::Workflow).diagnostics;
    assert_eq!(got[0].message, "the file is empty");
    let got = check_text("- a\n- b\n", FileKind::Workflow).diagnostics;
    assert_eq!((got[0].rule, got[0].severity), ("type", E));
}

#[test]
fn trigger_values() {
    run(&[
        wf("bad glob points inside the pattern", "on:\n  push:\n    branches: ['rel/[z-a]']\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 24, "glob", E, "invalid range `z-a`")]),
        wf("negation re-includes in ignore lists", "on:\n  pull_request:\n    paths-ignore: ['**', '!sdk/.version']\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[]),
        wf("all negated", "on:\n  push:\n    branches: ['!main']\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 15, "glob", W, "nothing ever matches")]),
        wf("bad cron", "on:\n  schedule:\n    - cron: '0 25 * * *'\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 16, "cron", E, "invalid hour value 25")]),
        wf("too frequent cron", "on:\n  schedule:\n    - cron: '*/2 * * * *'\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 13, "cron", W, "at most every 5 minutes")]),
        wf("dispatch input types", "on:\n  workflow_dispatch:\n    inputs:\n      n:\n        type: int\n      b:\n        type: boolean\n        default: maybe\n      c:\n        type: choice\n        options: [x, y]\n        default: z\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(5, 15, "inputs", E, "input type `int`"), (8, 18, "inputs", E, "must be `true` or `false`"), (12, 18, "inputs", E, "not one of its options")]),
        wf("call inputs need a type", "on:\n  workflow_call:\n    inputs:\n      x:\n        required: true\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(4, 7, "inputs", E, "needs a `type`")]),
        wf("kafka topic and webhook names", "on:\n  kafka:\n    topics: ['bad topic']\n    key: '[a'\n  webhook:\n    names: ['a/b']\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 14, "event", E, "not a valid Kafka topic name"), (4, 11, "glob", E, "never closed"), (6, 13, "event", E, "webhook name `a/b`")]),
    ]);
}

/// etcd's `antithesis-test.yml` declares `type: int` for a dispatch input. GitHub documents
/// exactly five input types (string, boolean, number, choice, environment), so this is a
/// genuine mistake in that file, not a false positive: Gantry must keep reporting it.
#[test]
fn a_real_mistake_in_the_corpus_stays_reported() {
    let src = "on:\n  workflow_dispatch:\n    inputs:\n      duration:\n        description: 'Duration (exploration hours)'\n        required: true\n        type: int\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n";
    let got = check_text(src, FileKind::Workflow).diagnostics;
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].rule, got[0].span.start.line), ("inputs", 7));
}

fn job(steps: &'static str) -> String {
    format!("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n{steps}")
}

#[test]
fn expressions() {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    run(&[
        wf("syntax error points inside", leak(job("      - run: echo ${{ github.sha == }}\n")), &[(6, 37, "expression", E, "ends after an operator")]),
        wf("syntax error in a block scalar", leak(job("      - run: |\n          echo one\n          echo ${{ contains(a) }}\n")), &[(8, 20, "expression", E, "`contains` takes 2 arguments")]),
        wf("unknown function", leak(job("      - run: echo ${{ nope(1) }}\n")), &[(6, 23, "expression", E, "unknown function `nope`")]),
        wf("expressions before a syntax error are still checked", leak(job("      - run: echo ${{ gihtub.sha }} ${{ 1 == }} ${{ nope.x }}\n")), &[(6, 23, "context", E, "unknown context `gihtub`"), (6, 46, "expression", E, "ends after an operator")]),
        wf("unknown context", leak(job("      - run: echo ${{ gihtub.sha }}\n")), &[(6, 23, "context", E, "unknown context `gihtub`")]),
        wf("secrets not allowed in if", leak(job("      - run: echo\n        if: secrets.TOKEN != ''\n")), &[(7, 13, "context", E, "context `secrets` is not available in step `if`")]),
        wf("status function outside if", leak(job("      - run: echo ${{ success() }}\n")), &[(6, 23, "function", E, "`success()` cannot be used in step `run`")]),
        wf("hashFiles in job if", "on: push\njobs:\n  a:\n    if: hashFiles('x') != ''\n    runs-on: x\n    steps: [{run: a}]\n", &[(4, 9, "function", E, "`hashFiles()` cannot be used in `jobs.<job_id>.if`")]),
        wf("undefined step id", leak(job("      - id: build\n        run: make\n      - run: echo ${{ steps.biuld.outputs.x }}\n")), &[(8, 23, "reference", W, "step `biuld` is not defined before this point (steps with ids before it: build): its value is null")]),
        wf("step defined later", leak(job("      - run: echo ${{ steps.later.outputs.x }}\n      - id: later\n        run: make\n")), &[(6, 23, "reference", W, "step `later` is not defined before this point")]),
        wf("bad step property", leak(job("      - id: s\n        run: make\n      - run: echo ${{ steps.s.output.x }}\n")), &[(8, 23, "reference", W, "`steps.s.output` is always null")]),
        wf("step properties ignore case", leak(job("      - id: s\n        run: make\n      - run: echo ${{ steps.S.Outputs.x }} ${{ steps.s.OUTCOME }} ${{ steps.s.Output }}\n")), &[(8, 71, "reference", W, "`steps.s.output` is always null")]),
        wf("needs properties ignore case", "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n  b:\n    runs-on: x\n    needs: a\n    steps:\n      - run: echo ${{ needs.A.Result }} ${{ needs.a.Results }}\n", &[(10, 45, "reference", W, "`needs.a.results` is always null")]),
        wf("job outputs see all steps", "on: push\njobs:\n  a:\n    runs-on: x\n    outputs:\n      v: ${{ steps.s.outputs.v }}\n    steps:\n      - id: s\n        run: echo\n", &[]),
        // GitHub runs a job whose job-level `if:` reads a job it depends on through another
        // (electron/electron and python-poetry/poetry CI); elsewhere only direct needs count.
        wf("needs of needs in a job if", "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n  b:\n    runs-on: x\n    needs: a\n    steps: [{run: b}]\n  c:\n    runs-on: x\n    needs: b\n    if: needs.a.result == 'success'\n    steps:\n      - run: echo ${{ needs.a.result }}\n", &[(15, 23, "reference", E, "job `c` does not need `a` (needs: [b])")]),
        // GitHub: `needs.<own id>` is null; the workflow runs.
        wf("own id in needs", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ needs.a.result }}\n", &[(6, 23, "reference", W, "`needs.a` is always null: a job does not need itself")]),
        wf("needs reference", "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n  b:\n    runs-on: x\n    needs: a\n    steps:\n      - run: echo ${{ needs.a.result }} ${{ needs.c.outputs.x }}\n", &[(10, 45, "reference", E, "job `b` does not need `c` (needs: [a])")]),
        wf("matrix keys", "on: push\njobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n        include:\n          - extra: 1\n    steps:\n      - run: echo ${{ matrix.os }} ${{ matrix.extra }} ${{ matrix.nope }}\n", &[(11, 60, "reference", W, "no combination of the matrix defines `nope`")]),
        wf("matrix from an expression is not checked", "on: push\njobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix: ${{ fromJSON('{}') }}\n    steps:\n      - run: echo ${{ matrix.anything }}\n", &[]),
        wf("no matrix", leak(job("      - run: echo ${{ matrix.os }}\n")), &[(6, 23, "reference", W, "job `a` has no matrix")]),
        wf("inputs", "on:\n  workflow_dispatch:\n    inputs:\n      name: {type: string}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ inputs.name }} ${{ inputs.nmae }}\n", &[(9, 42, "reference", W, "no input `nmae` is declared (inputs: name)")]),
        wf("inputs without dispatch or call", leak(job("      - run: echo ${{ inputs.version }}\n")), &[(6, 23, "reference", W, "`inputs.version` is always empty: no inputs are declared")]),
        wf("duplicate include entries", "on: push\njobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix:\n        include:\n          - {os: a, n: 1}\n          - os: a\n            n: 1\n    steps: [{run: a}]\n", &[(9, 13, "matrix", W, "repeats the include entry at line 8")]),
        wf("duplicate dimension values", "on: push\njobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a, b, a]\n    steps: [{run: a}]\n", &[(7, 20, "matrix", W, "this value of `os` repeats the value of `os` at line 7")]),
        wf("uses without a ref", leak(job("      - uses: actions/checkout\n")), &[(6, 15, "uses", E, "has no `@ref`")]),
        wf("reusable workflow outside .github/workflows", "on: push\njobs:\n  a:\n    uses: ./ci/build.yml\n", &[(4, 13, "uses", E, "must be a file in `.github/workflows/`")]),
        wf("uses with an expression", leak(job("      - uses: ${{ matrix.action }}\n")), &[(6, 15, "uses", E, "")]),
        wf("always-true if", leak(job("      - run: echo\n        if: ${{ false }} && true\n")), &[(7, 13, "if-condition", W, "always true")]),
        wf("bare if is fine", leak(job("      - run: echo\n        if: github.ref == 'refs/heads/main' && !cancelled()\n")), &[]),
        wf("workflow env may not use env", "on: push\nenv:\n  A: ${{ env.B }}\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 10, "context", E, "context `env` is not available in workflow `env`")]),
        wf("call outputs use jobs", "on:\n  workflow_call:\n    outputs:\n      v:\n        value: ${{ jobs.a.outputs.v }} ${{ jobs.z.outputs.v }}\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(5, 44, "reference", E, "job `z` does not exist")]),
        wf("job timeout expression", "on: push\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: ${{ steps.x.outputs.t }}\n    steps: [{run: a}]\n", &[(5, 26, "context", E, "context `steps` is not available in `jobs.<job_id>.timeout-minutes`")]),
        Case { name: "action inputs", kind: FileKind::Action, src: "name: a\ninputs:\n  who: {default: x}\nruns:\n  using: composite\n  steps:\n    - run: echo ${{ inputs.who }} ${{ inputs.whom }} ${{ secrets.X }}\n      shell: bash\n", want: &[(7, 39, "reference", W, "no input `whom` is declared (inputs: who)"), (7, 58, "context", E, "context `secrets` is not available in composite step")] },
    ]);
}

/// Files GitHub runs: nothing here is an error; what GitHub ignores is a warning.
#[test]
fn github_accepts() {
    let jobs = "jobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n";
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    run(&[
        // GitHub: `copilot-requests` is a permission scope.
        wf("copilot-requests permission", leak(format!("on: push\npermissions:\n  copilot-requests: write\n{jobs}")), &[]),
        // GitHub's schema: `id-token` and `copilot-requests` take `write` or `none`, `models`
        // and `vulnerability-alerts` `read` or `none`.
        wf("one-level permissions", leak(format!("on: push\npermissions:\n  id-token: read\n  models: read\n  vulnerability-alerts: read\n  copilot-requests: read\n{jobs}")), &[(3, 13, "permissions", E, "must be `write` or `none`"), (6, 21, "permissions", E, "must be `write` or `none`")]),
        // GitHub: a job may set `cancel-timeout-minutes`.
        wf("cancel-timeout-minutes", "on: push\njobs:\n  a:\n    runs-on: x\n    cancel-timeout-minutes: 5\n    steps: [{run: a}]\n", &[]),
        // GitHub ignores a top-level `description` and unknown keys under `workflow_dispatch`.
        wf("top-level description", leak(format!("description: d\non: push\n{jobs}")), &[]),
        wf("unknown key under workflow_dispatch", leak(format!("on:\n  workflow_dispatch:\n    note: x\n{jobs}")), &[(3, 5, "key", W, "GitHub ignores it")]),
        // GitHub added these activity types and accepts `pull_request_comment`.
        wf("new activity types", leak(format!("on:\n  issues:\n    types: [field_added, field_removed]\n  pull_request:\n    types: [stacked]\n  pull_request_comment:\n{jobs}")), &[]),
        // GitHub does not check activity types: one it does not know never matches.
        wf("unknown activity type is a warning", leak(format!("on:\n  issues:\n    types: [shut]\n{jobs}")), &[(3, 13, "event", W, "unknown activity type `shut`")]),
        // GitHub reads the file; only resolving the action fails.
        wf("space in a repository name", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: some owner/repo@v1\n", &[(6, 19, "uses", W, "cannot contain white space")]),
        // GitHub: an empty `if:` is `success()`; a job's `if:` may name jobs in `success()`.
        wf("empty if", "on: push\njobs:\n  a:\n    if: ''\n    runs-on: x\n    steps:\n      - run: a\n        if: ''\n", &[]),
        wf("success with a job name in a job if", "on: push\njobs:\n  b:\n    runs-on: x\n    steps: [{run: b}]\n  a:\n    needs: b\n    if: success('b') || failure('b')\n    runs-on: x\n    steps: [{run: a}]\n", &[]),
        wf("success with a job name in a step if", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: a\n        if: success('b')\n", &[(7, 13, "function", E, "takes job names only in a job's `if:`")]),
        // GitHub (ConvertToJobContainer): an empty job `container:` is no container.
        wf("empty job container", "on: push\njobs:\n  a:\n    runs-on: x\n    container:\n    steps: [{run: a}]\n  b:\n    runs-on: x\n    container: ''\n    steps: [{run: b}]\n", &[]),
        // GitHub's lexer takes a non-breaking space for white space.
        wf("non-breaking space in an expression", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{\u{a0}github.sha }}\n", &[]),
        Case { name: "unknown action input keys", kind: FileKind::Action, src: "name: a\ndescription: d\ninputs:\n  x:\n    type: string\n    deprecation-message: old\nruns:\n  using: node20\n  main: index.js\n", want: &[(5, 5, "key", W, "GitHub ignores it"), (6, 5, "key", W, "did you mean `deprecationMessage`?")] },
    ]);
}

/// Four corpus files reference a step id that no earlier step defines, so the reference is
/// always null — the kind of genuine mistake actionlint reports too. GitHub runs them (the
/// value is null), so they are warnings: Gantry must keep finding exactly these, and never
/// as errors.
#[test]
fn corpus_reference_warnings_are_real_mistakes() {
    let corpus = crate::validate::tests_support::corpus_dir();
    let cases = [
        (
            "workflows/actions__checkout/check-dist.yml",
            48,
            "step `diff`",
        ),
        (
            "workflows/docker__build-push-action/ci.yml",
            961,
            "step `buildx`",
        ),
        (
            "workflows/protocolbuffers__protobuf/clear_caches.yml",
            28,
            "step `output`",
        ),
        (
            "workflows/tj-actions__changed-files/test.yml",
            36,
            "step `changed_files`",
        ),
    ];
    for (file, line, what) in cases {
        let text =
            std::fs::read_to_string(corpus.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let errors: Vec<_> = check_text(&text, FileKind::Workflow)
            .diagnostics
            .into_iter()
            .filter(|d| d.rule == "reference" && d.message.contains(what))
            .collect();
        assert_eq!(errors.len(), 1, "{file}: {errors:?}");
        assert_eq!(errors[0].severity, W, "{file}: GitHub runs it");
        assert_eq!(errors[0].span.start.line, line, "{file}");
        assert!(
            errors[0].message.contains(what),
            "{file}: {}",
            errors[0].message
        );
    }
}
