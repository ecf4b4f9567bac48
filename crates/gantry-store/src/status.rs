//! The statuses the store keeps, typed: a run's [`Status`], a job's or step's [`Progress`],
//! and how they ended (the engine's [`Conclusion`]). They are stored as the text GitHub uses
//! (`in_progress`, `success`...), which is also what the API answers, and parsed back at the
//! edge: text the store does not know is an error naming it, never a silent default.

use gantry_engine::Conclusion;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::Row;
use serde::Serialize;
use thiserror::Error;

/// Where a run is. A job or a step is only ever [`Progress`]; the history of changes holds
/// both kinds, hence the one type there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Recorded, waiting for capacity (or for the next start).
    Queued,
    InProgress,
    /// Ended, with a conclusion.
    Completed,
    /// Gantry stopped while it ran and it is not run again (attempts used up).
    Interrupted,
}

/// Where a job or a step is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    InProgress,
    Completed,
}

/// Text in a status or conclusion column that none of the types above names.
#[derive(Debug, Error)]
#[error("unknown {what} `{text}` in the run store")]
pub struct UnknownStatus {
    pub what: &'static str,
    pub text: String,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Queued,
        Status::InProgress,
        Status::Completed,
        Status::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> Result<Status, UnknownStatus> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| UnknownStatus {
                what: "status",
                text: text.to_string(),
            })
    }

    /// The run has ended: nothing more will be recorded for this attempt.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Completed | Status::Interrupted)
    }
}

impl Progress {
    pub fn as_str(self) -> &'static str {
        Status::from(self).as_str()
    }

    pub fn parse(text: &str) -> Result<Progress, UnknownStatus> {
        match Status::parse(text)? {
            Status::InProgress => Ok(Progress::InProgress),
            Status::Completed => Ok(Progress::Completed),
            _ => Err(UnknownStatus {
                what: "job or step status",
                text: text.to_string(),
            }),
        }
    }
}

impl From<Progress> for Status {
    fn from(p: Progress) -> Status {
        match p {
            Progress::InProgress => Status::InProgress,
            Progress::Completed => Status::Completed,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const CONCLUSIONS: [Conclusion; 4] = [
    Conclusion::Success,
    Conclusion::Failure,
    Conclusion::Cancelled,
    Conclusion::Skipped,
];

/// A conclusion from its stored text.
pub fn parse_conclusion(text: &str) -> Result<Conclusion, UnknownStatus> {
    CONCLUSIONS
        .into_iter()
        .find(|c| c.as_str() == text)
        .ok_or_else(|| UnknownStatus {
            what: "conclusion",
            text: text.to_string(),
        })
}

fn from_text<T>(v: ValueRef<'_>, parse: fn(&str) -> Result<T, UnknownStatus>) -> FromSqlResult<T> {
    parse(v.as_str()?).map_err(|e| FromSqlError::Other(Box::new(e)))
}

impl ToSql for Status {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Status {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        from_text(v, Status::parse)
    }
}

impl ToSql for Progress {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Progress {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        from_text(v, Progress::parse)
    }
}

/// The conclusion in column `i` (NULL: none yet). The engine's type has no SQLite
/// conversions of its own: the store is the one that keeps it as text.
pub fn conclusion_at(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Conclusion>> {
    let Some(text) = r.get::<_, Option<String>>(i)? else {
        return Ok(None);
    };
    parse_conclusion(&text).map(Some).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A conclusion as the text bound into SQL.
pub fn conclusion_text(c: Option<Conclusion>) -> Option<&'static str> {
    c.map(Conclusion::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_text() {
        let table = [
            ("queued", Some(Status::Queued)),
            ("in_progress", Some(Status::InProgress)),
            ("completed", Some(Status::Completed)),
            ("interrupted", Some(Status::Interrupted)),
            ("Queued", None),
            ("done", None),
            ("", None),
        ];
        for (text, want) in table {
            let got = Status::parse(text).ok();
            assert_eq!(got, want, "{text:?}");
            if let Some(s) = got {
                assert_eq!(s.as_str(), text);
                assert_eq!(serde_json::to_value(s).unwrap(), text);
            }
        }
    }

    #[test]
    fn conclusions_round_trip_and_unknown_text_is_named() {
        let table = [
            ("success", Some(Conclusion::Success)),
            ("failure", Some(Conclusion::Failure)),
            ("cancelled", Some(Conclusion::Cancelled)),
            ("skipped", Some(Conclusion::Skipped)),
            ("neutral", None),
        ];
        for (text, want) in table {
            let got = parse_conclusion(text);
            assert_eq!(got.as_ref().ok().copied(), want, "{text:?}");
            match got {
                Ok(c) => assert_eq!(c.as_str(), text),
                Err(e) => assert_eq!(
                    e.to_string(),
                    format!("unknown conclusion `{text}` in the run store")
                ),
            }
        }
    }

    #[test]
    fn a_job_status_is_in_progress_or_completed_only() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let table = [
            ("in_progress", Some(Progress::InProgress)),
            ("completed", Some(Progress::Completed)),
            ("queued", None),
            ("interrupted", None),
            ("whatever", None),
        ];
        for (text, want) in table {
            let got: rusqlite::Result<Progress> = c.query_row("SELECT ?1", [text], |r| r.get(0));
            assert_eq!(got.as_ref().ok().copied(), want, "{text:?}");
            if let Err(e) = got {
                assert!(e.to_string().contains(text), "{e}");
            }
        }
    }
}
