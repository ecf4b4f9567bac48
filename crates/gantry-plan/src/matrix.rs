//! Matrix expansion exactly as GitHub does it: the cartesian product of the dimensions in
//! file order, minus `exclude` entries (a combination is excluded when it has every
//! key/value of an entry), then `include` entries merged into every combination whose
//! original values they agree with — or added as a new combination when they agree with
//! none. At most 256 combinations.

use gantry_core::expr::{Object, Value};

pub const MAX_COMBINATIONS: usize = 256;

/// A matrix already reduced to values: dimensions in order, include and exclude lists.
#[derive(Clone, Debug, Default)]
pub struct MatrixSpec {
    pub dims: Vec<(String, Vec<Value>)>,
    pub include: Vec<Object>,
    pub exclude: Vec<Object>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MatrixError {
    #[error("the matrix expands to {0} combinations; GitHub allows at most {MAX_COMBINATIONS}")]
    TooMany(usize),
    #[error("matrix dimension `{0}` has no values")]
    EmptyDimension(String),
    #[error("the matrix has no combination left (every one is excluded, and nothing is included)")]
    Empty,
}

/// Structural equality of matrix values (exclude/include compare values, not instances).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        // A number written as a string in one place and a number in another (`12` vs '12').
        (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_)) => {
            a.to_text() == b.to_text()
        }
        _ => false,
    }
}

pub fn expand(spec: &MatrixSpec) -> Result<Vec<Object>, MatrixError> {
    for (name, values) in &spec.dims {
        if values.is_empty() {
            return Err(MatrixError::EmptyDimension(name.clone()));
        }
    }
    let product: usize = spec
        .dims
        .iter()
        .map(|(_, v)| v.len())
        .try_fold(1usize, |acc, n| acc.checked_mul(n))
        .unwrap_or(usize::MAX);
    if product > MAX_COMBINATIONS * 64 {
        // Far beyond the limit whatever exclude removes; do not build it.
        return Err(MatrixError::TooMany(product));
    }
    let mut combos: Vec<Object> = if spec.dims.is_empty() {
        Vec::new()
    } else {
        vec![Object::new()]
    };
    for (name, values) in &spec.dims {
        let mut next = Vec::with_capacity(combos.len() * values.len());
        for c in &combos {
            for v in values {
                let mut n = c.clone();
                n.insert(name.clone(), v.clone());
                next.push(n);
            }
        }
        combos = next;
    }
    combos.retain(|c| {
        !spec.exclude.iter().any(|ex| {
            !ex.is_empty()
                && ex
                    .iter()
                    .all(|(k, v)| c.get(k).is_some_and(|cv| same(cv, v)))
        })
    });
    let originals: Vec<&str> = spec.dims.iter().map(|(k, _)| k.as_str()).collect();
    // Snapshot of the original values, so that added values never decide a match.
    let base: Vec<Object> = combos.clone();
    for inc in &spec.include {
        let mut matched = false;
        for (i, orig) in base.iter().enumerate() {
            let agrees = inc.iter().all(|(k, v)| {
                !originals.contains(&k.as_str()) || orig.get(k).is_some_and(|ov| same(ov, v))
            });
            if agrees {
                matched = true;
                for (k, v) in inc {
                    if !originals.contains(&k.as_str()) {
                        combos[i].insert(k.clone(), v.clone());
                    }
                }
            }
        }
        if !matched {
            combos.push(inc.clone());
        }
    }
    if combos.len() > MAX_COMBINATIONS {
        return Err(MatrixError::TooMany(combos.len()));
    }
    if combos.is_empty() {
        return Err(MatrixError::Empty);
    }
    Ok(combos)
}

