//! Steps that run at the same time (2026 syntax), as GitHub's runner runs them:
//!
//! - `background: true`: the step starts (once one of the job's ten slots is free) and the
//!   job goes on. It is reported as it runs and ends, but what it leaves — `steps.<id>`,
//!   `GITHUB_ENV`/`GITHUB_PATH`, a failure — reaches the steps after it only at the
//!   `wait`/`wait-all` that takes it ([`JobRunner::settle`]).
//! - `wait: [ids]`/`wait-all:`: until those (every unsettled) background steps end; then
//!   they settle in step order, and the wait fails when one of them failed.
//! - `cancel: id`: the step's process is stopped (TERM, then KILL) and it concludes
//!   `cancelled`, which fails nothing.
//! - `parallel:`: every step of the group in the background, with an implicit wait at the
//!   group's end.
//! - At the end of a scope (the job's steps, before post steps), an implicit `wait-all`.
//!
//! Everything runs in the job's task: background steps are futures in a
//! [`FuturesUnordered`] that the scope polls ([`Background::drive`]) while its foreground
//! step runs, and awaits at a wait.

use super::flow::{Done, Gate, Launch};
use super::scope::Scope;
use super::JobRunner;
use crate::backend::ContainerBackend;
use crate::report::Conclusion;
use futures_util::stream::{FuturesUnordered, StreamExt};
use gantry_plan::{Control, StepKind, StepPlan};
use std::future::Future;
use std::pin::Pin;
use tokio_util::sync::CancellationToken;

type StepFuture<'a> = Pin<Box<dyn Future<Output = Done<'a>> + Send + 'a>>;

/// A background step that has not settled yet.
struct Entry {
    id: Option<String>,
    label: String,
    stop: CancellationToken,
}

/// A scope's background steps: running, or ended and not yet settled.
pub struct Background<'a> {
    running: FuturesUnordered<StepFuture<'a>>,
    ended: Vec<Done<'a>>,
    /// Started and not settled, in step order.
    entries: Vec<Entry>,
}

impl<'a> Background<'a> {
    pub fn new() -> Background<'a> {
        Background {
            running: FuturesUnordered::new(),
            ended: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Awaits `fut` while the background steps go on.
    pub async fn drive<T>(&mut self, fut: impl Future<Output = T>) -> T {
        let mut fut = std::pin::pin!(fut);
        loop {
            tokio::select! {
                biased;
                r = &mut fut => return r,
                Some(done) = self.running.next(), if !self.running.is_empty() => {
                    self.ended.push(done)
                }
            }
        }
    }

    /// Waits until the steps with these labels have ended; returns them in step order.
    async fn take(&mut self, labels: &[String]) -> Vec<Done<'a>> {
        while labels
            .iter()
            .any(|l| !self.ended.iter().any(|d| &d.label == l))
        {
            match self.running.next().await {
                Some(done) => self.ended.push(done),
                None => break,
            }
        }
        self.entries.retain(|e| !labels.contains(&e.label));
        let (mut taken, kept) = std::mem::take(&mut self.ended)
            .into_iter()
            .partition(|d| labels.contains(&d.label));
        self.ended = kept;
        sort(&mut taken);
        taken
    }

    fn find(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id.as_deref() == Some(id))
    }
}

