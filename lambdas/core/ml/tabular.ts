/**
 * Typed tabular data for the embedded ML engine: read CSV text or parsed records into
 * typed columns (numeric, categorical, boolean, with missing values), learn an encoding at
 * training time, and turn rows into the dense float32 matrix the trees read.
 *
 * Row numbers in errors count the header as row 1, so the first data row is row 2 (for
 * CSV this is the line number unless a quoted field spans lines; records[i] is row i + 2,
 * as if a header preceded them). Pure code: no AWS, no I/O.
 */
import { parse, CsvError } from 'csv-parse/sync';
import type { ColumnEncoding, FeatureSpec } from './model';

export type ColumnType = 'numeric' | 'categorical' | 'boolean';

interface ColumnBase {
  readonly name: string;
  /** Trimmed cell text, null when the cell is missing. Kept so encodings can re-type a column. */
  readonly text: readonly (string | null)[];
}
export interface NumericColumn extends ColumnBase {
  readonly type: 'numeric';
  /** The parsed numbers, NaN where missing. */
  readonly values: Float64Array;
}
export interface BooleanColumn extends ColumnBase {
  readonly type: 'boolean';
  /** 1 for true, 0 for false, NaN where missing. */
  readonly values: Float64Array;
}
export interface CategoricalColumn extends ColumnBase {
  readonly type: 'categorical';
}
export type TableColumn = NumericColumn | BooleanColumn | CategoricalColumn;

export interface Table {
  readonly columns: readonly TableColumn[];
  readonly rowCount: number;
}

/** Where a data problem is, and what it is. */
export interface DataErrorDetails {
  readonly column?: string;
  /** 1-based, the header being row 1. */
  readonly row?: number;
  /** The offending cell text, when there is one. */
  readonly value?: string;
  readonly missingColumns?: readonly string[];
  readonly extraColumns?: readonly string[];
}

export class DataError extends Error {
  override readonly name = 'DataError';
  readonly column?: string;
  readonly row?: number;
  readonly value?: string;
  readonly missingColumns?: readonly string[];
  readonly extraColumns?: readonly string[];

  constructor(
    readonly reason: string,
    details: DataErrorDetails = {},
  ) {
    const where = [
      details.column !== undefined ? `column '${details.column}'` : undefined,
      details.row !== undefined ? `row ${details.row}` : undefined,
    ].filter((part) => part !== undefined);
    super(where.length > 0 ? `${where.join(', ')}: ${reason}` : reason);
    this.column = details.column;
    this.row = details.row;
    this.value = details.value;
    this.missingColumns = details.missingColumns;
    this.extraColumns = details.extraColumns;
  }
}

export interface TableOptions {
  /** Declared column types; columns not listed are inferred from their values. */
  readonly schema?: Readonly<Record<string, ColumnType>>;
  /**
   * Cell texts read as missing, compared case-insensitively after trimming.
   * @default ['', 'NA', 'null', 'NaN']
   */
  readonly missingValues?: readonly string[];
}

export const DEFAULT_MISSING_VALUES: readonly string[] = ['', 'NA', 'null', 'NaN'];

const NUMBER_LITERAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE_LITERAL = /^[+-]?(inf|infinity|nan)$/i;
const TRUE_TOKENS = new Set(['true', 'yes', '1']);
const FALSE_TOKENS = new Set(['false', 'no', '0']);
const BOOLEAN_WORDS = new Set(['true', 'false', 'yes', 'no']);
const FLOAT32_MAX = 3.4028234663852886e38;

/** Data row index (0-based) to the row number errors report. */
const rowNumber = (index: number): number => index + 2;

function missingSet(missingValues: readonly string[] | undefined): ReadonlySet<string> {
  return new Set((missingValues ?? DEFAULT_MISSING_VALUES).map((token) => token.trim().toLowerCase()));
}

/** 1 / 0 for a boolean token (true/false/yes/no/1/0, any case), undefined otherwise. */
export function parseBooleanToken(text: string): 1 | 0 | undefined {
  const token = text.trim().toLowerCase();
  if (TRUE_TOKENS.has(token)) return 1;
  if (FALSE_TOKENS.has(token)) return 0;
  return undefined;
}

