/**
 * `lumina datasets`, `dataset`, `dataset approve`, `dataset compare` and `data import` over
 * the fake local cloud, with the registry and audit tables in an in-process dynalite, the
 * artifact bucket in an in-process s3rver and a real HTTP server as the public source.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { profileDataset } from '../../../lambdas/core/datasets/profile-dataset';
import { dynamoDbRegistryStore } from '../../../lambdas/shared/dynamodb-registry-store';
import type { LocalCloudApi } from '../../../local/cloud-api';
import { importFileName } from '../../../local/cli/commands/data';
import { runCli } from '../../../local/cli/main';
import { type RunningEmulators, awsClientConfig, startEmulators } from '../../../local/runtime/emulators';
import { FAKE_BUCKET, FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

let emulators: RunningEmulators;
let dynamodb: DynamoDBClient;
let s3: S3Client;
let server: Server;
let baseUrl: string;
let tableCount = 0;
const requests: string[] = [];

const PUBLIC_CSV = 'patient_id,age,bmi,stopped\nP1,50,27.1,0\nP2,61,31.4,1\nP3,44,22.0,0\n';
const PUBLIC_SHA = createHash('sha256').update(PUBLIC_CSV).digest('hex');

beforeAll(async () => {
  emulators = await startEmulators();
  const config = awsClientConfig(emulators);
  dynamodb = new DynamoDBClient(config.dynamodb);
  s3 = new S3Client(config.s3);
  await s3.send(new CreateBucketCommand({ Bucket: FAKE_BUCKET }));
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}${req.headers['if-none-match'] ? ` if-none-match ${req.headers['if-none-match']}` : ''}`);
    if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end();
    if (req.url !== '/open-data/patients.csv') return void res.writeHead(404).end('not here');
    res.writeHead(200, { etag: '"v1"', 'content-type': 'text/csv', 'content-length': String(Buffer.byteLength(PUBLIC_CSV)) }).end(PUBLIC_CSV);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  dynamodb.destroy();
  s3.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await emulators.stop();
  removeTemporaryDirs();
});

const text = async (key: string): Promise<string> => (await s3.send(new GetObjectCommand({ Bucket: FAKE_BUCKET, Key: key }))).Body!.transformToString();
const putText = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: FAKE_BUCKET, Key: key, Body: body }));

const A_CSV = ['patient_id,email,age,brand,stopped', ...Array.from({ length: 30 }, (_, i) => `P${i},${(i * 7919).toString(16).padStart(16, '0')},${40 + (i % 20)},${i % 2 ? 'Glucora' : 'Metforal'},${i % 3 === 0 ? 1 : 0}`)].join('\n');
const B_CSV = ['patient_id,age,brand,bmi,stopped', ...Array.from({ length: 30 }, (_, i) => `P${i},${70 + (i % 5)},${i % 2 ? 'Insulex' : 'Metforal'},${20 + i / 3},${i % 3 === 0 ? 1 : 0}`)].join('\n');

/** Project `adherence` with two accepted dataset versions as the pipeline records them: ds-a (email masked) and ds-b (latest). */
async function setup(projectTag: string) {
  tableCount += 1;
  const tables = { registry: `registry-ds-${tableCount}`, experiments: `experiments-ds-${tableCount}`, audit: `audit-ds-${tableCount}` };
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
  const store = dynamoDbRegistryStore(dynamodb, { registry: tables.registry, experiments: tables.experiments });
  const seed = async (id: string, csv: string, uploadedAt: string, extra: Record<string, unknown>) => {
    const prefix = `projects/adherence/datasets/${id}/`;
    const header = csv.split('\n')[0].split(',');
    const types: Record<string, string> = { patient_id: 'string', email: 'string', age: 'integral', brand: 'string', bmi: 'fractional', stopped: 'integral' };
    const columns = header.map((name) => ({ name, type: types[name] }));
    const features = columns.filter((c) => c.name !== 'patient_id' && c.name !== 'stopped') as { name: string; type: 'string' | 'integral' | 'fractional' }[];
    await putText(`${prefix}data.csv`, csv);
    await putText(`${prefix}profile.json`, JSON.stringify({ summary: profileDataset(Buffer.from(csv), { columns: features }).summary }));
    const sha256 = createHash('sha256').update(csv).digest('hex');
    const record = { projectName: 'adherence', datasetVersionId: id, sourceKey: `projects/adherence/training/inbox/${id}.csv`, sha256, rows: 30, columns, uploadedAt, status: 'validated', baselineKeys: { statistics: `${prefix}baseline/statistics.json`, constraints: `${prefix}baseline/constraints.json`, profile: `${prefix}profile.json` }, ...extra };
    await store.put('registry', { pk: 'PROJECT#adherence', sk: `DATASET#${id}`, status: 'validated', record: JSON.stringify(record), sourceKey: record.sourceKey });
  };
  await seed(`ds-a-${projectTag}`, A_CSV, '2026-05-01T10:00:00.000Z', {
    sourceSha256: 'f'.repeat(64),
    pii: { policySource: 'projects/adherence/config/project.config.json', decisions: [{ column: 'email', kind: 'email', confidence: 0.99, action: 'mask', reason: 'policy for email' }], masked: ['email'], dropped: [] },
  });
  await seed(`ds-b-${projectTag}`, B_CSV, '2026-05-02T10:00:00.000Z', { uploadedBy: 'local:bob', source: { url: 'https://data.example.org/p.csv', attribution: 'Example, CC-BY' } });
  await store.put('registry', { pk: 'PROJECT#adherence', sk: 'DATASET#LATEST', datasetVersionId: `ds-b-${projectTag}`, sourceKey: 'k' });

  const state = new FakeCloudState();
  const cwd = temporaryDir();
  const recording = recordingIo({ cwd, state, env: { USER: 'alice' } });
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
  await runCli(['project', 'create', 'adherence', '--target', 'stopped'], io);
  let printed = 0;
  let errors = 0;
  return {
    cwd,
    state,
    a: `ds-a-${projectTag}`,
    b: `ds-b-${projectTag}`,
    run: async (...argv: string[]) => {
      printed = recording.stdout().length;
      errors = recording.stderr().length;
      return runCli(argv, io);
    },
    stdout: () => recording.stdout().slice(printed),
    stderr: () => recording.stderr().slice(errors),
  };
}

