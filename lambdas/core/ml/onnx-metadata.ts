/**
 * What scoring needs of an ONNX model made by convertToOnnx (onnx.ts): its input and output
 * names, the metadata it carries (feature order, encodings, objective), read and validated,
 * and a scoring call on an onnxruntime-node session. Kept apart from the converter so the
 * functions that only score do not bundle onnx-proto.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ColumnEncoding, FeatureSpec, Objective } from './model';
import { PredictionInputError } from './predict';
import { parseEncoding } from './xgboost-json';

export const ONNX_INPUT = 'input';
export const ONNX_LABEL_OUTPUT = 'label';
export const ONNX_PROBABILITIES_OUTPUT = 'probabilities';
export const ONNX_PREDICTION_OUTPUT = 'prediction';

/** Keys of the model's metadata_props. */
export const ONNX_METADATA_KEYS = {
  formatVersion: 'luminaops.format_version',
  objective: 'luminaops.objective',
  baseMargin: 'luminaops.base_margin',
  featureNames: 'luminaops.feature_names',
  features: 'luminaops.features',
  encodings: 'luminaops.encodings',
  attributes: 'luminaops.attributes',
  bestIteration: 'luminaops.best_iteration',
  treeCount: 'luminaops.tree_count',
} as const;
/** The metadata layout convertToOnnx writes and readOnnxMetadata reads. */
export const ONNX_FORMAT_VERSION = '1';

/** ONNX bytes whose metadata is missing or not what the engine wrote. */
export class OnnxMetadataError extends Error {
  override readonly name = 'OnnxMetadataError';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`ONNX metadata ${key}: ${reason}`);
  }
}

/** What the engine records in an ONNX model's metadata_props. */
export interface OnnxModelMetadata {
  readonly objective: Objective;
  readonly baseMargin: number;
  /** Names of the encoded inputs, in the order of the input tensor's columns. */
  readonly featureNames: readonly string[];
  readonly features: readonly FeatureSpec[];
  readonly encodings?: readonly ColumnEncoding[];
  readonly attributes: Readonly<Record<string, string>>;
  readonly bestIteration?: number;
  readonly treeCount: number;
}

function parseJsonEntry(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new OnnxMetadataError(key, `is not valid JSON: ${(error as Error).message}`);
  }
}

