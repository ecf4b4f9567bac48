#!/usr/bin/env bash
# Installs the real browser the page tests drive: Debian's headless Chromium, and its
# WebDriver server `chromedriver` (package chromium-driver) for tests/serve_pages*.rs, and
# axe-core for the accessibility test.
# Idempotent.
set -euo pipefail
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "setup-browser: installing chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
fi
echo "setup-browser: $(chromium --version 2>/dev/null | head -1); $(chromedriver --version 2>/dev/null | head -1)"

# axe-core, the accessibility checker tests/serve_pages_access.rs injects into the pages
# (npm's package, pinned; unpacked into a cache directory, found there or via GANTRY_AXE_JS).
axe_dir="${GANTRY_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gantry-npm}/axe-core"
if [ ! -f "$axe_dir/axe.min.js" ]; then
    command -v npm >/dev/null || { echo "setup-browser: npm is needed to fetch axe-core (apt-get install npm)" >&2; exit 1; }
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent axe-core@4.14.1 >/dev/null && tar xzf axe-core-*.tgz)
    rm -rf "$axe_dir.part"
    mkdir -p "$(dirname "$axe_dir")"
    mv "$tmp/package" "$axe_dir.part"
    mv "$axe_dir.part" "$axe_dir"
    rm -rf "$tmp"
fi
echo "setup-browser: axe-core $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$axe_dir/package.json" | head -1) at $axe_dir/axe.min.js"
