#!/usr/bin/env bash
# Benchmark of whole processes: `gantry validate` over every corpus workflow (668 files, 3.5 MB)
# against wrkflw when it is installed (`cargo install wrkflw`). wrkflw does not search
# subdirectories, so both run on a flattened copy of the corpus. actionlint's native binary
# cannot be installed on this machine (its PyPI wrapper downloads it); its figure on this
# machine kind, ~190 ms, is in ../shared/notes/services.md. Its WASM build is timed by
# scripts/actionlint-compare.sh --time-only (about 200x slower than native).
# Usage: scripts/bench-validate.sh     (GANTRY_BASE=OLD_BINARY to compare builds)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${GANTRY_CORPUS:-$PWD/../shared/corpus}/workflows"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
cargo build --release --quiet
flat=target/bench-flat
rm -rf "$flat" && mkdir -p "$flat"
# `find`, not a `*/*` glob: the glob misses dotfiles such as docker__build-push-action/.e2e-run.yml.
find "$corpus" -mindepth 2 -maxdepth 2 -type f -print0 |
    while IFS= read -r -d '' f; do cp "$f" "$flat/$(basename "$(dirname "$f")")__$(basename "$f")"; done
echo "files: $(ls "$flat" | wc -l), bytes: $(cat "$flat"/* | wc -c), cores: $(nproc)"
cmds=("target/release/gantry validate --summary $flat")
# GANTRY_BASE=/path/to/an/older/gantry times that build in the same run, side by side.
[ -n "${GANTRY_BASE:-}" ] && cmds+=("$GANTRY_BASE validate --summary $flat")
command -v wrkflw >/dev/null && cmds+=("wrkflw validate $flat")
hyperfine -N --warmup 10 --runs 60 -i --export-json target/bench-validate.json "${cmds[@]}"
python3 - <<'PY'
import json
r = json.load(open("target/bench-validate.json"))["results"]
g = r[0]
med = g["median"] * 1000
print(f"gantry validate: median {med:.1f} ms, min {g['min']*1000:.1f} ms")
print(f"actionlint native on this machine kind: ~190 ms -> gantry is {190/med:.1f}x faster (goal: 10x, i.e. <= 19 ms)")
for x in r[1:]:
    print(f"{x['command'].split()[0]}: median {x['median']*1000:.1f} ms -> gantry is {x['median']/g['median']:.1f}x faster")
PY
