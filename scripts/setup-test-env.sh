#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine, starts PostgreSQL if it is not running, and
# installs the npm dependencies from the lock file. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real registry clients and peers the tests drive: skopeo, podman, buildah, umoci; CNCF Distribution as the
# benchmark/replication peer; wrk for benchmarks; openssl to make the X.509 certificates of the signing tests;
# groovy (with the default JRE it runs on) for the Jenkins shared library tests; debootstrap for the Debian image
# the scanner is tested on (and tar, gzip and coreutils' chroot to pack and query it), zstd and zip for compressed
# layers and advisory bundles.
packages=(skopeo podman buildah umoci docker-registry wrk openssl groovy default-jre-headless debootstrap zstd zip tar gzip coreutils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The docker CLI's daemonless `manifest` commands are part of the e2e suite. Machines of this kind ship the
# client; otherwise Debian's docker.io provides it (its daemon is never started).
if ! command -v docker >/dev/null 2>&1; then
  echo "setup: installing the docker CLI (docker.io)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi

# PostgreSQL: the data layer is tested against the real server as well as PGlite.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "setup: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

npm ci --no-audit --no-fund
