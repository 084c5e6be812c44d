/**
 * The whole training loop in the local cloud: a CSV dropped in a provisioned project's inbox
 * runs validate → profile → split → train (the local SageMaker: the embedded trainer) →
 * convert/verify ONNX → evaluate → register, and ends in a registered version with its card,
 * lineage and artifacts. A weaker challenger on the same data is rejected and staging stays;
 * a training error is recorded on the run and notified.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { registerFeatureGroup } from '../../lambdas/core/features/feature-groups';
import { ingestFeatures } from '../../lambdas/core/features/ingestion';
import { currentStages, setStage } from '../../lambdas/core/registry/stages';
import { getModelVersion } from '../../lambdas/core/registry/model-version';
import { dynamoDbRegistryStore } from '../../lambdas/shared/dynamodb-registry-store';
import { featureStoreOverAws } from '../../lambdas/shared/feature-store-clients';
import { PLATFORM_STACK_NAME } from '../../lib/app';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import type { ExecutionInfo } from '../../local/cloud-api';
import { vitalsDefinition } from '../unit/features/feature-fixtures';
import { releaseTestAssembly, testAssembly } from './test-assembly';

const PROJECT = 'readmit';

/** 300 patients: readmission depends on HbA1c and age, with a little noise; sex is a subgroup. */
function patients(): string {
  let state = 7;
  const random = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const rows = ['patient_id,age,sex,hba1c,brand,readmitted'];
  for (let i = 0; i < 300; i++) {
    const age = 30 + Math.floor(random() * 50);
    const hba1c = 5 + random() * 5;
    const risk = (hba1c - 7.5) * 1.2 + (age - 55) * 0.06 + (random() - 0.5) * 1.5;
    rows.push(`p${i},${age},${random() < 0.5 ? 'F' : 'M'},${hba1c.toFixed(2)},${['Glucora', 'Metforal', 'Insulex'][i % 3]},${risk > 0 ? 'yes' : 'no'}`);
  }
  return `${rows.join('\n')}\n`;
}

