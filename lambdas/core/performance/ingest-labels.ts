/**
 * One labels upload, end to end, over a bucket and a metric sink given as arguments:
 *
 *   keep the original file (labels/inbox/, before anything can fail) → check it
 *   (labels-file.ts; a rejected file gets labels/rejected/<upload>.json with every problem)
 *   → keep its outcomes (labels/accepted/<upload>.json) → read every logged prediction
 *   (the endpoint's log and the batch outbox) → join this upload (what matched, what did
 *   not and why) → join every accepted upload, newest first so a correction wins → the
 *   performance result (performance/performance.json, and a copy per upload under
 *   performance/history/) → CloudWatch metrics.
 *
 * Keys, all under `projects/<p>/`:
 *   labels/inbox/<upload>-<file name>        the file as uploaded (never changed)
 *   labels/accepted/<upload>.json            its outcome rows, normalised
 *   labels/rejected/<upload>.json            why it was refused
 *   performance/performance.json             the latest result (what the report reads)
 *   performance/history/<upload>.json        the result as this upload left it
 *
 * `<upload>` is the UTC time to the second and 8 hex of the file's SHA-256, so uploads sort
 * by time and the same file uploaded twice gets two names (nothing is overwritten).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { BatchPredictionMetadata, batchPredictionRecords, type LoggedPrediction, parsePredictionLog, type SkippedPrediction } from './prediction-records';
import { joinOutcomes, type OutcomeRow } from './ground-truth';
import { LabelsValidationError, type LabelsColumns, type LabelsProblem, parseLabelsFile } from './labels-file';
import { latestOverallFigures, type PerformanceResult, PERFORMANCE_NAMESPACE, performanceMetricData, summarisePerformance } from './performance-summary';
import { type MetricSink, putMetricDataRequests } from '../monitoring/drift-metrics';

/** The bucket access the ingestion needs (one bucket: the project's artifact bucket). */
export interface LabelsBucket {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, body: string | Uint8Array, contentType: string): Promise<void>;
  /** Every key under the prefix, in any order. */
  list(prefix: string): Promise<readonly string[]>;
}

export interface LabelsProject {
  readonly name: string;
  readonly entityIdColumn?: string;
  readonly targetColumn?: string;
  readonly positiveLabel?: string;
}

export interface IngestLabelsRequest {
  readonly project: LabelsProject;
  readonly fileName: string;
  readonly body: Uint8Array;
  /** @default one day */
  readonly windowMs?: number;
  /** For predictions logged without their threshold. @default 0.5 */
  readonly defaultThreshold?: number;
}

export interface IngestLabelsDeps {
  readonly bucket: LabelsBucket;
  readonly metrics: MetricSink;
  readonly now: () => Date;
}

export const labelsKeys = {
  inbox: (project: string, upload: string, fileName: string): string => `projects/${project}/labels/inbox/${upload}-${safeName(fileName)}`,
  acceptedPrefix: (project: string): string => `projects/${project}/labels/accepted/`,
  accepted: (project: string, upload: string): string => `${labelsKeys.acceptedPrefix(project)}${upload}.json`,
  rejected: (project: string, upload: string): string => `projects/${project}/labels/rejected/${upload}.json`,
  performance: (project: string): string => `projects/${project}/performance/performance.json`,
  history: (project: string, upload: string): string => `projects/${project}/performance/history/${upload}.json`,
  endpointLog: (project: string): string => `projects/${project}/predictions/endpoint/`,
  outbox: (project: string): string => `projects/${project}/inference/outbox/`,
};

function safeName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const safe = base.replace(/[^A-Za-z0-9._-]/g, '_').slice(-120);
  return safe === '' ? 'labels.csv' : safe;
}

export function uploadIdOf(now: Date, body: Uint8Array): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '');
  return `${stamp}Z-${createHash('sha256').update(body).digest('hex').slice(0, 8)}`;
}

