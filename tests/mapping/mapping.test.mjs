// `fhir-adapter map` and `unmap` as a user runs them: every example gives a transaction
// Bundle that both FHIR oracles accept, the same bytes twice, conditional requests and
// urn:uuid references inside the Bundle; invalid input gives exit 1 and an
// OperationOutcome; a changed template file changes the output without a rebuild.
// Run by CTest with FHIR_ADAPTER pointing at the built binary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const binary = process.env.FHIR_ADAPTER;
assert.ok(binary, "set FHIR_ADAPTER to the fhir-adapter executable");

function adapter(args, options = {}) {
  const run = spawnSync(binary, args, {
    cwd: root, encoding: "utf8", maxBuffer: 64 << 20, input: options.input,
    env: { ...process.env, FHIR_ADAPTER_MAPPINGS: options.mappings ?? join(root, "mappings") },
  });
  assert.equal(run.signal, null, `killed by ${run.signal}: ${run.stderr}`);
  return run;
}

const examples = ["journey", "standalone"].flatMap((folder) =>
  readdirSync(join(root, "examples", folder)).filter((f) => f.endsWith(".json"))
    .map((f) => join(root, "examples", folder, f))).sort();

const tmp = mkdtempSync(join(tmpdir(), "mapping-test-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));

const bundles = new Map();  // example path -> Bundle file in tmp
test("every example maps to a transaction Bundle, the same bytes twice", () => {
  assert.ok(examples.length >= 20);
  for (const example of examples) {
    const first = adapter(["map", example]);
    assert.equal(first.status, 0, `${example}: ${first.stdout}\n${first.stderr}`);
    const second = adapter(["map", example]);
    assert.equal(second.stdout, first.stdout, `${example}: output differs between two runs`);
    const bundle = JSON.parse(first.stdout);
    assert.equal(bundle.resourceType, "Bundle");
    assert.equal(bundle.type, "transaction");
    const file = join(tmp, example.split("/").pop().replace(/\.json$/, ".bundle.json"));
    writeFileSync(file, first.stdout);
    bundles.set(example, file);
  }
});

test("every entry is a conditional or idempotent request and references stay inside the Bundle", () => {
  for (const [example, file] of bundles) {
    const bundle = JSON.parse(readFileSync(file, "utf8"));
    const fullUrls = new Set(bundle.entry.map((e) => e.fullUrl));
    assert.equal(fullUrls.size, bundle.entry.length, `${example}: duplicate fullUrl`);
    // A document Bundle inside (the epicrisis) resolves its references among its own entries.
    const nested = bundle.entry.filter((e) => e.resource.resourceType === "Bundle")
      .flatMap((e) => e.resource.entry.map((inner) => inner.fullUrl));
    for (const entry of bundle.entry) {
      assert.match(entry.fullUrl, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const { method, url, ifNoneExist } = entry.request;
      const conditional = (method === "POST" && /^identifier=\S+\|\S+$/.test(ifNoneExist ?? "")) ||
        (method === "PUT" && /^[A-Za-z]+\?identifier=\S+\|\S+$/.test(url)) ||
        (method === "PUT" && url === `${entry.resource.resourceType}/${entry.resource.id}`);
      assert.ok(conditional, `${example}: ${entry.resource.resourceType} ${method} ${url} ${ifNoneExist ?? ""}` +
        " is not conditional: sending the document twice would duplicate it");
      const security = entry.resource.meta?.security ?? [];
      assert.ok(security.some((s) => s.code === "ETH"), `${example}: ${entry.resource.resourceType} without ETH`);
      assert.ok(entry.resource.meta?.profile?.length === 1, `${example}: ${entry.resource.resourceType} without meta.profile`);
    }
    // Every urn:uuid reference points at an entry of the same Bundle.
    const text = readFileSync(file, "utf8");
    for (const [, reference] of text.matchAll(/"reference":\s*"(urn:uuid:[^"]+)"/g)) {
      assert.ok(fullUrls.has(reference) || nested.includes(reference), `${example}: dangling reference ${reference}`);
    }
    assert.ok(bundle.entry.at(-1).resource.resourceType === "Provenance", `${example}: no Provenance last`);
  }
});

test("both FHIR oracles accept every resource (official R4 JSON schema with ajv, @medplum/core)", () => {
  const run = spawnSync(process.execPath, [join(here, "oracles.mjs"), "--no-warnings", ...bundles.values()],
                        { encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /, 0 errors \(ajv 0, medplum 0\)/);
});

test("the adapter's own validator accepts every produced Bundle (base R4 structure)", () => {
  const run = adapter(["validate", ...bundles.values()]);
  assert.equal(run.status, 0, run.stdout + run.stderr);
});

test("unmap(map(x)) gives x back for every example", () => {
  for (const [example, file] of bundles) {
    const back = adapter(["unmap", file]);
    assert.equal(back.status, 0, `${example}: ${back.stdout}\n${back.stderr}`);
    assert.deepEqual(sortKeys(JSON.parse(back.stdout)), sortKeys(JSON.parse(readFileSync(example, "utf8"))),
                     example);
  }
});

test("an invalid document gives exit 1 and an OperationOutcome listing its problems", () => {
  const run = adapter(["map", join(root, "examples", "invalid", "five-errors.json")]);
  assert.equal(run.status, 1);
  const outcome = JSON.parse(run.stdout);
  assert.equal(outcome.resourceType, "OperationOutcome");
  assert.equal(outcome.issue.length, 5);
  const notFhir = adapter(["unmap", "-"], { input: '{"resourceType": "Observation", "status": "final"}' });
  assert.equal(notFhir.status, 1);
  assert.match(JSON.parse(notFhir.stdout).issue[0].diagnostics, /no reverse mapping recognises this Observation/);
  const broken = adapter(["map", "-"], { input: '{"kind": "referral",' });
  assert.equal(broken.status, 1);
  assert.equal(JSON.parse(broken.stdout).resourceType, "OperationOutcome");
});

test("a changed template changes the output without a rebuild; a broken one is named at start-up", () => {
  const mappings = join(tmp, "mappings");
  cpSync(join(root, "mappings"), mappings, { recursive: true });
  cpSync(join(root, "profiles"), join(tmp, "profiles"), { recursive: true });
  const example = join(root, "examples", "journey", "01-referral.json");
  const before = adapter(["map", example], { mappings });
  assert.equal(before.status, 0, before.stdout);
  // A health trust changes the display of the ETH label in the shared fragment.
  const fragment = join(mappings, "templates", "fragments", "security-eth.json");
  writeFileSync(fragment, readFileSync(fragment, "utf8").replace('"display": "substance abuse information sensitivity"',
                                                                  '"display": "rusmiddelinformasjon"'));
  const after = adapter(["map", example], { mappings });
  assert.equal(after.status, 0, after.stdout);
  assert.notEqual(after.stdout, before.stdout);
  assert.ok(after.stdout.includes('"display": "rusmiddelinformasjon"'));
  assert.ok(!after.stdout.includes("substance abuse information sensitivity"));
  // A template error is reported with file, place and expression, and nothing is mapped.
  writeFileSync(fragment, JSON.stringify({ template: [{ system: "{{ %canonical + }}" }] }));
  const broken = adapter(["map", example], { mappings });
  assert.equal(broken.status, 2);
  assert.match(broken.stdout, /templates\/fragments\/security-eth.json \/template\/0\/system: FHIRPath syntax error/);
});

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}
