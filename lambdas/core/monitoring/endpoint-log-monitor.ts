/**
 * The scheduled data-quality check of the online endpoint (daily by default): the inputs the
 * endpoint scored in the last window (its prediction log, one JSON line per prediction under
 * `projects/<p>/predictions/endpoint/dt=<day>/hour=<HH>/<epoch ms>-...jsonl`) against the
 * production model's training baseline — the same monitor, reports and drift metrics as a
 * batch, so the project's drift alarms (and retraining) see endpoint traffic too.
 *
 * Only predictions of the current production version are compared (a challenger may have
 * been trained on other data). An empty window publishes nothing: silence is not drift.
 * Outputs: `projects/<p>/monitoring/endpoint/<window end, compact ISO>/` statistics.json,
 * constraint_violations.json and report.html, and metrics.json once the metrics are published.
 *
 * The schedule passes its event's time (`scheduledAt`) as the window's end, so Lambda's retries
 * of one scheduled run check the same window and find its metrics.json: a retry after a
 * finished publish publishes nothing (a second datapoint would fire the drift alarm again).
 * Metrics carry the time they are published, as for a batch (monitor-batch-step.ts).
 */
import * as z from 'zod';
import { type LabelsBucket, mapWithLimit } from '../performance/ingest-labels';
import { getModelVersion } from '../registry/model-version';
import { readStagePointers } from '../registry/stage-pointers';
import type { RegistryStore } from '../registry/store';
import { predictionLogPrefix } from '../serving/prediction-log';
import { baselineReference, parseBaseline } from './baseline-reference';
import { monitorCsvBatch } from './data-quality-monitor';
import { buildDriftMetrics, type MetricSink, metricsPublicationJson, parseMetricsPublication, putMetricDataRequests } from './drift-metrics';
import { renderDriftReport } from './drift-report';
import type { MonitorConfig } from './monitor-config';

export const DEFAULT_ENDPOINT_WINDOW_HOURS = 24;
const HOUR_MS = 3_600_000;
const READ_CONCURRENCY = 16;

/** The schedule's input: `{ "trigger": "schedule" }`, optionally with the window in hours and the schedule's time. */
export const EndpointLogMonitorInput = z
  .object({
    trigger: z.literal('schedule'),
    windowHours: z.number().int().min(1).max(24 * 31).default(DEFAULT_ENDPOINT_WINDOW_HOURS),
    /** The scheduled event's time: the window's end. @default the time of the run */
    scheduledAt: z.iso.datetime().optional(),
  })
  .strict();
export type EndpointLogMonitorInput = z.output<typeof EndpointLogMonitorInput>;

export type EndpointLogMonitorOutput =
  | { readonly monitored: false; readonly reason: string; readonly window: { readonly start: string; readonly end: string }; readonly predictionsRead: number }
  | {
      readonly monitored: true;
      readonly window: { readonly start: string; readonly end: string };
      readonly modelVersion: number;
      readonly rows: number;
      readonly skippedLines: number;
      readonly driftScore: number;
      readonly driftedFeatures: readonly string[];
      readonly violationCount: number;
      readonly keys: { readonly statistics: string; readonly violations: string; readonly report: string; readonly metrics: string };
      /** PutMetricData calls made by this run; 0 when an earlier run of the same window published them. */
      readonly metricRequests: number;
    };

export interface EndpointLogMonitorDeps {
  readonly bucket: LabelsBucket;
  readonly registry: RegistryStore;
  readonly metrics: MetricSink;
  readonly now: () => Date;
}

