/**
 * The split step's feature-store join: feature groups named in training.json are joined onto
 * the uploaded rows as of each row's event time, with a late-arriving ingestion in the store
 * that a naive join would leak from the future; the run records the exact versions.
 */
import { registerFeatureGroup } from '../../../lambdas/core/features/feature-groups';
import { ingestFeatures } from '../../../lambdas/core/features/ingestion';
import { joinFeatureGroups } from '../../../lambdas/core/pipeline/feature-join';
import { runLayout } from '../../../lambdas/core/pipeline/run-layout';
import { splitTrainingDataset } from '../../../lambdas/core/pipeline/split-dataset';
import { FeatureStoreConfig } from '../../../lambdas/core/pipeline/training-config';
import { DataError, tableFromCsv } from '../../../lambdas/core/ml/tabular';
import { memoryFeatureStore, vitalsDefinition } from '../features/feature-fixtures';
import { BUCKET, EXECUTION, PROJECT, SPEC, memoryStore, sha256 } from './pipeline-fixtures';

const VITALS = 'patient_id,measured_at,heart_rate,smoker,ward';
const config = FeatureStoreConfig.parse({ eventTimeColumn: 'label_time', groups: [{ name: 'patient-vitals', features: ['heart_rate', 'smoker'] }] });
const spec = { entityIdColumn: 'patient_id', targetColumn: 'readmitted' };

