//! Expression values and GitHub's conversions between them: truthiness, number and string
//! coercion, and JSON. Arrays and objects are shared (`Arc`, so that run-time contexts cross threads) because GitHub compares them
//! by identity, and because reading `github.event.x` must not copy the whole payload.

use indexmap::IndexMap;
use std::sync::Arc as Rc;

pub type Object = IndexMap<String, Value>;

#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(Rc<str>),
    Array(Rc<Vec<Value>>),
    Object(Rc<Object>),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::String(Rc::from(s))
    }

    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Rc::new(items))
    }

    pub fn object(map: Object) -> Value {
        Value::Object(Rc::new(map))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Null, a boolean, a number or a string (GitHub's `IsPrimitive`).
    pub fn is_primitive(&self) -> bool {
        !matches!(self, Value::Array(_) | Value::Object(_))
    }

    /// GitHub's truthiness: false, 0, -0, NaN, '' and null are falsy.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::String(s) => !s.is_empty(),
            Value::Array(_) | Value::Object(_) => true,
        }
    }

    /// Coercion to a number: null → 0, booleans → 1/0, strings parsed (`''` → 0, else NaN
    /// when not a number), arrays and objects → NaN.
    pub fn to_number(&self) -> f64 {
        match self {
            Value::Null => 0.0,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Number(n) => *n,
            Value::String(s) => parse_number(s).unwrap_or(f64::NAN),
            Value::Array(_) | Value::Object(_) => f64::NAN,
        }
    }

    /// The text a value becomes in a string (interpolation, `format`, `contains`, `join`).
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => format_number(*n),
            Value::String(s) => s.to_string(),
            Value::Array(_) => "Array".into(),
            Value::Object(_) => "Object".into(),
        }
    }

    /// Property lookup, case-insensitive as GitHub's is. Anything but an object yields null.
    pub fn get(&self, key: &str) -> Value {
        match self {
            Value::Object(map) => match map.get(key) {
                Some(v) => v.clone(),
                None => map
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Value::Null),
            },
            _ => Value::Null,
        }
    }

    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::str(s),
            serde_json::Value::Array(a) => Value::array(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::object(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// JSON for output and files; integral numbers print without a fraction, and
    /// non-finite numbers (which JSON cannot hold) become strings.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
                    serde_json::Value::from(*n as i64)
                } else {
                    serde_json::Number::from_f64(*n).map_or_else(
                        || serde_json::Value::String(format_number(*n)),
                        serde_json::Value::Number,
                    )
                }
            }
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Value::to_json).collect()),
            Value::Object(o) => {
                serde_json::Value::Object(o.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

/// Whether two arrays or objects are the same instance (GitHub's equality for them).
pub fn same_instance(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => Rc::ptr_eq(x, y),
        (Value::Object(x), Value::Object(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// Parses a string as GitHub does when coercing (the runner's `ParseNumber`): surrounding
/// white space allowed, decimal with optional sign, fraction and exponent, `Infinity`, `NaN`,
/// and unsigned `0x` hex and `0o` octal (lower-case prefix only: `-0x10` and `0X10` are not
/// numbers); the empty (or all-blank) string is 0.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return Some(0.0);
    }
    if let Some(h) = t.strip_prefix("0x") {
        return radix_number(h, 16);
    }
    if let Some(o) = t.strip_prefix("0o") {
        return radix_number(o, 8);
    }
    let (neg, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let sign = if neg { -1.0 } else { 1.0 };
    match body {
        "Infinity" => return Some(sign * f64::INFINITY),
        "NaN" => return Some(f64::NAN),
        _ => {}
    }
    let b = body.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int = digits(&mut i);
    let mut frac = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        frac = digits(&mut i);
    }
    if int + frac == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    body.parse::<f64>().ok().map(|v| sign * v)
}

/// The digits after `0x` or `0o`, read as 32-bit two's complement as GitHub's runner reads
/// them: `0xffffffff` is -1, and more than 32 bits (or any other character) is not a number.
fn radix_number(digits: &str, radix: u32) -> Option<f64> {
    let ok = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
    ok.then(|| u32::from_str_radix(digits, radix).ok())
        .flatten()
        .map(|v| f64::from(v as i32))
}

/// Number → text as GitHub prints it (.NET's `ToString("G15")`, as the runner's
/// `ConvertToString`): 15 significant digits, trailing zeros dropped; fixed-point when the
/// decimal exponent is from -4 to 14, otherwise `1.5E+15` / `1E-05` (a sign and at least
/// two exponent digits); `-0` prints as `0`; `NaN`, `Infinity`, `-Infinity` as words.
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if n == 0.0 {
        return "0".into();
    }
    // The common case: an integer of at most 15 digits prints as itself.
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{}", n as i64);
    }
    // Rust's exact formatting rounds to 15 significant digits: `-d.dddddddddddddde±x`.
    let sci = format!("{n:.14e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let sign = if n < 0.0 { "-" } else { "" };
    format!("{sign}{}", g15_layout(digits, exp))
}

/// Significant `digits` (no trailing zeros, at least one) with the decimal exponent of the
/// first, laid out as `G` does.
fn g15_layout(digits: &str, exp: i32) -> String {
    if (-4..15).contains(&exp) {
        if exp < 0 {
            return format!("0.{}{digits}", "0".repeat((-exp - 1) as usize));
        }
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            return format!("{digits}{}", "0".repeat(int_len - digits.len()));
        }
        return format!("{}.{}", &digits[..int_len], &digits[int_len..]);
    }
    let (first, rest) = digits.split_at(1);
    let point = if rest.is_empty() { "" } else { "." };
    let exp_sign = if exp < 0 { '-' } else { '+' };
    format!("{first}{point}{rest}E{exp_sign}{:02}", exp.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_number_coercion() {
        let cases: &[(&str, f64)] = &[
            ("", 0.0),
            ("  ", 0.0),
            ("1", 1.0),
            (" 42 ", 42.0),
            ("-1.5", -1.5),
            ("1e3", 1000.0),
            ("0x10", 16.0),
            ("0o17", 15.0),
            (".5", 0.5),
            ("+3", 3.0),
            ("Infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
        ];
        for (s, want) in cases {
            assert_eq!(Value::str(s).to_number(), *want, "{s:?}");
        }
        for s in [
            "abc",
            "1a",
            "0x",
            "1e",
            "inf",
            "nan",
            "1.2.3",
            "--1",
            "0x100000000",
        ] {
            assert!(Value::str(s).to_number().is_nan(), "{s:?} should be NaN");
        }
        assert!(Value::str("NaN").to_number().is_nan());
    }

    #[test]
    fn other_coercions() {
        assert_eq!(Value::Null.to_number(), 0.0);
        assert_eq!(Value::Bool(true).to_number(), 1.0);
        assert!(Value::array(vec![]).to_number().is_nan());
        assert!(!Value::Number(f64::NAN).truthy());
        assert!(!Value::Number(-0.0).truthy());
        assert!(Value::str("0").truthy());
        assert!(Value::str("false").truthy());
        assert!(!Value::str("").truthy());
        assert!(Value::object(Object::new()).truthy());
    }

    #[test]
    fn number_formatting() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (-7.0, "-7"),
            (3.5, "3.5"),
            (0.1, "0.1"),
            (1e21, "1E+21"),
            (123456789.0, "123456789"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (-0.0, "0"),
            // GitHub: .NET's G15 writes at least two exponent digits
            (2.5e-7, "2.5E-07"),
        ];
        for (n, want) in cases {
            assert_eq!(format_number(*n), *want);
        }
        assert_eq!(Value::array(vec![]).to_text(), "Array");
        assert_eq!(Value::Null.to_text(), "");
    }

    #[test]
    fn case_insensitive_property_lookup() {
        let v = Value::from_json(&serde_json::json!({"Event": {"ref": "x"}}));
        assert_eq!(v.get("event").get("REF").to_text(), "x");
        assert!(matches!(v.get("nope"), Value::Null));
        assert!(matches!(Value::str("s").get("len"), Value::Null));
    }
}
