//! The Kafka source under pressure, against a real Kafka-protocol broker (Tansu) and real
//! Docker: a backlog far larger than `max_queued_runs` is consumed without the queue of
//! runs ever going over the limit (the source takes only what fits, and pauses).

mod docker;
mod kafka;

use kafka::{send, tail, wait_or_explain, write_dir, Broker, Gantry};

const SLOW: &str = r#"
on:
  kafka:
    topics: [backlog]
jobs:
  work:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 0.3
"#;

/// The most runs that were queued at once, from the store's history of changes: a run is
/// queued from its first `queued` line until its first `in_progress` one.
fn most_queued_at_once(db: &std::path::Path) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut s = c
        .prepare(
            "SELECT at, CASE status WHEN 'queued' THEN 1 ELSE -1 END FROM changes
             WHERE job IS NULL AND status IN ('queued', 'in_progress') ORDER BY at, 2",
        )
        .unwrap();
    let steps: Vec<(i64, i64)> = s
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let (mut now, mut most) = (0, 0);
    for (_, d) in steps {
        now += d;
        most = most.max(now);
    }
    most
}

#[test]
fn a_backlog_larger_than_max_queued_runs_never_queues_more_than_the_limit() {
    docker::require_docker();
    const N: usize = 40;
    const LIMIT: i64 = 10;
    let broker = Broker::start();
    broker.create_topic("backlog", 1);
    broker.create_topic("gantry.dead-letter", 1);
    let dir = tempfile::tempdir().unwrap();
    let wf = write_dir(dir.path(), "workflows", &[("slow.yml", SLOW)]);
    // The whole backlog is on the topic before the service starts: one fetch brings all.
    let p = broker.producer();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            for n in 0..N {
                let value = format!("{{\"n\": {n}}}");
                send(&p, "backlog", None, None, &[], value.as_bytes()).await;
            }
        });
    let data = dir.path().join("data");
    let kafka = format!("group_id = \"backlog\"\nmax_queued_runs = {LIMIT}\n");
    let g = Gantry::start(dir.path(), "a", &data, &wf, &broker, &kafka);
    let db = data.join("gantry.db");
    let done = wait_or_explain(
        240,
        "every message run",
        || {
            let c = rusqlite::Connection::open(&db).ok()?;
            let (all, ok): (i64, i64) = c
                .query_row(
                    "SELECT COUNT(*), COALESCE(SUM(conclusion = 'success' AND attempt = 1), 0) FROM runs",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .ok()?;
            (all == N as i64 && ok == N as i64).then_some(all)
        },
        || tail(&g.log_text()).to_string(),
    );
    assert_eq!(done, N as i64);
    let most = most_queued_at_once(&db);
    assert!(
        most <= LIMIT,
        "{most} runs were queued at once (limit {LIMIT})"
    );
    // The limit was reached (the source paused), not merely never approached.
    assert!(
        most >= LIMIT / 2,
        "only {most} queued at once: the backlog was not consumed ahead"
    );
}
