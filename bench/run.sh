#!/usr/bin/env bash
# Runs the benchmarks and prints each adapter figure as a ratio to its reference run
# on the same machine. Usage: bench/run.sh [BUILD_DIR] [json|fhirpath|mapping|validate|delivery] (default: build, all)
#   json      the JSON layer against plain RapidJSON in the same process
#   fhirpath  FHIRPath evaluations per second against fhirpath.js (bench/fhirpath-expressions.json)
#   mapping   input documents mapped per second (one core) against plain RapidJSON reading the
#             input and writing the produced Bundle
#   validate  resources validated per second against @medplum/core and FHIR.js on the same files
#   delivery  messages delivered to two Medplum peers: adapter CPU per message vs the peer's time
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
which=${2:-all}
out=$(mktemp)
js_out=$(mktemp)
trap 'rm -f "$out" "$js_out"' EXIT

if [[ $which == all || $which == json ]]; then
cmake --build "$build" --target json_bench >/dev/null
"$build/bench/json_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json >&2
node - "$out" <<'JS'
const report = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const median = {};
for (const b of report.benchmarks) {
  if (b.aggregate_name === "median") median[b.run_name] = b.bytes_per_second / 1048576;
}
const pairs = [
  ["adapter_parse_serialise/clinical", "rapidjson_parse_write/clinical"],
  ["adapter_parse_serialise/large", "rapidjson_parse_write/large"],
  ["adapter_parse/clinical", "rapidjson_parse/clinical"],
];
console.log(`machine: ${report.context.num_cpus} cpus, ${report.context.mhz_per_cpu} MHz; medians of 5`);
for (const [ours, ref] of pairs) {
  const a = median[ours], b = median[ref];
  console.log(`${ours.padEnd(34)} ${a.toFixed(0).padStart(5)} MB/s  vs ${ref.padEnd(32)} ${b.toFixed(0).padStart(5)} MB/s  ratio ${(a / b).toFixed(2)}x`);
}
JS
fi

if [[ $which == all || $which == fhirpath ]]; then
cmake --build "$build" --target fhirpath_bench >/dev/null
"$build/bench/fhirpath_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json >&2
# fhirpath.js in three separate processes (each with its own JIT warm-up).
for run in 1 2 3; do node bench/fhirpath_bench.mjs 0.5; done >"$js_out"
node - "$out" "$js_out" <<'JS'
const fs = require("fs");
const report = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const runs = fs.readFileSync(process.argv[3], "utf8").trim().split("\n").map((l) => JSON.parse(l));
const ours = {};
for (const b of report.benchmarks) {
  if (b.aggregate_name === "median") ours[b.run_name] = b.items_per_second;
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`machine: ${report.context.num_cpus} cpus, ${report.context.mhz_per_cpu} MHz; ` +
            `evaluations per second, medians of 3; fhirpath.js ${require("./tests/node_modules/fhirpath/package.json").version}`);
let logSum = 0, count = 0;
for (const name of Object.keys(runs[0])) {
  const a = ours[name], b = median(runs.map((r) => r[name]));
  if (a === undefined) throw new Error(`no adapter figure for ${name}`);
  logSum += Math.log(a / b); ++count;
  console.log(`${name.padEnd(40)} ${a.toFixed(0).padStart(9)}/s  vs fhirpath.js ${b.toFixed(0).padStart(8)}/s  ratio ${(a / b).toFixed(1)}x`);
}
console.log(`${"geometric mean of the ratios (ours/js)".padEnd(40)} ${Math.exp(logSum / count).toFixed(1)}x over ${count} expressions`);
JS
fi

if [[ $which == all || $which == mapping ]]; then
cmake --build "$build" --target mapping_bench >/dev/null
"$build/bench/mapping_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json >&2
node - "$out" <<'JS'
const report = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const median = {};
const bytes = {};
for (const b of report.benchmarks) {
  if (b.aggregate_name !== "median") continue;
  median[b.run_name] = b.items_per_second;
  if (b.bundle_bytes) bytes[b.run_name] = b.bundle_bytes;
}
console.log(`machine: ${report.context.num_cpus} cpus, ${report.context.mhz_per_cpu} MHz; documents per second on one core, medians of 3`);
console.log(`${"document".padEnd(36)} ${"Bundle".padStart(8)} ${"map".padStart(8)} ${"parse+check+map".padStart(16)} ${"reference".padStart(10)}  map/reference`);
for (const name of Object.keys(median).filter((n) => n.startsWith("map/"))) {
  const doc = name.slice(4);
  const m = median[name], full = median[`parse_check_map/${doc}`], ref = median[`reference/${doc}`];
  console.log(`${doc.padEnd(36)} ${(bytes[name] / 1024).toFixed(0).padStart(6)}KB ${m.toFixed(0).padStart(8)} ${full.toFixed(0).padStart(16)} ${ref.toFixed(0).padStart(10)}  ${(m / ref).toFixed(2)}x`);
}
JS
fi

if [[ $which == all || $which == validate ]]; then
cmake --build "$build" --target validate_bench >/dev/null
list=$(mktemp)
js=$(node bench/validate_bench.mjs "$list" 3)
"$build/bench/validate_bench" --list "$list" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json >&2
rm -f "$list"
node - "$out" "$js" <<'JS'
const report = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const js = JSON.parse(process.argv[3]);
const median = (name) => report.benchmarks.find((b) => b.aggregate_name === "median" && b.run_name === name).items_per_second;
const ours = median("validate/resources");
const profiled = median("validate/resources_with_profiles");
const faster = Math.max(js.medplum, js.fhirjs);
console.log(`machine: ${report.context.num_cpus} cpus, ${report.context.mhz_per_cpu} MHz; ${js.resources} resources (R4 clinical examples + mapped Bundles), parse included, one thread`);
console.log(`fhir-adapter validate   ${ours.toFixed(0).padStart(7)} resources/s   (with the project's profiles: ${profiled.toFixed(0)}/s)`);
console.log(`@medplum/core 4.5.2     ${js.medplum.toFixed(0).padStart(7)} resources/s   ratio ${(ours / js.medplum).toFixed(1)}x`);
console.log(`fhir (FHIR.js) 4.12.0   ${js.fhirjs.toFixed(0).padStart(7)} resources/s   ratio ${(ours / js.fhirjs).toFixed(1)}x`);
console.log(`against the faster JavaScript validator: ${(ours / faster).toFixed(1)}x (goal 10x)`);
JS
fi

if [[ $which == all || $which == delivery ]]; then
cmake --build "$build" --target fhir-adapter >/dev/null
node bench/delivery.mjs "$build"
fi
