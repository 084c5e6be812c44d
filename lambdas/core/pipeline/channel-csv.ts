/**
 * The SageMaker channel files of the training contract (seed-code/ and the local SageMaker
 * adapter read them): a numeric CSV with a header, the first column `label`, then the
 * already-encoded features in model feature order; an empty cell is a missing value.
 * Also a plain CSV writer (RFC 4180 quoting) for the raw holdout rows.
 */
import type { EncodedMatrix } from '../ml/tabular';
import { DataError, readCsv } from '../ml/tabular';

export const LABEL_COLUMN = 'label';

/** A float32 cell as text: empty for NaN, and digits that read back as the same float32. */
function cell(value: number): string {
  return Number.isNaN(value) ? '' : String(value);
}

export function writeChannelCsv(labels: ArrayLike<number>, features: EncodedMatrix, featureNames: readonly string[]): string {
  if (featureNames.length !== features.nCols) throw new DataError(`channel has ${features.nCols} feature columns but ${featureNames.length} names`);
  if (labels.length !== features.nRows) throw new DataError(`channel has ${features.nRows} rows but ${labels.length} labels`);
  const lines = [[LABEL_COLUMN, ...featureNames].map(quote).join(',')];
  for (let r = 0; r < features.nRows; r++) {
    const row = [String(labels[r])];
    for (let c = 0; c < features.nCols; c++) row.push(cell(features.values[r * features.nCols + c]));
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

export interface ChannelData {
  readonly featureNames: readonly string[];
  readonly labels: Float64Array;
  readonly features: EncodedMatrix;
}

/** Reads a channel file; with `featureNames`, the header must list exactly those after `label`. */
export function readChannelCsv(text: string, featureNames?: readonly string[]): ChannelData {
  const { header, rows } = readCsv(text);
  if (header[0] !== LABEL_COLUMN) throw new DataError(`the first column must be '${LABEL_COLUMN}', got '${header[0]}'`, { row: 1 });
  const names = header.slice(1);
  if (names.length === 0) throw new DataError('the channel has no feature columns', { row: 1 });
  if (featureNames && (names.length !== featureNames.length || names.some((name, i) => name !== featureNames[i]))) {
    throw new DataError(`the feature columns (${names.join(', ')}) are not the encoding's features in order (${featureNames.join(', ')})`, { row: 1 });
  }
  const nCols = names.length;
  const labels = new Float64Array(rows.length);
  const values = new Float32Array(rows.length * nCols);
  rows.forEach((row, r) => {
    labels[r] = number(row[0], LABEL_COLUMN, r, false);
    for (let c = 0; c < nCols; c++) values[r * nCols + c] = number(row[c + 1], names[c], r, true);
  });
  return { featureNames: names, labels, features: { values, nRows: rows.length, nCols } };
}

function number(text: string, column: string, index: number, missingAllowed: boolean): number {
  if (text === '') {
    if (missingAllowed) return NaN;
    throw new DataError('value is missing', { column, row: index + 2 });
  }
  const value = Number(text);
  if (!Number.isFinite(value) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    throw new DataError(`value '${text}' is not a finite number`, { column, row: index + 2, value: text });
  }
  return value;
}

/** RFC 4180: quote a field holding a comma, a quote or a line break. */
export function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** CSV text of a header and rows of text cells (null = empty). */
export function writeCsv(header: readonly string[], rows: readonly (readonly (string | null)[])[]): string {
  const lines = [header.map(quote).join(','), ...rows.map((row) => row.map((value) => quote(value ?? '')).join(','))];
  return `${lines.join('\n')}\n`;
}