export async function runEndpointLogMonitor(
  input: EndpointLogMonitorInput,
  settings: { readonly projectName: string; readonly config: MonitorConfig },
  deps: EndpointLogMonitorDeps,
): Promise<EndpointLogMonitorOutput> {
  const project = settings.projectName;
  const end = input.scheduledAt === undefined ? deps.now() : new Date(input.scheduledAt);
  const start = new Date(end.getTime() - input.windowHours * HOUR_MS);
  const window = { start: start.toISOString(), end: end.toISOString() };
  const production = (await readStagePointers(deps.registry, project)).production;
  if (production === null) return { monitored: false, reason: 'the project has no production model', window, predictionsRead: 0 };

  const keys = await logKeysInWindow(deps.bucket, project, start, end);
  const bodies = await mapWithLimit(keys, READ_CONCURRENCY, (key) => deps.bucket.get(key));
  const rows: Record<string, unknown>[] = [];
  let skippedLines = 0;
  let read = 0;
  for (const body of bodies) {
    if (!body) continue;
    for (const line of new TextDecoder().decode(body).split('\n')) {
      if (line.trim() === '') continue;
      read++;
      const entry = parseLine(line);
      if (!entry) {
        skippedLines++;
        continue;
      }
      const at = Date.parse(entry.at);
      if (entry.modelVersion === production && at >= start.getTime() && at < end.getTime()) rows.push(entry.inputs);
    }
  }
  if (rows.length === 0) return { monitored: false, reason: `no predictions of production version ${production} in the window`, window, predictionsRead: read };

  const { record } = await getModelVersion(deps.registry, project, production);
  const bucketOf = (what: string): Uint8Array | Promise<Uint8Array> =>
    deps.bucket.get(what).then((bytes) => {
      if (!bytes) throw new Error(`the production version's baseline ${what} is missing`);
      return bytes;
    });
  const [statistics, constraints] = await Promise.all([bucketOf(record.artifacts.baselineStatisticsKey), bucketOf(record.artifacts.baselineConstraintsKey)]);
  const baseline = parseBaseline(JSON.parse(new TextDecoder().decode(statistics)), JSON.parse(new TextDecoder().decode(constraints)));
  const result = monitorCsvBatch(new TextEncoder().encode(toCsv(rows)), baselineReference(baseline.statistics, baseline.constraints), settings.config);

  const prefix = `projects/${project}/monitoring/endpoint/${end.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}/`;
  const outputKeys = { statistics: `${prefix}statistics.json`, violations: `${prefix}constraint_violations.json`, report: `${prefix}report.html`, metrics: `${prefix}metrics.json` };
  const earlier = await deps.bucket.get(outputKeys.metrics);
  const publishedAt = earlier === undefined ? deps.now() : new Date(parseMetricsPublication(earlier, outputKeys.metrics).timestamp);
  const report = renderDriftReport(result, {
    project,
    modelVersion: String(production),
    batch: `endpoint predictions ${window.start} to ${window.end}`,
    generatedAt: publishedAt,
    defaultThreshold: settings.config.drift.default,
  });
  await deps.bucket.put(outputKeys.statistics, JSON.stringify(result.statistics, null, 2), 'application/json');
  await deps.bucket.put(outputKeys.violations, JSON.stringify(result.violations, null, 2), 'application/json');
  await deps.bucket.put(outputKeys.report, report, 'text/html; charset=utf-8');

  const metrics = buildDriftMetrics(result, settings.config, { project, modelVersion: String(production), timestamp: publishedAt });
  const requests = putMetricDataRequests(metrics.namespace, metrics.datums);
  if (earlier === undefined) {
    for (const request of requests) await deps.metrics.putMetricData(request);
    await deps.bucket.put(outputKeys.metrics, metricsPublicationJson(publishedAt, requests.length), 'application/json');
  }
  return {
    monitored: true,
    window,
    modelVersion: production,
    rows: result.rows,
    skippedLines,
    driftScore: result.driftScore,
    driftedFeatures: [...result.driftedFeatures],
    violationCount: result.violations.violations.length,
    keys: outputKeys,
    metricRequests: earlier === undefined ? requests.length : 0,
  };
}

/** Log objects whose key time (`<epoch ms>-` of the file name) falls in [start, end). */
async function logKeysInWindow(bucket: LabelsBucket, project: string, start: Date, end: Date): Promise<string[]> {
  const days: string[] = [];
  for (let t = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()); t < end.getTime(); t += 24 * HOUR_MS) days.push(new Date(t).toISOString().slice(0, 10));
  const keys = (await Promise.all(days.map((day) => bucket.list(`${predictionLogPrefix(project)}dt=${day}/`)))).flat();
  return keys
    .filter((key) => {
      const ms = Number(/\/(\d{10,})-[^/]*\.jsonl$/.exec(key)?.[1]);
      return Number.isFinite(ms) && ms >= start.getTime() && ms < end.getTime();
    })
    .sort();
}

const LogLine = z.object({ modelVersion: z.number().int().positive(), at: z.string(), inputs: z.record(z.string(), z.unknown()) });

function parseLine(line: string): z.output<typeof LogLine> | undefined {
  try {
    const parsed = LogLine.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The inputs as the CSV the monitor reads: columns in first-seen order, missing and null as empty cells. */
function toCsv(rows: readonly Record<string, unknown>[]): string {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) if (!seen.has(key)) (seen.add(key), columns.push(key));
  const cell = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return `${[columns.map(cell).join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].join('\n')}\n`;
}
