//! Test helpers: a compact, readable rendering of trees so table tests can state the
//! expected tree (and spans) as one string.

use super::node::{Node, NodeKind, ScalarStyle};
use super::parse::{parse, YamlError};

/// Renders `src`'s tree: plain scalars bare when unambiguous (else `P"..."`), other
/// styles as `S"..."`, `D"..."`, `|"..."`, `>"..."`, tags as `!tag ` before the node.
pub fn dump(src: &str) -> String {
    match parse(src) {
        Ok(Some(n)) => render(&n, false),
        Ok(None) => "<none>".into(),
        Err(e) => format!("ERROR {e}"),
    }
}

/// Like [`dump`] with every node followed by its span as `@line:col-line:col`.
pub fn dump_spans(src: &str) -> String {
    match parse(src) {
        Ok(Some(n)) => render(&n, true),
        Ok(None) => "<none>".into(),
        Err(e) => format!("ERROR {e}"),
    }
}

pub fn err_of(src: &str) -> YamlError {
    match parse(src) {
        Err(e) => e,
        Ok(t) => panic!("expected an error for {src:?}, got {t:?}"),
    }
}

pub fn render(n: &Node, spans: bool) -> String {
    let mut out = String::new();
    write(n, spans, &mut out);
    out
}

fn write(n: &Node, spans: bool, out: &mut String) {
    match &n.kind {
        NodeKind::Scalar(s) => {
            if let Some(t) = &s.tag {
                out.push_str(&format!("!{t} "));
            }
            let simple = !s.text.is_empty()
                && s.text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-/~+$:#?".contains(&b));
            match s.style {
                ScalarStyle::Plain if simple => out.push_str(&s.text),
                ScalarStyle::Plain => out.push_str(&format!("P{:?}", s.text)),
                ScalarStyle::SingleQuoted => out.push_str(&format!("S{:?}", s.text)),
                ScalarStyle::DoubleQuoted => out.push_str(&format!("D{:?}", s.text)),
                ScalarStyle::Literal => out.push_str(&format!("|{:?}", s.text)),
                ScalarStyle::Folded => out.push_str(&format!(">{:?}", s.text)),
            }
        }
        NodeKind::Seq(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(it, spans, out);
            }
            out.push(']');
        }
        NodeKind::Map(entries) => {
            out.push('{');
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(&e.key, spans, out);
                out.push_str(": ");
                write(&e.value, spans, out);
            }
            out.push('}');
        }
    }
    if spans {
        let (a, b) = (n.span.start, n.span.end);
        out.push_str(&format!("@{}:{}-{}:{}", a.line, a.col, b.line, b.col));
    }
}

/// Checks `src` against libyaml (through `serde_yaml_ng`): both accept it with the same
/// value, or both reject it. Every table case goes through this, so the expected trees
/// written in the tests are known to be libyaml's.
pub fn assert_agrees(src: &str) {
    let theirs = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(src);
    match (parse(src), theirs) {
        (Ok(ours), Ok(v)) => {
            let ours = ours.map_or_else(|| "null".to_string(), |n| value(&n));
            assert_eq!(
                ours,
                oracle_value(&v),
                "value of {src:?} differs from libyaml's"
            );
        }
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => {
            let m = e.to_string();
            let known = m.contains("duplicate entry") || m.contains("more than one document");
            assert!(known, "we accept {src:?}, libyaml does not: {m}");
        }
        (Err(e), Ok(_)) => panic!("we reject {src:?} ({e}), libyaml accepts it"),
    }
}

fn value(n: &Node) -> String {
    use super::node::Resolved;
    match &n.kind {
        NodeKind::Scalar(s) => match s.resolve() {
            Resolved::Null => "null".into(),
            Resolved::Bool(b) => b.to_string(),
            Resolved::Int(i) => i.to_string(),
            Resolved::Float(f) => format!("{f:?}"),
            Resolved::Str(t) => format!("{t:?}"),
        },
        NodeKind::Seq(items) => {
            let items: Vec<String> = items.iter().map(value).collect();
            format!("[{}]", items.join(", "))
        }
        NodeKind::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|e| format!("{}: {}", value(&e.key), value(&e.value)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

fn oracle_value(v: &serde_yaml_ng::Value) -> String {
    use serde_yaml_ng::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => format!("{:?}", n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => format!("{s:?}"),
        Value::Sequence(items) => {
            let items: Vec<String> = items.iter().map(oracle_value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Mapping(m) => {
            let entries: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", oracle_value(k), oracle_value(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Value::Tagged(t) => oracle_value(&t.value),
    }
}

/// Runs a table of `(source, expected dump)` cases, each also checked against libyaml.
pub fn check_table(cases: &[(&str, &str)]) {
    for (src, want) in cases {
        assert_eq!(dump(src), *want, "parsing {src:?}");
        assert_agrees(src);
    }
}

/// Runs a table of `(source, message prefix, line, column)` error cases; libyaml must
/// reject each source too.
pub fn check_errors(cases: &[(&str, &str, u32, u32)]) {
    for (src, msg, line, col) in cases {
        let e = err_of(src);
        assert!(e.message.starts_with(msg), "{src:?}: got {e}");
        assert_eq!((e.pos.line, e.pos.col), (*line, *col), "{src:?}: got {e}");
        assert!(e.pos.offset as usize <= src.len(), "{src:?}: {e:?}");
        assert_agrees(src);
    }
}
