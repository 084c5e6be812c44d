import fc from 'fast-check';
import { type LabelSet, type TimedFeatureRow, buildFeatureTimeline, lastAtOrBefore, pointInTimeJoin } from '../../../lambdas/core/features/point-in-time';
import { registerFeatureGroup } from '../../../lambdas/core/features/feature-groups';
import { ingestFeatures } from '../../../lambdas/core/features/ingestion';
import { buildTrainingSet, parseLabelCsv, readOfflineRows } from '../../../lambdas/core/features/training-set';
import { getFeatureGroup } from '../../../lambdas/core/features/feature-groups';
import type { FeatureValue } from '../../../lambdas/core/features/values';
import { memoryFeatureStore, vitalsDefinition } from './feature-fixtures';

const HEADER = 'patient_id,measured_at,heart_rate,smoker,ward';
const day = (d: number): number => Date.UTC(2026, 0, d);
const label = (row: number, entityId: string, d: number, value: FeatureValue): LabelSet['rows'][number] => ({ row, entityId, eventTimeMs: day(d), eventTime: new Date(day(d)).toISOString(), label: value });
const labels = (rows: LabelSet['rows']): LabelSet => ({ entityIdColumn: 'patient_id', eventTimeColumn: 'label_time', labelColumn: 'readmitted', rows });
const row = (entityId: string, d: number, heart_rate: FeatureValue): TimedFeatureRow => ({ entityId, eventTimeMs: day(d), values: { heart_rate } });

/** The join people write first: each entity's newest value by event time, whatever the label's time. */
function naiveLatestByEventTime(set: LabelSet, rows: readonly TimedFeatureRow[]): FeatureValue[] {
  return set.rows.map((l) => {
    const mine = rows.filter((r) => r.entityId === l.entityId);
    if (mine.length === 0) return null;
    return mine.reduce((a, b) => (b.eventTimeMs >= a.eventTimeMs ? b : a)).values.heart_rate;
  });
}

/** The other naive join: each entity's last ingested row (what a "latest snapshot" table holds). */
function naiveLastIngested(set: LabelSet, rows: readonly TimedFeatureRow[]): FeatureValue[] {
  return set.rows.map((l) => [...rows].reverse().find((r) => r.entityId === l.entityId)?.values.heart_rate ?? null);
}

/** Reference: scan every row of the entity (O(n) a label), the last in ingestion order among the newest at or before the label. */
function bruteForce(set: LabelSet, rows: readonly TimedFeatureRow[]): FeatureValue[] {
  return set.rows.map((l) => {
    let best: TimedFeatureRow | undefined;
    for (const r of rows) if (r.entityId === l.entityId && r.eventTimeMs <= l.eventTimeMs && (!best || r.eventTimeMs >= best.eventTimeMs)) best = r;
    return best ? best.values.heart_rate : null;
  });
}

