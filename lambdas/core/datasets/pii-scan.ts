/**
 * A PII scan of column names and values. It looks for what most often leaks into training
 * sets: email addresses, phone numbers, US social-security-like national ids, street
 * addresses (by value), and dates of birth and person names (by column name, since a date
 * or a name cannot be told apart from other dates and words by its text).
 *
 * Findings carry a confidence in [0, 1] and counts, never the values themselves: the
 * report travels through Step Functions and logs.
 */
import { classifyCell } from './cell-kind';
import { readCsvRecords } from './csv-records';

export type PiiKind = 'email' | 'phone_number' | 'national_id' | 'date_of_birth' | 'person_name' | 'street_address';

export type PiiEvidence = 'column_name' | 'values';

export interface PiiFinding {
  readonly kind: PiiKind;
  readonly column: string;
  /** 0..1, rounded to two decimals. */
  readonly confidence: number;
  readonly evidence: readonly PiiEvidence[];
  /** Values of the column that matched the pattern (0 when only the name matched). */
  readonly matchingValues: number;
  /** Non-missing text values of the column that were scanned. */
  readonly scannedValues: number;
  /** Line of the first matching value. */
  readonly firstLine?: number;
}

/** Splits `dateOfBirth`, `Date-Of-Birth` and `date_of_birth` into the same tokens. */
function nameTokens(columnName: string): string[] {
  return columnName
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((token) => token.length > 0);
}

const PERSON_ROLES = new Set([
  'patient', 'customer', 'client', 'member', 'employee', 'user', 'person', 'contact', 'guardian',
  'mother', 'father', 'parent', 'spouse', 'owner', 'applicant', 'insured', 'subscriber', 'beneficiary',
]);

/** True when `sequence` appears as consecutive tokens, e.g. ["date","of","birth"]. */
function hasSequence(tokens: readonly string[], sequence: readonly string[]): boolean {
  for (let i = 0; i + sequence.length <= tokens.length; i++) {
    if (sequence.every((token, j) => tokens[i + j] === token)) return true;
  }
  return false;
}

function hasAny(tokens: readonly string[], candidates: readonly string[]): boolean {
  return candidates.some((candidate) => tokens.includes(candidate));
}

interface NameRule {
  readonly kind: PiiKind;
  readonly confidence: number;
  readonly matches: (tokens: readonly string[]) => boolean;
}

const NAME_RULES: readonly NameRule[] = [
  {
    kind: 'email',
    confidence: 0.7,
    matches: (t) => hasAny(t, ['email', 'emailaddress']) || hasSequence(t, ['e', 'mail']),
  },
  {
    kind: 'phone_number',
    confidence: 0.7,
    matches: (t) => hasAny(t, ['phone', 'telephone', 'mobile', 'cellphone', 'fax', 'tel', 'msisdn']),
  },
  {
    kind: 'national_id',
    confidence: 0.8,
    matches: (t) =>
      hasAny(t, ['ssn', 'passport']) || hasSequence(t, ['social', 'security']) || hasSequence(t, ['national', 'id']),
  },
  {
    kind: 'date_of_birth',
    confidence: 0.8,
    matches: (t) =>
      hasAny(t, ['dob', 'birthdate', 'birthday', 'dateofbirth']) ||
      hasSequence(t, ['date', 'of', 'birth']) || hasSequence(t, ['birth', 'date']) || hasSequence(t, ['born', 'on']),
  },
  {
    kind: 'person_name',
    confidence: 0.7,
    matches: (t) =>
      hasAny(t, ['firstname', 'lastname', 'fullname', 'surname', 'fname', 'lname', 'forename']) ||
      ['first', 'last', 'middle', 'full', 'given', 'family', 'maiden'].some((part) => hasSequence(t, [part, 'name'])) ||
      (t.length === 2 && t[1] === 'name' && PERSON_ROLES.has(t[0])),
  },
  {
    kind: 'street_address',
    confidence: 0.7,
    matches: (t) =>
      hasAny(t, ['street', 'addr', 'streetaddress']) ||
      (t.includes('address') && !hasAny(t, ['email', 'ip', 'mac', 'url', 'web'])),
  },
];

/** PII kinds suggested by a column name alone, with the confidence the name gives. */
export function piiKindsForColumnName(columnName: string): { kind: PiiKind; confidence: number }[] {
  const tokens = nameTokens(columnName);
  const found = NAME_RULES.filter((rule) => rule.matches(tokens)).map(({ kind, confidence }) => ({ kind, confidence }));
  // A bare "name" column is often a person's name, but may be a product or a place.
  if (found.length === 0 && tokens.length === 1 && tokens[0] === 'name') found.push({ kind: 'person_name', confidence: 0.4 });
  return found;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
// 3-2-4 digits separated by dashes or spaces, not inside a longer number.
const SSN = /(?<![\d-])(\d{3})[- ](\d{2})[- ](\d{4})(?![\d-])/;
// North American style with separators, optionally with a country code; or E.164.
const PHONE = /(?<![\d-])(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d-])|(?<![\w+])\+\d{10,14}(?!\d)/;
const STREET_SUFFIXES =
  'street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|parkway|pkwy|circle|cir|highway|hwy|square|sq';
const STREET_ADDRESS = new RegExp(`(?<![\\w-])\\d{1,6}\\s+(?:[A-Za-z0-9.'-]+\\s+){1,5}(?:${STREET_SUFFIXES})\\b`, 'i');

