/**
 * Evaluation metrics for binary classifiers and regressors, overall and per subgroup (with
 * the largest gap between subgroups, the fairness view). Conventions follow scikit-learn:
 * a row is predicted positive when its probability is >= the threshold; AUC gives tied
 * scores their average rank; precision/recall/F1 are 0 where sklearn's zero_division=0
 * makes them 0, while the reports (binaryMetrics, metricsBySubgroup) say null and why.
 */

export class MetricError extends Error {
  override readonly name = 'MetricError';
  constructor(
    /** The argument at fault: yTrue, yProb, weights, groupValues or an option. */
    readonly field: string,
    readonly reason: string,
    /** 0-based element index, when one element is at fault. */
    readonly index?: number,
  ) {
    super(`${field}${index !== undefined ? `[${index}]` : ''}: ${reason}`);
  }
}

type Numbers = ArrayLike<number>;

function checkSameLength(yTrue: Numbers, other: Numbers, otherField: string): void {
  if (yTrue.length === 0) throw new MetricError('yTrue', 'is empty');
  if (other.length !== yTrue.length) throw new MetricError(otherField, `has ${other.length} values but yTrue has ${yTrue.length}`);
}

function checkLabels(yTrue: Numbers): void {
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] !== 0 && yTrue[i] !== 1) throw new MetricError('yTrue', `must be 0 or 1, got ${yTrue[i]}`, i);
  }
}

function checkProbabilities(yProb: Numbers): void {
  for (let i = 0; i < yProb.length; i++) {
    const p = yProb[i];
    if (Number.isNaN(p)) throw new MetricError('yProb', 'is NaN', i);
    if (!(p >= 0 && p <= 1)) throw new MetricError('yProb', `must be a probability in [0, 1], got ${p}`, i);
  }
}

function checkFinite(values: Numbers, field: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new MetricError(field, `must be finite, got ${values[i]}`, i);
  }
}

function checkWeights(weights: Numbers, yTrue: Numbers): void {
  checkSameLength(yTrue, weights, 'weights');
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    if (!Number.isFinite(weights[i]) || weights[i] < 0) throw new MetricError('weights', `must be finite and >= 0, got ${weights[i]}`, i);
    total += weights[i];
  }
  if (total === 0) throw new MetricError('weights', 'add up to 0');
}

function checkBinary(yTrue: Numbers, yProb: Numbers): void {
  checkSameLength(yTrue, yProb, 'yProb');
  checkLabels(yTrue);
  checkProbabilities(yProb);
}

function checkThreshold(threshold: number): void {
  if (!(threshold >= 0 && threshold <= 1)) throw new MetricError('threshold', `must be in [0, 1], got ${threshold}`);
}

/** Weighted AUC or the reason it is undefined (one class only). Inputs already checked. */
function aucOrReason(yTrue: Numbers, yScore: Numbers, weights?: Numbers): { value: number } | { reason: string } {
  const order = Array.from({ length: yTrue.length }, (_, i) => i).sort((a, b) => yScore[a] - yScore[b]);
  let positiveTotal = 0;
  let negativeTotal = 0;
  let pairs = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    let positives = 0;
    let negatives = 0;
    // A group of tied scores counts half for each positive-negative pair inside it (average rank).
    while (end < order.length && yScore[order[end]] === yScore[order[start]]) {
      const w = weights ? weights[order[end]] : 1;
      if (yTrue[order[end]] === 1) positives += w;
      else negatives += w;
      end++;
    }
    pairs += positives * negativeTotal + 0.5 * positives * negatives;
    positiveTotal += positives;
    negativeTotal += negatives;
    start = end;
  }
  if (positiveTotal === 0) return { reason: 'AUC is undefined: no positive rows' };
  if (negativeTotal === 0) return { reason: 'AUC is undefined: no negative rows' };
  return { value: pairs / (positiveTotal * negativeTotal) };
}

