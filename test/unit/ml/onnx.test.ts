/**
 * @jest-environment ./test/unit/ml/onnxruntime-jest-environment.ts
 */
import { onnx } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { GbdtModel } from '../../../lambdas/core/ml/model';
import {
  convertToOnnx,
  ONNX_INPUT,
  ONNX_LABEL_OUTPUT,
  ONNX_PROBABILITIES_OUTPUT,
  OnnxConversionMismatchError,
  OnnxMetadataError,
  readOnnxMetadata,
  scoreWithOnnx,
  verifyOnnxConversion,
} from '../../../lambdas/core/ml/onnx';
import { ModelStructureError, predictRow } from '../../../lambdas/core/ml/predict';
import { readXgboostJson } from '../../../lambdas/core/ml/xgboost-json';
import { fixtureExpectations, fixtureModelText } from '../../fixtures/xgboost/xgboost-fixtures';
import { handBuiltModel, handTree } from './hand-built-gbdt';

function attribute(node: onnx.INodeProto, name: string): onnx.IAttributeProto {
  const found = node.attribute?.find((a) => a.name === name);
  if (found === undefined) throw new Error(`attribute ${name} missing`);
  return found;
}
const text = (bytes: Uint8Array | null | undefined): string => new TextDecoder().decode(bytes ?? new Uint8Array());

