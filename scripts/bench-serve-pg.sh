# Sourced by `scripts/bench-serve.sh --postgres` (after it built the binaries and made the
# repositories): each load against SQLite with one instance, then against a throw-away
# PostgreSQL cluster with one instance and with three, as one table. Uses bench-serve.sh's
# $work, $conns, $secs, free_port, pids and pg_stop (stopped at exit).

pg_bin="$(scripts/setup-postgres.sh)"
pg_dir="$(mktemp -d)"
pg_run=()
if [ "$(id -u)" -eq 0 ]; then
    # initdb refuses root: the cluster is nobody's, in a directory it owns (as testpg.rs).
    chown nobody:nogroup "$pg_dir"
    pg_run=(runuser -u nobody --)
fi
pg_port="$(free_port)"
pg() { (cd / && "${pg_run[@]}" "$@"); }
pg "$pg_bin/initdb" -A trust -U gantry -E UTF8 -D "$pg_dir/data" >/dev/null
pg_stop="(cd / && ${pg_run[*]} $pg_bin/pg_ctl stop -m fast -D $pg_dir/data); rm -rf $pg_dir"
# Durable: fsync and synchronous_commit stay on (the defaults), said here to be sure.
pg "$pg_bin/pg_ctl" start -w -D "$pg_dir/data" -l "$pg_dir/log" \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=on -c synchronous_commit=on -c max_connections=200" >/dev/null
pg_dbs=0

# serve_n N STORE_TOML REPO PAYLOAD [SHAS]: N instances (own data dirs, ports and ids) with
# the load spread over them; prints webhook_load's result line, then how many events the
# store holds.
serve_n() {
    local n="$1" store="$2" addrs="" i port p
    pids=()
    for i in $(seq 1 "$n"); do
        port="$(free_port)"
        rm -rf "$work/data$i"
        cat >"$work/gantry$i.toml" <<TOML
listen = "127.0.0.1:$port"
data_dir = "$work/data$i"
instance_id = "bench-$i"
[github]
webhook_secret = "bench-secret"
[[repositories]]
name = "octo-org/octo-repo"
path = "$3"
$store
TOML
        target/release/gantry serve --config "$work/gantry$i.toml" 2>"$work/serve$i.log" &
        pids+=($!)
        addrs="$addrs${addrs:+,}127.0.0.1:$port"
        for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    done
    target/release/examples/webhook_load "$addrs" bench-secret "$4" "$conns" "$secs" ${5:+"$5"}
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
    pids=()
}

# row LOAD STORE N OUTPUT: one line of the table from webhook_load's output.
row() {
    local line
    line="$(grep -E '^accepted ' <<<"$4" | head -n 1)"
    sed -E 's/^accepted ([0-9]+) in ([0-9.]+) s = ([0-9]+)\/s .*not accepted ([0-9]+); latency p50 ([0-9.]+) ms, p99 ([0-9.]+) ms, max ([0-9.]+) ms.*/\3 \5 \6 \7 \4/' <<<"$line" |
        { read -r rate p50 p99 max bad; printf '%-14s %-11s %9s %12s %8s %8s %8s %12s\n' "$1" "$2" "$3" "$rate" "$p50" "$p99" "$max" "$bad"; }
}

# pg_load LOAD N REPO PAYLOAD [SHAS]: the load on a fresh database with N instances.
pg_load() {
    local load="$1" n="$2" db out held
    pg_dbs=$((pg_dbs + 1))
    db="bench_$pg_dbs"
    pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U gantry "$db"
    out="$(serve_n "$n" "$(printf '[store]\nurl = "postgres://gantry@127.0.0.1:%s/%s"\n' "$pg_port" "$db")" "${@:3}")"
    held="$(pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U gantry -d "$db" -tAc 'SELECT count(*) FROM events')"
    row "$load" PostgreSQL "$n" "$out"
    echo "    ($(grep -oE '^accepted [0-9]+' <<<"$out" | awk '{print $2}') answered 202, $held events in the store)" >&2
}

echo "payload $(wc -c <"$work/payload.json") bytes, $conns connections, $secs s per load;"
echo "SQLite: WAL, synchronous=FULL; PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'): fsync on, synchronous_commit on; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %-11s %9s %12s %8s %8s %8s %12s\n' load store instances accepted/s "p50 ms" "p99 ms" "max ms" "not accepted"
for load in same new run; do
    case "$load" in
    same) args=("same sha" "$work/repo" "$work/payload.json") ;;
    new) args=("new sha" "$work/repo-new" "$work/payload-new.json" "$work/repo-new.shas") ;;
    run) args=("new sha, run" "$work/repo-run" "$work/payload-new.json" "$work/repo-run.shas") ;;
    esac
    row "${args[0]}" SQLite 1 "$(serve_n 1 "" "${args[@]:1}")"
    pg_load "${args[0]}" 1 "${args[@]:1}"
    pg_load "${args[0]}" 3 "${args[@]:1}"
done