/** Area under the ROC curve; scores may be any finite numbers (probabilities or margins). */
export function auc(yTrue: Numbers, yScore: Numbers, weights?: Numbers): number {
  checkSameLength(yTrue, yScore, 'yScore');
  checkLabels(yTrue);
  checkFinite(yScore, 'yScore');
  if (weights) checkWeights(weights, yTrue);
  const result = aucOrReason(yTrue, yScore, weights);
  if ('reason' in result) throw new MetricError('yTrue', result.reason);
  return result.value;
}

export interface LogLossOptions {
  /** Probabilities are clipped to [eps, 1 - eps] so a confident mistake costs a finite amount. @default 1e-15 */
  readonly eps?: number;
  readonly weights?: Numbers;
}

/** Mean negative log-likelihood (natural log), optionally weighted. */
export function logLoss(yTrue: Numbers, yProb: Numbers, options: LogLossOptions = {}): number {
  checkBinary(yTrue, yProb);
  const eps = options.eps ?? 1e-15;
  if (!(eps > 0 && eps < 0.5)) throw new MetricError('eps', `must be in (0, 0.5), got ${eps}`);
  const weights = options.weights;
  if (weights) checkWeights(weights, yTrue);
  let loss = 0;
  let total = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, yProb[i]));
    const w = weights ? weights[i] : 1;
    loss -= w * (yTrue[i] === 1 ? Math.log(p) : Math.log(1 - p));
    total += w;
  }
  return loss / total;
}

export interface ConfusionMatrix {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
}

/** Counts at a threshold: predicted positive when p >= threshold. */
export function confusionMatrix(yTrue: Numbers, yProb: Numbers, threshold = 0.5): ConfusionMatrix {
  checkBinary(yTrue, yProb);
  checkThreshold(threshold);
  let truePositives = 0;
  let falsePositives = 0;
  let trueNegatives = 0;
  let falseNegatives = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const predicted = yProb[i] >= threshold;
    if (yTrue[i] === 1) {
      if (predicted) truePositives++;
      else falseNegatives++;
    } else if (predicted) falsePositives++;
    else trueNegatives++;
  }
  return { truePositives, falsePositives, trueNegatives, falseNegatives };
}

const ratio = (numerator: number, denominator: number): number | null => (denominator === 0 ? null : numerator / denominator);
const precisionOf = (m: ConfusionMatrix): number | null => ratio(m.truePositives, m.truePositives + m.falsePositives);
const recallOf = (m: ConfusionMatrix): number | null => ratio(m.truePositives, m.truePositives + m.falseNegatives);
const f1Of = (m: ConfusionMatrix): number | null => ratio(2 * m.truePositives, 2 * m.truePositives + m.falsePositives + m.falseNegatives);
const accuracyOf = (m: ConfusionMatrix): number =>
  (m.truePositives + m.trueNegatives) / (m.truePositives + m.trueNegatives + m.falsePositives + m.falseNegatives);

export function accuracy(yTrue: Numbers, yProb: Numbers, threshold = 0.5): number {
  return accuracyOf(confusionMatrix(yTrue, yProb, threshold));
}

/** TP / (TP + FP); 0 when nothing is predicted positive (sklearn's zero_division=0). */
export function precision(yTrue: Numbers, yProb: Numbers, threshold = 0.5): number {
  return precisionOf(confusionMatrix(yTrue, yProb, threshold)) ?? 0;
}

/** TP / (TP + FN); 0 when there are no positives (sklearn's zero_division=0). */
export function recall(yTrue: Numbers, yProb: Numbers, threshold = 0.5): number {
  return recallOf(confusionMatrix(yTrue, yProb, threshold)) ?? 0;
}

/** 2TP / (2TP + FP + FN); 0 when there are no positives and none predicted. */
export function f1(yTrue: Numbers, yProb: Numbers, threshold = 0.5): number {
  return f1Of(confusionMatrix(yTrue, yProb, threshold)) ?? 0;
}

export interface ReliabilityBin {
  /** The bin is (lower, upper]; the first one also holds p = 0. */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean predicted probability in the bin; null when the bin is empty. */
  readonly meanPredicted: number | null;
  /** Observed fraction of positives in the bin; null when the bin is empty. */
  readonly fractionPositive: number | null;
}