/** Parses a numeric cell strictly (no hex, no thousands separators, no non-finite values). */
function parseNumericCell(text: string, column: string, index: number): number {
  if (NON_FINITE_LITERAL.test(text)) {
    throw new DataError(`non-finite value '${text}' in a numeric column (leave the cell empty for a missing value)`, {
      column,
      row: rowNumber(index),
      value: text,
    });
  }
  if (!NUMBER_LITERAL.test(text)) {
    throw new DataError(`value '${text}' is not a number`, { column, row: rowNumber(index), value: text });
  }
  const value = Number(text);
  if (!Number.isFinite(value)) {
    throw new DataError(`value '${text}' overflows to infinity`, { column, row: rowNumber(index), value: text });
  }
  return value;
}

function parseBooleanCell(text: string, column: string, index: number): number {
  const value = parseBooleanToken(text);
  if (value === undefined) {
    throw new DataError(`value '${text}' is not a boolean (expected true/false/yes/no/1/0)`, {
      column,
      row: rowNumber(index),
      value: text,
    });
  }
  return value;
}

/** Guesses a column's type from its present (non-missing) cell texts. */
export function inferColumnType(present: readonly string[]): ColumnType {
  if (present.length === 0) return 'numeric';
  let booleanLike = true;
  let hasBooleanWord = false;
  let numericLike = true;
  let hasNumber = false;
  for (const text of present) {
    const token = text.toLowerCase();
    if (booleanLike) {
      if (BOOLEAN_WORDS.has(token)) hasBooleanWord = true;
      else if (token !== '0' && token !== '1') booleanLike = false;
    }
    if (numericLike) {
      if (NUMBER_LITERAL.test(text)) hasNumber = true;
      else if (!NON_FINITE_LITERAL.test(text)) numericLike = false;
    }
    if (!booleanLike && !numericLike) return 'categorical';
  }
  // A 0/1-only column stays numeric: it encodes the same and accepts other numbers later.
  if (booleanLike && hasBooleanWord) return 'boolean';
  if (numericLike && hasNumber) return 'numeric';
  return 'categorical';
}

function buildColumn(name: string, text: readonly (string | null)[], type: ColumnType): TableColumn {
  if (type === 'categorical') return { name, type, text };
  const values = new Float64Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const cell = text[i];
    if (cell === null) values[i] = NaN;
    else values[i] = type === 'numeric' ? parseNumericCell(cell, name, i) : parseBooleanCell(cell, name, i);
  }
  return { name, type, text, values };
}

function validateHeader(header: readonly string[]): void {
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === '') throw new DataError(`header cell ${i + 1} is empty`, { row: 1 });
    const first = seen.get(name);
    if (first !== undefined) {
      throw new DataError(`header has duplicate column name (columns ${first + 1} and ${i + 1})`, { column: name, row: 1 });
    }
    seen.set(name, i);
  });
}

function buildTable(header: readonly string[], cells: readonly (string | null)[][], options: TableOptions): Table {
  const schema = options.schema ?? {};
  for (const declared of Object.keys(schema)) {
    if (!header.includes(declared)) throw new DataError('schema declares a column that is not in the data', { column: declared });
  }
  const columns = header.map((name, c) => {
    const text = cells.map((row) => row[c] ?? null);
    const type = schema[name] ?? inferColumnType(text.filter((cell): cell is string => cell !== null));
    return buildColumn(name, text, type);
  });
  return { columns, rowCount: cells.length };
}

/** Parsed, validated CSV: a unique non-empty header and rows of its width. */
export interface CsvRows {
  readonly header: readonly string[];
  readonly rows: readonly string[][];
}

