//! Table tests of files GitHub refuses that Gantry used to pass: job ids equal but for
//! case or starting with `__`, YAML tags GitHub's reader cannot resolve, its limits
//! (expression length, nesting depth), runner group names, an environment without a name,
//! empty container images and expressions in the workflow's `name`. Each row names the
//! GitHub behaviour it follows: the code is GitHub's workflow parser as published in
//! actions/runner (`src/Sdk/WorkflowParser`), cited by file.

use super::tests::{run, wf};
use super::{check_text, FileKind};
use crate::diag::Severity;

const E: Severity = Severity::Error;

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A workflow with one job `a`; `job` is spliced into the job, `top` before `jobs:`.
fn one_job(top: &str, job: &str) -> &'static str {
    leak(format!(
        "on: push\n{top}jobs:\n  a:\n    runs-on: x\n{job}    steps: [{{run: a}}]\n"
    ))
}

#[test]
fn job_ids() {
    let long = |n: usize| {
        leak(format!(
            "on: push\njobs:\n  {}:\n    runs-on: x\n    steps: [{{run: a}}]\n",
            "a".repeat(n)
        ))
    };
    run(&[
        // TemplateReader.cs keeps a mapping's keys in a HashSet with OrdinalIgnoreCase:
        // "'MY-JOB' is already defined".
        wf("job ids equal but for case", "on: push\njobs:\n  my-job:\n    runs-on: x\n    steps: [{run: a}]\n  MY-JOB:\n    runs-on: x\n    steps: [{run: a}]\n", &[(6, 3, "id", E, "job id `MY-JOB` is already used by job `my-job` at line 3, column 3")]),
        // The same key twice is the duplicate-key error alone, not a second one from ids.
        wf("job ids equal", "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n  a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(6, 3, "key", E, "already defined at line 3")]),
        // IdBuilder.TryAddKnownId: "The identifier '__a' is invalid. IDs starting with '__'
        // are reserved."
        // GitHub (IdBuilder.TryAddKnownId, also called by ConvertToStep): step ids too.
        // GitHub refuses a container's credentials with an empty password.
        wf("empty credentials password", "on: push\njobs:\n  a:\n    runs-on: x\n    container:\n      image: x\n      credentials:\n        username: u\n        password: ''\n    steps: [{run: a}]\n", &[(9, 19, "type", E, "`credentials.password` must not be empty")]),
        wf("step id starting with __", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - id: __s\n        run: a\n", &[(6, 13, "id", E, "step id `__s` starts with `__`")]),
        wf("job id starting with __", "on: push\njobs:\n  __a:\n    runs-on: x\n    steps: [{run: a}]\n", &[(3, 3, "id", E, "job id `__a` starts with `__`, which GitHub reserves")]),
        wf("job id starting with one _", "on: push\njobs:\n  _a:\n    runs-on: x\n    steps: [{run: a}]\n", &[]),
        // IdBuilder.TryAddKnownId: an id "must be less than 100 characters"
        // (WorkflowConstants.MaxNodeNameLength).
        wf("job id of 99 characters", long(99), &[]),
        wf("job id of 100 characters", long(100), &[(3, 3, "id", E, "is 100 characters long; GitHub takes at most 99")]),
    ]);
}

#[test]
fn yaml_tags() {
    let env = |v: &str| one_job(&format!("env:\n  A: {v}\n"), "");
    run(&[
        // YamlObjectReader.cs (WorkflowParser/Conversion): `tag:yaml.org,2002:str` is a
        // string whatever it holds.
        wf("!!str", env("!!str 12"), &[]),
        // ParseInteger/MatchInteger: [0-9]+, [-+][0-9]+, 0x[0-9a-fA-F]+, 0o[0-7]+.
        wf("!!int that is one", env("!!int 0x1F"), &[]),
        wf(
            "!!int that is not",
            env("!!int abc"),
            &[(
                3,
                6,
                "tag",
                E,
                "`abc` is not a `!!int`: GitHub expects an integer",
            )],
        ),
        wf(
            "!!int past 32 bits in hex",
            env("!!int 0x100000000"),
            &[(3, 6, "tag", E, "is not a `!!int`")],
        ),
        // MatchBoolean: true/True/TRUE/false/False/FALSE only (YAML 1.2 core schema).
        wf("!!bool that is one", env("!!bool False"), &[]),
        wf(
            "!!bool yes",
            env("!!bool yes"),
            &[(
                3,
                6,
                "tag",
                E,
                "`yes` is not a `!!bool`: GitHub expects `true` or `false`",
            )],
        ),
        // MatchFloat: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, .inf, .nan.
        wf("!!float that is one", env("!!float -1.5e3"), &[]),
        wf(
            "!!float that is not",
            env("!!float 1.2.3"),
            &[(3, 6, "tag", E, "`1.2.3` is not a `!!float`")],
        ),
        // MatchNull: "", null, Null, NULL, ~.
        wf(
            "!!null that is not",
            env("!!null x"),
            &[(3, 6, "tag", E, "`x` is not a `!!null`")],
        ),
        // "Unexpected tag 'tag:yaml.org,2002:timestamp'": only str/bool/float/int/null.
        wf(
            "!!timestamp",
            env("!!timestamp 2001-12-14"),
            &[(3, 6, "tag", E, "GitHub does not know the tag `!!timestamp`")],
        ),
        wf(
            "verbatim core tag",
            env("!<tag:yaml.org,2002:binary> AAAA"),
            &[(3, 6, "tag", E, "the tag `!!binary`")],
        ),
        // A local tag is `!x` to YamlDotNet: also "Unexpected tag".
        wf(
            "local tag",
            env("!int 5"),
            &[(3, 6, "tag", E, "GitHub does not know the tag `!int`")],
        ),
        // "The scalar style 'DoubleQuoted' ... is not valid with the tag".
        wf(
            "!!int on a quoted scalar",
            env("!!int \"12\""),
            &[(3, 6, "tag", E, "`!!int` only applies to a plain scalar")],
        ),
        // Tags on keys are read the same way; an anchor before the tag changes nothing.
        wf(
            "tag on a key, after an anchor",
            one_job("env:\n  &k !!bool B: x\n", ""),
            &[(3, 3, "tag", E, "`B` is not a `!!bool`")],
        ),
    ]);
}

#[test]
fn limits() {
    // `run: <n x's>${{ github.sha }}` is `format('<n x's>{0}', github.sha)`: n + 25 characters.
    let run_of = |n: usize| {
        one_job(
            "",
            &format!(
                "    steps:\n      - run: {}${{{{ github.sha }}}}\n",
                "x".repeat(n)
            ),
        )
        .replacen("    steps: [{run: a}]\n", "", 1)
    };
    let nested = |k: usize| {
        one_job(
            "",
            &format!(
                "    strategy:\n      matrix:\n        x: {}1{}\n",
                "[".repeat(k),
                "]".repeat(k)
            ),
        )
    };
    run(&[
        // TemplateReader.ParseScalar joins a string's text and expressions with `format()`
        // and validates that; ExpressionParser refuses more than ExpressionConstants.MaxLength
        // (21,000): "Exceeded max expression length 21000" (gh-aw#20719, a 24 KB `run:`).
        wf(
            "run of 21000 characters as an expression",
            leak(run_of(20975)),
            &[],
        ),
        wf(
            "run of 21001 characters as an expression",
            leak(run_of(20976)),
            &[(6, 14, "limits", E, "21001 characters")],
        ),
        // Quotes and braces of the text are doubled in the `format()` string.
        wf(
            "doubled quotes count",
            one_job(
                "",
                &format!(
                    "    env:\n      A: \"{}${{{{ github.sha }}}}\"\n",
                    "'".repeat(10_488)
                ),
            ),
            &[(6, 10, "limits", E, "21001 characters")],
        ),
        // A single expression is checked by itself (ParseExpression, before any format).
        wf(
            "one long expression",
            one_job(
                &format!("env:\n  A: ${{{{ '{}' }}}}\n", "x".repeat(20_999)),
                "",
            ),
            &[(3, 6, "limits", E, "21001 characters")],
        ),
        // ConvertToIfCondition parses a bare `if:` with the same parser.
        wf(
            "long bare if",
            one_job(
                "",
                &format!("    if: github.sha == '{}'\n", "x".repeat(20_985)),
            ),
            &[(5, 9, "limits", E, "21001 characters")],
        ),
        // TemplateMemory.IncrementDepth: ParseOptions.MaxDepth is 50 collections deep
        // ("Maximum object depth exceeded"); the root mapping is the first.
        wf("50 collections deep", nested(45), &[]),
        wf(
            "51 collections deep",
            nested(46),
            &[(7, 57, "limits", E, "nests 51 mappings and sequences deep")],
        ),
    ]);
}

#[test]
fn runner_groups() {
    let group = |g: &str| {
        one_job("", &format!("    runs-on:\n      group: {g}\n")).replacen(
            "    runs-on: x\n",
            "",
            1,
        )
    };
    let g = |s: &str| leak(group(s));
    run(&[
        wf("plain group", g("my-group"), &[]),
        // WorkflowTemplateConverter.ConvertToRunsOn: "Invalid runs-on group name 'a/b'.
        // Please use 'organization/' or 'enterprise/' prefix to target a single runner group."
        wf("org prefix", g("org/my-group"), &[]),
        wf("organization prefix", g("organization/my-group"), &[]),
        wf("ent prefix", g("ent/my-group"), &[]),
        wf("enterprise prefix", g("enterprise/my-group"), &[]),
        wf("other prefix", g("team/my-group"), &[(5, 14, "runs-on", E, "runner group `team/my-group`: only `org/`, `organization/`, `ent/` or `enterprise/`")]),
        wf("prefix compared with case", g("Org/my-group"), &[(5, 14, "runs-on", E, "runner group `Org/my-group`")]),
        wf("two slashes", g("org/a/b"), &[(5, 14, "runs-on", E, "at most one `/`")]),
        wf("nothing after the prefix", g("org/"), &[(5, 14, "runs-on", E, "names no group after `org/`")]),
        // Expressions are only checked once evaluated.
        wf("expression", g("${{ vars.g }}/a/b"), &[]),
    ]);
}

#[test]
fn environments() {
    let job = |j: &str| one_job("", j);
    run(&[
        // workflow-v1.0.json: `job-environment-mapping` has `name` with "required": true
        // ("Required property is missing: name").
        wf(
            "environment mapping without name",
            job("    environment:\n      url: https://example.com\n"),
            &[(6, 7, "required", E, "`environment` needs a `name`")],
        ),
        wf(
            "environment mapping with name",
            job("    environment: {name: prod, url: https://example.com}\n"),
            &[],
        ),
        wf(
            "environment as a string",
            job("    environment: prod\n"),
            &[],
        ),
    ]);
}

#[test]
fn container_images() {
    let job = |j: &str| one_job("", j);
    run(&[
        // WorkflowTemplateConverter.ConvertToJobContainer: "Do not error for:
        // container: {image: ''}" and a job container mapping without `image` is no
        // container at all; only an image that is empty after `docker://` is refused.
        wf(
            "job container with empty image",
            job("    container: {image: ''}\n"),
            &[],
        ),
        wf(
            "job container without image",
            job("    container: {options: --cpus 1}\n"),
            &[],
        ),
        wf(
            "job container docker:// only",
            job("    container: docker://\n"),
            &[(5, 16, "required", E, "container image cannot be empty")],
        ),
        wf(
            "job container image docker:// only",
            job("    container: {image: 'docker://'}\n"),
            &[(5, 24, "required", E, "container image cannot be empty")],
        ),
        // ... while for services (isServiceContainer) '' and 'docker://' are refused too:
        // "Container image cannot be empty".
        wf(
            "service with empty image",
            job("    services:\n      db: {image: ''}\n"),
            &[(
                6,
                19,
                "required",
                E,
                "service `db`: container image cannot be empty",
            )],
        ),
        wf(
            "service as an empty string",
            job("    services:\n      db: ''\n"),
            &[(
                6,
                11,
                "required",
                E,
                "service `db`: container image cannot be empty",
            )],
        ),
        wf(
            "service docker:// only",
            job("    services:\n      db: docker://\n"),
            &[(6, 11, "required", E, "container image cannot be empty")],
        ),
        wf(
            "service image from an expression",
            job("    services:\n      db: {image: '${{ vars.db }}'}\n"),
            &[],
        ),
    ]);
}

#[test]
fn workflow_name() {
    let named = |n: &str| leak(format!("name: {n}\n{}", one_job("", "")));
    run(&[
        // workflow-v1.0.json: `workflow-name` has no `context`, so the reader parses its
        // `${{ }}` with no named values ("Unrecognized named-value: 'github'") or refuses
        // the expression ("A template expression is not allowed in this context").
        wf(
            "expression in name",
            named("Build ${{ github.ref }}"),
            &[(
                1,
                7,
                "expression",
                E,
                "the workflow's `name` cannot hold `${{ }}`",
            )],
        ),
        wf(
            "expression without contexts in name",
            named("${{ 1 }}"),
            &[(1, 7, "expression", E, "`name` cannot hold")],
        ),
        // TemplateReader.ParseScalar turns `${{ 'literal' }}` alone into the literal.
        wf("quoted literal in name", named("${{ 'Build' }}"), &[]),
        // `run-name` has the github, inputs and vars contexts.
        wf(
            "expression in run-name",
            leak(format!(
                "run-name: Build ${{{{ github.ref }}}}\n{}",
                one_job("", "")
            )),
            &[],
        ),
    ]);
}

/// Real workflows run on GitHub: none of the checks above may fire on a corpus file.
#[test]
fn corpus_files_pass_these_checks() {
    let corpus = crate::validate::tests_support::corpus_dir();
    let new_rules = ["tag", "limits"];
    let new_messages = [
        "is already used by job",
        "which GitHub reserves",
        "characters long; GitHub takes",
        "runner group",
        "`environment` needs a `name`",
        "container image cannot be empty",
        "`name` cannot hold",
    ];
    let mut seen = 0;
    let mut fired = Vec::new();
    for entry in walk_files(&corpus.join("workflows")) {
        let Ok(text) = std::fs::read_to_string(&entry) else {
            continue;
        };
        seen += 1;
        for d in check_text(&text, FileKind::Workflow).diagnostics {
            if new_rules.contains(&d.rule) || new_messages.iter().any(|m| d.message.contains(m)) {
                fired.push(format!(
                    "{}: {}:{} {}",
                    entry.display(),
                    d.span.start.line,
                    d.span.start.col,
                    d.message
                ));
            }
        }
    }
    assert!(seen > 500, "only {seen} corpus workflows read");
    assert!(fired.is_empty(), "{}", fired.join("\n"));
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yml" | "yaml")) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
