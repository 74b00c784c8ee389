// Whole-program tests of the fhir-adapter executable: the example journey, the invalid
// examples with their expected problems, hostile input, and the known answers.
// Run by CTest with FHIR_ADAPTER pointing at the built binary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const binary = process.env.FHIR_ADAPTER;
assert.ok(binary, "set FHIR_ADAPTER to the fhir-adapter executable");

function adapter(args, input) {
  const run = spawnSync(binary, args, {
    cwd: root, input, encoding: "utf8", maxBuffer: 64 << 20,
    env: { ...process.env, FHIR_ADAPTER_MAPPINGS: join(root, "mappings") },
  });
  // Never a signal: every input gets an exit code and an answer.
  assert.equal(run.signal, null, `killed by ${run.signal}: ${run.stderr}`);
  return run;
}

function outcomeOf(run) {
  const outcome = JSON.parse(run.stdout);
  assert.equal(outcome.resourceType, "OperationOutcome");
  return outcome;
}

const journey = readdirSync(join(root, "examples", "journey")).filter((f) => f.endsWith(".json")).sort();
const invalid = readdirSync(join(root, "examples", "invalid"))
  .filter((f) => f.endsWith(".json") && !f.endsWith(".expected.json")).sort();

test("the example journey is complete and every document is valid", () => {
  assert.ok(journey.length >= 12, `only ${journey.length} journey documents`);
  const kinds = new Set(journey.map((f) => JSON.parse(readFileSync(join(root, "examples", "journey", f))).kind));
  for (const kind of ["referral", "pathway-event", "treatment-plan", "crisis-plan", "individual-plan",
                      "epicrisis", "consent-directive"]) {
    assert.ok(kinds.has(kind), `no ${kind} in the journey`);
  }
  for (const file of journey) {
    const run = adapter(["check", join("examples", "journey", file)]);
    assert.equal(run.status, 0, `${file}: ${run.stdout}`);
    assert.ok(outcomeOf(run).issue.every((i) => i.severity !== "error" && i.severity !== "fatal"));
  }
});

test("several files give one JSON line each and a summary", () => {
  const run = adapter(["check", ...journey.map((f) => join("examples", "journey", f))]);
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, journey.length);
  assert.match(run.stderr, new RegExp(`checked ${journey.length} documents: ${journey.length} valid, 0 invalid`));
});

for (const file of invalid) {
  test(`invalid example ${file} is rejected with exactly its expected problems`, () => {
    const expected = JSON.parse(readFileSync(join(root, "examples", "invalid", file.replace(/\.json$/, ".expected.json"))));
    const run = adapter(["check", join("examples", "invalid", file)]);
    assert.equal(run.status, 1, run.stdout);
    const found = outcomeOf(run).issue
      .filter((i) => i.severity === "error" || i.severity === "fatal")
      .map((i) => `${(i.location ?? [""])[0]} ${i.code}`).sort();
    const wanted = expected.problems.map((p) => `${p.location} ${p.type}`).sort();
    assert.deepEqual(found, wanted);
  });
}

test("a document with five distinct errors reports all five with their pointers", () => {
  const run = adapter(["check", join("examples", "invalid", "five-errors.json")]);
  assert.equal(run.status, 1);
  const issues = outcomeOf(run).issue;
  assert.equal(issues.length, 5, JSON.stringify(issues, null, 1));
  for (const issue of issues) {
    assert.match(issue.location[0], /^\//);
    assert.ok(issue.diagnostics.length > 10);
  }
});

test("hostile input: truncated JSON, 100,000 levels, a 100 MB string", () => {
  const dir = mkdtempSync(join(tmpdir(), "cli-test-"));
  try {
    const referral = readFileSync(join(root, "examples", "journey", journey[0]), "utf8");
    const cases = {
      "truncated.json": referral.slice(0, Math.floor(referral.length / 2)),
      "deep.json": "[".repeat(100000) + "]".repeat(100000),
      "deep-object.json": '{"a":'.repeat(100000) + "1" + "}".repeat(100000),
      "huge-string.json": '{"kind":"referral","x":"' + "a".repeat(100 * 1024 * 1024) + '"}',
      "nul.json": '{"kind":"referral"}\u0000',
      "not-utf8.json": Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
      "empty.json": "",
    };
    for (const [name, content] of Object.entries(cases)) {
      writeFileSync(join(dir, name), content);
      const run = adapter(["check", join(dir, name)]);
      assert.ok(run.status === 1 || run.status === 2, `${name}: exit ${run.status}`);
      const outcome = outcomeOf(run);
      assert.ok(outcome.issue.some((i) => i.severity === "error" || i.severity === "fatal"), name);
    }
    // The same through standard input.
    const piped = adapter(["check", "-"], cases["truncated.json"]);
    assert.equal(piped.status, 1);
    assert.match(outcomeOf(piped).issue[0].diagnostics, /invalid JSON at line/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("id-check known answers", () => {
  const cases = [
    ["17858912350", 0, "FNR", "1989-05-17"],   // synthetic (month + 80)
    ["17858912351", 1, "FNR", null],           // wrong second check digit
    ["57858912301", null, "DNR", null],        // D-number form (day + 40), validity by its digits
    ["974760673", 0, "ENH", null],             // Brønnøysundregistrene's own number
    ["974760674", 1, null, null],
    ["12345", 1, null, null],
  ];
  for (const [value, status, type, birthDate] of cases) {
    const run = adapter(["id-check", value]);
    const answer = JSON.parse(run.stdout);
    if (status !== null) assert.equal(run.status, status, `${value}: ${run.stdout}`);
    if (type !== null) assert.equal(answer.type, type, value);
    if (birthDate !== null) assert.equal(answer.birthDate, birthDate, value);
    for (const key of ["type", "valid", "system", "birthDate", "sex"]) assert.ok(key in answer, `${value} lacks ${key}`);
  }
});

test("deadline known answers", () => {
  const easter = JSON.parse(adapter(["deadline", "--from", "2027-03-24", "--working-days", "10"]).stdout);
  assert.equal(easter.due, "2027-04-12");
  assert.deepEqual(easter.publicHolidaysCrossed.map((h) => h.date), ["2027-03-25", "2027-03-26", "2027-03-28", "2027-03-29"]);
  const assessment = JSON.parse(adapter(["deadline", "--from", "2027-03-24", "--activity", "referral-assessment"]).stdout);
  assert.equal(assessment.due, "2027-04-12");
  const basic = JSON.parse(adapter(["deadline", "--from", "2027-04-15", "--activity", "basic-assessment"]).stdout);
  assert.equal(basic.due, "2027-05-06");
  const bad = adapter(["deadline", "--from", "2027-02-29", "--working-days", "1"]);
  assert.equal(bad.status, 1);
  assert.equal(outcomeOf(bad).issue[0].code, "value");
});