export interface Calibration {
  /** Expected calibration error: sum over bins of (count / n) * |fractionPositive - meanPredicted|. */
  readonly ece: number;
  /** The largest |fractionPositive - meanPredicted| over non-empty bins. */
  readonly maxCalibrationError: number;
  readonly bins: readonly ReliabilityBin[];
}

function checkBinCount(bins: number): void {
  if (!Number.isInteger(bins) || bins < 1) throw new MetricError('bins', `must be a positive integer, got ${bins}`);
}

/**
 * Bin b is (b / bins, (b + 1) / bins], the first also holding 0: a probability on an edge
 * goes to the lower bin, as in Guo et al. (2017) and sklearn 1.2's calibration_curve.
 */
function binOf(p: number, bins: number): number {
  let bin = Math.max(0, Math.ceil(p * bins) - 1);
  // p * bins can round across an edge (0.7 * 10 = 7.000000000000001): settle against the edges.
  while (bin > 0 && p <= bin / bins) bin--;
  while (bin < bins - 1 && p > (bin + 1) / bins) bin++;
  return bin;
}

/** Reliability table over equal-width probability bins and the calibration errors. */
export function calibration(yTrue: Numbers, yProb: Numbers, bins = 10): Calibration {
  checkBinary(yTrue, yProb);
  checkBinCount(bins);
  const counts = new Float64Array(bins);
  const probabilitySums = new Float64Array(bins);
  const positiveSums = new Float64Array(bins);
  for (let i = 0; i < yTrue.length; i++) {
    const bin = binOf(yProb[i], bins);
    counts[bin]++;
    probabilitySums[bin] += yProb[i];
    positiveSums[bin] += yTrue[i];
  }
  let ece = 0;
  let maxCalibrationError = 0;
  const table: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const count = counts[b];
    const meanPredicted = count > 0 ? probabilitySums[b] / count : null;
    const fractionPositive = count > 0 ? positiveSums[b] / count : null;
    if (meanPredicted !== null && fractionPositive !== null) {
      const gap = Math.abs(fractionPositive - meanPredicted);
      ece += (count / yTrue.length) * gap;
      maxCalibrationError = Math.max(maxCalibrationError, gap);
    }
    table.push({ lower: b / bins, upper: (b + 1) / bins, count, meanPredicted, fractionPositive });
  }
  return { ece, maxCalibrationError, bins: table };
}

export function expectedCalibrationError(yTrue: Numbers, yProb: Numbers, bins = 10): number {
  return calibration(yTrue, yProb, bins).ece;
}

function checkRegression(yTrue: Numbers, yPred: Numbers): void {
  checkSameLength(yTrue, yPred, 'yPred');
  checkFinite(yTrue, 'yTrue');
  checkFinite(yPred, 'yPred');
}

export function rmse(yTrue: Numbers, yPred: Numbers): number {
  checkRegression(yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) sum += (yTrue[i] - yPred[i]) ** 2;
  return Math.sqrt(sum / yTrue.length);
}

export function mae(yTrue: Numbers, yPred: Numbers): number {
  checkRegression(yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) sum += Math.abs(yTrue[i] - yPred[i]);
  return sum / yTrue.length;
}

export type BinaryMetricName = 'auc' | 'logLoss' | 'accuracy' | 'precision' | 'recall' | 'f1' | 'ece';
export type RegressionMetricName = 'rmse' | 'mae';

export interface BinaryMetricsOptions {
  /** @default 0.5 */
  readonly threshold?: number;
  /** Calibration bins. @default 10 */
  readonly bins?: number;
  /** Log-loss clipping. @default 1e-15 */
  readonly eps?: number;
}

export interface BinaryMetrics {
  readonly count: number;
  readonly positives: number;
  readonly threshold: number;
  /** null where a metric is undefined for these rows; `undefinedReasons` says why. */
  readonly metrics: Readonly<Record<BinaryMetricName, number | null>>;
  readonly undefinedReasons: Readonly<Partial<Record<BinaryMetricName, string>>>;
  readonly confusion: ConfusionMatrix;
  readonly calibration: Calibration;
}