function integerEntry(key: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new OnnxMetadataError(key, `must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** ModelProto's `metadata_props` field, and StringStringEntryProto's `key` and `value` (onnx.proto). */
const MODEL_PROTO_METADATA_FIELD = 14;
const ENTRY_KEY_FIELD = 1;
const ENTRY_VALUE_FIELD = 2;

const utf8 = new TextDecoder();

/**
 * Calls `onField(field, bytes)` for every length-delimited field of a protobuf message and
 * steps over the others by their wire type. Throws on bytes that do not walk cleanly.
 */
function forEachLengthDelimited(bytes: Uint8Array, onField: (field: number, value: Uint8Array) => void): void {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (at >= bytes.length) throw new Error(`a varint runs past the end at byte ${at}`);
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new Error(`a varint longer than 10 bytes ends at byte ${at}`);
  };
  while (at < bytes.length) {
    const tagAt = at;
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 0) throw new Error(`field number 0 at byte ${tagAt}`);
    if (wireType === 0) varint();
    else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else if (wireType === 2) {
      const length = varint();
      if (at + length > bytes.length) throw new Error(`field ${field} at byte ${tagAt} is ${length} bytes long, past the end`);
      onField(field, bytes.subarray(at, at + length));
      at += length;
    } else throw new Error(`wire type ${wireType} of field ${field} at byte ${tagAt} is not one ONNX uses`);
    if (at > bytes.length) throw new Error(`field ${field} at byte ${tagAt} runs past the end`);
  }
}

/**
 * A model's metadata_props, read straight from the wire format: the graph (the trees, most of
 * the bytes) is stepped over, and no protobuf schema is loaded, which keeps onnx-proto out of
 * the functions that only score (their cold start compiles every byte of their bundle).
 */
function readMetadataProps(bytes: Uint8Array): Map<string, string> {
  const props = new Map<string, string>();
  forEachLengthDelimited(bytes, (field, entry) => {
    if (field !== MODEL_PROTO_METADATA_FIELD) return;
    let key = '';
    let value = '';
    forEachLengthDelimited(entry, (entryField, text) => {
      if (entryField === ENTRY_KEY_FIELD) key = utf8.decode(text);
      else if (entryField === ENTRY_VALUE_FIELD) value = utf8.decode(text);
    });
    props.set(key, value);
  });
  return props;
}

/** Reads back the metadata convertToOnnx wrote (e.g. at endpoint start), validated. */
export function readOnnxMetadata(bytes: Uint8Array): OnnxModelMetadata {
  let props: Map<string, string>;
  try {
    props = readMetadataProps(bytes);
  } catch (error) {
    throw new OnnxMetadataError('(model)', `the bytes are not an ONNX model: ${(error as Error).message}`);
  }
  const required = (key: string): string => {
    const value = props.get(key);
    if (value === undefined) throw new OnnxMetadataError(key, 'is missing (was the model converted by LuminaOps?)');
    return value;
  };
  const K = ONNX_METADATA_KEYS;
  const version = required(K.formatVersion);
  if (version !== ONNX_FORMAT_VERSION) throw new OnnxMetadataError(K.formatVersion, `is ${JSON.stringify(version)}; this code reads version ${ONNX_FORMAT_VERSION}`);

  const objective = required(K.objective);
  if (objective !== 'binary:logistic' && objective !== 'reg:squarederror') {
    throw new OnnxMetadataError(K.objective, `must be binary:logistic or reg:squarederror, got ${JSON.stringify(objective)}`);
  }
  const baseMargin = Number(required(K.baseMargin));
  if (!Number.isFinite(baseMargin)) throw new OnnxMetadataError(K.baseMargin, `must be a finite number, got ${JSON.stringify(props.get(K.baseMargin))}`);

  const names = parseJsonEntry(K.featureNames, required(K.featureNames));
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
    throw new OnnxMetadataError(K.featureNames, 'must be a JSON list of strings');
  }
  const specsJson = parseJsonEntry(K.features, required(K.features));
  if (!Array.isArray(specsJson) || specsJson.length !== names.length) {
    throw new OnnxMetadataError(K.features, `must be a JSON list with one entry per feature name (${names.length})`);
  }
  const features: FeatureSpec[] = specsJson.map((spec: unknown, i) => {
    const s = (typeof spec === 'object' && spec !== null ? spec : {}) as Record<string, unknown>;
    const { name, column, type } = s;
    if (name !== names[i] || typeof column !== 'string' || (type !== 'float' && type !== 'categorical' && type !== 'boolean')) {
      throw new OnnxMetadataError(`${K.features}[${i}]`, `must be {name: ${JSON.stringify(names[i])}, column: string, type: float|categorical|boolean}`);
    }
    return { name, column, type };
  });

  const attributesJson = parseJsonEntry(K.attributes, required(K.attributes));
  if (typeof attributesJson !== 'object' || attributesJson === null || Array.isArray(attributesJson)
    || !Object.values(attributesJson).every((v) => typeof v === 'string')) {
    throw new OnnxMetadataError(K.attributes, 'must be a JSON object of strings');
  }
  const attributes = attributesJson as Record<string, string>;

  let encodings: ColumnEncoding[] | undefined;
  const encodingsText = props.get(K.encodings);
  if (encodingsText !== undefined) {
    const list = parseJsonEntry(K.encodings, encodingsText);
    if (!Array.isArray(list) || list.length !== features.length) {
      throw new OnnxMetadataError(K.encodings, `must be a JSON list with one encoding per feature (${features.length})`);
    }
    encodings = list.map((e: unknown, i) => parseEncoding(e, `${K.encodings}[${i}]`, (path, reason) => new OnnxMetadataError(path, reason)));
  }
  const bestText = props.get(K.bestIteration);
  return {
    objective,
    baseMargin,
    featureNames: names as string[],
    features,
    ...(encodings === undefined ? {} : { encodings }),
    attributes,
    ...(bestText === undefined ? {} : { bestIteration: integerEntry(K.bestIteration, bestText) }),
    treeCount: integerEntry(K.treeCount, required(K.treeCount)),
  };
}

/**
 * Runs an ONNX model made by convertToOnnx on row-major float32 rows and returns, per row,
 * the positive-class probability (binary:logistic) or the predicted value (regression).
 */
export async function scoreWithOnnx(
  session: InferenceSession,
  objective: Objective,
  rows: Float32Array,
  nRows: number,
): Promise<Float32Array> {
  if (nRows <= 0 || rows.length % nRows !== 0) {
    throw new PredictionInputError('rows.length', `is ${rows.length}, which is not ${nRows} rows of equal width`);
  }
  const width = rows.length / nRows;
  const outputName = objective === 'binary:logistic' ? ONNX_PROBABILITIES_OUTPUT : ONNX_PREDICTION_OUTPUT;
  const result = await session.run({ [ONNX_INPUT]: new Tensor('float32', rows, [nRows, width]) }, [outputName]);
  const data = result[outputName].data as Float32Array;
  if (objective !== 'binary:logistic') return data;
  const p = new Float32Array(nRows);
  for (let r = 0; r < nRows; r++) p[r] = data[2 * r + 1];
  return p;
}
