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
import type { GbdtModel, Tree } from './model';
import { checkModelStructure, predictBatch, PredictionInputError } from './predict';
import { ONNX_FORMAT_VERSION, ONNX_INPUT, ONNX_LABEL_OUTPUT, ONNX_METADATA_KEYS, ONNX_PREDICTION_OUTPUT, ONNX_PROBABILITIES_OUTPUT } from './onnx-metadata';

export {
  ONNX_FORMAT_VERSION,
  ONNX_INPUT,
  ONNX_LABEL_OUTPUT,
  ONNX_METADATA_KEYS,
  ONNX_PREDICTION_OUTPUT,
  ONNX_PROBABILITIES_OUTPUT,
  OnnxMetadataError,
  type OnnxModelMetadata,
  readOnnxMetadata,
  scoreWithOnnx,
} from './onnx-metadata';


const IR_VERSION = 8;
const OPSETS = [
  { domain: '', version: 15 },
  { domain: 'ai.onnx.ml', version: 3 },
];

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
    [ONNX_METADATA_KEYS.formatVersion, ONNX_FORMAT_VERSION],
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
    producerVersion: ONNX_FORMAT_VERSION,
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
