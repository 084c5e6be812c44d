/**
 * `lumina models`, `model`, `experiments` and `compare` over the fake local cloud, with the
 * registry tables in an in-process dynalite (the commands read them through the cloud's
 * DynamoDB client and the platform's table names).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { LocalCloudApi } from '../../../local/cloud-api';
import { runCli } from '../../../local/cli/main';
import { registerTrainingRun } from '../../../lambdas/core/registry/steps';
import { dynamoDbRegistryStore } from '../../../lambdas/shared/dynamodb-registry-store';
import { registerInput, steppingClock } from '../registry/registry-fixtures';
import { FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

let server: Server;
let client: DynamoDBClient;
let tableCount = 0;

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

async function createTables(): Promise<{ registry: string; experiments: string }> {
  tableCount += 1;
  const tables = { registry: `registry-${tableCount}`, experiments: `experiments-${tableCount}` };
  for (const TableName of Object.values(tables)) {
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
  return tables;
}

/** A CLI over the fake cloud whose DynamoDB is the dynalite and whose tables are fresh; project adherence exists. */
async function setup(runs: { run: string; metrics: Record<string, number | null>; parameters?: Record<string, string> }[] = []) {
  const tables = await createTables();
  const store = dynamoDbRegistryStore(client, tables);
  const deps = { store, objects: { get: async () => new Uint8Array(), put: async () => ({}) }, now: steppingClock() };
  for (const r of runs) {
    const input = registerInput(r.run, r.metrics);
    await registerTrainingRun({ ...input, training: { ...input.training, parameters: r.parameters ?? input.training.parameters } }, { projectName: 'adherence', artifactBucket: 'bucket' }, deps);
  }
  const state = new FakeCloudState();
  const recording = recordingIo({ cwd: temporaryDir(), state });
  const startCloud = async (options: Parameters<typeof state.startCloud>[0]): Promise<LocalCloudApi> => {
    const cloud = await state.startCloud(options);
    return new Proxy(cloud, {
      get(target, property) {
        if (property === 'dynamodb') return client;
        if (property === 'tableName') return (table: 'registry' | 'experiments') => tables[table];
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  const io = { ...recording.io, startCloud };
  await runCli(['project', 'create', 'adherence', '--target', 'y'], io);
  const printed = recording.stdout().length;
  const errors = recording.stderr().length;
  return { run: (argv: string[]) => runCli(argv, io), stdout: () => recording.stdout().slice(printed), stderr: () => recording.stderr().slice(errors) };
}

const TWO_RUNS = [
  { run: 'run-1', metrics: { auc: 0.8, logLoss: 0.45 } },
  { run: 'run-2', metrics: { auc: 0.75, logLoss: 0.5 }, parameters: { max_depth: '4', eta: '0.1' } },
];

describe('lumina models', () => {
  it('lists the versions with stage, status and score, then the stage pointers', async () => {
    const cli = await setup(TWO_RUNS);

    const code = await cli.run(['models', 'adherence']);

    expect(code).toBe(0);
    expect(cli.stdout()).toBe(
      [
        'VERSION  STAGE    STATUS    SCORE       REGISTERED            DATASET   TRIGGER',
        '1        staging  accepted  auc 0.8000  2026-05-01 10:00:01Z  ds-run-1  s3',
        '2        none     rejected  auc 0.7500  2026-05-01 10:00:04Z  ds-run-2  s3',
        '',
        'staging: 1, production: none',
        '',
      ].join('\n'),
    );
  });

  it('--json prints the project, the stage pointers and the versions', async () => {
    const cli = await setup(TWO_RUNS);

    expect(await cli.run(['models', 'adherence', '--json'])).toBe(0);

    const printed = JSON.parse(cli.stdout());
    expect(printed.project).toBe('adherence');
    expect(printed.stages).toEqual({ staging: 1, production: null });
    expect(printed.versions.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([
      [1, 'accepted'],
      [2, 'rejected'],
    ]);
  });

  it('says how to train when there is no version yet', async () => {
    const cli = await setup();

    expect(await cli.run(['models', 'adherence'])).toBe(0);

    expect(cli.stdout()).toBe("No model versions for adherence yet. Train one with 'lumina data put adherence FILE --training'.\n");
  });

  it('an unknown project exits 1 and names the projects there are', async () => {
    const cli = await setup();

    expect(await cli.run(['models', 'churn'])).toBe(1);

    expect(cli.stderr()).toContain('lumina: no project named churn (have: adherence)');
  });
});

describe('lumina model', () => {
  it('shows the decision, metrics, lineage, artifacts, stage history and the model card', async () => {
    const cli = await setup(TWO_RUNS);

    expect(await cli.run(['model', 'adherence', '2'])).toBe(0);

    const out = cli.stdout();
    expect(out).toContain('adherence version 2: stage none, status rejected\n');
    expect(out).toContain('decision    rejected: challenger does not beat the champion: auc 0.7500 < champion version 1 0.8000 (higher is better)');
    expect(out).toMatch(/Metrics \(primary: auc\)\n {2}auc {6}0\.7500\n {2}logLoss {2}0\.5000\n/);
    expect(out).toContain(`  dataset         ds-run-2 (sha256 ${'a'.repeat(64)})\n`);
    expect(out).toContain('  parameters      eta=0.1, max_depth=4\n');
    expect(out).toContain('  onnx         s3://luminaops-artifacts-fake/projects/adherence/models/run-2/model.onnx (max |diff| 2e-7)\n');
    expect(out).toContain('Stage history\n  none\n');
    expect(out).toContain('Model card (revision 1 of 1, s3://luminaops-artifacts-fake/projects/adherence/registry/000002/model-card.r1.md)\n\n# Model card: adherence version 2\n');
  });

  it('--json prints the record, card, card revisions and stage history', async () => {
    const cli = await setup(TWO_RUNS);

    expect(await cli.run(['model', 'adherence', '1', '--json'])).toBe(0);

    const printed = JSON.parse(cli.stdout());
    expect(printed.record).toMatchObject({ version: 1, stage: 'staging', lineage: { dataset: { datasetVersionId: 'ds-run-1' } } });
    expect(printed.card).toMatchObject({ revision: 1, evaluation: { metrics: { auc: 0.8 } } });
    expect(printed.cardRevisions).toEqual([1]);
    expect(printed.stageHistory).toEqual([expect.objectContaining({ revision: 1, from: 'none', to: 'staging', actor: 'training-pipeline/run-1' })]);
  });

  it('an unknown version exits 1 naming the versions there are; a non-number is a usage error', async () => {
    const cli = await setup(TWO_RUNS);

    expect(await cli.run(['model', 'adherence', '9'])).toBe(1);
    expect(cli.stderr()).toContain('lumina: project adherence has no model version 9 (versions are 1..2)\n');
    expect(await cli.run(['model', 'adherence', 'latest'])).toBe(2);
    expect(cli.stderr()).toContain("lumina: VERSION must be a positive whole number (got 'latest')\nRun 'lumina model --help' for usage.\n");
  });
});

describe('lumina experiments', () => {
  it('--sort auc --asc lists the lowest first', async () => {
    const cli = await setup([...TWO_RUNS, { run: 'run-3', metrics: { auc: 0.9 } }]);

    expect(await cli.run(['experiments', 'adherence', '--sort', 'auc', '--asc'])).toBe(0);

    expect(cli.stdout()).toBe(
      [
        'RUN    RECORDED              VERSION  DECISION  AUC     LOGLOSS',
        'run-2  2026-05-01 10:00:05Z  2        rejected  0.7500  0.5000',
        'run-1  2026-05-01 10:00:02Z  1        staging   0.8000  0.4500',
        'run-3  2026-05-01 10:00:07Z  3        staging   0.9000  -',
        '',
      ].join('\n'),
    );
  });

  it('sorting by a metric no run has exits 1 and names the metrics there are', async () => {
    const cli = await setup(TWO_RUNS);

    expect(await cli.run(['experiments', 'adherence', '--sort', 'f1'])).toBe(1);

    expect(cli.stderr()).toContain('lumina: experiment adherence has no metric "f1" (available: auc, logLoss)\n');
  });
});

describe('lumina compare', () => {
  it('shows parameters and metrics side by side with differences', async () => {
    const cli = await setup(TWO_RUNS);

    expect(await cli.run(['compare', 'adherence', 'run-1', 'run-2'])).toBe(0);

    expect(cli.stdout()).toBe(
      [
        'Experiment adherence: run-1 (A) vs run-2 (B)',
        '',
        'Parameters',
        'NAME       A    B',
        'eta        0.1  0.1',
        'max_depth  6    4    *',
        '',
        'Metrics',
        'NAME     A       B       B - A',
        'auc      0.8000  0.7500  -0.0500',
        'logLoss  0.4500  0.5000  +0.0500',
        '',
      ].join('\n'),
    );
  });

  it('--json prints the comparison; an unknown run exits 1 with the runs there are', async () => {
    const cli = await setup(TWO_RUNS);

    expect(await cli.run(['compare', 'adherence', 'run-1', 'run-2', '--json'])).toBe(0);
    expect(JSON.parse(cli.stdout()).parameters).toContainEqual({ name: 'max_depth', a: '6', b: '4', differs: true });
    expect(await cli.run(['compare', 'adherence', 'run-1', 'run-7'])).toBe(1);
    expect(cli.stderr()).toContain('lumina: experiment adherence has no run "run-7" (runs: run-1, run-2)\n');
  });
});

describe('help', () => {
  it.each([['models'], ['model'], ['experiments'], ['compare']])('lumina %s --help prints its usage without starting the cloud', async (command) => {
    const cli = await setup();

    expect(await cli.run([command, '--help'])).toBe(0);

    expect(cli.stdout()).toMatch(new RegExp(`^Usage: lumina ${command} NAME`));
    expect(cli.stdout()).toContain('--json');
  });
});
