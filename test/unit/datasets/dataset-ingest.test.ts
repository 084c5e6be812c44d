import { createHash, createHmac } from 'node:crypto';
import { type IngestDependencies, type IngestStepInput, ingestTrainingDataset } from '../../../lambdas/core/datasets/dataset-ingest';
import { PiiRefusedError } from '../../../lambdas/core/datasets/pii-policy';
import { memoryAuditStore, queryAuditTrail } from '../../../lambdas/core/governance/audit-trail';
import { InvalidProjectConfigError } from '../../../lambdas/core/governance/project-policy';
import { validateTrainingDrop } from '../../../lambdas/core/pipeline/training-data';
import { splitTrainingDataset } from '../../../lambdas/core/pipeline/split-dataset';
import type { ObjectStore } from '../../../lambdas/shared/object-store';

const BUCKET = 'artifacts';
const SPEC = { projectName: 'adherence', targetColumn: 'stopped', entityIdColumn: 'patient_id', positiveLabel: '1' };
const INBOX = 'projects/adherence/training/inbox/drop.csv';
const CONFIG = 'projects/adherence/config/project.config.json';
const KEY = 'a'.repeat(64);
const NOW = new Date('2026-11-22T10:00:00Z');
const UPLOADED = new Date('2026-11-22T09:58:00Z');
const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const pseudonym = (value: string): string => createHmac('sha256', KEY).update(value).digest('hex').slice(0, 16);

