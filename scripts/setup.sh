#!/usr/bin/env bash
# Brings a Debian 12 machine to a built adapter: installs the Debian packages and the
# pinned npm test tooling that are missing, then configures and builds (Release).
# Safe to run again: it only does what is not done yet.
#   BUILD_DIR   build folder (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

packages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  libpoco-dev rapidjson-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev libpq-dev
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev postgresql
)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: warning: Node $node_major found; the test tooling (Medplum 4.5.2) wants Node 20" >&2
fi

# npm test tooling, reinstalled only when the lock file changed.
stamp="$root/tests/node_modules/.adapter-lock-sha256"
lock_sum=$(sha256sum "$root/tests/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
  echo "setup: npm ci in tests/" >&2
  (cd "$root/tests" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_sum" >"$stamp"
fi

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j "$(nproc)"
