/**
 * What batch inference needs from the operations table: single-item reads and conditional
 * writes only (no transactions; dynalite lacks them). The DynamoDB adapter is
 * lambdas/shared/dynamodb-batch-operations-store.ts; `memoryOperationsStore` is the in-memory
 * twin the unit tests and the benchmark use.
 */
export interface OperationsKey {
  readonly pk: string;
  readonly sk: string;
}

export type OperationsItem = OperationsKey & { readonly [attribute: string]: unknown };

/** An update's precondition: the item exists and `attribute` equals `value` (or is absent, when `value` is undefined). */
export interface AttributeCondition {
  readonly attribute: string;
  readonly value: string | number | undefined;
}

export interface OperationsStore {
  get(key: OperationsKey): Promise<OperationsItem | undefined>;
  /** Writes the item only if no item has its key; false when one already did. */
  putIfAbsent(item: OperationsItem): Promise<boolean>;
  /** Sets attributes of an existing item when every condition holds; false otherwise. */
  updateIf(key: OperationsKey, set: Readonly<Record<string, unknown>>, conditions: readonly AttributeCondition[]): Promise<boolean>;
  /** Atomically adds to numeric attributes (created at 0) and sets others; the item is created if missing. */
  add(key: OperationsKey, counters: Readonly<Record<string, number>>, set?: Readonly<Record<string, unknown>>): Promise<void>;
}

/** An in-memory OperationsStore with the same semantics (each call is atomic). */
export function memoryOperationsStore(): OperationsStore & { readonly items: Map<string, OperationsItem> } {
  const items = new Map<string, OperationsItem>();
  const id = (key: OperationsKey): string => `${key.pk}\u0000${key.sk}`;
  const copy = <T>(value: T): T => (value === undefined ? value : structuredClone(value));
  return {
    items,
    async get(key) {
      return copy(items.get(id(key)));
    },
    async putIfAbsent(item) {
      if (items.has(id(item))) return false;
      items.set(id(item), copy(item));
      return true;
    },
    async updateIf(key, set, conditions) {
      const current = items.get(id(key));
      if (!current) return false;
      if (!conditions.every((c) => current[c.attribute] === c.value)) return false;
      items.set(id(key), { ...current, ...copy(set) });
      return true;
    },
    async add(key, counters, set = {}) {
      const current: Record<string, unknown> = { ...(items.get(id(key)) ?? { pk: key.pk, sk: key.sk }) };
      for (const [name, by] of Object.entries(counters)) current[name] = Number(current[name] ?? 0) + by;
      items.set(id(key), { ...(current as OperationsItem), ...copy(set) });
    },
  };
}