fn sort(dones: &mut [Done<'_>]) {
    dones.sort_by_key(|d| d.index);
}

impl<B: ContainerBackend> JobRunner<B> {
    /// A background step's future: a slot (while it is not cancelled), the step, its end
    /// reported. `limited`: in the job's own steps (a composite action's steps take no
    /// slot, so that a background step holding one never waits for its own steps).
    fn background_future<'a>(&'a self, l: Launch<'a>, limited: bool) -> StepFuture<'a> {
        Box::pin(async move {
            let slots = self.slots.clone();
            let permit = if limited {
                tokio::select! {
                    p = slots.acquire_owned() => p.ok(),
                    _ = l.stop.cancelled() => {
                        let mut done = l.done;
                        done.outcome = Conclusion::Cancelled;
                        done.conclusion = Conclusion::Cancelled;
                        done.reason = Some("cancelled before it started".into());
                        self.report_finished(&done);
                        return done;
                    }
                }
            } else {
                None
            };
            let done = self.launch(l).await;
            drop(permit);
            self.report_finished(&done);
            done
        })
    }

    /// Starts a `background: true` step; a step whose `if:` is false (or fails) ends now
    /// and settles at its wait like any background step.
    pub(super) fn start_background<'a>(
        &'a self,
        step: &'a StepPlan,
        scope: &Scope,
        label: String,
        bg: &mut Background<'a>,
    ) {
        let entry = |stop: CancellationToken| Entry {
            id: step.id.clone(),
            label: label.clone(),
            stop,
        };
        match self.gate(step, scope, label.clone()) {
            Gate::Ended(done) => {
                self.report_finished(&done);
                bg.entries.push(entry(CancellationToken::new()));
                bg.ended.push(done);
            }
            Gate::Go(l) => {
                bg.entries.push(entry(l.stop.clone()));
                bg.running
                    .push(self.background_future(*l, scope.base_env.is_none()));
            }
        }
    }

    /// A `parallel:` group: its steps start together (each `if:` seeing the job as the
    /// group starts), and settle in step order once all have ended.
    pub(super) async fn parallel<'a>(
        &'a self,
        steps: &'a [StepPlan],
        scope: &mut Scope,
        label: &str,
        bg: &mut Background<'a>,
    ) {
        let mut group = Background::new();
        let limited = scope.base_env.is_none();
        for (label, step) in flatten(steps, &format!("{label}.")) {
            match self.group_gate(step, scope, label) {
                Gate::Ended(done) => {
                    self.report_finished(&done);
                    group.ended.push(done);
                }
                Gate::Go(l) => group.running.push(self.background_future(*l, limited)),
            }
        }
        let running = group.running;
        let mut ended = group.ended;
        ended.extend(bg.drive(running.collect::<Vec<_>>()).await);
        sort(&mut ended);
        for done in ended {
            self.settle(scope, done);
        }
    }

    /// A step of a group: a control step cannot be one (it has no background steps of
    /// the group to act on).
    fn group_gate<'a>(&self, step: &'a StepPlan, scope: &Scope, label: String) -> Gate<'a> {
        match (&step.kind, self.gate(step, scope, label)) {
            (StepKind::Control { what, .. }, Gate::Go(l)) => {
                self.started(&l.done.label, &l.done.name);
                Gate::Ended(
                    l.done
                        .failed(format!("`{what}` cannot be a step of a `parallel:` group")),
                )
            }
            (_, gate) => gate,
        }
    }

    /// `wait`, `wait-all`, `cancel`: the step's own start and end are reported around it.
    pub(super) async fn control<'a>(
        &'a self,
        step: &'a StepPlan,
        control: &Control,
        scope: &mut Scope,
        label: String,
        bg: &mut Background<'a>,
    ) {
        let l = match self.gate(step, scope, label) {
            Gate::Ended(done) => return self.finish(scope, done),
            Gate::Go(l) => l,
        };
        self.started(&l.done.label, &l.done.name);
        let mut done = l.done;
        let failed = match control {
            Control::Wait(ids) => self.wait_ids(ids, scope, &done.label, bg).await,
            Control::WaitAll => {
                let labels: Vec<String> = bg.entries.iter().map(|e| e.label.clone()).collect();
                self.settle_labels(&labels, scope, bg).await
            }
            Control::Cancel(id) => {
                self.cancel(id, scope, &done.label, bg).await;
                Vec::new()
            }
        };
        done.outcome = Conclusion::Success;
        if !failed.is_empty() {
            done.outcome = Conclusion::Failure;
            done.reason = Some(format!("background step {} failed", failed.join(", ")));
        }
        done.conclusion = done.outcome;
        self.finish(scope, done);
    }

    /// `wait: [ids]`; ids that name no unsettled background step are said and skipped.
    async fn wait_ids<'a>(
        &'a self,
        ids: &[String],
        scope: &mut Scope,
        label: &str,
        bg: &mut Background<'a>,
    ) -> Vec<String> {
        let mut labels = Vec::new();
        for id in ids {
            match bg.find(id) {
                Some(e) => labels.push(e.label.clone()),
                None => self.log(
                    Some(label),
                    format!("`{id}` is no background step still to wait for"),
                ),
            }
        }
        self.settle_labels(&labels, scope, bg).await
    }

    /// `cancel: id`: stops the step and settles it.
    async fn cancel<'a>(
        &'a self,
        id: &str,
        scope: &mut Scope,
        label: &str,
        bg: &mut Background<'a>,
    ) {
        let Some(e) = bg.find(id) else {
            return self.log(
                Some(label),
                format!("`{id}` is no background step still running; nothing to cancel"),
            );
        };
        e.stop.cancel();
        let labels = vec![e.label.clone()];
        self.settle_labels(&labels, scope, bg).await;
    }

    /// Waits for these background steps and settles them; returns the labels of those
    /// that failed.
    async fn settle_labels<'a>(
        &'a self,
        labels: &[String],
        scope: &mut Scope,
        bg: &mut Background<'a>,
    ) -> Vec<String> {
        let mut failed = Vec::new();
        for done in bg.take(labels).await {
            if done.conclusion == Conclusion::Failure {
                failed.push(match done.id {
                    Some(id) => format!("`{id}`"),
                    None => format!("`{}`", done.name),
                });
            }
            self.settle(scope, done);
        }
        failed
    }

    /// The implicit `wait-all` at the end of a scope.
    pub(super) async fn settle_all<'a>(&'a self, bg: &mut Background<'a>, scope: &mut Scope) {
        let labels: Vec<String> = bg.entries.iter().map(|e| e.label.clone()).collect();
        self.settle_labels(&labels, scope, bg).await;
    }
}

/// A group's steps with their labels; a group inside a group runs as part of it.
fn flatten<'a>(steps: &'a [StepPlan], prefix: &str) -> Vec<(String, &'a StepPlan)> {
    let mut out = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let label = format!("{prefix}{}", i + 1);
        match &s.kind {
            StepKind::Parallel { steps: inner } => out.extend(flatten(inner, &format!("{label}."))),
            _ => out.push((label, s)),
        }
    }
    out
}
