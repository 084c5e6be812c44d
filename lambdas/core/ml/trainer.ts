/**
 * Histogram gradient-boosted trees for binary:logistic and reg:squarederror, producing a
 * GbdtModel in XGBoost's layout (see model.ts).
 *
 * Features are quantile-binned once (binning.ts); each round samples rows and features
 * (seeded), grows a tree (tree-grower.ts) and adds it to the margins; gradients, histograms,
 * partitions and split search run on nThreads engines (boosting-engine.ts). The model is
 * bit-identical for the same inputs and seed whatever nThreads is. With a validation set
 * the validation metric (logloss / rmse) is tracked every round; early stopping keeps the
 * best round and drops the trees after it.
 */
import { binFeatures, binTrainingFeatures, type FeatureMatrix } from './binning';
import { BoostingEngines } from './boosting-engine';
import type { FeatureSpec, GbdtModel, Objective, Tree } from './model';
import { TrainingAbortedError, TrainingInputError } from './training-errors';
import { baseMargin, evalMetric, metricFromSums, metricValue, type EvalMetric } from './training-objective';
import { resolveTrainingParams, type ResolvedTrainingParams, type TrainingParams } from './training-params';
import { TreeGrower, addTreeToMargins, leafRanges } from './tree-grower';

export type { FeatureMatrix } from './binning';
export { TrainingAbortedError, TrainingInputError } from './training-errors';
export { DEFAULT_TRAINING_PARAMS, type GrowPolicy, type TrainingParams } from './training-params';

export interface TrainingSet {
  /** Row-major features, NaN for missing. */
  readonly features: FeatureMatrix;
  /** 0/1 for binary:logistic, the target for regression. */
  readonly labels: Float64Array;
  /** Non-negative row weights. @default every row weighs 1 */
  readonly weights?: Float64Array;
}

export interface TrainingInput extends TrainingSet {
  readonly objective: Objective;
  /** One per feature column, in column order. */
  readonly featureSpecs: readonly FeatureSpec[];
  /** Rows to evaluate every round; required for early stopping. @default - none */
  readonly validation?: TrainingSet;
}

export interface TrainingProgress {
  /** 0-based boosting round that just finished. */
  readonly round: number;
  /** The training metric after this round; undefined when options.trainingLoss is false. */
  readonly trainLoss?: number;
  readonly validationLoss?: number;
  readonly elapsedMs: number;
}

export interface TrainingOptions {
  readonly onProgress?: (progress: TrainingProgress) => void;
  /** Checked before every round; aborting raises TrainingAbortedError. @default - none */
  readonly signal?: AbortSignal;
  /** Clock in milliseconds. @default performance.now */
  readonly now?: () => number;
  /**
   * Compute the training metric every round (report.trainLoss, progress.trainLoss), as
   * XGBoost does with the training set among its evals. It costs a logarithm per row and
   * round, about a third of the gradient pass. @default true
   */
  readonly trainingLoss?: boolean;
}

export interface TrainingReport {
  /** Rounds trained (trees grown, including any that early stopping dropped). */
  readonly rounds: number;
  /** 0-based round with the best validation metric, or the last round without validation. */
  readonly bestIteration: number;
  readonly stoppedEarly: boolean;
  readonly metric: EvalMetric;
  /** Training metric after each round (empty when options.trainingLoss is false). */
  readonly trainLoss: readonly number[];
  /** Validation metric after each round (empty without a validation set). */
  readonly validationLoss: readonly number[];
  readonly threads: number;
  readonly binningMs: number;
  readonly elapsedMs: number;
}

export interface TrainingResult {
  readonly model: GbdtModel;
  readonly report: TrainingReport;
}