/** Reads CSV text (comma-separated, optional BOM, cells trimmed) and checks its shape. */
export function readCsv(text: string): CsvRows {
  let records: string[][];
  try {
    records = parse(text, { bom: true, relax_column_count: true, trim: true });
  } catch (error) {
    if (error instanceof CsvError) {
      const line = typeof error.lines === 'number' ? ` near line ${error.lines}` : '';
      throw new DataError(`CSV cannot be parsed${line}: ${error.message}`);
    }
    throw error;
  }
  // A blank last line is a stray newline, not a row with a missing value.
  while (records.length > 1 && records[records.length - 1].length === 1 && records[records.length - 1][0] === '') records.pop();
  if (records.length === 0) throw new DataError('the CSV is empty (no header, no rows)');
  const [header, ...rows] = records;
  validateHeader(header);
  if (rows.length === 0) throw new DataError('the CSV has a header but no data rows');
  rows.forEach((row, i) => {
    if (row.length !== header.length) {
      throw new DataError(`row has ${row.length} fields but the header has ${header.length}`, { row: rowNumber(i) });
    }
  });
  return { header, rows };
}

/** Builds a typed table from CSV text. */
export function tableFromCsv(text: string, options: TableOptions = {}): Table {
  const { header, rows } = readCsv(text);
  const missing = missingSet(options.missingValues);
  const cells = rows.map((row) => row.map((cell) => (missing.has(cell.toLowerCase()) ? null : cell)));
  return buildTable(header, cells, options);
}

export type DataRecord = Readonly<Record<string, unknown>>;

/** A record's cell as trimmed text, or null when missing. */
function cellText(value: unknown, missing: ReadonlySet<string>, column: string, index: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) {
      if (missing.has('nan')) return null;
      throw new DataError('value NaN is not allowed (NaN is not a missing-value token here)', { column, row: rowNumber(index), value: 'NaN' });
    }
    return String(value);
  }
  if (typeof value === 'string') {
    const text = value.trim();
    return missing.has(text.toLowerCase()) ? null : text;
  }
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  throw new DataError(`value of type ${Array.isArray(value) ? 'array' : typeof value} is not a scalar`, {
    column,
    row: rowNumber(index),
  });
}

function checkRecordColumns(record: unknown, expected: readonly string[], allowed: ReadonlySet<string>, index: number, allowExtra: boolean): DataRecord {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new DataError('record is not an object', { row: rowNumber(index) });
  }
  const keys = Object.keys(record);
  const missingColumns = expected.filter((name) => !Object.prototype.hasOwnProperty.call(record, name));
  const extraColumns = allowExtra ? [] : keys.filter((key) => !allowed.has(key));
  if (missingColumns.length > 0 || extraColumns.length > 0) {
    const parts = [
      missingColumns.length > 0 ? `missing columns: ${missingColumns.join(', ')}` : undefined,
      extraColumns.length > 0 ? `unexpected columns: ${extraColumns.join(', ')}` : undefined,
    ].filter((part) => part !== undefined);
    throw new DataError(`record does not match the expected columns (${parts.join('; ')})`, {
      row: rowNumber(index),
      missingColumns,
      extraColumns,
    });
  }
  return record as DataRecord;
}

/**
 * Builds a typed table from parsed records (objects keyed by column). The first record's
 * keys are the columns; every record must have exactly those keys (values may be null).
 */
export function tableFromRecords(records: readonly unknown[], options: TableOptions = {}): Table {
  if (records.length === 0) throw new DataError('no records');
  const first = records[0];
  if (first === null || typeof first !== 'object' || Array.isArray(first)) throw new DataError('record is not an object', { row: 2 });
  const header = Object.keys(first);
  if (header.length === 0) throw new DataError('the first record has no columns', { row: 2 });
  validateHeader(header);
  const allowed = new Set(header);
  const missing = missingSet(options.missingValues);
  const cells = records.map((raw, i) => {
    const record = checkRecordColumns(raw, header, allowed, i, false);
    return header.map((name) => cellText(record[name], missing, name, i));
  });
  return buildTable(header, cells, options);
}

/** The named column, or a DataError naming it. */
export function getColumn(table: Table, name: string): TableColumn {
  const column = table.columns.find((candidate) => candidate.name === name);
  if (column === undefined) throw new DataError('column is not in the data', { column: name });
  return column;
}

