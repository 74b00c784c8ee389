// Shared helpers of the input-schema tests: loading the schemas, an ajv instance set up for the
// adapter's schema dialect, turning ajv errors into the adapter's problem list, and the checks
// ajv does not do (x-refers-to, x-ordered, duplicate local ids).
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { CUSTOM_FORMATS, STANDARD_FORMATS, birthDateOfPersonId, isDate, isDateTime, isPersonId } from "./formats.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SCHEMA_DIR = join(ROOT, "mappings", "input");
export const EXAMPLES_DIR = join(ROOT, "examples");

// kind -> content key
export const KINDS = {
  referral: "referral",
  "pathway-event": "pathwayEvent",
  "treatment-plan": "treatmentPlan",
  "crisis-plan": "crisisPlan",
  "individual-plan": "individualPlan",
  epicrisis: "epicrisis",
  "consent-directive": "consentDirective",
};

export const REFERENCE_TARGETS = ["relatives", "practitioners", "organizations"];

export function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

export function listJson(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
}

export function loadSchemas() {
  const common = readJson(join(SCHEMA_DIR, "common.schema.json"));
  const kinds = {};
  for (const kind of Object.keys(KINDS)) kinds[kind] = readJson(join(SCHEMA_DIR, `${kind}.schema.json`));
  return { common, kinds };
}

// ajv 2020 in strict mode, with the dialect's custom keywords and formats registered.
export function makeAjv(schemas) {
  // strictRequired is off because a "then" names properties its object schema defines one
  // level up (ajv looks only at the schema itself); the journey tests catch a misspelt name.
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
  addFormats(ajv, STANDARD_FORMATS);
  for (const [name, validate] of Object.entries(CUSTOM_FORMATS)) ajv.addFormat(name, { type: "string", validate });
  // Annotation-only here: ajv cannot see the rest of the document, so references and
  // ordering are checked by checkStructure() below, as the adapter does after validation.
  ajv.addKeyword({ keyword: "x-refers-to", schemaType: "string", metaSchema: { enum: REFERENCE_TARGETS } });
  ajv.addKeyword({
    keyword: "x-ordered",
    schemaType: "array",
    metaSchema: { type: "array", items: { type: "string" }, minItems: 2 },
  });
  ajv.addSchema(schemas.common);
  const validators = {};
  for (const [kind, schema] of Object.entries(schemas.kinds)) validators[kind] = ajv.compile(schema);
  return { ajv, validators };
}

function pointerToken(key) {
  return String(key).replaceAll("~", "~0").replaceAll("/", "~1");
}

// ajv keyword -> FHIR issue type, as docs/input-format.md ("Problems") lists it.
const ISSUE_TYPE = {
  required: "required",
  additionalProperties: "structure",
  type: "structure",
  const: "value",
  enum: "value",
  format: "value",
  pattern: "value",
  minimum: "value",
  maximum: "value",
  minLength: "value",
  uniqueItems: "duplicate",
  maxLength: "too-long",
  maxItems: "too-long",
  minItems: "required",
  minProperties: "required",
  maxProperties: "structure",
};

export function ajvProblems(errors) {
  const out = [];
  for (const e of errors ?? []) {
    if (e.keyword === "if") continue;  // "must match then": the failure inside "then" is reported itself
    const type = ISSUE_TYPE[e.keyword];
    if (!type) throw new Error(`no issue type for ajv keyword ${e.keyword} at ${e.instancePath}`);
    let location = e.instancePath;
    if (e.keyword === "required") location += `/${pointerToken(e.params.missingProperty)}`;
    if (e.keyword === "additionalProperties") location += `/${pointerToken(e.params.additionalProperty)}`;
    // The adapter reports a repeat at the later of the two equal items.
    if (e.keyword === "uniqueItems") location += `/${Math.max(e.params.i, e.params.j)}`;
    out.push({ location, type });
  }
  return out;
}