describe('convertToOnnx graph (FIELD-NOTES recipe for a binary TreeEnsembleClassifier)', () => {
  const proto = onnx.ModelProto.decode(convertToOnnx(handBuiltModel));
  const node = proto.graph?.node?.[0] as onnx.INodeProto;

  it('puts every leaf weight on class 0 with one base value, labels [0, 1] and LOGISTIC', () => {
    // Assess
    expect(node.opType).toBe('TreeEnsembleClassifier');
    expect(node.domain).toBe('ai.onnx.ml');
    expect(node.output).toEqual([ONNX_LABEL_OUTPUT, ONNX_PROBABILITIES_OUTPUT]);
    expect(attribute(node, 'class_ids').ints?.map(Number)).toEqual([0, 0, 0, 0, 0]);
    expect(attribute(node, 'class_weights').floats).toEqual([1, -1, 0.5, 0.2, -0.2].map(Math.fround));
    expect(attribute(node, 'base_values').floats).toEqual([-0.5]);
    expect(attribute(node, 'classlabels_int64s').ints?.map(Number)).toEqual([0, 1]);
    expect(text(attribute(node, 'post_transform').s)).toBe('LOGISTIC');
    expect(proto.graph?.node).toHaveLength(1);
  });

  it("encodes XGBoost's x < c rule as BRANCH_LT and missing values from defaultLeft", () => {
    // Assess: tree 0 breadth-first is [split a, leaf, split b, leaf, leaf], tree 1 [split b, leaf, leaf]
    expect(attribute(node, 'nodes_modes').strings?.map(text)).toEqual(['BRANCH_LT', 'LEAF', 'BRANCH_LT', 'LEAF', 'LEAF', 'BRANCH_LT', 'LEAF', 'LEAF']);
    expect(attribute(node, 'nodes_values').floats?.filter((_, i) => [0, 2, 5].includes(i))).toEqual([0.5, 2, 1]);
    expect(attribute(node, 'nodes_missing_value_tracks_true').ints?.map(Number)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('records feature order, encodings, objective, base margin and attributes in metadata', () => {
    // Prepare
    const model: GbdtModel = { ...handBuiltModel, attributes: { dataset_version: 'v7' }, bestIteration: 1 };

    // Act
    const metadata = readOnnxMetadata(convertToOnnx(model));

    // Assess
    expect(metadata).toEqual({
      objective: 'binary:logistic',
      baseMargin: -0.5,
      featureNames: ['a', 'b'],
      features: handBuiltModel.features,
      encodings: handBuiltModel.encodings,
      attributes: { dataset_version: 'v7' },
      bestIteration: 1,
      treeCount: 2,
    });
  });
});

describe('ONNX outputs in onnxruntime-node', () => {
  it('equal the hand-computed probabilities, with [1 - p, p] and no ZipMap', async () => {
    // Prepare: both-left, both-right, missing values, values on the thresholds
    const rows = [[0, 0], [1, 3], [NaN, 1.5], [0.7, NaN], [0.5, 2]];
    const session = await InferenceSession.create(convertToOnnx(handBuiltModel));

    // Act
    const result = await session.run({ [ONNX_INPUT]: new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 2]) });
    await session.release();

    // Assess
    const probabilities = result[ONNX_PROBABILITIES_OUTPUT];
    expect(probabilities.dims).toEqual([rows.length, 2]);
    expect(result[ONNX_LABEL_OUTPUT].data).toBeInstanceOf(BigInt64Array);
    const data = probabilities.data as Float32Array;
    rows.forEach((row, r) => {
      const p = predictRow(handBuiltModel, row);
      expect(Math.abs(data[2 * r + 1] - p)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(data[2 * r] - (1 - p))).toBeLessThanOrEqual(1e-6);
    });
  });

  it("equal the engine's predictions on the XGBoost binary fixture (max abs diff <= 1e-6)", async () => {
    // Prepare
    const expected = fixtureExpectations('binary-logistic');
    const model = readXgboostJson(fixtureModelText('binary-logistic'));

    // Act
    const check = await verifyOnnxConversion(model, convertToOnnx(model), expected.rows);

    // Assess
    expect(check.rows).toBe(expected.rows.length);
    expect(check.maxAbsDiff).toBeLessThanOrEqual(1e-6);
  });

  it("equal the engine's values on the XGBoost regression fixture", async () => {
    // Prepare
    const expected = fixtureExpectations('regression');
    const model = readXgboostJson(fixtureModelText('regression'));
    const bytes = convertToOnnx(model);
    const session = await InferenceSession.create(bytes);

    // Act
    const check = await verifyOnnxConversion(model, bytes, expected.rows);
    const values = await scoreWithOnnx(session, model.objective, Float32Array.from(expected.rows.flat()), expected.rows.length);
    await session.release();

    // Assess
    expect(check.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    values.forEach((v, r) => expect(Math.abs(v - expected.predictions[r])).toBeLessThanOrEqual(1e-5));
  });

  it('reports a conversion that does not score like the model, naming the row', async () => {
    // Prepare: ONNX bytes of a model whose second tree has a different leaf
    const other: GbdtModel = {
      ...handBuiltModel,
      trees: [handBuiltModel.trees[0], handTree([
        { left: 1, right: 2, feature: 1, threshold: 1, cover: 10 },
        { left: -1, right: -1, leaf: 0.2, cover: 5 },
        { left: -1, right: -1, leaf: 0.3, cover: 5 },
      ])],
    };

    // Act
    const check = verifyOnnxConversion(handBuiltModel, convertToOnnx(other), [[0, 0], [1, 3]]);

    // Assess
    await expect(check).rejects.toThrow(OnnxConversionMismatchError);
    await expect(check).rejects.toThrow(/^ONNX conversion check failed at sample row 1: /);
  });

  it('rejects sample rows of the wrong width before running', async () => {
    await expect(verifyOnnxConversion(handBuiltModel, convertToOnnx(handBuiltModel), [[0, 0, 0]]))
      .rejects.toThrow('sampleRows[0]: has 3 values but the model expects 2 features');
  });
});

describe('convertToOnnx and readOnnxMetadata errors', () => {
  it('refuses to convert a model with broken trees', () => {
    // Prepare
    const broken: GbdtModel = { ...handBuiltModel, trees: [handTree([{ left: 1, right: 7, feature: 0, cover: 1 }, { left: -1, right: -1, cover: 1 }])] };

    // Act + Assess
    expect(() => convertToOnnx(broken)).toThrow(ModelStructureError);
    expect(() => convertToOnnx(broken)).toThrow('trees[0].right[0]: child 7 is outside 1..1');
  });

  it('names the missing key when the ONNX model was not written by LuminaOps', () => {
    // Prepare
    const foreign = onnx.ModelProto.encode({ irVersion: 8, graph: { name: 'other' } }).finish();

    // Act
    const act = (): unknown => readOnnxMetadata(foreign);

    // Assess
    expect(act).toThrow(OnnxMetadataError);
    expect(act).toThrow('ONNX metadata luminaops.format_version: is missing (was the model converted by LuminaOps?)');
  });

  it('reads the metadata wherever the graph sits among the fields, and refuses bytes that are no model', () => {
    // Prepare: the graph written after the metadata, and again before it (the reader skips every occurrence undecoded).
    const bytes = convertToOnnx(handBuiltModel);
    const proto = onnx.ModelProto.decode(bytes);
    const graph = onnx.GraphProto.encode(proto.graph as onnx.GraphProto).finish();
    const graphField = Uint8Array.from([0x3a, ...varint(graph.length), ...graph]);
    const reordered = Uint8Array.from([...graphField, ...bytes]);

    // Act + Assess
    expect(readOnnxMetadata(reordered)).toEqual(readOnnxMetadata(bytes));
    expect(readOnnxMetadata(bytes).featureNames).toEqual(handBuiltModel.features.map((f) => f.name));
    expect(() => readOnnxMetadata(bytes.subarray(0, bytes.length - 3))).toThrow(OnnxMetadataError);
    expect(() => readOnnxMetadata(new TextEncoder().encode('not a model at all'))).toThrow(OnnxMetadataError);
  });

  it('names the key whose value is malformed', () => {
    // Prepare
    const proto = onnx.ModelProto.decode(convertToOnnx(handBuiltModel));
    const entry = proto.metadataProps.find((p) => p.key === 'luminaops.base_margin') as onnx.StringStringEntryProto;
    entry.value = 'abc';

    // Act
    const act = (): unknown => readOnnxMetadata(onnx.ModelProto.encode(proto).finish());

    // Assess
    expect(act).toThrow('ONNX metadata luminaops.base_margin: must be a finite number, got "abc"');
  });
});

/** A protobuf varint's bytes. */
function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}
