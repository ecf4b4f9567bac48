#!/usr/bin/env bash
# Makes sure Debian's PostgreSQL server binaries (initdb, pg_ctl, postgres) are installed
# for the PostgreSQL run-store tests, and prints their directory (the newest major version
# when several are). The tests start their own throw-away cluster from there
# (crates/gantry-store/src/testpg.rs): `initdb` refuses to run as root, so when the tests
# run as root the cluster is run as the unprivileged `nobody` user (runuser). Idempotent.
set -euo pipefail
find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | while read -r d; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && echo "$d"
    done | tail -n 1
}
bin="$(find_bin)"
if [ -z "$bin" ]; then
    echo "setup-postgres: installing Debian's postgresql package" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y postgresql >&2
    bin="$(find_bin)"
fi
if [ -z "$bin" ]; then
    echo "setup-postgres: no /usr/lib/postgresql/*/bin/initdb after installing postgresql" >&2
    exit 1
fi
echo "$bin"
