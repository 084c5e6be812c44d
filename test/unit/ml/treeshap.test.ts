import type { GbdtModel } from '../../../lambdas/core/ml/model';
import { PredictionInputError, predictMargin } from '../../../lambdas/core/ml/predict';
import {
  contributionsByColumn,
  createTreeExplainer,
  gainImportance,
  meanAbsoluteShap,
  shapValues,
  shapValuesBatch,
  topRiskFactors,
  TreeShapError,
} from '../../../lambdas/core/ml/treeshap';
import { readXgboostJson } from '../../../lambdas/core/ml/xgboost-json';
import { fixtureExpectations, fixtureModelText, type FixtureName } from '../../fixtures/xgboost/xgboost-fixtures';
import { handBuiltModel, handTree } from './hand-built-gbdt';

const sum = (values: ArrayLike<number>): number => Array.from(values).reduce((a, b) => a + b, 0);

describe('shapValues on the hand-built model', () => {
  // Shapley values of tree 0 worked by hand from v(S), the cover-weighted expectation:
  // row [1, 3]: v() = 0.25, v(a) = -0.25, v(b) = 0.7, v(ab) = 0.5 -> a: -0.35, b: 0.6
  // row [0, 0]: v() = 0.25, v(a) = 1, v(b) = -0.2, v(ab) = 1 -> a: 0.975, b: -0.225
  // Tree 1 has one split on b, so b takes leaf - expected value (0): -0.2 and 0.2.
  it.each([
    { row: [1, 3], a: -0.35, b: 0.6 - 0.2 },
    { row: [0, 0], a: 0.975, b: -0.225 + 0.2 },
  ])('gives the hand-computed contributions for $row', ({ row, a, b }) => {
    // Act
    const phi = shapValues(handBuiltModel, row);

    // Assess
    expect(phi).toHaveLength(3);
    expect(phi[0]).toBeCloseTo(a, 12);
    expect(phi[1]).toBeCloseTo(b, 12);
    expect(phi[2]).toBeCloseTo(-0.5 + 0.25, 12);
  });

  it('gives missing values the contribution of their default branch', () => {
    // Act: a is missing and defaults left, like a = 0
    const missing = shapValues(handBuiltModel, [NaN, 0]);
    const zero = shapValues(handBuiltModel, [0, 0]);

    // Assess
    expect(Array.from(missing)).toEqual(Array.from(zero));
  });

  it('sums to the margin (local accuracy)', () => {
    for (const row of [[1, 3], [0, 0], [NaN, 1.5], [0.7, NaN], [0.5, 2]]) {
      expect(sum(shapValues(handBuiltModel, row))).toBeCloseTo(predictMargin(handBuiltModel, row), 12);
    }
  });

  it('rejects a row of the wrong width', () => {
    // Act
    const act = (): unknown => shapValues(handBuiltModel, [1]);

    // Assess
    expect(act).toThrow(PredictionInputError);
    expect(act).toThrow('row: has 1 values but the model expects 2 features');
  });

  it('refuses a model whose split node has no cover, naming the node', () => {
    // Prepare
    const model: GbdtModel = {
      ...handBuiltModel,
      trees: [handTree([
        { left: 1, right: 2, feature: 0, threshold: 0.5, cover: 0 },
        { left: -1, right: -1, leaf: 1, cover: 0 },
        { left: -1, right: -1, leaf: 2, cover: 0 },
      ])],
    };

    // Act
    const act = (): unknown => createTreeExplainer(model);

    // Assess
    expect(act).toThrow(TreeShapError);
    expect(act).toThrow('trees[0].cover[0]: is 0; TreeSHAP needs the positive training cover of every split node');
  });
});

