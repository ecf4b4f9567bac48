//! Environment variables of a step, in GitHub's order of precedence: the runner's defaults
//! (`GITHUB_*`, `RUNNER_*`, `CI`), then workflow `env`, job `env`, values written to
//! `GITHUB_ENV` by earlier steps, then the step's own `env`. Values are expressions,
//! evaluated with the contexts available at each level.

use super::error::ExpressionError;
use super::host::RunHost;
use super::layout;
use gantry_core::expr::{parse_template, Object, Value};
use gantry_plan::EnvTemplate;
use indexmap::IndexMap;

pub type EnvMap = IndexMap<String, String>;

/// Evaluates a template string (text with `${{ }}`), or says which expression failed.
pub fn eval_text(text: &str, host: &RunHost) -> Result<String, ExpressionError> {
    if !text.contains("${{") {
        return Ok(text.to_string());
    }
    let tpl = parse_template(text).map_err(|e| ExpressionError::template(text, e))?;
    tpl.evaluate_text(host)
        .map_err(|e| ExpressionError::template(text, e))
}

/// Evaluates a template keeping the value's type (`${{ matrix.n }}` stays a number).
pub fn eval_value(text: &str, host: &RunHost) -> Result<Value, ExpressionError> {
    if !text.contains("${{") {
        return Ok(Value::str(text));
    }
    let tpl = parse_template(text).map_err(|e| ExpressionError::template(text, e))?;
    tpl.evaluate(host)
        .map_err(|e| ExpressionError::template(text, e))
}

/// Adds an `env:` block on top of `base`; each value sees `env` as it stood before the
/// block (GitHub does not let a block's entries see each other).
pub fn apply(base: &mut EnvMap, env: &EnvTemplate, host: &RunHost) -> Result<(), ExpressionError> {
    match env {
        EnvTemplate::Map(m) => {
            let mut added = Vec::new();
            for (k, v) in m {
                added.push((k.clone(), eval_text(v, host)?));
            }
            for (k, v) in added {
                base.insert(k, v);
            }
        }
        EnvTemplate::Expr(e) => match eval_value(e, host)? {
            Value::Object(o) => {
                for (k, v) in o.iter() {
                    base.insert(k.clone(), v.to_text());
                }
            }
            other => {
                return Err(ExpressionError::EnvNotMapping {
                    expression: e.clone(),
                    kind: other.kind(),
                })
            }
        },
    }
    Ok(())
}

pub fn to_value(env: &EnvMap) -> Value {
    let mut o = Object::new();
    for (k, v) in env {
        o.insert(k.clone(), Value::str(v));
    }
    Value::object(o)
}

/// The variables GitHub's runner sets for every step, from the `github` context.
pub fn defaults(github: &Object, job_id: &str) -> EnvMap {
    let g = |k: &str| github.get(k).map(|v| v.to_text()).unwrap_or_default();
    let mut e = EnvMap::new();
    let mut set = |k: &str, v: String| {
        e.insert(k.to_string(), v);
    };
    set("CI", "true".into());
    set("GITHUB_ACTIONS", "true".into());
    set("HOME", layout::HOME.into());
    set("GITHUB_WORKSPACE", layout::WORKSPACE.into());
    set("GITHUB_EVENT_PATH", layout::EVENT_PATH.into());
    for (var, key) in [
        ("GITHUB_EVENT_NAME", "event_name"),
        ("GITHUB_SHA", "sha"),
        ("GITHUB_REF", "ref"),
        ("GITHUB_REF_NAME", "ref_name"),
        ("GITHUB_REF_TYPE", "ref_type"),
        ("GITHUB_REPOSITORY", "repository"),
        ("GITHUB_REPOSITORY_OWNER", "repository_owner"),
        ("GITHUB_RUN_ID", "run_id"),
        ("GITHUB_RUN_NUMBER", "run_number"),
        ("GITHUB_RUN_ATTEMPT", "run_attempt"),
        ("GITHUB_ACTOR", "actor"),
        ("GITHUB_TRIGGERING_ACTOR", "triggering_actor"),
        ("GITHUB_WORKFLOW", "workflow"),
        ("GITHUB_WORKFLOW_REF", "workflow_ref"),
        ("GITHUB_HEAD_REF", "head_ref"),
        ("GITHUB_BASE_REF", "base_ref"),
        ("GITHUB_SERVER_URL", "server_url"),
        ("GITHUB_API_URL", "api_url"),
        ("GITHUB_GRAPHQL_URL", "graphql_url"),
        ("GITHUB_RETENTION_DAYS", "retention_days"),
    ] {
        set(var, g(key));
    }
    set("GITHUB_JOB", job_id.to_string());
    set("RUNNER_OS", "Linux".into());
    set("RUNNER_ARCH", "X64".into());
    set("RUNNER_NAME", "gantry".into());
    set("RUNNER_ENVIRONMENT", "self-hosted".into());
    set("RUNNER_TEMP", layout::RUNNER_TEMP.into());
    set("RUNNER_TOOL_CACHE", layout::TOOL_CACHE.into());
    set("RUNNER_WORKSPACE", "/github".into());
    e
}

/// The `runner` context matching [`defaults`].
pub fn runner_context() -> Value {
    let mut o = Object::new();
    for (k, v) in [
        ("os", "Linux"),
        ("arch", "X64"),
        ("name", "gantry"),
        ("environment", "self-hosted"),
        ("temp", layout::RUNNER_TEMP),
        ("tool_cache", layout::TOOL_CACHE),
        ("workspace", "/github"),
        ("debug", ""),
    ] {
        o.insert(k.into(), Value::str(v));
    }
    Value::object(o)
}

/// Names GitHub does not let `GITHUB_ENV` change: the runner's own variables, and
/// `NODE_OPTIONS`, which would let a step inject code into later JavaScript actions.
pub fn protected(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper == "NODE_OPTIONS"
        || matches!(
            upper.as_str(),
            "GITHUB_ENV" | "GITHUB_OUTPUT" | "GITHUB_PATH" | "GITHUB_STATE" | "GITHUB_STEP_SUMMARY"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &str)]) -> EnvTemplate {
        EnvTemplate::Map(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn later_blocks_override_and_see_earlier_values() {
        let mut host = RunHost::default();
        let mut env = EnvMap::new();
        let wf = map(&[("A", "1"), ("B", "wf")]);
        apply(&mut env, &wf, &host).unwrap();
        host.set("env", to_value(&env));
        let job = map(&[("B", "job-${{ env.A }}")]);
        apply(&mut env, &job, &host).unwrap();
        assert_eq!(env["A"], "1");
        assert_eq!(env["B"], "job-1");
    }

    #[test]
    fn an_env_expression_must_be_a_mapping() {
        let host = RunHost::default();
        let mut env = EnvMap::new();
        let e = apply(&mut env, &EnvTemplate::Expr("${{ 1 }}".into()), &host).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`env: ${{ 1 }}` must evaluate to a mapping, not number"
        );
        apply(
            &mut env,
            &EnvTemplate::Expr("${{ fromJSON('{\"X\":2}') }}".into()),
            &host,
        )
        .unwrap();
        assert_eq!(env["X"], "2");
    }

    #[test]
    fn protected_names() {
        assert!(protected("node_options"));
        assert!(protected("GITHUB_OUTPUT"));
        assert!(!protected("MY_VAR"));
    }
}
