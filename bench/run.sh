#!/usr/bin/env bash
# Runs the benchmarks and prints each adapter figure as a ratio to its reference run
# in the same process. Usage: bench/run.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake --build "$build" --target json_bench >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
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
