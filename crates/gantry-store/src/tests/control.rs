//! Controls across instances on both backends (`crate::control`): a cancel request recorded
//! and read back by the owner only; a cancel of a queued run racing a claim (exactly one
//! wins); two reruns at once making one new attempt; concurrency groups entered, replaced,
//! waited for and left across two instances on one database, with cancel-in-progress
//! asking the holder to cancel and a takeover releasing a dead instance's group.

use super::{event, run, Backend};
use crate::read;
use crate::write::now_ms;
use crate::*;
use gantry_engine::Conclusion;
use std::time::Duration;

both_backends!(
    a_cancel_request_is_recorded_and_read_back_by_its_owner,
    a_cancel_of_a_queued_run_racing_a_claim_has_one_winner,
    two_reruns_at_once_make_one_new_attempt,
    groups_enter_replace_wait_turn_and_leave_across_instances,
    a_takeover_releases_the_group_of_a_dead_instance,
);

/// `n` queued runs recorded by `store`; their ids.
async fn queued(store: &Store, key: &str, n: usize) -> Vec<i64> {
    let runs = (0..n).map(|_| run("w.yml")).collect();
    store
        .accept(event(key), runs, |_| String::new())
        .await
        .unwrap()
        .run_ids
}

async fn row(store: &Store, id: i64) -> RunRow {
    let c = store.reader().await.unwrap();
    read::run(&c, id).await.unwrap().expect("the run")
}

async fn requests(store: &Store, owner: &str) -> Vec<i64> {
    let c = store.reader().await.unwrap();
    read::cancel_requests(&c, owner).await.unwrap()
}

async fn a_cancel_request_is_recorded_and_read_back_by_its_owner(b: Backend) {
    let place = b.place().await;
    let (a, other) = (place.open_as("a").await, place.open_as("b").await);
    let ids = queued(&a, "e", 2).await;
    assert!(a.claim(ids[0]).await.unwrap());
    let asked = other.cancel(ids[0], "asked by b").await.unwrap();
    assert_eq!(asked, Cancel::Requested { owner: "a".into() });
    assert_eq!(requests(&other, "a").await, [ids[0]], "a's run, read by a");
    assert!(requests(&a, "b").await.is_empty(), "none on b's runs");
    assert_eq!(
        row(&a, ids[0]).await.status,
        Status::InProgress,
        "only asked"
    );
    // Asked again: still one request; the run keeps running until its instance acts.
    let again = a.cancel(ids[0], "again").await.unwrap();
    assert_eq!(again, Cancel::Requested { owner: "a".into() });
    assert_eq!(requests(&a, "a").await, [ids[0]]);
    // Its instance ends it: the request is no longer one to act on.
    a.send(Op::Run {
        run: ids[0],
        status: Status::Completed,
        conclusion: Some(Conclusion::Cancelled),
        reason: None,
        at: now_ms(),
    })
    .unwrap();
    a.flush().await.unwrap();
    assert!(requests(&a, "a").await.is_empty());
    let ended = other.cancel(ids[0], "late").await.unwrap();
    assert_eq!(ended, Cancel::Ended(Status::Completed), "harmless");
    assert_eq!(other.cancel(9999, "x").await.unwrap(), Cancel::NotFound);
    // A rerun starts afresh: no request left over.
    assert_eq!(
        a.rerun(ids[0]).await.unwrap(),
        Rerun::Requeued { attempt: 2 }
    );
    assert!(a.claim(ids[0]).await.unwrap());
    assert!(requests(&a, "a").await.is_empty());
}

async fn a_cancel_of_a_queued_run_racing_a_claim_has_one_winner(b: Backend) {
    let place = b.place().await;
    let (a, other) = (place.open_as("a").await, place.open_as("b").await);
    let ids = queued(&a, "e", 20).await;
    let (mut cancelled, mut claimed) = (0, 0);
    for &id in &ids {
        let (cancel, claim) = tokio::join!(other.cancel(id, "race"), a.claim(id));
        let (cancel, claim) = (cancel.unwrap(), claim.unwrap());
        let r = row(&a, id).await;
        match cancel {
            Cancel::Cancelled => {
                assert!(!claim, "run {id}: cancelled and claimed");
                assert_eq!(
                    (r.status, r.conclusion),
                    (Status::Completed, Some(Conclusion::Cancelled))
                );
                cancelled += 1;
            }
            Cancel::Requested { owner } => {
                assert!(claim, "run {id}: a request on a run nobody claimed");
                assert_eq!((owner.as_str(), r.status), ("a", Status::InProgress));
                assert!(requests(&a, "a").await.contains(&id));
                claimed += 1;
            }
            other => panic!("run {id}: {other:?}"),
        }
    }
    assert_eq!(cancelled + claimed, ids.len());
}

