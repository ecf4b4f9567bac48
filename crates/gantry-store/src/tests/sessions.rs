//! The run pages' sessions on both backends (`crate::sessions`): a session recorded by one
//! instance is found by another sharing the store, until it expires or either removes it;
//! expired rows are swept; and the row holds the cookie's hash, never a cookie value.

use super::Backend;
use crate::sessions::{find, insert, remove, sweep, SessionRow};
use crate::write::now_ms;

both_backends!(
    a_session_is_shared_by_instances_until_removed,
    expired_sessions_are_never_found_and_are_swept,
);

fn row(name: &str, expires_at: i64) -> SessionRow {
    SessionRow {
        token_name: name.into(),
        scope: "operate".into(),
        token_check: format!("check-{name}"),
        expires_at,
    }
}

async fn a_session_is_shared_by_instances_until_removed(b: Backend) {
    let place = b.place().await;
    let (a, other) = (place.open_as("a").await, place.open_as("b").await);
    let (ra, rb) = (a.reader().await.unwrap(), other.reader().await.unwrap());
    let later = now_ms() + 3_600_000;
    insert(&ra, "hash-1", &row("ops", later)).await.unwrap();
    insert(&ra, "hash-2", &row("reader", later)).await.unwrap();
    let found = find(&rb, "hash-1", now_ms()).await.unwrap();
    assert_eq!(
        found,
        Some(row("ops", later)),
        "the other instance finds it"
    );
    assert_eq!(find(&rb, "hash-3", now_ms()).await.unwrap(), None);
    remove(&rb, "hash-1").await.unwrap();
    assert_eq!(
        find(&ra, "hash-1", now_ms()).await.unwrap(),
        None,
        "ended on both"
    );
    assert!(
        find(&ra, "hash-2", now_ms()).await.unwrap().is_some(),
        "the other stays"
    );
    remove(&ra, "hash-1").await.unwrap();
    // The same hash twice is refused: a session id is never reused.
    assert!(insert(&ra, "hash-2", &row("ops", later)).await.is_err());
}

async fn expired_sessions_are_never_found_and_are_swept(b: Backend) {
    let place = b.place().await;
    let store = place.open().await;
    let r = store.reader().await.unwrap();
    let now = now_ms();
    insert(&r, "old", &row("ops", now - 1)).await.unwrap();
    insert(&r, "edge", &row("ops", now)).await.unwrap();
    insert(&r, "new", &row("ops", now + 60_000)).await.unwrap();
    assert_eq!(find(&r, "old", now).await.unwrap(), None);
    assert_eq!(
        find(&r, "edge", now).await.unwrap(),
        None,
        "expiry is exclusive"
    );
    assert_eq!(sweep(&r, now).await.unwrap(), 2);
    assert_eq!(sweep(&r, now).await.unwrap(), 0);
    assert!(find(&r, "new", now).await.unwrap().is_some());
    // Only the hash, the token's name and scope, the token check and the expiry are columns.
    let columns = match &r {
        crate::Reader::Sqlite(c) => c
            .lock()
            .unwrap()
            .prepare("SELECT name FROM pragma_table_info('sessions') ORDER BY cid")
            .unwrap()
            .query_map([], |row| row.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>(),
        crate::Reader::Postgres(c) => c
            .query(
                "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'sessions' ORDER BY ordinal_position",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<_, String>(0))
            .collect(),
    };
    let want = [
        "id_sha256",
        "token_name",
        "scope",
        "token_check",
        "expires_at",
    ];
    assert_eq!(columns, want);
}