describe.each<FixtureName>(['binary-logistic', 'regression'])('shapValues on the XGBoost %s fixture', (name) => {
  const expected = fixtureExpectations(name);
  const model = readXgboostJson(fixtureModelText(name));

  it("matches XGBoost's pred_contribs to 1e-5", () => {
    // Act
    const worst = expected.rows.reduce((w, row, r) => {
      const phi = shapValues(model, row);
      return Math.max(w, ...Array.from(phi, (v, j) => Math.abs(v - expected.contributions[r][j])));
    }, 0);

    // Assess
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it('sums to the margin on every stored row', () => {
    for (const row of expected.rows) {
      expect(Math.abs(sum(shapValues(model, row)) - predictMargin(model, row))).toBeLessThanOrEqual(1e-9);
    }
  });

  it('gives the same contributions in batches, row-major or column-major', () => {
    // Prepare
    const rows = expected.rows.slice(0, 5);
    const width = model.features.length;
    const rowMajor = Float64Array.from(rows.flat());
    const columnMajor = Float64Array.from({ length: rows.length * width }, (_, i) => rows[i % rows.length][Math.floor(i / rows.length)]);

    // Act
    const a = shapValuesBatch(model, rowMajor, rows.length);
    const b = shapValuesBatch(model, columnMajor, rows.length, { layout: 'column-major' });

    // Assess
    const one = rows.flatMap((row) => Array.from(shapValues(model, row)));
    expect(Array.from(a)).toEqual(one);
    expect(Array.from(b)).toEqual(one);
  });
});

describe('global importance', () => {
  it('averages |SHAP| per feature over rows', () => {
    // Act: contributions are (a, b) = (-0.35, 0.4) and (0.975, -0.025)
    const importance = meanAbsoluteShap(handBuiltModel, Float64Array.from([1, 3, 0, 0]), 2);

    // Assess
    expect(importance[0]).toBeCloseTo((0.35 + 0.975) / 2, 12);
    expect(importance[1]).toBeCloseTo((0.4 + 0.025) / 2, 12);
  });

  it('counts splits, gains and covers per feature like XGBoost get_score', () => {
    // Prepare
    const expected = fixtureExpectations('binary-logistic');
    const model = readXgboostJson(fixtureModelText('binary-logistic'));

    // Act + Assess
    for (const kind of ['weight', 'gain', 'total_gain', 'cover', 'total_cover'] as const) {
      const importance = gainImportance(model, kind);
      model.features.forEach((feature, f) => {
        const xgb = expected.importance[kind][feature.name] ?? 0;
        expect(Math.abs(importance[f] - xgb)).toBeLessThanOrEqual(1e-5 * Math.max(1, xgb));
      });
    }
  });

  it('gives total gain and split counts on the hand-built model', () => {
    expect(Array.from(gainImportance(handBuiltModel))).toEqual([5, 5]);
    expect(Array.from(gainImportance(handBuiltModel, 'weight'))).toEqual([1, 2]);
    expect(Array.from(gainImportance(handBuiltModel, 'gain'))).toEqual([5, 2.5]);
  });
});

describe('mapping contributions to user columns', () => {
  it('sums encoded features of the same column, in column order, ignoring the bias', () => {
    // Prepare
    const model: GbdtModel = {
      ...handBuiltModel,
      features: [
        { name: 'city_a', column: 'city', type: 'boolean' },
        { name: 'age', column: 'age', type: 'float' },
        { name: 'city_b', column: 'city', type: 'boolean' },
      ],
    };

    // Act
    const columns = contributionsByColumn(model, [0.5, -1, 0.25, 9]);

    // Assess
    expect(columns).toEqual([
      { column: 'city', contribution: 0.75 },
      { column: 'age', contribution: -1 },
    ]);
  });

  it('ranks risk factors by |contribution| with the value in the user terms and the direction', () => {
    // Act: row [1, 3] contributes age -0.35 and colour +0.4; code 3 is "purple"
    const top = topRiskFactors(handBuiltModel, [1, 3], 2);
    const first = topRiskFactors(handBuiltModel, [1, 3], 1);

    // Assess
    expect(top).toEqual([
      { column: 'colour', value: 'purple', contribution: expect.closeTo(0.4, 12), direction: 'increases' },
      { column: 'age', value: 1, contribution: expect.closeTo(-0.35, 12), direction: 'decreases' },
    ]);
    expect(first.map((f) => f.column)).toEqual(['colour']);
  });

  it('shows a missing value as null and an unknown category as null', () => {
    // Act: colour code 4 is the unknown code
    const factors = topRiskFactors(handBuiltModel, [NaN, 4], 2);

    // Assess
    expect(factors.find((f) => f.column === 'age')?.value).toBeNull();
    expect(factors.find((f) => f.column === 'colour')?.value).toBeNull();
  });
});
