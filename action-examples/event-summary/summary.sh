#!/bin/sh
# Prints the event name, the payload size and its first lines; writes the size as an output.
set -eu
title="${1:-Event}"
payload="${GITHUB_EVENT_PATH:?GITHUB_EVENT_PATH is not set}"
bytes=$(wc -c < "$payload" | tr -d ' ')
echo "== $title =="
echo "event: ${GITHUB_EVENT_NAME:-unknown}"
echo "payload: $bytes bytes"
head -c 400 "$payload"; echo
echo "bytes=$bytes" >> "${GITHUB_OUTPUT:-/dev/null}"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  printf '### %s\n%s event, %s bytes\n' "$title" "${GITHUB_EVENT_NAME:-unknown}" "$bytes" >> "$GITHUB_STEP_SUMMARY"
fi
