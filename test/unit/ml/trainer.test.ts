import { auc } from '../../../lambdas/core/ml/metrics';
import type { FeatureSpec, GbdtModel, Objective, Tree } from '../../../lambdas/core/ml/model';
import { predictBatch } from '../../../lambdas/core/ml/predict';
import {
  TrainingAbortedError,
  TrainingInputError,
  trainGbdt,
  type TrainingInput,
  type TrainingParams,
  type TrainingProgress,
  type TrainingResult,
} from '../../../lambdas/core/ml/trainer';

/** A seeded generator (mulberry32), so every data set here is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function specs(nCols: number): FeatureSpec[] {
  return Array.from({ length: nCols }, (_, c) => ({ name: `f${c}`, column: `f${c}`, type: 'float' }));
}

/** One float column. */
function oneFeature(objective: Objective, x: number[], y: number[], extra: Partial<TrainingInput> = {}): TrainingInput {
  return { objective, features: { values: Float64Array.from(x), nRows: x.length, nCols: 1 }, labels: Float64Array.from(y), featureSpecs: specs(1), ...extra };
}

/**
 * nRows x nCols uniform features in [-1, 1]; the label depends on the first three columns
 * (binary: sign of a linear score, with `flip` of labels flipped; regression: a smooth function plus noise).
 */
function synthetic(objective: Objective, nRows: number, nCols: number, seed: number, flip = 0): TrainingInput {
  const next = random(seed);
  const values = new Float32Array(nRows * nCols);
  const labels = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    for (let c = 0; c < nCols; c++) values[r * nCols + c] = next() * 2 - 1;
    const [a, b, c] = [values[r * nCols], values[r * nCols + 1], values[r * nCols + 2]];
    if (objective === 'binary:logistic') {
      const label = a + 0.5 * b - 0.8 * c > 0 ? 1 : 0;
      labels[r] = next() < flip ? 1 - label : label;
    } else {
      labels[r] = 3 * a * a + Math.sin(3 * b) + c + 0.1 * (next() - 0.5);
    }
  }
  return { objective, features: { values, nRows, nCols }, labels, featureSpecs: specs(nCols) };
}

function modelJson(model: GbdtModel): string {
  return JSON.stringify(model, (_, value: unknown) => (ArrayBuffer.isView(value) ? Array.from(value as Float64Array) : value));
}

function depthOf(tree: Tree, node = 0): number {
  return tree.left[node] === -1 ? 0 : 1 + Math.max(depthOf(tree, tree.left[node]), depthOf(tree, tree.right[node]));
}

function leavesOf(tree: Tree): number {
  return tree.left.filter((l) => l === -1).length;
}

function logLoss(labels: Float64Array, margins: Float64Array): number {
  let sum = 0;
  labels.forEach((y, r) => {
    const m = margins[r];
    sum += Math.max(m, 0) - y * m + Math.log1p(Math.exp(-Math.abs(m)));
  });
  return sum / labels.length;
}

async function rejectionOf(promise: Promise<unknown>): Promise<TrainingInputError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TrainingInputError);
    return error as TrainingInputError;
  }
  throw new Error('expected a TrainingInputError, training succeeded');
}

const ONE_THREAD: TrainingParams = { nThreads: 1 };

