// Renders the field tables of docs/input-format.md from mappings/input/*.schema.json, so the
// docs cannot drift from the schemas: schemas.test.mjs fails when the generated part of the
// docs differs. Regenerate with:  node tests/input-schemas/field-tables.mjs --write
//
// Conventions read from the schemas: a description ends with the Norwegian term in
// parentheses; "$comment": "source: …" cites the seed lines (000:432 = seeds/000_…txt line 432)
// or a section of shared/domain/DOMAIN.md.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KINDS, ROOT, loadSchemas } from "./support.mjs";

export const DOCS_PATH = join(ROOT, "docs", "input-format.md");
export const BEGIN = "<!-- BEGIN GENERATED FIELD TABLES (node tests/input-schemas/field-tables.mjs --write) -->";
export const END = "<!-- END GENERATED FIELD TABLES -->";

function splitDescription(description = "") {
  const m = /^(.*) \(([^()]*)\)$/s.exec(description);
  return m ? { meaning: m[1], norwegian: m[2] } : { meaning: description, norwegian: "" };
}

function source(schema) {
  const c = schema.$comment ?? "";
  return c.startsWith("source: ") ? c.slice("source: ".length) : "";
}

function cell(text) {
  return String(text).replaceAll("|", "\\|").replaceAll("\n", " ");
}

function commonName(ref) {
  const m = /^common\.schema\.json#\/\$defs\/(.+)$/.exec(ref ?? "");
  return m ? m[1] : null;
}

function localName(ref) {
  const m = /^#\/\$defs\/(.+)$/.exec(ref ?? "");
  return m ? m[1] : null;
}

// A short type text; `expand` says whether the rows of an object's members follow.
function describeType(schema, defs, common) {
  const c = commonName(schema.$ref);
  if (c) return { text: describeCommon(c, common), expand: null };
  const l = localName(schema.$ref);
  const s = l ? defs[l] : schema;
  if (s["x-refers-to"]) return { text: `ref → ${s["x-refers-to"]}`, expand: null };
  if (s.const !== undefined) return { text: `const ${JSON.stringify(s.const)}`, expand: null };
  if (s.enum) return { text: `code: ${s.enum.map((v) => `\`${v}\``).join(", ")}`, expand: null };
  switch (s.type) {
    case "string": {
      const base = s.format ?? "string";
      return { text: s.format === "date" || s.format === "date-time" ? base : `${base} (≤ ${s.maxLength})`, expand: null };
    }
    case "boolean":
      return { text: "boolean", expand: null };
    case "integer":
      return { text: `integer ${s.minimum}–${s.maximum}`, expand: null };
    case "object": {
      let text = "object";
      if (s.minProperties === 1 && s.maxProperties === 1) text = "object, exactly one member";
      else if (s.minProperties) text = `object, ≥ ${s.minProperties} member`;
      if (s["x-ordered"]) text += `; x-ordered ${s["x-ordered"].join(" ≤ ")}`;
      return { text, expand: s };
    }
    case "array": {
      const inner = describeType(s.items, defs, common);
      const bounds = s.minItems ? `${s.minItems}–${s.maxItems}` : `≤ ${s.maxItems}`;
      return {
        text: `array (${bounds}${s.uniqueItems ? ", unique" : ""}) of ${inner.text}`,
        expand: inner.expand,
        array: true,
      };
    }
    default:
      throw new Error(`cannot describe ${JSON.stringify(s).slice(0, 80)}`);
  }
}

function describeCommon(name, common) {
  const s = common.$defs[name];
  if (s["x-refers-to"]) return `ref → ${s["x-refers-to"]}`;
  if (s.type === "object" || s.type === "array") return `[${name}](#common-${name.toLowerCase()})`;
  if (s.format) return `${s.format} ([${name}](#common-${name.toLowerCase()}))`;
  return `[${name}](#common-${name.toLowerCase()})`;
}

// Rows of the members of an object schema, depth first; local $defs are expanded in place.
function rows(objectSchema, prefix, defs, common, out) {
  const required = new Set(objectSchema.required ?? []);
  for (const [name, raw] of Object.entries(objectSchema.properties)) {
    const l = localName(raw.$ref);
    const target = l ? defs[l] : raw;
    const type = describeType(raw, defs, common);
    const { meaning, norwegian } = splitDescription(raw.description);
    const path = `${prefix}${name}`;
    out.push({
      field: path,
      type: type.text,
      required: required.has(name),
      meaning,
      norwegian,
      source: source(raw) || (l ? source(target) : ""),
    });
    if (type.expand) {
      rows(type.expand, `${path}${type.array ? "[]" : ""}.`, defs, common, out);
    }
  }
  return out;
}

