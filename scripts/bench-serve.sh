#!/usr/bin/env bash
# Load benchmark of `gantry serve`: signed GitHub push deliveries (each a new delivery id);
# every 202 means the event was committed to the run store (fsync) first. Three loads, each
# against a fresh service, report accepted deliveries per second and latency to the 202
# (p50/p99/max):
#   same sha      one sha over and over, a workflow that does not match: the per-sha cache
#                 answers almost every delivery (redeliveries, retries);
#   new sha       a new commit in every delivery (the repository holds 100,000), same workflow:
#                 the workflow files are read from the repository each time;
#   new sha, run  as above, plus a workflow that matches every push: each delivery also
#                 records a run (its one job has `if: false`, so the run is planned, and
#                 recorded as concluded `skipped` in the same write, without a container).
# Usage: scripts/bench-serve.sh [--postgres] [CONNECTIONS] [SECONDS]
# With GANTRY_BASE=/path/to/an/older/gantry each load first runs against that build (one
# with `[api]` tokens), then against this one, side by side.
# With --postgres each load runs against SQLite (one instance), then against a throw-away
# PostgreSQL cluster (Debian's binaries, scripts/setup-postgres.sh; 127.0.0.1, a free port,
# a temporary directory, run as `nobody` when root; synchronous_commit on, fsync on) with
# one instance and with three (three `gantry serve` processes, own data dirs and ports, one
# `[store] url`; the connections spread over them), a fresh database each, in one table.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=""
if [ "${1:-}" = "--postgres" ]; then mode=postgres; shift; fi
conns="${1:-32}"
secs="${2:-10}"
scripts/setup-docker.sh >/dev/null
cargo build --release --quiet --bin gantry --example webhook_load
work="$(mktemp -d)"
pid=""
pids=()
pg_stop=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "$pg_stop" ] && eval "$pg_stop" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# make_repo DIR COMMITS [MATCHING]: a repository whose first commit holds the workflows and
# whose every later commit changes one file; its shas go to DIR.shas.
make_repo() {
    local dir="$1" n="$2" matching="${3:-}"
    mkdir -p "$dir"
    git -C "$dir" init -q -b main
    python3 - "$n" "$matching" <<'PY' | git -C "$dir" fast-import --quiet
import sys
n, matching = int(sys.argv[1]), sys.argv[2] == "yes"
never = "on:\n  push:\n    branches: [release/never]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo never\n"
every = "on: push\njobs:\n  build:\n    if: false\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo every push\n"
out = sys.stdout
def data(text):
    b = text.encode()
    out.write(f"data {len(b)}\n{text}\n")
for i in range(1, n + 1):
    out.write(f"commit refs/heads/main\nmark :{i}\ncommitter b <b@e> {1700000000 + i} +0000\n")
    data(f"c{i}")
    if i > 1:
        out.write(f"from :{i - 1}\n")
    else:
        out.write("M 100644 inline .github/workflows/ci.yml\n")
        data(never)
        if matching:
            out.write("M 100644 inline .github/workflows/every.yml\n")
            data(every)
    out.write("M 100644 inline n.txt\n")
    data(str(i))
PY
    git -C "$dir" rev-list main >"$dir.shas"
}
make_repo "$work/repo" 1
make_repo "$work/repo-new" 100000
make_repo "$work/repo-run" 100000 yes
sha="$(cat "$work/repo.shas")"
python3 - "$sha" tests/fixtures/events/push.json "$work" <<'PY'
import json, sys
sha, src, work = sys.argv[1:]
p = json.load(open(src))
p["after"] = sha
json.dump(p, open(f"{work}/payload.json", "w"))
p["after"] = "@SHA@"
p["head_commit"]["id"] = "@SHA@"
json.dump(p, open(f"{work}/payload-new.json", "w"))
PY
bench() { # bench BINARY API_TOML METRICS_HEADER REPO PAYLOAD [SHAS]
    local bin="$1" port
    port="$(free_port)"
    rm -rf "$work/data"
    cat >"$work/gantry.toml" <<TOML
listen = "127.0.0.1:$port"
data_dir = "$work/data"
[github]
webhook_secret = "bench-secret"
[[repositories]]
name = "octo-org/octo-repo"
path = "$4"
$2
TOML
    GANTRY_BENCH_TOKEN=bench-read-token-0123456789 "$bin" serve --config "$work/gantry.toml" 2>"$work/serve.log" &
    pid=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    echo "  $bin"
    target/release/examples/webhook_load "127.0.0.1:$port" bench-secret "$5" "$conns" "$secs" ${6:+"$6"} | sed 's/^/    /'
    local metrics
    metrics="$(curl -fs ${3:+-H "$3"} "http://127.0.0.1:$port/metrics")"
    echo "    events recorded: $(grep -E '^gantry_events_accepted_total' <<<"$metrics" | awk '{print $2}'), runs recorded: $(grep -E '^gantry_runs\{' <<<"$metrics" | awk '{n += $2} END {print n + 0}') ($(grep -E '^gantry_runs\{' <<<"$metrics" | awk '{printf "%s%s %s", sep, $1, $2; sep=", "}' | sed 's/gantry_runs//g'))"
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}
api="$(printf '[[api.tokens]]\nname = "bench"\nscope = "read"\ntoken_env = "GANTRY_BENCH_TOKEN"\n')"
auth="Authorization: Bearer bench-read-token-0123456789"
if [ "$mode" = postgres ]; then
    # shellcheck source=scripts/bench-serve-pg.sh
    . scripts/bench-serve-pg.sh
    exit 0
fi
echo "payload $(wc -c <"$work/payload.json") bytes, $conns connections, $secs s per load, store: SQLite (WAL, synchronous=FULL)"
bins=()
[ -n "${GANTRY_BASE:-}" ] && bins+=("$GANTRY_BASE")
bins+=("$PWD/target/release/gantry")
echo "== same sha (redeliveries; the workflow does not match)"
for b in "${bins[@]}"; do bench "$b" "$api" "$auth" "$work/repo" "$work/payload.json"; done
echo "== new sha in every push (the workflow does not match)"
for b in "${bins[@]}"; do bench "$b" "$api" "$auth" "$work/repo-new" "$work/payload-new.json" "$work/repo-new.shas"; done
echo "== new sha in every push, and a run recorded for each"
for b in "${bins[@]}"; do bench "$b" "$api" "$auth" "$work/repo-run" "$work/payload-new.json" "$work/repo-run.shas"; done
