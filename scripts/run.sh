#!/usr/bin/env bash
# The main job: set up and build if needed, then check the whole example journey with
# `fhir-adapter check` and print a summary. Exit status is the adapter's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
cd "$root"
"$build/adapter/cli/fhir-adapter" check examples/journey/*.json >/dev/null
