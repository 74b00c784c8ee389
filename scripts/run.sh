#!/usr/bin/env bash
# The main job: set up and build if needed, check the whole example journey with
# `fhir-adapter check`, then map every document to its FHIR transaction Bundle in
# build/journey-bundles/ and print one line per document; then deliver the journey to two
# local FHIR servers (Medplum's router, as in the tests) with the recommended configuration
# of docs/configuration.md. Exit status is the adapter's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
cd "$root"
adapter="$build/adapter/cli/fhir-adapter"
"$adapter" check examples/journey/*.json >/dev/null
out="$build/journey-bundles"
mkdir -p "$out"
for document in examples/journey/*.json; do
  bundle="$out/$(basename "$document" .json).bundle.json"
  "$adapter" map "$document" >"$bundle"
  node -e '
    const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const count = {};
    for (const e of b.entry) count[e.resource.resourceType] = (count[e.resource.resourceType] || 0) + 1;
    console.log(`mapped ${process.argv[2].padEnd(40)} ${String(b.entry.length).padStart(3)} entries: ` +
      Object.entries(count).map(([t, n]) => `${n} ${t}`).join(", "));' "$bundle" "$(basename "$document")"
done
echo "Bundles in $out (fhir-adapter unmap FILE reads one back)."
node scripts/deliver-journey.mjs "$adapter"
