//! The Kafka source under pressure, against a real Kafka-protocol broker (Tansu) and real
//! Docker: a backlog far larger than `max_queued_runs` is consumed without the queue of
//! runs ever going over the limit (the source takes only what fits, and pauses); a topic
//! deleted and created again under load neither crashes the service nor hides the new
//! topic's messages as duplicates of the old one's; a broker lost and back with an empty log
//! is reported, waited for, and its new messages run.

mod docker;
mod kafka;

use kafka::{send, tail, wait_for, wait_or_explain, write_dir, Broker, Gantry};

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

/// Runs that did not succeed, with the reasons of their jobs and steps and their logs.
fn not_successful(db: &std::path::Path) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut s = c
        .prepare(
            "SELECT r.id, r.conclusion, r.reason,
                    (SELECT group_concat(coalesce(j.reason, ''), ' | ') FROM jobs j WHERE j.run_id = r.id),
                    (SELECT group_concat(coalesce(s.reason, ''), ' | ') FROM steps s WHERE s.run_id = r.id),
                    (SELECT group_concat(l.line, ' / ') FROM logs l WHERE l.run_id = r.id)
             FROM runs r WHERE r.conclusion != 'success'",
        )
        .unwrap();
    let rows = s
        .query_map([], |r| {
            let cols: Vec<Option<String>> = (1..6).map(|i| r.get(i).ok()).collect();
            Ok(format!("run {}: {cols:?}", r.get::<_, i64>(0)?))
        })
        .unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
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
    produce(&broker, "backlog", 0..N as i64);
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
        || format!("{}\n{}", tail(&g.log_text()), not_successful(&db)),
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

const ECHO: &str = r#"
on:
  kafka:
    topics: [churn]
jobs:
  echo:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.value.n }}"
"#;

/// Runs recorded per message number (`value.n`), from the store.
fn runs_by_number(db: &std::path::Path) -> Option<std::collections::BTreeMap<i64, i64>> {
    let c = rusqlite::Connection::open(db).ok()?;
    let mut s = c
        .prepare(
            "SELECT json_extract(e.payload, '$.payload.value.n'), COUNT(*) FROM runs r
             JOIN events e ON e.id = r.event_id WHERE r.status = 'completed' GROUP BY 1",
        )
        .ok()?;
    let rows = s
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .ok()?;
    rows.collect::<Result<_, _>>().ok()
}

fn produce(broker: &Broker, topic: &str, numbers: std::ops::Range<i64>) {
    let p = broker.producer();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            for n in numbers {
                let value = format!("{{\"n\": {n}}}");
                send(&p, topic, None, None, &[], value.as_bytes()).await;
            }
        });
}

/// Runs not yet ended (queued or in progress), from the store.
fn unfinished(db: &std::path::Path) -> Option<i64> {
    let c = rusqlite::Connection::open(db).ok()?;
    c.query_row(
        "SELECT COUNT(*) FROM runs WHERE status != 'completed'",
        [],
        |r| r.get(0),
    )
    .ok()
}

