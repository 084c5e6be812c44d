import type { ObjectStore } from '../../../lambdas/shared/object-store';
import {
  DatasetChangedError,
  ForeignObjectError,
  profileTrainingDataset,
  validateTrainingDrop,
} from '../../../lambdas/core/pipeline/training-data';

const BUCKET = 'artifacts';
const SPEC = { projectName: 'adherence', targetColumn: 'stopped', entityIdColumn: 'patient_id', positiveLabel: '1' };
const NOW = () => new Date('2026-11-22T10:00:00Z');

function memoryStore(initial: Record<string, string>): ObjectStore & { objects: Map<string, Uint8Array> } {
  const objects = new Map<string, Uint8Array>(Object.entries(initial).map(([k, v]) => [k, new TextEncoder().encode(v)]));
  return {
    objects,
    async get(bucket, key) {
      const body = objects.get(`${bucket}/${key}`);
      if (!body) throw new Error(`NoSuchKey ${bucket}/${key}`);
      return body;
    },
    async put(bucket, key, body) {
      objects.set(`${bucket}/${key}`, typeof body === 'string' ? new TextEncoder().encode(body) : body);
      return {};
    },
  };
}

const GOOD = 'patient_id,age,brand,hba1c,stopped\np1,64,Glucora,7.1,0\np2,71,Metforal,8.4,1\np3,58,Glucora,6.9,0\np4,49,Insulex,9.2,1\n';
const inbox = 'projects/adherence/training/inbox/drop.csv';

describe('training data steps', () => {
  it('accepts a good drop and profiles it into a versioned copy and a Model Monitor baseline', async () => {
    const store = memoryStore({ [`${BUCKET}/${inbox}`]: GOOD });
    const event = { bucket: BUCKET, key: inbox, versionId: null, etag: '"abc"' };

    const validation = await validateTrainingDrop(event, SPEC, { objects: store, now: NOW }, BUCKET);
    expect(validation).toMatchObject({ ok: true, rows: 4 });
    const record = await profileTrainingDataset({ ...event, validation: { ...validation, ok: true as const, columns: [...validation.columns] } }, SPEC, { objects: store, now: NOW }, BUCKET);

    const prefix = `${BUCKET}/projects/adherence/datasets/${validation.datasetVersionId}/`;
    expect([...store.objects.keys()].filter((k) => k.startsWith(prefix)).sort()).toEqual(
      ['baseline/constraints.json', 'baseline/statistics.json', 'data.csv', 'profile.json'].map((f) => prefix + f),
    );
    const statistics = JSON.parse(new TextDecoder().decode(store.objects.get(`${prefix}baseline/statistics.json`)));
    expect(statistics.features.map((f: { name: string }) => f.name)).toEqual(['age', 'brand', 'hba1c']);
    expect(statistics.dataset.item_count).toBe(4);
    expect(record).toMatchObject({ status: 'validated', rows: 4, uploadedAt: '2026-11-22T10:00:00.000Z', datasetVersionId: validation.datasetVersionId });
    expect(store.objects.get(`${BUCKET}/${inbox}`)).toBeDefined();
  });

  it('rejects a ragged file with a reason and a report, and keeps the upload', async () => {
    const store = memoryStore({ [`${BUCKET}/${inbox}`]: 'patient_id,age,stopped\np1,64,0\np2,71\n' });

    const result = await validateTrainingDrop({ bucket: BUCKET, key: inbox, etag: 'e1' }, SPEC, { objects: store, now: NOW }, BUCKET);

    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/line 3/);
    expect(result.reportKey).toBe(`projects/adherence/training/rejected/${result.datasetVersionId}.json`);
    const report = JSON.parse(new TextDecoder().decode(store.objects.get(`${BUCKET}/${result.reportKey}`)));
    expect(report.record.status).toBe('rejected');
    expect(store.objects.get(`${BUCKET}/${inbox}`)).toBeDefined();
  });

  it("refuses objects outside the project's inbox", async () => {
    const store = memoryStore({});
    await expect(
      validateTrainingDrop({ bucket: BUCKET, key: 'projects/other/training/inbox/x.csv' }, SPEC, { objects: store, now: NOW }, BUCKET),
    ).rejects.toThrow(ForeignObjectError);
  });

  it('refuses to profile an object that changed after validation', async () => {
    const store = memoryStore({ [`${BUCKET}/${inbox}`]: GOOD });
    const event = { bucket: BUCKET, key: inbox, etag: 'e1' };
    const validation = await validateTrainingDrop(event, SPEC, { objects: store, now: NOW }, BUCKET);
    await store.put(BUCKET, inbox, `${GOOD}p5,80,Glucora,7.7,0\n`, 'text/csv');

    await expect(profileTrainingDataset({ ...event, validation: { ...validation, ok: true as const, columns: [...validation.columns] } }, SPEC, { objects: store, now: NOW }, BUCKET)).rejects.toThrow(
      DatasetChangedError,
    );
  });
});
