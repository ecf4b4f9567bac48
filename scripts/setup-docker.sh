#!/usr/bin/env bash
# Installs and starts a Docker engine and builds the images Gantry's examples and tests use,
# on a fresh machine where no registry is reachable:
#   gantry/busybox:latest  - busybox-static in a FROM-scratch image (1 MB, builds in a second)
#   gantry/runner:bookworm - a Debian rootfs from debootstrap (bash, git, curl, python3, nodejs),
#                            the default image for `runs-on: ubuntu-*` (cached as a tarball)
#   gantry-test/redis:7    - Debian's redis-server on the runner image, a real database for the
#                            services tests (its .debs fetched with apt, cached)
# Idempotent: whatever is already there is reused. Users with a registry need none of this.
set -euo pipefail


cache="${GANTRY_SETUP_CACHE:-$HOME/.cache/gantry-setup}"
mkdir -p "$cache"

need_apt=()
command -v dockerd >/dev/null || need_apt+=(docker.io)
[ -x /bin/busybox ] || command -v busybox >/dev/null || need_apt+=(busybox-static)
command -v debootstrap >/dev/null || need_apt+=(debootstrap)
# gVisor, for `[policy] runtime = "runsc"` (and the test that runs a step under it).
command -v runsc >/dev/null || need_apt+=(runsc)
if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "setup-docker: installing ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Register gVisor's runsc with the engine. `--network=host` makes runsc use the network
# namespace Docker gives the container as it is (each container keeps its own namespace);
# its own netstack refuses to start in this VM ("cannot run with network enabled in root
# network namespace"). The engine reloads `runtimes` on SIGHUP, without a restart.
daemon_json=/etc/docker/daemon.json
if command -v runsc >/dev/null && ! grep -q runsc "$daemon_json" 2>/dev/null; then
    if [ -s "$daemon_json" ]; then
        echo "setup-docker: $daemon_json exists without runsc; not touching it (gVisor tests will fail)" >&2
    else
        mkdir -p /etc/docker
        printf '{"runtimes": {"runsc": {"path": "%s", "runtimeArgs": ["--network=host"]}}}\n' \
            "$(command -v runsc)" >"$daemon_json"
        pidof dockerd >/dev/null && kill -HUP "$(pidof dockerd)" && sleep 1
    fi
fi

if ! docker info >/dev/null 2>&1; then
    echo "setup-docker: starting dockerd"
    nohup dockerd >"$cache/dockerd.log" 2>&1 &
    for _ in $(seq 1 120); do
        docker info >/dev/null 2>&1 && break
        sleep 0.5
    done
    docker info >/dev/null 2>&1 || { echo "setup-docker: dockerd did not start; see $cache/dockerd.log" >&2; tail -20 "$cache/dockerd.log" >&2; exit 1; }
fi

if ! docker image inspect gantry/busybox:latest >/dev/null 2>&1; then
    echo "setup-docker: building gantry/busybox:latest"
    ctx="$(mktemp -d)"
    cp "$(command -v busybox)" "$ctx/busybox"
    cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/busybox", "mkdir", "-p", "/tmp", "/usr/bin", "/root"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/sh"]
EOF
    docker build -q -t gantry/busybox:latest "$ctx" >/dev/null
    rm -rf "$ctx"
fi

if ! docker image inspect gantry/runner:bookworm >/dev/null 2>&1; then
    tarball="$cache/runner-bookworm.tar"
    if [ ! -s "$tarball" ]; then
        echo "setup-docker: building the runner rootfs with debootstrap (a few minutes, cached in $cache)"
        root="$(mktemp -d)"
        debootstrap --variant=minbase \
            --include=bash,git,curl,ca-certificates,python3,nodejs,jq,procps \
            bookworm "$root" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 ||
            { tail -30 "$cache/debootstrap.log" >&2; exit 1; }
        rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
        tar -C "$root" -cf "$tarball.tmp" .
        mv "$tarball.tmp" "$tarball"
        rm -rf "$root"
    fi
    echo "setup-docker: importing gantry/runner:bookworm"
    docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'CMD ["/bin/bash"]' "$tarball" gantry/runner:bookworm >/dev/null
fi

if ! docker image inspect gantry-test/redis:7 >/dev/null 2>&1; then
    debs="$cache/redis-debs"
    if ! ls "$debs"/redis-tools_*.deb >/dev/null 2>&1; then
        echo "setup-docker: fetching Debian's redis-server packages"
        mkdir -p "$debs"
        # The runner image lacks these; the rest redis needs is in it.
        pkgs=(redis-server redis-tools liblzf1 libjemalloc2 libatomic1)
        (cd "$debs" && { apt-get download "${pkgs[@]}" 2>/dev/null ||
            { apt-get update -qq && apt-get download "${pkgs[@]}"; }; })
    fi
    ctx="$(mktemp -d)"
    mkdir "$ctx/root"
    for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$ctx/root"; done
    # Only usr/: the image merges /lib into /usr/lib, and a real lib/ from a package
    # (systemd units) would replace that link.
    printf '%s\n' 'FROM gantry/runner:bookworm' 'COPY root/usr/ /usr/' \
        'CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", ""]' \
        >"$ctx/Dockerfile"
    docker build -q -t gantry-test/redis:7 "$ctx" >/dev/null
    rm -rf "$ctx"
fi

# Example actions whose Dockerfiles start FROM the busybox image build on demand in Gantry;
# nothing to do for them here.
echo "setup-docker: ready ($(docker version --format '{{.Server.Version}}'))"
