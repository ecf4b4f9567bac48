//! A step's stored log rows as the run page shows them: numbered lines split into styled
//! spans (`ansi`), `::group::` … `::endgroup::` nested as foldable groups, the step's
//! annotations (each pointing at its log line) and its summary's Markdown. Pure: rows in,
//! a tree out; `run.rs` renders it through the template and `live.rs` sends the same spans.

pub mod ansi;
mod palette;

use super::format;
use crate::log_rows::{self, Annotation};
use ansi::Span;
use gantry_store::read::LogRow;
use serde::Serialize;

/// A numbered log line.
#[derive(Debug, Serialize)]
pub struct Line {
    pub n: usize,
    pub time: String,
    pub stream: String,
    pub spans: Vec<Span>,
}

/// A `::group::`: its title is a numbered line of its own, its lines fold under it.
#[derive(Debug, Serialize)]
pub struct Group {
    pub n: usize,
    pub time: String,
    pub title: Vec<Span>,
    /// No `::endgroup::` (yet): a running step's live lines still go in here.
    pub unclosed: bool,
    pub children: Vec<Node>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Node {
    Line(Line),
    Group(Group),
}

/// An annotation and the line it belongs to: the last line shown before it (the engine
/// prints each annotation as a line too), `None` when the step had none yet.
#[derive(Debug)]
pub struct Note {
    pub annotation: Annotation,
    pub line: Option<usize>,
}

/// What one step's rows make.
#[derive(Debug, Default)]
pub struct StepLog {
    pub nodes: Vec<Node>,
    /// How many numbered lines (the last number): live lines continue from here.
    pub lines: usize,
    pub notes: Vec<Note>,
    /// The step summaries' Markdown, joined (usually one; unsanitised: see `summary`).
    pub summary: Option<String>,
}

/// Builds the tree; groups left open are closed at the end, a stray `::endgroup::` is ignored.
pub fn step(rows: &[LogRow]) -> StepLog {
    let mut b = Builder::default();
    for row in rows {
        b.row(row);
    }
    while !b.open.is_empty() {
        b.close(true);
    }
    b.log.nodes = b.root;
    b.log
}

#[derive(Default)]
struct Builder {
    log: StepLog,
    root: Vec<Node>,
    /// The groups being filled, innermost last.
    open: Vec<Group>,
}

impl Builder {
    fn row(&mut self, row: &LogRow) {
        let time = || format::clock(row.at);
        match row.stream.as_str() {
            log_rows::GROUP => {
                let n = self.next();
                let (time, title) = (time(), ansi::spans(&row.line));
                self.open.push(Group {
                    n,
                    time,
                    title,
                    unclosed: false,
                    children: Vec::new(),
                });
            }
            log_rows::END_GROUP => self.close(false),
            log_rows::ANNOTATION => self.log.notes.push(Note {
                annotation: Annotation::decode(&row.line),
                line: (self.log.lines > 0).then_some(self.log.lines),
            }),
            log_rows::SUMMARY => {
                let s = self.log.summary.get_or_insert_with(String::new);
                if !s.is_empty() {
                    s.push_str("\n\n");
                }
                s.push_str(&row.line);
            }
            _ => {
                let n = self.next();
                self.push(Node::Line(Line {
                    n,
                    time: time(),
                    stream: row.stream.clone(),
                    spans: ansi::spans(&row.line),
                }));
            }
        }
    }

    fn next(&mut self) -> usize {
        self.log.lines += 1;
        self.log.lines
    }

    fn push(&mut self, node: Node) {
        match self.open.last_mut() {
            Some(g) => g.children.push(node),
            None => self.root.push(node),
        }
    }

    /// Closes the innermost open group (none open: a stray close, ignored).
    fn close(&mut self, unclosed: bool) {
        if let Some(mut g) = self.open.pop() {
            g.unclosed = unclosed;
            self.push(Node::Group(g));
        }
    }
}

#[cfg(test)]
mod tests;
