// Differential test of the FHIRPath engine: every expression of expressions.mjs is evaluated
// by fhirpath.js 5.2.0 (the pinned reference implementation, with its R4 model) and by
// `fhir-adapter fhirpath`, and the results must agree after normalising representation:
// numbers compare numerically, date-times with an offset as instants, quantities as value
// and unit. Both refusing an expression (an exception / exit 1) is agreement.
// Run by CTest with FHIR_ADAPTER pointing at the built binary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import fhirpath from "fhirpath";
import r4 from "fhirpath/fhir-context/r4";
import { cases, standalone } from "./expressions.mjs";
import { knownDifferences } from "./known-differences.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const examples = join(here, "..", "node_modules", "hl7.fhir.r4.examples");
const binary = process.env.FHIR_ADAPTER;
assert.ok(binary, "set FHIR_ADAPTER to the fhir-adapter executable");
const run = promisify(execFile);

const NO_RESOURCE = null;
const keyOf = (resource, expression) => `${resource ?? "(no resource)"} | ${expression}`;
const entryOf = (entry) => (typeof entry === "string" ? { expression: entry, vars: {} } : { vars: {}, ...entry });

// ---------------------------------------------------------------------------------------
// The two implementations

async function reference(resourceJson, { expression, vars }) {
  const env = { ...vars };
  // fhirpath.js knows %resource only when given; the adapter sets it from the input.
  if (resourceJson) env.resource = resourceJson;
  try {
    const result = await fhirpath.evaluate(resourceJson ?? {}, expression, env, r4, {
      async: true, traceFn: () => {},
    });
    return { result };
  } catch (error) {
    return { error: String(error?.message ?? JSON.stringify(error)).split("\n")[0] };
  }
}

