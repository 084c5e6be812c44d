/**
 * An in-memory FeatureTable with DynamoDB's semantics for the operations the feature store
 * uses (each operation atomic, conditions checked at write time, keys compared by their
 * UTF-8 bytes). For unit tests and tools; each operation yields first, so concurrent callers
 * interleave.
 */
import { BATCH_GET_LIMIT, type FeatureTable, FeatureConditionFailedError, type ItemKey, type PutCondition, type QueryOptions, type StoredItem } from './store';

export interface MemoryFeatureTable extends FeatureTable {
  /** Every item in key order (a deep copy). */
  items(): StoredItem[];
}

export function memoryFeatureTable(): MemoryFeatureTable {
  const items = new Map<string, StoredItem>();
  const id = (key: ItemKey): string => `${key.pk}\u0000${key.sk}`;
  const copy = <T>(value: T): T => structuredClone(value);
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  return {
    async get(key) {
      await tick();
      const item = items.get(id(key));
      return item ? copy(item) : undefined;
    },
    async put(item, condition?: PutCondition) {
      await tick();
      const existing = items.get(id(item));
      if (condition?.kind === 'absent' && existing) throw new FeatureConditionFailedError(item);
      if (condition?.kind === 'absentOrBelow' && existing) {
        const current = existing[condition.attribute];
        if (current !== undefined && !isBelow(current as string | number, condition.value, condition.inclusive)) throw new FeatureConditionFailedError(item);
      }
      items.set(id(item), copy(item));
    },
    async increment(key, attribute, by) {
      await tick();
      const existing = items.get(id(key)) ?? { pk: key.pk, sk: key.sk };
      const value = Number(existing[attribute] ?? 0) + by;
      items.set(id(key), { ...existing, [attribute]: value });
      return value;
    },
    async query(pk, options: QueryOptions) {
      await tick();
      const matching = [...items.values()].filter((item) => item.pk === pk && item.sk.startsWith(options.skPrefix));
      matching.sort((a, b) => compareBytes(a.sk, b.sk));
      if (options.descending) matching.reverse();
      return copy(options.limit === undefined ? matching : matching.slice(0, options.limit));
    },
    async batchGet(keys) {
      await tick();
      if (keys.length > BATCH_GET_LIMIT) throw new Error(`BatchGetItem takes at most ${BATCH_GET_LIMIT} keys (got ${keys.length})`);
      const found = keys.map((key) => items.get(id(key))).filter((item): item is StoredItem => item !== undefined);
      return { items: copy(found), unprocessed: [] };
    },
    items() {
      return copy([...items.values()].sort((a, b) => compareBytes(a.pk, b.pk) || compareBytes(a.sk, b.sk)));
    },
  };
}

function isBelow(current: string | number, value: string | number, inclusive: boolean): boolean {
  const order = typeof current === 'string' && typeof value === 'string' ? compareBytes(current, value) : Number(current) - Number(value);
  return inclusive ? order <= 0 : order < 0;
}

/** DynamoDB orders strings by their UTF-8 bytes. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