describe('lumina datasets and dataset', () => {
  it('lists versions with hash, source, uploader, approval and schema change; shows one with its PII decisions and writes its report', async () => {
    const cli = await setup('list');

    expect(await cli.run('datasets', 'adherence')).toBe(0);
    const lines = cli.stdout().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+ROWS\s+SHA256\s+SOURCE\s+UPLOADER\s+UPLOADED\s+APPROVAL\s+SCHEMA CHANGE$/);
    expect(lines[1]).toMatch(new RegExp(`^${cli.a}\\s+validated\\s+30\\s+[0-9a-f]{12}…\\s+${cli.a}\\.csv\\s+-\\s+2026-05-01 10:00:00Z\\s+pending\\s+first version$`));
    expect(lines[2]).toMatch(new RegExp(`^${cli.b} \\*\\s+validated\\s+30\\s+[0-9a-f]{12}…\\s+https://data\\.example\\.org/p\\.csv\\s+local:bob\\s+2026-05-02 10:00:00Z\\s+pending\\s+\\+bmi \\(fractional\\), -email$`));
    expect(lines[3]).toBe('* the latest accepted version (retraining uses it)');

    const report = path.join(cli.cwd, 'profile.html');
    expect(await cli.run('dataset', 'adherence', cli.a, '--report', 'profile.html')).toBe(0);
    const shown = cli.stdout();
    expect(shown).toContain(`adherence dataset ${cli.a}: validated\n`);
    expect(shown).toMatch(/ {2}upload sha256 {2}f{64}\n/);
    expect(shown).toMatch(/PII decisions \(policy: projects\/adherence\/config\/project\.config\.json\)\n {2}COLUMN\s+KIND\s+CONFIDENCE\s+ACTION\s+REASON\n {2}email\s+email\s+0\.99\s+mask\s+policy for email\n/);
    expect(shown).toContain(`approval       pending (lumina dataset approve adherence ${cli.a})`);
    expect(shown).toMatch(/Report: .*profile\.html \(\d+ flagged anomal(y|ies)\)\n/);
    expect(shown).toContain('email: 30 distinct values in 30 rows, looks like an identifier');
    const html = fs.readFileSync(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(`<title>adherence dataset ${cli.a}</title>`);
    expect(html).toContain('<svg');
  });

  it('approve records the reviewer and time on the version and in the audit trail; other personas are refused', async () => {
    const cli = await setup('approve');

    expect(await cli.run('dataset', 'approve', 'adherence', cli.a, '--as', 'data-scientist')).toBe(1);
    expect(cli.stderr()).toContain('lumina: data-scientist may not approve a dataset version (dataset.approve); allowed for: model-approver\n');

    expect(await cli.run('dataset', 'approve', 'adherence', cli.a, '--note', 'Data review board, 2026-05-02')).toBe(0);
    expect(cli.stdout()).toMatch(new RegExp(`^adherence dataset ${cli.a} approved by local:alice as model-approver at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ \\(sha256 [0-9a-f]{12}…\\)\nAudit: dataset\\.approved \\([0-9a-f-]{36}\\)\n$`));
    expect(await cli.run('dataset', 'approve', 'adherence', cli.a)).toBe(0);
    expect(cli.stdout()).toContain('is already approved by local:alice');

    expect(await cli.run('datasets', 'adherence', '--json')).toBe(0);
    const { versions } = JSON.parse(cli.stdout());
    expect(versions[0]).toMatchObject({ approvalState: 'approved', approval: { approvedBy: 'local:alice', persona: 'model-approver', note: 'Data review board, 2026-05-02' } });
    expect(await cli.run('audit', 'adherence', '--json')).toBe(0);
    expect(JSON.parse(cli.stdout()).entries).toEqual([expect.objectContaining({ action: 'dataset.approved', actor: 'local:alice', source: 'cli', target: `dataset:${cli.a}` })]);
  });

  it('compare reports schema, statistics and quality differences; unknown ids and bad arguments are named', async () => {
    const cli = await setup('compare');

    expect(await cli.run('dataset', 'compare', 'adherence', cli.a, cli.b)).toBe(0);
    const out = cli.stdout();
    expect(out).toContain(`adherence dataset ${cli.a} -> ${cli.b}\n`);
    expect(out).toMatch(/ {2}schema {2}\+bmi \(fractional\), -email\n/);
    expect(out).toContain('  - age: mean moved ');
    expect(out).toContain('  - brand: new frequent values: Insulex');

    expect(await cli.run('dataset', 'compare', 'adherence', cli.a, 'ds-missing')).toBe(1);
    expect(cli.stderr()).toContain(`lumina: project adherence has no dataset version ds-missing (versions: ${cli.a}, ${cli.b})`);
    expect(await cli.run('dataset', 'compare', 'adherence', cli.a, cli.a)).toBe(2);
    expect(await cli.run('dataset', 'adherence', '../etc')).toBe(2);
    expect(cli.stderr()).toContain("lumina: ID '../etc' is not a dataset version id");
    expect(await cli.run('dataset', 'adherence')).toBe(2);
    expect(cli.stderr()).toContain('lumina: missing ID');
  });
});

