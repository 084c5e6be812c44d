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

/** A seeded random model: splits drawn from few features (so paths repeat features), random covers, missing values routed both ways. */
function randomModel(seed: number, options: { trees: number; depth: number; features: number; zeroCoverLeaf?: boolean }): GbdtModel {
  let state = seed >>> 0;
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const trees = Array.from({ length: options.trees }, () => {
    const nodes: { left: number; right: number; feature?: number; threshold?: number; defaultLeft?: number; leaf?: number; cover: number }[] = [];
    const grow = (depth: number, cover: number): number => {
      const index = nodes.length;
      nodes.push({ left: -1, right: -1, cover });
      if (depth === options.depth || (depth > 1 && random() < 0.2)) {
        nodes[index] = { ...nodes[index], leaf: Math.round((random() * 2 - 1) * 1000) / 1000 };
        return index;
      }
      const share = 0.1 + 0.8 * random();
      const left = grow(depth + 1, cover * share);
      const right = grow(depth + 1, cover * (1 - share));
      nodes[index] = { left, right, feature: Math.floor(random() * options.features), threshold: Math.fround(random()), defaultLeft: random() < 0.5 ? 1 : 0, cover };
      return index;
    };
    grow(0, 100);
    if (options.zeroCoverLeaf) {
      const leaf = nodes.findIndex((n) => n.left === -1);
      nodes[leaf] = { ...nodes[leaf], cover: 0 };
    }
    return handTree(nodes);
  });
  return {
    objective: 'binary:logistic',
    baseMargin: 0.1,
    features: Array.from({ length: options.features }, (_, f) => ({ name: `x${f}`, column: `x${f}`, type: 'float' as const })),
    trees,
  };
}

/** Shapley values by their definition: v(S) follows the row on features in S and splits every other split by cover. */
function shapleyByDefinition(model: GbdtModel, row: readonly number[]): number[] {
  const m = model.features.length;
  const value = (known: number): number =>
    model.baseMargin +
    model.trees.reduce((total, tree) => {
      const expect = (node: number): number => {
        const left = tree.left[node];
        if (left === -1) return tree.leafValue[node];
        const right = tree.right[node];
        const f = tree.feature[node];
        if ((known >> f) & 1) {
          const x = row[f];
          const goesLeft = Number.isNaN(x) ? tree.defaultLeft[node] === 1 : Math.fround(x) < tree.threshold[node];
          return expect(goesLeft ? left : right);
        }
        return (tree.cover[left] * expect(left) + tree.cover[right] * expect(right)) / tree.cover[node];
      };
      return total + expect(0);
    }, 0);
  const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
  const phi = new Array<number>(m + 1).fill(0);
  for (let i = 0; i < m; i++) {
    for (let s = 0; s < 1 << m; s++) {
      if ((s >> i) & 1) continue;
      let size = 0;
      for (let j = 0; j < m; j++) size += (s >> j) & 1;
      phi[i] += ((factorial(size) * factorial(m - size - 1)) / factorial(m)) * (value(s | (1 << i)) - value(s));
    }
  }
  phi[m] = value(0);
  return phi;
}

describe('TreeSHAP from tables and by the recursion', () => {
  const model = randomModel(7, { trees: 12, depth: 6, features: 5 });
  const rows = Array.from({ length: 40 }, (_, r) => Array.from({ length: 5 }, (_, f) => ((r * 7 + f * 3) % 11 === 0 ? NaN : ((r * 37 + f * 101) % 97) / 97)));

  it('both equal the Shapley values by definition, with features repeated on paths and missing values', () => {
    // Prepare
    const tables = createTreeExplainer(model);
    const recursion = createTreeExplainer(model, { maxTableEntries: 0 });
    let worst = 0;

    // Act
    for (const row of rows) {
      const expected = shapleyByDefinition(model, row);
      for (const explainer of [tables, recursion]) {
        const phi = explainer.shap(row);
        for (let j = 0; j < phi.length; j++) worst = Math.max(worst, Math.abs(phi[j] - expected[j]));
      }
    }

    // Assess
    expect(tables.tabulatedTrees).toBe(12);
    expect(recursion.tabulatedTrees).toBe(0);
    expect(worst).toBeLessThan(1e-12);
  });

  it('uses the recursion for a tree with a leaf without cover, and for trees beyond the table budget', () => {
    // Prepare
    const uncovered = randomModel(11, { trees: 1, depth: 4, features: 4, zeroCoverLeaf: true });
    const budgeted = createTreeExplainer(model, { maxTableEntries: 200 });

    // Act
    const explainer = createTreeExplainer(uncovered);

    // Assess
    expect(explainer.tabulatedTrees).toBe(0);
    for (const row of rows.slice(0, 5)) {
      const expected = shapleyByDefinition(uncovered, row.slice(0, 4));
      expect(Math.max(...Array.from(explainer.shap(row.slice(0, 4)), (v, j) => Math.abs(v - expected[j])))).toBeLessThan(1e-12);
    }
    expect(budgeted.tabulatedTrees).toBeGreaterThan(0);
    expect(budgeted.tabulatedTrees).toBeLessThan(12);
    const full = createTreeExplainer(model);
    for (const row of rows.slice(0, 5)) {
      expect(Math.max(...Array.from(budgeted.shap(row), (v, j) => Math.abs(v - full.shap(row)[j])))).toBeLessThan(1e-12);
    }
  });

  it('mixes tables and the recursion in one model when some paths have more than 10 distinct features', () => {
    // Prepare: depth 12 over 14 features, so some leaves see 11 or 12 distinct features.
    const deep = randomModel(3, { trees: 6, depth: 12, features: 14 });
    const row = Array.from({ length: 14 }, (_, f) => (f === 4 ? NaN : ((f * 53) % 29) / 29));

    // Act
    const mixed = createTreeExplainer(deep);
    const recursion = createTreeExplainer(deep, { maxTableEntries: 0 });
    const phi = mixed.shap(row);

    // Assess
    expect(mixed.tabulatedTrees).toBeGreaterThan(0);
    expect(mixed.tabulatedTrees).toBeLessThan(6);
    expect(createTreeExplainer(deep, { maxTableEntries: 2 ** 30 }).tabulatedTrees).toBe(mixed.tabulatedTrees);
    expect(Math.abs(sum(phi) - predictMargin(deep, row))).toBeLessThan(1e-12);
    expect(Math.max(...Array.from(phi, (v, j) => Math.abs(v - recursion.shap(row)[j])))).toBeLessThan(1e-12);
  });

  it('refuses a table budget that is not a non-negative integer', () => {
    expect(() => createTreeExplainer(model, { maxTableEntries: -1 })).toThrow('maxTableEntries must be a non-negative integer, got -1');
    expect(() => createTreeExplainer(model, { maxTableEntries: 1.5 })).toThrow(RangeError);
  });
});
