/**
 * The endpoint's input contract, derived from the model's own ONNX metadata (feature order,
 * encodings), and the validator that turns request records into the float32 rows the model
 * reads. Every bad field of every record is reported at once, each with a path and a reason.
 *
 * Rules (README.md, "Input contract"):
 * - every model column must be present in every record; `null` is how a caller sends a
 *   missing value (the trees then follow their missing-value branch);
 * - number columns take JSON numbers only: finite and inside float32's range;
 * - boolean columns take true/false (or the numbers 1/0);
 * - category columns take strings (trimmed; '', 'NA', 'null', 'NaN' mean missing, as in the
 *   engine's encodeRows) or numbers/booleans whose text is a known category; an unknown
 *   category is rejected or scored as missing, by the `unknownCategory` policy;
 * - a field the model does not know is rejected, except the entity id column.
 * The encoding is the engine's (tabular.ts encodeRows), so a record scores the same online
 * and in batch.
 */
import type { ColumnEncoding } from '../ml/model';
import type { OnnxModelMetadata } from '../ml/onnx-metadata';

export type InputFieldType = 'number' | 'boolean' | 'category';

export interface InputField {
  /** The user's column name, as a request record spells it. */
  readonly name: string;
  readonly type: InputFieldType;
  /** Known categories (category fields only), in code order. */
  readonly categories?: readonly string[];
  /** Every model column must be present; send null for a missing value. */
  readonly required: true;
  /** null is accepted and means "missing". */
  readonly nullable: true;
}

export interface InputContract {
  /** One per encoded model input, in the model's feature order. */
  readonly fields: readonly InputField[];
}

/** What an unknown category does: a 400 naming it, or scored down the missing branch. */
export type UnknownCategoryPolicy = 'reject' | 'missing';

export interface FieldError {
  /** Where: `records[2].age`, `age`, `entityId`, `(body)`. */
  readonly path: string;
  readonly message: string;
}

/** The model's metadata cannot give an input contract (two inputs from one column, say). */
export class InputContractError extends Error {
  override readonly name = 'InputContractError';
}

const FLOAT32_MAX = 3.4028234663852886e38;
/** The engine's default missing-value tokens (tabular.ts DEFAULT_MISSING_VALUES), lower-cased. */
const MISSING_TOKENS = new Set(['', 'na', 'null', 'nan']);
const MAX_ENTITY_ID_LENGTH = 256;
const SHOWN_NAMES = 12;

function fieldFromEncoding(encoding: ColumnEncoding): InputField {
  switch (encoding.kind) {
    case 'numeric': return { name: encoding.column, type: 'number', required: true, nullable: true };
    case 'boolean': return { name: encoding.column, type: 'boolean', required: true, nullable: true };
    case 'categorical': return { name: encoding.column, type: 'category', categories: encoding.categories, required: true, nullable: true };
  }
}

/**
 * The contract of a model: one field per encoded input, from the encodings when the model
 * has them (a model trained from a table always does), else from the feature specs (raw
 * numeric inputs named by their column).
 */
export function inputContractFromMetadata(metadata: Pick<OnnxModelMetadata, 'features' | 'encodings'>): InputContract {
  const fields = metadata.encodings !== undefined
    ? metadata.encodings.map(fieldFromEncoding)
    : metadata.features.map((spec): InputField => ({
      name: spec.column,
      type: spec.type === 'boolean' ? 'boolean' : 'number',
      required: true,
      nullable: true,
    }));
  const seen = new Set<string>();
  for (const field of fields) {
    if (seen.has(field.name)) throw new InputContractError(`column ${JSON.stringify(field.name)} feeds more than one model input; the endpoint needs one input per column`);
    seen.add(field.name);
  }
  if (fields.length === 0) throw new InputContractError('the model has no inputs');
  return { fields };
}

export interface RecordValidationOptions {
  readonly unknownCategory: UnknownCategoryPolicy;
  /** A column that may appear in records and is not a model input (it names the entity). */
  readonly entityIdColumn?: string;
}

