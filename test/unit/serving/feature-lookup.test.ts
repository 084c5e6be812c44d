import { registerFeatureGroup } from '../../../lambdas/core/features/feature-groups';
import { ingestFeatures } from '../../../lambdas/core/features/ingestion';
import { FeatureLookupRefusedError } from '../../../lambdas/core/serving/endpoint';
import { onlineFeatureLookup } from '../../../lambdas/core/serving/feature-lookup';
import { memoryFeatureStore, vitalsDefinition } from '../features/feature-fixtures';

const VITALS = 'patient_id,measured_at,heart_rate,smoker,ward';

async function store() {
  const deps = memoryFeatureStore();
  await registerFeatureGroup(deps.table, vitalsDefinition(), deps);
  await registerFeatureGroup(deps.table, vitalsDefinition({ name: 'patient-labs', eventTimeColumn: 'measured_at', features: [
    { name: 'patient_id', type: 'string', description: 'id' },
    { name: 'measured_at', type: 'string', description: 'when' },
    { name: 'hba1c', type: 'numeric', description: 'HbA1c %' },
  ] }), deps);
  await ingestFeatures(deps, { group: 'patient-vitals', source: { csv: `${VITALS}\np-1,2026-01-01T00:00:00Z,70,false,cardio\np-1,2026-01-05T00:00:00Z,75,true,cardio\np-2,2026-01-02T00:00:00Z,61,false,general\n` } });
  await ingestFeatures(deps, { group: 'patient-labs', source: { csv: 'patient_id,measured_at,hba1c\np-1,2026-01-03T00:00:00Z,7.9\n' } });
  return deps;
}

describe('the endpoint\'s online feature lookup', () => {
  it("merges the entity's latest values from each of the model's groups, and finds nothing for an unknown entity", async () => {
    const lookup = onlineFeatureLookup((await store()).table);
    const groups = [{ name: 'patient-vitals', version: 1 }, { name: 'patient-labs', version: 1 }];

    expect(await lookup('p-1', groups)).toEqual({ heart_rate: 75, smoker: true, ward: 'cardio', hba1c: 7.9 });
    expect(await lookup('p-2', groups)).toEqual({ heart_rate: 61, smoker: false, ward: 'general' });
    expect(await lookup('p-9', groups)).toBeUndefined();
  });

  it('refuses, as the request\'s problem, a model without feature groups and an id the store cannot hold', async () => {
    const lookup = onlineFeatureLookup((await store()).table);

    await expect(lookup('p-1', [])).rejects.toThrow(new FeatureLookupRefusedError("the production model was trained without feature groups, so the online feature store holds none of its inputs; send the record's features instead"));
    // A group version with no online values holds nothing for the entity (the endpoint answers 404).
    expect(await lookup('p-1', [{ name: 'patient-vitals', version: 4 }])).toBeUndefined();
    await expect(lookup('x'.repeat(2000), [{ name: 'patient-vitals', version: 1 }])).rejects.toThrow(FeatureLookupRefusedError);
  });
});
