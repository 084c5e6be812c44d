/**
 * `lumina runs` with batch inference progress: the fake local cloud's runs, and the run
 * markers (`BATCH#<run id>`) in an operations table in an in-process dynalite, as the
 * inference pipeline writes them.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { batchItemKeys, runIdOf, runKeyOf } from '../../../lambdas/core/batch/layout';
import { dynamoDbOperationsStore } from '../../../lambdas/shared/dynamodb-batch-operations-store';
import { batchRunIdOf, progressText } from '../../../local/cli/commands/runs';
import { runCli } from '../../../local/cli/main';
import type { LocalCloudApi } from '../../../local/cloud-api';
import { FAKE_BUCKET, FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

let server: Server;
let client: DynamoDBClient;
let count = 0;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
  removeTemporaryDirs();
});

const EXECUTION = (name: string): string => `arn:aws:states:us-east-1:000000000000:execution:SC-000000000000-pp-adherence-Inference:${name}`;
const inboxInput = (file: string, etag: string) => ({ bucket: FAKE_BUCKET, key: `projects/adherence/inference/inbox/${file}`, etag: `"${etag}"`, trigger: 's3' });
const runIdFor = (file: string, etag: string): string => runIdOf(runKeyOf(inboxInput(file, etag)));

async function setup() {
  count += 1;
  const table = `operations-${count}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const operations = dynamoDbOperationsStore(client, table);
  const state = new FakeCloudState();
  const recording = recordingIo({ cwd: temporaryDir(), state });
  const startCloud = async (options: Parameters<typeof state.startCloud>[0]): Promise<LocalCloudApi> => {
    const cloud = await state.startCloud(options);
    return new Proxy(cloud, {
      get(target, property) {
        if (property === 'dynamodb') return client;
        if (property === 'tableName') return (name: string) => (name === 'operations' ? table : `missing-${name}`);
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  const io = { ...recording.io, startCloud };
  await runCli(['project', 'create', 'adherence', '--target', 'y'], io);
  const printed = recording.stdout().length;
  /** A run marker as PlanBatch, ScoreChunk and MergeBatch leave it. */
  const marker = (file: string, etag: string, fields: Record<string, unknown>) =>
    operations.putIfAbsent({ ...batchItemKeys.run('adherence', runIdFor(file, etag)), type: 'batch-run', inputKey: `projects/adherence/inference/inbox/${file}`, attempt: 1, heartbeatAt: '2026-03-01T10:00:05.000Z', ...fields });
  return { state, marker, run: (argv: string[]) => runCli(argv, io), stdout: () => recording.stdout().slice(printed), stderr: recording.stderr };
}

afterAll(removeTemporaryDirs);

