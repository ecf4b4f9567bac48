//! Load generator for scripts/bench-kafka.sh.
//!   kafka_load flood BROKERS TOPIC COUNT   produce COUNT numbered JSON messages at full speed
//!   kafka_load one BROKERS TOPIC N         produce one message {"n": N}; print the time just
//!                                          before sending, in ns since the Unix epoch

use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::ClientConfig;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, brokers, topic, n) = match args.as_slice() {
        [_, m, b, t, n] => (m.as_str(), b, t, n.parse::<u64>().expect("a number")),
        _ => {
            eprintln!("usage: kafka_load flood|one BROKERS TOPIC N");
            std::process::exit(2);
        }
    };
    let p: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", if mode == "flood" { "20" } else { "0" })
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .expect("producer");
    if mode == "one" {
        // Connected and with the topic's metadata before the clock starts, as a long-lived
        // producer of a real platform would be.
        p.client()
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .expect("metadata");
        let value = format!("{{\"n\": {n}}}");
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let key = n.to_string();
        p.send(
            FutureRecord::to(topic).key(&key).payload(&value),
            Duration::from_secs(10),
        )
        .await
        .expect("send");
        println!("{}", now.as_nanos());
        return;
    }
    let t0 = Instant::now();
    let mut pending = Vec::with_capacity(n as usize);
    for i in 0..n {
        let value = format!("{{\"n\": {i}, \"order\": {{\"id\": \"o-{i}\", \"amount\": 12.5}}}}");
        let key = i.to_string();
        match p.send_result(FutureRecord::to(topic).key(&key).payload(&value)) {
            Ok(f) => pending.push(f),
            Err((e, _)) => panic!("enqueue: {e}"),
        }
    }
    for f in pending {
        f.await.expect("delivery").expect("delivered");
    }
    let _ = p.flush(Duration::from_secs(10));
    let s = t0.elapsed().as_secs_f64();
    eprintln!("produced {n} messages in {s:.2} s ({:.0}/s)", n as f64 / s);
}
