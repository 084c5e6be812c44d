/**
 * What one CSV cell looks like, decided from its text alone. Validation infers a column's
 * type from these kinds and profiling uses them to read numbers, so both agree on what a
 * number, a boolean or a missing value is.
 */

/** A column's inferred type. `unknown` means the column has no values at all. */
export type ColumnType = 'integral' | 'fractional' | 'boolean' | 'string' | 'unknown';

export const COLUMN_TYPES: readonly ColumnType[] = ['integral', 'fractional', 'boolean', 'string', 'unknown'];

/**
 * - `missing`: empty or only whitespace
 * - `integral`: optional sign and digits (`-12`, `007`)
 * - `fractional`: a decimal or exponent number (`1.5`, `.5`, `1.`, `2e-3`)
 * - `non-finite`: a NaN or infinity literal (`NaN`, `inf`, `-Infinity`), which parsers read
 *   as numbers but no model can use
 * - `boolean`: `true` or `false` in any letter case
 * - `string`: anything else (hex, thousands separators, dates, words)
 */
export type CellKind = 'missing' | 'integral' | 'fractional' | 'non-finite' | 'boolean' | 'string';

const SPACE = 32;
const TAB = 9;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const LOWER_E = 101;
const UPPER_E = 69;

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB || code === 0xa0 || code === 10 || code === 13;
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE;
}

const NON_FINITE_WORDS = new Set(['nan', 'inf', 'infinity']);

function classifyWord(value: string, start: number, end: number): CellKind {
  // The longest word we recognise is "-infinity" (9 characters): skip the slice otherwise.
  if (end - start > 9) return 'string';
  const word = value.slice(start, end).toLowerCase();
  if (word === 'true' || word === 'false') return 'boolean';
  const first = word.charCodeAt(0);
  const unsigned = first === PLUS || first === MINUS ? word.slice(1) : word;
  return NON_FINITE_WORDS.has(unsigned) ? 'non-finite' : 'string';
}

/** Classifies a cell without allocating for the common numeric case. */
export function classifyCell(value: string): CellKind {
  let start = 0;
  let end = value.length;
  while (start < end && isBlank(value.charCodeAt(start))) start++;
  while (end > start && isBlank(value.charCodeAt(end - 1))) end--;
  if (start === end) return 'missing';

  let i = start;
  const first = value.charCodeAt(i);
  if (first === PLUS || first === MINUS) i++;
  let intDigits = 0;
  while (i < end && isDigit(value.charCodeAt(i))) {
    i++;
    intDigits++;
  }
  if (i === end) return intDigits > 0 ? 'integral' : 'string';
  let fracDigits = 0;
  let sawDot = false;
  if (value.charCodeAt(i) === DOT) {
    sawDot = true;
    i++;
    while (i < end && isDigit(value.charCodeAt(i))) {
      i++;
      fracDigits++;
    }
  }
  if (intDigits + fracDigits === 0) return classifyWord(value, start, end);
  if (i === end) return sawDot ? 'fractional' : 'integral';
  const exponent = value.charCodeAt(i);
  if (exponent !== LOWER_E && exponent !== UPPER_E) return 'string';
  i++;
  if (i < end && (value.charCodeAt(i) === PLUS || value.charCodeAt(i) === MINUS)) i++;
  let expDigits = 0;
  while (i < end && isDigit(value.charCodeAt(i))) {
    i++;
    expDigits++;
  }
  return expDigits > 0 && i === end ? 'fractional' : 'string';
}

/** True for kinds that count as a number in a numeric column. */
export function isNumericKind(kind: CellKind): boolean {
  return kind === 'integral' || kind === 'fractional';
}