describe('point-in-time join', () => {
  // Labels on Jan 10. Ingestion 1 (on time) and ingestion 2 (late-arriving, both older and newer event times).
  const ingestion1 = [row('p-1', 1, 70), row('p-1', 20, 95), row('p-2', 3, 60)];
  const ingestion2 = [row('p-1', 8, 80), row('p-2', 15, 99), row('p-3', 12, 50)];
  const all = [...ingestion1, ...ingestion2];
  const set = labels([label(2, 'p-1', 10, 1), label(3, 'p-2', 10, 0), label(4, 'p-3', 10, 1)]);

  it('late-arriving values that a naive join leaks from the future are not used; values true at the label time are', () => {
    const joined = pointInTimeJoin(set, [buildFeatureTimeline('patient-vitals', 1, ['heart_rate'], all)], { includeFeatureTimes: true });
    const ours = joined.rows.map((r) => r.heart_rate);

    // The naive joins take Jan 20 (p-1), Jan 15 (p-2) and Jan 12 (p-3): values from after Jan 10.
    expect(naiveLatestByEventTime(set, all)).toEqual([95, 99, 50]);
    expect(naiveLastIngested(set, all)).toEqual([80, 99, 50]);
    expect(ours).not.toEqual(naiveLatestByEventTime(set, all));
    expect(ours).not.toEqual(naiveLastIngested(set, all));
    // Ours: p-1 from the late-arriving Jan 8 row, p-2 from Jan 3, p-3 has nothing yet on Jan 10.
    expect(ours).toEqual([80, 60, null]);
    expect(ours).toEqual(bruteForce(set, all));
    for (const r of joined.rows) if (r['patient-vitals__event_time'] !== null) expect(Date.parse(String(r['patient-vitals__event_time']))).toBeLessThanOrEqual(Date.parse(String(r.label_time)));
    expect(joined.stats).toEqual([{ group: 'patient-vitals', version: 1, matched: 2, missing: 1 }]);
  });

  it('a value at exactly the label time counts; one millisecond later does not', () => {
    const rows = [row('p-1', 10, 70), { entityId: 'p-1', eventTimeMs: day(10) + 1, values: { heart_rate: 71 } }];

    const joined = pointInTimeJoin(labels([label(2, 'p-1', 10, 1)]), [buildFeatureTimeline('g', 1, ['heart_rate'], rows)]);

    expect(joined.rows[0].heart_rate).toBe(70);
  });

  it('at one event time the later ingestion wins; a null in the newest row stays null', () => {
    const rows = [row('p-1', 5, 70), row('p-1', 5, 72), row('p-2', 4, 60), row('p-2', 6, null)];

    const joined = pointInTimeJoin(labels([label(2, 'p-1', 9, 1), label(3, 'p-2', 9, 0)]), [buildFeatureTimeline('g', 1, ['heart_rate'], rows)]);

    expect(joined.rows.map((r) => r.heart_rate)).toEqual([72, null]);
  });

  it("missing: 'drop' leaves out label rows with no value at or before their time", () => {
    const joined = pointInTimeJoin(set, [buildFeatureTimeline('patient-vitals', 1, ['heart_rate'], all)], { missing: 'drop' });

    expect(joined.rows.map((r) => r.patient_id)).toEqual(['p-1', 'p-2']);
    expect(joined.dropped).toBe(1);
  });

  it('two groups with the same feature name need prefixed columns', () => {
    const a = buildFeatureTimeline('vitals', 1, ['heart_rate'], all);
    const b = buildFeatureTimeline('wearables', 2, ['heart_rate'], [row('p-1', 9, 66)]);

    expect(() => pointInTimeJoin(set, [a, b])).toThrow('invalid feature groups: column "heart_rate" of wearables v2 is also in vitals v1; use prefixColumns or choose other features');
    const joined = pointInTimeJoin(set, [a, b], { prefixColumns: true });
    expect(joined.columns).toEqual(['patient_id', 'label_time', 'readmitted', 'vitals__heart_rate', 'wearables__heart_rate']);
    expect(joined.rows[0]).toMatchObject({ vitals__heart_rate: 80, wearables__heart_rate: 66 });
  });

  it('agrees with a brute-force scan on random rows, ties and label times', () => {
    const entity = fc.constantFrom('a', 'b', 'c', 'd');
    const time = fc.integer({ min: 1, max: 30 });
    fc.assert(
      fc.property(fc.array(fc.tuple(entity, time), { maxLength: 80 }), fc.array(fc.tuple(entity, time), { minLength: 1, maxLength: 30 }), (featureRows, labelRows) => {
        const rows = featureRows.map(([e, t], i) => row(e, t, i));
        const set = labels(labelRows.map(([e, t], i) => label(i + 2, e, t, 0)));
        const joined = pointInTimeJoin(set, [buildFeatureTimeline('g', 1, ['heart_rate'], rows)]);
        expect(joined.rows.map((r) => r.heart_rate)).toEqual(bruteForce(set, rows));
      }),
      { numRuns: 300 },
    );
  });

  it('lastAtOrBefore finds the last index at or before a time', () => {
    const times = Float64Array.from([1, 3, 3, 7]);
    expect([0, 1, 2, 3, 5, 7, 9].map((t) => lastAtOrBefore(times, t))).toEqual([-1, 0, 0, 2, 2, 3, 3]);
  });
});