describe('lumina runs: batch inference progress', () => {
  it('shows chunks done of the total and rows for batch runs, running or finished, in a PROGRESS column', async () => {
    const cli = await setup();
    cli.state.addRun('adherence', { name: 'train-1', status: 'SUCCEEDED', startDate: '2026-03-01T08:00:00.000Z', stopDate: '2026-03-01T08:00:04.000Z' });
    cli.state.addRun('adherence', { name: 'batch-1', pipeline: 'Inference', status: 'SUCCEEDED', startDate: '2026-03-01T09:00:00.000Z', stopDate: '2026-03-01T09:00:30.000Z', input: inboxInput('june.csv', 'e1') });
    cli.state.addRun('adherence', { name: 'batch-2', pipeline: 'Inference', status: 'RUNNING', startDate: '2026-03-01T10:00:00.000Z', input: inboxInput('july.csv', 'e2') });
    cli.state.addRun('adherence', { name: 'batch-3', pipeline: 'Inference', status: 'RUNNING', startDate: '2026-03-01T10:30:00.000Z', input: inboxInput('august.csv', 'e3') });
    await cli.marker('june.csv', 'e1', { status: 'SUCCEEDED', ownerExecution: EXECUTION('batch-1'), chunksDone: 20, chunksTotal: 20, rowsScored: 1_000_000, rowsRejected: 12 });
    await cli.marker('july.csv', 'e2', { status: 'RUNNING', ownerExecution: EXECUTION('batch-2'), chunksDone: 3, chunksTotal: 10, rowsScored: 150_000, rowsRejected: 0 });
    await cli.marker('august.csv', 'e3', { status: 'RUNNING', ownerExecution: EXECUTION('batch-3'), chunksDone: 0, rowsScored: 0, rowsRejected: 0 });

    const code = await cli.run(['runs', 'adherence']);

    expect(code).toBe(0);
    expect(cli.stdout()).toBe(
      [
        'NAME     PIPELINE                                STATUS     STARTED               DURATION  PROGRESS                                   ERROR',
        'batch-3  SC-000000000000-pp-adherence-Inference  RUNNING    2026-03-01 10:30:00Z  -         0 chunks (planning), 0 rows',
        'batch-2  SC-000000000000-pp-adherence-Inference  RUNNING    2026-03-01 10:00:00Z  -         3/10 chunks, 150,000 rows',
        'batch-1  SC-000000000000-pp-adherence-Inference  SUCCEEDED  2026-03-01 09:00:00Z  30.0 s    20/20 chunks, 1,000,000 rows, 12 rejected',
        'train-1  TrainingPipeline                        SUCCEEDED  2026-03-01 08:00:00Z  4.0 s     -',
        '',
      ].join('\n'),
    );
  });

  it('--json adds a progress object to batch runs only', async () => {
    const cli = await setup();
    cli.state.addRun('adherence', { name: 'train-1', status: 'SUCCEEDED', startDate: '2026-03-01T08:00:00.000Z' });
    cli.state.addRun('adherence', { name: 'batch-1', pipeline: 'Inference', status: 'RUNNING', startDate: '2026-03-01T09:00:00.000Z', input: inboxInput('june.csv', 'e1') });
    await cli.marker('june.csv', 'e1', { status: 'RUNNING', ownerExecution: EXECUTION('batch-1'), chunksDone: 2, chunksTotal: 4, rowsScored: 100, rowsRejected: 1 });

    expect(await cli.run(['runs', 'adherence', '--json'])).toBe(0);

    const [batch, training] = JSON.parse(cli.stdout());
    expect(batch.progress).toEqual({
      runId: runIdFor('june.csv', 'e1'),
      status: 'RUNNING',
      inputKey: 'projects/adherence/inference/inbox/june.csv',
      chunksDone: 2,
      chunksTotal: 4,
      rowsScored: 100,
      rowsRejected: 1,
      ownerExecution: EXECUTION('batch-1'),
      attempt: 1,
      heartbeatAt: '2026-03-01T10:00:05.000Z',
    });
    expect(training).not.toHaveProperty('progress');
  });

  it('a duplicate event names the run that scored the object; a killed run names the one that continued it', async () => {
    const cli = await setup();
    cli.state.addRun('adherence', { name: 'first', pipeline: 'Inference', status: 'ABORTED', startDate: '2026-03-01T09:00:00.000Z', stopDate: '2026-03-01T09:01:00.000Z', input: inboxInput('june.csv', 'e1') });
    cli.state.addRun('adherence', { name: 'resumed', pipeline: 'Inference', status: 'SUCCEEDED', startDate: '2026-03-01T09:02:00.000Z', stopDate: '2026-03-01T09:03:00.000Z', input: { ...inboxInput('june.csv', 'e1'), resume: true } });
    cli.state.addRun('adherence', {
      name: 'again',
      pipeline: 'Inference',
      status: 'SUCCEEDED',
      startDate: '2026-03-01T09:04:00.000Z',
      stopDate: '2026-03-01T09:04:01.000Z',
      input: inboxInput('june.csv', 'e1'),
      output: { batch: { plan: { alreadyScored: true, status: 'SUCCEEDED', scoredBy: EXECUTION('resumed') } } },
    });
    await cli.marker('june.csv', 'e1', { status: 'SUCCEEDED', ownerExecution: EXECUTION('resumed'), attempt: 2, chunksDone: 4, chunksTotal: 4, rowsScored: 400, rowsRejected: 0 });

    await cli.run(['runs', 'adherence']);

    const rows = cli.stdout().split('\n');
    expect(rows.find((r) => r.startsWith('again'))).toContain('already scored by resumed');
    expect(rows.find((r) => r.startsWith('resumed'))).toContain('4/4 chunks, 400 rows');
    expect(rows.find((r) => r.startsWith('first'))).toContain('4/4 chunks, 400 rows (continued by resumed)');
  });

  it('lists the runs without progress, with a note, when the operations table cannot be read', async () => {
    const cli = await setup();
    cli.state.addRun('adherence', { name: 'batch-1', pipeline: 'Inference', status: 'RUNNING', startDate: '2026-03-01T09:00:00.000Z', input: inboxInput('june.csv', 'e1') });
    const io = recordingIo({ cwd: temporaryDir(), state: cli.state });

    const code = await runCli(['runs', 'adherence'], io.io);

    expect(code).toBe(0);
    expect(io.stdout()).toContain('batch-1');
    expect(io.stdout()).not.toContain('PROGRESS');
    expect(io.stderr()).toContain('could not read batch progress from the operations table');
  });
});

describe('batchRunIdOf', () => {
  it('derives the run id PlanBatch uses, only for objects in the inference inbox', () => {
    expect(batchRunIdOf('adherence', inboxInput('june.csv', 'e1'))).toBe(runIdFor('june.csv', 'e1'));
    expect(batchRunIdOf('adherence', { ...inboxInput('june.csv', 'e1'), versionId: 'v7' })).toBe(runIdOf(`${FAKE_BUCKET}/projects/adherence/inference/inbox/june.csv/v7`));
    expect(batchRunIdOf('adherence', { bucket: FAKE_BUCKET, key: 'projects/adherence/training/inbox/june.csv', etag: 'e' })).toBeUndefined();
    expect(batchRunIdOf('adherence', { bucket: FAKE_BUCKET, key: 'projects/adherence/inference/inbox/june.csv' })).toBeUndefined();
    expect(batchRunIdOf('adherence', { trigger: 'manual' })).toBeUndefined();
    expect(batchRunIdOf('adherence', undefined)).toBeUndefined();
  });

  it('progressText is - for runs without progress', () => {
    expect(progressText(undefined)).toBe('-');
  });
});
