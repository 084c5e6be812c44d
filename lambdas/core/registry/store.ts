/**
 * What the registry core needs from its tables. The DynamoDB adapter
 * (lambdas/shared/dynamodb-registry-store.ts) and the in-memory store (memory-store.ts)
 * implement it. Only single-item atomic operations: no transactions (dynalite lacks
 * TransactWriteItems), so every multi-item change is ordered so a crash leaves readable state.
 */

/** The two platform tables the registry writes: the model registry and the experiments. */
export type RegistryTable = 'registry' | 'experiments';

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** A stored item: its key and plain JSON attributes. */
export interface StoredItem extends ItemKey {
  readonly [attribute: string]: unknown;
}

/** A put's precondition. */
export type PutCondition =
  /** No item with this key exists yet (`attribute_not_exists(pk)`). */
  | { readonly kind: 'absent' }
  /** The item exists and `attribute` equals `value` (optimistic concurrency). */
  | { readonly kind: 'equals'; readonly attribute: string; readonly value: string | number };

/** An update's precondition; the item must exist in every case. */
export type UpdateCondition =
  /** `attribute` is missing or below `value` (the newest writer wins, whatever the order). */
  | { readonly kind: 'missingOrBelow'; readonly attribute: string; readonly value: number }
  | { readonly kind: 'equals'; readonly attribute: string; readonly value: string | number };

export interface QueryOptions {
  /** Only items whose sort key starts with this. */
  readonly skPrefix: string;
  /** @default false (ascending sort keys) */
  readonly descending?: boolean;
  /** @default - every matching item (all pages) */
  readonly limit?: number;
}

export interface RegistryStore {
  get(table: RegistryTable, key: ItemKey): Promise<StoredItem | undefined>;
  /** Writes the whole item; throws ConditionFailedError when the condition does not hold. */
  put(table: RegistryTable, item: StoredItem, condition?: PutCondition): Promise<void>;
  /** Atomically adds `by` to a numeric attribute (created at 0) and returns the new value. */
  increment(table: RegistryTable, key: ItemKey, attribute: string, by: number): Promise<number>;
  /** Sets attributes of an existing item; throws ConditionFailedError when it is missing or the condition does not hold. */
  update(table: RegistryTable, key: ItemKey, set: Readonly<Record<string, unknown>>, condition?: UpdateCondition): Promise<void>;
  query(table: RegistryTable, pk: string, options: QueryOptions): Promise<StoredItem[]>;
}

/** A conditional write lost: the item was not in the state the writer expected. */
export class ConditionFailedError extends Error {
  constructor(
    readonly table: RegistryTable,
    readonly key: ItemKey,
  ) {
    super(`conditional write to ${table} ${key.pk} ${key.sk} failed`);
    this.name = 'ConditionFailedError';
  }
}
