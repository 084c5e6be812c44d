/**
 * Online retrieval for the endpoint: the latest values of entities of one group version, by
 * BatchGetItem in chunks of 100 keys (sent together), asking again for the keys DynamoDB left
 * unprocessed with exponential backoff. Ids that have no online value are listed, not errors.
 */
import { getFeatureGroup } from './feature-groups';
import { InvalidFeatureRequestError } from './errors';
import type { OnlineFeatureItem } from './ingestion';
import { checkEntityId, checkGroupName, checkVersion, featureKeys } from './keys';
import { BATCH_GET_LIMIT, type FeatureTable, type ItemKey, type StoredItem } from './store';
import type { FeatureValue } from './values';

export interface OnlineFeatureRequest {
  readonly group: string;
  /** Pin the version a model was trained on (its lineage). @default - the latest version (one more read) */
  readonly version?: number;
  readonly entityIds: readonly string[];
}

export interface OnlineEntityFeatures {
  /** When the values were true (ISO 8601, UTC). */
  readonly eventTime: string;
  readonly features: Readonly<Record<string, FeatureValue>>;
}

export interface OnlineFeatureResult {
  readonly group: string;
  readonly version: number;
  /** By entity id, for the ids that have online values. */
  readonly entities: Readonly<Record<string, OnlineEntityFeatures>>;
  /** Requested ids without online values, in request order. */
  readonly notFound: readonly string[];
}

export interface BatchGetRetryOptions {
  /** Requests for one chunk, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** The wait before the second request; doubled each time, with full jitter. @default 20 */
  readonly baseDelayMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** In [0, 1). @default Math.random */
  readonly random?: () => number;
  /** @default false: eventually consistent, half the read cost and lower latency */
  readonly consistentRead?: boolean;
}

/** At most this many ids per call: 100 BatchGetItem requests. */
export const MAX_ONLINE_ENTITY_IDS = 10_000;

export async function getOnlineFeatures(table: FeatureTable, request: OnlineFeatureRequest, options: BatchGetRetryOptions = {}): Promise<OnlineFeatureResult> {
  checkGroupName(request.group);
  const version = request.version === undefined ? (await getFeatureGroup(table, request.group)).version : checkVersion(request.version);
  const ids = [...new Set(request.entityIds)];
  if (ids.length > MAX_ONLINE_ENTITY_IDS) throw new InvalidFeatureRequestError('entity ids', `${ids.length} ids in one call; at most ${MAX_ONLINE_ENTITY_IDS}`);
  for (const id of ids) checkEntityId(id);

  const keys = ids.map((id) => featureKeys.online(request.group, version, id));
  const chunks: ItemKey[][] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) chunks.push(keys.slice(i, i + BATCH_GET_LIMIT));
  const found = (await Promise.all(chunks.map((chunk) => batchGetAll(table, chunk, options)))).flat();

  const byId = new Map<string, OnlineEntityFeatures>();
  for (const item of found) {
    const value = item as unknown as OnlineFeatureItem;
    byId.set(value.entityId, { eventTime: value.eventTime, features: value.features });
  }
  const entities: Record<string, OnlineEntityFeatures> = {};
  const notFound: string[] = [];
  for (const id of ids) {
    const value = byId.get(id);
    if (value) entities[id] = value;
    else notFound.push(id);
  }
  return { group: request.group, version, entities, notFound };
}

/** One chunk: asks again for unprocessed keys until none is left or the attempts run out. */
async function batchGetAll(table: FeatureTable, keys: readonly ItemKey[], options: BatchGetRetryOptions): Promise<StoredItem[]> {
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelayMs = options.baseDelayMs ?? 20;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const items: StoredItem[] = [];
  let pending = keys;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > 1) await sleep(Math.floor(random() * baseDelayMs * 2 ** (attempt - 2)));
    const result = await table.batchGet(pending, { consistentRead: options.consistentRead ?? false });
    items.push(...result.items);
    pending = result.unprocessed;
    if (pending.length > 0 && attempt >= maxAttempts) {
      throw new Error(`DynamoDB left ${pending.length} of ${keys.length} keys unprocessed after ${maxAttempts} BatchGetItem requests (throttled?)`);
    }
  }
  return items;
}

/**
 * The endpoint's lookup (lambdas/core/serving/endpoint.ts `OnlineFeatureLookup`) for one
 * pinned group version: an entity's feature values, or undefined when it has none.
 */
export function onlineFeatureLookup(table: FeatureTable, group: string, version: number, options: BatchGetRetryOptions = {}) {
  return async (entityId: string): Promise<Readonly<Record<string, FeatureValue>> | undefined> => {
    const result = await getOnlineFeatures(table, { group, version, entityIds: [entityId] }, options);
    return result.entities[entityId]?.features;
  };
}