/** Compiled form of a contract: lookups prepared once per model, not per request. */
export interface CompiledContract {
  readonly contract: InputContract;
  readonly width: number;
  readonly byName: ReadonlyMap<string, number>;
  readonly codes: readonly (ReadonlyMap<string, number> | undefined)[];
  /** For messages: the expected names, shortened. */
  readonly expectedNames: string;
}

export function compileContract(contract: InputContract): CompiledContract {
  const names = contract.fields.map((f) => f.name);
  return {
    contract,
    width: contract.fields.length,
    byName: new Map(names.map((name, i) => [name, i])),
    codes: contract.fields.map((f) => (f.categories ? new Map(f.categories.map((c, code) => [c, code])) : undefined)),
    expectedNames: names.length <= SHOWN_NAMES ? names.join(', ') : `${names.slice(0, SHOWN_NAMES).join(', ')}, … (${names.length} columns)`,
  };
}

/** A record that passed validation: its encoded row is in the batch's matrix. */
export interface ValidatedRecord {
  /** The model's fields as the caller sent them (null for missing), for the log and the risk factors. */
  readonly inputs: Readonly<Record<string, string | number | boolean | null>>;
  readonly entityId?: string;
}

export interface ValidatedBatch {
  readonly records: readonly ValidatedRecord[];
  /** Row-major float32, width = contract width, NaN = missing. */
  readonly rows: Float32Array;
  readonly nRows: number;
}

const describe = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  return `${typeof value} ${String(value)}`;
};

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function showCategories(categories: readonly string[]): string {
  const shown = categories.slice(0, SHOWN_NAMES).map((c) => JSON.stringify(c)).join(', ');
  return categories.length > SHOWN_NAMES ? `${shown}, … (${categories.length} categories)` : shown;
}

/** `records[0].age`; names that are not plain identifiers are quoted: `records[0]["blood pressure"]`. */
const join = (prefix: string, name: string): string => {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return prefix === '' ? name : `${prefix}.${name}`;
  return `${prefix}[${JSON.stringify(name)}]`;
};

/**
 * Validates one record and writes its encoded row at `rows[offset ...]`. Pushes one error
 * per bad field; returns undefined when the record has any.
 */
function validateRecord(
  compiled: CompiledContract,
  value: unknown,
  path: string,
  rows: Float32Array,
  offset: number,
  options: RecordValidationOptions,
  errors: FieldError[],
): ValidatedRecord | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    errors.push({ path: path === '' ? '(body)' : path, message: `must be an object of the model's columns (${compiled.expectedNames}), got ${describe(value)}` });
    return undefined;
  }
  const record = value as Record<string, unknown>;
  const before = errors.length;
  const inputs: Record<string, string | number | boolean | null> = {};
  const { fields } = compiled.contract;
  for (let f = 0; f < fields.length; f++) {
    const field = fields[f];
    const where = join(path, field.name);
    if (!Object.hasOwn(record, field.name)) {
      errors.push({ path: where, message: `is missing: every model column is required (send null for a missing value); expected a ${field.type}` });
      continue;
    }
    const cell = record[field.name];
    const encoded = encodeField(field, compiled.codes[f], cell, where, options.unknownCategory, errors);
    if (encoded === undefined) continue;
    rows[offset + f] = encoded;
    inputs[field.name] = cell === undefined ? null : (cell as string | number | boolean | null);
  }
  let entityId: string | undefined;
  for (const key of Object.keys(record)) {
    if (compiled.byName.has(key)) continue;
    if (key === options.entityIdColumn) {
      const id = record[key];
      if ((typeof id === 'string' && id.length > 0 && id.length <= MAX_ENTITY_ID_LENGTH) || (typeof id === 'number' && Number.isFinite(id))) entityId = String(id);
      else if (id !== null) errors.push({ path: join(path, key), message: `the entity id must be a non-empty string of at most ${MAX_ENTITY_ID_LENGTH} characters or a finite number, got ${describe(id)}` });
      continue;
    }
    errors.push({ path: join(path, key), message: `is not a model input (the model's columns: ${compiled.expectedNames}${options.entityIdColumn ? `; the entity id column is ${options.entityIdColumn}` : ''})` });
  }
  if (errors.length > before) return undefined;
  return entityId === undefined ? { inputs } : { inputs, entityId };
}

