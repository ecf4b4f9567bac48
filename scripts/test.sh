#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine of this kind, then runs them all:
# a Docker engine with offline images, the Node runtimes, OpenBao (Vault API), Tansu (Kafka
# protocol), moto (S3), formatting, lints, unit and integration tests (the
# Docker ones against the real engine), and the corpus compatibility report.
# Usage: scripts/test.sh            (from anywhere; CI calls it through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain and disk"
cargo --version
# A clean run never reuses incremental state, which was a third of the target directory.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# A whole run fills about 7 GB (measured: target/ 5.7 GB, the runner image's tarball and Docker's
# copy 1 GB, the Node runtimes 0.35 GB); say so up front rather than fail half-way through a build with "No space left on
# device".
free_gb=$(df -Pk . | awk 'NR == 2 { printf "%d", $4 / 1048576 }')
echo "free disk here: ${free_gb} GB"
if [ "$free_gb" -lt 8 ]; then
  echo "warning: only ${free_gb} GB free; a full run needs about 7 GB (target/ and the Docker images)" >&2
fi
rustup component list --installed 2>/dev/null | grep -qE '^(rustfmt|clippy)' || rustup component add rustfmt clippy

corpus="${GANTRY_CORPUS:-$PWD/../shared/corpus}"
if [ ! -d "$corpus/workflows" ]; then
  echo "error: the compatibility corpus is missing at $corpus (set GANTRY_CORPUS)" >&2
  exit 1
fi
export GANTRY_CORPUS="$corpus"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "no function over 100 lines"
python3 scripts/fn-lengths.py crates src tests

step "docker engine and offline images (for the gantry run tests)"
scripts/setup-docker.sh

step "Node runtimes for JavaScript actions (node20, node24 from npm's official binaries)"
GANTRY_EXTERNALS="$(scripts/setup-node.sh)"
export GANTRY_EXTERNALS

step "moto's S3 server (an S3-compatible bucket for the artifact and cache store's test)"
GANTRY_MOTO="$(scripts/setup-s3.sh)"
export GANTRY_MOTO

step "headless Chromium (the real browser for the page's cross-site test)"
scripts/setup-browser.sh

step "OpenBao server (the Vault API, for the secrets tests)"
GANTRY_BAO="$(scripts/setup-vault.sh)"
export GANTRY_BAO

step "PostgreSQL server binaries (the run store tests start throw-away clusters from them)"
GANTRY_PG_BIN="$(scripts/setup-postgres.sh)"
export GANTRY_PG_BIN

step "Tansu broker (the Kafka protocol, for the Kafka tests)"
GANTRY_TANSU="$(scripts/setup-kafka.sh)"
export GANTRY_TANSU

step "cargo test"
cargo test --workspace --all-targets --no-fail-fast 2>&1 | tee target/test-output.txt
grep -E '^test result:' target/test-output.txt | awk '{p+=$4; f+=$6} END {print "tests: " p " passed, " f " failed"}'

step "corpus report (errors and warnings per rule over ../shared/corpus)"
# The test build's binary: the report needs the findings, not the release build's speed.
cargo run --quiet -- validate --summary "$corpus/workflows" "$corpus/actions" || true