/** A US SSN cannot start with 000, 666 or 9, nor have 00 or 0000 groups. */
function isPlausibleSsn(match: RegExpExecArray): boolean {
  const [, area, group, serial] = match;
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

/** PII kinds whose pattern occurs in a text value (cheap checks first: most cells are short words). */
export function piiKindsInValue(value: string): PiiKind[] {
  if (value.length < 6) return [];
  let digits = 0;
  let at = false;
  let space = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 64) at = true;
    else if (c === 32) space = true;
  }
  const kinds: PiiKind[] = [];
  if (at && EMAIL.test(value)) kinds.push('email');
  if (digits >= 9) {
    const ssn = SSN.exec(value);
    if (ssn !== null && isPlausibleSsn(ssn)) kinds.push('national_id');
  }
  if (digits >= 10 && PHONE.test(value)) kinds.push('phone_number');
  if (digits >= 1 && space && STREET_ADDRESS.test(value)) kinds.push('street_address');
  return kinds;
}

/** Base confidence of a value pattern when most of a column matches it. */
const VALUE_CONFIDENCE: Partial<Record<PiiKind, number>> = {
  email: 0.95,
  national_id: 0.9,
  phone_number: 0.8,
  street_address: 0.75,
};

function valueConfidence(kind: PiiKind, matching: number, scanned: number): number {
  const base = VALUE_CONFIDENCE[kind] ?? 0.5;
  const share = scanned === 0 ? 0 : matching / scanned;
  // A column full of matches is surely that kind; a few matches in free text still matter.
  if (share >= 0.5) return base;
  if (share >= 0.05) return base * 0.8;
  return base * 0.5;
}

const KIND_LABEL: Record<PiiKind, string> = {
  email: 'email addresses',
  phone_number: 'phone numbers',
  national_id: 'national id numbers (US SSN-like)',
  date_of_birth: 'dates of birth',
  person_name: "people's names",
  street_address: 'street addresses',
};

export function describePiiFinding(finding: PiiFinding): string {
  const reasons: string[] = [];
  if (finding.evidence.includes('column_name')) reasons.push('its name');
  if (finding.evidence.includes('values')) reasons.push(`${finding.matchingValues} of ${finding.scannedValues} scanned values match`);
  return `column "${finding.column}" may hold ${KIND_LABEL[finding.kind]} (confidence ${finding.confidence.toFixed(2)}: ${reasons.join('; ')})`;
}

/** Accumulates value matches per column and kind over a whole file. */
export class PiiScanner {
  private readonly scanned: number[];
  private readonly matches: Map<PiiKind, { count: number; firstLine: number }>[];

  constructor(private readonly columns: readonly string[]) {
    this.scanned = columns.map(() => 0);
    this.matches = columns.map(() => new Map());
  }

  /** Scans one non-missing text value of column `index`. */
  scan(index: number, value: string, line: number): void {
    this.scanned[index]++;
    const kinds = piiKindsInValue(value);
    for (const kind of kinds) {
      const seen = this.matches[index].get(kind);
      if (seen === undefined) this.matches[index].set(kind, { count: 1, firstLine: line });
      else seen.count++;
    }
  }

  /** Findings by column name and by values, merged per (column, kind), strongest first. */
  findings(): PiiFinding[] {
    const findings: PiiFinding[] = [];
    this.columns.forEach((column, index) => {
      const byName = new Map(piiKindsForColumnName(column).map((k) => [k.kind, k.confidence]));
      const kinds = new Set<PiiKind>([...byName.keys(), ...this.matches[index].keys()]);
      for (const kind of kinds) {
        const nameConfidence = byName.get(kind) ?? 0;
        const match = this.matches[index].get(kind);
        const scanned = this.scanned[index];
        const fromValues = match === undefined ? 0 : valueConfidence(kind, match.count, scanned);
        // Independent evidence combines: 1 - P(neither is right).
        const confidence = Math.round((1 - (1 - nameConfidence) * (1 - fromValues)) * 100) / 100;
        const evidence: PiiEvidence[] = [];
        if (nameConfidence > 0) evidence.push('column_name');
        if (match !== undefined) evidence.push('values');
        findings.push({
          kind,
          column,
          confidence,
          evidence,
          matchingValues: match?.count ?? 0,
          scannedValues: scanned,
          ...(match === undefined ? {} : { firstLine: match.firstLine }),
        });
      }
    });
    return findings.sort((a, b) => b.confidence - a.confidence);
  }
}

/** Raised when a file handed to `scanCsvForPii` is not the well-formed CSV validation accepted. */
export class PiiScanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PiiScanError';
  }
}

/**
 * Scans a whole CSV (header first) exactly as validation does: every text cell, and integers
 * written with a leading `+` (E.164 phone numbers), under the trimmed header names. The
 * profile step calls it again on the bytes it keeps because the validation step's output
 * lists only the first findings (Step Functions' 256 KB state limit); a policy must see them all.
 */
export function scanCsvForPii(bytes: Uint8Array): PiiFinding[] {
  let scanner: PiiScanner | undefined;
  let width = 0;
  readCsvRecords(bytes, {
    onHeader(fields) {
      width = fields.length;
      scanner = new PiiScanner(fields.map((field, index) => (field.trim() === '' ? `#${index + 1}` : field.trim())));
      return true;
    },
    onRecord(fields, line) {
      if (fields.length !== width) throw new PiiScanError(`line ${line} has ${fields.length} fields, expected ${width} like the header`);
      for (let i = 0; i < width; i++) {
        const value = fields[i];
        const kind = classifyCell(value);
        if (kind === 'string' || (kind === 'integral' && value.charCodeAt(0) === 43)) scanner?.scan(i, value, line);
      }
      return true;
    },
    onSyntaxProblem(problem) {
      throw new PiiScanError(`line ${problem.line}: ${problem.message}`);
    },
  });
  if (scanner === undefined) throw new PiiScanError('the CSV has no header row');
  return scanner.findings();
}
