#!/usr/bin/env bash
# Runs each fuzz target for a while (default 120 s each), seeded with the real corpus.
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP lets the stable toolchain use them.
# Usage: scripts/fuzz.sh [seconds-per-target] [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-120}"; shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
corpus="${GANTRY_CORPUS:-$PWD/../shared/corpus}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v gantry-fuzz))
for t in "${targets[@]}"; do
  seeds="fuzz/corpus/$t"
  mkdir -p "$seeds"
  case "$t" in
    yaml_model|plan) find "$corpus" -name '*.y*ml' -size -64k -exec cp -t "$seeds" {} + 2>/dev/null || true ;;
    expr) grep -rhoE '\$\{\{[^}]*\}\}' "$corpus/workflows" | sed 's/^\${{//; s/}}$//' | awk 'NR <= 2000' | split -l 1 - "$seeds/e" || true ;;
  esac
  echo "==> fuzzing $t for ${secs}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "$seeds" -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 2>&1 | tail -n 5
done