/** The encoded value of one field, or undefined after pushing an error. NaN = missing. */
function encodeField(
  field: InputField,
  codes: ReadonlyMap<string, number> | undefined,
  cell: unknown,
  path: string,
  policy: UnknownCategoryPolicy,
  errors: FieldError[],
): number | undefined {
  if (cell === null) return NaN;
  switch (field.type) {
    case 'number': {
      if (typeof cell !== 'number') {
        const nonFinite = typeof cell === 'string' && /^[+-]?(nan|inf|infinity)$/i.test(cell.trim());
        errors.push({ path, message: nonFinite
          ? `NaN and Infinity are not allowed; send null for a missing value (got ${describe(cell)})`
          : `expected a number (or null for missing), got ${describe(cell)}` });
        return undefined;
      }
      // JSON.parse turns 1e999 into Infinity: refuse it like NaN.
      if (!Number.isFinite(cell)) {
        errors.push({ path, message: `must be a finite number, got ${cell}; NaN and Infinity are not allowed (send null for a missing value)` });
        return undefined;
      }
      if (Math.abs(cell) > FLOAT32_MAX) {
        errors.push({ path, message: `${cell} is outside the float32 range the model uses (|x| <= 3.4028235e38)` });
        return undefined;
      }
      return cell;
    }
    case 'boolean': {
      if (cell === true || cell === 1) return 1;
      if (cell === false || cell === 0) return 0;
      errors.push({ path, message: `expected a boolean (true/false, or 1/0; null for missing), got ${describe(cell)}` });
      return undefined;
    }
    case 'category': {
      let text: string;
      if (typeof cell === 'string') {
        text = cell.trim();
        if (MISSING_TOKENS.has(text.toLowerCase())) return NaN;
      } else if (typeof cell === 'number' || typeof cell === 'boolean') {
        if (typeof cell === 'number' && !Number.isFinite(cell)) {
          errors.push({ path, message: `must be a category, got ${cell}; NaN and Infinity are not allowed (send null for a missing value)` });
          return undefined;
        }
        text = String(cell);
      } else {
        errors.push({ path, message: `expected a category (a string; null for missing), got ${describe(cell)}` });
        return undefined;
      }
      const code = codes?.get(text);
      if (code !== undefined) return code;
      if (policy === 'missing') return NaN;
      const categories = field.categories ?? [];
      errors.push({ path, message: `unknown category ${quote(text)}; known categories: ${showCategories(categories)} (this endpoint rejects unknown categories)` });
      return undefined;
    }
  }
}

/**
 * Validates records against the contract. `pathOf(i)` names record i in errors ('' for a
 * body that is itself the record, `records[i]` for the batch form). All errors of all
 * records are collected; the batch is returned only when there are none.
 */
export function validateRecords(
  compiled: CompiledContract,
  records: readonly unknown[],
  pathOf: (index: number) => string,
  options: RecordValidationOptions,
): { readonly batch?: ValidatedBatch; readonly errors: readonly FieldError[] } {
  const width = compiled.width;
  const rows = new Float32Array(records.length * width);
  const errors: FieldError[] = [];
  const validated: ValidatedRecord[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = validateRecord(compiled, records[i], pathOf(i), rows, i * width, options, errors);
    if (record !== undefined) validated.push(record);
  }
  if (errors.length > 0) return { errors };
  return { batch: { records: validated, rows, nRows: records.length }, errors };
}