describe('trainGbdt: trees checked by hand', () => {
  it('grows a regression stump at the step: leaf = -G/(H+lambda) * eta, gain and cover from the gradients', async () => {
    // Prepare: base margin 5 (the mean), so gradients are 5, 5, -5, -5 and hessians 1
    const input = oneFeature('reg:squarederror', [1, 2, 3, 4], [0, 0, 10, 10]);

    // Act
    const { model } = await trainGbdt(input, { ...ONE_THREAD, nEstimators: 1, maxDepth: 1, learningRate: 0.3, lambda: 1 });

    // Assess: left G=10, H=2 -> -10/3 * 0.3 = -1; right +1; gain 100/3 + 100/3 - 0
    const [tree] = model.trees;
    expect(model.baseMargin).toBe(5);
    expect(Array.from(tree.left)).toEqual([1, -1, -1]);
    expect(Array.from(tree.right)).toEqual([2, -1, -1]);
    expect(tree.feature[0]).toBe(0);
    expect(tree.threshold[0]).toBe(2.5);
    expect(tree.defaultLeft[0]).toBe(1);
    expect(tree.leafValue[1]).toBeCloseTo(-1, 12);
    expect(tree.leafValue[2]).toBeCloseTo(1, 12);
    expect(Array.from(tree.cover)).toEqual([4, 2, 2]);
    expect(tree.gain[0]).toBeCloseTo(200 / 3, 10);
  });

  it('grows a logistic stump: p = 0.5 everywhere, g = p - y, h = p(1 - p)', async () => {
    // Prepare: base margin logit(0.5) = 0, so g = 0.5, 0.5, -0.5, -0.5 and h = 0.25
    const input = oneFeature('binary:logistic', [1, 2, 3, 4], [0, 0, 1, 1]);

    // Act
    const { model } = await trainGbdt(input, { ...ONE_THREAD, nEstimators: 1, maxDepth: 1, learningRate: 0.3, lambda: 1, minChildWeight: 0.5 });

    // Assess: left G=1, H=0.5 -> -1/1.5 * 0.3 = -0.2; gain 2 * (1 / 1.5)
    const [tree] = model.trees;
    expect(model.baseMargin).toBe(0);
    expect(tree.threshold[0]).toBe(2.5);
    expect(tree.leafValue[1]).toBeCloseTo(-0.2, 12);
    expect(tree.leafValue[2]).toBeCloseTo(0.2, 12);
    expect(Array.from(tree.cover)).toEqual([1, 0.5, 0.5]);
    expect(tree.gain[0]).toBeCloseTo(4 / 3, 12);
  });

  it('shrinks leaves by the L1 penalty alpha: -(|G| - alpha)/(H + lambda)', async () => {
    // Prepare
    const input = oneFeature('reg:squarederror', [1, 2, 3, 4], [0, 0, 10, 10]);

    // Act
    const { model } = await trainGbdt(input, { ...ONE_THREAD, nEstimators: 1, maxDepth: 1, learningRate: 1, lambda: 1, alpha: 4 });

    // Assess: left G = 10 -> -(10 - 4)/3 = -2
    expect(model.trees[0].leafValue[1]).toBeCloseTo(-2, 12);
    expect(model.trees[0].leafValue[2]).toBeCloseTo(2, 12);
  });

  it('refuses splits whose gain is below gamma, leaving one leaf', async () => {
    // Prepare: the best split gains 200/3
    const input = oneFeature('reg:squarederror', [1, 2, 3, 4], [0, 0, 10, 10]);

    // Act
    const { model } = await trainGbdt(input, { ...ONE_THREAD, nEstimators: 1, gamma: 70 });

    // Assess
    expect(Array.from(model.trees[0].left)).toEqual([-1]);
  });

  it('refuses splits that leave a child with less hessian than minChildWeight', async () => {
    // Prepare: every split leaves a child with hessian <= 2
    const input = oneFeature('reg:squarederror', [1, 2, 3, 4], [0, 0, 10, 10]);

    // Act
    const { model } = await trainGbdt(input, { ...ONE_THREAD, nEstimators: 1, minChildWeight: 2.5 });

    // Assess
    expect(Array.from(model.trees[0].left)).toEqual([-1]);
  });
});

