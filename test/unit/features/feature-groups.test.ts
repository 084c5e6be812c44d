import { UnknownFeatureGroupError, UnknownFeatureGroupVersionError, InvalidFeatureGroupDefinitionError } from '../../../lambdas/core/features/errors';
import { getFeatureGroup, listFeatureGroupVersions, listFeatureGroups, registerFeatureGroup } from '../../../lambdas/core/features/feature-groups';
import { featureKeys } from '../../../lambdas/core/features/keys';
import { memoryFeatureTable } from '../../../lambdas/core/features/memory-table';
import { steppingClock, vitalsDefinition } from './feature-fixtures';

describe('registering feature groups', () => {
  it('the first registration is version 1, a changed definition version 2, and version 1 is kept as it was', async () => {
    const table = memoryFeatureTable();
    const now = steppingClock();

    const first = await registerFeatureGroup(table, vitalsDefinition(), { now });
    const changed = vitalsDefinition({ description: 'Vital signs and oxygen saturation', features: [...vitalsDefinition().features, { name: 'spo2', type: 'numeric', description: '%' }] });
    const second = await registerFeatureGroup(table, changed, { now });

    expect([first.created, first.record.version, first.previousVersion]).toEqual([true, 1, undefined]);
    expect([second.created, second.record.version, second.previousVersion]).toEqual([true, 2, 1]);
    expect(await getFeatureGroup(table, 'patient-vitals', 1)).toEqual(first.record);
    expect(await getFeatureGroup(table, 'patient-vitals')).toEqual(second.record);
    expect((await getFeatureGroup(table, 'patient-vitals')).features.map((f) => f.name)).toContain('spo2');
    expect((await listFeatureGroupVersions(table, 'patient-vitals')).map((r) => r.version)).toEqual([1, 2]);
  });

  it('an identical definition (even by another author) creates no version and writes nothing', async () => {
    const table = memoryFeatureTable();
    const now = steppingClock();
    const first = await registerFeatureGroup(table, vitalsDefinition(), { now });
    const before = table.items();

    const again = await registerFeatureGroup(table, vitalsDefinition({ author: 'dr.kim' }), { now });

    expect(again).toEqual({ record: first.record, created: false, previousVersion: 1 });
    expect(table.items()).toEqual(before);
  });

  it('returns a version exactly as stored: the record item holds the same object', async () => {
    const table = memoryFeatureTable();
    const { record } = await registerFeatureGroup(table, vitalsDefinition(), { now: steppingClock() });

    const stored = await table.get(featureKeys.version('patient-vitals', 1));

    expect(stored?.record).toEqual(record);
    expect(await getFeatureGroup(table, 'patient-vitals', 1)).toEqual(stored?.record);
    expect(record).toMatchObject({ name: 'patient-vitals', version: 1, author: 'dr.lee', createdAt: '2026-03-01T09:00:00.000Z', entityIdColumn: 'patient_id' });
  });

  it('an invalid definition writes nothing', async () => {
    const table = memoryFeatureTable();

    await expect(registerFeatureGroup(table, vitalsDefinition({ entityIdColumn: 'mrn' }), { now: steppingClock() })).rejects.toThrow(InvalidFeatureGroupDefinitionError);

    expect(table.items()).toEqual([]);
  });

  it('concurrent registrations of different definitions get distinct, gap-free versions', async () => {
    const table = memoryFeatureTable();
    const now = steppingClock();
    const definitions = Array.from({ length: 20 }, (_, i) => vitalsDefinition({ description: `revision ${i}` }));

    const results = await Promise.all(definitions.map((d) => registerFeatureGroup(table, d, { now })));

    expect(results.map((r) => r.record.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await listFeatureGroups(table))[0].latestVersion).toBe(20);
  });

  it('lists groups with their latest version', async () => {
    const table = memoryFeatureTable();
    const now = steppingClock();
    await registerFeatureGroup(table, vitalsDefinition(), { now });
    await registerFeatureGroup(table, vitalsDefinition({ description: 'changed' }), { now });
    await registerFeatureGroup(table, vitalsDefinition({ name: 'lab-results', description: 'Lab panels' }), { now });

    expect(await listFeatureGroups(table)).toEqual([
      { name: 'lab-results', latestVersion: 1, description: 'Lab panels', features: 5, author: 'dr.lee', updatedAt: '2026-03-01T09:00:02.000Z' },
      { name: 'patient-vitals', latestVersion: 2, description: 'changed', features: 5, author: 'dr.lee', updatedAt: '2026-03-01T09:00:01.000Z' },
    ]);
  });

  it('an unknown group names the groups there are; an unknown version names the range', async () => {
    const table = memoryFeatureTable();
    await registerFeatureGroup(table, vitalsDefinition(), { now: steppingClock() });

    await expect(getFeatureGroup(table, 'vitals')).rejects.toThrow(new UnknownFeatureGroupError('vitals', ['patient-vitals']));
    await expect(getFeatureGroup(table, 'patient-vitals', 4)).rejects.toThrow(new UnknownFeatureGroupVersionError('patient-vitals', 4, 1));
    await expect(getFeatureGroup(table, 'patient-vitals', 4)).rejects.toThrow('feature group patient-vitals has no version 4 (versions are 1..1)');
  });
});
