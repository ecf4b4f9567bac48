#!/usr/bin/env bash
# Kafka benchmark of whole processes against a real Kafka-protocol broker (Tansu):
#  1. throughput: COUNT numbered messages are put on a 4-partition topic first, then
#     `gantry serve` consumes them; a workflow matches each but its job is skipped by `if:`,
#     so no container starts: messages per second from the topic to recorded runs (read from
#     /metrics between the first and the last recorded message);
#  2. latency: ROUNDS single messages to a workflow that runs a step; the time from just
#     before producing to the job container's `start` event (docker events), against the
#     floor of `docker run -d` (invocation to `start` event) of the same image.
# Usage: scripts/bench-kafka.sh [COUNT] [ROUNDS]     (default 100000 10)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-100000}"
rounds="${2:-10}"
tansu="$(scripts/setup-kafka.sh)"
scripts/setup-docker.sh >/dev/null
cargo build --release --quiet --bin gantry --example kafka_load
# GANTRY_BIN=/path/to/another/gantry measures that build instead (e.g. the build before a
# change, run back to back with this one).
gantry="${GANTRY_BIN:-$PWD/target/release/gantry}"
load="$PWD/target/release/examples/kafka_load"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; cp "$work/serve.log" target/bench-kafka-serve.log 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ns() { date +%s%N; }