/** Every binary metric at once; undefined ones are null with a reason instead of an error. */
export function binaryMetrics(yTrue: Numbers, yProb: Numbers, options: BinaryMetricsOptions = {}): BinaryMetrics {
  const threshold = options.threshold ?? 0.5;
  const confusion = confusionMatrix(yTrue, yProb, threshold);
  const calibrationResult = calibration(yTrue, yProb, options.bins ?? 10);
  const undefinedReasons: Partial<Record<BinaryMetricName, string>> = {};
  const aucResult = aucOrReason(yTrue, yProb);
  if ('reason' in aucResult) undefinedReasons.auc = aucResult.reason;
  const precisionValue = precisionOf(confusion);
  if (precisionValue === null) undefinedReasons.precision = `precision is undefined: no row has p >= ${threshold}`;
  const recallValue = recallOf(confusion);
  if (recallValue === null) undefinedReasons.recall = 'recall is undefined: no positive rows';
  const f1Value = f1Of(confusion);
  if (f1Value === null) undefinedReasons.f1 = `F1 is undefined: no positive rows and no row has p >= ${threshold}`;
  return {
    count: yTrue.length,
    positives: confusion.truePositives + confusion.falseNegatives,
    threshold,
    metrics: {
      auc: 'value' in aucResult ? aucResult.value : null,
      logLoss: logLoss(yTrue, yProb, { eps: options.eps }),
      accuracy: accuracyOf(confusion),
      precision: precisionValue,
      recall: recallValue,
      f1: f1Value,
      ece: calibrationResult.ece,
    },
    undefinedReasons,
    confusion,
    calibration: calibrationResult,
  };
}

export interface RegressionMetrics {
  readonly count: number;
  readonly metrics: Readonly<Record<RegressionMetricName, number>>;
}

export function regressionMetrics(yTrue: Numbers, yPred: Numbers): RegressionMetrics {
  return { count: yTrue.length, metrics: { rmse: rmse(yTrue, yPred), mae: mae(yTrue, yPred) } };
}

export type GroupValue = string | number | boolean | null | undefined;

export interface SubgroupResult<M extends string> {
  /** The subgroup's value as text; null for rows whose group value is missing. */
  readonly group: string | null;
  readonly count: number;
  /** Binary only. */
  readonly positives?: number;
  readonly metrics: Readonly<Record<M, number | null>>;
  readonly undefinedReasons: Readonly<Partial<Record<M, string>>>;
  /** False when the subgroup is smaller than minGroupSize: reported, but left out of the gaps. */
  readonly includedInGaps: boolean;
}

export interface MetricGap {
  /** highest.value - lowest.value. */
  readonly gap: number;
  readonly lowest: { readonly group: string | null; readonly value: number };
  readonly highest: { readonly group: string | null; readonly value: number };
  readonly groupsCompared: number;
}

export interface SubgroupReport<M extends string> {
  readonly task: 'binary' | 'regression';
  /** Sorted by group value (UTF-16 order), the missing group last. */
  readonly groups: readonly SubgroupResult<M>[];
  /** Per metric, the largest difference between subgroups; null when fewer than two subgroups have a value. */
  readonly gaps: Readonly<Record<M, MetricGap | null>>;
}

interface SubgroupOptionsBase {
  /** Subgroups with fewer rows are reported but not compared in the gaps. @default 1 */
  readonly minGroupSize?: number;
}
export interface BinarySubgroupOptions extends SubgroupOptionsBase, BinaryMetricsOptions {
  readonly task?: 'binary';
}
export interface RegressionSubgroupOptions extends SubgroupOptionsBase {
  readonly task: 'regression';
}

const BINARY_METRICS: readonly BinaryMetricName[] = ['auc', 'logLoss', 'accuracy', 'precision', 'recall', 'f1', 'ece'];
const REGRESSION_METRICS: readonly RegressionMetricName[] = ['rmse', 'mae'];

