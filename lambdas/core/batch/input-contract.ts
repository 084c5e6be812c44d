/**
 * The batch input contract: which header columns feed which model input, from the model's
 * own ONNX metadata (feature order and fitted encodings), and a row encoder that turns one
 * record's cells into the model's float32 inputs or says why it cannot.
 *
 * The cell rules are the engine's (lambdas/core/ml/tabular.ts encodeRows/encodeCsv): cells
 * are trimmed; '', NA, null and NaN (any case) are missing; numbers are decimal literals,
 * finite and inside float32's range; booleans are true/false/yes/no/1/0; an unknown category
 * takes the encoding's unknown code. The reasons are tabular.ts's words, so a row is
 * rejected in batch for the same reason the engine would refuse it (a unit test compares).
 * Columns the model does not use pass through to the output untouched.
 */
import type { ColumnEncoding } from '../ml/model';
import type { OnnxModelMetadata } from '../ml/onnx-metadata';
import { DEFAULT_MISSING_VALUES, parseBooleanToken } from '../ml/tabular';
import { BatchContractError } from './errors';
import { csvCell, splitFields } from './csv-records';

/** Columns the scorer appends to every output row. */
export const OUTPUT_COLUMNS = ['probability', 'label', 'model_version'] as const;
/** The attribute a model may carry to move the label threshold (the online endpoint reads the same one). */
export const DECISION_THRESHOLD_ATTRIBUTE = 'luminaops.decision_threshold';
export const DEFAULT_DECISION_THRESHOLD = 0.5;

export interface BatchContract {
  /** The header's columns, trimmed, in file order. */
  readonly header: readonly string[];
  /** For each model input (in the model's feature order): its encoding and the header position it reads. */
  readonly inputs: readonly { readonly encoding: ColumnEncoding; readonly position: number }[];
  readonly threshold: number;
}

/** One rejected row: where, and why. */
export interface RowRejection {
  readonly row: number;
  readonly column: string;
  readonly reason: string;
  readonly value: string;
}

/** The first line of predictions.csv: the input's column names (trimmed) then the output columns. */
export function predictionsHeaderLine(columns: readonly string[]): string {
  return `${[...columns.map(csvCell), ...OUTPUT_COLUMNS].join(',')}\n`;
}

/** The model's encodings: metadata written by the engine carries them; a raw-numeric model gets numeric ones. */
export function modelEncodings(metadata: Pick<OnnxModelMetadata, 'features' | 'encodings'>): readonly ColumnEncoding[] {
  return metadata.encodings ?? metadata.features.map((feature) => ({ kind: 'numeric' as const, column: feature.column }));
}

/** Checks a header against the model: every model column present once; no column named like an output column. */
export function checkBatchHeader(headerText: string, metadata: Pick<OnnxModelMetadata, 'features' | 'encodings' | 'objective' | 'attributes'>): BatchContract {
  if (metadata.objective !== 'binary:logistic') {
    throw new BatchContractError(`the production model's objective is ${metadata.objective}; batch inference scores binary:logistic models (probability and label)`);
  }
  const fields = splitFields(headerText);
  if (!Array.isArray(fields)) throw new BatchContractError(`row 1 (header): ${fields.reason}`);
  const header = fields.map((name) => name.trim());
  const empty = header.findIndex((name) => name === '');
  if (empty >= 0) throw new BatchContractError(`row 1 (header): column ${empty + 1} has no name`);
  const duplicates = [...new Set(header.filter((name, i) => header.indexOf(name) !== i))];
  if (duplicates.length > 0) throw new BatchContractError(`row 1 (header): duplicate column names: ${duplicates.join(', ')}`, [], duplicates);
  const encodings = modelEncodings(metadata);
  const missing = encodings.map((e) => e.column).filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new BatchContractError(`row 1 (header): the model's columns are missing: ${missing.join(', ')} (the model reads ${encodings.map((e) => e.column).join(', ')})`, missing);
  }
  const conflicting = header.filter((name) => (OUTPUT_COLUMNS as readonly string[]).includes(name));
  if (conflicting.length > 0) {
    throw new BatchContractError(`row 1 (header): ${conflicting.join(', ')} would collide with the output columns ${OUTPUT_COLUMNS.join(', ')}; rename or drop them`, [], conflicting);
  }
  const thresholdText = metadata.attributes[DECISION_THRESHOLD_ATTRIBUTE];
  const threshold = thresholdText === undefined ? DEFAULT_DECISION_THRESHOLD : Number(thresholdText);
  if (!(threshold > 0 && threshold < 1)) throw new BatchContractError(`model attribute ${DECISION_THRESHOLD_ATTRIBUTE} is ${JSON.stringify(thresholdText)}, not a number between 0 and 1`);
  return { header, inputs: encodings.map((encoding) => ({ encoding, position: header.indexOf(encoding.column) })), threshold };
}

