//! Controls of runs that hold across instances sharing a store: a cancel asked of any
//! instance, a rerun, and `concurrency:` groups. Each is one request to the writer, decided
//! in its transaction (compare-and-set on the run's status, the group's row), so that two
//! instances asking at once, or a cancel racing a claim, never both win.
//!
//! - **Cancel** ([`crate::Store::cancel`]): a queued run ends `cancelled` at once; a run in
//!   progress gets a cancel request (`runs.cancel_requested`, the reason) that the instance
//!   executing it finds with [`crate::read::cancel_requests`] (it polls) and acts on.
//! - **Rerun** ([`crate::Store::rerun`]): a run that has ended is queued again as its next
//!   attempt; one that has not is left alone (the caller answers 409). Its failed jobs
//!   only: [`crate::Store::rerun_failed`] (`crate::carry`).
//! - **Groups** ([`crate::Store::enter_group`], `turn`, `leave_group`): a group's row holds
//!   the run holding it (`running`) and the one waiting for it (`waiting`), as GitHub has
//!   them: a newer run replaces the waiting one (which ends `cancelled`), waits while a run
//!   in progress holds the group (and with `cancel-in-progress` asks that one to cancel),
//!   else holds it. A holder whose run is no longer in progress (it ended, was requeued or
//!   taken over) holds nothing: the group is free, so an instance that died never holds a
//!   group longer than its lease.

/// A concurrency group's row: the run holding it, the run waiting for it.
pub type Members = (Option<i64>, Option<i64>);

/// What [`crate::Store::cancel`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cancel {
    /// It was queued: it ended `cancelled` now, before any instance started it.
    Cancelled,
    /// It is in progress on instance `owner`: a cancel request is recorded for it.
    Requested {
        owner: String,
    },
    /// It had ended already (its status): nothing changed.
    Ended(crate::Status),
    NotFound,
}

/// What [`crate::Store::rerun`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rerun {
    /// Queued again as `attempt`.
    Requeued {
        attempt: i64,
    },
    /// It has not ended (its status): nothing changed.
    Busy(crate::Status),
    /// Re-run failed jobs only: no job of its latest attempt failed or was cancelled, so
    /// there is nothing to run again (nothing changed).
    NothingFailed,
    NotFound,
}

/// What entering a concurrency group decided ([`crate::Store::enter_group`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entered {
    /// True: the run holds the group and may start; false: it waits for its [`Turn`].
    pub go: bool,
    /// The run that was waiting in the group and was replaced: it ended `cancelled`.
    pub replaced: Option<i64>,
    /// The run holding the group that was asked to cancel (`cancel-in-progress`), with the
    /// instance executing it.
    pub cancelling: Option<(i64, String)>,
}

/// Where a waiting run stands in its group ([`crate::Store::turn`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// Its turn came: it holds the group now.
    Go,
    /// Still waiting.
    Wait,
    /// No longer in the group (a newer run replaced it; it has ended).
    Gone,
}

/// A control request, decided in the writer's transaction.
#[derive(Clone, Debug)]
pub enum Request {
    Cancel {
        run: i64,
        reason: String,
    },
    Rerun {
        run: i64,
    },
    /// Rerun of the failed jobs only (see `crate::carry`).
    RerunFailed {
        run: i64,
    },
    Enter {
        group: String,
        run: i64,
        cancel_in_progress: bool,
    },
    Turn {
        group: String,
        run: i64,
    },
    Leave {
        group: String,
        run: i64,
    },
}

/// The writer's answer to a [`Request`], of the request's kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Cancel(Cancel),
    Rerun(Rerun),
    Entered(Entered),
    Turn(Turn),
    Left,
}

/// Why a waiting run ended: `run` took its place in `group`.
pub(crate) fn replaced_reason(group: &str, run: i64) -> String {
    format!("replaced by run {run} in concurrency group `{group}`")
}

/// The cancel request `cancel-in-progress` records on the run holding `group`.
pub(crate) fn cancel_in_progress_reason(group: &str, run: i64) -> String {
    format!("cancelled by run {run} in concurrency group `{group}` (cancel-in-progress)")
}

