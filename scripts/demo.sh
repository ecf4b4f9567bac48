#!/usr/bin/env bash
# Sets up Gantry on a fresh machine and runs its main job on the bundled examples:
# validate the example workflows and actions, list them, and plan what a push, a Kafka message
# and a webhook call would run (and why), then show what a file with mistakes looks like.
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
