// Checks the adapter's input schemas (mappings/input/) and examples (examples/) with ajv:
//   node --test tests/input-schemas/        (from the repository root)
//
// 1. Every schema keeps to the dialect the C++ validator implements (docs/input-format.md,
//    "Schema dialect"), and compiles with ajv 2020 in strict mode.
// 2. Every document of examples/journey/ and examples/standalone/ is valid: schema, references,
//    ordering, and the cross-field rules the adapter adds (birth date = person number).
// 3. Every document of examples/invalid/ is rejected with exactly the problems listed in its
//    .expected.json. ajv reports what a schema can see; references (x-refers-to), ordering
//    (x-ordered) and duplicate local ids are NOT checked by ajv (it sees one value at a time),
//    so those expected problems are checked by checkStructure() in support.mjs instead.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DOCS_PATH, generatedSection, render } from "./field-tables.mjs";
import {
  ALL_FORMATS,
  birthDateOfPersonId,
  isDate,
  isDateTime,
  isOrgNumber,
  isPersonId,
} from "./formats.mjs";
import {
  EXAMPLES_DIR,
  KINDS,
  REFERENCE_TARGETS,
  ajvProblems,
  checkStructure,
  listJson,
  loadSchemas,
  makeAjv,
  problemKey,
  readJson,
  uniqueProblems,
} from "./support.mjs";

const schemas = loadSchemas();
const { validators } = makeAjv(schemas);

const ACTIVITIES = [
  "referral-assessment",
  "acute-entry-decision",
  "referral-forwarded",
  "first-conversation",
  "basic-assessment",
  "extended-assessment",
  "follow-up-decision",
  "pathway-ended-no-basis",
  "detox-discharge",
  "post-detox-appointment",
  "treatment-plan-established",
  "individual-plan-need-notified",
  "inpatient-admission",
  "cooperation-meeting",
  "treatment-interrupted",
  "treatment-resumed",
  "evaluation",
  "discharge-coordination",
  "closing-conversation",
  "follow-up-offer",
  "pathway-ended",
];

const ISSUE_TYPES = new Set(["structure", "required", "value", "invariant", "too-long", "not-found", "duplicate"]);

// ---------------------------------------------------------------------------------------------
// 1. The schema dialect
// ---------------------------------------------------------------------------------------------

const ALLOWED_KEYWORDS = new Set([
  "$schema", "$id", "title", "description", "$comment", "examples", "$defs", "$ref", "type",
  "properties", "required", "additionalProperties", "minProperties", "maxProperties", "items",
  "minItems", "maxItems", "uniqueItems", "enum", "const", "minLength", "maxLength", "pattern",
  "format", "minimum", "maximum", "x-refers-to", "x-ordered", "allOf", "if", "then", "not",
]);
const TYPES = new Set(["object", "array", "string", "integer", "number", "boolean", "null"]);
const REF = /^(common\.schema\.json)?#\/\$defs\/([A-Za-z0-9_]+)$/;

