import { FeatureDataRejectedError } from '../../../lambdas/core/features/errors';
import { registerFeatureGroup } from '../../../lambdas/core/features/feature-groups';
import { ingestFeatures, listIngestions } from '../../../lambdas/core/features/ingestion';
import { featureKeys } from '../../../lambdas/core/features/keys';
import { getOnlineFeatures } from '../../../lambdas/core/features/online';
import { BUCKET, memoryFeatureStore, vitalsDefinition } from './feature-fixtures';

const HEADER = 'patient_id,measured_at,heart_rate,smoker,ward';

async function storeWithGroup() {
  const store = memoryFeatureStore();
  await registerFeatureGroup(store.table, vitalsDefinition(), store);
  return store;
}

function rejection(promise: Promise<unknown>): Promise<FeatureDataRejectedError> {
  return promise.then(
    () => {
      throw new Error('the data was accepted');
    },
    (error: unknown) => {
      if (error instanceof FeatureDataRejectedError) return error;
      throw error;
    },
  );
}

describe('ingesting feature values', () => {
  it('writes the offline JSON lines under the group, version and ingestion, and the latest value per entity online', async () => {
    const store = await storeWithGroup();
    const csv = [HEADER, 'p-1,2026-01-01T08:00:00Z,70,false,cardio', 'p-1,2026-01-05T08:00:00Z,88,true,general', 'p-2,2026-01-02,,0,', ''].join('\n');

    const ingestion = await ingestFeatures(store, { group: 'patient-vitals', source: { csv }, sourceName: 'vitals.csv' });

    expect(ingestion).toMatchObject({ group: 'patient-vitals', version: 1, ingestionId: '20260301T090001.000Z', status: 'complete', rows: 3, entities: 2, source: 'vitals.csv' });
    expect(ingestion.online).toEqual({ written: 2, keptNewer: 0 });
    expect(ingestion.parts).toEqual(['features/patient-vitals/v1/ingest=20260301T090001.000Z/part-0000.jsonl']);
    expect(store.objects.objects.get(`${BUCKET}/${ingestion.parts[0]}`)).toBe(
      [
        '{"patient_id":"p-1","measured_at":"2026-01-01T08:00:00Z","heart_rate":70,"smoker":false,"ward":"cardio"}',
        '{"patient_id":"p-1","measured_at":"2026-01-05T08:00:00Z","heart_rate":88,"smoker":true,"ward":"general"}',
        '{"patient_id":"p-2","measured_at":"2026-01-02","heart_rate":null,"smoker":false,"ward":null}',
        '',
      ].join('\n'),
    );
    const online = await getOnlineFeatures(store.table, { group: 'patient-vitals', entityIds: ['p-1', 'p-2', 'p-3'] });
    expect(online).toEqual({
      group: 'patient-vitals',
      version: 1,
      entities: {
        'p-1': { eventTime: '2026-01-05T08:00:00.000Z', features: { heart_rate: 88, smoker: true, ward: 'general' } },
        'p-2': { eventTime: '2026-01-02T00:00:00.000Z', features: { heart_rate: null, smoker: false, ward: null } },
      },
      notFound: ['p-3'],
    });
  });

  it('a late-arriving older row never replaces a newer online value; it still lands in the offline store', async () => {
    const store = await storeWithGroup();
    await ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${HEADER}\np-1,2026-01-05T08:00:00Z,88,true,general\n` } });

    const late = await ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${HEADER}\np-1,2026-01-03T08:00:00Z,61,false,cardio\np-2,2026-01-03T08:00:00Z,75,false,cardio\n` } });

    expect(late.online).toEqual({ written: 1, keptNewer: 1 });
    const online = await getOnlineFeatures(store.table, { group: 'patient-vitals', entityIds: ['p-1'] });
    expect(online.entities['p-1']).toEqual({ eventTime: '2026-01-05T08:00:00.000Z', features: { heart_rate: 88, smoker: true, ward: 'general' } });
    expect(store.objects.objects.get(`${BUCKET}/${late.parts[0]}`)).toContain('"heart_rate":61');
  });

  it('a newer row replaces the online value, and at an equal event time the later ingestion (a correction) wins', async () => {
    const store = await storeWithGroup();
    await ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${HEADER}\np-1,2026-01-05T08:00:00Z,88,true,general\n` } });
    await ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${HEADER}\np-1,2026-01-05T09:00:00+01:00,84,true,general\n` } });
    const afterCorrection = await getOnlineFeatures(store.table, { group: 'patient-vitals', entityIds: ['p-1'] });

    await ingestFeatures(store, { group: 'patient-vitals', source: { records: [{ patient_id: 'p-1', measured_at: '2026-02-01T00:00:00Z', heart_rate: 90, smoker: true, ward: 'oncology' }] } });
    const afterNewer = await getOnlineFeatures(store.table, { group: 'patient-vitals', entityIds: ['p-1'] });

    expect(afterCorrection.entities['p-1'].features.heart_rate).toBe(84);
    expect(afterNewer.entities['p-1']).toEqual({ eventTime: '2026-02-01T00:00:00.000Z', features: { heart_rate: 90, smoker: true, ward: 'oncology' } });
  });

  it('rejects a file naming each bad row and column, and writes nothing at all', async () => {
    const store = await storeWithGroup();
    const before = store.table.items();
    const csv = [
      HEADER,
      'p-1,2026-01-01T08:00:00Z,70,false,cardio',
      'p-2,2026-13-01,70,false,cardio',
      'p-3,2026-01-01,seventy,maybe,icu',
      ',2026-01-01,70,false,cardio',
      'p-1,2026-01-01T08:00:00Z,71,false,cardio',
      'p-4,2026-01-01,70',
    ].join('\n');

    const error = await rejection(ingestFeatures(store, { group: 'patient-vitals', source: { csv } }));

    expect(error.problems).toEqual([
      { row: 3, field: 'measured_at', reason: '"2026-13-01" is not a real date and time' },
      { row: 4, field: 'heart_rate', reason: 'expected a number (got "seventy")' },
      { row: 4, field: 'smoker', reason: 'expected true, false, 1 or 0 (got "maybe")' },
      { row: 4, field: 'ward', reason: '"icu" is not one of the categories (cardio, oncology, general)' },
      { row: 5, field: 'patient_id', reason: 'the entity id is missing' },
      { row: 6, field: 'measured_at', reason: 'entity "p-1" already has a row at this event time (row 2); one value per entity and time' },
      { row: 7, field: '(row)', reason: 'has 3 fields, the header has 5' },
    ]);
    expect(error.message).toMatch(/^7 problems in the data for feature group patient-vitals v1, nothing was written: row 3, column measured_at: /);
    expect(store.table.items()).toEqual(before);
    expect(store.objects.objects.size).toBe(0);
  });

  it('rejects a header that lacks columns or has unknown ones', async () => {
    const store = await storeWithGroup();

    const error = await rejection(ingestFeatures(store, { group: 'patient-vitals', source: { csv: 'patient_id,measured_at,heart_rate,spo2\np-1,2026-01-01,70,98\n' } }));

    expect(error.problems).toEqual([
      { row: 1, field: 'smoker, ward', reason: 'the header lacks these columns of patient-vitals v1' },
      { row: 1, field: 'spo2', reason: 'not a feature of patient-vitals v1 (register a new version to add it)' },
    ]);
    expect(await listIngestions(store.table, 'patient-vitals', 1)).toEqual([]);
  });

  it('rejects records with wrong JSON types, naming the record and field', async () => {
    const store = await storeWithGroup();
    const records = [
      { patient_id: 'p-1', measured_at: '2026-01-01', heart_rate: '72', smoker: false, ward: 'cardio' },
      { patient_id: 7, measured_at: 1_767_225_600_000, heart_rate: 72, smoker: 'no', ward: 'cardio', spo2: 98 },
      { patient_id: 'p-3', measured_at: 1_767_225_600_000, heart_rate: 72, smoker: null, ward: 'cardio' },
    ];

    const error = await rejection(ingestFeatures(store, { group: 'patient-vitals', source: { records } }));

    expect(error.problems).toEqual([
      { row: 1, field: 'heart_rate', reason: 'expected a number (got string "72")' },
      { row: 2, field: 'spo2', reason: 'not a feature of patient-vitals v1' },
      { row: 3, field: 'measured_at', reason: 'expected an ISO 8601 time (got number 1767225600000)' },
    ]);
    expect(store.objects.objects.size).toBe(0);
  });

  it('numeric event times are Unix epoch seconds; milliseconds are refused with a hint', async () => {
    const store = memoryFeatureStore();
    const base = vitalsDefinition();
    await registerFeatureGroup(store.table, { ...base, features: base.features.map((f) => (f.name === 'measured_at' ? { ...f, type: 'numeric' as const } : f)) }, store);

    const error = await rejection(ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${HEADER}\np-1,1767225600000,70,false,cardio\n` } }));
    await ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${HEADER}\np-1,1767225600,70,false,cardio\n` } });

    expect(error.problems).toEqual([{ row: 2, field: 'measured_at', reason: '1767225600000 seconds is after the year 9999 (milliseconds given as seconds?)' }]);
    expect((await getOnlineFeatures(store.table, { group: 'patient-vitals', entityIds: ['p-1'] })).entities['p-1'].eventTime).toBe('2026-01-01T00:00:00.000Z');
  });

  it('two ingestions started in the same millisecond get distinct ids and S3 prefixes', async () => {
    const store = await storeWithGroup();
    const fixed = { ...store, now: () => new Date('2026-03-01T10:00:00.000Z') };
    const csv = `${HEADER}\np-1,2026-01-01,70,false,cardio\n`;

    const [a, b] = await Promise.all([ingestFeatures(fixed, { group: 'patient-vitals', source: { csv } }), ingestFeatures(fixed, { group: 'patient-vitals', source: { csv } })]);

    expect([a.ingestionId, b.ingestionId].sort()).toEqual(['20260301T100000.000Z', '20260301T100000.001Z']);
    expect(new Set([...a.parts, ...b.parts]).size).toBe(2);
    expect((await listIngestions(store.table, 'patient-vitals', 1)).map((i) => i.status)).toEqual(['complete', 'complete']);
  });

  it('ingests into the version asked for; online values are kept per version', async () => {
    const store = await storeWithGroup();
    await registerFeatureGroup(store.table, vitalsDefinition({ description: 'v2' }), store);

    await ingestFeatures(store, { group: 'patient-vitals', version: 1, source: { csv: `${HEADER}\np-1,2026-01-01,70,false,cardio\n` } });

    expect(await store.table.get(featureKeys.online('patient-vitals', 1, 'p-1'))).toBeDefined();
    expect((await getOnlineFeatures(store.table, { group: 'patient-vitals', entityIds: ['p-1'] })).notFound).toEqual(['p-1']);
    expect((await getOnlineFeatures(store.table, { group: 'patient-vitals', version: 1, entityIds: ['p-1'] })).notFound).toEqual([]);
  });
});
