import { UnknownExperimentError, UnknownMetricError, UnknownRunError } from '../../../lambdas/core/registry/errors';
import { compareExperimentRuns, type ExperimentRunRequest, listExperimentRuns, recordExperimentRun } from '../../../lambdas/core/registry/experiments';
import { memoryRegistryStore } from '../../../lambdas/core/registry/memory-store';
import { steppingClock } from './registry-fixtures';

const run = (runId: string, metrics: Record<string, number | null>, parameters: Record<string, string> = { eta: '0.1' }): ExperimentRunRequest => ({
  experimentId: 'adherence',
  runId,
  project: 'adherence',
  parameters,
  metrics,
  artifacts: { model: `projects/adherence/models/${runId}/model.json` },
  recordedBy: 'tester',
});

async function experimentWithRuns() {
  const store = memoryRegistryStore();
  const now = steppingClock();
  // Recorded in this order: r1 oldest, r5 newest.
  for (const r of [run('r1', { auc: 0.7, logLoss: 0.5 }), run('r2', { logLoss: 0.4 }), run('r3', { auc: 0.9 }), run('r4', { auc: null }), run('r5', { auc: 0.8 })]) {
    await recordExperimentRun(store, r, { now });
  }
  return store;
}

describe('experiment runs', () => {
  it('lists newest first by default', async () => {
    const store = await experimentWithRuns();

    expect((await listExperimentRuns(store, 'adherence')).map((r) => r.runId)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1']);
  });

  it('sorts by a metric, highest first, runs without it last (newest first among them)', async () => {
    const store = await experimentWithRuns();

    expect((await listExperimentRuns(store, 'adherence', { sortBy: 'auc' })).map((r) => r.runId)).toEqual(['r3', 'r5', 'r1', 'r4', 'r2']);
    expect((await listExperimentRuns(store, 'adherence', { sortBy: 'auc', order: 'asc' })).map((r) => r.runId)).toEqual(['r1', 'r5', 'r3', 'r4', 'r2']);
    expect((await listExperimentRuns(store, 'adherence', { sortBy: 'logLoss', order: 'asc' })).map((r) => r.runId)).toEqual(['r2', 'r1', 'r5', 'r4', 'r3']);
  });

  it('a metric no run has is an error naming the metrics there are', async () => {
    const store = await experimentWithRuns();

    const listing = listExperimentRuns(store, 'adherence', { sortBy: 'f1' });

    await expect(listing).rejects.toThrow(UnknownMetricError);
    await expect(listing).rejects.toThrow('experiment adherence has no metric "f1" (available: auc, logLoss)');
    await expect(listExperimentRuns(store, 'churn')).rejects.toThrow(UnknownExperimentError);
  });

  it('compares two runs: every parameter and metric side by side, with deltas', async () => {
    const store = memoryRegistryStore();
    const now = steppingClock();
    await recordExperimentRun(store, run('a', { auc: 0.8, logLoss: 0.45 }, { eta: '0.1', max_depth: '6' }), { now });
    await recordExperimentRun(store, run('b', { auc: 0.85, f1: 0.6 }, { eta: '0.05', max_depth: '6', subsample: '0.8' }), { now });

    const comparison = await compareExperimentRuns(store, 'adherence', 'a', 'b');

    expect(comparison.parameters).toEqual([
      { name: 'eta', a: '0.1', b: '0.05', differs: true },
      { name: 'max_depth', a: '6', b: '6', differs: false },
      { name: 'subsample', a: null, b: '0.8', differs: true },
    ]);
    expect(comparison.metrics).toEqual([
      { name: 'auc', a: 0.8, b: 0.85, delta: expect.closeTo(0.05, 10) },
      { name: 'f1', a: null, b: 0.6, delta: null },
      { name: 'logLoss', a: 0.45, b: null, delta: null },
    ]);
  });

  it('an unknown run is named with the runs there are', async () => {
    const store = await experimentWithRuns();

    await expect(compareExperimentRuns(store, 'adherence', 'r1', 'r9')).rejects.toThrow(new UnknownRunError('adherence', 'r9', ['r1', 'r2', 'r3', 'r4', 'r5']));
    await expect(compareExperimentRuns(store, 'adherence', 'r1', 'r9')).rejects.toThrow('experiment adherence has no run "r9" (runs: r1, r2, r3, r4, r5)');
  });
});