// Returns the dialect violations of one schema file, as "path: message" strings.
function dialectProblems(file, root) {
  const problems = [];
  const bad = (path, msg) => problems.push(`${file}${path}: ${msg}`);
  // `condition`: under "if", a schema tests a value rather than defines one, so it need not
  // be closed, described or bounded; "not" may appear only there.
  const visit = (node, path, isRoot, condition = false) => {
    if (node === null || typeof node !== "object" || Array.isArray(node)) {
      bad(path, "a schema must be an object (no boolean schemas)");
      return;
    }
    for (const k of Object.keys(node)) if (!ALLOWED_KEYWORDS.has(k)) bad(path, `keyword ${k} is not in the dialect`);
    if (!isRoot && ("$schema" in node || "$id" in node || "$defs" in node)) bad(path, "$schema/$id/$defs only at the root");
    const types = node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];
    for (const t of types) if (!TYPES.has(t)) bad(path, `type ${t}`);
    if (node.$ref !== undefined) {
      const m = REF.exec(node.$ref);
      if (!m) bad(path, `$ref ${node.$ref} is not "#/$defs/x" or "common.schema.json#/$defs/x"`);
      else {
        const target = m[1] || file === "common.schema.json" ? schemas.common : root;
        if (!target.$defs?.[m[2]]) bad(path, `$ref ${node.$ref} does not resolve`);
      }
    }
    if ("additionalProperties" in node && node.additionalProperties !== false) bad(path, "additionalProperties may only be false");
    if (node.properties) {
      if (!condition && !types.includes("object")) bad(path, "properties without type object");
      if (!condition && node.additionalProperties !== false) bad(path, "an object with properties must say additionalProperties: false");
      if (!condition) for (const r of node.required ?? []) if (!(r in node.properties)) bad(path, `required ${r} is not a property`);
      for (const [name, sub] of Object.entries(node.properties)) {
        if (!condition && (typeof sub?.description !== "string" || sub.description.length < 3)) bad(`${path}/properties/${name}`, "no description");
        visit(sub, `${path}/properties/${name}`, false, condition);
      }
    }
    if (node.allOf !== undefined) {
      if (!Array.isArray(node.allOf) || node.allOf.length === 0) bad(path, "allOf must list schemas");
      else node.allOf.forEach((sub, i) => visit(sub, `${path}/allOf/${i}`, false, condition));
    }
    if (("if" in node) !== ("then" in node)) bad(path, "if and then go together");
    if (node.if !== undefined) visit(node.if, `${path}/if`, false, true);
    if (node.then !== undefined) visit(node.then, `${path}/then`, false, condition);
    if (node.not !== undefined) {
      if (!condition) bad(path, "not is allowed only inside if");
      visit(node.not, `${path}/not`, false, true);
    }
    if (("minProperties" in node || "maxProperties" in node) && !types.includes("object")) bad(path, "min/maxProperties without type object");
    if (!condition && types.includes("string") && node.enum === undefined && node.const === undefined && typeof node.maxLength !== "number") {
      bad(path, "unbounded string: maxLength missing");
    }
    if (types.includes("array")) {
      if (typeof node.maxItems !== "number") bad(path, "unbounded array: maxItems missing");
      if (!node.items) bad(path, "array without items");
    }
    if (node.items) visit(node.items, `${path}/items`, false);
    if (node.pattern !== undefined) {
      if (!node.pattern.startsWith("^") || !node.pattern.endsWith("$")) bad(path, "pattern not anchored ^…$");
      try {
        new RegExp(node.pattern, "u");
      } catch (e) {
        bad(path, `pattern does not compile: ${e.message}`);
      }
    }
    if (node.format !== undefined && !ALL_FORMATS.includes(node.format)) bad(path, `format ${node.format}`);
    if (node.enum !== undefined) {
      if (!Array.isArray(node.enum) || node.enum.length === 0 || node.enum.some((v) => typeof v !== "string")) bad(path, "enum must list strings");
      else if (new Set(node.enum).size !== node.enum.length) bad(path, "enum has duplicates");
    }
    if (node["x-refers-to"] !== undefined && !REFERENCE_TARGETS.includes(node["x-refers-to"])) bad(path, "x-refers-to target");
    if (node["x-ordered"] !== undefined) {
      for (const name of node["x-ordered"]) if (!node.properties?.[name]) bad(path, `x-ordered member ${name} is not a property`);
    }
    if (node.examples !== undefined && !Array.isArray(node.examples)) bad(path, "examples must be an array");
    if (node.$defs) {
      for (const [name, sub] of Object.entries(node.$defs)) {
        if (typeof sub?.description !== "string") bad(`${path}/$defs/${name}`, "no description");
        visit(sub, `${path}/$defs/${name}`, false);
      }
    }
  };
  visit(root, "", true);
  return problems;
}

