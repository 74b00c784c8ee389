// Test documents for delivery: the journey's pathway events, consent and individual plan,
// repeated for many synthetic patients, each with its own valid person number and ids.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const JOURNEY = fileURLToPath(new URL('../../examples/journey/', import.meta.url));

// The patient of the journey example: born 14.06.1989, male.
const JOURNEY_PATIENT = '14868943972';

// Birth-number check digits (mod 11); null when the individual number gives none.
function checkDigits(nine) {
  const w1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
  const w2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
  const digits = [...nine].map(Number);
  let k1 = 11 - (digits.reduce((sum, d, i) => sum + d * w1[i], 0) % 11);
  if (k1 === 11) k1 = 0;
  if (k1 === 10) return null;
  digits.push(k1);
  let k2 = 11 - (digits.reduce((sum, d, i) => sum + d * w2[i], 0) % 11);
  if (k2 === 11) k2 = 0;
  if (k2 === 10) return null;
  return `${k1}${k2}`;
}

/** `count` distinct valid D-numbers-free FNRs for a man born 14.06.1989 (odd third digit). */
export function personNumbers(count) {
  const numbers = [];
  for (let individual = 1; individual < 500 && numbers.length < count; individual += 2) {
    const nine = `140689${String(individual).padStart(3, '0')}`;
    const digits = checkDigits(nine);
    if (digits !== null && `${nine}${digits}` !== JOURNEY_PATIENT) numbers.push(`${nine}${digits}`);
  }
  if (numbers.length < count) throw new Error(`only ${numbers.length} person numbers available`);
  return numbers;
}

// Which journey documents each patient gets, and where they are routed by the test
// configuration: the hospital gets everything; the municipality (4601, coordinating unit
// HER-id 102834) gets the notification and the individual plan.
export const TEMPLATES = [
  { file: '02-referral-assessment.json', municipal: false },
  { file: '04-consent-partner.json', municipal: false },
  { file: '09-individual-plan-need-notified.json', municipal: true },
  { file: '11-individual-plan.json', municipal: true },
];

/**
 * Writes `patients × TEMPLATES.length` documents into `folder`; returns their paths in
 * the order a record system would send them (patient by patient, journey order).
 */
export function writeDocuments(folder, patients) {
  mkdirSync(folder, { recursive: true });
  const texts = TEMPLATES.map((t) => readFileSync(join(JOURNEY, t.file), 'utf8'));
  const paths = [];
  personNumbers(patients).forEach((fnr, p) => {
    texts.forEach((text, t) => {
      // Every document and pathway id gets the patient's suffix, so each patient has
      // its own documents, episode and plans; organisations and practitioners are shared
      // by all patients, as in real life (and conditional creates of them must not race).
      const document = text
        .replaceAll(JOURNEY_PATIENT, fnr)
        .replace(/"((?:HFV|BK)-[A-Z0-9-]+)"/g, (_, id) => `"${id}-P${p}"`);
      const path = join(folder, `p${String(p).padStart(3, '0')}-${TEMPLATES[t].file}`);
      writeFileSync(path, document);
      paths.push(path);
    });
  });
  return paths;
}
