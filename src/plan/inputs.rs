//! Typing `workflow_dispatch`/`workflow_call` inputs as GitHub does: given values are text,
//! coerced to the declared type; defaults fill gaps; a required input without a value, an
//! unknown choice or a non-number is an error naming the input.

use crate::expr::{Object, Value};
use crate::model::Inputs;
use crate::yaml::node::{NodeKind, Resolved};

/// `later` names inputs whose values are expressions known only at run time (such as
/// `${{ needs.x.outputs.y }}`): they are kept as their expression text, untyped.
pub fn type_inputs(
    declared: &Inputs,
    given: &[(String, String)],
    later: &[(String, String)],
) -> Result<Object, Vec<String>> {
    let mut out = Object::new();
    let mut errors = Vec::new();
    for (name, _) in given.iter().chain(later) {
        if declared.get(name).is_none() {
            let names: Vec<&str> = declared
                .inputs
                .iter()
                .map(|i| i.name.value.as_str())
                .collect();
            errors.push(format!(
                "input `{name}` is not declared by this workflow (inputs: {})",
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            ));
        }
    }
    for input in &declared.inputs {
        let name = &input.name.value;
        let kind = input.kind.as_ref().map_or("string", |k| k.value.as_str());
        if let Some((_, expr)) = later.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            out.insert(name.clone(), Value::str(expr));
            continue;
        }
        let given_value = given
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        let default = input.default.as_ref().and_then(|d| match &d.kind {
            NodeKind::Scalar(s) => Some(match s.resolve() {
                Resolved::Null => return None,
                Resolved::Bool(b) => Value::Bool(b),
                Resolved::Int(i) => Value::Number(i as f64),
                Resolved::Float(f) => Value::Number(f),
                Resolved::Str(t) => Value::str(t),
            }),
            _ => None,
        });
        let required = matches!(
            input.required.as_ref().map(|r| &r.value),
            Some(crate::model::BoolOrExpr::Bool(true))
        );
        let value = match (given_value, default) {
            (Some(v), _) => match kind {
                "boolean" => match v.to_ascii_lowercase().as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => {
                        errors.push(format!(
                            "input `{name}` is a boolean; `{v}` is neither true nor false"
                        ));
                        continue;
                    }
                },
                "number" => match crate::expr::parse_number(v) {
                    Some(n) if !v.trim().is_empty() && !n.is_nan() => Value::Number(n),
                    _ => {
                        errors.push(format!("input `{name}` is a number; `{v}` is not a number"));
                        continue;
                    }
                },
                "choice" => {
                    if !input.options.iter().any(|o| o.value == v) {
                        let opts: Vec<&str> =
                            input.options.iter().map(|o| o.value.as_str()).collect();
                        errors.push(format!(
                            "input `{name}` must be one of [{}]; `{v}` is not",
                            opts.join(", ")
                        ));
                        continue;
                    }
                    Value::str(v)
                }
                _ => Value::str(v),
            },
            (None, Some(d)) => match (kind, &d) {
                ("boolean", Value::String(s)) => Value::Bool(s.eq_ignore_ascii_case("true")),
                ("number", Value::String(s)) => {
                    Value::Number(crate::expr::parse_number(s).unwrap_or(f64::NAN))
                }
                ("string" | "choice" | "environment", Value::Bool(_) | Value::Number(_)) => {
                    Value::str(&d.to_text())
                }
                _ => d,
            },
            (None, None) if required => {
                errors.push(format!("input `{name}` is required and has no default; pass it with --input {name}=VALUE"));
                continue;
            }
            (None, None) => match kind {
                "boolean" => Value::Bool(false),
                "number" => Value::Number(0.0),
                _ => Value::str(""),
            },
        };
        out.insert(name.clone(), value);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