/** The store: v1 of the vitals group; an on-time ingestion, then a late one with an older and a newer row. */
async function vitalsStore() {
  const store = memoryFeatureStore();
  await registerFeatureGroup(store.table, vitalsDefinition(), store);
  const ingest = (rows: string[]) => ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${VITALS}\n${rows.join('\n')}\n` } });
  await ingest(['p-1,2026-01-01T00:00:00Z,70,false,cardio', 'p-1,2026-01-20T00:00:00Z,95,true,cardio', 'p-2,2026-01-03T00:00:00Z,60,false,general']);
  // Late-arriving: p-1's Jan 8 value (true on Jan 10), p-2's Jan 15 value (after the label: must not leak).
  await ingest(['p-1,2026-01-08T00:00:00Z,80,false,cardio', 'p-2,2026-01-15T00:00:00Z,99,true,general']);
  return store;
}

describe('feature-store join of the split step', () => {
  it('joins each row as of its event time, keeps every dataset column and row, and records the versions', async () => {
    // Arrange
    const store = await vitalsStore();
    const csv = 'patient_id,label_time,age,readmitted\np-1,2026-01-10T00:00:00Z,61,yes\np-2,2026-01-10T00:00:00Z,70,no\np-3,2026-01-10T00:00:00Z,55,no\np-1,2026-01-25T00:00:00Z,61,yes\n';

    // Act
    const joined = await joinFeatureGroups(csv, config, spec, store);

    // Assert: p-1 on Jan 10 gets the late Jan 8 row (80), not Jan 20's 95; p-2 gets Jan 3 (60), not Jan 15's 99;
    // p-3 has nothing (empty cells); p-1 on Jan 25 gets Jan 20 (95).
    expect(joined.csv).toBe(
      [
        'patient_id,label_time,age,readmitted,heart_rate,smoker',
        'p-1,2026-01-10T00:00:00Z,61,yes,80,false',
        'p-2,2026-01-10T00:00:00Z,70,no,60,false',
        'p-3,2026-01-10T00:00:00Z,55,no,,',
        'p-1,2026-01-25T00:00:00Z,61,yes,95,true',
        '',
      ].join('\n'),
    );
    expect(joined.featureColumns).toEqual(['heart_rate', 'smoker']);
    expect(joined.lineage).toEqual([{ name: 'patient-vitals', version: 1 }]);
    expect(joined.stats).toEqual([{ group: 'patient-vitals', version: 1, matched: 3, missing: 1 }]);
  });

  it('refuses what cannot be joined, saying what and where', async () => {
    const store = await vitalsStore();
    const csv = 'patient_id,label_time,readmitted\np-1,2026-01-10T00:00:00Z,yes\n';
    await expect(joinFeatureGroups(csv, config, spec, undefined)).rejects.toThrow(/gave the split step no feature store table/);
    await expect(joinFeatureGroups(csv, config, { ...spec, entityIdColumn: '' }, store)).rejects.toThrow(/needs an entity id column/);
    await expect(joinFeatureGroups(csv, { ...config, eventTimeColumn: 'seen_at' }, spec, store)).rejects.toThrow(DataError);
    await expect(joinFeatureGroups('patient_id,label_time,heart_rate,readmitted\np-1,2026-01-10T00:00:00Z,70,yes\n', config, spec, store)).rejects.toThrow(/has the name of a dataset column/);
    await expect(joinFeatureGroups('patient_id,label_time,readmitted\np-1,last tuesday,yes\n', config, spec, store)).rejects.toThrow(/label_time/);
    await expect(joinFeatureGroups(csv, FeatureStoreConfig.parse({ eventTimeColumn: 'label_time', groups: [{ name: 'no-such-group' }] }), spec, store)).rejects.toThrow(/no-such-group/);
  });

  it('validates the training.json section', () => {
    expect(FeatureStoreConfig.safeParse({ eventTimeColumn: 'label_time', groups: [] }).success).toBe(false);
    expect(FeatureStoreConfig.safeParse({ eventTimeColumn: 'label_time', groups: [{ name: 'a' }, { name: 'a' }] }).success).toBe(false);
    expect(FeatureStoreConfig.safeParse({ eventTimeColumn: 'label_time', groups: [{ name: 'a', version: 0 }] }).success).toBe(false);
    expect(FeatureStoreConfig.safeParse({ eventTimeColumn: 'label_time', groups: [{ name: 'a', extra: 1 }] }).success).toBe(false);
  });
});

describe('split step with feature groups', () => {
  it('trains on the joined columns (never the event time), stores the training set and returns the lineage', async () => {
    // Arrange: 120 patients with two labelled visits; the store holds each patient's heart rate before each visit.
    const store = await vitalsStore();
    const vitals: string[] = [];
    const rows = ['patient_id,label_time,age,sex,readmitted'];
    for (let i = 0; i < 120; i++) {
      const rate = 60 + ((i * 37) % 50);
      vitals.push(`q-${i},2026-02-01T00:00:00Z,${rate},${i % 4 === 0},general`);
      for (const visit of [0, 1]) rows.push(`q-${i},2026-02-0${2 + visit}T00:00:00Z,${40 + (i % 40)},${i % 2 ? 'F' : 'M'},${rate > 85 ? 'yes' : 'no'}`);
    }
    await ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${VITALS}\n${vitals.join('\n')}\n` } });
    const data = `${rows.join('\n')}\n`;
    const objects = memoryStore({
      [`projects/${PROJECT}/datasets/ds-1/data.csv`]: data,
      [`projects/${PROJECT}/config/training.json`]: JSON.stringify({ featureStore: { eventTimeColumn: 'label_time', groups: [{ name: 'patient-vitals', features: ['heart_rate', 'smoker'] }] } }),
    });
    const run = runLayout(PROJECT, 'run-1');

    // Act
    const result = await splitTrainingDataset(
      { executionId: EXECUTION, dataset: { datasetVersionId: 'ds-1', sha256: sha256(data) }, modelOutputUri: `s3://${BUCKET}/${run.modelOutputPrefix}` },
      { ...SPEC, targetColumn: 'readmitted', positiveLabel: 'yes' },
      { objects, features: store },
      BUCKET,
    );

    // Assert
    expect(result.featureGroups).toEqual([{ name: 'patient-vitals', version: 1 }]);
    expect(result.featureJoin).toEqual({ trainingSetKey: run.trainingSet, featureColumns: ['heart_rate', 'smoker'], stats: [{ group: 'patient-vitals', version: 1, matched: 240, missing: 0 }] });
    const encoding = JSON.parse(objects.text(run.encoding)) as { features: { name: string }[] };
    expect(encoding.features.map((f) => f.name).sort()).toEqual(['age', 'heart_rate', 'sex', 'smoker']);
    const trainingSet = tableFromCsv(objects.text(run.trainingSet));
    expect(trainingSet.rowCount).toBe(240);
    expect(trainingSet.columns.map((c) => c.name)).toEqual(['patient_id', 'label_time', 'age', 'sex', 'readmitted', 'heart_rate', 'smoker']);
    expect(objects.text(run.holdout).split('\n')[0]).toBe('patient_id,label_time,age,sex,readmitted,heart_rate,smoker');
    // The version's baseline is the joined set's: the dataset's columns and the joined features, typed as validation types them.
    expect(result.baselineKeys).toEqual({ statistics: run.baselineStatistics, constraints: run.baselineConstraints });
    const statistics = JSON.parse(objects.text(run.baselineStatistics)) as { dataset: { item_count: number }; features: { name: string; inferred_type: string }[] };
    expect(statistics.dataset.item_count).toBe(240);
    expect(Object.fromEntries(statistics.features.map((f) => [f.name, f.inferred_type]))).toEqual({ label_time: 'String', age: 'Integral', sex: 'String', heart_rate: 'Integral', smoker: 'String' });
    const constraints = JSON.parse(objects.text(run.baselineConstraints)) as { features: { name: string }[] };
    expect(constraints.features.map((f) => f.name)).toEqual(['label_time', 'age', 'sex', 'heart_rate', 'smoker']);
  });

  it('records no feature groups for a project without a featureStore section', async () => {
    const data = 'patient_id,age,readmitted\n' + Array.from({ length: 60 }, (_, i) => `p${i},${30 + i},${i % 3 ? 'no' : 'yes'}`).join('\n') + '\n';
    const objects = memoryStore({ [`projects/${PROJECT}/datasets/ds-1/data.csv`]: data });
    const run = runLayout(PROJECT, 'run-1');
    const result = await splitTrainingDataset({ executionId: EXECUTION, dataset: { datasetVersionId: 'ds-1', sha256: sha256(data) }, modelOutputUri: `s3://${BUCKET}/${run.modelOutputPrefix}` }, SPEC, { objects }, BUCKET);
    expect(result.featureGroups).toEqual([]);
    expect(result.featureJoin).toBeNull();
    expect(objects.objects.has(`${BUCKET}/${run.trainingSet}`)).toBe(false);
    expect(result.baselineKeys).toEqual({ statistics: `projects/${PROJECT}/datasets/ds-1/baseline/statistics.json`, constraints: `projects/${PROJECT}/datasets/ds-1/baseline/constraints.json` });
    expect(objects.objects.has(`${BUCKET}/${run.baselineStatistics}`)).toBe(false);
  });
});