export interface EncodingOptions {
  /** The label column: not a feature. */
  readonly target?: string;
  /** The entity id column (patient, customer): not a feature. */
  readonly entityId?: string;
  /** Further columns that are not features. */
  readonly exclude?: readonly string[];
  /** Columns to encode as categories whatever their inferred type (zip codes, codes). */
  readonly categorical?: readonly string[];
}

export interface FittedEncoding {
  /** One per feature column, in table order. */
  readonly encodings: readonly ColumnEncoding[];
  /** The encoded model inputs, in the same order. */
  readonly features: readonly FeatureSpec[];
}

/** Sorts categories numerically when they all read as numbers, else by UTF-16 code units. */
function sortCategories(categories: string[]): string[] {
  const allNumeric = categories.every((category) => NUMBER_LITERAL.test(category));
  const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return allNumeric ? categories.sort((a, b) => Number(a) - Number(b) || byCodeUnit(a, b)) : categories.sort(byCodeUnit);
}

/** Learns how each feature column becomes a model input from the training table. */
export function fitEncoding(table: Table, options: EncodingOptions = {}): FittedEncoding {
  const names = new Set(table.columns.map((column) => column.name));
  const mustExist = (name: string, role: string): void => {
    if (!names.has(name)) throw new DataError(`${role} column is not in the data (columns: ${[...names].join(', ')})`, { column: name });
  };
  if (options.target !== undefined) mustExist(options.target, 'target');
  if (options.entityId !== undefined) mustExist(options.entityId, 'entity id');
  for (const name of options.exclude ?? []) mustExist(name, 'excluded');
  for (const name of options.categorical ?? []) mustExist(name, 'categorical');

  const notFeatures = new Set([options.target, options.entityId, ...(options.exclude ?? [])].filter((name) => name !== undefined));
  for (const name of options.categorical ?? []) {
    if (notFeatures.has(name)) throw new DataError('column is declared categorical but is not a feature (target, entity id or excluded)', { column: name });
  }
  const forceCategorical = new Set(options.categorical ?? []);
  const encodings: ColumnEncoding[] = [];
  const features: FeatureSpec[] = [];
  for (const column of table.columns) {
    if (notFeatures.has(column.name)) continue;
    if (column.type === 'categorical' || forceCategorical.has(column.name)) {
      const distinct = new Set<string>();
      for (const cell of column.text) if (cell !== null) distinct.add(cell);
      const categories = sortCategories([...distinct]);
      encodings.push({ kind: 'categorical', column: column.name, categories, unknownCode: categories.length });
      features.push({ name: column.name, column: column.name, type: 'categorical' });
    } else {
      encodings.push({ kind: column.type, column: column.name });
      features.push({ name: column.name, column: column.name, type: column.type === 'numeric' ? 'float' : 'boolean' });
    }
  }
  if (encodings.length === 0) throw new DataError('no feature columns remain after removing the target, entity id and excluded columns');
  return { encodings, features };
}

/**
 * A dense row-major float32 matrix: cell (r, c) is values[r * nCols + c], NaN where missing.
 * Same shape as the trainer's FeatureMatrix, so it passes straight through.
 */
export interface EncodedMatrix {
  readonly values: Float32Array;
  readonly nRows: number;
  readonly nCols: number;
}

/** The given rows of a matrix, in the given order (e.g. one side of a split). */
export function selectRows(matrix: EncodedMatrix, rows: ArrayLike<number>): EncodedMatrix {
  const { nCols } = matrix;
  const values = new Float32Array(rows.length * nCols);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!(Number.isInteger(row) && row >= 0 && row < matrix.nRows)) throw new RangeError(`row index ${row} is outside 0..${matrix.nRows - 1}`);
    values.set(matrix.values.subarray(row * nCols, (row + 1) * nCols), i * nCols);
  }
  return { values, nRows: rows.length, nCols };
}

type CategoryCodes = ReadonlyMap<string, number>;

function codeTables(encodings: readonly ColumnEncoding[]): (CategoryCodes | undefined)[] {
  return encodings.map((encoding) =>
    encoding.kind === 'categorical' ? new Map(encoding.categories.map((category, code) => [category, code])) : undefined,
  );
}