describe('trainGbdt: missing values', () => {
  it('sends missing values right when their rows look like the right side', async () => {
    // Prepare: y = 10 for x > 5 and for missing x
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, NaN, NaN, NaN, NaN];
    const y = x.map((v) => (Number.isNaN(v) || v > 5 ? 10 : 0));

    // Act
    const { model } = await trainGbdt(oneFeature('reg:squarederror', x, y), { ...ONE_THREAD, nEstimators: 1, maxDepth: 1 });

    // Assess
    const [tree] = model.trees;
    expect(tree.threshold[0]).toBe(5.5);
    expect(tree.defaultLeft[0]).toBe(0);
    expect(tree.cover[tree.right[0]]).toBe(9);
  });

  it('sends missing values left when their rows look like the left side', async () => {
    // Prepare: y = 10 for x > 5 only
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, NaN, NaN, NaN, NaN];
    const y = x.map((v) => (v > 5 ? 10 : 0));

    // Act
    const { model } = await trainGbdt(oneFeature('reg:squarederror', x, y), { ...ONE_THREAD, nEstimators: 1, maxDepth: 1 });

    // Assess
    const [tree] = model.trees;
    expect(tree.threshold[0]).toBe(5.5);
    expect(tree.defaultLeft[0]).toBe(1);
    expect(tree.cover[tree.left[0]]).toBe(9);
  });

  it('splits missing from present values when missingness alone carries the signal', async () => {
    // Prepare: present values all look alike; missing rows have y = 10
    const x = [1, 2, 3, 4, 5, 6, NaN, NaN, NaN];
    const y = x.map((v) => (Number.isNaN(v) ? 10 : 0));

    // Act
    const { model } = await trainGbdt(oneFeature('reg:squarederror', x, y), { ...ONE_THREAD, nEstimators: 1, maxDepth: 1, learningRate: 1, lambda: 0 });

    // Assess: missing rows alone on one side, with their exact residual 10 - mean
    const margins = predictBatch(model, Float64Array.from([NaN, 3]), 2).margins;
    expect(margins[0]).toBeCloseTo(10, 10);
    expect(margins[1]).toBeCloseTo(0, 10);
  });
});