kport="$(free_port)"
mkdir -p "$work/tansu" "$work/workflows"
(cd "$work/tansu" && exec "$tansu" broker --listener-url "tcp://127.0.0.1:$kport" \
    --advertised-listener-url "tcp://127.0.0.1:$kport" --storage-engine memory://tansu/ >/dev/null 2>&1) &
pids+=($!)
until "$tansu" topic list --broker "tcp://127.0.0.1:$kport" >/dev/null 2>&1; do sleep 0.05; done
for t in bench:4 latency:1 gantry.dead-letter:1; do
    "$tansu" topic create "${t%%:*}" --partitions "${t##*:}" --broker "tcp://127.0.0.1:$kport" >/dev/null
done
cat >"$work/workflows/bench.yml" <<'YML'
on:
  kafka:
    topics: [bench]
jobs:
  skipped:
    if: github.event.value.n < 0
    runs-on: ubuntu-latest
    steps:
      - run: echo never
YML
cat >"$work/workflows/latency.yml" <<'YML'
on:
  kafka:
    topics: [latency]
jobs:
  run:
    runs-on: ubuntu-latest
    steps:
      - run: "true"
YML

echo "== producing $count messages"
"$load" flood "127.0.0.1:$kport" bench "$count"

hport="$(free_port)"
cat >"$work/gantry.toml" <<TOML
listen = "127.0.0.1:$hport"
data_dir = "$work/data"
capacity = 4
[platforms]
ubuntu-latest = "gantry/busybox:latest"
[kafka]
brokers = "127.0.0.1:$kport"
workflows = "$work/workflows"
group_id = "bench"
max_queued_runs = 100000
[kafka.options]
"session.timeout.ms" = "6000"
"fetch.wait.max.ms" = "${FETCH_WAIT_MS:-10}"
[[api.tokens]]
name = "bench"
scope = "read"
token_env = "GANTRY_BENCH_TOKEN"
TOML
GANTRY_BENCH_TOKEN=bench-read-token-0123456789 "$gantry" serve --config "$work/gantry.toml" 2>"$work/serve.log" &
pids+=($!)
metric() { curl -sf -H "Authorization: Bearer bench-read-token-0123456789" "http://127.0.0.1:$hport/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
until curl -sf "http://127.0.0.1:$hport/healthz" >/dev/null 2>&1; do sleep 0.05; done
first=0; t1=0
while :; do
    n="$(metric gantry_kafka_messages_recorded_total || echo 0)"; n="${n:-0}"
    if [ "$first" = 0 ] && [ "$n" -gt 0 ]; then first="$n"; t1="$(now_ns)"; fi
    if [ "$n" -ge "$count" ]; then t2="$(now_ns)"; break; fi
    sleep 0.02
done
python3 - "$first" "$count" "$t1" "$t2" <<'PY'
import sys
first, count, t1, t2 = (int(x) for x in sys.argv[1:])
secs = (t2 - t1) / 1e9
print(f"throughput: {count - first} messages recorded in {secs:.2f} s = {(count - first) / secs:,.0f} messages/s (goal 20,000)")
PY
runs="$(python3 - "$work/data/gantry.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT COUNT(*), SUM(conclusion = 'skipped') FROM runs").fetchone())
PY
)"
echo "runs in the store (count, skipped): $runs"

echo "== latency: produce -> job container start, $rounds rounds"
docker events --filter type=container --filter event=start --format '{{.TimeNano}} {{index .Actor.Attributes "dev.gantry.run"}}' >"$work/events" &
pids+=($!)
sleep 1
: >"$work/floor"
for i in $(seq "$rounds"); do
    t0="$(now_ns)"
    docker run -d --rm --label bench.floor="$i" gantry/busybox:latest true >/dev/null
    echo "$t0" >>"$work/floor"
    sleep 0.5
done
sleep 1
floor_starts="$(grep -c ' $' "$work/events" || true)"
: >"$work/sent"
for i in $(seq "$rounds"); do
    before="$(wc -l <"$work/events")"
    "$load" one "127.0.0.1:$kport" latency "$i" >>"$work/sent"
    for _ in $(seq 200); do [ "$(wc -l <"$work/events")" -gt "$before" ] && break; sleep 0.05; done
    sleep 1.5
done
sleep 1
python3 - "$work/events" "$work/floor" "$work/sent" "$rounds" <<'PY'
import sys, statistics
events = [l.split(" ", 1) for l in open(sys.argv[1]).read().splitlines()]
floor_t0 = [int(x) for x in open(sys.argv[2]).read().split()]
sent = [int(x) for x in open(sys.argv[3]).read().split()]
rounds = int(sys.argv[4])
plain = [int(t) for t, label in events if not label.strip()]
gantry = [int(t) for t, label in events if label.strip()]
def first_after(ts, t0):
    later = [t for t in ts if t >= t0]
    return min(later) if later else None
floor = [(first_after(plain, t0) - t0) / 1e6 for t0 in floor_t0 if first_after(plain, t0)]
lat = [(first_after(gantry, t0) - t0) / 1e6 for t0 in sent if first_after(gantry, t0)]
fm, lm = statistics.median(floor), statistics.median(lat)
print(f"docker run -d -> start: median {fm:.1f} ms (min {min(floor):.1f}) over {len(floor)}")
print(f"produce -> job container start: median {lm:.1f} ms (min {min(lat):.1f}, max {max(lat):.1f}) over {len(lat)}")
print(f"gantry above the docker run floor: {lm - fm:+.1f} ms (goal: within 50 ms)")
PY
python3 - "$work/data/gantry.db" <<'PY'
import sqlite3, sys, json, statistics
c = sqlite3.connect(sys.argv[1])
rows = c.execute("SELECT e.payload, r.created_at, r.started_at, (SELECT MIN(j.started_at) FROM jobs j WHERE j.run_id = r.id) FROM runs r JOIN events e ON e.id = r.event_id WHERE r.workflow_file LIKE '%latency.yml'").fetchall()
rec = [r[1] - json.loads(r[0])["payload"]["timestamp"] for r in rows]
sched = [r[2] - r[1] for r in rows if r[2]]
job = [r[3] - r[2] for r in rows if r[2] and r[3]]
print(f"where it goes: message timestamp -> recorded median {statistics.median(rec)} ms; recorded -> run in progress {statistics.median(sched)} ms; run -> job started {statistics.median(job)} ms")
PY