/** One encoded cell from its text (null = missing). */
function encodeCell(encoding: ColumnEncoding, codes: CategoryCodes | undefined, text: string | null, index: number): number {
  if (text === null) return NaN;
  switch (encoding.kind) {
    case 'numeric': {
      const value = parseNumericCell(text, encoding.column, index);
      if (Math.abs(value) > FLOAT32_MAX) {
        throw new DataError(`value '${text}' is outside the float32 range the model uses`, { column: encoding.column, row: rowNumber(index), value: text });
      }
      return value;
    }
    case 'boolean':
      return parseBooleanCell(text, encoding.column, index);
    case 'categorical':
      return codes?.get(text) ?? encoding.unknownCode;
  }
}

/** Encodes a table (training or holdout data) with learned encodings; extra columns are ignored. */
export function encodeTable(encodings: readonly ColumnEncoding[], table: Table): EncodedMatrix {
  const byName = new Map(table.columns.map((column) => [column.name, column]));
  const missingColumns = encodings.map((encoding) => encoding.column).filter((name) => !byName.has(name));
  if (missingColumns.length > 0) {
    throw new DataError(`data lacks model columns: ${missingColumns.join(', ')}`, { missingColumns, extraColumns: [] });
  }
  const cols = encodings.length;
  const data = new Float32Array(table.rowCount * cols);
  const codes = codeTables(encodings);
  encodings.forEach((encoding, c) => {
    const column = byName.get(encoding.column) as TableColumn;
    for (let r = 0; r < table.rowCount; r++) {
      data[r * cols + c] = encodeCell(encoding, codes[c], column.text[r], r);
    }
  });
  return { values: data, nRows: table.rowCount, nCols: cols };
}

export interface PredictionInputOptions {
  /** Columns that may be present and are ignored (entity id, request id). */
  readonly ignoreColumns?: readonly string[];
  /** Accept any extra column instead of rejecting it. @default false */
  readonly allowExtraColumns?: boolean;
  /** @default ['', 'NA', 'null', 'NaN'] */
  readonly missingValues?: readonly string[];
}

/**
 * Encodes prediction-time records. Each record must carry every model column (null for a
 * missing value); columns the model does not know are rejected unless ignored or allowed.
 */
export function encodeRows(encodings: readonly ColumnEncoding[], records: readonly unknown[], options: PredictionInputOptions = {}): EncodedMatrix {
  if (records.length === 0) throw new DataError('no records to encode');
  const expected = encodings.map((encoding) => encoding.column);
  const allowed = new Set([...expected, ...(options.ignoreColumns ?? [])]);
  const missing = missingSet(options.missingValues);
  const cols = encodings.length;
  const data = new Float32Array(records.length * cols);
  const codes = codeTables(encodings);
  records.forEach((raw, r) => {
    const record = checkRecordColumns(raw, expected, allowed, r, options.allowExtraColumns ?? false);
    encodings.forEach((encoding, c) => {
      data[r * cols + c] = encodeCell(encoding, codes[c], cellText(record[encoding.column], missing, encoding.column, r), r);
    });
  });
  return { values: data, nRows: records.length, nCols: cols };
}

/** Encodes prediction-time CSV text; the header must name every model column. */
export function encodeCsv(encodings: readonly ColumnEncoding[], text: string, options: PredictionInputOptions = {}): EncodedMatrix {
  const { header, rows } = readCsv(text);
  const allowed = new Set([...encodings.map((encoding) => encoding.column), ...(options.ignoreColumns ?? [])]);
  const missingColumns = encodings.map((encoding) => encoding.column).filter((name) => !header.includes(name));
  const extraColumns = options.allowExtraColumns ? [] : header.filter((name) => !allowed.has(name));
  if (missingColumns.length > 0 || extraColumns.length > 0) {
    const parts = [
      missingColumns.length > 0 ? `missing columns: ${missingColumns.join(', ')}` : undefined,
      extraColumns.length > 0 ? `unexpected columns: ${extraColumns.join(', ')}` : undefined,
    ].filter((part) => part !== undefined);
    throw new DataError(`header does not match the model's columns (${parts.join('; ')})`, { row: 1, missingColumns, extraColumns });
  }
  const missing = missingSet(options.missingValues);
  const positions = encodings.map((encoding) => header.indexOf(encoding.column));
  const cols = encodings.length;
  const data = new Float32Array(rows.length * cols);
  const codes = codeTables(encodings);
  rows.forEach((row, r) => {
    encodings.forEach((encoding, c) => {
      const cell = row[positions[c]];
      data[r * cols + c] = encodeCell(encoding, codes[c], missing.has(cell.toLowerCase()) ? null : cell, r);
    });
  });
  return { values: data, nRows: rows.length, nCols: cols };
}

