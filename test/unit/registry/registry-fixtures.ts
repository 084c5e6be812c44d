/** Requests the registry tests share: one training run's facts, varied per test. */
import type { ModelVersionRequest } from '../../../lambdas/core/registry/model-version';
import type { RegisterStepInput } from '../../../lambdas/core/registry/steps';

export const SHA = 'a'.repeat(64);

/** A clock that moves one second per reading from 2026-05-01T10:00:00Z. */
export function steppingClock(): () => Date {
  let t = Date.parse('2026-05-01T10:00:00.000Z');
  return () => new Date((t += 1000));
}

export function versionRequest(overrides: Partial<ModelVersionRequest> = {}): ModelVersionRequest {
  return {
    project: 'adherence',
    artifacts: {
      modelKey: 'projects/adherence/models/run-1/model.json',
      onnxKey: 'projects/adherence/models/run-1/model.onnx',
      onnxMaxAbsDiff: 1e-6,
      metricsKey: 'projects/adherence/models/run-1/metrics.json',
      baselineStatisticsKey: 'projects/adherence/datasets/ds-1/baseline/statistics.json',
      baselineConstraintsKey: 'projects/adherence/datasets/ds-1/baseline/constraints.json',
      importanceKey: 'projects/adherence/models/run-1/importance.json',
    },
    primaryMetric: 'auc',
    metrics: { auc: 0.81, logLoss: 0.42 },
    lineage: {
      dataset: { datasetVersionId: 'ds-1', sha256: SHA, key: 'projects/adherence/datasets/ds-1/data.csv' },
      featureGroups: [{ name: 'patient-vitals', version: 3 }],
      seedCodeVersion: 'seed-1.0.0',
      parameters: { max_depth: '6', eta: '0.1' },
      training: { backend: 'embedded', jobName: 'job-1' },
      executionId: 'arn:aws:states:us-east-1:000000000000:execution:Training:run-1',
      trigger: { type: 's3' },
    },
    status: 'registered',
    card: { purpose: 'Predicts who stops their medication within 30 days.', intendedUse: 'Prioritising pharmacist follow-up calls.' },
    registeredBy: 'tester',
    ...overrides,
  };
}

export function registerInput(run: string, metrics: Record<string, number | null>, overrides: Partial<RegisterStepInput> = {}): RegisterStepInput {
  return {
    executionId: `arn:aws:states:us-east-1:000000000000:execution:Training:${run}`,
    trigger: { type: 's3', detail: { key: `projects/adherence/training/inbox/${run}.csv` } },
    dataset: { datasetVersionId: `ds-${run}`, sha256: SHA, key: `projects/adherence/datasets/ds-${run}/data.csv` },
    training: { backend: 'embedded', jobName: `job-${run}`, parameters: { max_depth: '6', eta: '0.1' }, modelKey: `projects/adherence/models/${run}/model.json`, seedCodeVersion: 'seed-1.0.0' },
    onnx: { key: `projects/adherence/models/${run}/model.onnx`, maxAbsDiff: 2e-7 },
    evaluation: { primaryMetric: 'auc', metrics, importanceKey: `projects/adherence/models/${run}/importance.json` },
    baselineKeys: { statistics: `projects/adherence/datasets/ds-${run}/baseline/statistics.json`, constraints: `projects/adherence/datasets/ds-${run}/baseline/constraints.json` },
    ...overrides,
  };
}