describe('trainGbdt: learning', () => {
  it('learns a separable classification: holdout AUC above 0.99 and a falling training loss', async () => {
    // Prepare
    const all = synthetic('binary:logistic', 3000, 5, 1);
    const train: TrainingInput = { ...all, features: { ...all.features, values: all.features.values.subarray(0, 2000 * 5), nRows: 2000 }, labels: all.labels.subarray(0, 2000) };
    const holdoutValues = all.features.values.subarray(2000 * 5);
    const holdoutLabels = all.labels.subarray(2000);

    // Act
    const { model, report } = await trainGbdt(train, { ...ONE_THREAD, nEstimators: 40, maxDepth: 4, learningRate: 0.3 });

    // Assess
    expect(auc(holdoutLabels, predictBatch(model, holdoutValues, 1000).margins)).toBeGreaterThan(0.99);
    expect(report.metric).toBe('logloss');
    expect(report.trainLoss).toHaveLength(40);
    report.trainLoss.slice(1).forEach((loss, i) => expect(loss).toBeLessThan(report.trainLoss[i]));
    expect(report.trainLoss[39]).toBeLessThan(0.1);
  });

  it('learns a smooth regression: training rmse falls below a tenth of the target spread', async () => {
    // Prepare
    const input = synthetic('reg:squarederror', 2000, 4, 2);
    const mean = input.labels.reduce((s, y) => s + y, 0) / 2000;
    const spread = Math.sqrt(input.labels.reduce((s, y) => s + (y - mean) ** 2, 0) / 2000);

    // Act
    const { model, report } = await trainGbdt(input, { ...ONE_THREAD, nEstimators: 60, maxDepth: 4 });

    // Assess
    expect(report.metric).toBe('rmse');
    expect(report.trainLoss[0]).toBeLessThan(spread);
    expect(report.trainLoss[59]).toBeLessThan(spread / 10);
    expect(model.baseMargin).toBeCloseTo(mean, 12);
  });

  it('reports a training loss that the model scored by predict.ts reproduces on the raw features', async () => {
    // Prepare: float64 features, so binning and raw thresholds must agree on every value
    const input = synthetic('binary:logistic', 1000, 4, 3, 0.1);
    const values = Float64Array.from(input.features.values, (v, i) => v + (i % 7) * 1e-9);

    // Act
    const { model, report } = await trainGbdt({ ...input, features: { ...input.features, values } }, { ...ONE_THREAD, nEstimators: 20 });

    // Assess
    const margins = predictBatch(model, values, 1000).margins;
    expect(logLoss(input.labels, margins)).toBeCloseTo(report.trainLoss[19], 12);
  });

  it('keeps every tree within maxDepth', async () => {
    // Prepare
    const input = synthetic('reg:squarederror', 1000, 4, 4);

    // Act
    const { model } = await trainGbdt(input, { ...ONE_THREAD, nEstimators: 5, maxDepth: 3 });

    // Assess
    expect(model.trees.map((tree) => depthOf(tree))).toEqual([3, 3, 3, 3, 3]);
  });

  it('grows lossguide trees to exactly maxLeaves leaves when the data allows', async () => {
    // Prepare
    const input = synthetic('reg:squarederror', 1000, 4, 5);

    // Act
    const { model } = await trainGbdt(input, { ...ONE_THREAD, nEstimators: 3, growPolicy: 'lossguide', maxLeaves: 7, maxDepth: 0 });

    // Assess
    expect(model.trees.map(leavesOf)).toEqual([7, 7, 7]);
  });

  it('grows the same tree depthwise and lossguide when neither limit binds first', async () => {
    // Prepare: depth 2 allows 4 leaves
    const input = synthetic('reg:squarederror', 500, 3, 6);

    // Act
    const depthwise = await trainGbdt(input, { ...ONE_THREAD, nEstimators: 1, maxDepth: 2 });
    const lossguide = await trainGbdt(input, { ...ONE_THREAD, nEstimators: 1, maxDepth: 2, growPolicy: 'lossguide', maxLeaves: 4 });

    // Assess: same leaves (order of node ids may differ)
    const sorted = (tree: Tree) => Array.from(tree.leafValue).filter((_, i) => tree.left[i] === -1).sort();
    expect(sorted(lossguide.model.trees[0])).toEqual(sorted(depthwise.model.trees[0]));
  });

  it('grows the same logistic tree depthwise and lossguide when neither limit binds first', async () => {
    // Prepare: hessians p(1 - p) differ between rows, so histogram subtraction must give both policies the same sums
    const input = synthetic('binary:logistic', 600, 3, 18, 0.1);
    const shape: TrainingParams = { ...ONE_THREAD, nEstimators: 3, maxDepth: 2, learningRate: 0.5 };

    // Act
    const depthwise = await trainGbdt(input, shape);
    const lossguide = await trainGbdt(input, { ...shape, growPolicy: 'lossguide', maxLeaves: 4 });

    // Assess: the same leaves to the last bit in every round
    const sorted = (tree: Tree) => Array.from(tree.leafValue).filter((_, i) => tree.left[i] === -1).sort();
    expect(lossguide.model.trees.map(sorted)).toEqual(depthwise.model.trees.map(sorted));
    expect(lossguide.report.trainLoss).toEqual(depthwise.report.trainLoss);
  });
});

describe('trainGbdt: weights', () => {
  it('raises predicted probabilities when positives weigh more', async () => {
    // Prepare
    const input = synthetic('binary:logistic', 800, 3, 7, 0.3);

    // Act
    const plain = await trainGbdt(input, { ...ONE_THREAD, nEstimators: 10 });
    const weighted = await trainGbdt(input, { ...ONE_THREAD, nEstimators: 10, scalePosWeight: 5 });

    // Assess
    const mean = (model: GbdtModel) => predictBatch(model, input.features.values, 800).predictions.reduce((s, p) => s + p, 0) / 800;
    expect(mean(weighted.model)).toBeGreaterThan(mean(plain.model) + 0.1);
  });

  it('grows the same trees from scalePosWeight 5 as from sample weights of 5 on positive rows', async () => {
    // Prepare: few distinct values, so the weighted quantiles cannot move the bins
    const input = synthetic('binary:logistic', 400, 3, 8, 0.2);
    const values = input.features.values.map((v) => Math.round(v * 10));
    const data = { ...input, features: { ...input.features, values } };
    const weights = input.labels.map((y) => (y === 1 ? 5 : 1));

    // Act
    const scaled = await trainGbdt(data, { ...ONE_THREAD, nEstimators: 5, scalePosWeight: 5 });
    const weighted = await trainGbdt({ ...data, weights }, { ...ONE_THREAD, nEstimators: 5 });

    // Assess
    expect(modelJson(weighted.model)).toBe(modelJson(scaled.model));
  });
});