describe('local cloud: the training pipeline end to end', () => {
  let cloud: LocalCloud;
  let cdkOut: string;
  const data = patients();
  const configKey = `projects/${PROJECT}/config/training.json`;

  const putConfig = (config: object) => cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: configKey, Body: JSON.stringify(config) }));
  const drop = async (name: string): Promise<ExecutionInfo> => {
    const key = `projects/${PROJECT}/training/inbox/${name}`;
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: key, Body: data }));
    await cloud.waitForIdle(180_000);
    const run = cloud.listRuns(PROJECT).find((r) => (r.input as { key?: string }).key === key);
    if (!run) throw new Error(`no run for ${key}`);
    return run;
  };
  const text = async (key: string): Promise<string> => (await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }))).Body!.transformToString();
  const registry = () => dynamoDbRegistryStore(cloud.dynamodb, { registry: cloud.tableName('registry'), experiments: cloud.tableName('experiments') });
  const alerts = (): { Subject?: string; Message: string }[] => {
    const topicArn = Object.values(cloud.stackOutputs(PLATFORM_STACK_NAME)).find((value) => value.includes(':sns:'))!;
    return [...cloud.topicMessages(topicArn)];
  };

  beforeAll(async () => {
    cdkOut = testAssembly('lumina-it-train-');
    cloud = await startLocalCloud({ cdkOut, alarmEvaluationIntervalMs: 0 });
    await cloud.createProject({ name: PROJECT, targetColumn: 'readmitted', entityIdColumn: 'patient_id', positiveLabel: 'yes' });
  }, 240_000);

  afterAll(async () => {
    await cloud?.stop();
    releaseTestAssembly(cdkOut);
  });

  it('registers the first model in staging with its card, lineage and artifacts', async () => {
    await putConfig({
      hyperparameters: { num_round: 60, max_depth: 3, eta: 0.3, early_stopping_rounds: 10 },
      subgroupColumns: ['sex'],
      seedCodeVersion: 'abc1234',
      card: { purpose: 'Flag diabetic patients at risk of readmission within 30 days' },
    });
    const run = await drop('first.csv');

    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    const output = run.output as { registration: { result: { version: number; decision: string } }; training: { jobName: string; modelArtifacts: string }; evaluation: { result: { metrics: { auc: number } } } };
    expect(output.registration.result).toMatchObject({ version: 1, decision: 'staging' });
    expect(output.evaluation.result.metrics.auc).toBeGreaterThan(0.75);
    expect(output.training.modelArtifacts).toBe(`s3://${cloud.artifactBucket}/projects/${PROJECT}/runs/${run.name}/model/${output.training.jobName}/output/model.tar.gz`);

    const store = registry();
    expect(await currentStages(store, PROJECT)).toMatchObject({ staging: 1, production: null });
    const { record, card } = await getModelVersion(store, PROJECT, 1);
    expect(record.lineage).toMatchObject({
      seedCodeVersion: 'abc1234',
      training: { backend: 'embedded', jobName: output.training.jobName },
      trigger: { type: 's3' },
      parameters: expect.objectContaining({ num_round: '60', max_depth: '3' }),
    });
    expect(record.lineage.dataset.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(card).toMatchObject({ purpose: 'Flag diabetic patients at risk of readmission within 30 days', markdownKey: expect.stringMatching(/^projects\/readmit\/registry\//) });
    expect(await text(card!.markdownKey!)).toContain('readmission');

    const runPrefix = `projects/${PROJECT}/runs/${run.name}/`;
    const listed = await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.artifactBucket, Prefix: runPrefix }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!.slice(runPrefix.length)).filter((k) => !k.startsWith('model/'));
    expect(keys.sort()).toEqual([
      'artifacts/model.onnx',
      'artifacts/training-metrics.json',
      'artifacts/xgboost-model.json',
      'data/encoding/encoding.json',
      'data/holdout.csv',
      'data/test/data.csv',
      'data/train/data.csv',
      'data/validation/data.csv',
      'evaluation/importance.json',
      'evaluation/metrics.json',
    ]);
    const importance = JSON.parse(await text(`${runPrefix}evaluation/importance.json`)) as { columns: { column: string }[] };
    expect(importance.columns[0].column).toBe('hba1c');
    const report = JSON.parse(await text(`${runPrefix}evaluation/metrics.json`)) as { subgroups: { sex: { groups: { group: string }[] } } };
    expect(report.subgroups.sex.groups.map((g) => g.group)).toEqual(['F', 'M']);
    expect(alerts().some((m) => m.Subject === `LuminaOps ${PROJECT}: model version 1 staging`)).toBe(true);
  }, 240_000);

  it('records a weaker challenger on the same data as rejected and leaves staging unchanged', async () => {
    await putConfig({ hyperparameters: { num_round: 1, max_depth: 1, early_stopping_rounds: 1 }, subgroupColumns: ['sex'] });
    const run = await drop('second.csv');

    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    const result = (run.output as { registration: { result: { version: number; decision: string; championVersion: number; challengerScore: number; championScore: number } } }).registration.result;
    expect(result).toMatchObject({ version: 2, decision: 'rejected', championVersion: 1 });
    expect(result.challengerScore).toBeLessThan(result.championScore);
    const store = registry();
    expect(await currentStages(store, PROJECT)).toMatchObject({ staging: 1 });
    expect((await getModelVersion(store, PROJECT, 2)).record.status).toBe('rejected');
    expect(alerts().some((m) => m.Subject === `LuminaOps ${PROJECT}: model version 2 rejected`)).toBe(true);
  }, 240_000);

  it('records and notifies a training error, and keeps the upload', async () => {
    await putConfig({ hyperparameters: { max_depth: 'deep' } });
    const run = await drop('third.csv');

    expect(run).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    const failure = JSON.parse(run.cause!) as { TrainingJobStatus: string; FailureReason: string };
    expect(failure.TrainingJobStatus).toBe('Failed');
    expect(failure.FailureReason).toMatch(/max_depth: 'deep' is not an integer/);
    const recorded = await cloud.dynamodb.send(
      new GetItemCommand({ TableName: cloud.tableName('operations'), Key: { pk: { S: `PROJECT#${PROJECT}` }, sk: { S: `RUN#${run.name}` } } }),
    );
    expect(recorded.Item).toMatchObject({ status: { S: 'FAILED' }, error: { S: 'States.TaskFailed' } });
    expect(alerts().some((m) => m.Subject === `LuminaOps ${PROJECT}: training pipeline failed` && m.Message.includes('max_depth'))).toBe(true);
    expect(await text(`projects/${PROJECT}/training/inbox/third.csv`)).toBe(data);
    expect(await currentStages(registry(), PROJECT)).toMatchObject({ staging: 1 });
  }, 240_000);

  it('joins the feature groups training.json names as of each row, and records their versions in the lineage', async () => {
    // Prepare: the platform feature store holds each patient's vitals (v2 of the group is the latest;
    // the config pins v1); the upload has a label time per row and no vitals of its own.
    const store = featureStoreOverAws({ dynamodb: cloud.dynamodb, s3: cloud.s3 }, { tableName: cloud.tableName('featureStore'), bucket: cloud.artifactBucket });
    await registerFeatureGroup(store.table, vitalsDefinition(), store);
    await registerFeatureGroup(store.table, vitalsDefinition({ description: 'Vital signs, v2' }), store);
    const vitals = ['patient_id,measured_at,heart_rate,smoker,ward'];
    // Only ids, times and outcomes: every input of the model comes from the feature store.
    const rows = ['patient_id,label_time,readmitted'];
    for (let i = 0; i < 200; i++) {
      const rate = 55 + ((i * 37) % 60);
      vitals.push(`v${i},2026-03-01T00:00:00Z,${rate},${i % 5 === 0},general`);
      rows.push(`v${i},2026-03-10T00:00:00Z,${rate > 85 ? 'yes' : 'no'}`);
    }
    await ingestFeatures(store, { group: 'patient-vitals', version: 1, source: { csv: `${vitals.join('\n')}\n` } });
    await putConfig({
      hyperparameters: { num_round: 30, max_depth: 3, eta: 0.3 },
      featureStore: { eventTimeColumn: 'label_time', groups: [{ name: 'patient-vitals', version: 1, features: ['heart_rate', 'smoker'] }] },
    });
    const key = `projects/${PROJECT}/training/inbox/with-features.csv`;

    // Act
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: key, Body: `${rows.join('\n')}\n` }));
    await cloud.waitForIdle(180_000);

    // Assess: the run trained on the joined heart rate (the label depends on it alone) and recorded v1.
    const run = cloud.listRuns(PROJECT).find((r) => (r.input as { key?: string }).key === key)!;
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    const output = run.output as { split: { result: { featureGroups: unknown; featureJoin: { trainingSetKey: string; stats: unknown } } }; registration: { result: { version: number } }; evaluation: { result: { metrics: { auc: number } } } };
    expect(output.split.result.featureGroups).toEqual([{ name: 'patient-vitals', version: 1 }]);
    expect(output.split.result.featureJoin.stats).toEqual([{ group: 'patient-vitals', version: 1, matched: 200, missing: 0 }]);
    expect((await text(output.split.result.featureJoin.trainingSetKey)).split('\n')[0]).toBe('patient_id,label_time,readmitted,heart_rate,smoker');
    expect(output.evaluation.result.metrics.auc).toBeGreaterThan(0.95);
    const { record } = await getModelVersion(registry(), PROJECT, output.registration.result.version);
    expect(record.lineage.featureGroups).toEqual([{ name: 'patient-vitals', version: 1 }]);
    // The version's monitoring baseline is the joined set's, so the feature-store features are monitored for drift.
    expect(record.artifacts.baselineStatisticsKey).toMatch(new RegExp(`^projects/${PROJECT}/runs/[^/]+/data/baseline/statistics\\.json$`));
    const baseline = JSON.parse(await text(record.artifacts.baselineStatisticsKey)) as { features: { name: string }[] };
    expect(baseline.features.map((f) => f.name)).toEqual(['label_time', 'heart_rate', 'smoker']);

    // In production, the endpoint scores an entity id on its online features from that group version.
    await setStage(registry(), PROJECT, output.registration.result.version, 'production', 'test:features', 'serve the feature-store model', { now: () => new Date() });
    const ask = async (body: unknown) => {
      const response = await fetch(cloud.project(PROJECT).outputs.EndpointUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-lumina-principal': cloud.personaRoleArn('mlEngineer') },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };
    const high = await ask({ entityId: 'v1' }); // heart rate 92: readmitted
    const low = await ask({ entityId: 'v2' }); // heart rate 69
    const unknown = await ask({ entityId: 'nobody' });
    expect(high).toMatchObject({ status: 200, body: { predictions: [{ modelVersion: output.registration.result.version, label: 1 }] } });
    expect(low).toMatchObject({ status: 200, body: { predictions: [{ label: 0 }] } });
    expect(unknown).toMatchObject({ status: 404 });
  }, 240_000);
});
