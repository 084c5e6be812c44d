/**
 * Trainer hyperparameters: names follow XGBoost's meaning (eta = learningRate, gamma =
 * min_split_loss, lambda = reg_lambda, alpha = reg_alpha), and so do the defaults.
 */
import type { Objective } from './model';
import { TrainingInputError } from './training-errors';

export type GrowPolicy = 'depthwise' | 'lossguide';

export interface TrainingParams {
  /** Boosting rounds (trees). @default 100 */
  readonly nEstimators?: number;
  /** Shrinkage applied to every leaf (XGBoost eta). @default 0.3 */
  readonly learningRate?: number;
  /** Deepest node depth; 0 means no limit (lossguide only). @default 6 */
  readonly maxDepth?: number;
  /** Grow level by level, or always split the leaf with the largest gain. @default 'depthwise' */
  readonly growPolicy?: GrowPolicy;
  /** Most leaves per tree for lossguide; 0 means no limit. @default 0 */
  readonly maxLeaves?: number;
  /** L2 regularisation on leaf weights. @default 1 */
  readonly lambda?: number;
  /** L1 regularisation on leaf weights. @default 0 */
  readonly alpha?: number;
  /** Least loss reduction a split must bring (XGBoost gamma / min_split_loss). @default 0 */
  readonly gamma?: number;
  /** Least hessian sum in each child. @default 1 */
  readonly minChildWeight?: number;
  /** Fraction of rows sampled for each tree. @default 1 */
  readonly subsample?: number;
  /** Fraction of features sampled for each tree. @default 1 */
  readonly colsampleByTree?: number;
  /** Most value bins per feature. @default 256 */
  readonly maxBin?: number;
  /** Weight multiplier for positive rows (binary:logistic). @default 1 */
  readonly scalePosWeight?: number;
  /**
   * Starting prediction: a probability for binary:logistic, a target value for regression.
   * @default the weighted positive rate / the weighted mean of the target
   */
  readonly baseScore?: number;
  /** Stop when the validation loss has not improved for this many rounds. @default - no early stopping */
  readonly earlyStoppingRounds?: number;
  /** Seed for row and feature sampling. @default 0 */
  readonly seed?: number;
  /** Threads that build histograms. @default 2 */
  readonly nThreads?: number;
}

export interface ResolvedTrainingParams {
  readonly nEstimators: number;
  readonly learningRate: number;
  readonly maxDepth: number;
  readonly growPolicy: GrowPolicy;
  readonly maxLeaves: number;
  readonly lambda: number;
  readonly alpha: number;
  readonly gamma: number;
  readonly minChildWeight: number;
  readonly subsample: number;
  readonly colsampleByTree: number;
  readonly maxBin: number;
  readonly scalePosWeight: number;
  readonly baseScore: number | undefined;
  readonly earlyStoppingRounds: number | undefined;
  readonly seed: number;
  readonly nThreads: number;
}

export const DEFAULT_TRAINING_PARAMS = {
  nEstimators: 100,
  learningRate: 0.3,
  maxDepth: 6,
  growPolicy: 'depthwise',
  maxLeaves: 0,
  lambda: 1,
  alpha: 0,
  gamma: 0,
  minChildWeight: 1,
  subsample: 1,
  colsampleByTree: 1,
  maxBin: 256,
  scalePosWeight: 1,
  seed: 0,
  nThreads: 2,
} as const satisfies TrainingParams;

const KNOWN_PARAMS = new Set<string>([...Object.keys(DEFAULT_TRAINING_PARAMS), 'baseScore', 'earlyStoppingRounds']);

/** Fills in defaults and checks every parameter; bad ones raise TrainingInputError naming the parameter and its range. */
export function resolveTrainingParams(params: TrainingParams, objective: Objective): ResolvedTrainingParams {
  for (const key of Object.keys(params)) {
    if (!KNOWN_PARAMS.has(key)) throw new TrainingInputError(`params.${key}`, `is not a trainer parameter (known: ${[...KNOWN_PARAMS].join(', ')})`);
  }
  const p = { ...DEFAULT_TRAINING_PARAMS, ...withoutUndefined(params) };
  if (p.growPolicy !== 'depthwise' && p.growPolicy !== 'lossguide') {
    throw new TrainingInputError('params.growPolicy', `must be 'depthwise' or 'lossguide' (got ${String(p.growPolicy)})`);
  }
  const minDepth = p.growPolicy === 'lossguide' ? 0 : 1;
  return {
    nEstimators: integer('nEstimators', p.nEstimators, 1, 100_000),
    learningRate: number('learningRate', p.learningRate, { above: 0, max: 1 }),
    maxDepth: integer('maxDepth', p.maxDepth, minDepth, 30, p.growPolicy === 'depthwise' ? " for growPolicy 'depthwise'" : ''),
    growPolicy: p.growPolicy,
    maxLeaves: integer('maxLeaves', p.maxLeaves, 0, 1 << 20),
    lambda: number('lambda', p.lambda, { min: 0 }),
    alpha: number('alpha', p.alpha, { min: 0 }),
    gamma: number('gamma', p.gamma, { min: 0 }),
    minChildWeight: number('minChildWeight', p.minChildWeight, { min: 0 }),
    subsample: number('subsample', p.subsample, { above: 0, max: 1 }),
    colsampleByTree: number('colsampleByTree', p.colsampleByTree, { above: 0, max: 1 }),
    maxBin: integer('maxBin', p.maxBin, 2, 65535),
    scalePosWeight: number('scalePosWeight', p.scalePosWeight, { above: 0 }),
    baseScore:
      p.baseScore === undefined
        ? undefined
        : objective === 'binary:logistic'
          ? number('baseScore', p.baseScore, { above: 0, below: 1 }, ' for binary:logistic (a probability)')
          : number('baseScore', p.baseScore, {}),
    earlyStoppingRounds: p.earlyStoppingRounds === undefined ? undefined : integer('earlyStoppingRounds', p.earlyStoppingRounds, 1, 100_000),
    seed: integer('seed', p.seed, -(2 ** 31), 2 ** 32 - 1),
    nThreads: integer('nThreads', p.nThreads, 1, 64),
  };
}

function withoutUndefined(params: TrainingParams): TrainingParams {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as TrainingParams;
}

function integer(name: string, value: unknown, min: number, max: number, context = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TrainingInputError(`params.${name}`, `must be an integer in [${min}, ${max}]${context} (got ${String(value)})`);
  }
  return value;
}

interface Range {
  readonly min?: number;
  readonly above?: number;
  readonly max?: number;
  readonly below?: number;
}

function number(name: string, value: unknown, range: Range, context = ''): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (range.min === undefined || value >= range.min) &&
    (range.above === undefined || value > range.above) &&
    (range.max === undefined || value <= range.max) &&
    (range.below === undefined || value < range.below);
  if (!ok) {
    const lower = range.min !== undefined ? `[${range.min}` : range.above !== undefined ? `(${range.above}` : '(-inf';
    const upper = range.max !== undefined ? `${range.max}]` : range.below !== undefined ? `${range.below})` : 'inf)';
    throw new TrainingInputError(`params.${name}`, `must be a finite number in ${lower}, ${upper}${context} (got ${String(value)})`);
  }
  return value;
}