/// The suffix GitHub shows after a matrix job's id: `(ubuntu-latest, 18)`.
pub fn leg_label(combo: &Object) -> String {
    let vals: Vec<String> = combo
        .values()
        .map(|v| match v {
            Value::Object(_) | Value::Array(_) => gantry_core::expr::to_json_text(v)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_text(),
        })
        .collect();
    format!("({})", vals.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(v: serde_json::Value) -> MatrixSpec {
        let mut s = MatrixSpec::default();
        for (k, v) in v.as_object().unwrap() {
            let list: Vec<Object> = v
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|o| match Value::from_json(o) {
                            Value::Object(m) => (*m).clone(),
                            _ => Object::new(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            match k.as_str() {
                "include" => s.include = list,
                "exclude" => s.exclude = list,
                _ => s.dims.push((
                    k.clone(),
                    v.as_array().unwrap().iter().map(Value::from_json).collect(),
                )),
            }
        }
        s
    }

    fn run(v: serde_json::Value) -> Vec<serde_json::Value> {
        expand(&spec(v))
            .unwrap()
            .into_iter()
            .map(|o| Value::object(o).to_json())
            .collect()
    }

    #[test]
    fn cartesian_product_in_file_order() {
        let got = run(json!({"os": ["a", "b"], "node": [14, 16]}));
        assert_eq!(
            got,
            vec![
                json!({"os":"a","node":14}),
                json!({"os":"a","node":16}),
                json!({"os":"b","node":14}),
                json!({"os":"b","node":16})
            ]
        );
    }

    /// GitHub docs, "Expanding or adding matrix configurations" (fruit/animal example).
    #[test]
    fn include_merges_or_adds_as_documented() {
        let got = run(json!({
            "fruit": ["apple", "pear"],
            "animal": ["cat", "dog"],
            "include": [
                {"color": "green"},
                {"color": "pink", "animal": "cat"},
                {"fruit": "apple", "shape": "circle"},
                {"fruit": "banana"},
                {"fruit": "banana", "animal": "cat"}
            ]
        }));
        assert_eq!(
            got,
            vec![
                json!({"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"}),
                json!({"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"}),
                json!({"fruit": "pear", "animal": "cat", "color": "pink"}),
                json!({"fruit": "pear", "animal": "dog", "color": "green"}),
                json!({"fruit": "banana"}),
                json!({"fruit": "banana", "animal": "cat"}),
            ]
        );
    }

    /// GitHub docs, "Excluding matrix configurations": 12 combinations minus 3.
    #[test]
    fn exclude_matches_partially() {
        let got = run(json!({
            "os": ["macos-latest", "windows-latest"],
            "version": [12, 14, 16],
            "environment": ["staging", "production"],
            "exclude": [
                {"os": "macos-latest", "version": 12, "environment": "production"},
                {"os": "windows-latest", "version": 16}
            ]
        }));
        assert_eq!(got.len(), 9);
        assert!(!got
            .contains(&json!({"os": "macos-latest", "version": 12, "environment": "production"})));
        assert!(!got
            .iter()
            .any(|c| c["os"] == "windows-latest" && c["version"] == 16));
    }

    /// GitHub docs, "Adding configurations to a matrix": only the agreeing leg gets `npm`.
    #[test]
    fn include_extends_one_combination() {
        let got = run(
            json!({"os": ["windows-latest", "ubuntu-latest"], "node": [14, 16], "include": [{"os": "windows-latest", "node": 16, "npm": 6}]}),
        );
        assert_eq!(got.len(), 4);
        assert_eq!(
            got[1],
            json!({"os": "windows-latest", "node": 16, "npm": 6})
        );
        assert!(got.iter().filter(|c| c.get("npm").is_some()).count() == 1);
    }

    #[test]
    fn include_only_matrix_and_overwriting_added_values() {
        let got = run(
            json!({"include": [{"site": "production", "datacenter": "site-a"}, {"site": "staging", "datacenter": "site-b"}]}),
        );
        assert_eq!(
            got,
            vec![
                json!({"site": "production", "datacenter": "site-a"}),
                json!({"site": "staging", "datacenter": "site-b"})
            ]
        );
        // Added values may be overwritten by later includes; original values never are.
        let got = run(
            json!({"os": ["a"], "include": [{"extra": 1}, {"extra": 2}, {"os": "a", "extra": 3}]}),
        );
        assert_eq!(got, vec![json!({"os": "a", "extra": 3})]);
    }

    #[test]
    fn limits_and_empty_results() {
        let many: Vec<i32> = (0..17).collect();
        let err = expand(&spec(json!({"a": many, "b": many}))).unwrap_err();
        assert_eq!(err, MatrixError::TooMany(289));
        let err = expand(&spec(json!({"a": [1], "exclude": [{"a": 1}]}))).unwrap_err();
        assert_eq!(err, MatrixError::Empty);
        let err = expand(&spec(json!({"a": []}))).unwrap_err();
        assert_eq!(err, MatrixError::EmptyDimension("a".into()));
        let huge: Vec<i32> = (0..1000).collect();
        assert!(matches!(
            expand(&spec(json!({"a": huge, "b": huge, "c": huge}))),
            Err(MatrixError::TooMany(_))
        ));
    }

    #[test]
    fn labels() {
        let c = expand(&spec(
            json!({"os": ["ubuntu"], "node": [18], "cfg": [{"a": 1}]}),
        ))
        .unwrap();
        assert_eq!(leg_label(&c[0]), "(ubuntu, 18, { \"a\": 1 })");
    }
}
