import { createHash } from 'node:crypto';
import type { ObjectStore } from '../../../lambdas/shared/object-store';

export const BUCKET = 'artifacts';
export const PROJECT = 'readmit';
export const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:Training:run-1';
export const SPEC = { projectName: PROJECT, targetColumn: 'readmitted', entityIdColumn: 'patient_id', positiveLabel: 'yes' };

export type MemoryStore = ObjectStore & { objects: Map<string, Uint8Array>; text(key: string): string };

/** An in-memory bucket; a missing key throws NoSuchKey like S3. */
export function memoryStore(initial: Record<string, string | Uint8Array> = {}): MemoryStore {
  const encode = (v: string | Uint8Array): Uint8Array => (typeof v === 'string' ? new TextEncoder().encode(v) : v);
  const objects = new Map<string, Uint8Array>(Object.entries(initial).map(([k, v]) => [`${BUCKET}/${k}`, encode(v)]));
  return {
    objects,
    text: (key) => new TextDecoder().decode(objects.get(`${BUCKET}/${key}`)),
    async get(bucket, key) {
      const body = objects.get(`${bucket}/${key}`);
      if (!body) throw Object.assign(new Error(`The specified key does not exist: ${key}`), { name: 'NoSuchKey' });
      return body;
    },
    async put(bucket, key, body) {
      objects.set(`${bucket}/${key}`, encode(body));
      return {};
    },
  };
}

/** Patients whose readmission depends on HbA1c and age (some noise); `sex` for subgroups. */
export function patientsCsv(count = 240, seed = 11): string {
  let state = seed;
  const random = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const rows = ['patient_id,age,sex,hba1c,brand,readmitted'];
  for (let i = 0; i < count; i++) {
    const age = 30 + Math.floor(random() * 50);
    const hba1c = 5 + random() * 5;
    const risk = (hba1c - 7.5) * 1.2 + (age - 55) * 0.06 + (random() - 0.5) * 1.5;
    // Every patient has two visits, so the split must keep both on one side.
    for (const visit of [0, 1]) {
      rows.push(`p${i},${age + visit},${i % 2 ? 'F' : 'M'},${(hba1c + visit * 0.1).toFixed(2)},${['Glucora', 'Metforal', 'Insulex'][i % 3]},${risk > 0 ? 'yes' : 'no'}`);
    }
  }
  return `${rows.join('\n')}\n`;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
