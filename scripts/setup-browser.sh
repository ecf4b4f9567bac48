#!/usr/bin/env bash
# Installs the real browser the page tests drive: Debian's headless Chromium. Idempotent.
set -euo pipefail
if ! command -v chromium >/dev/null; then
    echo "setup-browser: installing chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
echo "setup-browser: $(chromium --version 2>/dev/null | head -1)"
