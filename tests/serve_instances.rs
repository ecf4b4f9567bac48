//! Three `gantry serve` processes on one PostgreSQL run store (issue 21), with real parts:
//! Docker containers for the jobs, signed GitHub pushes and named hooks to every instance,
//! and Kafka messages on a topic of three partitions read by one consumer group of the three.
//! One instance is killed with `kill -9` while its runs are in flight and is not restarted:
//! every accepted event still has exactly one run, every run succeeds, the dead instance's
//! runs are run again (attempt 2) by a survivor, its containers are removed, and each
//! survivor's API shows every run, with live logs of a run another instance executes.

mod docker;
mod kafka;
mod serve;

use kafka::{wait_or_explain, Broker};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;
use serve::instances::{Cluster, Setup};
use serve::{Service, HOOK_TOKEN};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

/// Every job ticks for about four seconds in a real container, so runs are in flight long
/// enough to be killed and to be followed live.
const STEPS: &str = r#"
    runs-on: ubuntu-latest
    steps:
      - run: for i in 1 2 3 4; do echo "tick $i"; sleep 1; done; echo done
"#;

fn workflow(on: &str) -> String {
    format!("on:\n{on}\njobs:\n  work:{STEPS}")
}

fn kafka_table(broker: &Broker) -> impl Fn(&Path) -> String + '_ {
    move |dir: &Path| {
        let wf = kafka::write_dir(
            dir,
            "kafka",
            &[("work.yml", &workflow("  kafka:\n    topics: [work]"))],
        );
        format!(
            "[kafka]\nbrokers = \"{}\"\nworkflows = \"{}\"\ngroup_id = \"cluster\"\ncommit_interval_ms = 200\n[kafka.options]\n\"session.timeout.ms\" = \"6000\"\n\"heartbeat.interval.ms\" = \"1000\"\n",
            broker.bootstrap,
            wf.display()
        )
    }
}

