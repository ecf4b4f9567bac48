#!/bin/sh
# Copies name=value lines from INPUT_PAIRS into GITHUB_OUTPUT, skipping blank lines.
set -eu
printf '%s\n' "${INPUT_PAIRS:-}" | while IFS= read -r line; do
  [ -z "$line" ] && continue
  case "$line" in
    *=*) echo "$line" >> "${GITHUB_OUTPUT:?}"; echo "output ${line%%=*}" ;;
    *) echo "::warning::ignoring '$line': expected name=value" ;;
  esac
done