/** tabular.ts's NUMBER_LITERAL (`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`) by char codes: the hot loop of a batch. */
function isDecimalLiteral(text: string): boolean {
  const n = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  if (c === 43 || c === 45) i++;
  let digits = 0;
  while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) (i++, digits++);
  if (i < n && text.charCodeAt(i) === 46) {
    i++;
    while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) (i++, digits++);
  }
  if (digits === 0) return false;
  if (i < n) {
    c = text.charCodeAt(i);
    if (c !== 101 && c !== 69) return false;
    i++;
    if (i < n && ((c = text.charCodeAt(i)) === 43 || c === 45)) i++;
    let exponent = 0;
    while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) (i++, exponent++);
    if (exponent === 0) return false;
  }
  return i === n;
}
const NON_FINITE_LITERAL = /^[+-]?(inf|infinity|nan)$/i;
const FLOAT32_MAX = 3.4028234663852886e38;
const MISSING = new Set(DEFAULT_MISSING_VALUES.map((token) => token.toLowerCase()));

/** Encodes records into a float32 matrix; a record that fails is reported and leaves its slot unused. */
export interface RowEncoder {
  /** Writes the row's inputs at `out[offset..]`; returns undefined, or the rejection. */
  encode(fields: readonly string[], row: number, out: Float32Array, offset: number): RowRejection | undefined;
  /**
   * `encode` straight from a record's bytes [start, end) (line end excluded), without building
   * its text or its fields: for an ASCII record without quotes, whose fields are then its
   * comma-separated bytes. Returns `TEXT_PATH` for any other record (or a wrong field count)
   * and writes nothing useful: decode it, split it and call `encode`. Same values, same
   * rejections: every cell the byte path does not read itself goes through `encode`'s cell rules.
   */
  encodeAscii(bytes: Uint8Array, start: number, end: number, row: number, out: Float32Array, offset: number): RowRejection | undefined | typeof TEXT_PATH;
  readonly width: number;
}

/** `encodeAscii`'s answer for a record it does not read: take the text path. */
export const TEXT_PATH = 'text-path';

const COMMA = 0x2c;
const QUOTE = 0x22;
const DOT = 0x2e;
const MINUS = 0x2d;
const PLUS = 0x2b;
const ZERO = 0x30;
const NINE = 0x39;
/** 10^0 … 10^22: exactly representable doubles. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** At most this many digits: the integer they spell is below 2^53, so exact. */
const MAX_FAST_DIGITS = 15;

/** ASCII whitespace that String.prototype.trim removes (TAB, LF, VT, FF, CR, space). */
const isAsciiSpace = (byte: number): boolean => byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);

/**
 * The value of a plain decimal cell `[+-]?\d+(\.\d*)?` or `[+-]?\.\d+` with at most 15
 * digits, or NaN when the cell has another form. Exactly `Number(text)`: the digits spell an
 * integer m < 2^53 and the fraction has f <= 15 digits, so m / 10^f is one correctly rounded
 * division of two exact doubles (Clinger's fast path).
 */
function plainDecimal(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  const first = bytes[i];
  if (first === MINUS || first === PLUS) {
    negative = first === MINUS;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const byte = bytes[i];
    if (byte >= ZERO && byte <= NINE) {
      mantissa = mantissa * 10 + (byte - ZERO);
      digits++;
    } else if (byte === DOT && fraction < 0) {
      fraction = digits;
    } else {
      return Number.NaN;
    }
  }
  if (digits === 0 || digits > MAX_FAST_DIGITS) return Number.NaN;
  const value = fraction < 0 || fraction === digits ? mantissa : mantissa / POW10[digits - fraction];
  return negative ? -value : value;
}

