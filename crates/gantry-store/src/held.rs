//! What a writer keeps between transactions, the same for SQLite and PostgreSQL: the log
//! sequence numbers, the changes not committed yet, when to try again while the store is
//! down, and the store's health — with what happens after a transaction (up: what was held
//! is written; down: it is kept and tried again after [`RETRY`]), to a message that arrives
//! while down, and at close.

use crate::fence::Sent;
use crate::health::Health;
use crate::write::Msg;
use crate::writer::{refuse, Reply, BATCH, RETRY};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

pub(crate) struct Held {
    /// Next log sequence number per run.
    pub(crate) seqs: HashMap<i64, i64>,
    pub(crate) health: Arc<Health>,
    /// Changes received and not committed yet, oldest first.
    pub(crate) pending: Vec<Sent>,
    /// While the store is down: when to try again.
    pub(crate) retry_at: Option<Instant>,
}

impl Held {
    pub(crate) fn new(health: Arc<Health>) -> Held {
        Held {
            seqs: HashMap::new(),
            health,
            pending: Vec::new(),
            retry_at: None,
        }
    }

    /// After a transaction (`failure`: why it did not commit): the store is up or down,
    /// and every request is answered.
    pub(crate) fn settle(&mut self, failure: Option<String>, replies: Vec<Reply>) {
        match &failure {
            None => {
                self.pending.clear();
                self.health.set_held(0);
                self.retry_at = None;
                if self.health.recovered() {
                    tracing::info!("the run store writes again; taking events again");
                }
            }
            Some(cause) => {
                // Sequence numbers may be ahead of what was committed; read them again.
                self.seqs.clear();
                self.retry_at = Some(Instant::now() + RETRY);
                self.health.set_held(self.pending.len());
                if self.health.failed(cause) {
                    tracing::error!(
                        cause = %cause,
                        held = self.pending.len(),
                        "the run store cannot write: events are refused until it can; its changes are kept and written then"
                    );
                }
            }
        }
        for r in replies {
            r.send(failure.as_deref());
        }
    }

    /// Holding as many changes as it may: no more are taken until the store writes.
    pub(crate) fn full(&self) -> bool {
        self.pending.len() >= BATCH
    }

    /// A message that arrives while the store is down: a change is kept, a flush with
    /// nothing held is answered done, any other request "unavailable" at once.
    pub(crate) fn keep(&mut self, msg: Msg) {
        match msg {
            Msg::Write(sent) => {
                self.pending.push(sent);
                self.health.set_held(self.pending.len());
            }
            // Nothing held: everything sent before is written already.
            Msg::Flush(reply) if self.pending.is_empty() => {
                Reply::Unit(reply, Some(Ok(()))).send(None);
            }
            request => {
                let cause = self.health.cause();
                refuse(request).send(cause.as_deref().or(Some("the store is down")));
            }
        }
    }

    /// The writer stops: changes it could not write are said in the log.
    pub(crate) fn close(&self) {
        if !self.pending.is_empty() {
            tracing::error!(
                changes = self.pending.len(),
                "the run store closes with changes it could not write; runs left in progress are marked at the next start"
            );
        }
    }
}