function table(list) {
  const lines = ["| Field | Type | Req. | Meaning | Norwegian term | Source |", "| --- | --- | --- | --- | --- | --- |"];
  for (const r of list) {
    lines.push(
      `| \`${cell(r.field)}\` | ${cell(r.type)} | ${r.required ? "yes" : ""} | ${cell(r.meaning)} | ${cell(r.norwegian)} | ${cell(r.source)} |`,
    );
  }
  return lines.join("\n");
}

export function contentRows(schemas, kind) {
  const schema = schemas.kinds[kind];
  const key = KINDS[kind];
  return rows(schema.$defs[key], "", schema.$defs, schemas.common, []);
}

export function envelopeRows(schemas, kind) {
  const schema = schemas.kinds[kind];
  const key = KINDS[kind];
  const envelope = { ...schema, properties: { ...schema.properties } };
  delete envelope.properties[key];
  return rows(envelope, "", schema.$defs, schemas.common, []);
}

// Inside common.schema.json a "#/$defs/x" reference means a common type: spell it out so
// the common tables link to it instead of expanding it.
function qualifyCommonRefs(node) {
  if (Array.isArray(node)) return node.map(qualifyCommonRefs);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, k === "$ref" && v.startsWith("#/") ? `common.schema.json${v}` : qualifyCommonRefs(v)]),
  );
}

export function render(loaded = loadSchemas()) {
  const schemas = { ...loaded, common: qualifyCommonRefs(loaded.common) };
  const parts = [BEGIN, ""];
  parts.push("### Field counts", "");
  parts.push("| Kind | Schema | Content key | Content fields (rows below) |", "| --- | --- | --- | --- |");
  for (const kind of Object.keys(KINDS)) {
    parts.push(
      `| ${kind} | [${kind}.schema.json](../mappings/input/${kind}.schema.json) | \`${KINDS[kind]}\` | ${contentRows(schemas, kind).length} |`,
    );
  }
  parts.push("");
  for (const kind of Object.keys(KINDS)) {
    const schema = schemas.kinds[kind];
    parts.push(`### Kind \`${kind}\``, "");
    parts.push(`${schema.description} Schema: [${kind}.schema.json](../mappings/input/${kind}.schema.json).`, "");
    const req = schema.required.filter((r) => r !== KINDS[kind]);
    parts.push(`Envelope members required for this kind: ${req.map((r) => `\`${r}\``).join(", ")}.`, "");
    parts.push(`Content under \`${KINDS[kind]}\` (paths relative to it; \`[]\` = each array element):`, "");
    parts.push(table(contentRows(schemas, kind)), "");
  }
  parts.push("### Common types", "");
  parts.push("Defined in [common.schema.json](../mappings/input/common.schema.json) `$defs` and referenced from every kind.", "");
  for (const [name, s] of Object.entries(schemas.common.$defs)) {
    parts.push(`<a id="common-${name.toLowerCase()}"></a>`, `#### \`${name}\``, "");
    const { meaning, norwegian } = splitDescription(s.description);
    const src = source(s);
    parts.push(`${meaning}${norwegian ? ` (${norwegian})` : ""}.${src ? ` Source: ${src}.` : ""}`, "");
    if (s.type === "object") {
      parts.push(`Type: ${describeType(s, {}, schemas.common).text}.`, "");
      parts.push(table(rows(s, "", {}, schemas.common, [])), "");
    } else {
      parts.push(`Type: ${describeType(s, {}, schemas.common).text}${s.pattern ? `, pattern \`${s.pattern}\`` : ""}.`, "");
    }
  }
  parts.push(END);
  return parts.join("\n");
}

export function generatedSection(markdown) {
  const a = markdown.indexOf(BEGIN);
  const b = markdown.indexOf(END);
  if (a < 0 || b < a) return null;
  return markdown.slice(a, b + END.length);
}

if (process.argv[1] && process.argv[1].endsWith("field-tables.mjs")) {
  const fresh = render();
  if (process.argv.includes("--write")) {
    const current = readFileSync(DOCS_PATH, "utf8");
    const old = generatedSection(current);
    if (old === null) throw new Error(`markers not found in ${DOCS_PATH}`);
    writeFileSync(DOCS_PATH, current.replace(old, () => fresh));
    console.log(`updated ${DOCS_PATH}`);
  } else {
    console.log(fresh);
  }
}