async function adapter(resourceFile, { expression, vars }) {
  const args = ["fhirpath"];
  if (resourceFile) args.push("--resource", join(examples, resourceFile));
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}=${JSON.stringify(value)}`);
  args.push("--", expression);
  try {
    const { stdout } = await run(binary, args, { maxBuffer: 64 << 20 });
    return { result: JSON.parse(stdout) };
  } catch (error) {
    if (error.code === 1) {
      const outcome = JSON.parse(error.stdout);
      return { error: outcome.issue.map((i) => i.diagnostics).join("; ") };
    }
    throw new Error(`fhir-adapter ${args.join(" ")}: exit ${error.code} ${error.signal ?? ""}\n${error.stdout}${error.stderr}`);
  }
}

// ---------------------------------------------------------------------------------------
// Normalising and comparing

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const QUANTITY = /^(-?\d+(?:\.\d+)?) (?:'([^']*)'|([a-z]+))$/;

// fhirpath.js writes computed date-times in UTC with "-00:00"; the adapter keeps the
// offset. Both denote an instant at some precision, which is what is compared.
function instant(text) {
  const m = DATETIME.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  let minutes = 0;
  if (zone !== "Z") minutes = (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0),
    Math.round(Number(fraction ?? 0) * 1000)) - minutes * 60000;
  return { instant: ms, precision: fraction ? "ms" : s ? "s" : "min" };
}

function normalise(value) {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === "number") return { number: value };
  if (typeof value === "string") {
    const at = instant(value);
    if (at) return at;
    // fhirpath.js gives System Quantities as "5 'mg'" / "2 years".
    const q = QUANTITY.exec(value);
    if (q) return { quantity: Number(q[1]), unit: q[2] ?? q[3] };
    return value;
  }
  if (typeof value === "object") {
    const keys = Object.keys(value).sort();
    // The adapter gives System Quantities as {"value":…,"unit":…}.
    if (keys.length === 2 && keys[0] === "unit" && keys[1] === "value" && typeof value.value === "number") {
      return { quantity: value.value, unit: value.unit };
    }
    return Object.fromEntries(keys.map((k) => [k, normalise(value[k])]));
  }
  return value;
}

function same(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null) return false;
  if (typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length || !ka.every((k) => kb.includes(k))) return false;
  for (const k of ka) {
    const x = a[k], y = b[k];
    if (typeof x === "number" && typeof y === "number") {
      if (Math.abs(x - y) > 1e-8 * Math.max(1, Math.abs(x))) return false;
    } else if (!same(x, y)) {
      return false;
    }
  }
  return true;
}

// Union, distinct, children() and descendants() do not define an order; compare as bags.
const UNORDERED = /\||\b(union|distinct|intersect|exclude|combine|children|descendants)\(/;

function agree(expression, ours, theirs) {
  if (ours.error !== undefined || theirs.error !== undefined) return ours.error !== undefined && theirs.error !== undefined;
  const a = normalise(ours.result), b = normalise(theirs.result);
  if (same(a, b)) return true;
  if (!UNORDERED.test(expression) || a.length !== b.length) return false;
  const rest = [...b];
  return a.every((x) => {
    const i = rest.findIndex((y) => same(x, y));
    return i >= 0 && rest.splice(i, 1).length === 1;
  });
}

const show = (answer) => (answer.error !== undefined ? `error: ${answer.error}` : JSON.stringify(answer.result));

// ---------------------------------------------------------------------------------------
// Running

// A small pool: one process per expression, a few at a time.
async function inParallel(items, work) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(2, Math.min(8, cpus().length * 2)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  });
  await Promise.all(workers);
  return results;
}

const known = new Map(knownDifferences.map((k) => [keyOf(k.resource, k.expression), k]));
const groups = [...Object.entries(cases), [NO_RESOURCE, standalone]];
const allKeys = new Set(groups.flatMap(([file, list]) => list.map((e) => keyOf(file, entryOf(e).expression))));

test("the expression set is large and varied enough, and the known differences refer to it", () => {
  assert.ok(allKeys.size >= 300, `only ${allKeys.size} expressions`);
  assert.ok(Object.keys(cases).length >= 12, `only ${Object.keys(cases).length} resources`);
  for (const key of known.keys()) assert.ok(allKeys.has(key), `known difference for a case that does not exist: ${key}`);
  assert.ok(known.size <= 15, "the known-differences list is meant to stay small");
});

for (const [file, list] of groups) {
  test(`${file ?? "expressions without a resource"}: fhir-adapter agrees with fhirpath.js`, async (t) => {
    const resourceJson = file ? JSON.parse(readFileSync(join(examples, file), "utf8")) : null;
    const outcomes = await inParallel(list.map(entryOf), async (entry) => {
      const [ours, theirs] = await Promise.all([adapter(file, entry), reference(resourceJson, entry)]);
      return { entry, ours, theirs };
    });
    const problems = [];
    let agreed = 0;
    let asSpecified = 0;
    for (const { entry, ours, theirs } of outcomes) {
      const key = keyOf(file, entry.expression);
      const difference = known.get(key);
      if (difference) {
        const ok = same(normalise(ours.result ?? null), normalise(difference.expected));
        if (!ok) problems.push(`${entry.expression}\n    expected (spec): ${JSON.stringify(difference.expected)}\n    fhir-adapter:    ${show(ours)}`);
        else if (agree(entry.expression, ours, theirs)) problems.push(`${entry.expression}\n    fhirpath.js now agrees: remove it from known-differences.mjs`);
        else ++asSpecified;
        continue;
      }
      if (agree(entry.expression, ours, theirs)) {
        ++agreed;
      } else {
        problems.push(`${entry.expression}${Object.keys(entry.vars).length ? `  vars ${JSON.stringify(entry.vars)}` : ""}\n` +
          `    fhirpath.js:  ${show(theirs)}\n    fhir-adapter: ${show(ours)}`);
      }
    }
    t.diagnostic(`${agreed}/${list.length} agree` + (asSpecified ? `, ${asSpecified} known differences answered as the spec says` : ""));
    assert.equal(problems.length, 0, `${problems.length} disagreements:\n  ${problems.join("\n  ")}`);
  });
}
