//! "Re-run failed jobs" on both backends (`crate::carry`): which jobs the next attempt keeps
//! (those that did not fail, with their outputs and the attempt they ran in, through a
//! chain of attempts, and into the attempt after an interrupted one), what is refused (a run not ended, one with nothing failed), and two
//! instances asking at once making one new attempt.

use super::{event, run, Backend};
use crate::carry::{kept, Kept};
use crate::write::now_ms;
use crate::*;
use gantry_engine::Conclusion;
use std::collections::BTreeMap;

both_backends!(
    the_next_attempt_keeps_the_jobs_that_did_not_fail,
    a_run_not_ended_or_with_nothing_failed_is_refused,
    two_reruns_of_failed_jobs_at_once_make_one_new_attempt,
    an_interrupted_attempt_requeued_keeps_what_it_was_to_keep,
);

fn outputs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A job's row as the reporter writes it once it ended.
fn job(run: i64, key: &str, conclusion: Conclusion) -> Op {
    Op::Job {
        run,
        key: key.into(),
        name: key.into(),
        status: Progress::Completed,
        conclusion: Some(conclusion),
        reason: None,
        at: now_ms(),
    }
}

fn result(run: i64, key: &str, c: Conclusion, out: &[(&str, &str)], from: Option<i64>) -> Op {
    Op::JobResult {
        run,
        key: key.into(),
        conclusion: c,
        outputs: outputs(out),
        kept_from: from,
    }
}

fn ended(run: i64, conclusion: Conclusion) -> Op {
    Op::Run {
        run,
        status: Status::Completed,
        conclusion: Some(conclusion),
        reason: None,
        at: now_ms(),
    }
}

/// Claims run `id`, records `ops` and ends it with `conclusion`.
async fn attempt(store: &Store, id: i64, ops: Vec<Op>, conclusion: Conclusion) {
    assert!(store.claim(id).await.unwrap());
    for op in ops {
        store.send(op).unwrap();
    }
    store.send(ended(id, conclusion)).unwrap();
    store.flush().await.unwrap();
}

async fn kept_at(store: &Store, id: i64, at: i64) -> Vec<Kept> {
    let c = store.reader().await.unwrap();
    kept(&c, id, at).await.unwrap()
}

