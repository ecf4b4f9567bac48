//! Fuzzes the expression language: parsing an expression, a template and a condition, and
//! evaluating whatever parses. Errors must point inside the input; nothing may panic.
#![no_main]

use gantry_core::expr::{evaluate, parse_condition, parse_expr, parse_template, MapHost, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let host = MapHost::new()
        .with("github", Value::from_json(&serde_json::json!({"event": {"commits": [{"message": "m"}]}, "ref": "refs/heads/main"})))
        .with("matrix", Value::from_json(&serde_json::json!({"os": "linux"})));
    match parse_expr(s) {
        Ok(e) => {
            let _ = evaluate(&e, &host);
        }
        Err(e) => assert!(e.span.end <= s.len() && e.span.start <= e.span.end),
    }
    if let Ok(t) = parse_template(s) {
        let _ = t.evaluate(&host);
    }
    if let Ok(c) = parse_condition(s) {
        let _ = c.evaluate(&host);
    }
});
