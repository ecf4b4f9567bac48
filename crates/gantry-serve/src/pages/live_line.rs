//! A log row as the run page's live stream sends it: structured, never HTML, so
//! `/assets/pages.js` builds the same line the server renders (styled spans, group openings
//! and closings, annotations) with `textContent` and class names only.

use super::format;
use super::logview::ansi;
use crate::log_rows::{self, Annotation};
use gantry_store::read::LogRow;
use serde_json::{json, Value};

/// `{seq, job, step, time, stream}` and, by stream: `spans` (a line), `title` (spans of a
/// group's opening), `annotation` (`{level, place, message}`); nothing more for a group's
/// closing or a summary (the page fetches summaries, sanitised, once the run ends).
pub fn json(l: &LogRow) -> Value {
    let mut v = json!({
        "seq": l.seq, "job": l.job, "step": l.step, "time": format::clock(l.at), "stream": l.stream,
    });
    let (key, extra) = match l.stream.as_str() {
        log_rows::GROUP => ("title", json!(ansi::spans(&l.line))),
        log_rows::END_GROUP | log_rows::SUMMARY => return v,
        log_rows::ANNOTATION => {
            let a = Annotation::decode(&l.line);
            let place = a.place();
            let a = json!({ "level": a.level.as_str(), "place": place, "message": a.message });
            ("annotation", a)
        }
        _ => ("spans", json!(ansi::spans(&l.line))),
    };
    v[key] = extra;
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(stream: &str, line: &str) -> LogRow {
        LogRow {
            seq: 4,
            job: "b".into(),
            step: Some("1".into()),
            stream: stream.into(),
            line: line.into(),
            at: 0,
        }
    }

    #[test]
    fn each_kind_of_row_is_sent_structured() {
        let table = [
            (
                row("stdout", "\x1b[31mred"),
                "spans",
                json!([{"text": "red", "class": "ansi-red"}]),
            ),
            (
                row("group", "Setup"),
                "title",
                json!([{"text": "Setup", "class": ""}]),
            ),
            (
                row(
                    "annotation",
                    r#"{"level":"error","message":"a: b","file":"f","line":3}"#,
                ),
                "annotation",
                json!({"level": "error", "place": "f:3", "message": "a: b"}),
            ),
        ];
        for (r, key, want) in table {
            let v = json(&r);
            assert_eq!(v[key], want, "{}", r.stream);
            assert_eq!(v["seq"], 4);
            assert!(v.get("line").is_none(), "no raw text: {v}");
        }
        for stream in ["endgroup", "summary"] {
            let v = json(&row(stream, "# md"));
            assert_eq!(v["stream"], stream);
            assert_eq!(v.as_object().map(|o| o.len()), Some(5), "{v}");
        }
    }
}