function groupRows(groupValues: readonly GroupValue[]): { key: string | null; rows: number[] }[] {
  const byKey = new Map<string | null, number[]>();
  groupValues.forEach((value, i) => {
    const key = value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value)) ? null : String(value);
    const rows = byKey.get(key);
    if (rows) rows.push(i);
    else byKey.set(key, [i]);
  });
  return [...byKey.entries()]
    .map(([key, rows]) => ({ key, rows }))
    .sort((a, b) => (a.key === b.key ? 0 : a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : 1));
}

function gapsOf<M extends string>(names: readonly M[], groups: readonly SubgroupResult<M>[]): Record<M, MetricGap | null> {
  const gaps = {} as Record<M, MetricGap | null>;
  for (const name of names) {
    const values = groups
      .filter((group) => group.includedInGaps && group.metrics[name] !== null)
      .map((group) => ({ group: group.group, value: group.metrics[name] as number }));
    if (values.length < 2) {
      gaps[name] = null;
      continue;
    }
    const lowest = values.reduce((a, b) => (b.value < a.value ? b : a));
    const highest = values.reduce((a, b) => (b.value > a.value ? b : a));
    gaps[name] = { gap: highest.value - lowest.value, lowest, highest, groupsCompared: values.length };
  }
  return gaps;
}

/**
 * Every metric per subgroup (e.g. per sex or age band) and, per metric, the largest gap
 * between subgroups. Subgroups where a metric is undefined (AUC with one class) get null
 * and a reason, and are left out of that metric's gap.
 */
export function metricsBySubgroup(yTrue: Numbers, yProb: Numbers, groupValues: readonly GroupValue[], options?: BinarySubgroupOptions): SubgroupReport<BinaryMetricName>;
export function metricsBySubgroup(yTrue: Numbers, yPred: Numbers, groupValues: readonly GroupValue[], options: RegressionSubgroupOptions): SubgroupReport<RegressionMetricName>;
export function metricsBySubgroup(
  yTrue: Numbers,
  yPred: Numbers,
  groupValues: readonly GroupValue[],
  options: BinarySubgroupOptions | RegressionSubgroupOptions = {},
): SubgroupReport<BinaryMetricName> | SubgroupReport<RegressionMetricName> {
  if (groupValues.length !== yTrue.length) throw new MetricError('groupValues', `has ${groupValues.length} values but yTrue has ${yTrue.length}`);
  const minGroupSize = options.minGroupSize ?? 1;
  if (!Number.isInteger(minGroupSize) || minGroupSize < 1) throw new MetricError('minGroupSize', `must be a positive integer, got ${minGroupSize}`);
  const pick = (values: Numbers, rows: readonly number[]): Float64Array => Float64Array.from(rows, (row) => values[row]);

  if (options.task === 'regression') {
    checkRegression(yTrue, yPred);
    const groups = groupRows(groupValues).map(({ key, rows }): SubgroupResult<RegressionMetricName> => ({
      group: key,
      count: rows.length,
      metrics: regressionMetrics(pick(yTrue, rows), pick(yPred, rows)).metrics,
      undefinedReasons: {},
      includedInGaps: rows.length >= minGroupSize,
    }));
    return { task: 'regression', groups, gaps: gapsOf(REGRESSION_METRICS, groups) };
  }

  checkBinary(yTrue, yPred);
  const binaryOptions: BinaryMetricsOptions = options;
  const groups = groupRows(groupValues).map(({ key, rows }): SubgroupResult<BinaryMetricName> => {
    const result = binaryMetrics(pick(yTrue, rows), pick(yPred, rows), binaryOptions);
    return {
      group: key,
      count: result.count,
      positives: result.positives,
      metrics: result.metrics,
      undefinedReasons: result.undefinedReasons,
      includedInGaps: rows.length >= minGroupSize,
    };
  });
  return { task: 'binary', groups, gaps: gapsOf(BINARY_METRICS, groups) };
}
