//! Typing `workflow_dispatch`/`workflow_call` inputs as GitHub does: given values are text,
//! coerced to the declared type; defaults fill gaps; a required input without a value, an
//! unknown choice or a non-number is an error naming the input.

use gantry_core::expr::{Object, Value};
use gantry_core::model::{Input, Inputs};
use gantry_core::yaml::node::{NodeKind, Resolved};

/// An input that cannot be given its value; each names the input (values are inputs'
/// text, never secrets: `secrets` is not an input).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// `declared` lists the workflow's inputs, in order.
    #[error(
        "input `{name}` is not declared by this workflow (inputs: {})",
        listed(declared)
    )]
    Undeclared { name: String, declared: Vec<String> },
    #[error("input `{name}` is required and has no default; pass it with --input {name}=VALUE")]
    Required { name: String },
    #[error("input `{name}` is a boolean; `{value}` is neither true nor false")]
    NotBoolean { name: String, value: String },
    #[error("input `{name}` is a number; `{value}` is not a number")]
    NotNumber { name: String, value: String },
    #[error("input `{name}` must be one of [{}]; `{value}` is not", options.join(", "))]
    NotAnOption {
        name: String,
        value: String,
        options: Vec<String>,
    },
}

fn listed(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// `later` names inputs whose values are expressions known only at run time (such as
/// `${{ needs.x.outputs.y }}`): they are kept as their expression text, untyped.
pub fn type_inputs(
    declared: &Inputs,
    given: &[(String, String)],
    later: &[(String, String)],
) -> Result<Object, Vec<InputError>> {
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
) -> Vec<InputError> {
    let names: Vec<String> = declared
        .inputs
        .iter()
        .map(|i| i.name.value.clone())
        .collect();
    given
        .filter(|(name, _)| declared.get(name).is_none())
        .map(|(name, _)| InputError::Undeclared {
            name: name.clone(),
            declared: names.clone(),
        })
        .collect()
}

/// One input's value: the given text coerced to its type, else its default, else the
/// type's empty value (an error when it is required).
fn typed(input: &Input, given: Option<&str>) -> Result<Value, InputError> {
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
        (None, None) if required => Err(InputError::Required { name: name.clone() }),
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
fn coerce(input: &Input, kind: &str, v: &str) -> Result<Value, InputError> {
    let (name, value) = (input.name.value.clone(), v.to_string());
    match kind {
        "boolean" => match v.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(InputError::NotBoolean { name, value }),
        },
        "number" => match gantry_core::expr::parse_number(v) {
            Some(n) if !v.trim().is_empty() && !n.is_nan() => Ok(Value::Number(n)),
            _ => Err(InputError::NotNumber { name, value }),
        },
        "choice" if !input.options.iter().any(|o| o.value == v) => {
            let options = input.options.iter().map(|o| o.value.clone()).collect();
            Err(InputError::NotAnOption {
                name,
                value,
                options,
            })
        }
        _ => Ok(Value::str(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::model::TriggerConfig;
    use gantry_core::validate::{check_bytes, FileKind};

    fn declared() -> Inputs {
        let text = "on:\n  workflow_dispatch:\n    inputs:\n      flag: {type: boolean}\n      \
                    n: {type: number}\n      pick: {type: choice, options: [a, b]}\n      \
                    need: {required: true}\njobs:\n  j:\n    runs-on: x\n    steps: [{run: a}]\n";
        let wf = check_bytes(text.as_bytes(), FileKind::Workflow)
            .workflow
            .unwrap();
        match &wf
            .on
            .unwrap()
            .value
            .get("workflow_dispatch")
            .unwrap()
            .config
        {
            TriggerConfig::Dispatch(i) => i.clone(),
            _ => unreachable!("a dispatch trigger"),
        }
    }

    /// Given `name=value` pairs, and the errors they give.
    type Row<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

    #[test]
    fn each_bad_input_is_an_error_naming_it() {
        let table: &[Row<'_>] = &[
            (&[("need", "x")], &[]),
            (
                &[],
                &["input `need` is required and has no default; pass it with --input need=VALUE"],
            ),
            (
                &[("need", "x"), ("flag", "yes"), ("n", "x"), ("pick", "c")],
                &[
                    "input `flag` is a boolean; `yes` is neither true nor false",
                    "input `n` is a number; `x` is not a number",
                    "input `pick` must be one of [a, b]; `c` is not",
                ],
            ),
            (
                &[("need", "x"), ("other", "1")],
                &["input `other` is not declared by this workflow (inputs: flag, n, pick, need)"],
            ),
        ];
        let inputs = declared();
        for (given, want) in table {
            let given: Vec<(String, String)> = given
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let got: Vec<String> = match type_inputs(&inputs, &given, &[]) {
                Ok(_) => Vec::new(),
                Err(errors) => errors.iter().map(ToString::to_string).collect(),
            };
            assert_eq!(got, *want, "{given:?}");
        }
        let none = Inputs::default();
        let e = type_inputs(&none, &[("x".into(), "1".into())], &[]).unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "input `x` is not declared by this workflow (inputs: none)"
        );
    }
}
