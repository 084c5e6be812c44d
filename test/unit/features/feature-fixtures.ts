/** What the feature store tests share: a definition, an in-memory object store and a clock. */
import type { FeatureGroupDefinitionInput } from '../../../lambdas/core/features/definition';
import { type MemoryFeatureTable, memoryFeatureTable } from '../../../lambdas/core/features/memory-table';
import type { FeatureStoreDependencies } from '../../../lambdas/core/features/store-dependencies';
import type { ObjectStore } from '../../../lambdas/shared/object-store';

export const BUCKET = 'artifacts';

export function vitalsDefinition(overrides: Partial<FeatureGroupDefinitionInput> = {}): FeatureGroupDefinitionInput {
  return {
    name: 'patient-vitals',
    description: 'Vital signs taken at each visit',
    entityIdColumn: 'patient_id',
    eventTimeColumn: 'measured_at',
    features: [
      { name: 'patient_id', type: 'string', description: 'hospital patient id' },
      { name: 'measured_at', type: 'string', description: 'when the vitals were taken' },
      { name: 'heart_rate', type: 'numeric', description: 'beats per minute' },
      { name: 'smoker', type: 'boolean', description: 'self-reported' },
      { name: 'ward', type: 'categorical', description: 'ward of the visit', categories: ['cardio', 'oncology', 'general'] },
    ],
    author: 'dr.lee',
    ...overrides,
  };
}

/** A clock that moves one second per reading from 2026-03-01T09:00:00Z. */
export function steppingClock(start = '2026-03-01T09:00:00.000Z'): () => Date {
  let t = Date.parse(start) - 1000;
  return () => new Date((t += 1000));
}

export interface MemoryObjectStore extends ObjectStore {
  readonly objects: Map<string, string>;
}

export function memoryObjectStore(): MemoryObjectStore {
  const objects = new Map<string, string>();
  return {
    objects,
    async get(bucket, key) {
      const body = objects.get(`${bucket}/${key}`);
      if (body === undefined) throw new Error(`NoSuchKey: ${bucket}/${key}`);
      return new TextEncoder().encode(body);
    },
    async put(bucket, key, body) {
      objects.set(`${bucket}/${key}`, typeof body === 'string' ? body : new TextDecoder().decode(body));
      return {};
    },
  };
}

export function memoryFeatureStore(now = steppingClock()): FeatureStoreDependencies & { table: MemoryFeatureTable; objects: MemoryObjectStore } {
  return { table: memoryFeatureTable(), objects: memoryObjectStore(), bucket: BUCKET, now };
}
