/**
 * Dataset versions, the PII policy on ingest, approval, comparison and public import, against
 * the real local cloud booted once. A CSV with an email column dropped under a `mask`
 * policy trains with a masked copy (the upload untouched) and the decision on the version;
 * `lumina dataset approve`, `lumina datasets`, `lumina dataset` (with the HTML report),
 * `lumina data import` from an HTTP server on this machine (cached the second time) and
 * `lumina dataset compare` then run in-process over the same cloud; last, a `refuse` policy
 * fails a drop with the column named.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type CliIo, runCli } from '../../../local/cli/main';
import { type LocalCloud, startLocalCloud } from '../../../local/cloud';
import type { LocalCloudApi } from '../../../local/cloud-api';
import { generatePatients } from '../../../local/demo/synthetic-patients';
import { releaseTestAssembly, testAssembly } from '../test-assembly';

const PROJECT = 'adherence';
const TARGET = 'stopped_within_30d';
const CONFIG_KEY = `projects/${PROJECT}/config/project.config.json`;

/** The generator's patients with an email column after the id. */
function withEmails(csv: string): string {
  const [header, ...rows] = csv.trim().split('\n');
  const cells = (line: string) => line.split(',');
  return `${[[cells(header)[0], 'email', ...cells(header).slice(1)].join(','), ...rows.map((row) => [cells(row)[0], `${cells(row)[0].toLowerCase()}@example.org`, ...cells(row).slice(1)].join(','))].join('\n')}\n`;
}

