/**
 * Whether a challenger goes to staging: it must beat the champion on the project's primary
 * metric (strictly: a tie keeps the champion), or be the project's first model.
 */
import { UnknownMetricDirectionError, UnknownMetricError } from './errors';

/** Metrics the engine reports (lambdas/core/ml/metrics.ts) and whether higher is better. */
const KNOWN_DIRECTIONS: Readonly<Record<string, boolean>> = {
  auc: true,
  accuracy: true,
  precision: true,
  recall: true,
  f1: true,
  logLoss: false,
  ece: false,
  rmse: false,
  mae: false,
};

/** Whether a higher value of the metric is better; undefined for a metric we do not know. */
export function knownMetricDirection(metric: string): boolean | undefined {
  return KNOWN_DIRECTIONS[metric];
}

export interface StagingDecisionRequest {
  readonly challenger: Readonly<Record<string, number | null>>;
  /** The champion's metrics (on the same holdout when the evaluation scored it); undefined when the project has no champion. */
  readonly champion?: { readonly version: number; readonly metrics: Readonly<Record<string, number | null>> };
  readonly primaryMetric: string;
  /** @default - known for the engine's metrics (auc, f1, … higher; logLoss, ece, rmse, mae lower), else required */
  readonly higherIsBetter?: boolean;
}

export interface StagingDecision {
  readonly decision: 'staging' | 'rejected';
  readonly primaryMetric: string;
  readonly higherIsBetter: boolean;
  readonly challengerScore: number;
  readonly championVersion: number | null;
  readonly championScore: number | null;
  /** One sentence a person can read in a notification. */
  readonly reason: string;
}

export function decideStaging(request: StagingDecisionRequest): StagingDecision {
  const { primaryMetric } = request;
  const higherIsBetter = request.higherIsBetter ?? knownMetricDirection(primaryMetric);
  if (higherIsBetter === undefined) throw new UnknownMetricDirectionError(primaryMetric);
  const challengerScore = scoreOf(request.challenger, primaryMetric, 'the challenger');
  if (!request.champion) {
    return {
      decision: 'staging',
      primaryMetric,
      higherIsBetter,
      challengerScore,
      championVersion: null,
      championScore: null,
      reason: `first model of the project (${primaryMetric} ${format(challengerScore)})`,
    };
  }
  const { version } = request.champion;
  const championScore = scoreOf(request.champion.metrics, primaryMetric, `the champion (version ${version})`);
  const better = higherIsBetter ? challengerScore > championScore : challengerScore < championScore;
  const relation = challengerScore === championScore ? '=' : challengerScore > championScore ? '>' : '<';
  const comparison = `${primaryMetric} ${format(challengerScore)} ${relation} champion version ${version} ${format(championScore)} (${higherIsBetter ? 'higher' : 'lower'} is better)`;
  return {
    decision: better ? 'staging' : 'rejected',
    primaryMetric,
    higherIsBetter,
    challengerScore,
    championVersion: version,
    championScore,
    reason: better ? `challenger wins: ${comparison}` : `challenger does not beat the champion: ${comparison}`,
  };
}

function scoreOf(metrics: Readonly<Record<string, number | null>>, metric: string, who: string): number {
  const value = metrics[metric];
  if (value === undefined || value === null || !Number.isFinite(value)) {
    const available = Object.entries(metrics)
      .filter(([, v]) => typeof v === 'number')
      .map(([k]) => k);
    throw new UnknownMetricError(metric, who, available);
  }
  return value;
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