/** 60 patients with an email column, a phone column and a national id that looks like PII but is the entity id. */
function patientsCsv(rows = 60): string {
  const lines = ['patient_id,email,phone,age,brand,stopped'];
  for (let i = 1; i <= rows; i++) {
    lines.push(`P${String(i).padStart(3, '0')},patient${i}@example.org,(415) 555-${String(1000 + i)},${30 + (i % 40)},${i % 3 === 0 ? 'Glucora' : 'Metforal'},${i % 4 === 0 ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

function memoryObjects(initial: Record<string, string>): ObjectStore & { objects: Map<string, Uint8Array>; text(key: string): string } {
  const objects = new Map<string, Uint8Array>(Object.entries(initial).map(([k, v]) => [`${BUCKET}/${k}`, new TextEncoder().encode(v)]));
  return {
    objects,
    text: (key) => new TextDecoder().decode(objects.get(`${BUCKET}/${key}`)),
    async get(bucket, key) {
      const body = objects.get(`${bucket}/${key}`);
      if (!body) throw Object.assign(new Error(`NoSuchKey ${key}`), { name: 'NoSuchKey' });
      return body;
    },
    async put(bucket, key, body) {
      objects.set(`${bucket}/${key}`, typeof body === 'string' ? new TextEncoder().encode(body) : body);
      return {};
    },
  };
}

/** A drop validated by the real validate step, the profile step's dependencies over memory stores. */
async function setup(options: { csv?: string; config?: unknown; metadata?: Record<string, string>; audited?: boolean } = {}) {
  const csv = options.csv ?? patientsCsv();
  const objects = memoryObjects({ [INBOX]: csv, ...(options.config === undefined ? {} : { [CONFIG]: typeof options.config === 'string' ? options.config : JSON.stringify(options.config) }) });
  const event = { bucket: BUCKET, key: INBOX, versionId: null, etag: '"e1"' };
  const validation = await validateTrainingDrop(event, SPEC, { objects, now: () => NOW }, BUCKET);
  expect(validation.ok).toBe(true);
  const input: IngestStepInput = { ...event, executionId: 'arn:aws:states:us-east-1:000000000000:execution:Training:run-1', validation: { ...validation, ok: true as const, columns: [...validation.columns] } };
  const audit = memoryAuditStore();
  let keyRequests = 0;
  let ids = 0;
  const deps: IngestDependencies = {
    objects,
    readUpload: async (bucket, key) => ({ body: await objects.get(bucket, key), metadata: options.metadata ?? {}, lastModified: UPLOADED }),
    readConfig: async (key) => (objects.objects.has(`${BUCKET}/${key}`) ? objects.text(key) : undefined),
    maskKey: async () => {
      keyRequests++;
      return KEY;
    },
    ...(options.audited === false ? {} : { audit: { store: audit, newId: () => `id-${++ids}`, actor: 'lambda:ProfileDataset' } }),
    now: () => NOW,
  };
  const prefix = `projects/adherence/datasets/${validation.datasetVersionId}/`;
  return { csv, objects, input, deps, audit, prefix, validation, keyRequests: () => keyRequests };
}

describe('ingestTrainingDataset: the PII policy on ingest', () => {
  it('masks flagged columns by default in the kept copy and its baseline, leaves the upload alone, and records every decision', async () => {
    const s = await setup();

    const record = await ingestTrainingDataset(s.input, SPEC, s.deps, BUCKET);

    const kept = s.objects.text(`${s.prefix}data.csv`);
    expect(kept.split('\n')[0]).toBe('patient_id,email,phone,age,brand,stopped');
    expect(kept.split('\n')[1]).toBe(`P001,${pseudonym('patient1@example.org')},${pseudonym('(415) 555-1001')},31,Metforal,0`);
    expect(kept).not.toContain('@example.org');
    expect(s.objects.text(`${s.prefix}baseline/statistics.json`)).not.toContain('@example.org');
    expect(s.objects.text(INBOX)).toBe(s.csv);
    expect(s.keyRequests()).toBe(1);

    expect(record.pii.policySource).toBe('default');
    expect([...record.pii.masked].sort()).toEqual(['email', 'phone']);
    expect(record.pii.dropped).toEqual([]);
    expect(record.pii.decisions).toEqual(
      expect.arrayContaining([
        { column: 'email', kind: 'email', confidence: 0.99, action: 'mask', reason: 'default policy' },
        { column: 'phone', kind: 'phone_number', confidence: 0.94, action: 'mask', reason: 'default policy' },
      ]),
    );
    expect(record).toMatchObject({ status: 'validated', rows: 60, sha256: sha256(kept), sourceSha256: sha256(s.csv), sourceEtag: 'e1', uploadedAt: UPLOADED.toISOString(), profiledAt: NOW.toISOString() });
    expect(record.columns.find((c) => c.name === 'phone')).toEqual({ name: 'phone', type: 'string' });

    const log = JSON.parse(s.objects.text(`${s.prefix}pii-decisions.json`));
    expect(log).toMatchObject({ outcome: 'applied', policySource: 'default', sourceSha256: sha256(s.csv), sha256: sha256(kept), masked: ['email', 'phone'] });
    const profile = JSON.parse(s.objects.text(`${s.prefix}profile.json`));
    expect(profile.pii.masked).toEqual(['email', 'phone']);

    const trail = await queryAuditTrail({ project: 'adherence' }, s.audit);
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({
      action: 'dataset.pii-policy-applied',
      actor: 'lambda:ProfileDataset',
      source: s.input.executionId,
      target: `dataset:${s.validation.datasetVersionId}`,
      details: { policySource: 'default', masked: ['email', 'phone'], dropped: [], sha256: sha256(kept) },
    });
  });

  it('the split step accepts the masked copy: the record carries the hash of what was kept', async () => {
    const s = await setup();
    const record = await ingestTrainingDataset(s.input, SPEC, s.deps, BUCKET);

    const split = await splitTrainingDataset(
      { executionId: 'arn:aws:states:us-east-1:000000000000:execution:Training:run-1', dataset: { datasetVersionId: record.datasetVersionId, sha256: record.sha256 }, modelOutputUri: `s3://${BUCKET}/projects/adherence/runs/run-1/model/` },
      SPEC,
      { objects: s.objects },
      BUCKET,
    );

    expect(split.datasetKey).toBe(`${s.prefix}data.csv`);
  });

  it("drops by kind from the project's piiPolicy, and never touches the target or entity id", async () => {
    const csv = 'patient_id,email,age,stopped\n123-45-6789,a@example.org,50,0\n234-56-7890,b@example.org,61,1\n345-67-8901,c@example.org,44,0\n';
    const s = await setup({ csv, config: { project: 'adherence', piiPolicy: { byKind: { email: 'drop', national_id: 'refuse' } } } });

    const record = await ingestTrainingDataset(s.input, SPEC, s.deps, BUCKET);

    expect(s.objects.text(`${s.prefix}data.csv`)).toBe('patient_id,age,stopped\n123-45-6789,50,0\n234-56-7890,61,1\n345-67-8901,44,0\n');
    expect(record.pii).toMatchObject({ policySource: CONFIG, dropped: ['email'], masked: [] });
    expect(record.pii.decisions.find((d) => d.column === 'patient_id')).toMatchObject({ kind: 'national_id', action: 'exempt' });
    expect(record.columns.map((c) => c.name)).toEqual(['patient_id', 'age', 'stopped']);
    expect(s.keyRequests()).toBe(0);
    const statistics = JSON.parse(s.objects.text(`${s.prefix}baseline/statistics.json`));
    expect(statistics.features.map((f: { name: string }) => f.name)).toEqual(['age']);
  });

  it('refuses the dataset naming the columns: nothing kept but the decision log, a dataset.rejected audit entry, PiiRefusedError', async () => {
    const s = await setup({ config: { piiPolicy: { default: 'refuse' } } });

    const act = ingestTrainingDataset(s.input, SPEC, s.deps, BUCKET);

    await expect(act).rejects.toThrow(PiiRefusedError);
    await expect(act).rejects.toThrow(/^dataset refused by the PII policy: column "email" may hold email \(confidence 0\.99\); column "phone" may hold phone number/);
    expect([...s.objects.objects.keys()].filter((k) => k.includes('/datasets/'))).toEqual([`${BUCKET}/${s.prefix}pii-decisions.json`]);
    expect(JSON.parse(s.objects.text(`${s.prefix}pii-decisions.json`))).toMatchObject({ outcome: 'refused', policySource: CONFIG });
    const trail = await queryAuditTrail({ project: 'adherence' }, s.audit);
    expect(trail.map((e) => [e.action, e.details.reason])).toEqual([['dataset.rejected', 'pii-policy']]);
    expect(s.keyRequests()).toBe(0);
  });

  it('allow keeps the bytes (same hash, no sourceSha256) and still logs the decision; without an audit table the record is the log', async () => {
    const s = await setup({ config: { piiPolicy: { default: 'allow' } }, audited: false });

    const record = await ingestTrainingDataset(s.input, SPEC, s.deps, BUCKET);

    expect(s.objects.text(`${s.prefix}data.csv`)).toBe(s.csv);
    expect(record.sha256).toBe(sha256(s.csv));
    expect(record.sourceSha256).toBeUndefined();
    expect(record.pii.decisions.map((d) => d.action)).toEqual(['allow', 'allow']);
    expect(JSON.parse(s.objects.text(`${s.prefix}pii-decisions.json`)).outcome).toBe('unchanged');
    expect(await queryAuditTrail({ project: 'adherence' }, s.audit)).toEqual([]);
  });

  it('a dataset without personal data gets no decision log and no audit entry', async () => {
    const s = await setup({ csv: 'patient_id,age,stopped\nP1,50,0\nP2,61,1\n' });

    const record = await ingestTrainingDataset(s.input, SPEC, s.deps, BUCKET);

    expect(record.pii).toEqual({ policySource: 'default', decisions: [], masked: [], dropped: [] });
    expect(s.objects.objects.has(`${BUCKET}/${s.prefix}pii-decisions.json`)).toBe(false);
    expect(await queryAuditTrail({ project: 'adherence' }, s.audit)).toEqual([]);
  });

  it('refuses a broken piiPolicy with the field named instead of falling back to the default', async () => {
    const s = await setup({ config: { piiPolicy: { default: 'hide', minConfidence: 2 } } });

    const act = ingestTrainingDataset(s.input, SPEC, s.deps, BUCKET);

    await expect(act).rejects.toThrow(InvalidProjectConfigError);
    await expect(act).rejects.toThrow(/piiPolicy\.default: .*; piiPolicy\.minConfidence: /);
    expect([...s.objects.objects.keys()].some((k) => k.includes('/datasets/'))).toBe(false);
  });

  it("records the uploader and the import's source attribution from the object metadata", async () => {
    const url = 'https://data.example.org/diabetes/patients.csv';
    const s = await setup({
      config: { piiPolicy: { default: 'drop' } },
      metadata: { 'lumina-uploaded-by': 'local%3Aalice', 'lumina-source': encodeURIComponent(url), 'lumina-source-sha256': sha256(patientsCsv()), 'lumina-attribution': encodeURIComponent('Example Open Data, CC-BY-4.0 – ©') },
    });

    const record = await ingestTrainingDataset(s.input, SPEC, s.deps, BUCKET);

    expect(record.uploadedBy).toBe('local:alice');
    expect(record.source).toEqual({ url, sha256: sha256(patientsCsv()), attribution: 'Example Open Data, CC-BY-4.0 – ©' });
  });

  it('refuses an object that changed since validation', async () => {
    const s = await setup();
    await s.objects.put(BUCKET, INBOX, `${s.csv}P999,x@example.org,(415) 555-9999,50,Glucora,0\n`, 'text/csv');

    await expect(ingestTrainingDataset(s.input, SPEC, s.deps, BUCKET)).rejects.toThrow(/changed after validation/);
  });
});