/** Trains a gradient-boosted tree ensemble. Bad input raises TrainingInputError. */
export async function trainGbdt(input: TrainingInput, params: TrainingParams = {}, options: TrainingOptions = {}): Promise<TrainingResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  if (input.objective !== 'binary:logistic' && input.objective !== 'reg:squarederror') {
    throw new TrainingInputError('objective', `must be 'binary:logistic' or 'reg:squarederror' (got ${String(input.objective)})`);
  }
  const p = resolveTrainingParams(params, input.objective);
  checkInput(input, p);

  const { nRows, nCols } = input.features;
  const engines = BoostingEngines.start(p.nThreads, nCols);
  try {
    const shared = engines.threads > 1;
    const { cuts, binned } = binTrainingFeatures(input.features, input.featureSpecs, { maxBin: p.maxBin, weights: input.weights, shared });
    const validation = input.validation;
    const validationBins = validation && binFeatures(validation.features, input.featureSpecs, cuts, { field: 'validation.features' });
    const binningMs = now() - started;

    const objective = input.objective;
    const metricWeights = float64(nRows, shared, input.weights ?? 1);
    const gradWeights = gradientWeights(input, metricWeights, p.scalePosWeight, shared);
    const margin = baseMargin(objective, input.labels, gradWeights, p.baseScore);
    const margins = float64(nRows, shared, margin);
    const gradHess = float64(2 * nRows, shared, 0);
    const rowIndex = new Uint32Array(allocate(4 * nRows, shared));
    const scratch = new Uint32Array(allocate(4 * nRows, shared));
    const featureActive = new Uint8Array(allocate(nCols, shared)).fill(1);
    engines.attach({
      objective,
      margins,
      labels: float64(nRows, shared, input.labels),
      gradWeights,
      metricWeights,
      bins: binned.bins,
      columns: binned.columns,
      nCols,
      binOffset: cuts.binOffset,
      gradHess,
      rowIndex,
      scratch,
      featureActive,
      lambda: p.lambda,
      alpha: p.alpha,
      minChildWeight: p.minChildWeight,
      maxLeaves: leafBound(p, nRows),
    });
    const grower = new TreeGrower(engines, cuts, p);
    const validationMargins = validation && new Float64Array(validation.labels.length).fill(margin);
    const validationWeights = validation && (validation.weights ?? new Float64Array(validation.labels.length).fill(1));
    const random = createRandom(p.seed);

    const trees: Tree[] = [];
    const trainLoss: number[] = [];
    const validationLoss: number[] = [];
    let bestIteration = 0;
    let stoppedEarly = false;
    const withLoss = options.trainingLoss !== false;
    // Without row subsampling every tree starts from all rows in order, which the gradient
    // pass puts back into the row index.
    const resetRows = p.subsample === 1;
    let sums = engines.gradients(true, false, resetRows);
    for (let round = 0; round < p.nEstimators; round++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) throw new TrainingAbortedError(round);

      const sample = resetRows ? { count: nRows, gradSum: sums.gradSum, hessSum: sums.hessSum } : sampleRows(random, p.subsample, gradHess, rowIndex);
      sampleFeatures(random, p.colsampleByTree, featureActive);
      const grown = grower.grow(sample.count, sample.gradSum, sample.hessSum);
      trees.push(grown.tree);
      if (sample.count === nRows) engines.addLeaves(leafRanges(grown), nRows);
      else addTreeToMargins(grown, binned, margins);

      let validationValue: number | undefined;
      if (validation && validationBins && validationMargins && validationWeights) {
        addTreeToMargins(grown, validationBins, validationMargins);
        validationValue = metricValue(objective, validationMargins, validation.labels, validationWeights);
        validationLoss.push(validationValue);
        if (validationValue < validationLoss[bestIteration]) bestIteration = round;
        stoppedEarly = p.earlyStoppingRounds !== undefined && round - bestIteration >= p.earlyStoppingRounds && round < p.nEstimators - 1;
      } else {
        bestIteration = round;
      }
      // The next round's gradients come with the training metric at the current margins.
      const last = stoppedEarly || round === p.nEstimators - 1;
      let trainValue: number | undefined;
      if (withLoss || !last) sums = engines.gradients(!last, withLoss, resetRows && !last);
      if (withLoss) {
        trainValue = metricFromSums(objective, sums.lossSum, sums.weightSum);
        trainLoss.push(trainValue);
      }
      options.onProgress?.({ round, trainLoss: trainValue, validationLoss: validationValue, elapsedMs: now() - started });
      if (stoppedEarly) break;
    }

    const early = p.earlyStoppingRounds !== undefined;
    const model: GbdtModel = {
      objective: input.objective,
      baseMargin: margin,
      features: input.featureSpecs.map((spec) => ({ ...spec })),
      trees: early ? trees.slice(0, bestIteration + 1) : trees,
      ...(early ? { bestIteration } : {}),
    };
    const report: TrainingReport = {
      rounds: trees.length,
      bestIteration,
      stoppedEarly,
      metric: evalMetric(objective),
      trainLoss,
      validationLoss,
      threads: engines.threads,
      binningMs,
      elapsedMs: now() - started,
    };
    return { model, report };
  } finally {
    await engines.close();
  }
}

