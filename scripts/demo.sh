#!/usr/bin/env bash
# Sets up Gantry on a fresh machine and runs its main job on the bundled examples:
# validate the example workflows and actions, then show what a mistake looks like.
# Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building gantry (release)"
cargo build --release --quiet
gantry=target/release/gantry

echo
echo "==> gantry validate workflows/ action-examples/"
$gantry validate workflows action-examples

echo
echo "==> gantry validate tests/fixtures/invalid/showcase.yml (a file with mistakes; exit 1 expected)"
if $gantry validate tests/fixtures/invalid/showcase.yml; then
  echo "expected errors in the showcase file" >&2
  exit 1
fi