describe('local cloud: datasets, PII policy, approval, comparison and import', () => {
  let cloud: LocalCloud;
  let cdkOut: string;
  let work: string;
  let io: CliIo;
  let server: Server;
  let out = '';
  let err = '';
  const served: string[] = [];
  const IMPORTED = generatePatients({ patients: 240, seed: 7, firstPatient: 5000 }).csv;
  const IMPORTED_SHA = createHash('sha256').update(IMPORTED).digest('hex');

  const lumina = async (...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const [outBefore, errBefore] = [out.length, err.length];
    const code = await runCli([...argv, '--state-dir', path.join(work, 'state')], io);
    return { code, stdout: out.slice(outBefore), stderr: err.slice(errBefore) };
  };
  const objectText = async (key: string): Promise<string> => (await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }))).Body!.transformToString();
  const putJson = (key: string, value: unknown) => cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: key, Body: JSON.stringify(value) }));

  beforeAll(async () => {
    cdkOut = testAssembly('lumina-it-datasets-cdk-');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-it-datasets-'));
    cloud = await startLocalCloud({ cdkOut, alarmEvaluationIntervalMs: 0 });
    const shared = new Proxy(cloud, {
      get(target, property) {
        if (property === 'stop') return async () => undefined;
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as LocalCloudApi;
    io = {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (err += text) },
      env: { USER: 'tester' },
      cwd: work,
      startCloud: async () => shared,
      stopRequests: () => () => undefined,
    };
    server = createServer((req, res) => {
      served.push(`${req.method} ${req.url}${req.headers['if-none-match'] ? ' (conditional)' : ''}`);
      if (req.headers['if-none-match'] === '"open-v1"') return void res.writeHead(304).end();
      if (req.url !== '/open-data/patients-2.csv') return void res.writeHead(404).end();
      res.writeHead(200, { etag: '"open-v1"', 'content-type': 'text/csv', 'content-length': String(Buffer.byteLength(IMPORTED)) }).end(IMPORTED);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

    await cloud.createProject({ name: PROJECT, targetColumn: TARGET, entityIdColumn: 'patient_id', positiveLabel: '1' });
    await putJson(`projects/${PROJECT}/config/training.json`, { hyperparameters: { num_round: 10, max_depth: 2, eta: 0.3, seed: 7 }, seedCodeVersion: 'it' });
    await putJson(CONFIG_KEY, { project: PROJECT, piiPolicy: { byKind: { email: 'mask' } } });
  }, 240_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await cloud?.stop();
    releaseTestAssembly(cdkOut);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('masks the email column in the kept copy under a mask policy, records the decision, approves, imports, lists and compares', async () => {
    // A drop with emails: the pipeline keeps a masked copy and trains on it.
    const upload = withEmails(generatePatients({ patients: 240, seed: 42 }).csv);
    const { key } = await cloud.putData(PROJECT, 'training', 'patients.csv', Buffer.from(upload));
    await cloud.waitForIdle(120_000);
    expect(cloud.listRuns(PROJECT)[0]).toMatchObject({ status: 'SUCCEEDED' });

    const listed = await lumina('datasets', PROJECT, '--json');
    expect(listed.code).toBe(0);
    const [first] = JSON.parse(listed.stdout).versions;
    const id: string = first.datasetVersionId;
    expect(first.record.pii).toEqual({
      policySource: CONFIG_KEY,
      decisions: [{ column: 'email', kind: 'email', confidence: 0.99, action: 'mask', reason: 'policy for email' }],
      masked: ['email'],
      dropped: [],
    });
    const kept = await objectText(`projects/${PROJECT}/datasets/${id}/data.csv`);
    expect(kept).not.toContain('@example.org');
    expect(kept.split('\n')[1]).toMatch(/^P\d{7},[0-9a-f]{16},/);
    expect(first.record.sha256).toBe(createHash('sha256').update(kept).digest('hex'));
    expect(first.record.sourceSha256).toBe(createHash('sha256').update(upload).digest('hex'));
    expect(await objectText(key)).toBe(upload);
    expect(JSON.parse(await objectText(`projects/${PROJECT}/datasets/${id}/pii-decisions.json`))).toMatchObject({ outcome: 'applied', masked: ['email'] });
    expect(await objectText(`projects/${PROJECT}/secrets/pii-mask-key`)).toMatch(/^[0-9a-f]{64}$/);

    // Approval: reviewer and time on the version, and in the audit trail.
    const approved = await lumina('dataset', 'approve', PROJECT, id, '--note', 'integration review');
    expect(approved.stderr).not.toContain('lumina:');
    expect(approved.code).toBe(0);
    const audit = await lumina('audit', PROJECT, '--action', 'dataset.approved', '--json');
    expect(JSON.parse(audit.stdout).entries).toEqual([expect.objectContaining({ actor: 'local:tester', source: 'cli', target: `dataset:${id}`, details: expect.objectContaining({ note: 'integration review', persona: 'model-approver' }) })]);

    // Import from a public source on this machine into the training inbox, then once more from the cache.
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/open-data/patients-2.csv`;
    const imported = await lumina('data', 'import', PROJECT, url, '--sha256', IMPORTED_SHA, '--attribution', 'Synthetic open data, CC0', '--training');
    expect(imported.stderr).not.toContain('lumina:');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^Imported http:\/\/127\.0\.0\.1:\d+\/open-data\/patients-2\.csv \(\d+ bytes, sha256 [0-9a-f]{12}…\) downloaded: /);
    expect(imported.stdout).toMatch(/TrainingPipeline run \S+: SUCCEEDED in /);
    const again = await lumina('data', 'import', PROJECT, url, '--sha256', IMPORTED_SHA);
    expect(again.stdout).toContain('from the cache (checksum known, no request made)');
    expect(served).toEqual(['GET /open-data/patients-2.csv']);

    // Both versions, with source, uploader, approval and the schema change.
    const table = await lumina('datasets', PROJECT);
    const rows = table.stdout.split('\n');
    expect(rows[1]).toMatch(new RegExp(`^${id}\\s+validated\\s+${first.record.rows}\\s+[0-9a-f]{12}…\\s+patients\\.csv\\s+-\\s+\\S+ \\S+\\s+approved by local:tester\\s+first version$`));
    expect(rows[2]).toMatch(new RegExp(`^ds-[0-9a-f]{24} \\*\\s+validated\\s+\\d+\\s+[0-9a-f]{12}…\\s+${url.replace(/[.]/g, '\\.')}\\s+local:tester\\s+\\S+ \\S+\\s+pending\\s+-email$`));
    const second: string = rows[2].split(' ')[0];
    const shown = await lumina('dataset', PROJECT, second, '--report', 'second.html');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`source         ${url}\n`);
    expect(shown.stdout).toContain('attribution    Synthetic open data, CC0\n');
    expect(shown.stdout).toContain('PII decisions (policy: projects/adherence/config/project.config.json): no column looked like personal data');
    expect(fs.readFileSync(path.join(work, 'second.html'), 'utf8')).toContain('<h2>Correlations (numeric columns)</h2>');

    const compared = await lumina('dataset', 'compare', PROJECT, id, second);
    expect(compared.code).toBe(0);
    expect(compared.stdout).toContain(`${PROJECT} dataset ${id} -> ${second}\n`);
    expect(compared.stdout).toMatch(new RegExp(`  rows    ${first.record.rows} -> \\d+\n  schema  -email\n`));
    expect(compared.stdout).toMatch(/\n {2}COLUMN\s+KIND\s+MISSING %/);
  });

  it('a refuse policy fails the run naming the column; the upload stays and no version is recorded', async () => {
    await putJson(CONFIG_KEY, { project: PROJECT, piiPolicy: { default: 'refuse' } });
    const upload = withEmails(generatePatients({ patients: 60, seed: 3, firstPatient: 9000 }).csv);

    const { key } = await cloud.putData(PROJECT, 'training', 'refused.csv', Buffer.from(upload));
    await cloud.waitForIdle(120_000);

    const run = cloud.listRuns(PROJECT).find((r) => (r.input as { key?: string }).key === key);
    expect(run).toMatchObject({ status: 'FAILED', error: 'PiiRefusedError' });
    expect(run?.cause).toContain('dataset refused by the PII policy: column \\"email\\" may hold email (confidence 0.99)');
    expect(await objectText(key)).toBe(upload);
    const listed = await lumina('datasets', PROJECT, '--json');
    expect(JSON.parse(listed.stdout).versions).toHaveLength(2);
  });
});
