/**
 * What the feature store core needs from its DynamoDB table (the platform's `featureStore`
 * table: generic `pk`/`sk` string keys). The DynamoDB adapter
 * (lambdas/shared/dynamodb-feature-table.ts) and the in-memory table (memory-table.ts)
 * implement it. Single-item operations plus one BatchGetItem call; no transactions
 * (dynalite lacks TransactWriteItems).
 */

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
  /**
   * No item yet, or its `attribute` is below `value` (at most `value` when `inclusive`): the
   * newest writer wins whatever order the writes land in. Strings compare by their bytes,
   * as DynamoDB compares them.
   */
  | { readonly kind: 'absentOrBelow'; readonly attribute: string; readonly value: string | number; readonly inclusive: boolean };

export interface QueryOptions {
  /** Only items whose sort key starts with this. */
  readonly skPrefix: string;
  /** @default false (ascending sort keys) */
  readonly descending?: boolean;
  /** @default - every matching item (all pages) */
  readonly limit?: number;
}

export interface BatchGetResult {
  readonly items: readonly StoredItem[];
  /** Keys the service did not process this time (throttling, the 16 MB response limit): ask again. */
  readonly unprocessed: readonly ItemKey[];
}

/** BatchGetItem's limit on keys per request. */
export const BATCH_GET_LIMIT = 100;

export interface FeatureTable {
  get(key: ItemKey): Promise<StoredItem | undefined>;
  /** Writes the whole item; throws FeatureConditionFailedError when the condition does not hold. */
  put(item: StoredItem, condition?: PutCondition): Promise<void>;
  /** Atomically adds `by` to a numeric attribute (created at 0) and returns the new value. */
  increment(key: ItemKey, attribute: string, by: number): Promise<number>;
  query(pk: string, options: QueryOptions): Promise<StoredItem[]>;
  /** One BatchGetItem request: at most BATCH_GET_LIMIT distinct keys; missing items are simply absent from `items`. */
  batchGet(keys: readonly ItemKey[], options?: { readonly consistentRead?: boolean }): Promise<BatchGetResult>;
}

/** A conditional write lost: the item was not in the state the writer expected. */
export class FeatureConditionFailedError extends Error {
  constructor(readonly key: ItemKey) {
    super(`conditional write to ${key.pk} ${key.sk} failed`);
    this.name = 'FeatureConditionFailedError';
  }
}