/** labels/accepted/<upload>.json: what later computations (and `lumina ab`) read back. */
export const AcceptedUpload = z.object({
  upload: z.string().min(1),
  sourceKey: z.string().min(1),
  acceptedAt: z.iso.datetime(),
  columns: z.record(z.string(), z.string()),
  rows: z.array(
    z.object({
      line: z.number().int().positive(),
      requestId: z.string().min(1).optional(),
      entityId: z.string().min(1).optional(),
      outcome: z.union([z.literal(0), z.literal(1)]),
      observedAt: z.iso.datetime().optional(),
    }),
  ),
});

export type IngestLabelsOutcome =
  | {
      readonly accepted: false;
      readonly upload: string;
      readonly sourceKey: string;
      readonly rejectedKey: string;
      readonly problems: readonly LabelsProblem[];
      readonly problemCount: number;
    }
  | {
      readonly accepted: true;
      readonly upload: string;
      readonly sourceKey: string;
      readonly acceptedKey: string;
      readonly performanceKey: string;
      readonly historyKey: string;
      readonly columns: LabelsColumns;
      readonly rows: number;
      readonly positives: number;
      /** This upload's join. */
      readonly joined: { readonly total: number; readonly byRequest: number; readonly byEntity: number };
      readonly unmatched: readonly { readonly line: number; readonly reason: string }[];
      readonly predictions: { readonly read: number; readonly endpoint: number; readonly batch: number; readonly skipped: number; readonly skippedExamples: readonly SkippedPrediction[] };
      readonly performance: PerformanceResult;
      /** The latest window over every served version: what the {Project} metrics (and the performance floor alarm) see. */
      readonly latest: ReturnType<typeof latestOverallFigures>;
      readonly metrics: { readonly namespace: string; readonly datums: number; readonly requests: number };
    };

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

export async function ingestLabels(request: IngestLabelsRequest, deps: IngestLabelsDeps): Promise<IngestLabelsOutcome> {
  const { project } = request;
  const { bucket } = deps;
  const now = deps.now();
  const upload = uploadIdOf(now, request.body);
  const sourceKey = labelsKeys.inbox(project.name, upload, request.fileName);
  await bucket.put(sourceKey, request.body, 'text/csv; charset=utf-8');

  let parsed: ReturnType<typeof parseLabelsFile>;
  try {
    parsed = parseLabelsFile(request.body, { entityIdColumn: project.entityIdColumn, targetColumn: project.targetColumn, positiveLabel: project.positiveLabel });
  } catch (error) {
    if (!(error instanceof LabelsValidationError)) throw error;
    const rejectedKey = labelsKeys.rejected(project.name, upload);
    await bucket.put(rejectedKey, json({ upload, sourceKey, rejectedAt: now.toISOString(), problemCount: error.problemCount, problems: error.problems }), 'application/json');
    return { accepted: false, upload, sourceKey, rejectedKey, problems: error.problems, problemCount: error.problemCount };
  }

  const acceptedKey = labelsKeys.accepted(project.name, upload);
  await bucket.put(acceptedKey, json({ upload, sourceKey, acceptedAt: now.toISOString(), columns: parsed.columns, rows: parsed.rows }), 'application/json');

  const predictions = await readPredictions(bucket, project);
  const mine = joinOutcomes(predictions.records, parsed.rows);
  const uploads = await readAcceptedUploads(bucket, project.name);
  // Newest upload first: joinOutcomes credits the first outcome of a prediction, so a later correction wins.
  const allOutcomes: OutcomeRow[] = [...uploads].reverse().flatMap((u) => u.rows);
  const all = joinOutcomes(predictions.records, allOutcomes);
  const performance = summarisePerformance(all.joined, {
    project: project.name,
    now,
    uploads: uploads.map((u) => u.upload),
    outcomes: allOutcomes.length,
    windowMs: request.windowMs,
    defaultThreshold: request.defaultThreshold,
  });

  const performanceKey = labelsKeys.performance(project.name);
  const historyKey = labelsKeys.history(project.name, upload);
  await bucket.put(historyKey, json(performance), 'application/json');
  await bucket.put(performanceKey, json(performance), 'application/json');

  const datums = performanceMetricData(performance, all.joined, { project: project.name, timestamp: now });
  const requests = putMetricDataRequests(PERFORMANCE_NAMESPACE, datums);
  for (const metricRequest of requests) await deps.metrics.putMetricData(metricRequest);

  return {
    accepted: true,
    upload,
    sourceKey,
    acceptedKey,
    performanceKey,
    historyKey,
    columns: parsed.columns,
    rows: parsed.rows.length,
    positives: parsed.positives,
    joined: { total: mine.joined.length, byRequest: mine.joined.filter((j) => j.joinedBy === 'request').length, byEntity: mine.joined.filter((j) => j.joinedBy === 'entity').length },
    unmatched: mine.unmatched,
    predictions: {
      read: predictions.records.length,
      endpoint: predictions.records.filter((r) => r.source === 'endpoint').length,
      batch: predictions.records.filter((r) => r.source === 'batch').length,
      skipped: predictions.skipped.length,
      skippedExamples: predictions.skipped.slice(0, 5),
    },
    performance,
    latest: latestOverallFigures(performance, all.joined),
    metrics: { namespace: PERFORMANCE_NAMESPACE, datums: datums.length, requests: requests.length },
  };
}