export type TargetTask = 'binary' | 'regression';

export interface TargetOptions {
  readonly target: string;
  readonly task: TargetTask;
  /**
   * The class that counts as 1 for binary targets. Defaults to the true one when the two
   * classes read as booleans (true/false, yes/no, 1/0); otherwise it must be given.
   */
  readonly positiveLabel?: string | number | boolean;
}

export interface EncodedTarget {
  readonly task: TargetTask;
  /** 1 / 0 for binary, the value for regression. */
  readonly values: Float64Array;
  /** Binary only: the classes as they appear in the data. */
  readonly positiveLabel?: string;
  readonly negativeLabel?: string;
}

/** Class key that makes 'Yes'/'yes' and '1'/'1.0' one class in typed columns. */
function classKey(column: TableColumn, text: string): string {
  if (column.type === 'boolean') return String(parseBooleanToken(text));
  if (column.type === 'numeric') return String(Number(text));
  return text;
}

/** Encodes the label column for binary classification or regression. */
export function encodeTarget(table: Table, options: TargetOptions): EncodedTarget {
  const column = getColumn(table, options.target);
  column.text.forEach((cell, i) => {
    if (cell === null) throw new DataError('target value is missing', { column: column.name, row: rowNumber(i) });
  });
  const texts = column.text as readonly string[];
  if (options.task === 'regression') {
    const values = new Float64Array(texts.length);
    texts.forEach((text, i) => {
      values[i] = column.type === 'numeric' ? column.values[i] : parseNumericCell(text, column.name, i);
    });
    if (values.every((value) => value === values[0])) {
      throw new DataError(`target is constant (every row is ${values[0]}); regression needs variation`, { column: column.name });
    }
    return { task: 'regression', values };
  }

  const classes = new Map<string, string>();
  for (const text of texts) {
    const key = classKey(column, text);
    if (!classes.has(key)) classes.set(key, text);
  }
  const shown = [...classes.values()].slice(0, 5).map((text) => `'${text}'`).join(', ');
  if (classes.size === 1) throw new DataError(`target has only one class (${shown}); binary training needs two`, { column: column.name });
  if (classes.size > 2) throw new DataError(`binary target has ${classes.size} distinct values (${shown}${classes.size > 5 ? ', …' : ''})`, { column: column.name });

  const keys = [...classes.keys()];
  let positiveKey: string;
  if (options.positiveLabel !== undefined) {
    const label = String(options.positiveLabel).trim();
    const key = column.type === 'categorical' ? label : column.type === 'boolean' ? String(parseBooleanToken(label)) : NUMBER_LITERAL.test(label) ? String(Number(label)) : label;
    if (!classes.has(key)) throw new DataError(`positive label '${label}' is not a value of the target (values: ${shown})`, { column: column.name, value: label });
    positiveKey = key;
  } else {
    const truth = keys.map((key) => parseBooleanToken(classes.get(key) as string));
    const trueIndex = truth.indexOf(1);
    if (trueIndex === -1 || truth[1 - trueIndex] !== 0) {
      throw new DataError(`name the positive label: the target's values are ${shown}`, { column: column.name });
    }
    positiveKey = keys[trueIndex];
  }
  const negativeKey = keys.find((key) => key !== positiveKey) as string;
  const values = new Float64Array(texts.length);
  texts.forEach((text, i) => {
    values[i] = classKey(column, text) === positiveKey ? 1 : 0;
  });
  return { task: 'binary', values, positiveLabel: classes.get(positiveKey), negativeLabel: classes.get(negativeKey) };
}
