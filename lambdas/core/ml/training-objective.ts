/**
 * Gradients, hessians and evaluation metrics of the two objectives, as XGBoost defines them:
 * binary:logistic (log loss; hessian floored at 1e-16) evaluated with logloss, and
 * reg:squarederror evaluated with rmse. Metrics use the sample weights only; gradients also
 * carry scalePosWeight.
 */
import type { Objective } from './model';

export type EvalMetric = 'logloss' | 'rmse';

export interface ObjectiveFunctions {
  readonly metric: EvalMetric;
  /** Margin of the best constant prediction, or of baseScore when given. */
  baseMargin(labels: Float64Array, weights: Float64Array, baseScore: number | undefined): number;
  /** Writes interleaved gradient/hessian per row and returns the metric at these margins. */
  gradients(margins: Float64Array, labels: Float64Array, gradWeights: Float64Array, metricWeights: Float64Array, gradHess: Float64Array): number;
  metricValue(margins: Float64Array, labels: Float64Array, metricWeights: Float64Array): number;
}

const logistic: ObjectiveFunctions = {
  metric: 'logloss',
  baseMargin(labels, weights, baseScore) {
    const p = baseScore ?? weightedMean(labels, weights);
    return Math.log(p / (1 - p));
  },
  gradients(margins, labels, gradWeights, metricWeights, gradHess) {
    let loss = 0;
    let weightSum = 0;
    for (let r = 0; r < margins.length; r++) {
      const m = margins[r];
      const y = labels[r];
      const e = Math.exp(-Math.abs(m));
      const p = m >= 0 ? 1 / (1 + e) : e / (1 + e);
      const w = gradWeights[r];
      gradHess[2 * r] = (p - y) * w;
      gradHess[2 * r + 1] = Math.max(p * (1 - p), 1e-16) * w;
      const lw = metricWeights[r];
      loss += lw * (Math.max(m, 0) - y * m + Math.log1p(e));
      weightSum += lw;
    }
    return loss / weightSum;
  },
  metricValue(margins, labels, metricWeights) {
    let loss = 0;
    let weightSum = 0;
    for (let r = 0; r < margins.length; r++) {
      const m = margins[r];
      const lw = metricWeights[r];
      loss += lw * (Math.max(m, 0) - labels[r] * m + Math.log1p(Math.exp(-Math.abs(m))));
      weightSum += lw;
    }
    return loss / weightSum;
  },
};

const squaredError: ObjectiveFunctions = {
  metric: 'rmse',
  baseMargin(labels, weights, baseScore) {
    return baseScore ?? weightedMean(labels, weights);
  },
  gradients(margins, labels, gradWeights, metricWeights, gradHess) {
    let loss = 0;
    let weightSum = 0;
    for (let r = 0; r < margins.length; r++) {
      const d = margins[r] - labels[r];
      const w = gradWeights[r];
      gradHess[2 * r] = d * w;
      gradHess[2 * r + 1] = w;
      const lw = metricWeights[r];
      loss += lw * d * d;
      weightSum += lw;
    }
    return Math.sqrt(loss / weightSum);
  },
  metricValue(margins, labels, metricWeights) {
    let loss = 0;
    let weightSum = 0;
    for (let r = 0; r < margins.length; r++) {
      const d = margins[r] - labels[r];
      loss += metricWeights[r] * d * d;
      weightSum += metricWeights[r];
    }
    return Math.sqrt(loss / weightSum);
  },
};

export function objectiveFunctions(objective: Objective): ObjectiveFunctions {
  return objective === 'binary:logistic' ? logistic : squaredError;
}

function weightedMean(values: Float64Array, weights: Float64Array): number {
  let sum = 0;
  let weightSum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += weights[i] * values[i];
    weightSum += weights[i];
  }
  return sum / weightSum;
}
