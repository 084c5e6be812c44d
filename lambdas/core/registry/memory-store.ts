/**
 * An in-memory RegistryStore with DynamoDB's semantics for the operations the registry uses
 * (each operation atomic, conditions checked at write time, sort keys in byte order). For
 * unit tests and tools; each operation yields first, so concurrent callers interleave.
 */
import { ConditionFailedError, type ItemKey, type PutCondition, type QueryOptions, type RegistryStore, type RegistryTable, type StoredItem, type UpdateCondition } from './store';

export interface MemoryRegistryStore extends RegistryStore {
  /** Every item of a table, in key order (a deep copy). */
  items(table: RegistryTable): StoredItem[];
}

export function memoryRegistryStore(): MemoryRegistryStore {
  const tables: Record<RegistryTable, Map<string, StoredItem>> = { registry: new Map(), experiments: new Map() };
  const id = (key: ItemKey): string => `${key.pk}\u0000${key.sk}`;
  const copy = <T>(value: T): T => structuredClone(value);
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  return {
    async get(table, key) {
      await tick();
      const item = tables[table].get(id(key));
      return item ? copy(item) : undefined;
    },
    async put(table, item, condition?: PutCondition) {
      await tick();
      const existing = tables[table].get(id(item));
      if (condition?.kind === 'absent' && existing) throw new ConditionFailedError(table, item);
      if (condition?.kind === 'equals' && (!existing || existing[condition.attribute] !== condition.value)) throw new ConditionFailedError(table, item);
      tables[table].set(id(item), copy(item));
    },
    async increment(table, key, attribute, by) {
      await tick();
      const existing = tables[table].get(id(key)) ?? { pk: key.pk, sk: key.sk };
      const value = Number(existing[attribute] ?? 0) + by;
      tables[table].set(id(key), { ...existing, [attribute]: value });
      return value;
    },
    async update(table, key, set, condition?: UpdateCondition) {
      await tick();
      const existing = tables[table].get(id(key));
      if (!existing) throw new ConditionFailedError(table, key);
      if (condition?.kind === 'equals' && existing[condition.attribute] !== condition.value) throw new ConditionFailedError(table, key);
      if (condition?.kind === 'missingOrBelow') {
        const current = existing[condition.attribute];
        if (current !== undefined && !(Number(current) < condition.value)) throw new ConditionFailedError(table, key);
      }
      tables[table].set(id(key), { ...existing, ...copy(set) });
    },
    async query(table, pk, options: QueryOptions) {
      await tick();
      const matching = [...tables[table].values()].filter((item) => item.pk === pk && item.sk.startsWith(options.skPrefix));
      matching.sort((a, b) => compareBytes(a.sk, b.sk));
      if (options.descending) matching.reverse();
      return copy(options.limit === undefined ? matching : matching.slice(0, options.limit));
    },
    items(table) {
      return copy([...tables[table].values()].sort((a, b) => compareBytes(a.pk, b.pk) || compareBytes(a.sk, b.sk)));
    },
  };
}

/** DynamoDB orders string sort keys by their UTF-8 bytes. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
