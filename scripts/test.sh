#!/usr/bin/env bash
# All tests: set up and build if needed, then run every CTest test (unit tests beside the
# code, integration tests under tests/, the Node oracles) on all cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 600