describe('lumina data import', () => {
  it('names the inbox object after the URL and the content hash', () => {
    const sha = 'abcdef0123456789'.repeat(4);
    expect(importFileName('https://x.org/open/patients%202024.csv?raw=1', sha)).toBe('patients-2024-abcdef012345.csv');
    expect(importFileName('s3://bucket/path/readmissions', sha)).toBe('readmissions-abcdef012345.csv');
    expect(importFileName('https://x.org/', sha)).toBe('import-abcdef012345.csv');
    expect(importFileName('https://x.org/..%2F..%2Fetc.csv', sha)).toBe('etc-abcdef012345.csv');
  });

  it('downloads once into the project cache with its attribution, uploads for training with uploader and source as metadata, then answers from the cache', async () => {
    const cli = await setup('import');
    requests.length = 0;
    const url = `${baseUrl}/open-data/patients.csv`;

    expect(await cli.run('data', 'import', 'adherence', url, '--sha256', PUBLIC_SHA, '--attribution', 'Example Open Data, CC-BY-4.0', '--training', '--json')).toBe(0);
    const first = JSON.parse(cli.stdout());
    expect(first).toMatchObject({ project: 'adherence', source: url, from: 'download', manifest: { sha256: PUBLIC_SHA, bytes: Buffer.byteLength(PUBLIC_CSV), etag: '"v1"', attribution: 'Example Open Data, CC-BY-4.0' }, upload: { key: `projects/adherence/training/inbox/patients-${PUBLIC_SHA.slice(0, 12)}.csv`, uploadedBy: 'local:alice' }, waited: true });
    expect(first.cache.manifest).toMatch(/^s3:\/\/luminaops-artifacts-fake\/projects\/adherence\/imports\/[0-9a-f]{32}\/manifest\.json$/);
    expect(JSON.parse(await text(first.cache.manifest.replace(`s3://${FAKE_BUCKET}/`, '')))).toMatchObject({ source: url, sha256: PUBLIC_SHA });
    expect(await text(first.upload.key)).toBe(PUBLIC_CSV);
    const head = await s3.send(new HeadObjectCommand({ Bucket: FAKE_BUCKET, Key: first.upload.key }));
    expect(head.Metadata).toEqual({
      'lumina-uploaded-by': 'local%3Aalice',
      'lumina-source': encodeURIComponent(url),
      'lumina-source-sha256': PUBLIC_SHA,
      'lumina-attribution': encodeURIComponent('Example Open Data, CC-BY-4.0'),
    });

    expect(await cli.run('data', 'import', 'adherence', url, '--sha256', PUBLIC_SHA)).toBe(0);
    expect(cli.stdout()).toMatch(/^Imported http:\/\/127\.0\.0\.1:\d+\/open-data\/patients\.csv \(\d+ bytes, sha256 [0-9a-f]{12}…\) from the cache \(checksum known, no request made\): s3:\/\/.*\/data\nAttribution: Example Open Data, CC-BY-4\.0\nNot uploaded for training \(add --training\)\.\n$/);
    expect(await cli.run('data', 'import', 'adherence', url)).toBe(0);
    expect(cli.stdout()).toContain('from the cache (the server says it has not changed)');
    expect(requests).toEqual(['GET /open-data/patients.csv', 'GET /open-data/patients.csv if-none-match "v1"']);
  });

  it('refuses a checksum mismatch and a missing object, and checks its arguments before starting the cloud', async () => {
    const cli = await setup('import-errors');
    const starts = cli.state.starts.length;

    expect(await cli.run('data', 'import', 'adherence', `${baseUrl}/open-data/patients.csv`, '--sha256', '0'.repeat(64))).toBe(1);
    expect(cli.stderr()).toContain(`expected SHA-256 ${'0'.repeat(64)}, got ${PUBLIC_SHA}`);
    expect(await cli.run('data', 'import', 'adherence', `${baseUrl}/nothing.csv`)).toBe(1);
    expect(cli.stderr()).toContain('failed: HTTP 404');

    const afterFailures = cli.state.starts.length;
    expect(afterFailures).toBe(starts + 2);
    expect(await cli.run('data', 'import', 'adherence', 'http://10.0.0.5/a.csv')).toBe(2);
    expect(cli.stderr()).toContain("lumina: URL: source must be an https:// URL, s3://bucket/key of a public object, or http:// on this machine (127.0.0.1, localhost, [::1]) (got 'http://10.0.0.5/a.csv')");
    expect(await cli.run('data', 'import', 'adherence', `${baseUrl}/a.csv`, '--sha256', 'abc')).toBe(2);
    expect(cli.stderr()).toContain('lumina: --sha256: sha256 must be 64 hex digits');
    expect(await cli.run('data', 'import', 'adherence', `${baseUrl}/a.csv`, '--no-wait')).toBe(2);
    expect(cli.state.starts.length).toBe(afterFailures);
  });
});