describe("schemas", () => {
  test("common.schema.json keeps to the dialect", () => {
    assert.deepEqual(dialectProblems("common.schema.json", schemas.common), []);
  });

  for (const [kind, schema] of Object.entries(schemas.kinds)) {
    test(`${kind}.schema.json keeps to the dialect and describes a whole document`, () => {
      assert.deepEqual(dialectProblems(`${kind}.schema.json`, schema), []);
      assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
      assert.ok(schema.$id.endsWith(`/${kind}.schema.json`));
      assert.deepEqual(schema.properties.kind, { ...schema.properties.kind, type: "string", const: kind });
      assert.ok(schema.properties[KINDS[kind]], `content key ${KINDS[kind]}`);
      for (const member of ["kind", "formatVersion", "documentId", "sourceSystem", "created", "sender", "patient", "organizations", KINDS[kind]]) {
        assert.ok(schema.required.includes(member), `${member} required`);
      }
      assert.equal(typeof validators[kind], "function", "compiles with ajv (strict)");
    });
  }

  test("the envelope is the same for every kind", () => {
    const shape = (kind) => {
      const props = { ...schemas.kinds[kind].properties };
      delete props.kind;
      delete props[KINDS[kind]];
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.$ref]));
    };
    const first = shape("referral");
    assert.deepEqual(Object.keys(first), [
      "formatVersion", "documentId", "sourceSystem", "created", "sender", "author", "patient",
      "relatives", "practitioners", "organizations",
    ]);
    for (const kind of Object.keys(KINDS)) assert.deepEqual(shape(kind), first, kind);
  });

  test("pathway-event activity codes are exactly the project's activity list", () => {
    const activity = schemas.kinds["pathway-event"].$defs.pathwayEvent.properties.activity;
    assert.deepEqual(activity.enum, ACTIVITIES);
  });

  test("every either/or reference allows exactly one member", () => {
    const party = schemas.common.$defs.partyRef;
    assert.equal(party.minProperties, 1);
    assert.equal(party.maxProperties, 1);
    assert.deepEqual(Object.keys(party.properties), ["patient", "relative", "practitioner", "organization"]);
    const actor = schemas.kinds["consent-directive"].$defs.actor;
    assert.equal(actor.minProperties, 1);
    assert.equal(actor.maxProperties, 1);
  });

  test("relationship codes cover the no-basis family relations", () => {
    const rel = schemas.common.$defs.relative.properties;
    for (const code of ["mother", "father", "co-mother", "child", "sibling", "spouse-or-registered-partner", "cohabitant", "guardian", "grandparent", "other"]) {
      assert.ok(rel.relationship.enum.includes(code), code);
    }
    assert.deepEqual(rel.parentalResponsibility.enum, ["felles", "mor", "far", "medmor", "andre", "ukjent"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Formats: the check-digit algorithms themselves
// ---------------------------------------------------------------------------------------------

describe("formats", () => {
  test("person numbers", () => {
    assert.equal(isPersonId("14868943972"), true, "synthetic FNR (month + 80)");
    assert.equal(isPersonId("14868943973"), false, "wrong k2");
    assert.equal(isPersonId("54868943966"), true, "synthetic D-number (day + 40)");
    assert.equal(isPersonId("14468943728"), true, "H-number (month + 40)");
    assert.equal(isPersonId("81234567802"), true, "FHN (first digit 8)");
    assert.equal(isPersonId("29828844146"), true, "29 February 1988");
    assert.equal(isPersonId("29828944086"), false, "29 February 1989 does not exist");
    assert.equal(isPersonId("1486894397"), false, "10 digits");
    assert.equal(isPersonId("1486894397x"), false, "not digits");
    assert.equal(birthDateOfPersonId("14868943972"), "1989-06-14");
    assert.equal(birthDateOfPersonId("03911252863"), "2012-11-03", "individual number 500-999 with year 00-39: 2000s");
  });

  test("organisation numbers", () => {
    assert.equal(isOrgNumber("974815230"), true);
    assert.equal(isOrgNumber("974815231"), false);
    assert.equal(isOrgNumber("97481523"), false);
  });

  test("dates and date-times", () => {
    assert.equal(isDate("2028-02-29"), true);
    assert.equal(isDate("2027-02-29"), false);
    assert.equal(isDate("2027-02-30"), false);
    assert.equal(isDate("2027-3-24"), false);
    assert.equal(isDateTime("2027-03-24T09:12:00+01:00"), true);
    assert.equal(isDateTime("2027-03-24T09:12:00.250Z"), true);
    assert.equal(isDateTime("2027-03-24T09:12:00"), false, "offset required");
    assert.equal(isDateTime("2027-03-24T24:00:00Z"), false);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Valid examples
// ---------------------------------------------------------------------------------------------

function validate(doc) {
  const validator = validators[doc.kind];
  assert.ok(validator, `unknown kind ${doc.kind}`);
  const ok = validator(doc);
  return { ok, problems: uniqueProblems([...ajvProblems(validator.errors), ...checkStructure(schemas, doc.kind, doc)]), errors: validator.errors };
}

// Rules the adapter adds to the schema: the birth date must match the person number, and
// children and siblings need a birth date so that minors can be derived.
function crossFieldProblems(doc) {
  const out = [];
  const people = [["/patient", doc.patient], ...(doc.relatives ?? []).map((r, i) => [`/relatives/${i}`, r])];
  for (const [ptr, p] of people) {
    if (p.identifier && p.birthDate) {
      const derived = birthDateOfPersonId(p.identifier);
      if (derived !== null && derived !== p.birthDate) out.push(`${ptr}/birthDate ${p.birthDate} != ${derived}`);
    }
  }
  (doc.relatives ?? []).forEach((r, i) => {
    if ((r.relationship === "child" || r.relationship === "sibling") && !r.birthDate && !r.identifier) {
      out.push(`/relatives/${i}/birthDate missing for ${r.relationship}`);
    }
  });
  return out;
}

function assertValid(name, doc) {
  const { ok, problems, errors } = validate(doc);
  assert.ok(ok, `${name}: ${JSON.stringify(errors, null, 1)}`);
  assert.deepEqual(problems, [], name);
  assert.deepEqual(crossFieldProblems(doc), [], name);
}

const journeyDir = join(EXAMPLES_DIR, "journey");
const journey = listJson(journeyDir).map((f) => ({ file: f, doc: readJson(join(journeyDir, f)) }));

// Norwegian public holidays of a year (fixed days plus those that follow Easter).
function holidays(year) {
  const a = year % 19, b = Math.floor(year / 100), c = year % 100, d = Math.floor(b / 4), e = b % 4;
  const f = Math.floor((b + 8) / 25), g = Math.floor((b - f + 1) / 3), h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4), k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7, m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31), day = ((h + l - 7 * m + 114) % 31) + 1;
  const easter = Date.UTC(year, month - 1, day);
  const iso = (t) => new Date(t).toISOString().slice(0, 10);
  const DAY = 86400000;
  return new Set([
    `${year}-01-01`, `${year}-05-01`, `${year}-05-17`, `${year}-12-25`, `${year}-12-26`,
    ...[-3, -2, 0, 1, 39, 49, 50].map((offset) => iso(easter + offset * DAY)),
  ]);
}

function addDays(date, n) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
}

function addWorkingDays(date, n) {
  let d = date;
  for (let left = n; left > 0; ) {
    d = addDays(d, 1);
    const weekday = new Date(`${d}T00:00:00Z`).getUTCDay();
    if (weekday !== 0 && weekday !== 6 && !holidays(Number(d.slice(0, 4))).has(d)) left -= 1;
  }
  return d;
}

describe("journey examples", () => {
  test("the journey has the documents of one pathway, in order", () => {
    assert.ok(journey.length >= 12);
    for (const { file } of journey) assert.match(file, /^[0-9]{2}-[a-z0-9-]+\.json$/);
    const kinds = new Set(journey.map((j) => j.doc.kind));
    for (const kind of Object.keys(KINDS)) assert.ok(kinds.has(kind), `journey has a ${kind}`);
    const ids = journey.map((j) => j.doc.documentId);
    assert.equal(new Set(ids).size, ids.length, "documentIds unique");
    assert.equal(new Set(journey.map((j) => j.doc.patient.identifier)).size, 1, "one patient");
    for (let i = 1; i < journey.length; i += 1) {
      const [prev, cur] = [journey[i - 1], journey[i]];
      assert.ok(Date.parse(prev.doc.created) <= Date.parse(cur.doc.created), `${cur.file} created before ${prev.file}`);
    }
  });

  for (const { file, doc } of journey) {
    test(`${file} is a valid ${doc.kind}`, () => assertValid(file, doc));
  }

  test("the journey keeps the pathway deadlines", () => {
    assert.equal(addWorkingDays("2027-03-24", 10), "2027-04-12", "Easter 2027 is skipped");
    for (const { file, doc } of journey) {
      const e = doc.pathwayEvent;
      if (e?.activity === "referral-assessment") {
        assert.equal(e.startEvent, "referral-received");
        assert.ok(e.occurred.slice(0, 10) <= addWorkingDays(e.startDate, 10), `${file}: assessed within 10 working days`);
      }
      if (e?.activity === "basic-assessment" || (e?.activity === "follow-up-decision" && e.startEvent === "first-attendance")) {
        assert.ok(e.occurred.slice(0, 10) <= addDays(e.startDate, 21), `${file}: within 21 days of first attendance`);
      }
      const epi = doc.epicrisis;
      if (epi) {
        const limit = epi.departmentType === "addiction-medicine" ? 0 : 7;
        assert.ok(doc.created.slice(0, 10) <= addDays(epi.dischargeDate, limit), `${file}: epicrisis deadline`);
      }
    }
  });

  test("a 14-year-old child of the patient is among the relatives", () => {
    const child = journey[0].doc.relatives.find((r) => r.relationship === "child");
    assert.ok(child);
    assert.equal(ageOn(child.birthDate, journey[0].doc.referral.receivedDate), 14);
  });
});

function ageOn(birthDate, date) {
  const birthdayPassed = date.slice(5, 10) >= birthDate.slice(5, 10);
  return Number(date.slice(0, 4)) - Number(birthDate.slice(0, 4)) - (birthdayPassed ? 0 : 1);
}

describe("standalone examples", () => {
  const dir = join(EXAMPLES_DIR, "standalone");
  for (const file of existsSync(dir) ? listJson(dir) : []) {
    test(`${file} is valid`, () => {
      const doc = readJson(join(dir, file));
      assertValid(file, doc);
      if (doc.consentDirective?.minorRefusal) {
        const age = ageOn(birthDateOfPersonId(doc.patient.identifier), doc.consentDirective.dateTime);
        assert.ok(age >= 12 && age < 16, `a refusal to inform parents needs a patient aged 12-15, not ${age}`);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 3. Invalid examples
// ---------------------------------------------------------------------------------------------

describe("invalid examples", () => {
  const dir = join(EXAMPLES_DIR, "invalid");
  const files = listJson(dir).filter((f) => !f.endsWith(".expected.json"));

  test("there are enough of them, each with its expected problems", () => {
    assert.ok(files.length >= 8);
    for (const f of listJson(dir)) {
      const base = f.replace(/\.expected\.json$|\.json$/, "");
      assert.ok(existsSync(join(dir, `${base}.json`)) && existsSync(join(dir, `${base}.expected.json`)), base);
    }
  });

  for (const file of files) {
    test(`${file} is rejected with exactly its expected problems`, () => {
      const doc = readJson(join(dir, file));
      const expected = readJson(join(dir, file.replace(/\.json$/, ".expected.json")));
      assert.deepEqual(Object.keys(expected), ["problems"]);
      for (const p of expected.problems) {
        assert.deepEqual(Object.keys(p).sort(), ["location", "type"]);
        assert.ok(ISSUE_TYPES.has(p.type), `issue type ${p.type}`);
        assert.ok(p.location === "" || p.location.startsWith("/"), p.location);
      }
      assert.equal(new Set(expected.problems.map(problemKey)).size, expected.problems.length, "no duplicate expected problems");
      let actual;
      if (validators[doc.kind]) {
        const { ok, problems } = validate(doc);
        // ajv alone must reject whenever a schema-visible problem is expected.
        // The rest are the adapter's own checks, mirrored by checkStructure in support.mjs.
        const adapterOnly = new Set(checkStructure(schemas, doc.kind, doc).map(problemKey));
        const ajvVisible = expected.problems.filter((p) => !adapterOnly.has(problemKey(p)));
        assert.equal(ok, ajvVisible.length === 0, "ajv verdict");
        actual = problems;
      } else {
        // An unknown kind selects no schema: it is the only problem reported. Every kind's
        // schema rejects the document at /kind.
        for (const validator of Object.values(validators)) {
          validator(doc);
          assert.ok(ajvProblems(validator.errors).some((p) => p.location === "/kind" && p.type === "value"));
        }
        actual = [{ location: "/kind", type: "value" }];
      }
      assert.deepEqual(actual, uniqueProblems(expected.problems));
    });
  }

  test("five-errors.json has exactly five problems of five different kinds", () => {
    const expected = readJson(join(dir, "five-errors.expected.json")).problems;
    assert.equal(expected.length, 5);
    const doc = readJson(join(dir, "five-errors.json"));
    assert.equal(doc.patient.nickname !== undefined, true, "an unknown field");
    assert.equal(typeof doc.referral.consentToReferral, "string", "a wrong type");
    assert.equal(doc.referral.reason, undefined, "a missing required field");
    assert.equal(isPersonId(doc.patient.identifier), false, "an invalid check digit");
    assert.equal(isDate(doc.referral.receivedDate), false, "an impossible date");
  });
});

// ---------------------------------------------------------------------------------------------
// Docs
// ---------------------------------------------------------------------------------------------

describe("docs/input-format.md", () => {
  test("its field tables are generated from the current schemas", () => {
    const section = generatedSection(readFileSync(DOCS_PATH, "utf8"));
    assert.ok(section, "generated section markers present");
    const fresh = render(schemas);
    if (section !== fresh) {
      const a = section.split("\n");
      const b = fresh.split("\n");
      const i = a.findIndex((line, n) => line !== b[n]);
      assert.fail(`docs out of date at generated line ${i + 1}:\n  docs:    ${a[i]}\n  schemas: ${b[i]}\n` +
        "run: node tests/input-schemas/field-tables.mjs --write");
    }
  });

  test("it links every schema file", () => {
    const md = readFileSync(DOCS_PATH, "utf8");
    for (const f of ["common", ...Object.keys(KINDS)]) assert.ok(md.includes(`../mappings/input/${f}.schema.json`), f);
  });
});
