import { InvalidRegistryRequestError, UnknownProjectError, UnknownVersionError } from '../../../lambdas/core/registry/errors';
import { memoryRegistryStore } from '../../../lambdas/core/registry/memory-store';
import { getModelVersion, listModelVersions, registerModelVersion } from '../../../lambdas/core/registry/model-version';
import { steppingClock, versionRequest } from './registry-fixtures';

describe('registerModelVersion', () => {
  it('registers version 1 with artifacts, metrics, lineage and the card as revision 1', async () => {
    const store = memoryRegistryStore();

    const { record, card, replayed } = await registerModelVersion(store, versionRequest(), { now: steppingClock() });

    expect(replayed).toBe(false);
    expect(record).toMatchObject({ project: 'adherence', version: 1, status: 'registered', stage: 'none', registeredAt: '2026-05-01T10:00:01.000Z', metrics: { auc: 0.81, logLoss: 0.42 } });
    expect(record.artifacts.onnxKey).toBe('projects/adherence/models/run-1/model.onnx');
    expect(record.lineage.featureGroups).toEqual([{ name: 'patient-vitals', version: 3 }]);
    expect(card).toMatchObject({
      version: 1,
      revision: 1,
      purpose: 'Predicts who stops their medication within 30 days.',
      trainingData: { datasetVersionId: 'ds-1', key: 'projects/adherence/datasets/ds-1/data.csv' },
      evaluation: { primaryMetric: 'auc', metrics: { auc: 0.81, logLoss: 0.42 } },
      missingSections: ['limitations', 'ethicalConsiderations'],
    });
    const keys = store.items('registry').map((i) => i.sk);
    expect(keys).toEqual(['CARD#000001#REV#0001', 'COUNTER#VERSION', 'EXECUTION#arn:aws:states:us-east-1:000000000000:execution:Training:run-1', 'VERSION#000001']);
  });

  it('gives 50 concurrent registrations the numbers 1..50, each once', async () => {
    const store = memoryRegistryStore();
    const now = steppingClock();

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => registerModelVersion(store, versionRequest({ lineage: { ...versionRequest().lineage, executionId: `run-${i}` } }), { now })),
    );

    const versions = results.map((r) => r.record.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await listModelVersions(store, 'adherence')).map((v) => v.version)).toEqual(versions);
  });

  it('returns the version already registered for the same execution instead of registering again', async () => {
    const store = memoryRegistryStore();
    const first = await registerModelVersion(store, versionRequest(), { now: steppingClock() });

    const again = await registerModelVersion(store, versionRequest({ metrics: { auc: 0.99, logLoss: 0.1 } }), { now: steppingClock() });

    expect(again.replayed).toBe(true);
    expect(again.record.version).toBe(first.record.version);
    expect(again.record.metrics.auc).toBe(0.81);
    expect((await listModelVersions(store, 'adherence')).length).toBe(1);
  });

  it('keeps null metrics apart as undefined metrics', async () => {
    const store = memoryRegistryStore();

    const { record } = await registerModelVersion(store, versionRequest({ metrics: { auc: null, logLoss: 0.5 }, primaryMetric: 'logLoss' }), { now: steppingClock() });

    expect(record.metrics).toEqual({ logLoss: 0.5 });
    expect(record.undefinedMetrics).toEqual(['auc']);
  });

  it('refuses a primary metric that is not among the metrics, naming the ones there are', async () => {
    const store = memoryRegistryStore();

    const registering = registerModelVersion(store, versionRequest({ primaryMetric: 'f1' }), { now: steppingClock() });

    await expect(registering).rejects.toThrow(InvalidRegistryRequestError);
    await expect(registering).rejects.toThrow('invalid primaryMetric: "f1" is not among the metrics (auc, logLoss)');
    expect(store.items('registry')).toEqual([]);
  });

  it('refuses a project name that cannot be a key', async () => {
    await expect(registerModelVersion(memoryRegistryStore(), versionRequest({ project: 'Bad#Name' }), { now: steppingClock() })).rejects.toThrow('invalid project: "Bad#Name" is not a project name');
  });
});

describe('reading versions', () => {
  it('an unknown project and an unknown version are told apart', async () => {
    const store = memoryRegistryStore();
    await registerModelVersion(store, versionRequest(), { now: steppingClock() });

    await expect(listModelVersions(store, 'churn')).rejects.toThrow(UnknownProjectError);
    await expect(getModelVersion(store, 'churn', 1)).rejects.toThrow('project churn has no registered model versions');
    await expect(getModelVersion(store, 'adherence', 7)).rejects.toThrow(UnknownVersionError);
    await expect(getModelVersion(store, 'adherence', 7)).rejects.toThrow('project adherence has no model version 7 (versions are 1..1)');
    await expect(getModelVersion(store, 'adherence', 0)).rejects.toThrow('invalid version: 0 is not a positive whole number');
  });

  it('lists summaries with the primary score, dataset and trigger', async () => {
    const store = memoryRegistryStore();
    await registerModelVersion(store, versionRequest(), { now: steppingClock() });

    const [summary] = await listModelVersions(store, 'adherence');

    expect(summary).toEqual({
      version: 1,
      status: 'registered',
      stage: 'none',
      registeredAt: '2026-05-01T10:00:01.000Z',
      primaryMetric: 'auc',
      primaryScore: 0.81,
      metrics: { auc: 0.81, logLoss: 0.42 },
      datasetVersionId: 'ds-1',
      trigger: 's3',
      executionId: 'arn:aws:states:us-east-1:000000000000:execution:Training:run-1',
    });
  });
});
