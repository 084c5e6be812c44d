/**
 * Ingestion: validate every row first (a rejected file writes nothing), then
 *
 * 1. claim an ingestion id (its start time to the millisecond) with a conditional put of the
 *    ingestion item, so two ingestions of one version never share an S3 prefix;
 * 2. write the offline store: JSON lines under
 *    `features/<group>/v<version>/ingest=<id>/part-0000.jsonl`, 100,000 rows a part;
 * 3. mark the ingestion `offline-written` (training sets read only such ingestions);
 * 4. update the online store: per entity, the row with the latest event time of this
 *    ingestion, written with a condition so a value whose (event time, ingestion id) is older
 *    than the stored one never replaces it; a late-arriving old row is counted, not written;
 * 5. mark the ingestion `complete` with the online counts.
 *
 * A process that dies after 2 leaves an ingestion that training sets already use and whose
 * online values are partly written; ingesting the same rows again is safe (same values, and
 * the online condition admits an equal or newer order).
 */
import { type FeatureGroupRecord, valueFeatures } from './definition';
import { getFeatureGroup } from './feature-groups';
import { featureKeys, ingestionIdAt, offlinePartKey } from './keys';
import { type FeatureTable, FeatureConditionFailedError } from './store';
import type { FeatureStoreDependencies } from './store-dependencies';
import { type ValidatedFeatureRow, validateFeatureCsv, validateFeatureRecords } from './validate-rows';
import { type FeatureValue, isoTime } from './values';

export type IngestionSource = { readonly csv: string | Uint8Array } | { readonly records: readonly unknown[] };

export interface IngestionRequest {
  readonly group: string;
  /** @default - the latest version */
  readonly version?: number;
  readonly source: IngestionSource;
  /** Where the data came from (a file name, an S3 key, a pipeline step), recorded on the ingestion. @default 'api' */
  readonly sourceName?: string;
  /** Online writes in flight at once. @default 16 */
  readonly onlineConcurrency?: number;
}

export type IngestionStatus = 'started' | 'offline-written' | 'complete';

export interface IngestionRecord {
  readonly group: string;
  readonly version: number;
  readonly ingestionId: string;
  readonly status: IngestionStatus;
  readonly source: string;
  readonly startedAt: string;
  readonly rows: number;
  readonly entities: number;
  readonly minEventTime: string;
  readonly maxEventTime: string;
  /** S3 keys of the parts, in row order. */
  readonly parts: readonly string[];
  readonly online?: OnlineWriteCounts;
  readonly completedAt?: string;
}

export interface OnlineWriteCounts {
  /** Entities whose online value this ingestion set. */
  readonly written: number;
  /** Entities whose stored value was newer: left as they were. */
  readonly keptNewer: number;
}

export const ROWS_PER_PART = 100_000;
const MAX_CLAIM_ATTEMPTS = 1000;

/** The online value of one entity, as stored. */
export interface OnlineFeatureItem {
  readonly group: string;
  readonly version: number;
  readonly entityId: string;
  /** ISO 8601, UTC. */
  readonly eventTime: string;
  /** `<event time>|<ingestion id>`: what the conditional write compares. */
  readonly order: string;
  readonly ingestionId: string;
  readonly features: Readonly<Record<string, FeatureValue>>;
}

export async function ingestFeatures(deps: FeatureStoreDependencies, request: IngestionRequest): Promise<IngestionRecord> {
  const record = await getFeatureGroup(deps.table, request.group, request.version);
  const rows = 'csv' in request.source ? validateFeatureCsv(record, request.source.csv) : validateFeatureRecords(record, request.source.records);
  return writeValidatedRows(deps, record, rows, { source: request.sourceName ?? 'api', onlineConcurrency: request.onlineConcurrency ?? 16 });
}

