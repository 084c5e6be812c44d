/**
 * GbdtModel -> ONNX (ai.onnx.ml TreeEnsembleClassifier / TreeEnsembleRegressor), the
 * metadata that travels inside the ONNX file, and a check of a conversion in
 * onnxruntime-node against the engine's own scorer.
 *
 * The graph, as FIELD-NOTES.md ("ONNX and onnxruntime-node 1.30") prescribes:
 * - input `input`: float32 [N, features], encoded features in model order, NaN = missing;
 * - binary:logistic -> TreeEnsembleClassifier, every leaf weight on class_id 0, one base
 *   value (the base margin), classlabels_int64s [0, 1], post_transform LOGISTIC; outputs
 *   `label` (int64 [N]) and `probabilities` (float32 [N, 2] = [1 - p, p]); no ZipMap.
 *   ORT derives `label` from the raw score, so callers take labels from the probability;
 * - reg:squarederror -> TreeEnsembleRegressor (SUM, post_transform NONE), output
 *   `prediction` (float32 [N, 1]);
 * - splits are BRANCH_LT (XGBoost's `x < threshold`, thresholds already float32) and
 *   `nodes_missing_value_tracks_true` is defaultLeft, so NaN takes the same branch.
 *
 * ORT sums leaves and applies the sigmoid in float32; the engine sums in float64. On the
 * fixture and benchmark models the probabilities differ by < 1e-7, inside the 1e-6
 * tolerance verifyOnnxConversion applies by default.
 */
import { onnx } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ColumnEncoding, FeatureSpec, GbdtModel, Objective, Tree } from './model';
import { checkModelStructure, predictBatch, PredictionInputError } from './predict';
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
const FORMAT_VERSION = '1';

const IR_VERSION = 8;
const OPSETS = [
  { domain: '', version: 15 },
  { domain: 'ai.onnx.ml', version: 3 },
];

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

/** onnxruntime's outputs differ from the engine's own predictions beyond the tolerance. */
export class OnnxConversionMismatchError extends Error {
  override readonly name = 'OnnxConversionMismatchError';
  constructor(
    readonly row: number,
    readonly expected: number,
    readonly actual: number,
    readonly tolerance: number,
  ) {
    super(`ONNX conversion check failed at sample row ${row}: onnxruntime gave ${actual}, the engine ${expected} (difference ${Math.abs(actual - expected)} > tolerance ${tolerance})`);
  }
}

const encoder = new TextEncoder();

function intsAttribute(name: string, values: readonly number[]): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...values] };
}
function floatsAttribute(name: string, values: readonly number[]): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.FLOATS, floats: [...values] };
}
function stringsAttribute(name: string, values: readonly string[]): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.STRINGS, strings: values.map((v) => encoder.encode(v)) };
}
function stringAttribute(name: string, value: string): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.STRING, s: encoder.encode(value) };
}
function intAttribute(name: string, value: number): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

