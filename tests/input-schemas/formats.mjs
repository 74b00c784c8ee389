// The custom string formats of the adapter's input schemas (mappings/input/*.schema.json),
// written out as real checks so the ajv run in schemas.test.mjs sees what the C++ engine sees.
// docs/input-format.md ("Identifier formats") is the contract these follow.

const DIGITS = /^[0-9]+$/;

function daysInMonth(year, month) {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

function isLeapYear(year) {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

// YYYY-MM-DD that exists in the calendar (2027-02-30 does not).
export function isDate(s) {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

// RFC 3339 date-time; the UTC offset ("Z" or ±hh:mm) is required, "T" and "Z" upper case.
export function isDateTime(s) {
  const m = /^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?(Z|[+-]([0-9]{2}):([0-9]{2}))$/.exec(s);
  if (!m || !isDate(m[1])) return false;
  const [h, min, sec] = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (h > 23 || min > 59 || sec > 60) return false;
  if (m[6] !== "Z" && (Number(m[7]) > 23 || Number(m[8]) > 59)) return false;
  return true;
}

// Century of a Norwegian person number from the individual number (digits 7–9) and the
// two-digit year, or null where the rules give none.
function century(individual, yy) {
  if (individual <= 499) return 1900;
  if (individual <= 749 && yy >= 54) return 1800;
  if (individual >= 500 && yy <= 39) return 2000;
  if (individual >= 900 && yy >= 40) return 1900;
  return null;
}

const K1_WEIGHTS = [3, 7, 6, 1, 8, 9, 4, 5, 2, 1]; // last weight applies to k1 itself
const K2_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1]; // last weight applies to k2 itself

function weightedRemainder(digits, weights) {
  let sum = 0;
  for (let i = 0; i < weights.length; i += 1) sum += digits[i] * weights[i];
  return sum % 11;
}

// Splits a person number into its kind and (for all but FHN) its birth date parts.
// kind: "fnr" | "dnr" | "hnr" | "fhn"; synthetic: month + 80 (Tenor test numbers).
export function parsePersonId(s) {
  if (typeof s !== "string" || s.length !== 11 || !DIGITS.test(s)) return null;
  const d = [...s].map(Number);
  if (d[0] === 8 || d[0] === 9) return { kind: "fhn", digits: d };
  let day = d[0] * 10 + d[1];
  let month = d[2] * 10 + d[3];
  const yy = d[4] * 10 + d[5];
  const individual = d[6] * 100 + d[7] * 10 + d[8];
  let kind = "fnr";
  if (day > 40) {
    day -= 40;
    kind = "dnr";
  }
  let synthetic = false;
  if (month > 80) {
    month -= 80;
    synthetic = true;
  }
  if (month > 40) {
    if (kind === "dnr") return null; // a D-number is never also an H-number
    month -= 40;
    kind = "hnr";
  }
  const c = century(individual, yy);
  return { kind, synthetic, day, month, yy, year: c === null ? null : c + yy, digits: d };
}

// The birth date encoded in a person number (YYYY-MM-DD), or null for FHN or unknown century.
export function birthDateOfPersonId(s) {
  const p = parsePersonId(s);
  if (!p || p.kind === "fhn" || p.year === null) return null;
  return `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
}

// FNR, D-number, H-number, FHN; synthetic test numbers (month + 80) included.
// k1: the weighted sum over d1..d9,k1 must leave remainder 0 mod 11 (the classic rule) or,
// for numbers issued from 2032, 1, 2 or 3; the single-k1 rule is deliberately not hard-coded.
// k2: the weighted sum over d1..d9,k1,k2 must be 0 mod 11.
export function isPersonId(s) {
  const p = parsePersonId(s);
  if (!p) return false;
  if (weightedRemainder(p.digits, K1_WEIGHTS) > 3) return false;
  if (weightedRemainder(p.digits, K2_WEIGHTS) !== 0) return false;
  if (p.kind === "fhn") return true;
  if (p.month < 1 || p.month > 12 || p.day < 1) return false;
  // With no derivable century, accept 29 February (some century makes it valid).
  const year = p.year ?? 2000;
  return p.day <= daysInMonth(year, p.month);
}

// Organisation number (Enhetsregisteret): 9 digits, mod 11 with weights 3,2,7,6,5,4,3,2;
// check = 11 - remainder, 11 -> 0, 10 -> invalid.
export function isOrgNumber(s) {
  if (typeof s !== "string" || !/^[0-9]{9}$/.test(s)) return false;
  const d = [...s].map(Number);
  const weights = [3, 2, 7, 6, 5, 4, 3, 2];
  let sum = 0;
  for (let i = 0; i < 8; i += 1) sum += d[i] * weights[i];
  const check = (11 - (sum % 11)) % 11;
  return check !== 10 && check === d[8];
}

export const CUSTOM_FORMATS = {
  date: isDate,
  "date-time": isDateTime,
  "no-person-id": isPersonId,
  "no-org-number": isOrgNumber,
  "no-hpr": (s) => /^[1-9][0-9]{0,8}$/.test(s),
  "no-her-id": (s) => /^[1-9][0-9]{0,8}$/.test(s),
  "no-resh-id": (s) => /^[1-9][0-9]{0,8}$/.test(s),
  // Shape only: numbers from before the 2020 and 2024 reforms stay valid in old records.
  "no-municipality-number": (s) => /^[0-9]{4}$/.test(s),
  "no-postal-code": (s) => /^[0-9]{4}$/.test(s),
  // E.164 (+ and 7–15 digits) or a Norwegian 8-digit number (not starting with 0 or 1).
  phone: (s) => /^(\+[1-9][0-9]{6,14}|[2-9][0-9]{7})$/.test(s),
};

// Formats taken as they are from ajv-formats.
export const STANDARD_FORMATS = ["uri", "email"];

export const ALL_FORMATS = [...Object.keys(CUSTOM_FORMATS), ...STANDARD_FORMATS];
