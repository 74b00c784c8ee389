// `fhir-adapter validate` over every file of HL7's R4 examples package (no false positives
// beyond the explained list in known-invalid-examples.txt), and mutated copies of examples,
// each problem reported at the right FHIRPath location.
// Run by CTest with FHIR_ADAPTER pointing at the built binary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const examples = join(here, "..", "node_modules", "hl7.fhir.r4.examples");
const binary = process.env.FHIR_ADAPTER;
assert.ok(binary, "set FHIR_ADAPTER to the fhir-adapter executable");

function validate(files) {
  const run = spawnSync(binary, ["validate", ...files], { encoding: "utf8", maxBuffer: 512 << 20 });
  assert.equal(run.signal, null, `killed by ${run.signal}`);
  return run;
}

const known = new Map(readFileSync(join(here, "known-invalid-examples.txt"), "utf8").split("\n")
  .filter((line) => line.trim() && !line.startsWith("#"))
  .map((line) => line.split(" | ").map((part) => part.trim())));

test("every file of the R4 examples package validates, apart from the explained list", () => {
  const files = readdirSync(examples).filter((f) => f.endsWith(".json")).sort();
  assert.equal(files.length, 5307);
  const run = validate(files.map((f) => join(examples, f)));
  assert.notEqual(run.status, 2, run.stderr);
  const failing = new Map();
  for (const line of run.stdout.trim().split("\n")) {
    const { file, outcome } = JSON.parse(line);
    const errors = (outcome.issue ?? []).filter((i) => i.severity === "error" || i.severity === "fatal");
    if (errors.length) failing.set(file.split("/").pop(), errors);
  }
  const unexpected = [...failing].filter(([f]) => !known.has(f))
    .map(([f, errors]) => `${f}: ${errors.map((e) => `${e.expression?.[0]} ${e.diagnostics}`).join("; ")}`);
  assert.deepEqual(unexpected, [], "false positives (or new real errors to explain in the list)");
  const stale = [...known.keys()].filter((f) => !failing.has(f));
  assert.deepEqual(stale, [], "listed as invalid but validate cleanly now");
  console.log(`validated ${files.length} files: ${files.length - failing.size} without errors, ` +
              `${failing.size} listed and explained`);
});

const tmp = mkdtempSync(join(tmpdir(), "validate-test-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));

// Each mutation of a correct example must give an error at exactly this location.
const mutations = [
  ["wrong type", "Patient-example.json", (r) => { r.active = "true"; }, "Patient.active"],
  ["missing required element", "Observation-example.json", (r) => { delete r.status; }, "Observation.status"],
  ["bad date", "Patient-example.json", (r) => { r.birthDate = "1974-02-30"; }, "Patient.birthDate"],
  ["unknown element", "Patient-example.json", (r) => { r.name[1].nickname = "Jim"; }, "Patient.name[1].nickname"],
  ["code outside a required binding", "Patient-example.json", (r) => { r.gender = "mle"; }, "Patient.gender"],
  ["two values for one choice", "Observation-example.json", (r) => { r.valueString = "also"; }, "Observation.valueString"],
  ["array where one value is allowed", "Patient-example.json", (r) => { r.gender = [r.gender]; }, "Patient.gender"],
  ["single value where an array is required", "Patient-example.json", (r) => { r.name = r.name[0]; }, "Patient.name"],
  ["empty element", "Patient-example.json", (r) => { r.contact[0].name = {}; }, "Patient.contact[0].name"],
  ["bad reference", "Observation-example.json", (r) => { r.subject.reference = "Patient example"; }, "Observation.subject.reference"],
  ["bad entry inside a Bundle", "Bundle-bundle-transaction.json", (r) => { r.entry[0].resource.birthDate = "1974-13-01"; }, "Bundle.entry[0].resource.birthDate"],
  ["urn:uuid reference to no entry of the Bundle", "Bundle-bundle-transaction.json",
   (r) => { r.entry[0].resource.managingOrganization = { reference: "urn:uuid:00000000-0000-5000-8000-000000000000" }; },
   "Bundle.entry[0].resource.managingOrganization.reference"],
];

for (const [what, file, mutate, location] of mutations) {
  test(`mutation: ${what} is reported at ${location}`, () => {
    const resource = JSON.parse(readFileSync(join(examples, file), "utf8"));
    const original = validate([join(examples, file)]);
    assert.equal(original.status, 0, `${file} must be valid before the mutation`);
    mutate(resource);
    const path = join(tmp, `${what.replace(/\W+/g, "-")}.json`);
    writeFileSync(path, JSON.stringify(resource));
    const run = validate([path]);
    assert.equal(run.status, 1, run.stdout);
    const outcome = JSON.parse(run.stdout);
    const errors = outcome.issue.filter((i) => i.severity === "error");
    assert.deepEqual(errors.map((i) => i.expression[0]), [location], JSON.stringify(errors, null, 1));
  });
}

// The project's profiles (profiles/): a mapped resource conforms; broken copies are reported
// where the profile constrains them.
const golden = join(here, "..", "mapping", "golden");
const canonical = JSON.parse(readFileSync(join(here, "..", "..", "profiles", "ig.json"), "utf8")).canonical;
function mappedResource(file, type) {
  const bundle = JSON.parse(readFileSync(join(golden, file), "utf8"));
  return structuredClone(bundle.entry.find((e) => e.resource.resourceType === type).resource);
}
function validateWith(resource, name, profile) {
  const path = join(tmp, `${name}.json`);
  writeFileSync(path, JSON.stringify(resource));
  const run = spawnSync(binary, ["validate", ...(profile ? ["--profile", profile] : []), path],
                        { encoding: "utf8" });
  return { status: run.status, errors: JSON.parse(run.stdout).issue.filter((i) => i.severity === "error") };
}

test("a mapped Patient conforms to tsb-patient, named by meta.profile and by --profile", () => {
  const patient = mappedResource("01-referral.bundle.json", "Patient");
  assert.equal(validateWith(patient, "patient-ok").status, 0);
  assert.equal(validateWith(patient, "patient-ok2", `${canonical}/StructureDefinition/tsb-patient`).status, 0);
});

const profileMutations = [
  ["the ETH label removed", "01-referral.bundle.json", "Patient", (r) => { r.meta.security = [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "PSY" }]; }, "Patient.meta.security"],
  ["a pathway activity outside the project's code system", "02-referral-assessment.bundle.json", "Task",
   (r) => { r.code.coding[0].code = "not-an-activity"; }, "Task.code"],
  ["the FNR slice's value removed", "01-referral.bundle.json", "Patient", (r) => { delete r.identifier[0].value; }, "Patient.identifier[0].value"],
];
for (const [what, file, type, mutate, location] of profileMutations) {
  test(`profile mutation: ${what} is reported at ${location}`, () => {
    const resource = mappedResource(file, type);
    mutate(resource);
    const { status, errors } = validateWith(resource, what.replace(/\W+/g, "-"));
    assert.equal(status, 1);
    assert.ok(errors.some((e) => e.expression[0] === location), JSON.stringify(errors, null, 1));
  });
}
