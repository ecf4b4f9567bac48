#!/usr/bin/env bash
# Gantry's own overhead per step, against the floors, with whole processes in one run:
#   - a workflow of N `run:` steps vs `docker exec` of the same command N times,
#   - a workflow of N `docker://` steps vs `docker run --rm` of the same image N times,
#   - and `wrkflw run` on the same files where it can run them.
# Per-step cost = (time with N steps - time with 1 step) / (N - 1), so that what a run
# pays once (job container, network, cleanup) is not spread over the steps; the floors are
# measured the same way. Usage: scripts/bench-run.sh [N] [RUNS]
# With GANTRY_BASE=/path/to/an/older/gantry the same workflows also run with that build, in
# the same hyperfine invocation, and the per-step cost of this build is reported as a ratio
# to it (how a change, such as the policy's confinement, moves the cost of a step).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10}"
runs="${2:-10}"
scripts/setup-docker.sh >/dev/null
command -v hyperfine >/dev/null || { apt-get install -y -qq hyperfine >/dev/null; }
cargo build --release --quiet
gantry="$PWD/target/release/gantry"
work="$(mktemp -d)"
trap 'rm -rf "$work"; docker rm -f gantry-bench-floor >/dev/null 2>&1 || true' EXIT

image=gantry/busybox:latest
wf() { # wf NAME COUNT KIND
    local dir="$work/$1-$2/.github/workflows"
    mkdir -p "$dir"
    {
        echo "name: bench"
        echo "on: push"
        echo "jobs:"
        echo "  bench:"
        echo "    runs-on: ubuntu-latest"
        echo "    steps:"
        for _ in $(seq 1 "$2"); do
            if [ "$3" = run ]; then
                echo "      - run: \"true\""
            else
                echo "      - uses: docker://$image"
                echo "        with: { entrypoint: /bin/true }"
            fi
        done
    } >"$dir/bench.yml"
    echo "$work/$1-$2"
}
for kind in run image; do
    wf "$kind" 1 "$kind" >/dev/null
    wf "$kind" "$n" "$kind" >/dev/null
done
payload="$PWD/tests/fixtures/events/push.json"
g() { echo "${2:-$gantry} run -W $work/$1/.github/workflows --workspace $work/$1 -e push --payload $payload -P ubuntu-latest=$image --format json"; }
base_cmds=()
if [ -n "${GANTRY_BASE:-}" ]; then
    base_cmds=(-n "base run:1" "$(g run-1 "$GANTRY_BASE")" -n "base run:$n" "$(g "run-$n" "$GANTRY_BASE")"
        -n "base docker:1" "$(g image-1 "$GANTRY_BASE")" -n "base docker:$n" "$(g "image-$n" "$GANTRY_BASE")")
fi

docker rm -f gantry-bench-floor >/dev/null 2>&1 || true
docker run -d --name gantry-bench-floor "$image" sleep 100000 >/dev/null
execs() { local s=""; for _ in $(seq 1 "$1"); do s="$s docker exec gantry-bench-floor true;"; done; echo "$s"; }
runsrm() { local s=""; for _ in $(seq 1 "$1"); do s="$s docker run --rm ${2:-} $image true;"; done; echo "$s"; }

hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/h.json" \
    -n "gantry run:1" "$(g run-1)" \
    -n "gantry run:$n" "$(g "run-$n")" \
    -n "gantry docker:1" "$(g image-1)" \
    -n "gantry docker:$n" "$(g "image-$n")" "${base_cmds[@]}" >/dev/null
hyperfine --warmup 2 --runs "$runs" --export-json "$work/f.json" \
    -n "docker exec x1" "$(execs 1)" \
    -n "docker exec x$n" "$(execs "$n")" \
    -n "docker run --rm x1" "$(runsrm 1)" \
    -n "docker run --rm x$n" "$(runsrm "$n")" \
    -n "docker run --rm --network none x1" "$(runsrm 1 '--network none')" \
    -n "docker run --rm --network none x$n" "$(runsrm "$n" '--network none')" >/dev/null

wrk_note="wrkflw not installed"
if command -v wrkflw >/dev/null; then
    # wrkflw runs `ubuntu-latest` as the image ubuntu:latest, which no registry serves here:
    # lend it the Debian runner image for the comparison (and take the tag back afterwards).
    if ! docker image inspect ubuntu:latest >/dev/null 2>&1; then
        docker tag gantry/runner:bookworm ubuntu:latest
        trap 'rm -rf "$work"; docker rm -f gantry-bench-floor >/dev/null 2>&1 || true; docker rmi ubuntu:latest >/dev/null 2>&1 || true' EXIT
    fi
    if (cd "$work/run-$n" && timeout 120 wrkflw run .github/workflows/bench.yml >"$work/wrkflw.log" 2>&1); then
        hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/w.json" \
            -n "wrkflw run:1" "wrkflw run $work/run-1/.github/workflows/bench.yml" \
            -n "wrkflw run:$n" "wrkflw run $work/run-$n/.github/workflows/bench.yml" >/dev/null
        wrk_note=""
    else
        wrk_note="wrkflw cannot run the file here: $(grep -m1 -iE 'error|fail' "$work/wrkflw.log" | cut -c1-160)"
    fi
fi

python3 - "$work" "$n" "$wrk_note" <<'PY'
import json, os, sys
work, n, note = sys.argv[1], int(sys.argv[2]), sys.argv[3]
res = {}
for f in ("h.json", "f.json", "w.json"):
    p = os.path.join(work, f)
    if os.path.exists(p):
        for r in json.load(open(p))["results"]:
            res[r["command"]] = r["median"]
def per(a, b):
    return (res[b] - res[a]) / (n - 1) * 1000
print(f"medians over the runs; per-step = (T({n}) - T(1)) / {n-1}")
for k, v in res.items():
    print(f"  {k:22s} {v*1000:9.1f} ms")
run_step = per("gantry run:1", f"gantry run:{n}")
exec_step = per("docker exec x1", f"docker exec x{n}")
img_step = per("gantry docker:1", f"gantry docker:{n}")
rm_step = per("docker run --rm x1", f"docker run --rm x{n}")
print(f"run: step       gantry {run_step:7.1f} ms   docker exec     {exec_step:7.1f} ms   ratio {run_step/exec_step:.2f} (goal <= 1.10)")
print(f"docker:// step  gantry {img_step:7.1f} ms   docker run --rm {rm_step:7.1f} ms   ratio {img_step/rm_step:.2f} (goal <= 1.05)")
none_step = per("docker run --rm --network none x1", f"docker run --rm --network none x{n}")
print(f"                (docker run --rm --network none: {none_step:7.1f} ms; ratio to it {img_step/none_step:.2f})")
if "base run:1" in res:
    b_run = per("base run:1", f"base run:{n}")
    b_img = per("base docker:1", f"base docker:{n}")
    print(f"against the base build: run: step {run_step:7.1f} vs {b_run:7.1f} ms, ratio {run_step/b_run:.3f}; "
          f"docker:// step {img_step:7.1f} vs {b_img:7.1f} ms, ratio {img_step/b_img:.3f} (goal <= 1.05)")
if "wrkflw run:1" in res:
    w = per("wrkflw run:1", f"wrkflw run:{n}")
    print(f"wrkflw run: step {w:7.1f} ms   gantry/wrkflw {run_step/w:.2f}")
elif note:
    print(note)
PY
