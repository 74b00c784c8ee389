// `fhir-adapter fhirpath` as a user runs it: HL7's R4 examples, standard input, variables,
// errors and hostile input. Run by CTest with FHIR_ADAPTER pointing at the built binary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const examples = join("tests", "node_modules", "hl7.fhir.r4.examples");
const binary = process.env.FHIR_ADAPTER;
assert.ok(binary, "set FHIR_ADAPTER to the fhir-adapter executable");

function fhirpath(args, input) {
  const run = spawnSync(binary, ["fhirpath", ...args], {
    cwd: root, input, encoding: "utf8", maxBuffer: 64 << 20,
  });
  assert.equal(run.signal, null, `killed by ${run.signal}: ${run.stderr}`);
  return run;
}

function resultOf(run) {
  assert.equal(run.status, 0, `exit ${run.status}: ${run.stdout}${run.stderr}`);
  return JSON.parse(run.stdout);
}

function outcomeOf(run, status) {
  assert.equal(run.status, status, `${run.stdout}${run.stderr}`);
  const outcome = JSON.parse(run.stdout);
  assert.equal(outcome.resourceType, "OperationOutcome");
  assert.ok(outcome.issue.some((i) => i.severity === "error" || i.severity === "fatal"));
  return outcome;
}

test("the acceptance example: the first given name of HL7's example patient", () => {
  const run = fhirpath(["--resource", join(examples, "Patient-example.json"), "Patient.name.given.first()"]);
  assert.equal(run.stdout, '["Peter"]\n');
  assert.equal(run.status, 0);
});

test("known answers over R4 examples", () => {
  const patient = join(examples, "Patient-example.json");
  const observation = join(examples, "Observation-example.json");
  assert.deepEqual(resultOf(fhirpath(["--resource", patient, "name.where(use = 'official').family"])), ["Chalmers"]);
  assert.deepEqual(resultOf(fhirpath(["--resource", patient, "birthDate"])), ["1974-12-25"]);
  assert.deepEqual(resultOf(fhirpath(["--resource", patient, "telecom.count()"])), [4]);
  assert.deepEqual(resultOf(fhirpath(["--resource", patient, "Patient.active and gender = 'male'"])), [true]);
  assert.deepEqual(resultOf(fhirpath(["--resource", observation, "value.ofType(Quantity).value"])), [185]);
  assert.deepEqual(resultOf(fhirpath(["--resource", observation, "code.coding.code"])), ["29463-7", "3141-9", "27113001", "body-weight"]);
  assert.deepEqual(resultOf(fhirpath(["--resource", observation, "(value as Quantity).value > 100"])), [true]);
});

test("the resource can come from standard input, and JSON that is no resource is navigated untyped", () => {
  const patient = readFileSync(join(root, examples, "Patient-example.json"), "utf8");
  assert.deepEqual(resultOf(fhirpath(["--resource", "-", "name.given.count()"], patient)), [5]);
  const document = JSON.stringify({ kind: "referral", patient: { name: "Kari", visits: [1, 2, 3] } });
  assert.deepEqual(resultOf(fhirpath(["--resource", "-", "patient.visits.where($this > 1)"], document)), [2, 3]);
  assert.deepEqual(resultOf(fhirpath(["--resource", "-", "kind = 'referral'"], document)), [true]);
});

test("variables are JSON values; an array is a collection", () => {
  assert.deepEqual(resultOf(fhirpath(["--var", "a=2", "--var", "b=[3,4]", "%a * %b.aggregate($this + $total, 0)"])), [14]);
  assert.deepEqual(resultOf(fhirpath(["--var", 's="Kari"', "%s.upper()"])), ["KARI"]);
  const patient = join(examples, "Patient-example.json");
  assert.deepEqual(resultOf(fhirpath(["--resource", patient, "--var", 'wanted=["Jim","Peter"]',
    "name.given.where($this in %wanted).distinct()"])), ["Peter", "Jim"]);
});

test("syntax, model and evaluation errors answer with an OperationOutcome and exit 1", () => {
  const patient = join(examples, "Patient-example.json");
  outcomeOf(fhirpath(["Patient.name.("]), 1);
  outcomeOf(fhirpath(["1 +"]), 1);
  outcomeOf(fhirpath(["--resource", patient, "Patient.nmae.given"]), 1);
  outcomeOf(fhirpath(["--resource", patient, "name.given.single()"]), 1);
  const misspelt = outcomeOf(fhirpath(["--resource", "-", "id"], '{"resourceType":"Patinet","id":"x"}'), 1);
  assert.match(misspelt.issue[0].diagnostics, /not a FHIR R4 resource type/);
});

test("usage errors exit 2", () => {
  for (const args of [[], ["1", "2"], ["--var", "x", "1"], ["--var", "x={", "1"], ["--resource"], ["--frobnicate", "1", "1"]]) {
    outcomeOf(fhirpath(args), 2);
  }
  outcomeOf(fhirpath(["--resource", "/nonexistent/patient.json", "name"]), 2);
});

test("hostile input is bounded like check: truncated, deep, oversized", () => {
  const dir = mkdtempSync(join(tmpdir(), "fhirpath-cli-"));
  try {
    const cases = {
      "truncated.json": '{"resourceType":"Patient","name":[{"given":["A"',
      "deep.json": '{"a":'.repeat(100000) + "1" + "}".repeat(100000),
      "not-utf8.json": Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
      "empty.json": "",
    };
    for (const [name, content] of Object.entries(cases)) {
      writeFileSync(join(dir, name), content);
      outcomeOf(fhirpath(["--resource", join(dir, name), "name"]), 1);
    }
    const big = JSON.stringify({ resourceType: "Basic", text: "x".repeat(2048) });
    writeFileSync(join(dir, "big.json"), big);
    const tooBig = outcomeOf(fhirpath(["--max-bytes", "1024", "--resource", join(dir, "big.json"), "id"]), 1);
    assert.match(tooBig.issue[0].diagnostics, /1024/);
    outcomeOf(fhirpath(["--max-depth", "1", "--resource", "-", "a"], '{"a":{"b":1}}'), 1);
    // A long expression is refused or evaluated, never a crash.
    const long = fhirpath(["(".repeat(50000) + "1" + ")".repeat(50000)]);
    assert.ok(long.status === 0 || long.status === 1, `exit ${long.status}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
