import { UnknownMetricDirectionError, UnknownMetricError } from '../../../lambdas/core/registry/errors';
import { decideStaging } from '../../../lambdas/core/registry/staging-decision';

describe('decideStaging', () => {
  it('sends the first model of a project to staging', () => {
    expect(decideStaging({ challenger: { auc: 0.7 }, primaryMetric: 'auc' })).toEqual({
      decision: 'staging',
      primaryMetric: 'auc',
      higherIsBetter: true,
      challengerScore: 0.7,
      championVersion: null,
      championScore: null,
      reason: 'first model of the project (auc 0.7000)',
    });
  });

  it('stages a challenger with a higher AUC and names both scores', () => {
    const decision = decideStaging({ challenger: { auc: 0.83 }, champion: { version: 4, metrics: { auc: 0.8 } }, primaryMetric: 'auc' });

    expect(decision).toMatchObject({ decision: 'staging', challengerScore: 0.83, championScore: 0.8, championVersion: 4 });
    expect(decision.reason).toBe('challenger wins: auc 0.8300 > champion version 4 0.8000 (higher is better)');
  });

  it('rejects a tie: the champion stays', () => {
    const decision = decideStaging({ challenger: { auc: 0.8 }, champion: { version: 2, metrics: { auc: 0.8 } }, primaryMetric: 'auc' });

    expect(decision.decision).toBe('rejected');
    expect(decision.reason).toBe('challenger does not beat the champion: auc 0.8000 = champion version 2 0.8000 (higher is better)');
  });

  it('for log loss, lower wins', () => {
    expect(decideStaging({ challenger: { logLoss: 0.3 }, champion: { version: 1, metrics: { logLoss: 0.35 } }, primaryMetric: 'logLoss' }).decision).toBe('staging');
    expect(decideStaging({ challenger: { logLoss: 0.4 }, champion: { version: 1, metrics: { logLoss: 0.35 } }, primaryMetric: 'logLoss' }).decision).toBe('rejected');
  });

  it('takes the direction it is given for a metric of its own', () => {
    const decision = decideStaging({ challenger: { cost: 10 }, champion: { version: 1, metrics: { cost: 12 } }, primaryMetric: 'cost', higherIsBetter: false });

    expect(decision.decision).toBe('staging');
    expect(() => decideStaging({ challenger: { cost: 10 }, primaryMetric: 'cost' })).toThrow(UnknownMetricDirectionError);
  });

  it('names the side that lacks the primary metric and what it has', () => {
    expect(() => decideStaging({ challenger: { logLoss: 0.3 }, primaryMetric: 'auc' })).toThrow(new UnknownMetricError('auc', 'the challenger', ['logLoss']));
    expect(() => decideStaging({ challenger: { auc: 0.9 }, champion: { version: 3, metrics: { auc: null, f1: 0.5 } }, primaryMetric: 'auc' })).toThrow(
      'the champion (version 3) has no metric "auc" (available: f1)',
    );
  });
});
