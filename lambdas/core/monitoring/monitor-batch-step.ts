/**
 * The inference pipeline's monitoring step: read the batch and the model's baseline from
 * object storage, monitor, write `statistics.json`, `constraint_violations.json` and
 * `report.html` under the output prefix, publish the metrics, and return a small summary
 * for the state machine. Storage, metrics and the clock are arguments.
 *
 * The pipeline gives the batch as its run's chunk files too (`chunks`): predictions.csv is
 * their header and bytes one after another, so reading those gives the same batch, byte for
 * byte, while MergeBatch is still writing predictions.csv (the two run side by side).
 *
 * A retried or redriven step must not publish a batch's metrics twice: the drift alarm
 * (Maximum over one 5-minute period) would fire again for the same batch and start another
 * retraining. So once every PutMetricData call has succeeded the step writes `metrics.json`
 * under the output prefix (the timestamp and the number of calls); a later attempt that finds
 * it publishes nothing and stamps its outputs with that timestamp. An attempt that failed
 * while publishing wrote no record, so the next one publishes at its own time: a datapoint
 * back-dated to the failed attempt could fall in a period the alarm has already evaluated.
 * (A failure between the last call and the record's write still publishes twice.)
 */
import * as z from 'zod';
import { type ObjectStore, isMissingObject } from '../../shared/object-store';
import { batchRunLayout } from '../batch/layout';
import { ProjectNameSchema } from '../datasets/layout';
import { baselineReference, parseBaseline } from './baseline-reference';
import { monitorCsvBatch } from './data-quality-monitor';
import { buildDriftMetrics, type MetricSink, type MetricsPublication, metricsPublicationJson, parseMetricsPublication, putMetricDataRequests } from './drift-metrics';
import { renderDriftReport } from './drift-report';
import type { MonitorConfig } from './monitor-config';

const Key = z.string().min(1).max(1024);

export const MonitorBatchStepInput = z.object({
  project: ProjectNameSchema,
  batch: z.object({
    bucket: z.string().min(3),
    key: Key,
    /** Empty or null for an unversioned bucket. */
    versionId: z.string().nullish(),
  }),
  /**
   * The batch as a batch run's pieces: `header`, then the run's `count` chunk prediction files
   * in order (lambdas/core/batch/layout.ts), all in `batch.bucket`. Read instead of `batch.key`,
   * which MergeBatch writes from the very same pieces.
   */
  chunks: z
    .object({
      runId: z.string().regex(/^[0-9a-f]{64}$/),
      inputKey: Key,
      // PlanBatch cuts at most MAX_CHUNKS (1000); the bound only refuses absurd input.
      count: z.number().int().min(1).max(10_000),
      header: z.string().min(1),
    })
    .optional(),
  /** Keys in the artifact bucket (the training pipeline's baseline). */
  baselineKeys: z.object({ statistics: Key, constraints: Key }),
  /** The registry's model version that scored the batch (a metric dimension). */
  modelVersion: z.union([z.number().int().positive(), z.string().trim().min(1).max(1024)]).transform(String),
  /** Where the three outputs go in the artifact bucket; a trailing "/" is added when missing. */
  outputPrefix: z
    .string()
    .min(1)
    .max(900)
    .refine((prefix) => !prefix.startsWith('/'), 'must not start with "/"')
    .transform((prefix) => (prefix.endsWith('/') ? prefix : `${prefix}/`)),
});
export type MonitorBatchStepInput = z.output<typeof MonitorBatchStepInput>;

export const MonitorBatchStepOutput = z.object({
  driftScore: z.number().min(0),
  driftedFeatures: z.array(z.string()),
  violationCount: z.number().int().min(0),
  rows: z.number().int().min(0),
  missingColumns: z.array(z.string()),
  extraColumns: z.array(z.string()),
  keys: z.object({ statistics: z.string(), violations: z.string(), report: z.string(), metrics: z.string() }),
  /** PutMetricData calls made by this attempt (1 unless the run has hundreds of features; 0 when an earlier attempt published them). */
  metricRequests: z.number().int().min(0),
  /** The metrics' timestamp: this attempt's, or the one of the attempt that published them. */
  metricTimestamp: z.string(),
  metricNamespace: z.string(),
});
export type MonitorBatchStepOutput = z.output<typeof MonitorBatchStepOutput>;

