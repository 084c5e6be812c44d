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
import type { OnnxModelMetadata } from '../ml/onnx';
import { DEFAULT_MISSING_VALUES, parseBooleanToken } from '../ml/tabular';
import { BatchContractError } from './errors';
import { splitFields } from './csv-records';

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
  readonly width: number;
}

export function compileRowEncoder(contract: BatchContract): RowEncoder {
  const kinds = contract.inputs.map((input) => input.encoding.kind);
  const positions = contract.inputs.map((input) => input.position);
  const columns = contract.inputs.map((input) => input.encoding.column);
  const codes = contract.inputs.map((input) => (input.encoding.kind === 'categorical' ? new Map(input.encoding.categories.map((c, i) => [c, i])) : undefined));
  const unknown = contract.inputs.map((input) => (input.encoding.kind === 'categorical' ? input.encoding.unknownCode : NaN));
  const width = contract.inputs.length;
  const headerWidth = contract.header.length;
  return {
    width,
    encode(fields, row, out, offset) {
      if (fields.length !== headerWidth) return { row, column: '', reason: `row has ${fields.length} fields but the header has ${headerWidth}`, value: '' };
      for (let c = 0; c < width; c++) {
        const text = fields[positions[c]].trim();
        if (text.length === 0 || (text.length <= 4 && MISSING.has(text.toLowerCase()))) {
          out[offset + c] = NaN;
          continue;
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
            out[offset + c] = value;
            break;
          }
          case 'boolean': {
            const value = parseBooleanToken(text);
            if (value === undefined) return { row, column: columns[c], reason: `value '${text}' is not a boolean (expected true/false/yes/no/1/0)`, value: text };
            out[offset + c] = value;
            break;
          }
          default:
            out[offset + c] = codes[c]?.get(text) ?? unknown[c];
        }
      }
      return undefined;
    },
  };
}