/** The same training once per thread count, one after another. */
async function trainWithThreads(input: TrainingInput, shape: TrainingParams, threads: readonly number[]): Promise<TrainingResult[]> {
  const results: TrainingResult[] = [];
  for (const nThreads of threads) results.push(await trainGbdt(input, { ...shape, nThreads }));
  return results;
}

describe('trainGbdt: determinism', () => {
  const params: TrainingParams = { nEstimators: 15, maxDepth: 4, subsample: 0.7, colsampleByTree: 0.6, seed: 11 };

  it('trains the identical model twice from the same data and seed', async () => {
    // Prepare
    const input = synthetic('binary:logistic', 1500, 6, 9, 0.05);

    // Act
    const first = await trainGbdt(input, { ...params, nThreads: 1 });
    const second = await trainGbdt(input, { ...params, nThreads: 1 });

    // Assess
    expect(modelJson(second.model)).toBe(modelJson(first.model));
  });

  it.each<[string, TrainingParams]>([
    ['depthwise, deep enough for nodes of one or two rows', { ...params, maxDepth: 9, minChildWeight: 0 }],
    ['lossguide', { ...params, growPolicy: 'lossguide', maxDepth: 0, maxLeaves: 40 }],
  ])('trains the identical model with 1, 2 and 3 threads (%s)', async (_, shape) => {
    // Prepare: missing values too, so both default directions are searched
    const input = synthetic('binary:logistic', 1500, 6, 10, 0.05);
    input.features.values.forEach((_, i) => {
      if (i % 13 === 0) (input.features.values as Float32Array)[i] = NaN;
    });

    // Act
    const [one, two, three] = await trainWithThreads(input, shape, [1, 2, 3]);

    // Assess
    expect(two.report.threads).toBe(2);
    expect(modelJson(two.model)).toBe(modelJson(one.model));
    expect(modelJson(three.model)).toBe(modelJson(one.model));
    expect(two.report.trainLoss).toEqual(one.report.trainLoss);
  });

  it('trains the identical model with 1, 2 and 3 threads on rows that span several row blocks', async () => {
    // Prepare: 10,000 rows span three blocks of 4096, so every engine computes gradients for rows of its own blocks
    const input = synthetic('binary:logistic', 10_000, 7, 17, 0.05);
    input.features.values.forEach((_, i) => {
      if (i % 11 === 0) (input.features.values as Float32Array)[i] = NaN;
    });
    const shape: TrainingParams = { ...params, nEstimators: 8, maxDepth: 6 };

    // Act
    const [one, two, three] = await trainWithThreads(input, shape, [1, 2, 3]);

    // Assess
    expect(three.report.threads).toBe(3);
    expect(modelJson(two.model)).toBe(modelJson(one.model));
    expect(modelJson(three.model)).toBe(modelJson(one.model));
    expect(three.report.trainLoss).toEqual(one.report.trainLoss);
  });

  it.each<[string, TrainingParams]>([
    ['depthwise', { nEstimators: 5, maxDepth: 5, colsampleByTree: 0.8, seed: 3 }],
    ['lossguide', { nEstimators: 5, growPolicy: 'lossguide', maxDepth: 0, maxLeaves: 24, seed: 3 }],
  ])('trains the identical model with 1, 2 and 3 threads when engines share large nodes by rows (%s)', async (_, shape) => {
    // Prepare: all 20,000 rows in every tree (no row sampling), so nodes above 8,192 rows are
    // partitioned in parts by every engine, the engines add the leaves to the margins and
    // put the row index back in order
    const input = synthetic('binary:logistic', 20_000, 5, 23, 0.05);
    input.features.values.forEach((_, i) => {
      if (i % 7 === 0) (input.features.values as Float32Array)[i] = NaN;
    });

    // Act
    const [one, two, three] = await trainWithThreads(input, shape, [1, 2, 3]);

    // Assess
    expect(three.report.threads).toBe(3);
    expect(one.model.trees[0].left.length).toBeGreaterThan(15);
    expect(modelJson(two.model)).toBe(modelJson(one.model));
    expect(modelJson(three.model)).toBe(modelJson(one.model));
    expect(three.report.trainLoss).toEqual(one.report.trainLoss);
    const margins = predictBatch(one.model, input.features.values, 20_000).margins;
    let loss = 0;
    margins.forEach((m, r) => (loss += Math.max(m, 0) - input.labels[r] * m + Math.log1p(Math.exp(-Math.abs(m)))));
    expect(one.report.trainLoss.at(-1)).toBeCloseTo(loss / 20_000, 9);
  });

  it('sums every node of a 60,000-row regression exactly, with 1, 2 and 3 threads', async () => {
    // Prepare: splits near the middle of x0, then of x1, so with two engines the root and
    // the larger first-level node are shared and the other first-level node (about 30,000
    // rows) goes whole to one engine
    const input = synthetic('reg:squarederror', 60_000, 3, 29);
    const x = input.features.values;
    input.labels.forEach((_, r) => ((input.labels as Float64Array)[r] = 3 * Number(x[3 * r] > 0) + Number(x[3 * r + 1] > 0) + 0.1 * x[3 * r + 2]));
    const shape: TrainingParams = { nEstimators: 3, maxDepth: 3 };

    // Act
    const [one, two, three] = await trainWithThreads(input, shape, [1, 2, 3]);

    // Assess: squared error gives every row hessian 1, so every node's cover (histogram
    // sums) is exactly the number of rows that reach it
    const tree = two.model.trees[0];
    expect(tree.cover[1]).toBeGreaterThan(2 * 8192);
    const reach = new Array<number>(tree.left.length).fill(0);
    for (let r = 0; r < 60_000; r++) {
      for (let node = 0; node !== -1; node = x[3 * r + tree.feature[node]] < tree.threshold[node] ? tree.left[node] : tree.right[node]) {
        reach[node]++;
        if (tree.left[node] === -1) break;
      }
    }
    expect(Array.from(tree.cover)).toEqual(reach);
    expect(modelJson(two.model)).toBe(modelJson(one.model));
    expect(modelJson(three.model)).toBe(modelJson(one.model));
  });

  it('trains a different model from another seed when sampling', async () => {
    // Prepare
    const input = synthetic('binary:logistic', 1000, 6, 12);

    // Act
    const a = await trainGbdt(input, { ...params, nThreads: 1, seed: 1 });
    const b = await trainGbdt(input, { ...params, nThreads: 1, seed: 2 });

    // Assess
    expect(modelJson(b.model)).not.toBe(modelJson(a.model));
  });
});