function tensorValue(name: string, elemType: number, dims: readonly (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

interface NodeArrays {
  treeIds: number[]; nodeIds: number[]; featureIds: number[]; values: number[]; modes: string[];
  trueIds: number[]; falseIds: number[]; missingTrue: number[];
  leafTreeIds: number[]; leafNodeIds: number[]; leafWeights: number[];
}

/** Flattens the trees into ONNX's node lists; nodes are renumbered in breadth-first order. */
function flattenTrees(trees: readonly Tree[]): NodeArrays {
  const out: NodeArrays = {
    treeIds: [], nodeIds: [], featureIds: [], values: [], modes: [], trueIds: [], falseIds: [], missingTrue: [],
    leafTreeIds: [], leafNodeIds: [], leafWeights: [],
  };
  trees.forEach((tree, t) => {
    const order = [0];
    const id = new Map<number, number>([[0, 0]]);
    for (let i = 0; i < order.length; i++) {
      const node = order[i];
      if (tree.left[node] !== -1) {
        for (const child of [tree.left[node], tree.right[node]]) {
          id.set(child, order.length);
          order.push(child);
        }
      }
    }
    order.forEach((node, i) => {
      out.treeIds.push(t);
      out.nodeIds.push(i);
      if (tree.left[node] === -1) {
        out.featureIds.push(0); out.values.push(0); out.modes.push('LEAF');
        out.trueIds.push(0); out.falseIds.push(0); out.missingTrue.push(0);
        out.leafTreeIds.push(t); out.leafNodeIds.push(i); out.leafWeights.push(tree.leafValue[node]);
      } else {
        out.featureIds.push(tree.feature[node]);
        out.values.push(tree.threshold[node]);
        out.modes.push('BRANCH_LT');
        out.trueIds.push(id.get(tree.left[node]) as number);
        out.falseIds.push(id.get(tree.right[node]) as number);
        out.missingTrue.push(tree.defaultLeft[node]);
      }
    });
  });
  return out;
}

function treeEnsembleNode(model: GbdtModel): onnx.INodeProto {
  const n = flattenTrees(model.trees);
  const nodeAttributes = [
    intsAttribute('nodes_treeids', n.treeIds),
    intsAttribute('nodes_nodeids', n.nodeIds),
    intsAttribute('nodes_featureids', n.featureIds),
    floatsAttribute('nodes_values', n.values),
    stringsAttribute('nodes_modes', n.modes),
    intsAttribute('nodes_truenodeids', n.trueIds),
    intsAttribute('nodes_falsenodeids', n.falseIds),
    intsAttribute('nodes_missing_value_tracks_true', n.missingTrue),
    floatsAttribute('base_values', [model.baseMargin]),
  ];
  const classes = n.leafWeights.map(() => 0);
  if (model.objective === 'binary:logistic') {
    return {
      opType: 'TreeEnsembleClassifier',
      domain: 'ai.onnx.ml',
      name: 'gbdt',
      input: [ONNX_INPUT],
      output: [ONNX_LABEL_OUTPUT, ONNX_PROBABILITIES_OUTPUT],
      attribute: [
        ...nodeAttributes,
        intsAttribute('class_treeids', n.leafTreeIds),
        intsAttribute('class_nodeids', n.leafNodeIds),
        intsAttribute('class_ids', classes),
        floatsAttribute('class_weights', n.leafWeights),
        intsAttribute('classlabels_int64s', [0, 1]),
        stringAttribute('post_transform', 'LOGISTIC'),
      ],
    };
  }
  return {
    opType: 'TreeEnsembleRegressor',
    domain: 'ai.onnx.ml',
    name: 'gbdt',
    input: [ONNX_INPUT],
    output: [ONNX_PREDICTION_OUTPUT],
    attribute: [
      ...nodeAttributes,
      intsAttribute('target_treeids', n.leafTreeIds),
      intsAttribute('target_nodeids', n.leafNodeIds),
      intsAttribute('target_ids', classes),
      floatsAttribute('target_weights', n.leafWeights),
      intAttribute('n_targets', 1),
      stringAttribute('aggregate_function', 'SUM'),
      stringAttribute('post_transform', 'NONE'),
    ],
  };
}

function metadataProps(model: GbdtModel): onnx.IStringStringEntryProto[] {
  const entries: [string, string][] = [
    [ONNX_METADATA_KEYS.formatVersion, FORMAT_VERSION],
    [ONNX_METADATA_KEYS.objective, model.objective],
    // Full double precision: ONNX's base_values attribute holds only a float32.
    [ONNX_METADATA_KEYS.baseMargin, String(model.baseMargin)],
    [ONNX_METADATA_KEYS.featureNames, JSON.stringify(model.features.map((f) => f.name))],
    [ONNX_METADATA_KEYS.features, JSON.stringify(model.features.map(({ name, column, type }) => ({ name, column, type })))],
    [ONNX_METADATA_KEYS.attributes, JSON.stringify(model.attributes ?? {})],
    [ONNX_METADATA_KEYS.treeCount, String(model.trees.length)],
  ];
  if (model.encodings !== undefined) entries.push([ONNX_METADATA_KEYS.encodings, JSON.stringify(model.encodings)]);
  if (model.bestIteration !== undefined) entries.push([ONNX_METADATA_KEYS.bestIteration, String(model.bestIteration)]);
  return entries.map(([key, value]) => ({ key, value }));
}

/** Serialized ONNX model (protobuf bytes) that scores rows like predictBatch does. */
export function convertToOnnx(model: GbdtModel, options: { readonly graphName?: string } = {}): Uint8Array {
  checkModelStructure(model);
  const width = model.features.length;
  const outputs = model.objective === 'binary:logistic'
    ? [tensorValue(ONNX_LABEL_OUTPUT, onnx.TensorProto.DataType.INT64, ['N']), tensorValue(ONNX_PROBABILITIES_OUTPUT, onnx.TensorProto.DataType.FLOAT, ['N', 2])]
    : [tensorValue(ONNX_PREDICTION_OUTPUT, onnx.TensorProto.DataType.FLOAT, ['N', 1])];
  const proto: onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: OPSETS,
    producerName: 'luminaops',
    producerVersion: FORMAT_VERSION,
    docString: `Gradient-boosted trees (${model.objective}, ${model.trees.length} trees) converted by LuminaOps`,
    graph: {
      name: options.graphName ?? 'luminaops_gbdt',
      node: [treeEnsembleNode(model)],
      input: [tensorValue(ONNX_INPUT, onnx.TensorProto.DataType.FLOAT, ['N', width])],
      output: outputs,
    },
    metadataProps: metadataProps(model),
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
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

/** Reads back the metadata convertToOnnx wrote (e.g. at endpoint start), validated. */
/** ModelProto's `graph` field number (onnx.proto). */
const MODEL_PROTO_GRAPH_FIELD = 7;

/**
 * A protobuf message's bytes without one top-level field (every occurrence), found by walking
 * the wire format's tags; undefined when the bytes do not walk cleanly (the full decode then
 * reports what is wrong).
 */
function withoutTopLevelField(bytes: Uint8Array, field: number): Uint8Array | undefined {
  const kept: Uint8Array[] = [];
  let at = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 49; shift += 7) {
      if (at >= bytes.length) return undefined;
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    return undefined;
  };
  while (at < bytes.length) {
    const start = at;
    const tag = varint();
    if (tag === undefined) return undefined;
    const wireType = tag % 8;
    if (wireType === 0) {
      if (varint() === undefined) return undefined;
    } else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else if (wireType === 2) {
      const length = varint();
      if (length === undefined) return undefined;
      at += length;
    } else return undefined;
    if (at > bytes.length) return undefined;
    if (Math.floor(tag / 8) !== field) kept.push(bytes.subarray(start, at));
  }
  const out = new Uint8Array(kept.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of kept) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function readOnnxMetadata(bytes: Uint8Array): OnnxModelMetadata {
  let proto: onnx.ModelProto;
  try {
    // The metadata is all this reads: leave the graph (the trees, most of the bytes) undecoded.
    proto = onnx.ModelProto.decode(withoutTopLevelField(bytes, MODEL_PROTO_GRAPH_FIELD) ?? bytes);
  } catch (error) {
    throw new OnnxMetadataError('(model)', `the bytes are not an ONNX model: ${(error as Error).message}`);
  }
  const props = new Map<string, string>();
  for (const entry of proto.metadataProps) props.set(entry.key ?? '', entry.value ?? '');
  const required = (key: string): string => {
    const value = props.get(key);
    if (value === undefined) throw new OnnxMetadataError(key, 'is missing (was the model converted by LuminaOps?)');
    return value;
  };
  const K = ONNX_METADATA_KEYS;
  const version = required(K.formatVersion);
  if (version !== FORMAT_VERSION) throw new OnnxMetadataError(K.formatVersion, `is ${JSON.stringify(version)}; this code reads version ${FORMAT_VERSION}`);

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

export interface OnnxVerification {
  readonly rows: number;
  /** Largest |ONNX - engine| over the sample (probabilities, or values for regression). */
  readonly maxAbsDiff: number;
  /** Sample row where it occurred. */
  readonly worstRow: number;
  readonly tolerance: number;
}

/**
 * Scores the sample rows with onnxruntime-node and with predict.ts and compares.
 * binary:logistic: |p_onnx - p_engine| <= tolerance for both columns of [1 - p, p].
 * Regression: |y_onnx - y_engine| <= tolerance * max(1, |y_engine|), because ONNX works in
 * float32 and a float32 near 1000 is only good to ~6e-5.
 * Throws OnnxConversionMismatchError on the first row over the tolerance.
 */
export async function verifyOnnxConversion(
  model: GbdtModel,
  onnxBytes: Uint8Array,
  sampleRows: Float32Array | readonly (readonly number[])[],
  options: { readonly tolerance?: number } = {},
): Promise<OnnxVerification> {
  const tolerance = options.tolerance ?? 1e-6;
  const width = model.features.length;
  const rows = sampleRows instanceof Float32Array ? sampleRows : Float32Array.from(sampleRows.flatMap((row, r) => {
    if (row.length !== width) throw new PredictionInputError(`sampleRows[${r}]`, `has ${row.length} values but the model expects ${width} features`);
    return row;
  }));
  if (rows.length === 0 || rows.length % width !== 0) {
    throw new PredictionInputError('sampleRows', `needs at least one row of ${width} values, got ${rows.length} values`);
  }
  const nRows = rows.length / width;
  const expected = predictBatch(model, rows, nRows).predictions;
  const session = await InferenceSession.create(onnxBytes);
  try {
    const outputName = model.objective === 'binary:logistic' ? ONNX_PROBABILITIES_OUTPUT : ONNX_PREDICTION_OUTPUT;
    const result = await session.run({ [ONNX_INPUT]: new Tensor('float32', rows, [nRows, width]) }, [outputName]);
    const data = result[outputName].data as Float32Array;
    let maxAbsDiff = 0;
    let worstRow = 0;
    for (let r = 0; r < nRows; r++) {
      const pairs: [number, number][] = model.objective === 'binary:logistic'
        ? [[expected[r], data[2 * r + 1]], [1 - expected[r], data[2 * r]]]
        : [[expected[r], data[r]]];
      for (const [want, got] of pairs) {
        const diff = Math.abs(got - want);
        const allowed = model.objective === 'binary:logistic' ? tolerance : tolerance * Math.max(1, Math.abs(want));
        if (!(diff <= allowed)) throw new OnnxConversionMismatchError(r, want, got, allowed);
        if (diff > maxAbsDiff) {
          maxAbsDiff = diff;
          worstRow = r;
        }
      }
    }
    return { rows: nRows, maxAbsDiff, worstRow, tolerance };
  } finally {
    await session.release();
  }
}
