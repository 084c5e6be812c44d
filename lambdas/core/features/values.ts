/**
 * Feature values: what a CSV cell or a record field becomes for each feature type, and event
 * times. Each function returns the value or the reason it cannot be one, so ingestion can
 * collect every problem before it writes anything.
 *
 * - numeric: a finite decimal number (CSV: `12`, `-0.5`, `1e3`; not `NaN`, `1,000`).
 * - boolean: `true`/`false` (CSV also `1`/`0`, any case).
 * - categorical: non-empty text, one of `categories` when the definition lists them.
 * - string: any text. In CSV an empty cell is a missing value, so an empty string cannot be
 *   told apart from missing there; records can send `""`.
 * - missing: `null` (records: null or an absent field; CSV: an empty cell). Refused for a
 *   `required` feature, the entity id and the event time.
 *
 * Event times: a `string` column holds ISO 8601 (`2026-03-01`, `2026-03-01T09:30:00Z`,
 * `2026-03-01T09:30:00.250+01:00`); a date alone is midnight UTC, and a date-time without an
 * offset is read as UTC. A `numeric` column holds Unix epoch seconds. Years 1900-9999 only,
 * which also catches milliseconds passed as seconds.
 */
import type { FeatureSpec } from './definition';

export type FeatureValue = number | string | boolean | null;

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (reason: string): Parsed<never> => ({ ok: false, reason });

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MIN_TIME_MS = Date.UTC(1900, 0, 1);
const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Shows a value in a message, cut to a readable length. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** A CSV cell as the feature's value; '' is missing. */
export function parseCsvCell(cell: string, feature: FeatureSpec): Parsed<FeatureValue> {
  if (cell === '') return feature.required ? fail('a value is required (the cell is empty)') : ok(null);
  switch (feature.type) {
    case 'numeric': {
      const text = cell.trim();
      if (!DECIMAL.test(text)) return fail(`expected a number (got ${shown(cell)})`);
      const value = Number(text);
      return Number.isFinite(value) ? ok(value) : fail(`the number ${shown(cell)} is out of range`);
    }
    case 'boolean': {
      const text = cell.trim().toLowerCase();
      if (text === 'true' || text === '1') return ok(true);
      if (text === 'false' || text === '0') return ok(false);
      return fail(`expected true, false, 1 or 0 (got ${shown(cell)})`);
    }
    case 'categorical':
      return checkCategory(cell, feature);
    case 'string':
      return ok(cell);
  }
}

/** A record field as the feature's value; null and undefined are missing. Types are not converted: `"72"` is not a number. */
export function parseRecordValue(value: unknown, feature: FeatureSpec): Parsed<FeatureValue> {
  if (value === null || value === undefined) return feature.required ? fail('a value is required (it is missing)') : ok(null);
  switch (feature.type) {
    case 'numeric':
      if (typeof value !== 'number') return fail(`expected a number (got ${typeof value} ${shown(value)})`);
      return Number.isFinite(value) ? ok(value) : fail(`expected a finite number (got ${value})`);
    case 'boolean':
      return typeof value === 'boolean' ? ok(value) : fail(`expected true or false (got ${typeof value} ${shown(value)})`);
    case 'categorical':
      if (typeof value !== 'string') return fail(`expected text (got ${typeof value} ${shown(value)})`);
      if (value === '') return fail('a category cannot be empty text');
      return checkCategory(value, feature);
    case 'string':
      return typeof value === 'string' ? ok(value) : fail(`expected text (got ${typeof value} ${shown(value)})`);
  }
}

function checkCategory(value: string, feature: FeatureSpec): Parsed<FeatureValue> {
  if (feature.categories && !feature.categories.includes(value)) {
    const listed = feature.categories.slice(0, 10).join(', ');
    return fail(`${shown(value)} is not one of the categories (${listed}${feature.categories.length > 10 ? ', …' : ''})`);
  }
  return ok(value);
}

/** An event time (as its feature type holds it) in epoch milliseconds. */
export function parseEventTime(value: unknown, type: FeatureSpec['type']): Parsed<number> {
  if (value === null || value === undefined || value === '') return fail('the event time is missing');
  if (type === 'numeric') {
    let seconds: number;
    if (typeof value === 'number') seconds = value;
    else if (typeof value === 'string' && DECIMAL.test(value.trim())) seconds = Number(value.trim());
    else return fail(`expected Unix epoch seconds (got ${typeof value} ${shown(value)})`);
    return checkRange(seconds * 1000, `${value} seconds`);
  }
  if (typeof value !== 'string') return fail(`expected an ISO 8601 time (got ${typeof value} ${shown(value)})`);
  const match = ISO_8601.exec(value.trim());
  if (!match) return fail(`expected an ISO 8601 date or time such as 2026-03-01T09:30:00Z (got ${shown(value)})`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', offset = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, Number(fraction.padEnd(3, '0').slice(0, 3)));
  const check = new Date(utc);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return fail(`${shown(value)} is not a real date and time`);
  }
  let offsetMs = 0;
  if (offset !== 'Z') {
    const sign = offset.startsWith('-') ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const [oh, om] = [Number(digits.slice(0, 2)), Number(digits.slice(2, 4))];
    if (oh > 23 || om > 59) return fail(`${shown(value)} has an impossible UTC offset`);
    offsetMs = sign * (oh * 60 + om) * 60_000;
  }
  return checkRange(utc - offsetMs, shown(value));
}

function checkRange(ms: number, what: string): Parsed<number> {
  if (!Number.isFinite(ms)) return fail(`${what} is not a time`);
  if (ms > MAX_TIME_MS) return fail(`${what} is after the year 9999 (milliseconds given as seconds?)`);
  if (ms < MIN_TIME_MS) return fail(`${what} is before 1900`);
  return ok(Math.floor(ms));
}

/** Epoch milliseconds as the fixed-width ISO text every stored event time uses (sorts as text). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