async function writeValidatedRows(
  deps: FeatureStoreDependencies,
  record: FeatureGroupRecord,
  rows: readonly ValidatedFeatureRow[],
  options: { source: string; onlineConcurrency: number },
): Promise<IngestionRecord> {
  const latestPerEntity = new Map<string, ValidatedFeatureRow>();
  let min = Infinity;
  let max = -Infinity;
  for (const row of rows) {
    const current = latestPerEntity.get(row.entityId);
    if (!current || row.eventTimeMs > current.eventTimeMs) latestPerEntity.set(row.entityId, row);
    min = Math.min(min, row.eventTimeMs);
    max = Math.max(max, row.eventTimeMs);
  }

  const started = deps.now();
  const ingestionId = await claimIngestionId(deps.table, record, started);
  const parts: string[] = [];
  for (let start = 0, part = 0; start < rows.length; start += ROWS_PER_PART, part++) parts.push(offlinePartKey(record.name, record.version, ingestionId, part));
  let ingestion: IngestionRecord = {
    group: record.name,
    version: record.version,
    ingestionId,
    status: 'started',
    source: options.source,
    startedAt: started.toISOString(),
    rows: rows.length,
    entities: latestPerEntity.size,
    minEventTime: isoTime(min),
    maxEventTime: isoTime(max),
    parts,
  };
  const save = (next: IngestionRecord): Promise<void> => deps.table.put({ ...featureKeys.ingestion(record.name, record.version, ingestionId), type: 'feature-ingestion', ingestion: next });
  await save(ingestion);

  for (let i = 0; i < parts.length; i++) {
    const lines = rows.slice(i * ROWS_PER_PART, (i + 1) * ROWS_PER_PART).map((row) => JSON.stringify(row.values));
    await deps.objects.put(deps.bucket, parts[i], `${lines.join('\n')}\n`, 'application/x-ndjson');
  }
  ingestion = { ...ingestion, status: 'offline-written' };
  await save(ingestion);

  const online = await writeOnline(deps.table, record, ingestionId, [...latestPerEntity.values()], options.onlineConcurrency);
  ingestion = { ...ingestion, status: 'complete', online, completedAt: deps.now().toISOString() };
  await save(ingestion);
  return ingestion;
}

/** Takes the first free millisecond at or after `start` (an id is unique per group version). */
async function claimIngestionId(table: FeatureTable, record: FeatureGroupRecord, start: Date): Promise<string> {
  for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
    const ingestionId = ingestionIdAt(new Date(start.getTime() + attempt));
    try {
      await table.put({ ...featureKeys.ingestion(record.name, record.version, ingestionId), type: 'feature-ingestion', claimedAt: start.toISOString() }, { kind: 'absent' });
      return ingestionId;
    } catch (error) {
      if (!(error instanceof FeatureConditionFailedError)) throw error;
    }
  }
  throw new Error(`could not claim an ingestion id for ${record.name} v${record.version} near ${start.toISOString()}`);
}

async function writeOnline(table: FeatureTable, record: FeatureGroupRecord, ingestionId: string, rows: readonly ValidatedFeatureRow[], concurrency: number): Promise<OnlineWriteCounts> {
  const features = valueFeatures(record);
  let written = 0;
  let keptNewer = 0;
  await forEachConcurrently(rows, concurrency, async (row) => {
    const eventTime = isoTime(row.eventTimeMs);
    const order = `${eventTime}|${ingestionId}`;
    const item: OnlineFeatureItem = {
      group: record.name,
      version: record.version,
      entityId: row.entityId,
      eventTime,
      order,
      ingestionId,
      features: Object.fromEntries(features.map((f) => [f.name, row.values[f.name]])),
    };
    try {
      // Equal order admits a retried ingestion; an equal event time from a later ingestion is a correction and wins.
      await table.put({ ...featureKeys.online(record.name, record.version, row.entityId), type: 'online-features', ...item }, { kind: 'absentOrBelow', attribute: 'order', value: order, inclusive: true });
      written++;
    } catch (error) {
      if (!(error instanceof FeatureConditionFailedError)) throw error;
      keptNewer++;
    }
  });
  return { written, keptNewer };
}

/** Runs `work` over the items with at most `limit` in flight; the first failure rejects after the running ones settle. */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
}

/** The ingestions of a version, oldest first. */
export async function listIngestions(table: FeatureTable, group: string, version: number): Promise<IngestionRecord[]> {
  const items = await table.query(featureKeys.group(group), { skPrefix: featureKeys.ingestionPrefix(version) });
  return items.filter((item) => item.ingestion !== undefined).map((item) => item.ingestion as IngestionRecord);
}
