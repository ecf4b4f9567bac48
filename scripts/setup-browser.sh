#!/usr/bin/env bash
# Installs the real browser the page tests drive: Debian's headless Chromium, and its
# WebDriver server `chromedriver` (package chromium-driver) for tests/serve_pages.rs.
# Idempotent.
set -euo pipefail
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "setup-browser: installing chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
fi
echo "setup-browser: $(chromium --version 2>/dev/null | head -1); $(chromedriver --version 2>/dev/null | head -1)"