describe('training sets from the offline store', () => {
  it('joins labels with the offline rows of every ingestion, late-arriving ones included, and records the versions used', async () => {
    const store = memoryFeatureStore();
    await registerFeatureGroup(store.table, vitalsDefinition(), store);
    await registerFeatureGroup(store.table, vitalsDefinition({ description: 'v2 (same columns)' }), store);
    const labs = vitalsDefinition({
      name: 'lab-results',
      description: 'Lab panels',
      eventTimeColumn: 'resulted_at',
      features: [
        { name: 'patient_id', type: 'string' },
        { name: 'resulted_at', type: 'numeric', description: 'epoch seconds' },
        { name: 'hba1c', type: 'numeric' },
      ],
    });
    await registerFeatureGroup(store.table, labs, store);
    await ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${HEADER}\np-1,2026-01-01,70,false,cardio\np-1,2026-01-20,95,true,cardio\np-2,2026-01-03,60,false,general\n` } });
    await ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${HEADER}\np-1,2026-01-08,80,false,oncology\np-2,2026-01-15,99,true,general\n` } });
    await ingestFeatures(store, { group: 'lab-results', source: { csv: `patient_id,resulted_at,hba1c\np-1,${day(9) / 1000},6.1\np-2,${day(11) / 1000},7.4\n` } });
    const labelSet = parseLabelCsv('patient_id,label_time,readmitted\np-1,2026-01-10T00:00:00Z,yes\np-2,2026-01-10T00:00:00Z,no\np-3,2026-01-10T00:00:00Z,no\n', {
      entityIdColumn: 'patient_id',
      eventTimeColumn: 'label_time',
      labelColumn: 'readmitted',
    });

    const set = await buildTrainingSet(store, { labels: labelSet, featureGroups: [{ name: 'patient-vitals', version: 2, features: ['heart_rate', 'ward'] }, { name: 'lab-results' }] });

    expect(set.columns).toEqual(['patient_id', 'label_time', 'readmitted', 'heart_rate', 'ward', 'hba1c']);
    expect(set.rows).toEqual([
      { patient_id: 'p-1', label_time: '2026-01-10T00:00:00Z', readmitted: 'yes', heart_rate: 80, ward: 'oncology', hba1c: 6.1 },
      { patient_id: 'p-2', label_time: '2026-01-10T00:00:00Z', readmitted: 'no', heart_rate: 60, ward: 'general', hba1c: null },
      { patient_id: 'p-3', label_time: '2026-01-10T00:00:00Z', readmitted: 'no', heart_rate: null, ward: null, hba1c: null },
    ]);
    expect(set.lineage).toEqual([
      { name: 'lab-results', version: 1 },
      { name: 'patient-vitals', version: 2 },
    ]);
    expect(set.stats).toEqual([
      { group: 'patient-vitals', version: 2, matched: 2, missing: 1 },
      { group: 'lab-results', version: 1, matched: 1, missing: 2 },
    ]);
    expect((await readOfflineRows(store, await getFeatureGroup(store.table, 'patient-vitals', 2))).map((r) => r.values.heart_rate)).toEqual([70, 95, 60, 80, 99]);
  });

  it('a feature the version lacks is refused, naming the features there are', async () => {
    const store = memoryFeatureStore();
    await registerFeatureGroup(store.table, vitalsDefinition(), store);
    const labelSet = parseLabelCsv('patient_id,t,y\np-1,2026-01-10,1\n', { entityIdColumn: 'patient_id', eventTimeColumn: 't', labelColumn: 'y' });

    await expect(buildTrainingSet(store, { labels: labelSet, featureGroups: [{ name: 'patient-vitals', features: ['spo2'] }] })).rejects.toThrow(
      'invalid features: patient-vitals v1 has no feature "spo2" (features: heart_rate, smoker, ward)',
    );
  });

  it('a label file with bad rows is refused with every row and column named', () => {
    expect(() => parseLabelCsv('patient_id,t,y\np-1,yesterday,1\n,2026-01-01,\n', { entityIdColumn: 'patient_id', eventTimeColumn: 't', labelColumn: 'y' })).toThrow(
      '3 problems in the label set: row 2, column t: expected an ISO 8601 date or time such as 2026-03-01T09:30:00Z (got "yesterday"); row 3, column patient_id: the entity id is empty; row 3, column y: the label is missing',
    );
  });
});
