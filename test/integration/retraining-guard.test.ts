/**
 * The retrain-storm guard in the local cloud, on one boot: after a first training drop, two
 * alarm-triggered starts at once give one run and one recorded, notified skip naming it; an
 * alarm within the project's cool-down is skipped as cooling down while `lumina train`
 * (manual) runs; and every way a run ends (success, rejected data, failure) leaves the guard
 * free for the next run.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PLATFORM_STACK_NAME } from '../../lib/app';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import type { ExecutionInfo } from '../../local/cloud-api';
import { releaseTestAssembly, testAssembly } from './test-assembly';

const PROJECT = 'guarded';
const CONFIG = { hyperparameters: { num_round: 15, max_depth: 3, eta: 0.3, early_stopping_rounds: 5 }, retraining: { coolDownMinutes: 60 } };

/** 200 patients whose label follows HbA1c: enough for a quick model. */
function patients(): string {
  const rows = ['patient_id,age,hba1c,readmitted'];
  for (let i = 0; i < 200; i++) {
    const hba1c = 5 + ((i * 37) % 50) / 10;
    rows.push(`p${i},${30 + ((i * 13) % 50)},${hba1c.toFixed(1)},${hba1c + ((i * 7) % 5) / 5 > 7.6 ? 'yes' : 'no'}`);
  }
  return `${rows.join('\n')}\n`;
}

interface GuardResult {
  readonly acquired: boolean;
  readonly reason?: string;
  readonly message?: string;
  readonly blockingExecution?: string;
  readonly retryAfter?: string;
}
/** The guard's answer as a skipped run ends with it (a run that trained goes on from the latest dataset without it). */
const guardOf = (run: ExecutionInfo): GuardResult | undefined => (run.output as { guard?: { result: GuardResult } }).guard?.result;
const registeredVersion = (run: ExecutionInfo): number | undefined => (run.output as { registration?: { result: { version: number } } }).registration?.result.version;

