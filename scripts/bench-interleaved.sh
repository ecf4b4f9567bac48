#!/usr/bin/env bash
# Compares `gantry validate` builds over the flattened corpus in interleaved rounds (see
# scripts/interleave.c): on this VM the machine's speed drifts by 20% or more over minutes,
# so only commands timed side by side compare. Each argument is a gantry binary; with none,
# the current release build is timed alone. Run scripts/bench-validate.sh first (it builds
# and makes target/bench-flat).
# Usage: scripts/bench-interleaved.sh [ROUNDS=200] [BINARY...]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-200}"; shift || true
[ -d target/bench-flat ] || { echo "run scripts/bench-validate.sh first" >&2; exit 2; }
cc -O2 -o target/interleave scripts/interleave.c
bins=("$@"); [ "${#bins[@]}" -gt 0 ] || bins=("$PWD/target/release/gantry")
list="$(mktemp)"; trap 'rm -f "$list"' EXIT
for b in "${bins[@]}"; do echo "$(realpath "$b") validate --summary $PWD/target/bench-flat" >>"$list"; done
target/interleave "$rounds" "$list"
