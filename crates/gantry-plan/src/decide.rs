//! Deciding `if:` (and other expressions) at plan time when the contexts they read are
//! known, and saying "at run time" when they are not.

use super::context::PlanHost;
use super::types::Decision;
use gantry_core::expr::{evaluate, parse_condition, Condition, Host, Value};

/// Evaluates a condition as far as planning can, assuming that what runs before succeeds.
/// `after_others` says something runs before (needed jobs, earlier steps): then explicit
/// status functions (`failure()`, `always()`, ...) depend on how that ends.
pub fn condition(text: Option<&str>, host: &PlanHost, after_others: bool) -> Decision {
    let Some(text) = text else {
        return Decision::Now { value: true };
    };
    let later = || Decision::AtRunTime {
        expression: text.trim().to_string(),
    };
    let Ok(cond) = parse_condition(text) else {
        return later();
    };
    match &cond {
        Condition::Expr {
            expr,
            implicit_success,
            ..
        } => {
            if after_others && !implicit_success {
                return later();
            }
            match evaluate(expr, host) {
                Ok(v) => Decision::Now { value: v.truthy() },
                Err(_) => later(),
            }
        }
        Condition::Template(_) => match cond.evaluate(host) {
            Ok(b) => Decision::Now { value: b },
            Err(_) => later(),
        },
    }
}

/// Evaluates a template string if every context it reads is known now.
pub fn template(text: &str, host: &dyn Host) -> Option<Value> {
    if !text.contains("${{") {
        return Some(Value::str(text));
    }
    gantry_core::expr::parse_template(text)
        .ok()?
        .evaluate(host)
        .ok()
}

pub fn template_text(text: &str, host: &dyn Host) -> String {
    template(text, host).map_or_else(|| text.to_string(), |v| v.to_text())
}