describe('trainGbdt: validation and early stopping', () => {
  it('stops when the validation loss has not improved for earlyStoppingRounds and keeps trees up to the best round', async () => {
    // Prepare: 30% label noise overfits quickly at eta 0.5
    const all = synthetic('binary:logistic', 1200, 4, 13, 0.3);
    const train: TrainingInput = { ...all, features: { ...all.features, values: all.features.values.subarray(0, 600 * 4), nRows: 600 }, labels: all.labels.subarray(0, 600) };
    const validation = { features: { values: all.features.values.subarray(600 * 4), nRows: 600, nCols: 4 }, labels: all.labels.subarray(600) };

    // Act
    const { model, report } = await trainGbdt({ ...train, validation }, { ...ONE_THREAD, nEstimators: 200, maxDepth: 5, learningRate: 0.5, earlyStoppingRounds: 5 });

    // Assess
    const best = report.bestIteration;
    expect(report.stoppedEarly).toBe(true);
    expect(report.rounds).toBe(best + 6);
    expect(model.trees).toHaveLength(best + 1);
    expect(model.bestIteration).toBe(best);
    expect(Math.min(...report.validationLoss)).toBe(report.validationLoss[best]);
    const validationMargins = predictBatch(model, validation.features.values, 600).margins;
    expect(logLoss(validation.labels, validationMargins)).toBeCloseTo(report.validationLoss[best], 12);
  });

  it('reports every round to onProgress with both losses', async () => {
    // Prepare
    const input = synthetic('reg:squarederror', 300, 3, 14);
    const validation = synthetic('reg:squarederror', 100, 3, 15);
    const seen: TrainingProgress[] = [];

    // Act
    const { report } = await trainGbdt(
      { ...input, validation: { features: validation.features, labels: validation.labels } },
      { ...ONE_THREAD, nEstimators: 4 },
      { onProgress: (progress) => seen.push(progress), now: () => seen.length * 10 },
    );

    // Assess
    expect(seen.map((p) => p.round)).toEqual([0, 1, 2, 3]);
    expect(seen.map((p) => p.trainLoss)).toEqual(report.trainLoss);
    expect(seen.map((p) => p.validationLoss)).toEqual(report.validationLoss);
    expect(seen.map((p) => p.elapsedMs)).toEqual([0, 10, 20, 30]);
  });

  it.each([1, 2])('grows the same trees without the training metric (trainingLoss: false, %i threads), reporting none', async (nThreads) => {
    // Prepare
    const input = synthetic('binary:logistic', 400, 4, 21);
    const validation = synthetic('binary:logistic', 100, 4, 22);
    const seen: TrainingProgress[] = [];
    const params = { nThreads, nEstimators: 5 };
    const withValidation = { ...input, validation: { features: validation.features, labels: validation.labels } };

    // Act
    const tracked = await trainGbdt(withValidation, params);
    const untracked = await trainGbdt(withValidation, params, { trainingLoss: false, onProgress: (progress) => seen.push(progress) });

    // Assess
    expect(modelJson(untracked.model)).toBe(modelJson(tracked.model));
    expect(tracked.report.trainLoss).toHaveLength(5);
    expect(untracked.report.trainLoss).toEqual([]);
    expect(untracked.report.validationLoss).toEqual(tracked.report.validationLoss);
    expect(seen.map((p) => p.trainLoss)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(seen.map((p) => p.validationLoss)).toEqual(tracked.report.validationLoss);
  });
});

describe('trainGbdt: abort', () => {
  it('stops with TrainingAbortedError when the signal fires during training', async () => {
    // Prepare
    const input = synthetic('reg:squarederror', 300, 3, 16);
    const controller = new AbortController();

    // Act
    const training = trainGbdt(input, { ...ONE_THREAD, nEstimators: 50 }, { signal: controller.signal, onProgress: ({ round }) => round === 2 && controller.abort() });

    // Assess
    await expect(training).rejects.toThrow(TrainingAbortedError);
    await expect(training).rejects.toThrow('training aborted before round 3');
  });
});

describe('trainGbdt: bad input', () => {
  const good = () => oneFeature('binary:logistic', [1, 2, 3, 4], [0, 1, 0, 1]);

  it.each<[string, () => TrainingInput, TrainingParams, RegExp]>([
    ['empty data', () => oneFeature('binary:logistic', [], []), {}, /^features: needs at least one row and one column \(got 0 x 1\)$/],
    ['a label count that differs from the rows', () => ({ ...good(), labels: Float64Array.from([0, 1, 0]) }), {}, /^labels: has 3 values but the features have 4 rows$/],
    ['a NaN label', () => oneFeature('reg:squarederror', [1, 2, 3], [1, NaN, 2]), {}, /^labels \(row 1\): is NaN; labels must be finite numbers$/],
    ['an infinite label', () => oneFeature('reg:squarederror', [1, 2, 3], [1, 2, Infinity]), {}, /^labels \(row 2\): is Infinity/],
    ['a binary label other than 0 or 1', () => oneFeature('binary:logistic', [1, 2, 3], [0, 1, 2]), {}, /^labels \(row 2\): is 2; binary:logistic needs labels 0 or 1$/],
    ['a single class', () => oneFeature('binary:logistic', [1, 2, 3], [1, 1, 1]), {}, /^labels: has only one class \(1\); binary:logistic needs both 0 and 1$/],
    ['a constant regression target', () => oneFeature('reg:squarederror', [1, 2, 3], [7, 7, 7]), {}, /^labels: is constant \(7\); there is nothing to learn$/],
    ['an infinite feature', () => oneFeature('binary:logistic', [1, -Infinity, 3, 4], [0, 1, 0, 1]), {}, /^features \(row 1, column "f0"\): is -Infinity/],
    ['fewer feature specs than columns', () => ({ ...good(), featureSpecs: [] }), {}, /^featureSpecs: has 0 entries but features has 1 columns$/],
    ['a negative weight', () => ({ ...good(), weights: Float64Array.from([1, -1, 1, 1]) }), {}, /^weights \(row 1\): is -1; weights must be finite and non-negative$/],
    ['weights that erase a class', () => ({ ...good(), weights: Float64Array.from([1, 0, 1, 0]) }), {}, /^weights: leave only one class with positive weight/],
    ['validation labels of the wrong length', () => ({ ...good(), validation: { features: { values: new Float64Array(2), nRows: 2, nCols: 1 }, labels: new Float64Array(1) } }), {}, /^validation\.labels: has 1 values but the features have 2 rows$/],
    ['early stopping without a validation set', good, { earlyStoppingRounds: 3 }, /^params\.earlyStoppingRounds: needs a validation set/],
    ['maxDepth 0 for depthwise growth', good, { maxDepth: 0 }, /^params\.maxDepth: must be an integer in \[1, 30\] for growPolicy 'depthwise' \(got 0\)$/],
    ['a learning rate of 0', good, { learningRate: 0 }, /^params\.learningRate: must be a finite number in \(0, 1\] \(got 0\)$/],
    ['subsample above 1', good, { subsample: 1.5 }, /^params\.subsample: must be a finite number in \(0, 1\] \(got 1.5\)$/],
    ['a negative lambda', good, { lambda: -1 }, /^params\.lambda: must be a finite number in \[0, inf\) \(got -1\)$/],
    ['a fractional nEstimators', good, { nEstimators: 2.5 }, /^params\.nEstimators: must be an integer in \[1, 100000\] \(got 2.5\)$/],
    ['nThreads 0', good, { nThreads: 0 }, /^params\.nThreads: must be an integer in \[1, 64\] \(got 0\)$/],
    ['a base score outside (0, 1) for binary:logistic', good, { baseScore: 1 }, /^params\.baseScore: must be a finite number in \(0, 1\) for binary:logistic/],
    ['an unknown growPolicy', good, { growPolicy: 'leafwise' as never }, /^params\.growPolicy: must be 'depthwise' or 'lossguide' \(got leafwise\)$/],
    ['an unknown parameter', good, { max_depth: 3 } as TrainingParams, /^params\.max_depth: is not a trainer parameter/],
  ])('rejects %s with TrainingInputError', async (_, input, params, message) => {
    // Act
    const error = await rejectionOf(trainGbdt(input(), { ...ONE_THREAD, ...params }));

    // Assess
    expect(error.message).toMatch(message);
  });
});
