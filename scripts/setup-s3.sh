#!/usr/bin/env bash
# Installs moto's S3-compatible server (PyPI `moto[server]`, pinned) into a virtualenv under
# ~/.cache/gantry-setup/moto, for the test of the artifact and cache services over an
# S3-compatible bucket. Prints the server program's path. Idempotent.
set -euo pipefail
cache="${GANTRY_SETUP_CACHE:-$HOME/.cache/gantry-setup}"
venv="$cache/moto"
bin="$venv/bin/moto_server"
if [ ! -x "$bin" ]; then
    rm -rf "$venv.part"
    python3 -m venv "$venv.part" >&2
    "$venv.part/bin/pip" install --quiet "moto[server]==5.2.6" >&2
    rm -rf "$venv"
    mv "$venv.part" "$venv"
    # A moved virtualenv keeps its old path in its scripts: install them again in place.
    "$venv/bin/python3" -m pip install --quiet --force-reinstall --no-deps "moto[server]==5.2.6" >&2
fi
"$bin" --help >/dev/null
echo "$bin"
