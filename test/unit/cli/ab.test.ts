/**
 * `lumina ab` over the fake local cloud, with the registry and audit tables in an in-process
 * dynalite and the artifact bucket (prediction log, accepted labels) in an in-process s3rver:
 * setting, changing and stopping a test (checked against the registry, audited), the flag
 * checks, and --status from logged predictions and ground truth.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { AuditEvent } from '../../../lambdas/core/governance/audit-trail';
import { labelsKeys } from '../../../lambdas/core/performance/ingest-labels';
import { registerModelVersion } from '../../../lambdas/core/registry/model-version';
import { setStage } from '../../../lambdas/core/registry/stages';
import { type AbConfig, readAbConfig } from '../../../lambdas/core/serving/ab-testing';
import { type PredictionLogLine, predictionLogKey, toJsonLines } from '../../../lambdas/core/serving/prediction-log';
import { dynamoDbRegistryStore } from '../../../lambdas/shared/dynamodb-registry-store';
import { parsePredictionLog, testStart, variantTraffic } from '../../../local/cli/ab-report';
import { runCli } from '../../../local/cli/main';
import type { LocalCloudApi } from '../../../local/cloud-api';
import { type RunningEmulators, awsClientConfig, startEmulators } from '../../../local/runtime/emulators';
import { steppingClock, versionRequest } from '../registry/registry-fixtures';
import { FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

let emulators: RunningEmulators;
let dynamodb: DynamoDBClient;
let s3: S3Client;
let count = 0;

beforeAll(async () => {
  emulators = await startEmulators();
  const config = awsClientConfig(emulators);
  dynamodb = new DynamoDBClient(config.dynamodb);
  s3 = new S3Client(config.s3);
});

afterAll(async () => {
  dynamodb.destroy();
  s3.destroy();
  await emulators.stop();
  removeTemporaryDirs();
});

const PROJECT = 'adherence';

/** Fresh tables and bucket; versions 1..`versions` registered, `production` (if any) promoted; project adherence created. */
async function setup(options: { versions?: number; production?: number | null } = {}) {
  count += 1;
  const tables = { registry: `registry-${count}`, experiments: `experiments-${count}`, audit: `audit-${count}` };
  const bucket = `artifacts-${count}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
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
  const store = dynamoDbRegistryStore(dynamodb, tables);
  const now = steppingClock();
  for (let i = 1; i <= (options.versions ?? 3); i++) await registerModelVersion(store, versionRequest({ lineage: { ...versionRequest().lineage, executionId: `run-${count}-${i}` } }), { now });
  const production = options.production === undefined ? 1 : options.production;
  if (production !== null) {
    await setStage(store, PROJECT, production, 'staging', 'training-pipeline/run', 'beat the champion', { now });
    await setStage(store, PROJECT, production, 'production', 'local:alice', 'first release', { now });
  }

  const state = new FakeCloudState();
  const recording = recordingIo({ cwd: temporaryDir(), state, env: { USER: 'alice' } });
  const startCloud = async (cloudOptions: Parameters<typeof state.startCloud>[0]): Promise<LocalCloudApi> => {
    const cloud = await state.startCloud(cloudOptions);
    return new Proxy(cloud, {
      get(target, property) {
        if (property === 'dynamodb') return dynamodb;
        if (property === 's3') return s3;
        if (property === 'artifactBucket') return bucket;
        if (property === 'tableName') return (table: keyof typeof tables) => tables[table];
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  const io = { ...recording.io, startCloud };
  await runCli(['project', 'create', PROJECT, '--target', 'y'], io);
  let printed = recording.stdout().length;
  let errors = recording.stderr().length;
  const run = async (argv: string[]) => {
    printed = recording.stdout().length;
    errors = recording.stderr().length;
    return runCli(argv, io);
  };
  const stdout = () => recording.stdout().slice(printed);
  return {
    state,
    store,
    run,
    stdout,
    stderr: () => recording.stderr().slice(errors),
    config: (): Promise<AbConfig | undefined> => readAbConfig(store, PROJECT),
    audit: async (): Promise<AuditEvent[]> => {
      expect(await run(['audit', PROJECT, '--action', 'ab.changed', '--json'])).toBe(0);
      return JSON.parse(stdout()).entries as AuditEvent[];
    },
    /** Logs one request's predictions as the endpoint does. */
    log: async (lines: PredictionLogLine[]) => {
      const at = new Date(lines[0].at);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: predictionLogKey(PROJECT, at, lines[0].httpRequestId, `w${Math.random().toString(16).slice(2)}`), Body: toJsonLines(lines) }));
    },
    /** An accepted `lumina labels put` upload with these outcomes. */
    labels: async (upload: string, rows: { requestId: string; outcome: 0 | 1 }[]) => {
      const body = { upload, sourceKey: `projects/${PROJECT}/labels/inbox/${upload}-outcomes.csv`, acceptedAt: new Date().toISOString(), columns: { requestId: 'request_id', outcome: 'outcome' }, rows: rows.map((r, i) => ({ line: i + 2, ...r })) };
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: labelsKeys.accepted(PROJECT, upload), Body: JSON.stringify(body) }));
    },
  };
}

function line(variant: 'champion' | 'challenger', modelVersion: number, requestId: string, probability: number, at: string): PredictionLogLine {
  return {
    requestId,
    httpRequestId: requestId,
    index: 0,
    entityId: `P-${requestId}`,
    project: PROJECT,
    source: 'endpoint',
    modelVersion,
    variant,
    probability,
    label: probability >= 0.5 ? 1 : 0,
    confidence: Math.abs(2 * probability - 1),
    threshold: 0.5,
    riskFactors: [],
    inputs: { age: 61 },
    inputSource: 'request',
    at,
    latencyMs: 1.2,
  };
}

/**
 * `n` predictions of a variant, logged now, and outcomes of which `correct` agree with the
 * label (probability 0.8, so a correct outcome is 1).
 */
async function trafficWithOutcomes(cli: Awaited<ReturnType<typeof setup>>, variant: 'champion' | 'challenger', version: number, n: number, correct: number, upload: string): Promise<void> {
  const at = new Date().toISOString();
  const ids = Array.from({ length: n }, (_, i) => `${variant}-${i}`);
  await cli.log(ids.map((id, i) => ({ ...line(variant, version, id, 0.8, at), requestId: id, httpRequestId: `${variant}-http`, index: i })));
  await cli.labels(upload, ids.map((requestId, i) => ({ requestId, outcome: i < correct ? 1 : 0 })));
}

describe('lumina ab: changing the test', () => {
  it('--challenger V --split S starts a test against production, applied from the registry item, and audits it', async () => {
    const cli = await setup();

    const code = await cli.run(['ab', PROJECT, '--challenger', '2', '--split', '0.1']);

    expect(code).toBe(0);
    expect(await cli.config()).toMatchObject({ champion: 1, challenger: 2, split: 0.1, revision: 1, updatedBy: 'local:alice' });
    expect(cli.stdout()).toMatch(
      /^adherence A\/B test: champion version 1 \(production\) vs challenger version 2 at 10% of traffic \(revision 1\)\n {2}the endpoint applies it within a second \(it caches the configuration for 1 s\); see the traffic with 'lumina ab adherence --status'\nAudit: ab\.changed \([0-9a-f-]{36}\)\n$/,
    );
    const [entry] = await cli.audit();
    expect(entry).toMatchObject({ action: 'ab.changed', actor: 'local:alice', source: 'cli', target: 'model:2', details: { champion: 1, challenger: 2, split: 0.1, revision: 1, previous: null } });
  });

  it('a new split keeps the test and records the previous one; --json prints { change, previous, audit }', async () => {
    const cli = await setup();
    await cli.run(['ab', PROJECT, '--challenger', '2', '--split', '0.1']);

    const code = await cli.run(['ab', PROJECT, '--challenger', '2', '--split', '.25', '--json']);

    expect(code).toBe(0);
    const printed = JSON.parse(cli.stdout());
    expect(printed).toMatchObject({ change: { champion: 1, challenger: 2, split: 0.25, revision: 2 }, previous: { challenger: 2, split: 0.1, revision: 1 }, audit: [{ action: 'ab.changed' }] });
    const entries = await cli.audit();
    expect(entries.map((e) => e.details.split)).toEqual([0.25, 0.1]);
    expect(entries[0].details.previous).toEqual({ champion: 1, challenger: 2, split: 0.1, revision: 1 });
  });

  it('--stop sends all traffic to the champion and audits it; stopping again changes nothing', async () => {
    const cli = await setup();
    await cli.run(['ab', PROJECT, '--challenger', '3', '--split', '0.5']);

    expect(await cli.run(['ab', PROJECT, '--stop'])).toBe(0);
    expect(cli.stdout()).toContain('adherence A/B test stopped: all traffic to the champion, version 1 (revision 2)');
    expect(await cli.config()).toMatchObject({ challenger: null, split: 0, revision: 2 });

    expect(await cli.run(['ab', PROJECT, '--stop'])).toBe(0);
    expect(cli.stdout()).toBe('No A/B test is running for adherence; nothing changed.\n');
    const entries = await cli.audit();
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ target: 'model:3', details: { challenger: null, split: 0, previous: { challenger: 3, split: 0.5 } } });
  });

  it.each([
    [{}, ['--challenger', '9', '--split', '0.1'], 'project adherence has no version 9'],
    [{}, ['--challenger', '1', '--split', '0.1'], 'version 1 is the production version; the challenger must be another version'],
    [{ production: null }, ['--challenger', '2', '--split', '0.1'], 'project adherence has no production version to test a challenger against'],
  ])('refuses a test the registry cannot serve (%j %j): exit 1, nothing written or audited', async (options, flags, message) => {
    const cli = await setup(options);

    const code = await cli.run(['ab', PROJECT, ...flags]);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain(`lumina: ${message}`);
    expect(await cli.config()).toBeUndefined();
    expect(await cli.audit()).toEqual([]);
  });

  it.each([
    [[], 'choose what to do: --challenger V --split S to start or change a test, --status to see it, --stop to end it'],
    [['--challenger', '2'], "missing --split S: the challenger's share of traffic, above 0 and below 1 (e.g. --split 0.1)"],
    [['--split', '0.1'], '--split needs --challenger V: the version to test against production'],
    [['--challenger', 'two', '--split', '0.1'], "--challenger must be a positive whole number (got 'two')"],
    [['--challenger', '2', '--split', '0'], "--split must be a number above 0 and below 1, e.g. 0.1 for 10% of traffic (got '0')"],
    [['--challenger', '2', '--split', '1'], "(got '1')"],
    [['--challenger', '2', '--split', '1.5'], "(got '1.5')"],
    [['--challenger', '2', '--split=-0.1'], "--split must be a number above 0 and below 1, e.g. 0.1 for 10% of traffic (got '-0.1')"],
    [['--challenger', '2', '--split', 'NaN'], "(got 'NaN')"],
    [['--challenger', '2', '--split', '10%'], "(got '10%') (write a percentage as a fraction: 0.1)"],
    [['--status', '--challenger', '2'], '--status only reads the test: it cannot be combined with --challenger or --split'],
    [['--status', '--stop'], '--status and --stop cannot be used together'],
    [['--stop', '--split', '0.2'], '--stop ends the test: it cannot be combined with --challenger or --split'],
  ])('ab adherence %j is a usage error before the cloud starts', async (flags, message) => {
    const cli = await setup();
    const starts = cli.state.starts.length;

    const code = await cli.run(['ab', PROJECT, ...flags]);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain(message);
    expect(cli.stderr()).toContain("Run 'lumina ab --help' for usage.");
    expect(cli.state.starts).toHaveLength(starts);
  });
});

describe('lumina ab --status', () => {
  it('without a test says so and how to start one', async () => {
    const cli = await setup();

    expect(await cli.run(['ab', PROJECT, '--status'])).toBe(0);
    expect(cli.stdout()).toBe("No A/B test for adherence (production: version 1). Start one with 'lumina ab adherence --challenger V --split 0.1'.\n");
    expect(await cli.run(['ab', PROJECT, '--status', '--json'])).toBe(0);
    expect(JSON.parse(cli.stdout())).toEqual({ project: PROJECT, production: 1, config: null, active: false, since: null, traffic: null, groundTruth: null, significance: null });
  });

  it('counts each variant since the test began and says there is no ground truth yet', async () => {
    const cli = await setup();
    await cli.log([line('champion', 1, 'before-test', 0.9, new Date(Date.now() - 60_000).toISOString())]);
    await cli.run(['ab', PROJECT, '--challenger', '2', '--split', '0.2']);
    const at = new Date(Date.now() + 1000).toISOString();
    await cli.log([line('champion', 1, 'r1', 0.9, at), { ...line('champion', 1, 'r1-1', 0.2, at), httpRequestId: 'r1', index: 1 }]);
    await cli.log([line('champion', 1, 'r2', 0.6, at)]);
    await cli.log([line('challenger', 2, 'r3', 0.3, at)]);
    await cli.log([line('champion', 3, 'r4', 0.3, at)]);

    expect(await cli.run(['ab', PROJECT, '--status'])).toBe(0);

    const out = cli.stdout();
    expect(out).toContain('A/B test of adherence: champion version 1 vs challenger version 2, 20% of traffic to the challenger (revision 1)\n');
    expect(out).toContain('  active: the endpoint serves the challenger\n');
    expect(out).toContain(
      [
        'VARIANT     VERSION  REQUESTS  PREDICTIONS  SHARE  POSITIVE  MEAN P',
        'champion    1        2         3            75%    66.7%     0.5667',
        'challenger  2        1         1            25%    0%        0.3000',
        '  1 prediction in the window served outside the test (stale test or challenger unavailable) are left out',
      ].join('\n'),
    );
    expect(out).toContain("No ground truth yet, so there is no significance test. Upload outcomes (request_id or entity id, outcome) with 'lumina labels put adherence FILE'.");

    expect(await cli.run(['ab', PROJECT, '--status', '--json'])).toBe(0);
    const status = JSON.parse(cli.stdout());
    expect(status).toMatchObject({ active: true, traffic: { champion: { predictions: 3, requests: 2 }, challenger: { predictions: 1 }, other: 1, malformedLines: 0 }, groundTruth: { uploads: 0, outcomes: 0 }, significance: null });
  });

  it('with enough ground truth runs the z-test and recommends promoting a clearly better challenger', async () => {
    const cli = await setup();
    await cli.run(['ab', PROJECT, '--challenger', '2', '--split', '0.5']);
    await trafficWithOutcomes(cli, 'champion', 1, 200, 140, '20260501T100000Z-aaaaaaaa');
    await trafficWithOutcomes(cli, 'challenger', 2, 200, 180, '20260501T100001Z-bbbbbbbb');

    expect(await cli.run(['ab', PROJECT, '--status'])).toBe(0);

    const out = cli.stdout();
    expect(out).toContain('Ground truth: 400 outcomes joined to the test\'s predictions (0 not) from 2 labels uploads');
    expect(out).toContain(
      [
        'VARIANT     VERSION  OUTCOMES  CORRECT  ACCURACY  95% INTERVAL',
        'champion    1        200       140      70%       63.3% - 75.9%',
        'challenger  2        200       180      90%       85.1% - 93.4%',
        // p1 = 0.7, p2 = 0.9, pooled 0.8: se = sqrt(0.8 * 0.2 * (1/200 + 1/200)) = 0.04, z = 0.2 / 0.04.
        'Two-proportion z-test on accuracy: difference +20.0 points, z = 5.00, p = 5.73e-7 (alpha 0.05)',
      ].join('\n'),
    );
    expect(out).toContain('Recommendation: PROMOTE version 2: the challenger is significantly more accurate');
    expect(out).toContain('  lumina promote adherence 2 --stage production');
    expect(await cli.run(['ab', PROJECT, '--status', '--json'])).toBe(0);
    expect(JSON.parse(cli.stdout()).significance).toMatchObject({ recommendation: 'promote', champion: { n: 200, correct: 140 }, challenger: { n: 200, correct: 180 } });
  });

  it('recommends keeping the champion when the difference is not significant, and waits with too few outcomes', async () => {
    const cli = await setup();
    await cli.run(['ab', PROJECT, '--challenger', '2', '--split', '0.5']);
    await trafficWithOutcomes(cli, 'champion', 1, 150, 120, '20260501T100000Z-aaaaaaaa');
    await trafficWithOutcomes(cli, 'challenger', 2, 150, 122, '20260501T100001Z-bbbbbbbb');

    await cli.run(['ab', PROJECT, '--status']);
    expect(cli.stdout()).toContain('Recommendation: DO NOT PROMOTE, keep the champion: no significant difference at alpha 0.05');

    await cli.run(['ab', PROJECT, '--challenger', '3', '--split', '0.5']);
    await trafficWithOutcomes(cli, 'challenger', 3, 20, 20, '20260501T100002Z-cccccccc');
    await cli.run(['ab', PROJECT, '--status']);
    expect(cli.stdout()).toContain('Recommendation: none yet, not enough data: champion has 0 outcomes, needs 100; challenger has 20 outcomes, needs 100');
  });

  it('says when a promotion made the test stale', async () => {
    const cli = await setup();
    await cli.run(['ab', PROJECT, '--challenger', '2', '--split', '0.5']);
    const now = steppingClock();
    await setStage(cli.store, PROJECT, 3, 'staging', 'pipeline', 'won', { now });
    await setStage(cli.store, PROJECT, 3, 'production', 'local:alice', 'release', { now });

    await cli.run(['ab', PROJECT, '--status']);

    expect(cli.stdout()).toContain('  INACTIVE: stale: the test was set against version 1 but production is now version 3');
  });
});

describe('A/B status helpers', () => {
  const entry = (at: string, champion: number, challenger: number | null): AuditEvent =>
    ({ id: at, at, project: PROJECT, action: 'ab.changed', actor: 'local:alice', source: 'cli', target: 'model:2', details: { champion, challenger } }) as AuditEvent;
  const config: AbConfig = { champion: 1, challenger: 2, split: 0.3, revision: 4, updatedAt: '2026-05-04T00:00:00.000Z' };

  it('a test starts at the oldest entry of the newest run that set the same champion and challenger', () => {
    const newestFirst = [entry('2026-05-04T00:00:00.000Z', 1, 2), entry('2026-05-03T00:00:00.000Z', 1, 2), entry('2026-05-02T00:00:00.000Z', 1, null), entry('2026-05-01T00:00:00.000Z', 1, 2)];
    expect(testStart(config, newestFirst)).toBe('2026-05-03T00:00:00.000Z');
    expect(testStart(config, [])).toBe('2026-05-04T00:00:00.000Z');
    expect(testStart(config, [entry('2026-05-04T00:00:00.000Z', 1, 5)])).toBe('2026-05-04T00:00:00.000Z');
  });

  it('parses prediction log lines, counting the ones that are not predictions', () => {
    const good = JSON.stringify(line('champion', 1, 'a', 0.7, '2026-05-01T00:00:00.000Z'));
    const parsed = parsePredictionLog([`${good}\nnot json\n{"requestId": "x"}\n\n`, good]);
    expect(parsed.predictions).toHaveLength(2);
    expect(parsed.malformed).toBe(2);
    const traffic = variantTraffic(parsed.predictions, 1, 2);
    expect(traffic.champion).toMatchObject({ requests: 1, predictions: 2, positives: 2, share: 1, threshold: 0.5 });
    expect(traffic.challenger).toMatchObject({ predictions: 0, meanProbability: null, share: 0 });
  });
});
