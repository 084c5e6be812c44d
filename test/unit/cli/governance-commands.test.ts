/**
 * `lumina approve`, `promote`, `rollback` and `audit` over the fake local cloud, with the
 * registry and audit tables in an in-process dynalite and the artifact bucket (the project
 * configuration, the rendered cards) in an in-process s3rver: the same governed
 * operations the registry API runs, against real emulators.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { LocalCloudApi } from '../../../local/cloud-api';
import { runCli } from '../../../local/cli/main';
import { type RunningEmulators, awsClientConfig, startEmulators } from '../../../local/runtime/emulators';
import { registerModelVersion } from '../../../lambdas/core/registry/model-version';
import { setStage } from '../../../lambdas/core/registry/stages';
import { dynamoDbRegistryStore } from '../../../lambdas/shared/dynamodb-registry-store';
import { COMPLETE_NARRATIVE, SUBGROUP_REPORT } from '../governance/governance-fixtures';
import { steppingClock, versionRequest } from '../registry/registry-fixtures';
import { FAKE_BUCKET, FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

let emulators: RunningEmulators;
let dynamodb: DynamoDBClient;
let s3: S3Client;
let tableCount = 0;

beforeAll(async () => {
  emulators = await startEmulators();
  const config = awsClientConfig(emulators);
  dynamodb = new DynamoDBClient(config.dynamodb);
  s3 = new S3Client(config.s3);
  await s3.send(new CreateBucketCommand({ Bucket: FAKE_BUCKET }));
});

afterAll(async () => {
  dynamodb.destroy();
  s3.destroy();
  await emulators.stop();
  removeTemporaryDirs();
});

const CONFIG_KEY = 'projects/adherence/config/project.config.json';

async function createTables(): Promise<Record<'registry' | 'experiments' | 'audit', string>> {
  tableCount += 1;
  const tables = { registry: `registry-${tableCount}`, experiments: `experiments-${tableCount}`, audit: `audit-${tableCount}` };
  for (const TableName of Object.values(tables)) {
    await dynamodb.send(
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

/**
 * A CLI whose cloud reaches the emulators; project adherence exists with `versions`
 * registered (complete cards, auc 0.81), the last one in staging, and `policy` (if any)
 * as the project's promotionPolicy.
 */
