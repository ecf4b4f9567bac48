#!/usr/bin/env bash
# Sets up Gantry on a fresh machine and runs its main job on the bundled examples:
# validate the example workflows and actions, list them, plan what a push, a Kafka message
# and a webhook call would run (and why), show what a file with mistakes looks like, then
# run the example workflows for real in Docker (installed and started if needed).
# Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building gantry (release)"
cargo build --release --quiet
gantry=target/release/gantry

run() { echo; echo "\$ gantry $*"; "$gantry" "$@"; }

run validate workflows action-examples
run list workflows
run plan -W workflows --event push --payload tests/fixtures/events/push.json
run plan -W workflows --event kafka --topic orders --key eu-42 --header type=created --value '{"id":"o-1","amount":1250}'
run plan -W workflows --event webhook --hook deploy --value '{"environment":"staging"}'
echo
echo "\$ gantry validate tests/fixtures/invalid/showcase.yml   # a file with mistakes: exit 1 expected"
if "$gantry" validate tests/fixtures/invalid/showcase.yml; then
  echo "expected errors in the showcase file" >&2
  exit 1
fi

echo
echo "==> Docker engine and offline images"
scripts/setup-docker.sh
echo "==> Node runtimes for JavaScript actions"
scripts/setup-node.sh >/dev/null
run run -W workflows --event push --payload tests/fixtures/events/push.json
run run -W workflows --event kafka --topic orders --key eu-42 --header type=created --value '{"id":"o-1","amount":1250}'
run run -W workflows --event webhook --hook deploy --value '{"environment":"staging"}'