export function compileRowEncoder(contract: BatchContract): RowEncoder {
  const kinds = contract.inputs.map((input) => input.encoding.kind);
  const positions = contract.inputs.map((input) => input.position);
  const columns = contract.inputs.map((input) => input.encoding.column);
  const codes = contract.inputs.map((input) => (input.encoding.kind === 'categorical' ? new Map(input.encoding.categories.map((c, i) => [c, i])) : undefined));
  const unknown = contract.inputs.map((input) => (input.encoding.kind === 'categorical' ? input.encoding.unknownCode : NaN));
  const width = contract.inputs.length;
  const headerWidth = contract.header.length;
  const numeric = kinds.map((kind) => kind === 'numeric');
  const fieldStart = new Int32Array(headerWidth);
  const fieldEnd = new Int32Array(headerWidth);

  /** One cell's encoding into out[index]; the rules every path shares. */
  const encodeCell = (c: number, cell: string, row: number, out: Float32Array, index: number): RowRejection | undefined => {
    const text = cell.trim();
    if (text.length === 0 || (text.length <= 4 && MISSING.has(text.toLowerCase()))) {
      out[index] = NaN;
      return undefined;
    }
    switch (kinds[c]) {
      case 'numeric': {
        if (!isDecimalLiteral(text)) {
          const reason = NON_FINITE_LITERAL.test(text)
            ? `non-finite value '${text}' in a numeric column (leave the cell empty for a missing value)`
            : `value '${text}' is not a number`;
          return { row, column: columns[c], reason, value: text };
        }
        const value = Number(text);
        if (!Number.isFinite(value)) return { row, column: columns[c], reason: `value '${text}' overflows to infinity`, value: text };
        if (Math.abs(value) > FLOAT32_MAX) return { row, column: columns[c], reason: `value '${text}' is outside the float32 range the model uses`, value: text };
        out[index] = value;
        return undefined;
      }
      case 'boolean': {
        const value = parseBooleanToken(text);
        if (value === undefined) return { row, column: columns[c], reason: `value '${text}' is not a boolean (expected true/false/yes/no/1/0)`, value: text };
        out[index] = value;
        return undefined;
      }
      default:
        out[index] = codes[c]?.get(text) ?? unknown[c];
        return undefined;
    }
  };

  return {
    width,
    encode(fields, row, out, offset) {
      if (fields.length !== headerWidth) return { row, column: '', reason: `row has ${fields.length} fields but the header has ${headerWidth}`, value: '' };
      for (let c = 0; c < width; c++) {
        const rejection = encodeCell(c, fields[positions[c]], row, out, offset + c);
        if (rejection) return rejection;
      }
      return undefined;
    },
    encodeAscii(bytes, start, end, row, out, offset) {
      let field = 0;
      fieldStart[0] = start;
      for (let i = start; i < end; i++) {
        const byte = bytes[i];
        if (byte === COMMA) {
          if (field + 1 === headerWidth) return TEXT_PATH;
          fieldEnd[field++] = i;
          fieldStart[field] = i + 1;
        } else if (byte === QUOTE || byte >= 0x80) {
          return TEXT_PATH;
        }
      }
      if (field + 1 !== headerWidth) return TEXT_PATH;
      fieldEnd[field] = end;
      for (let c = 0; c < width; c++) {
        let a = fieldStart[positions[c]];
        let b = fieldEnd[positions[c]];
        const cellStart = a;
        const cellEnd = b;
        while (a < b && isAsciiSpace(bytes[a])) a++;
        while (b > a && isAsciiSpace(bytes[b - 1])) b--;
        if (a === b) {
          out[offset + c] = NaN;
          continue;
        }
        if (numeric[c]) {
          const value = plainDecimal(bytes, a, b);
          if (value === value) {
            out[offset + c] = value;
            continue;
          }
        }
        const rejection = encodeCell(c, asciiText(bytes, cellStart, cellEnd), row, out, offset + c);
        if (rejection) return rejection;
      }
      return undefined;
    },
  };
}

/** Bytes known to be ASCII as a string. */
function asciiText(bytes: Uint8Array, start: number, end: number): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.toString('latin1', start, end);
}