function allocate(bytes: number, shared: boolean): ArrayBufferLike {
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/** A float64 array (shared when the engines run threads) filled with a value or a copy of an array. */
function float64(length: number, shared: boolean, content: number | Float64Array): Float64Array {
  const array = new Float64Array(allocate(8 * length, shared));
  if (typeof content === 'number') array.fill(content);
  else array.set(content);
  return array;
}

/** Sample weights times scalePosWeight on positive rows. */
function gradientWeights(input: TrainingInput, weights: Float64Array, scalePosWeight: number, shared: boolean): Float64Array {
  if (input.objective !== 'binary:logistic' || scalePosWeight === 1) return weights;
  const scaled = float64(weights.length, shared, weights);
  input.labels.forEach((y, r) => {
    if (y === 1) scaled[r] *= scalePosWeight;
  });
  return scaled;
}

interface RowSample {
  readonly count: number;
  readonly gradSum: number;
  readonly hessSum: number;
}

/** The most leaves a tree can have: 2^maxDepth (depthwise), maxLeaves when set, and the rows. */
function leafBound(p: ResolvedTrainingParams, nRows: number): number {
  let bound = nRows;
  if (p.maxDepth > 0) bound = Math.min(bound, 2 ** p.maxDepth);
  if (p.maxLeaves > 0) bound = Math.min(bound, p.maxLeaves);
  return Math.max(1, bound);
}

/** Puts a seeded Bernoulli sample of the rows at the front of rowIndex. */
function sampleRows(random: () => number, subsample: number, gradHess: Float64Array, rowIndex: Uint32Array): RowSample {
  let count = 0;
  let gradSum = 0;
  let hessSum = 0;
  for (let r = 0; r < rowIndex.length; r++) {
    if (random() >= subsample) continue;
    rowIndex[count++] = r;
    gradSum += gradHess[2 * r];
    hessSum += gradHess[2 * r + 1];
  }
  return { count, gradSum, hessSum };
}

/** Marks floor(colsample * nCols) (at least one) seeded-random features active for this tree. */
function sampleFeatures(random: () => number, colsample: number, active: Uint8Array): void {
  if (colsample === 1) return;
  const order = Array.from(active.keys());
  const keep = Math.max(1, Math.floor(colsample * active.length));
  for (let i = 0; i < keep; i++) {
    const j = i + Math.floor(random() * (order.length - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  active.fill(0);
  for (let i = 0; i < keep; i++) active[order[i]] = 1;
}

/** mulberry32: a small, fast, seeded generator of floats in [0, 1). */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkInput(input: TrainingInput, p: ResolvedTrainingParams): void {
  const { nRows, nCols } = input.features;
  if (!(nRows >= 1) || !(nCols >= 1)) {
    throw new TrainingInputError('features', `needs at least one row and one column (got ${nRows} x ${nCols})`);
  }
  checkSpecs(input.featureSpecs, nCols);
  checkLabels('labels', input.labels, nRows, input.objective, true);
  if (input.weights) checkWeights('weights', input.weights, nRows);
  if (input.objective === 'binary:logistic') {
    let positive = 0;
    let negative = 0;
    input.labels.forEach((y, r) => {
      const w = input.weights ? input.weights[r] : 1;
      if (y === 1) positive += w;
      else negative += w;
    });
    if (positive === 0 || negative === 0) {
      throw new TrainingInputError('weights', 'leave only one class with positive weight; binary:logistic needs both');
    }
  }
  const validation = input.validation;
  if (validation) {
    if (validation.features.nCols !== nCols) {
      throw new TrainingInputError('validation.features', `has ${validation.features.nCols} columns but features has ${nCols}`);
    }
    checkLabels('validation.labels', validation.labels, validation.features.nRows, input.objective, false);
    if (validation.weights) checkWeights('validation.weights', validation.weights, validation.features.nRows);
  } else if (p.earlyStoppingRounds !== undefined) {
    throw new TrainingInputError('params.earlyStoppingRounds', 'needs a validation set (input.validation)');
  }
}

function checkSpecs(specs: readonly FeatureSpec[], nCols: number): void {
  if (specs.length !== nCols) {
    throw new TrainingInputError('featureSpecs', `has ${specs.length} entries but features has ${nCols} columns`);
  }
  const seen = new Set<string>();
  specs.forEach((spec, i) => {
    if (!spec.name) throw new TrainingInputError(`featureSpecs[${i}].name`, 'must be a non-empty string');
    if (seen.has(spec.name)) throw new TrainingInputError(`featureSpecs[${i}].name`, `"${spec.name}" is used by another feature`);
    if (spec.type !== 'float' && spec.type !== 'categorical' && spec.type !== 'boolean') {
      throw new TrainingInputError(`featureSpecs[${i}].type`, `must be 'float', 'categorical' or 'boolean' (got ${String(spec.type)})`);
    }
    seen.add(spec.name);
  });
}

function checkLabels(field: string, labels: Float64Array, nRows: number, objective: Objective, training: boolean): void {
  if (labels.length !== nRows) {
    throw new TrainingInputError(field, `has ${labels.length} values but the features have ${nRows} rows`);
  }
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r];
    if (!Number.isFinite(y)) throw new TrainingInputError(field, `is ${y}; labels must be finite numbers`, r);
    if (objective === 'binary:logistic' && y !== 0 && y !== 1) {
      throw new TrainingInputError(field, `is ${y}; binary:logistic needs labels 0 or 1`, r);
    }
    if (y < min) min = y;
    if (y > max) max = y;
  }
  if (training && min === max) {
    const reason = objective === 'binary:logistic' ? `has only one class (${min}); binary:logistic needs both 0 and 1` : `is constant (${min}); there is nothing to learn`;
    throw new TrainingInputError(field, reason);
  }
}

function checkWeights(field: string, weights: Float64Array, nRows: number): void {
  if (weights.length !== nRows) {
    throw new TrainingInputError(field, `has ${weights.length} values but the features have ${nRows} rows`);
  }
  let sum = 0;
  for (let r = 0; r < weights.length; r++) {
    const w = weights[r];
    if (!Number.isFinite(w) || w < 0) throw new TrainingInputError(field, `is ${w}; weights must be finite and non-negative`, r);
    sum += w;
  }
  if (sum <= 0) throw new TrainingInputError(field, 'sum to 0; at least one row needs a positive weight');
}

