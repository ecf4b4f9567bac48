//! Typing `workflow_dispatch`/`workflow_call` inputs as GitHub does: given values are text,
//! coerced to the declared type; defaults fill gaps; a required input without a value, an
//! unknown choice or a non-number is an error naming the input.

use gantry_core::expr::{Object, Value};
use gantry_core::model::{Input, Inputs};
use gantry_core::yaml::node::{NodeKind, Resolved};

/// `later` names inputs whose values are expressions known only at run time (such as
/// `${{ needs.x.outputs.y }}`): they are kept as their expression text, untyped.
pub fn type_inputs(
    declared: &Inputs,
    given: &[(String, String)],
    later: &[(String, String)],
) -> Result<Object, Vec<String>> {
    let mut out = Object::new();
    let mut errors = undeclared(declared, given.iter().chain(later));
    for input in &declared.inputs {
        let name = &input.name.value;
        if let Some((_, expr)) = later.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            out.insert(name.clone(), Value::str(expr));
            continue;
        }
        let given_value = given
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        match typed(input, given_value) {
            Ok(v) => {
                out.insert(name.clone(), v);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// An error for each given input the workflow does not declare.
fn undeclared<'a>(
    declared: &Inputs,
    given: impl Iterator<Item = &'a (String, String)>,
) -> Vec<String> {
    let names: Vec<&str> = declared
        .inputs
        .iter()
        .map(|i| i.name.value.as_str())
        .collect();
    let list = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    given
        .filter(|(name, _)| declared.get(name).is_none())
        .map(|(name, _)| {
            format!("input `{name}` is not declared by this workflow (inputs: {list})")
        })
        .collect()
}

/// One input's value: the given text coerced to its type, else its default, else the
/// type's empty value (an error when it is required).
fn typed(input: &Input, given: Option<&str>) -> Result<Value, String> {
    let name = &input.name.value;
    let kind = input.kind.as_ref().map_or("string", |k| k.value.as_str());
    let required = matches!(
        input.required.as_ref().map(|r| &r.value),
        Some(gantry_core::model::BoolOrExpr::Bool(true))
    );
    match (given, default_of(input)) {
        (Some(v), _) => coerce(input, kind, v),
        (None, Some(d)) => Ok(match (kind, &d) {
            ("boolean", Value::String(s)) => Value::Bool(s.eq_ignore_ascii_case("true")),
            ("number", Value::String(s)) => {
                Value::Number(gantry_core::expr::parse_number(s).unwrap_or(f64::NAN))
            }
            ("string" | "choice" | "environment", Value::Bool(_) | Value::Number(_)) => {
                Value::str(&d.to_text())
            }
            _ => d,
        }),
        (None, None) if required => Err(format!(
            "input `{name}` is required and has no default; pass it with --input {name}=VALUE"
        )),
        (None, None) => Ok(match kind {
            "boolean" => Value::Bool(false),
            "number" => Value::Number(0.0),
            _ => Value::str(""),
        }),
    }
}

/// The declared default as a value (a scalar; `null` is no default).
fn default_of(input: &Input) -> Option<Value> {
    let d = input.default.as_ref()?;
    let NodeKind::Scalar(s) = &d.kind else {
        return None;
    };
    Some(match s.resolve() {
        Resolved::Null => return None,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Number(i as f64),
        Resolved::Float(f) => Value::Number(f),
        Resolved::Str(t) => Value::str(t),
    })
}

/// Given text as the declared type.
fn coerce(input: &Input, kind: &str, v: &str) -> Result<Value, String> {
    let name = &input.name.value;
    match kind {
        "boolean" => match v.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!(
                "input `{name}` is a boolean; `{v}` is neither true nor false"
            )),
        },
        "number" => match gantry_core::expr::parse_number(v) {
            Some(n) if !v.trim().is_empty() && !n.is_nan() => Ok(Value::Number(n)),
            _ => Err(format!("input `{name}` is a number; `{v}` is not a number")),
        },
        "choice" if !input.options.iter().any(|o| o.value == v) => {
            let opts: Vec<&str> = input.options.iter().map(|o| o.value.as_str()).collect();
            Err(format!(
                "input `{name}` must be one of [{}]; `{v}` is not",
                opts.join(", ")
            ))
        }
        _ => Ok(Value::str(v)),
    }
}