/// The SQL shared by both backends: the column and the group table of migration 4.
pub(crate) const GROUPS_TABLE: &str = "CREATE TABLE IF NOT EXISTS concurrency_groups (
    name    TEXT PRIMARY KEY,
    running BIGINT,
    waiting BIGINT
);
CREATE INDEX IF NOT EXISTS concurrency_groups_running ON concurrency_groups (running);
CREATE INDEX IF NOT EXISTS concurrency_groups_waiting ON concurrency_groups (waiting);";

/// The index of the controls poll: "cancel requests on runs in progress I own".
pub(crate) const CANCEL_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS runs_cancel_requested ON runs (owner)
    WHERE cancel_requested IS NOT NULL AND status = 'in_progress';";

/// What the writer answers, once its transaction committed.
type Reply = Result<Answer, crate::StoreError>;

impl crate::Store {
    /// Sends `req` to the writer; its answer once committed.
    async fn control(&self, req: Request) -> Reply {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.push(crate::write::Msg::Control { req, reply }).await?;
        crate::write::Answer(rx).wait().await
    }

    /// Cancels run `run` wherever it is (see [`Cancel`]); `reason` is kept with a request
    /// on a run in progress.
    pub async fn cancel(&self, run: i64, reason: &str) -> Result<Cancel, crate::StoreError> {
        let reason = reason.to_string();
        match self.control(Request::Cancel { run, reason }).await? {
            Answer::Cancel(c) => Ok(c),
            other => Err(mismatch("cancel", &other)),
        }
    }

    /// Queues run `run` again as its next attempt if it has ended (see [`Rerun`]).
    pub async fn rerun(&self, run: i64) -> Result<Rerun, crate::StoreError> {
        match self.control(Request::Rerun { run }).await? {
            Answer::Rerun(r) => Ok(r),
            other => Err(mismatch("rerun", &other)),
        }
    }

    /// Queues run `run` again as its next attempt keeping the jobs of its latest attempt
    /// that did not fail, with their outputs (see `crate::carry`), if it has ended and a
    /// job failed or was cancelled ([`Rerun::NothingFailed`] if none did).
    pub async fn rerun_failed(&self, run: i64) -> Result<Rerun, crate::StoreError> {
        match self.control(Request::RerunFailed { run }).await? {
            Answer::Rerun(r) => Ok(r),
            other => Err(mismatch("rerun of failed jobs", &other)),
        }
    }

    /// Run `run` (claimed, in progress) enters concurrency group `group` (see [`Entered`]).
    pub async fn enter_group(
        &self,
        group: &str,
        run: i64,
        cancel_in_progress: bool,
    ) -> Result<Entered, crate::StoreError> {
        let group = group.to_string();
        let req = Request::Enter {
            group,
            run,
            cancel_in_progress,
        };
        match self.control(req).await? {
            Answer::Entered(e) => Ok(e),
            other => Err(mismatch("group entry", &other)),
        }
    }

    /// Whether waiting run `run`'s turn in `group` came (it holds the group then).
    pub async fn turn(&self, group: &str, run: i64) -> Result<Turn, crate::StoreError> {
        let group = group.to_string();
        match self.control(Request::Turn { group, run }).await? {
            Answer::Turn(t) => Ok(t),
            other => Err(mismatch("turn", &other)),
        }
    }

    /// Run `run` leaves `group` (it ended, or stopped waiting); the run waiting holds it next.
    pub async fn leave_group(&self, group: &str, run: i64) -> Result<(), crate::StoreError> {
        let group = group.to_string();
        match self.control(Request::Leave { group, run }).await? {
            Answer::Left => Ok(()),
            other => Err(mismatch("group leave", &other)),
        }
    }
}

/// The writer answered a request with another's kind (never: each request has its own).
fn mismatch(what: &str, got: &Answer) -> crate::StoreError {
    let text = format!("the run store's writer answered a {what} with {got:?}");
    crate::StoreError::Io(std::io::Error::other(text))
}