export interface MonitorBatchDependencies {
  readonly objects: ObjectStore;
  readonly metrics: MetricSink;
  readonly now: () => Date;
}

/** Raised when the step input names another project than the function's own. */
export class ForeignProjectError extends Error {
  constructor(project: string, own: string) {
    super(`this monitor belongs to project ${own}; the step input names project ${project}`);
    this.name = 'ForeignProjectError';
  }
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new Error(`${what} is not JSON: ${(error as Error).message}`);
  }
}

/** metrics.json under the output prefix, if an earlier attempt published the metrics. */
async function readPublication(objects: ObjectStore, bucket: string, key: string): Promise<MetricsPublication | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await objects.get(bucket, key);
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
  return parseMetricsPublication(bytes, key);
}

/** The batch's bytes: the object, or the header and chunk files it is made of. */
async function readBatch(input: MonitorBatchStepInput, objects: ObjectStore): Promise<Uint8Array> {
  const { batch, chunks } = input;
  if (chunks === undefined) return objects.get(batch.bucket, batch.key, batch.versionId || undefined);
  const layout = batchRunLayout(input.project, chunks.inputKey, chunks.runId);
  const keys = Array.from({ length: chunks.count }, (_, i) => layout.chunkPredictions(i + 1));
  const parts = await Promise.all(keys.map((key) => objects.get(batch.bucket, key)));
  return Buffer.concat([Buffer.from(chunks.header, 'utf8'), ...parts]);
}

export async function runBatchMonitor(
  input: MonitorBatchStepInput,
  settings: { readonly projectName: string; readonly artifactBucket: string; readonly config: MonitorConfig },
  deps: MonitorBatchDependencies,
): Promise<MonitorBatchStepOutput> {
  if (input.project !== settings.projectName) throw new ForeignProjectError(input.project, settings.projectName);
  const { artifactBucket: bucket, config } = settings;
  const [batchBytes, statisticsBytes, constraintsBytes] = await Promise.all([
    readBatch(input, deps.objects),
    deps.objects.get(bucket, input.baselineKeys.statistics),
    deps.objects.get(bucket, input.baselineKeys.constraints),
  ]);
  const baseline = parseBaseline(parseJson(statisticsBytes, input.baselineKeys.statistics), parseJson(constraintsBytes, input.baselineKeys.constraints));
  const result = monitorCsvBatch(batchBytes, baselineReference(baseline.statistics, baseline.constraints), config);

  const keys = {
    statistics: `${input.outputPrefix}statistics.json`,
    violations: `${input.outputPrefix}constraint_violations.json`,
    report: `${input.outputPrefix}report.html`,
    metrics: `${input.outputPrefix}metrics.json`,
  };
  const earlier = await readPublication(deps.objects, bucket, keys.metrics);
  const now = earlier ? new Date(earlier.timestamp) : deps.now();
  const report = renderDriftReport(result, {
    project: input.project,
    modelVersion: input.modelVersion,
    batch: `s3://${input.batch.bucket}/${input.batch.key}`,
    generatedAt: now,
    defaultThreshold: config.drift.default,
  });
  await Promise.all([
    deps.objects.put(bucket, keys.statistics, JSON.stringify(result.statistics, null, 2), 'application/json'),
    deps.objects.put(bucket, keys.violations, JSON.stringify(result.violations, null, 2), 'application/json'),
    deps.objects.put(bucket, keys.report, report, 'text/html; charset=utf-8'),
  ]);

  const metrics = buildDriftMetrics(result, config, { project: input.project, modelVersion: input.modelVersion, timestamp: now });
  const requests = putMetricDataRequests(metrics.namespace, metrics.datums);
  let published = 0;
  if (!earlier) {
    // Sequential: a failure leaves a clear prefix published rather than an unknown subset.
    for (const request of requests) await deps.metrics.putMetricData(request);
    await deps.objects.put(bucket, keys.metrics, metricsPublicationJson(now, requests.length), 'application/json');
    published = requests.length;
  }

  return {
    driftScore: result.driftScore,
    driftedFeatures: [...result.driftedFeatures],
    violationCount: result.violations.violations.length,
    rows: result.rows,
    missingColumns: [...result.missingColumns],
    extraColumns: [...result.extraColumns],
    keys,
    metricRequests: published,
    metricTimestamp: now.toISOString(),
    metricNamespace: metrics.namespace,
  };
}