async fn queued_run(store: &Store, key: &str) -> i64 {
    let ids = store
        .accept(event(key), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids;
    ids[0]
}

async fn the_next_attempt_keeps_the_jobs_that_did_not_fail(b: Backend) {
    use Conclusion::*;
    let place = b.place().await;
    let store = place.open_as("a").await;
    let id = queued_run(&store, "e").await;
    let ops = vec![
        job(id, "a", Success),
        result(id, "a", Success, &[("x", "1")], None),
        job(id, "b", Failure),
        result(id, "b", Failure, &[], None),
        job(id, "c", Skipped),
        result(id, "c", Skipped, &[], None),
        // Its outputs were never stored (the run ended before): it cannot be kept.
        job(id, "d", Success),
        job(id, "e (1)", Cancelled),
        result(id, "e (1)", Cancelled, &[], None),
    ];
    attempt(&store, id, ops, Failure).await;
    assert!(kept_at(&store, id, 1).await.is_empty(), "attempt 1 ran all");
    assert_eq!(
        store.rerun_failed(id).await.unwrap(),
        Rerun::Requeued { attempt: 2 }
    );
    let want_a = Kept {
        key: "a".into(),
        conclusion: Success,
        outputs: outputs(&[("x", "1")]),
        attempt: 1,
    };
    let want_c = Kept {
        key: "c".into(),
        conclusion: Skipped,
        outputs: BTreeMap::new(),
        attempt: 1,
    };
    assert_eq!(
        kept_at(&store, id, 2).await,
        [want_a.clone(), want_c.clone()]
    );
    // Attempt 2 keeps a, runs c again (as if it needed b) and b fails again: attempt 3
    // keeps a from attempt 1, c from attempt 2.
    let ops = vec![
        job(id, "a", Success),
        result(id, "a", Success, &[("x", "1")], Some(1)),
        job(id, "b", Failure),
        result(id, "b", Failure, &[], None),
        job(id, "c", Success),
        result(id, "c", Success, &[("y", "2")], None),
    ];
    attempt(&store, id, ops, Failure).await;
    assert_eq!(
        store.rerun_failed(id).await.unwrap(),
        Rerun::Requeued { attempt: 3 }
    );
    let c3 = Kept {
        conclusion: Success,
        outputs: outputs(&[("y", "2")]),
        attempt: 2,
        ..want_c
    };
    assert_eq!(kept_at(&store, id, 3).await, [want_a, c3]);
    // A full rerun keeps nothing.
    let ops = vec![job(id, "b", Failure), result(id, "b", Failure, &[], None)];
    attempt(&store, id, ops, Failure).await;
    assert_eq!(
        store.rerun(id).await.unwrap(),
        Rerun::Requeued { attempt: 4 }
    );
    assert!(kept_at(&store, id, 4).await.is_empty());
}

async fn a_run_not_ended_or_with_nothing_failed_is_refused(b: Backend) {
    let place = b.place().await;
    let store = place.open_as("a").await;
    let id = queued_run(&store, "e").await;
    assert_eq!(
        store.rerun_failed(id).await.unwrap(),
        Rerun::Busy(Status::Queued)
    );
    let ops = vec![
        job(id, "a", Conclusion::Success),
        result(id, "a", Conclusion::Success, &[], None),
    ];
    attempt(&store, id, ops, Conclusion::Success).await;
    assert_eq!(store.rerun_failed(id).await.unwrap(), Rerun::NothingFailed);
    let c = store.reader().await.unwrap();
    let row = read::run(&c, id).await.unwrap().expect("the run");
    assert_eq!(
        (row.status, row.attempt),
        (Status::Completed, 1),
        "unchanged"
    );
    assert_eq!(store.rerun_failed(424242).await.unwrap(), Rerun::NotFound);
}

async fn two_reruns_of_failed_jobs_at_once_make_one_new_attempt(b: Backend) {
    let place = b.place().await;
    let (a, other) = (place.open_as("a").await, place.open_as("b").await);
    let id = queued_run(&a, "e").await;
    let ops = vec![
        job(id, "a", Conclusion::Success),
        result(id, "a", Conclusion::Success, &[("x", "1")], None),
        job(id, "b", Conclusion::Failure),
        result(id, "b", Conclusion::Failure, &[], None),
    ];
    attempt(&a, id, ops, Conclusion::Failure).await;
    let (x, y) = tokio::join!(a.rerun_failed(id), other.rerun_failed(id));
    let mut answers = [x.unwrap(), y.unwrap()];
    answers.sort_by_key(|r| matches!(r, Rerun::Busy(_)));
    assert_eq!(
        answers,
        [Rerun::Requeued { attempt: 2 }, Rerun::Busy(Status::Queued)]
    );
    let kept = kept_at(&other, id, 2).await;
    assert_eq!(kept.len(), 1, "a, once: {kept:?}");
    assert_eq!((kept[0].key.as_str(), kept[0].attempt), ("a", 1));
}

async fn an_interrupted_attempt_requeued_keeps_what_it_was_to_keep(b: Backend) {
    let place = b.place().await;
    let store = place.open_as("a").await;
    let id = queued_run(&store, "e").await;
    let ops = vec![
        job(id, "a", Conclusion::Success),
        result(id, "a", Conclusion::Success, &[("x", "1")], None),
        job(id, "b", Conclusion::Failure),
        result(id, "b", Conclusion::Failure, &[], None),
    ];
    attempt(&store, id, ops, Conclusion::Failure).await;
    assert_eq!(
        store.rerun_failed(id).await.unwrap(),
        Rerun::Requeued { attempt: 2 }
    );
    // Attempt 2 starts here and is interrupted (a crash): attempt 3 keeps `a` still.
    assert!(store.claim(id).await.unwrap());
    assert!(store.requeue_own(id, 2).await.unwrap());
    let kept = kept_at(&store, id, 3).await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!((kept[0].key.as_str(), kept[0].attempt), ("a", 1));
    assert_eq!(kept[0].outputs, outputs(&[("x", "1")]));
    // A full rerun of an ended run keeps nothing, whatever its attempt was to keep.
    store.send(ended(id, Conclusion::Failure)).unwrap();
    store.flush().await.unwrap();
    assert_eq!(
        store.rerun(id).await.unwrap(),
        Rerun::Requeued { attempt: 4 }
    );
    assert!(kept_at(&store, id, 4).await.is_empty());
}