async function setup(options: { versions?: number; policy?: unknown } = {}) {
  const tables = await createTables();
  const store = dynamoDbRegistryStore(dynamodb, tables);
  const now = steppingClock();
  const versions = options.versions ?? 2;
  for (let i = 1; i <= versions; i++) {
    await registerModelVersion(
      store,
      versionRequest({ metrics: { auc: 0.81, ece: 0.03 }, subgroupMetrics: SUBGROUP_REPORT, card: COMPLETE_NARRATIVE, lineage: { ...versionRequest().lineage, executionId: `run-${tableCount}-${i}` } }),
      { now },
    );
  }
  await setStage(store, 'adherence', versions, 'staging', 'training-pipeline/run', 'beat the champion', { now });
  if (options.policy === undefined) await s3.send(new PutObjectCommand({ Bucket: FAKE_BUCKET, Key: CONFIG_KEY, Body: JSON.stringify({ project: 'adherence' }) }));
  else await s3.send(new PutObjectCommand({ Bucket: FAKE_BUCKET, Key: CONFIG_KEY, Body: JSON.stringify({ project: 'adherence', promotionPolicy: options.policy }) }));

  const state = new FakeCloudState();
  const recording = recordingIo({ cwd: temporaryDir(), state, env: { USER: 'alice' } });
  const startCloud = async (cloudOptions: Parameters<typeof state.startCloud>[0]): Promise<LocalCloudApi> => {
    const cloud = await state.startCloud(cloudOptions);
    return new Proxy(cloud, {
      get(target, property) {
        if (property === 'dynamodb') return dynamodb;
        if (property === 's3') return s3;
        if (property === 'tableName') return (table: keyof typeof tables) => tables[table];
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  const io = { ...recording.io, startCloud };
  await runCli(['project', 'create', 'adherence', '--target', 'y'], io);
  let printed = recording.stdout().length;
  let errors = recording.stderr().length;
  return {
    /** Runs a command; stdout() and stderr() then show only what it printed. */
    run: async (argv: string[]) => {
      printed = recording.stdout().length;
      errors = recording.stderr().length;
      return runCli(argv, io);
    },
    stdout: () => recording.stdout().slice(printed),
    stderr: () => recording.stderr().slice(errors),
    auditJson: async () => {
      printed = recording.stdout().length;
      const code = await runCli(['audit', 'adherence', '--json'], io);
      expect(code).toBe(0);
      const out = recording.stdout().slice(printed);
      printed = recording.stdout().length;
      return JSON.parse(out).entries as { action: string; actor: string; source: string; target: string; details: Record<string, any> }[];
    },
  };
}

const PRODUCTION_POLICY = { rules: [{ kind: 'metric', metric: 'auc', min: 0.85 }], requireApprovedCard: true };

const UUID = '[0-9a-f-]{36}';

describe('lumina approve and promote', () => {
  it('approves the card, promotes to production with the policy verdict, and both show in lumina audit', async () => {
    const cli = await setup();

    expect(await cli.run(['approve', 'adherence', '2', '--note', 'Clinical safety board, 2026-04-28'])).toBe(0);
    expect(cli.stdout()).toMatch(
      new RegExp(`^adherence version 2: model card revision 2 approved by local:alice as model-approver \\(s3://${FAKE_BUCKET}/projects/adherence/registry/000002/model-card\\.r2\\.md\\)\nAudit: model\\.card-approved \\(${UUID}\\)\n$`),
    );
    const card = await s3.send(new GetObjectCommand({ Bucket: FAKE_BUCKET, Key: 'projects/adherence/registry/000002/model-card.r2.md' }));
    expect(await card.Body!.transformToString()).toContain('## Approval\n\nApproved by local:alice at ');

    expect(await cli.run(['promote', 'adherence', '2', '--stage', 'production'])).toBe(0);
    expect(cli.stdout()).toMatch(
      new RegExp(
        `^adherence version 2: staging -> production by local:alice as model-approver \\(stage revision 2\\)\nPolicy \\(default\\):\n  pass  model card complete and approved: approved by local:alice\nAudit: model\\.promoted \\(${UUID}\\)\n$`,
      ),
    );

    expect(await cli.run(['audit', 'adherence'])).toBe(0);
    const lines = cli.stdout().split('\n');
    expect(lines[0]).toMatch(/^AT\s+ACTION\s+ACTOR\s+PERSONA\s+SOURCE\s+TARGET\s+DETAILS$/);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ  model\.promoted\s+local:alice  model-approver  cli\s+model:2  staging -> production: model-approver moved it to production$/);
    expect(lines[2]).toMatch(/model\.card-approved\s+local:alice  model-approver  cli\s+model:2  card revision 1 approved: Clinical safety board, 2026-04-28$/);
    expect(lines).toHaveLength(4);
  });

  it('a failed policy rule blocks with the rule named; a justification gets it through and is recorded', async () => {
    const cli = await setup({ policy: PRODUCTION_POLICY });
    await cli.run(['approve', 'adherence', '2']);

    expect(await cli.run(['promote', 'adherence', '2', '--stage', 'production'])).toBe(1);
    expect(cli.stderr()).toContain('lumina: adherence version 2: promotion blocked by 1 rule:\n  - auc >= 0.85: auc is 0.81, outside the limit\n');
    expect((await cli.auditJson()).map((e) => e.action)).toEqual(['model.card-approved']);

    const justification = 'Current model withdrawn; best available until the Q3 retrain';
    expect(await cli.run(['promote', 'adherence', '2', '--stage', 'production', '--justification', justification])).toBe(0);
    expect(cli.stdout()).toContain('  FAIL  auc >= 0.85: auc is 0.81, outside the limit\n  pass  model card complete and approved: approved by local:alice\n');
    expect(cli.stdout()).toContain(`Exception granted by local:alice: ${justification}\n`);

    const trail = await cli.auditJson();
    expect(trail.map((e) => e.action)).toEqual(['model.promoted', 'policy.exception-granted', 'model.card-approved']);
    expect(trail[1]).toMatchObject({ actor: 'local:alice', source: 'cli', target: 'model:2', details: { persona: 'model-approver', justification, failedRules: [{ rule: 'auc >= 0.85', actual: 0.81 }] } });
  });

  it('a data scientist cannot promote to production or approve; nothing is recorded', async () => {
    const cli = await setup();

    expect(await cli.run(['promote', 'adherence', '2', '--stage', 'production', '--as', 'data-scientist'])).toBe(1);
    expect(cli.stderr()).toContain('lumina: data-scientist may not promote a model version to production (model.stage.production); allowed for: model-approver\n');
    expect(await cli.run(['approve', 'adherence', '2', '--as', 'data-scientist'])).toBe(1);
    expect(cli.stderr()).toContain('data-scientist may not approve a model card');
    expect(await cli.auditJson()).toEqual([]);
  });

  it('staging and archived moves default to the ML engineer persona; the approver is refused them', async () => {
    const cli = await setup();

    expect(await cli.run(['promote', 'adherence', '1', '--stage', 'staging', '--reason', 'compare on the new holdout'])).toBe(0);
    expect(cli.stdout()).toMatch(/^adherence version 1: none -> staging by local:alice as ml-engineer \(stage revision 2\)\n {2}version 2: staging -> archived \(replaced\)\n/);
    expect(await cli.run(['promote', 'adherence', '1', '--stage', 'archived', '--as', 'model-approver'])).toBe(1);
    expect(cli.stderr()).toContain('model-approver may not archive a model version');

    expect((await cli.auditJson()).map((e) => [e.action, e.details.persona, e.details.reason])).toEqual([['model.stage-changed', 'ml-engineer', 'compare on the new holdout']]);
  });

  it('an incomplete project configuration policy is refused naming the field', async () => {
    const cli = await setup({ policy: { rules: [{ kind: 'metric', metric: 'auc' }] } });

    expect(await cli.run(['promote', 'adherence', '2', '--stage', 'production'])).toBe(1);

    expect(cli.stderr()).toContain(`lumina: project adherence: configuration ${CONFIG_KEY} is invalid: promotionPolicy.rules.0: a metric rule needs min, max or both\n`);
  });
});

describe('lumina rollback', () => {
  it('puts the previous production version back and records it; with nothing to roll back it exits 1', async () => {
    const cli = await setup({ versions: 1, policy: { requireApprovedCard: false } });
    expect(await cli.run(['promote', 'adherence', '1', '--stage', 'production'])).toBe(0);
    const store = dynamoDbRegistryStore(dynamodb, { registry: `registry-${tableCount}` });
    await registerModelVersion(store, versionRequest({ lineage: { ...versionRequest().lineage, executionId: `run-${tableCount}-2` } }), { now: () => new Date() });
    await setStage(store, 'adherence', 2, 'staging', 'pipeline', 'won', { now: () => new Date() });
    expect(await cli.run(['promote', 'adherence', '2', '--stage', 'production'])).toBe(0);

    expect(await cli.run(['rollback', 'adherence', '--reason', 'v2 mis-scores the new formulary', '--as', 'ml-engineer'])).toBe(0);
    expect(cli.stdout()).toMatch(new RegExp(`^adherence production rolled back: version 2 -> version 1 by local:alice as ml-engineer \\(stage revision 5\\)\nAudit: model\\.rolled-back \\(${UUID}\\)\n$`));
    expect(await cli.run(['rollback', 'adherence', '--reason', 'again'])).toBe(1);
    expect(cli.stderr()).toContain('lumina: cannot roll back adherence: version 1 is the first production version\n');

    expect(await cli.run(['audit', 'adherence', '--action', 'model.rolled-back', '--json'])).toBe(0);
    expect(JSON.parse(cli.stdout()).entries).toEqual([
      expect.objectContaining({ action: 'model.rolled-back', actor: 'local:alice', source: 'cli', target: 'model:1', details: expect.objectContaining({ persona: 'ml-engineer', rolledBackFrom: 2, reason: 'v2 mis-scores the new formulary' }) }),
    ]);
  });
});

describe('lumina audit filters', () => {
  it('--limit keeps the newest, --since in the future finds nothing', async () => {
    const cli = await setup();
    await cli.run(['approve', 'adherence', '2']);
    await cli.run(['promote', 'adherence', '2', '--stage', 'production']);

    expect(await cli.run(['audit', 'adherence', '--limit', '1', '--json'])).toBe(0);
    expect(JSON.parse(cli.stdout()).entries.map((e: { action: string }) => e.action)).toEqual(['model.promoted']);
    expect(await cli.run(['audit', 'adherence', '--since', '2999-01-01'])).toBe(0);
    expect(cli.stdout()).toBe('No audit entries for adherence matching the filters.\n');
  });
});

describe('usage errors', () => {
  it.each([
    [['promote', 'adherence', '2'], "lumina: missing --stage (one of staging, production, archived)\nRun 'lumina promote --help' for usage.\n"],
    [['promote', 'adherence', '2', '--stage', 'live'], "lumina: --stage must be one of staging, production, archived (got 'live')\n"],
    [['promote', 'adherence', '2', '--stage', 'production', '--as', 'intern'], "lumina: --as must be one of data-scientist, ml-engineer, model-approver (got 'intern')\n"],
    [['promote', 'adherence', '2', '--stage', 'production', '--justification', 'because'], 'lumina: --justification needs at least 20 characters (got 7)\n'],
    [['promote', 'adherence', '2', '--stage', 'staging', '--justification', 'x'.repeat(25)], 'lumina: --justification is for --stage production only\n'],
    [['rollback', 'adherence'], 'lumina: missing --reason: a rollback records why\n'],
    [['audit', 'adherence', '--since', 'last week'], "lumina: --since must be an ISO date or date-time, e.g. 2026-05-01 or 2026-05-01T12:00:00Z (got 'last week')\n"],
    [['audit', 'adherence', '--action', 'model.promoted,model.deleted'], "lumina: unknown --action 'model.deleted' (actions: "],
    [['audit', 'adherence', '--limit', '0'], "lumina: --limit must be a positive whole number (got '0')\n"],
  ])('lumina %j exits 2', async (argv, message) => {
    const cli = await setup();

    expect(await cli.run(argv)).toBe(2);

    expect(cli.stderr()).toContain(message);
  });

  it.each([['promote'], ['rollback'], ['approve'], ['audit']])('lumina %s --help prints its usage with --json', async (command) => {
    const cli = await setup();

    expect(await cli.run([command, '--help'])).toBe(0);

    expect(cli.stdout()).toMatch(new RegExp(`^Usage: lumina ${command} NAME`));
    expect(cli.stdout()).toContain('--json');
  });
});
