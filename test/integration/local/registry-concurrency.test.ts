/**
 * The registry's concurrency guarantees against the local DynamoDB (dynalite, in process),
 * through the DynamoDB adapter the Lambda functions and the CLI use.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { listExperimentRuns } from '../../../lambdas/core/registry/experiments';
import { getModelVersion, listModelVersions, registerModelVersion } from '../../../lambdas/core/registry/model-version';
import { currentStages, setStage, stageHistory } from '../../../lambdas/core/registry/stages';
import { registerTrainingRun } from '../../../lambdas/core/registry/steps';
import type { RegistryStore } from '../../../lambdas/core/registry/store';
import { dynamoDbRegistryStore } from '../../../lambdas/shared/dynamodb-registry-store';
import { registerInput, steppingClock, versionRequest } from '../../unit/registry/registry-fixtures';

const TABLES = { registry: 'ModelRegistry', experiments: 'Experiments' };

describe('registry on the local DynamoDB', () => {
  let server: Server;
  let client: DynamoDBClient;
  let store: RegistryStore;

  beforeAll(async () => {
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 10 });
    for (const TableName of Object.values(TABLES)) {
      // The platform tables' key schema (lib/constructs/platform-tables.ts).
      await client.send(
        new CreateTableCommand({
          TableName,
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
    }
    store = dynamoDbRegistryStore(client, TABLES);
  });

  afterAll(async () => {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('200 concurrent registrations get versions 1..200: no gap, no duplicate', async () => {
    const now = steppingClock();

    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => registerModelVersion(store, versionRequest({ project: 'concurrent', lineage: { ...versionRequest().lineage, executionId: `run-${i}` } }), { now })),
    );

    const versions = results.map((r) => r.record.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const listed = await listModelVersions(store, 'concurrent');
    expect(listed.map((v) => v.version)).toEqual(versions);
    // Each version holds the execution that was given that number.
    for (const result of results) expect(listed[result.record.version - 1].executionId).toBe(result.record.lineage.executionId);
  });

  it('40 concurrent stagings end with one consistent pointer and a gap-free history', async () => {
    const now = steppingClock();
    for (let i = 0; i < 40; i++) await registerModelVersion(store, versionRequest({ project: 'staging-race', lineage: { ...versionRequest().lineage, executionId: `run-${i}` } }), { now });

    const changes = await Promise.all(Array.from({ length: 40 }, (_, i) => setStage(store, 'staging-race', i + 1, 'staging', `caller-${i + 1}`, 'race', { now })));

    const history = await stageHistory(store, 'staging-race');
    expect(history.map((c) => c.revision)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(changes.map((c) => c.revision).sort((a, b) => a - b)).toEqual(history.map((c) => c.revision));
    history.slice(1).forEach((change, i) => expect(change.displaced).toEqual([{ version: history[i].version, from: 'staging', to: 'archived' }]));
    const winner = history[history.length - 1].version;
    expect(await currentStages(store, 'staging-race')).toMatchObject({ staging: winner, production: null, revision: 40 });
    const stages = (await listModelVersions(store, 'staging-race')).map((v) => v.stage);
    expect(stages.filter((s) => s === 'staging')).toEqual(['staging']);
    expect(stages.filter((s) => s === 'archived')).toHaveLength(39);
    // The cached stage on each version item agrees with the pointers once every write has landed.
    expect((await getModelVersion(store, 'staging-race', winner)).record.stage).toBe('staging');
  });

  it('concurrent promotions of one staging version: exactly one wins, the rest are refused as bad transitions', async () => {
    const now = steppingClock();
    await registerModelVersion(store, versionRequest({ project: 'promotion-race' }), { now });
    await setStage(store, 'promotion-race', 1, 'staging', 'pipeline', 'first', { now });

    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => setStage(store, 'promotion-race', 1, 'production', `approver-${i}`, 'approved', { now })));

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as Error).name);
    expect(refusals).toEqual(Array(9).fill('InvalidStageTransitionError'));
    expect(await currentStages(store, 'promotion-race')).toMatchObject({ staging: null, production: 1, revision: 2 });
  });

  it('the register step works end to end through the adapter (first staged, worse rejected)', async () => {
    const objects = { get: async () => new Uint8Array(), put: async () => ({}) };
    const deps = { store, objects, now: steppingClock() };
    const config = { projectName: 'adherence', artifactBucket: 'artifacts' };

    const first = await registerTrainingRun(registerInput('run-1', { auc: 0.8, logLoss: 0.4 }), config, deps);
    const second = await registerTrainingRun(registerInput('run-2', { auc: 0.7, logLoss: 0.5 }), config, deps);

    expect(first).toMatchObject({ version: 1, decision: 'staging' });
    expect(second).toMatchObject({ version: 2, decision: 'rejected', championVersion: 1, championScore: 0.8, challengerScore: 0.7 });
    expect(await currentStages(store, 'adherence')).toMatchObject({ staging: 1 });
    expect((await listExperimentRuns(store, 'adherence', { sortBy: 'auc' })).map((r) => r.runId)).toEqual(['run-1', 'run-2']);
    const detail = await getModelVersion(store, 'adherence', 2);
    expect(detail.card?.evaluation.metrics).toEqual({ auc: 0.7, logLoss: 0.5 });
  });
});