/// Sends message `n` (event id `kafka:ce:test:msg-<n>`), waiting for the acknowledgement.
fn produce(p: &FutureProducer, n: usize) -> String {
    let id = format!("msg-{n}");
    let headers = OwnedHeaders::new()
        .insert(Header {
            key: "ce_id",
            value: Some(id.as_str()),
        })
        .insert(Header {
            key: "ce_source",
            value: Some("test"),
        });
    let key = format!("k{n}");
    let record: FutureRecord<'_, str, [u8]> = FutureRecord::to("work")
        .key(key.as_str())
        .payload(&br#"{"n": 1}"#[..])
        .headers(headers);
    rt().block_on(p.send(record, Duration::from_secs(10)))
        .map_err(|(e, _)| e)
        .expect("the broker acknowledges");
    format!("kafka:ce:test:{id}")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Accepted events: event id → the run ids the 202 named.
type Accepted = BTreeMap<String, Vec<i64>>;

/// The run ids of a 202's body, recorded under their event id (read back through the API).
fn accept(s: &Service, accepted: &mut Accepted, code: u16, body: &str) {
    assert_eq!(code, 202, "{body}\n{}", s.log_text());
    let v: Value = serde_json::from_str(body).unwrap();
    let ids: Vec<i64> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    assert_eq!(ids.len(), 1, "one run per event: {body}");
    let run = s.get_json(&format!("/api/runs/{}", ids[0]));
    let event = run["run"]["event_id"].as_str().unwrap().to_string();
    accepted.insert(event, ids);
}

/// `pushes` signed GitHub pushes and `hooks` named hook calls to instance `s`.
fn send_webhooks(s: &Service, tag: &str, pushes: usize, hooks: usize, accepted: &mut Accepted) {
    for i in 0..pushes {
        let (code, body) = s.push(&format!("{tag}-push-{i}"));
        accept(s, accepted, code, &body);
    }
    let auth = format!("Bearer {HOOK_TOKEN}");
    for i in 0..hooks {
        let (code, body) = s.post(
            "/hooks/deploy",
            &[
                ("Authorization", &auth),
                ("Idempotency-Key", &format!("{tag}-hook-{i}")),
            ],
            br#"{"deploy": true}"#,
        );
        accept(s, accepted, code, &body);
    }
}

/// Runs in progress owned by `node` (its `instance_id`), as instance `i` lists them.
fn in_progress_of(c: &Cluster, i: usize, node: &str) -> Vec<i64> {
    c.runs(i)
        .iter()
        .filter(|r| r["status"] == "in_progress" && r["owner"] == node)
        .filter_map(|r| r["id"].as_i64())
        .collect()
}

fn start_cluster(broker: &Broker) -> Cluster {
    broker.create_topic("work", 3);
    let push_wf = workflow("  push:\n    branches: [main]");
    let hook_wf = workflow("  webhook:\n    names: [deploy]");
    let tables = kafka_table(broker);
    Cluster::start(&Setup {
        instances: 3,
        workflow: &push_wf,
        hook_workflow: &hook_wf,
        lease_secs: 2,
        extra: "max_attempts = 3",
        tables: &tables,
        own_server: false,
    })
}

/// Kills node-2 with -9 once runs of its own are in progress (their containers up); its
/// pid, and the runs it held at its death (still in progress in the store: its leases have
/// not ended yet when this looks).
fn kill_node_2(c: &mut Cluster) -> (u32, Vec<i64>) {
    let victim = c.nodes[2].pid();
    wait_or_explain(
        60,
        "node-2 executing runs",
        || {
            let ids = in_progress_of(c, 0, "node-2");
            let up = !docker::labelled(&format!("dev.gantry.pid={victim}")).is_empty();
            (!ids.is_empty() && up).then_some(())
        },
        || c.logs(),
    );
    c.nodes[2].kill9();
    let orphans = in_progress_of(c, 0, "node-2");
    assert!(!orphans.is_empty(), "node-2 had runs in flight when killed");
    (victim, orphans)
}

#[test]
fn three_instances_one_killed_every_event_runs_once_on_a_survivor() {
    docker::require_docker();
    let broker = Broker::start();
    let mut c = start_cluster(&broker);
    let producer = broker.producer();
    let mut accepted = Accepted::new();
    let mut produced = BTreeSet::new();
    for n in 0..6 {
        produced.insert(produce(&producer, n));
    }
    for (i, s) in c.nodes.iter().enumerate() {
        send_webhooks(s, &format!("a{i}"), 3, 1, &mut accepted);
    }
    let (victim, orphans) = kill_node_2(&mut c);
    for n in 6..9 {
        produced.insert(produce(&producer, n));
    }
    for i in 0..2 {
        send_webhooks(&c.nodes[i], &format!("b{i}"), 2, 1, &mut accepted);
    }
    follow_live_logs(&c);
    let runs = c.wait_all_done(0, accepted.len() + produced.len(), 150);
    check_each_event_once(&c, &accepted, &produced);
    for r in &runs {
        assert_eq!(r["status"], "completed", "{r}\n{}", c.logs());
        assert_eq!(r["conclusion"], "success", "{r}\n{}", c.logs());
        assert_ne!(r["owner"], "node-2", "a survivor ran it last: {r}");
    }
    for id in &orphans {
        let r = c.nodes[1].get_json(&format!("/api/runs/{id}"));
        assert_eq!(r["run"]["attempt"], 2, "taken over once: {r}");
        assert_ne!(r["run"]["owner"], "node-2", "{r}");
    }
    // A survivor's next run removes the dead process's containers (same engine here).
    wait_or_explain(
        20,
        "node-2's containers removed",
        || {
            docker::labelled(&format!("dev.gantry.pid={victim}"))
                .is_empty()
                .then_some(())
        },
        || c.logs(),
    );
    eprintln!(
        "{} webhook events, {} messages, {} runs of node-2 taken over",
        accepted.len(),
        produced.len(),
        orphans.len()
    );
    for s in c.nodes.iter_mut().take(2) {
        assert_eq!(s.terminate(), Some(0), "SIGTERM ends a survivor cleanly");
    }
}

/// Every accepted webhook event and every produced message has exactly one run, the same
/// through both survivors, and there are no other runs.
fn check_each_event_once(c: &Cluster, accepted: &Accepted, produced: &BTreeSet<String>) {
    for i in 0..2 {
        let per_event = c.runs_per_event(i);
        for (event, ids) in accepted {
            assert_eq!(per_event.get(event), Some(ids), "node-{i}: {event}");
        }
        for event in produced {
            let n = per_event.get(event).map_or(0, Vec::len);
            assert_eq!(n, 1, "node-{i}: runs of {event}: {per_event:?}");
        }
        assert_eq!(
            per_event.len(),
            accepted.len() + produced.len(),
            "node-{i}: no other events: {per_event:?}"
        );
        let runs: usize = per_event.values().map(Vec::len).sum();
        assert_eq!(runs, per_event.len(), "node-{i}: one run per event");
    }
}

/// Node-0 shows the logs of a run node-1 executes: as JSON, and live as Server-Sent
/// Events until the run ends.
fn follow_live_logs(c: &Cluster) {
    let id = wait_or_explain(
        60,
        "a run in progress on node-1",
        || in_progress_of(c, 0, "node-1").first().copied(),
        || c.logs(),
    );
    let (code, body) = c.nodes[0].get(&format!("/api/runs/{id}/logs"));
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"logs\""), "{body}");
    let (code, stream) = c.nodes[0].get_sse(&format!("/api/runs/{id}/logs"));
    assert_eq!(code, 200, "{stream}");
    assert!(stream.contains("tick 4"), "live lines: {stream}");
    assert!(
        stream.contains("event: end"),
        "the stream ends with the run: {stream}"
    );
    let run = c.nodes[0].get_json(&format!("/api/runs/{id}"));
    assert_eq!(run["run"]["owner"], "node-1", "{run}");
}
