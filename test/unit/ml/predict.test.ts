import type { GbdtModel } from '../../../lambdas/core/ml/model';
import {
  checkModelStructure,
  ModelStructureError,
  predictBatch,
  predictMargin,
  PredictionInputError,
  predictRow,
  sigmoid,
} from '../../../lambdas/core/ml/predict';
import { handBuiltModel as tinyModel, handTree as tree } from './hand-built-gbdt';

describe('predictMargin and predictRow', () => {
  it.each([
    { row: [0, 0], margin: -0.5 + 1 + 0.2, why: 'both left' },
    { row: [1, 3], margin: -0.5 + 0.5 - 0.2, why: 'both right' },
    { row: [NaN, 1.5], margin: -0.5 + 1 - 0.2, why: 'missing a follows default left' },
    { row: [0.7, NaN], margin: -0.5 + 0.5 - 0.2, why: 'missing b follows default right in both trees' },
    { row: [0.5, 2], margin: -0.5 + 0.5 - 0.2, why: 'a value equal to the threshold goes right (x < c)' },
  ])('scores $row by hand: $why', ({ row, margin }) => {
    // Act
    const got = predictMargin(tinyModel, row);
    const probability = predictRow(tinyModel, row);

    // Assess
    expect(got).toBeCloseTo(margin, 12);
    expect(probability).toBeCloseTo(1 / (1 + Math.exp(-margin)), 12);
  });

  it('compares inputs as float32, like XGBoost and ONNX do', () => {
    // Prepare: the threshold is float32(0.1), slightly above the double 0.1
    const model: GbdtModel = {
      ...tinyModel,
      trees: [tree([
        { left: 1, right: 2, feature: 0, threshold: 0.1, cover: 2 },
        { left: -1, right: -1, leaf: -1, cover: 1 },
        { left: -1, right: -1, leaf: 1, cover: 1 },
      ])],
    };

    // Act: float32(0.1) is not < float32(0.1), though the double 0.1 is
    const margin = predictMargin(model, [0.1, 0]);

    // Assess
    expect(margin).toBeCloseTo(-0.5 + 1, 12);
  });

  it('returns the margin itself for regression', () => {
    // Prepare
    const model: GbdtModel = { ...tinyModel, objective: 'reg:squarederror', baseMargin: 10 };

    // Act
    const value = predictRow(model, [1, 3]);

    // Assess
    expect(value).toBeCloseTo(10 + 0.5 - 0.2, 12);
  });

  it('rejects a row of the wrong width, naming the expected features', () => {
    // Act
    const act = (): number => predictMargin(tinyModel, [1, 2, 3]);

    // Assess
    expect(act).toThrow(PredictionInputError);
    expect(act).toThrow('row: has 3 values but the model expects 2 features (a, b)');
  });
});

describe('predictBatch', () => {
  const rows = [[0, 0], [1, 3], [NaN, 1.5], [0.7, NaN]];

  it('scores row-major and column-major batches like single rows', () => {
    // Prepare
    const rowMajor = Float32Array.from(rows.flat());
    const columnMajor = Float32Array.from([...rows.map((r) => r[0]), ...rows.map((r) => r[1])]);

    // Act
    const a = predictBatch(tinyModel, rowMajor, rows.length);
    const b = predictBatch(tinyModel, columnMajor, rows.length, { layout: 'column-major' });

    // Assess
    const margins = rows.map((r) => predictMargin(tinyModel, r));
    expect(Array.from(a.margins)).toEqual(margins);
    expect(Array.from(b.margins)).toEqual(margins);
    expect(Array.from(a.predictions)).toEqual(margins.map(sigmoid));
  });

  it('rejects a batch whose length is not rows x features', () => {
    // Act
    const act = (): unknown => predictBatch(tinyModel, new Float32Array(7), 4);

    // Assess
    expect(act).toThrow(PredictionInputError);
    expect(act).toThrow('rows.length: is 7 but 4 rows of 2 features need 8 values');
  });
});

describe('checkModelStructure', () => {
  it('accepts a valid model', () => {
    expect(() => checkModelStructure(tinyModel)).not.toThrow();
  });

  it.each([
    {
      why: 'a child outside the tree',
      nodes: [{ left: 1, right: 5, feature: 0, cover: 2 }, { left: -1, right: -1, cover: 1 }],
      message: 'trees[0].right[0]: child 5 is outside 1..1',
    },
    {
      why: 'a node reached twice',
      nodes: [{ left: 1, right: 1, feature: 0, cover: 2 }, { left: -1, right: -1, cover: 1 }],
      message: 'trees[0]: node 1 is reached twice',
    },
    {
      why: 'a split on a feature the model does not have',
      nodes: [{ left: 1, right: 2, feature: 2, cover: 2 }, { left: -1, right: -1, cover: 1 }, { left: -1, right: -1, cover: 1 }],
      message: 'trees[0].feature[0]: feature 2 is outside 0..1',
    },
  ])('rejects $why with the path to it', ({ nodes, message }) => {
    // Prepare
    const model: GbdtModel = { ...tinyModel, trees: [tree(nodes)] };

    // Act
    const act = (): void => checkModelStructure(model);

    // Assess
    expect(act).toThrow(ModelStructureError);
    expect(act).toThrow(message);
  });
});