// Resolves "$ref" as the dialect allows it: "#/$defs/x" within the same file, or
// "common.schema.json#/$defs/x".
function resolve(schemas, file, schema) {
  let current = { file, schema };
  for (let guard = 0; current.schema.$ref !== undefined; guard += 1) {
    if (guard > 20) throw new Error("$ref loop");
    const ref = current.schema.$ref;
    const m = /^(common\.schema\.json)?#\/\$defs\/([A-Za-z0-9_]+)$/.exec(ref);
    if (!m) throw new Error(`unsupported $ref ${ref}`);
    const target = m[1] ? "common" : current.file;
    const root = target === "common" ? schemas.common : schemas.kinds[target];
    const next = root.$defs?.[m[2]];
    if (!next) throw new Error(`$ref ${ref} not found`);
    current = { file: target, schema: next };
  }
  return current;
}

// Two date-times compare as instants; a date against a date-time compares by day, the
// date-time's day being the one written in it (its own time zone), as the adapter does.
function compareTemporal(a, b) {
  const cmp = (x, y) => (x < y ? -1 : x > y ? 1 : 0);
  if (a.length === 10 || b.length === 10) return cmp(a.slice(0, 10), b.slice(0, 10));
  return cmp(Date.parse(a), Date.parse(b));
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// The checks after schema validation: every x-refers-to value names an entry of its list
// (not-found), local ids are unique per list (duplicate), and x-ordered members do not
// decrease (invariant, reported at the member that goes backwards).
export function checkStructure(schemas, kind, doc) {
  const problems = [];
  const ids = {};
  for (const list of REFERENCE_TARGETS) {
    ids[list] = new Set();
    const entries = Array.isArray(doc?.[list]) ? doc[list] : [];
    entries.forEach((entry, i) => {
      if (!isObject(entry) || typeof entry.id !== "string") return;
      if (ids[list].has(entry.id)) problems.push({ location: `/${list}/${i}/id`, type: "duplicate" });
      ids[list].add(entry.id);
    });
  }
  const walk = (file, rawSchema, value, pointer) => {
    const { file: f, schema } = resolve(schemas, file, rawSchema);
    const target = schema["x-refers-to"];
    if (target && typeof value === "string" && !ids[target].has(value)) {
      problems.push({ location: pointer, type: "not-found" });
    }
    if (Array.isArray(schema["x-ordered"]) && isObject(value)) {
      let latest = null;
      for (const name of schema["x-ordered"]) {
        const v = value[name];
        // Values that are absent or fail their format are skipped (the format problem is reported).
        if (typeof v !== "string" || !(isDate(v) || isDateTime(v))) continue;
        if (latest !== null && compareTemporal(v, latest) < 0) {
          problems.push({ location: `${pointer}/${pointerToken(name)}`, type: "invariant" });
        } else {
          latest = v;
        }
      }
    }
    if (isObject(value) && schema.properties) {
      for (const [k, v] of Object.entries(value)) {
        if (schema.properties[k]) walk(f, schema.properties[k], v, `${pointer}/${pointerToken(k)}`);
      }
    }
    if (Array.isArray(value) && schema.items) {
      value.forEach((v, i) => walk(f, schema.items, v, `${pointer}/${i}`));
    }
  };
  walk(kind, schemas.kinds[kind], doc, "");
  // A birthDate beside a person number must be the date the number encodes.
  const people = [["/patient", doc?.patient], ...(Array.isArray(doc?.relatives) ? doc.relatives : []).map((r, i) => [`/relatives/${i}`, r])];
  for (const [pointer, person] of people) {
    if (!isObject(person) || typeof person.identifier !== "string" || typeof person.birthDate !== "string") continue;
    if (!isPersonId(person.identifier) || !isDate(person.birthDate)) continue;
    const encoded = birthDateOfPersonId(person.identifier);
    if (encoded !== null && encoded !== person.birthDate) problems.push({ location: `${pointer}/birthDate`, type: "value" });
  }
  return problems;
}

export function problemKey(p) {
  return `${p.type} ${p.location}`;
}

export function uniqueProblems(list) {
  const seen = new Map();
  for (const p of list) seen.set(problemKey(p), p);
  return [...seen.values()].sort((a, b) => problemKey(a).localeCompare(problemKey(b)));
}
