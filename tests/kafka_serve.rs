//! `gantry serve` with a Kafka source against a real Kafka-protocol broker (Tansu): messages
//! run the workflows whose `on: kafka` filters match, with the message in
//! `GITHUB_EVENT_PATH` and the event context; offsets are committed after recording; poison
//! messages go to the dead-letter topic with their reason while the partition moves on; and
//! the continual prober: two instances in one group, one killed with -9 and restarted, every
//! numbered message producing exactly one run.

mod docker;
mod kafka;

use kafka::{send, tail, wait_for, wait_or_explain, write_dir, Broker, Gantry};
use rdkafka::producer::FutureProducer;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

const ORDERS: &str = r#"
name: orders
on:
  kafka:
    topics: [orders]
    key: 'eu-*'
    headers:
      type: created
    publish: order-results
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: |
          cat "$GITHUB_EVENT_PATH"
          echo "event=$GITHUB_EVENT_NAME key=${{ github.event.key }} type=${{ github.event.headers.type }} order=${{ github.event.value.order }}"
"#;

const AUDIT: &str = r#"
name: audit
on:
  kafka:
    topics: ['audit.*']
jobs:
  audit:
    if: github.event.value.run == true
    runs-on: ubuntu-latest
    steps:
      - run: echo never
"#;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn runs(g: &Gantry) -> Vec<Value> {
    g.get_json("/api/runs?limit=1000")["runs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Five messages: orders with keys eu-1, us-1 (created), eu-2 (deleted), eu-3 (created),
/// and one on audit.log.
fn send_orders(p: &FutureProducer) {
    rt().block_on(async {
        let created = [("type", "created")];
        send(
            p,
            "orders",
            None,
            Some("eu-1"),
            &created,
            br#"{"order": 42}"#,
        )
        .await;
        send(
            p,
            "orders",
            None,
            Some("us-1"),
            &created,
            br#"{"order": 1}"#,
        )
        .await;
        send(
            p,
            "orders",
            None,
            Some("eu-2"),
            &[("type", "deleted")],
            b"{}",
        )
        .await;
        send(p, "audit.log", None, None, &[], br#"{"run": false}"#).await;
        send(
            p,
            "orders",
            None,
            Some("eu-3"),
            &created,
            br#"{"order": 43}"#,
        )
        .await;
    });
}

#[test]
fn messages_run_the_workflows_whose_filters_match() {
    docker::require_docker();
    let broker = Broker::start();
    broker.create_topic("orders", 1);
    broker.create_topic("audit.log", 1);
    broker.create_topic("order-results", 1);
    broker.create_topic("gantry.dead-letter", 1);
    let dir = tempfile::tempdir().unwrap();
    let wf = write_dir(
        dir.path(),
        "workflows",
        &[("orders.yml", ORDERS), ("audit.yml", AUDIT)],
    );
    let g = Gantry::start(
        dir.path(),
        "one",
        &dir.path().join("data"),
        &wf,
        &broker,
        "group_id = \"t1\"\ncommit_interval_ms = 200\n[kafka.options]\n\"session.timeout.ms\" = \"6000\"\n",
    );
    send_orders(&broker.producer());
    // Three runs: two orders (keys eu-1, eu-3), one audit decided skipped at once; the
    // us-1 key and the `deleted` header match nothing.
    let all = wait_for(90, "three runs recorded", || {
        let r = runs(&g);
        (r.len() >= 3).then_some(r)
    });
    std::thread::sleep(Duration::from_secs(1));
    let all_now = runs(&g);
    assert_eq!(all_now.len(), 3, "{all:#?}\n{}", g.log_text());
    let by_workflow = |name: &str| -> Vec<Value> {
        all_now
            .iter()
            .filter(|r| r["workflow_name"] == name)
            .cloned()
            .collect()
    };
    assert_eq!(by_workflow("orders").len(), 2);
    let audit = by_workflow("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["status"], "completed");
    assert_eq!(audit[0]["conclusion"], "skipped");
    for (run, order, key) in [
        (&by_workflow("orders")[1], 42, "eu-1"),
        (&by_workflow("orders")[0], 43, "eu-3"),
    ] {
        let id = run["id"].as_i64().unwrap();
        let done = wait_for(90, "orders run completed", || {
            let v = g.get_json(&format!("/api/runs/{id}"));
            (v["run"]["status"] == "completed").then_some(v)
        });
        assert_eq!(done["run"]["conclusion"], "success", "{done:#}");
        let logs = g.get_json(&format!("/api/runs/{id}/logs")).to_string();
        assert!(
            logs.contains(&format!("event=kafka key={key} type=created order={order}")),
            "{logs}"
        );
        // The payload file: topic, key, headers and the decoded value.
        assert!(logs.contains("\\\"topic\\\": \\\"orders\\\""), "{logs}");
        assert!(logs.contains(&format!("\\\"order\\\": {order}")), "{logs}");
    }
    // Offsets were committed for everything recorded (4 messages on `orders`, 1 on audit).
    wait_for(30, "offsets committed", || {
        (broker.committed("t1", "orders", 1) == vec![4]
            && broker.committed("t1", "audit.log", 1) == vec![1])
        .then_some(())
    });
    assert_eq!(g.metric("gantry_kafka_messages_recorded_total"), 5);
    // `publish: order-results`: each orders run's conclusion, as a CloudEvent.
    let results = broker.read_all("order-results", 1, 2, 30);
    assert_eq!(results.len(), 2);
    let mut keys = Vec::new();
    for r in &results {
        let v: Value = serde_json::from_slice(r.value.as_deref().unwrap()).unwrap();
        assert_eq!(v["conclusion"], "success", "{v}");
        assert_eq!(v["workflow"], "orders");
        assert_eq!(r.header("ce_type"), Some("dev.gantry.run.completed"));
        assert_eq!(r.header("ce_source"), Some("gantry/one"));
        // The event id: where the record is, then its leader epoch and timestamp.
        let key = r.key.clone().unwrap();
        let parts: Vec<&str> = key.split(':').collect();
        assert_eq!(parts.len(), 6, "{key}");
        assert!(parts[5].parse::<i64>().is_ok(), "a timestamp: {key}");
        keys.push(parts[..4].join(":"));
    }
    keys.sort();
    assert_eq!(keys, ["kafka:orders:0:0", "kafka:orders:0:3"]);
}

const SKIPPED: &str = r#"
name: numbered
on:
  kafka:
    topics: [numbers]
jobs:
  count:
    if: github.event.value.n < 0
    runs-on: ubuntu-latest
    steps:
      - run: echo never
"#;

#[test]
fn poison_messages_go_to_the_dead_letter_topic_and_the_partition_moves_on() {
    docker::require_docker();
    let broker = Broker::start();
    broker.create_topic("numbers", 1);
    broker.create_topic("gantry.dead-letter", 1);
    let dir = tempfile::tempdir().unwrap();
    let wf = write_dir(dir.path(), "workflows", &[("numbered.yml", SKIPPED)]);
    let g = Gantry::start(
        dir.path(),
        "one",
        &dir.path().join("data"),
        &wf,
        &broker,
        "group_id = \"t2\"\nrequire_json = true\nmax_message_bytes = 1000\ncommit_interval_ms = 200\n[kafka.options]\n\"session.timeout.ms\" = \"6000\"\n",
    );
    let p = broker.producer();
    rt().block_on(async {
        send(&p, "numbers", None, Some("a"), &[], br#"{"n": 1}"#).await;
        send(
            &p,
            "numbers",
            None,
            Some("bad"),
            &[("origin", "test")],
            b"{not json",
        )
        .await;
        send(&p, "numbers", None, Some("big"), &[], &vec![b'7'; 5000]).await;
        send(&p, "numbers", None, Some("b"), &[], br#"{"n": 2}"#).await;
    });
    let dead = broker.read_all("gantry.dead-letter", 1, 2, 60);
    assert_eq!(dead.len(), 2, "{}", g.log_text());
    let bad = &dead[0];
    assert_eq!(bad.key.as_deref(), Some("bad"));
    assert_eq!(bad.value.as_deref(), Some(&b"{not json"[..]));
    assert_eq!(bad.header("gantry-dlq-reason"), Some("not_json"));
    assert!(
        bad.header("gantry-dlq-detail")
            .is_some_and(|d| d.contains("line 1 column 2")),
        "{:?}",
        bad.headers
    );
    assert_eq!(bad.header("gantry-dlq-topic"), Some("numbers"));
    assert_eq!(bad.header("gantry-dlq-partition"), Some("0"));
    assert_eq!(bad.header("gantry-dlq-offset"), Some("1"));
    assert_eq!(bad.header("origin"), Some("test"), "original headers kept");
    let big = &dead[1];
    assert_eq!(big.header("gantry-dlq-reason"), Some("too_large"));
    assert_eq!(big.header("gantry-dlq-offset"), Some("2"));
    assert_eq!(big.value.as_ref().map(Vec::len), Some(5000));
    // The messages around them were recorded (their runs skipped by `if:`), and the offset
    // moved past all four.
    let r = wait_for(30, "two runs", || {
        let r = runs(&g);
        (r.len() == 2).then_some(r)
    });
    assert!(r.iter().all(|r| r["conclusion"] == "skipped"), "{r:#?}");
    wait_for(30, "offset committed past the poison", || {
        (broker.committed("t2", "numbers", 1) == vec![4]).then_some(())
    });
    assert_eq!(g.metric("gantry_kafka_messages_dead_lettered_total"), 2);
}

#[test]
fn continual_prober_two_instances_kill_9_every_message_runs_exactly_once() {
    docker::require_docker();
    const N: usize = 1200;
    let broker = Broker::start();
    broker.create_topic("numbers", 4);
    broker.create_topic("gantry.dead-letter", 1);
    let dir = tempfile::tempdir().unwrap();
    let wf = write_dir(dir.path(), "workflows", &[("numbered.yml", SKIPPED)]);
    // Both instances share the run store (the documented requirement for a group).
    let data = dir.path().join("data");
    let kafka = "group_id = \"prober\"\ncommit_interval_ms = 500\n[kafka.options]\n\"session.timeout.ms\" = \"6000\"\n\"heartbeat.interval.ms\" = \"1000\"\n";
    let mut a = Gantry::start(dir.path(), "a", &data, &wf, &broker, kafka);
    let b = Gantry::start(dir.path(), "b", &data, &wf, &broker, kafka);
    let p = broker.producer();
    let rt = rt();
    let produce = |from: usize, to: usize| {
        rt.block_on(async {
            for n in from..to {
                let value = format!("{{\"n\": {n}}}");
                send(
                    &p,
                    "numbers",
                    None,
                    Some(&n.to_string()),
                    &[],
                    value.as_bytes(),
                )
                .await;
                if n % 50 == 0 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        })
    };
    produce(0, N / 3);
    // Both instances are consuming before one dies.
    wait_for(60, "both instances consumed", || {
        (a.metric("gantry_kafka_messages_recorded_total") > 0
            && b.metric("gantry_kafka_messages_recorded_total") > 0)
            .then_some(())
    });
    produce(N / 3, N / 2);
    a.kill9();
    produce(N / 2, 2 * N / 3);
    a.spawn();
    produce(2 * N / 3, N);
    // Every message becomes exactly one run; count them in the shared store.
    let db = data.join("gantry.db");
    let explain = || {
        format!(
            "instance a:\n{}\ninstance b:\n{}",
            tail(&a.log_text()),
            tail(&b.log_text())
        )
    };
    let per_number = wait_or_explain(
        120,
        "a run for every message",
        || {
            let c = rusqlite::Connection::open(&db).ok()?;
            let mut s = c
                .prepare("SELECT e.payload FROM runs r JOIN events e ON e.id = r.event_id")
                .ok()?;
            let payloads: Vec<String> = s
                .query_map([], |r| r.get(0))
                .ok()?
                .collect::<Result<_, _>>()
                .ok()?;
            let mut count: BTreeMap<i64, usize> = BTreeMap::new();
            for p in payloads {
                let v: Value = serde_json::from_str(&p).ok()?;
                *count
                    .entry(v["payload"]["value"]["n"].as_i64()?)
                    .or_default() += 1;
            }
            (count.len() >= N).then_some(count)
        },
        explain,
    );
    std::thread::sleep(Duration::from_secs(3));
    let missing: Vec<usize> = (0..N)
        .filter(|n| !per_number.contains_key(&(*n as i64)))
        .collect();
    let duplicates: usize = per_number.values().map(|c| c - 1).sum();
    eprintln!(
        "prober: {N} messages, {} numbers with runs, {} missing, {duplicates} duplicates",
        per_number.len(),
        missing.len()
    );
    assert!(missing.is_empty(), "lost: {missing:?}");
    assert_eq!(duplicates, 0, "{per_number:?}");
    // Redelivered messages (consumed again after the kill) were recognised, not re-run.
    let seen =
        a.metric("gantry_events_duplicate_total") + b.metric("gantry_events_duplicate_total");
    eprintln!("prober: {seen} redeliveries recognised by event id since the restart");
    drop(b);
}

const DEPLOY: &str = r#"
name: deploy
on:
  webhook:
    names: [deploy]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: echo "deploying via $GITHUB_EVENT_NAME"
"#;

#[test]
fn an_ingress_instance_forwards_webhook_events_for_the_group_to_run() {
    docker::require_docker();
    let broker = Broker::start();
    broker.create_topic("gantry.events", 2);
    broker.create_topic("gantry.dead-letter", 1);
    let dir = tempfile::tempdir().unwrap();
    let wf = write_dir(dir.path(), "workflows", &[]);
    let hooks = write_dir(dir.path(), "hooks", &[("deploy.yml", DEPLOY)]);
    let kafka = |forward: bool| {
        format!(
            "group_id = \"fw\"\nconsume = {}\nevents_topic = \"gantry.events\"\ncommit_interval_ms = 200\n[kafka.options]\n\"session.timeout.ms\" = \"6000\"\n[ingress]\nforward_to_kafka = {forward}\n[hooks.deploy]\ntoken = \"tok\"\nworkflows = \"{}\"\n",
            !forward,
            hooks.display()
        )
    };
    let ingress = Gantry::start(
        dir.path(),
        "ingress",
        &dir.path().join("ingress-data"),
        &wf,
        &broker,
        &kafka(true),
    );
    let worker = Gantry::start(
        dir.path(),
        "worker",
        &dir.path().join("worker-data"),
        &wf,
        &broker,
        &kafka(false),
    );
    let post = |key: &str| -> Value {
        let o = std::process::Command::new("curl")
            .args([
                "-s",
                "-X",
                "POST",
                &format!("{}/hooks/deploy", ingress.base),
            ])
            .args([
                "-H",
                "Authorization: Bearer tok",
                "-H",
                "Content-Type: application/json",
            ])
            .args([
                "-H",
                &format!("Idempotency-Key: {key}"),
                "--data",
                "{\"v\": 1}",
            ])
            .output()
            .unwrap();
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let first = post("release-1");
    assert_eq!(first["event_id"], "hook:deploy:release-1", "{first}");
    assert_eq!(first["forwarded"]["topic"], "gantry.events", "{first}");
    // A redelivery is forwarded again; the worker recognises the event id.
    let again = post("release-1");
    assert_eq!(again["event_id"], "hook:deploy:release-1");
    let run = wait_or_explain(
        90,
        "the worker ran the forwarded event",
        || {
            let r = runs(&worker);
            (r.first()?["status"] == "completed").then(|| r[0].clone())
        },
        || {
            format!(
                "worker log:\n{}\ningress log:\n{}",
                tail(&worker.log_text()),
                tail(&ingress.log_text())
            )
        },
    );
    assert_eq!(
        run["conclusion"],
        "success",
        "{run:#}\n{}",
        worker.log_text()
    );
    let logs = worker
        .get_json(&format!("/api/runs/{}/logs", run["id"]))
        .to_string();
    assert!(logs.contains("deploying via webhook"), "{logs}");
    wait_for(30, "the redelivery recognised", || {
        (worker.metric("gantry_events_duplicate_total") == 1).then_some(())
    });
    assert_eq!(runs(&worker).len(), 1, "one run for two deliveries");
    assert!(
        runs(&ingress).is_empty(),
        "the ingress instance runs nothing"
    );
}
