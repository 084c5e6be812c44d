/**
 * The two objectives' starting margin and evaluation metric, as XGBoost defines them:
 * binary:logistic evaluated with logloss, reg:squarederror with rmse. Metrics carry the
 * sample weights only (not scalePosWeight). Training rows' gradients and metric sums come
 * from the boosting engine (boosting-engine.ts), which runs the same formulas over threads;
 * this module scores the validation rows and turns sums into the metric.
 */
import type { Objective } from './model';

export type EvalMetric = 'logloss' | 'rmse';

export function evalMetric(objective: Objective): EvalMetric {
  return objective === 'binary:logistic' ? 'logloss' : 'rmse';
}

/** Margin of baseScore when given, else of the best constant: the weighted positive rate or mean. */
export function baseMargin(objective: Objective, labels: Float64Array, weights: Float64Array, baseScore: number | undefined): number {
  let score = baseScore;
  if (score === undefined) {
    let sum = 0;
    let weightSum = 0;
    for (let i = 0; i < labels.length; i++) {
      sum += weights[i] * labels[i];
      weightSum += weights[i];
    }
    score = sum / weightSum;
  }
  return objective === 'binary:logistic' ? Math.log(score / (1 - score)) : score;
}

/** The metric from a weighted sum of per-row losses (log loss, or squared error) and the weight sum. */
export function metricFromSums(objective: Objective, lossSum: number, weightSum: number): number {
  const mean = lossSum / weightSum;
  return objective === 'binary:logistic' ? mean : Math.sqrt(mean);
}

/** The metric of margins against labels. */
export function metricValue(objective: Objective, margins: Float64Array, labels: Float64Array, weights: Float64Array): number {
  const logistic = objective === 'binary:logistic';
  let lossSum = 0;
  let weightSum = 0;
  for (let r = 0; r < margins.length; r++) {
    const m = margins[r];
    const y = labels[r];
    const loss = logistic ? Math.max(m, 0) - y * m + Math.log1p(Math.exp(-Math.abs(m))) : (m - y) * (m - y);
    lossSum += weights[r] * loss;
    weightSum += weights[r];
  }
  return metricFromSums(objective, lossSum, weightSum);
}