/** Every logged prediction of the project: the endpoint's log and every batch run's outputs. */
export async function readPredictions(bucket: LabelsBucket, project: LabelsProject): Promise<{ records: LoggedPrediction[]; skipped: SkippedPrediction[] }> {
  const records: LoggedPrediction[] = [];
  const skipped: SkippedPrediction[] = [];
  const logKeys = (await bucket.list(labelsKeys.endpointLog(project.name))).filter((k) => k.endsWith('.jsonl')).sort();
  // One small object per request: read several at once, keep the key order.
  const bodies = await mapWithLimit(logKeys, READ_CONCURRENCY, (key) => bucket.get(key));
  logKeys.forEach((key, i) => {
    const body = bodies[i];
    if (!body) return;
    const read = parsePredictionLog(text(body), key);
    records.push(...read.records);
    skipped.push(...read.skipped);
  });
  const outboxKeys = new Set(await bucket.list(labelsKeys.outbox(project.name)));
  for (const key of [...outboxKeys].filter((k) => k.endsWith('/predictions.csv')).sort()) {
    const metadataKey = key.replace(/predictions\.csv$/, 'metadata.json');
    const metadataBytes = outboxKeys.has(metadataKey) ? await bucket.get(metadataKey) : undefined;
    const metadata = metadataBytes ? BatchPredictionMetadata.safeParse(parseJson(text(metadataBytes))) : undefined;
    if (!metadata?.success) {
      skipped.push({ key, line: 0, reason: `no readable ${metadataKey} (model version and scoring time)` });
      continue;
    }
    const body = await bucket.get(key);
    if (!body) continue;
    const read = batchPredictionRecords(body, { key, metadata: metadata.data, entityIdColumn: project.entityIdColumn });
    records.push(...read.records);
    skipped.push(...read.skipped);
  }
  return { records, skipped };
}

const READ_CONCURRENCY = 16;

/** `work` over the items with at most `limit` in flight; results in item order. */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** The accepted uploads, oldest first; an unreadable one is an error (it would silently drop outcomes). */
async function readAcceptedUploads(bucket: LabelsBucket, project: string): Promise<z.output<typeof AcceptedUpload>[]> {
  const keys = (await bucket.list(labelsKeys.acceptedPrefix(project))).filter((k) => k.endsWith('.json')).sort();
  const uploads: z.output<typeof AcceptedUpload>[] = [];
  for (const key of keys) {
    const body = await bucket.get(key);
    if (!body) continue;
    const parsed = AcceptedUpload.safeParse(parseJson(text(body)));
    if (!parsed.success) throw new Error(`${key} is not an accepted labels upload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    uploads.push(parsed.data);
  }
  return uploads;
}
