// The reference side of the FHIRPath benchmark: fhirpath.js (pinned in tests/node_modules)
// on the same set as bench/fhirpath_bench (bench/fhirpath-expressions.json). Each expression
// is compiled once with the R4 model and evaluated in a timed loop against its resource.
// Prints one JSON object {"name": evaluations per second, ...}; bench/run.sh takes the
// median of several runs and prints the ratios.
//
//   node bench/fhirpath_bench.mjs [SECONDS_PER_EXPRESSION]   (default 0.5)
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "tests", "package.json"));
const fhirpath = require("fhirpath");
const r4 = require("fhirpath/fhir-context/r4");
const examples = process.env.R4_EXAMPLES_DIR || join(root, "tests", "node_modules", "hl7.fhir.r4.examples");
const seconds = Number(process.argv[2] ?? 0.5);

const set = JSON.parse(readFileSync(join(root, "bench", "fhirpath-expressions.json"), "utf8"));
const resources = new Map();
const results = {};
for (const { name, resource, expression } of set.expressions) {
  if (!resources.has(resource)) resources.set(resource, JSON.parse(readFileSync(join(examples, resource), "utf8")));
  const input = resources.get(resource);
  // Internal types are kept (no conversion to plain JS values), as the adapter's Evaluator
  // returns its own values: both sides measure evaluation only.
  const compiled = fhirpath.compile(expression, r4, { resolveInternalTypes: false });
  const env = { resource: input };
  for (let i = 0; i < 50; ++i) compiled(input, env);  // warm-up for the JIT
  let iterations = 0;
  let batch = 1;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < batch; ++i) compiled(input, env);
    iterations += batch;
    batch = Math.min(batch * 2, 4096);
    elapsed = process.hrtime.bigint() - start;
  }
  results[`fhirpath/${name}`] = iterations / (Number(elapsed) / 1e9);
}
console.log(JSON.stringify(results));