async fn two_reruns_at_once_make_one_new_attempt(b: Backend) {
    let place = b.place().await;
    let (a, other) = (place.open_as("a").await, place.open_as("b").await);
    let id = queued(&a, "e", 1).await[0];
    assert_eq!(
        a.rerun(id).await.unwrap(),
        Rerun::Busy(Status::Queued),
        "not ended"
    );
    assert_eq!(a.cancel(id, "x").await.unwrap(), Cancel::Cancelled);
    let (x, y) = tokio::join!(a.rerun(id), other.rerun(id));
    let mut answers = [x.unwrap(), y.unwrap()];
    answers.sort_by_key(|r| matches!(r, Rerun::Busy(_)));
    assert_eq!(
        answers,
        [Rerun::Requeued { attempt: 2 }, Rerun::Busy(Status::Queued)]
    );
    let r = row(&a, id).await;
    assert_eq!((r.status, r.attempt), (Status::Queued, 2));
    assert_eq!(a.rerun(424242).await.unwrap(), Rerun::NotFound);
}

async fn group_of(store: &Store, name: &str) -> Option<(Option<i64>, Option<i64>)> {
    let c = store.reader().await.unwrap();
    read::group(&c, name).await.unwrap()
}

async fn groups_enter_replace_wait_turn_and_leave_across_instances(b: Backend) {
    let place = b.place().await;
    let (a, other) = (place.open_as("a").await, place.open_as("b").await);
    let ids = queued(&a, "e", 4).await;
    let (r1, r2, r3, r4) = (ids[0], ids[1], ids[2], ids[3]);
    assert!(a.claim(r1).await.unwrap());
    for id in [r2, r3, r4] {
        assert!(other.claim(id).await.unwrap());
    }
    let first = a.enter_group("g", r1, false).await.unwrap();
    assert_eq!(
        (first.go, first.replaced, first.cancelling),
        (true, None, None)
    );
    let second = other.enter_group("g", r2, false).await.unwrap();
    assert_eq!(
        (second.go, second.replaced),
        (false, None),
        "r1 runs: r2 waits"
    );
    assert_eq!(other.turn("g", r2).await.unwrap(), Turn::Wait);
    // r3 replaces the waiting r2, which ends cancelled naming r3.
    let third = other.enter_group("g", r3, false).await.unwrap();
    assert_eq!((third.go, third.replaced), (false, Some(r2)));
    let replaced = row(&a, r2).await;
    assert_eq!(
        (replaced.status, replaced.conclusion),
        (Status::Completed, Some(Conclusion::Cancelled))
    );
    let why = replaced.reason.unwrap_or_default();
    assert!(
        why.contains(&format!("run {r3}")) && why.contains("`g`"),
        "{why}"
    );
    assert_eq!(
        other.turn("g", r2).await.unwrap(),
        Turn::Gone,
        "r2's waiter stops"
    );
    assert_eq!(group_of(&a, "g").await, Some((Some(r1), Some(r3))));
    // cancel-in-progress: r4 replaces r3 and asks r1 (on instance a) to cancel.
    let fourth = other.enter_group("g", r4, true).await.unwrap();
    assert!(!fourth.go);
    assert_eq!(fourth.replaced, Some(r3));
    assert_eq!(fourth.cancelling, Some((r1, "a".to_string())));
    assert_eq!(requests(&other, "a").await, [r1], "a finds the request");
    assert_eq!(
        other.turn("g", r4).await.unwrap(),
        Turn::Wait,
        "until r1 leaves"
    );
    a.leave_group("g", r1).await.unwrap();
    assert_eq!(
        group_of(&a, "g").await,
        Some((Some(r4), None)),
        "r4 holds it"
    );
    assert_eq!(other.turn("g", r4).await.unwrap(), Turn::Go);
    other.leave_group("g", r4).await.unwrap();
    assert_eq!(group_of(&a, "g").await, None, "empty: gone");
}

async fn a_takeover_releases_the_group_of_a_dead_instance(b: Backend) {
    let place = b.place().await;
    let lease = Duration::from_secs(30);
    let dead = place.open_as("dead").await.with_lease(lease);
    // The survivor's own lease outlasts the time the takeover is asked about.
    let survivor = place.open_as("s").await.with_lease(lease * 100);
    let ids = queued(&dead, "e", 2).await;
    assert!(dead.claim(ids[0]).await.unwrap());
    assert!(dead.enter_group("g", ids[0], false).await.unwrap().go);
    assert!(survivor.claim(ids[1]).await.unwrap());
    assert!(!survivor.enter_group("g", ids[1], false).await.unwrap().go);
    let later = TakeOver {
        now: now_ms() + 2 * lease::millis(lease),
        max_attempts: 3,
    };
    let taken = survivor.take_over(later).await.unwrap();
    assert!(
        taken.iter().any(|t| t.run == ids[0] && t.requeued),
        "{taken:?}"
    );
    assert_eq!(group_of(&survivor, "g").await, Some((Some(ids[1]), None)));
    assert_eq!(survivor.turn("g", ids[1]).await.unwrap(), Turn::Go);
}