describe('local cloud: the retraining guard', () => {
  let cloud: LocalCloud;
  let cdkOut: string;
  let pipeline: string;
  const alarm = { trigger: 'alarm', alarm: { name: 'guarded-AnyDrift', reason: 'Threshold Crossed: 1 datapoint [0.4] was greater than the threshold (0.2)', reasonData: '', time: '2026-12-01T10:00:00.000+0000' } };

  const put = (key: string, body: string) => cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: key, Body: body }));
  const run = (executionArn: string): ExecutionInfo => cloud.listRuns(PROJECT).find((r) => r.executionArn === executionArn)!;
  const start = async (...inputs: object[]): Promise<ExecutionInfo[]> => {
    const started = await Promise.all(inputs.map((input) => cloud.startExecution(pipeline, input)));
    await cloud.waitForIdle(120_000);
    return started.map(({ executionArn }) => run(executionArn));
  };
  const operationsItem = async (sk: string) =>
    (await cloud.dynamodb.send(new GetItemCommand({ TableName: cloud.tableName('operations'), Key: { pk: { S: `PROJECT#${PROJECT}` }, sk: { S: sk } }, ConsistentRead: true }))).Item;
  const subjects = (): string[] => {
    const topicArn = Object.values(cloud.stackOutputs(PLATFORM_STACK_NAME)).find((value) => value.includes(':sns:'))!;
    return cloud.topicMessages(topicArn).map((m) => m.Subject ?? '');
  };

  beforeAll(async () => {
    cdkOut = testAssembly('lumina-it-guard-');
    cloud = await startLocalCloud({ cdkOut, alarmEvaluationIntervalMs: 0 });
    const project = await cloud.createProject({ name: PROJECT, targetColumn: 'readmitted', entityIdColumn: 'patient_id', positiveLabel: 'yes' });
    pipeline = cloud.stackOutputs(project.stackName).TrainingPipelineArn!;
    await put(`projects/${PROJECT}/config/training.json`, JSON.stringify(CONFIG));
    await put(`projects/${PROJECT}/training/inbox/first.csv`, patients());
    await cloud.waitForIdle(120_000);
  }, 240_000);

  afterAll(async () => {
    await cloud?.stop();
    releaseTestAssembly(cdkOut);
  });

  it('runs one of two simultaneous alarm retrainings and records, notifies and succeeds the other as skipped, naming the runner', async () => {
    // The first drop trained and did not start the cool-down: an alarm right after it may retrain.
    expect(cloud.listRuns(PROJECT)).toEqual([expect.objectContaining({ status: 'SUCCEEDED', input: expect.objectContaining({ trigger: 's3' }) })]);

    const runs = await start(alarm, alarm);

    expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const trained = runs.filter((r) => registeredVersion(r) !== undefined);
    const skipped = runs.filter((r) => guardOf(r)?.acquired === false);
    expect(trained).toHaveLength(1);
    expect(skipped).toHaveLength(1);
    expect(registeredVersion(trained[0])).toBe(2);
    expect(guardOf(skipped[0])).toMatchObject({ reason: 'running', blockingExecution: trained[0].executionArn, message: expect.stringContaining(`retraining ${trained[0].executionArn} (alarm, started`) });
    expect(cloud.currentState(skipped[0].executionArn)).toBe('RetrainingSkipped');
    expect(await operationsItem(`RUN#${skipped[0].name}`)).toMatchObject({
      status: { S: 'SKIPPED' },
      trigger: { S: 'alarm' },
      reason: { S: 'running' },
      blockingExecution: { S: trained[0].executionArn },
    });
    expect(subjects()).toContain(`LuminaOps ${PROJECT}: alarm-triggered training skipped (running)`);
  }, 120_000);

  it('skips an alarm retraining within the cool-down, naming the last alarm run, while a manual run trains', async () => {
    const trained = cloud.listRuns(PROJECT).find((r) => (r.input as { trigger?: string }).trigger === 'alarm' && registeredVersion(r) !== undefined)!;

    const [cooling] = await start(alarm);
    const [manual] = await start({ trigger: 'manual' });

    expect(cooling.status).toBe('SUCCEEDED');
    expect(guardOf(cooling)).toMatchObject({ acquired: false, reason: 'cooling-down', blockingExecution: trained.executionArn });
    expect(Date.parse(guardOf(cooling)!.retryAfter!) - Date.parse(trained.startDate)).toBeGreaterThanOrEqual(59 * 60_000);
    expect(Date.parse(guardOf(cooling)!.retryAfter!) - Date.parse(trained.startDate)).toBeLessThanOrEqual(61 * 60_000);
    expect(await operationsItem(`RUN#${cooling.name}`)).toMatchObject({ status: { S: 'SKIPPED' }, reason: { S: 'cooling-down' } });
    expect(subjects()).toContain(`LuminaOps ${PROJECT}: alarm-triggered training skipped (cooling-down)`);

    expect(manual).toMatchObject({ status: 'SUCCEEDED' });
    expect(registeredVersion(manual)).toBe(3);
    // Released, and the cool-down still counts from the alarm run, not the manual one.
    expect(await operationsItem('GUARD#RETRAINING')).toEqual(expect.objectContaining({ coolDownExecution: { S: trained.executionArn } }));
    expect((await operationsItem('GUARD#RETRAINING'))?.runningExecution).toBeUndefined();
  }, 120_000);

  it('frees the guard after rejected data and after a failed run', async () => {
    await put(`projects/${PROJECT}/training/inbox/ragged.csv`, 'patient_id,age,hba1c,readmitted\np1,50,7.1,no\np2,61\n');
    await cloud.waitForIdle(120_000);
    const rejected = cloud.listRuns(PROJECT).find((r) => (r.input as { key?: string }).key?.endsWith('ragged.csv'))!;
    expect(rejected).toMatchObject({ status: 'FAILED', error: 'DatasetRejected' });
    expect((await operationsItem('GUARD#RETRAINING'))?.runningExecution).toBeUndefined();

    await put(`projects/${PROJECT}/config/training.json`, JSON.stringify({ ...CONFIG, hyperparameters: { max_depth: 'deep' } }));
    const [failed] = await start({ trigger: 'manual' });
    expect(failed).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    expect((await operationsItem('GUARD#RETRAINING'))?.runningExecution).toBeUndefined();

    await put(`projects/${PROJECT}/config/training.json`, JSON.stringify(CONFIG));
    const [next] = await start({ trigger: 'manual' });
    expect(next).toMatchObject({ status: 'SUCCEEDED' });
    expect(registeredVersion(next)).toBe(4);
  }, 120_000);
});
