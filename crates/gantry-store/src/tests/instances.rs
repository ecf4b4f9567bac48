//! Instances sharing one store, on both backends: a queued run is claimed once, by any
//! instance; the same event delivered to two instances at once is recorded once.

use super::{event, run, Backend};
use crate::read;
use crate::*;

both_backends!(
    a_queued_run_is_claimed_once_by_any_instance,
    the_same_event_at_two_instances_at_once_is_recorded_once,
);

async fn a_queued_run_is_claimed_once_by_any_instance(b: Backend) {
    let place = b.place().await;
    let (a, other) = (place.open_as("a").await, place.open_as("b").await);
    let id = a
        .accept(event("mine"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids[0];
    assert!(other.claim(id).await.unwrap(), "queued: claimed by b");
    assert!(!a.claim(id).await.unwrap(), "in progress already");
    assert!(!other.claim(id).await.unwrap(), "in progress already");
    let c = a.reader().await.unwrap();
    let theirs = read::runs_with_status(&c, Status::InProgress, "b")
        .await
        .unwrap();
    assert_eq!(theirs.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
    let mine = read::runs_with_status(&c, Status::InProgress, "a")
        .await
        .unwrap();
    assert!(mine.is_empty(), "{mine:?}");
    let history: Vec<_> = read::changes(&c, id).await.unwrap();
    let statuses: Vec<_> = history.iter().map(|h| h.status).collect();
    assert_eq!(statuses, [Status::Queued, Status::InProgress]);
}

async fn the_same_event_at_two_instances_at_once_is_recorded_once(b: Backend) {
    let place = b.place().await;
    let (a, other) = (place.open_as("a").await, place.open_as("b").await);
    let mut pairs = Vec::new();
    for i in 0..100 {
        let both = [a.clone(), other.clone()].map(|s| {
            tokio::spawn(async move {
                let e = event(&format!("same-{i}"));
                s.accept(e, vec![run("w.yml")], |ids| format!("{ids:?}"))
                    .await
            })
        });
        pairs.push(both);
    }
    for [x, y] in pairs {
        let (x, y) = (x.await.unwrap().unwrap(), y.await.unwrap().unwrap());
        assert_eq!(x.run_ids, y.run_ids, "{x:?} {y:?}");
        assert_eq!(x.response, y.response);
        assert!(x.duplicate != y.duplicate, "recorded once: {x:?} {y:?}");
    }
    assert_eq!(super::all_runs(&a).await.len(), 100);
}
