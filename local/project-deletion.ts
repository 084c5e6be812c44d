/**
 * The data side of deleting a project: what the project owns in the
 * artifact bucket and the platform tables, which items of others still refer to it, and the
 * removal of both. LocalCloud.deleteProject composes these with the emulator services,
 * local/aws/project-deletion-aws.ts with the real ones.
 * The audit table is never scanned for deletion: the audit trail outlives the project.
 */
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { ProjectItemTable } from './cloud-api';

export const PROJECT_ITEM_TABLES: readonly ProjectItemTable[] = ['registry', 'experiments', 'operations', 'featureStore'];

/** BatchWriteItem takes at most 25 requests. */
const BATCH_WRITE_LIMIT = 25;
const MAX_UNPROCESSED_ROUNDS = 10;

/** `projects/<name>/`: every artifact of a project sits under it (datasets, baselines, models, reports, inbox/outbox). */
export function projectPrefix(project: string): string {
  return `projects/${project}/`;
}

export interface ArtifactListing {
  readonly keys: readonly string[];
  readonly bytes: number;
}

export async function listArtifacts(s3: S3Client, bucket: string, prefix: string): Promise<ArtifactListing> {
  const keys: string[] = [];
  let bytes = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      keys.push(object.Key);
      bytes += object.Size ?? 0;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { keys, bytes };
}

/** One DeleteObject per key: s3rver reports single deletes as events (not DeleteObjects), and a project's local prefix is small. */
export async function deleteArtifacts(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (const key of keys) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** A table's items split into the project's own and the others' items that refer to the project's artifacts. */
export interface ItemClassification {
  readonly owned: readonly ItemKey[];
  /** `<pk> <sk>` of items outside the project that mention `projects/<name>/`. */
  readonly dependents: readonly string[];
}

/**
 * An item belongs to the project when it sits in the project's partition (`PROJECT#<name>`,
 * the registry, dataset, batch and guard layout) or carries `project: <name>` (experiment
 * runs, keyed by experiment). Any other item whose values mention the project's artifact
 * prefix depends on the project: deleting the artifacts would break it.
 */
export function classifyItems(items: readonly Record<string, unknown>[], project: string): ItemClassification {
  const partition = `PROJECT#${project}`;
  const prefix = projectPrefix(project);
  const owned: ItemKey[] = [];
  const dependents: string[] = [];
  for (const item of items) {
    const pk = String(item.pk);
    const sk = String(item.sk);
    if (pk === partition || item.project === project) owned.push({ pk, sk });
    else if (JSON.stringify(item).includes(prefix)) dependents.push(`${pk} ${sk}`);
  }
  return { owned, dependents };
}

/**
 * Every item of a table. The local tables are small; `lumina project delete --aws` scans the
 * real ones too, as an admin operation, because another project's item that refers to this
 * project's artifacts can sit anywhere. `consistentRead` for a check right after deleting.
 */
export async function scanTable(dynamodb: DynamoDBClient, tableName: string, options: { readonly consistentRead?: boolean } = {}): Promise<Record<string, unknown>[]> {
  const documents = DynamoDBDocumentClient.from(dynamodb);
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ...(options.consistentRead ? { ConsistentRead: true } : {}) }));
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export interface DeleteItemsOptions {
  /** Waits before resending unprocessed deletes (DynamoDB throttled them: AWS asks for a backoff). @default - resend at once (the local emulator) */
  readonly pauseBeforeRetry?: (round: number) => Promise<void>;
}

export async function deleteItems(dynamodb: DynamoDBClient, tableName: string, keys: readonly ItemKey[], options: DeleteItemsOptions = {}): Promise<void> {
  for (let start = 0; start < keys.length; start += BATCH_WRITE_LIMIT) {
    let requests = keys.slice(start, start + BATCH_WRITE_LIMIT).map((key) => ({ DeleteRequest: { Key: marshall({ pk: key.pk, sk: key.sk }) } }));
    for (let round = 0; requests.length > 0; round++) {
      if (round === MAX_UNPROCESSED_ROUNDS) throw new Error(`${tableName}: ${requests.length} deletes still unprocessed after ${MAX_UNPROCESSED_ROUNDS} rounds`);
      if (round > 0) await options.pauseBeforeRetry?.(round);
      const result = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
      requests = (result.UnprocessedItems?.[tableName] ?? []).flatMap((r) => (r.DeleteRequest?.Key ? [{ DeleteRequest: { Key: r.DeleteRequest.Key } }] : []));
    }
  }
}