/// librdkafka 2.12.1 (the newest `rdkafka-sys`) used to crash here: a Fetch response's
/// leader-discovery tags (KIP-951) naming a deleted topic by a zero topic id made
/// `rd_kafka_metadata_update_op` look it up by a NULL name (SIGSEGV in `rdk:main`). The
/// binary routes that lookup through a guard (crates/gantry-kafka/csrc/metadata_guard.c).
/// The topic is deleted while a backlog is being consumed (the queue limit keeps most of it
/// on the broker) and runs are queued and running; the new topic's messages reuse the old
/// offsets, and must run anyway, once each.
#[test]
fn a_topic_deleted_and_created_again_under_load_is_waited_for_and_its_messages_run() {
    docker::require_docker();
    let broker = Broker::start();
    broker.create_topic("churn", 1);
    broker.create_topic("gantry.dead-letter", 1);
    let dir = tempfile::tempdir().unwrap();
    let wf = write_dir(dir.path(), "workflows", &[("echo.yml", ECHO)]);
    let data = dir.path().join("data");
    let kafka = "group_id = \"churn\"\nmax_queued_runs = 4\n[kafka.options]\n\"topic.metadata.refresh.interval.ms\" = \"500\"\n";
    produce(&broker, "churn", 0..60);
    let mut g = Gantry::start(dir.path(), "a", &data, &wf, &broker, kafka);
    let db = data.join("gantry.db");
    wait_or_explain(
        120,
        "the first messages run",
        || (runs_by_number(&db)?.len() >= 3).then_some(()),
        || tail(&g.log_text()).to_string(),
    );
    broker.delete_topic("churn");
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        g.alive(),
        "the service died when its topic was deleted:\n{}",
        tail(&g.log_text())
    );
    broker.create_topic("churn", 1);
    produce(&broker, "churn", 100..110);
    let runs = wait_or_explain(
        180,
        "the new topic's messages run, and nothing is left running",
        || {
            let r = runs_by_number(&db)?;
            let new = r.keys().filter(|n| **n >= 100).count();
            (new == 10 && unfinished(&db)? == 0).then_some(r)
        },
        || tail(&g.log_text()).to_string(),
    );
    assert!(
        runs.values().all(|n| *n == 1),
        "a message ran twice: {runs:?}"
    );
    let old = runs.keys().filter(|n| **n < 100).count();
    assert!(old < 60, "the deletion came after the whole backlog ran");
    assert!(g.alive(), "{}", tail(&g.log_text()));
    let pid = g.child.as_ref().unwrap().id();
    let left = wait_for(30, "no container left", || {
        let l = docker::labelled(&format!("dev.gantry.pid={pid}"));
        l.is_empty().then_some(l)
    });
    assert!(left.is_empty());
}

/// The broker dies and comes back at the same address with an empty log (a broker that
/// lost its disk): the service says so in its log and metrics, waits, and the messages
/// produced afterwards run though they reuse the offsets of ones already run.
#[test]
fn a_broker_lost_and_back_with_an_empty_log_is_reported_and_its_new_messages_run() {
    docker::require_docker();
    let mut broker = Broker::start();
    broker.create_topic("churn", 1);
    broker.create_topic("gantry.dead-letter", 1);
    let dir = tempfile::tempdir().unwrap();
    let wf = write_dir(dir.path(), "workflows", &[("echo.yml", ECHO)]);
    let data = dir.path().join("data");
    let kafka =
        "group_id = \"lost\"\n[kafka.options]\n\"topic.metadata.refresh.interval.ms\" = \"500\"\n";
    let mut g = Gantry::start(dir.path(), "a", &data, &wf, &broker, kafka);
    let db = data.join("gantry.db");
    produce(&broker, "churn", 0..5);
    wait_or_explain(
        120,
        "the first messages run",
        || (runs_by_number(&db)?.len() == 5).then_some(()),
        || tail(&g.log_text()).to_string(),
    );
    assert_eq!(g.metric("gantry_kafka_broker_up"), 1);
    broker.kill();
    wait_or_explain(
        60,
        "the brokers reported lost",
        || {
            let said = g.log_text().contains("kafka: the brokers do not answer");
            (said && g.metric("gantry_kafka_broker_up") == 0).then_some(())
        },
        || tail(&g.log_text()).to_string(),
    );
    broker.restart();
    broker.create_topic("churn", 1);
    broker.create_topic("gantry.dead-letter", 1);
    produce(&broker, "churn", 100..105);
    let runs = wait_or_explain(
        180,
        "the messages produced after the restart run",
        || {
            let r = runs_by_number(&db)?;
            (r.len() == 10 && unfinished(&db)? == 0).then_some(r)
        },
        || tail(&g.log_text()).to_string(),
    );
    assert!(
        runs.values().all(|n| *n == 1),
        "a message ran twice: {runs:?}"
    );
    wait_or_explain(
        30,
        "the brokers reported back",
        || {
            let said = g.log_text().contains("kafka: the brokers answer again");
            (said && g.metric("gantry_kafka_broker_up") == 1).then_some(())
        },
        || tail(&g.log_text()).to_string(),
    );
    assert!(g.alive(), "{}", tail(&g.log_text()));
}
