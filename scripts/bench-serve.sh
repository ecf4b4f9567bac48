#!/usr/bin/env bash
# Load benchmark of `gantry serve`: signed GitHub push deliveries (each a new delivery id)
# against a workflow whose trigger does not match, so no container starts; every 202 means
# the event was committed to the run store (fsync) first. Reports accepted deliveries per
# second and latency to the 202 (p50/p99/max).
# Usage: scripts/bench-serve.sh [CONNECTIONS] [SECONDS]
# With GANTRY_BASE=/path/to/an/older/gantry the same load first runs against that build
# (one with `[api]` tokens), then against this one.
set -euo pipefail
cd "$(dirname "$0")/.."
conns="${1:-32}"
secs="${2:-10}"
scripts/setup-docker.sh >/dev/null
cargo build --release --quiet --bin gantry --example webhook_load
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

repo="$work/repo"
mkdir -p "$repo/.github/workflows"
cat >"$repo/.github/workflows/ci.yml" <<'YML'
on:
  push:
    branches: [release/never]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo never
YML
git -C "$repo" init -q -b main
git -C "$repo" add .
git -C "$repo" -c user.name=b -c user.email=b@e -c commit.gpgsign=false commit -q -m bench
sha="$(git -C "$repo" rev-parse HEAD)"
python3 - "$sha" tests/fixtures/events/push.json "$work/payload.json" <<'PY'
import json, sys
sha, src, dst = sys.argv[1:]
p = json.load(open(src))
p["after"] = sha
json.dump(p, open(dst, "w"))
PY
bench() { # bench BINARY API_TOML METRICS_HEADER
    local bin="$1" port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    rm -rf "$work/data"
    cat >"$work/gantry.toml" <<TOML
listen = "127.0.0.1:$port"
data_dir = "$work/data"
[github]
webhook_secret = "bench-secret"
[[repositories]]
name = "octo-org/octo-repo"
path = "$repo"
$2
TOML
    GANTRY_BENCH_TOKEN=bench-read-token-0123456789 "$bin" serve --config "$work/gantry.toml" 2>"$work/serve.log" &
    pid=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    echo "== $bin"
    echo "payload $(wc -c <"$work/payload.json") bytes, $conns connections, $secs s, store $work/data/gantry.db (WAL, synchronous=FULL)"
    target/release/examples/webhook_load "127.0.0.1:$port" bench-secret "$work/payload.json" "$conns" "$secs"
    local runs
    runs="$(curl -fs ${3:+-H "$3"} "http://127.0.0.1:$port/metrics" | grep -E '^gantry_events_accepted_total' | awk '{print $2}')"
    echo "events recorded by the service: $runs"
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}
api="$(printf '[[api.tokens]]\nname = "bench"\nscope = "read"\ntoken_env = "GANTRY_BENCH_TOKEN"\n')"
if [ -n "${GANTRY_BASE:-}" ]; then
    bench "$GANTRY_BASE" "$api" "Authorization: Bearer bench-read-token-0123456789"
fi
bench "$PWD/target/release/gantry" "$api" "Authorization: Bearer bench-read-token-0123456789"
