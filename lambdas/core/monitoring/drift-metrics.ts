/**
 * The monitor's CloudWatch metrics, as PutMetricData requests:
 * - `feature_baseline_drift_<feature>`: the feature's drift distance (when it has one);
 * - `feature_non_null_<feature>`: the batch's completeness of the feature (0 for a missing column);
 * - `drift_score`: the overall score (see `data-quality-monitor.ts`).
 * Each is published once per configured dimension set (by default {Project}, which the
 * project's alarms watch, and {Project, ModelVersion}).
 *
 * Feature names become metric names: characters outside [A-Za-z0-9_.-] become `_`, and a
 * name that had to change (or is too long for 255 characters with its prefix) gets `_` + 8
 * hex of its SHA-256, so two features never share a metric. `featureOfMetric` maps each
 * metric name back to its feature.
 *
 * Requests respect PutMetricData's limits: at most 1,000 datums, a 1 MB payload (estimated
 * as the Query-protocol form encoding, the largest of the API's encodings, against a
 * 1,000,000-byte budget), 30 dimensions a datum, names up to 255 characters. A run fits one
 * request unless it has hundreds of features.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { MonitorResult } from './data-quality-monitor';
import type { MonitorConfig } from './monitor-config';

export const DRIFT_SCORE_METRIC = 'drift_score';
export const FEATURE_DRIFT_PREFIX = 'feature_baseline_drift_';
export const FEATURE_NON_NULL_PREFIX = 'feature_non_null_';

export const PUT_METRIC_DATA_LIMITS = {
  datumsPerRequest: 1000,
  requestBytes: 1_000_000,
  dimensionsPerDatum: 30,
  nameLength: 255,
  dimensionValueLength: 1024,
} as const;

export interface MetricDimension {
  readonly Name: string;
  readonly Value: string;
}

/** One datum, shaped like the SDK's MetricDatum. */
export interface MetricDatum {
  readonly MetricName: string;
  readonly Dimensions: readonly MetricDimension[];
  readonly Timestamp: Date;
  readonly Value: number;
  readonly Unit: 'None';
}

export interface PutMetricDataRequest {
  readonly Namespace: string;
  readonly MetricData: readonly MetricDatum[];
}

/** What the monitor needs to publish metrics; the CloudWatch adapter implements it. */
export interface MetricSink {
  putMetricData(request: PutMetricDataRequest): Promise<void>;
}

const LONGEST_PREFIX = Math.max(FEATURE_DRIFT_PREFIX.length, FEATURE_NON_NULL_PREFIX.length);
const MAX_SUFFIX = PUT_METRIC_DATA_LIMITS.nameLength - LONGEST_PREFIX;

/** The metric-name suffix of each feature (see the file comment); throws on the (astronomically unlikely) clash. */
export function metricSuffixes(features: readonly string[]): Map<string, string> {
  const suffixes = new Map<string, string>();
  const taken = new Map<string, string>();
  for (const feature of features) {
    let suffix = feature.replace(/[^A-Za-z0-9_.-]/g, '_');
    if (suffix !== feature || suffix.length > MAX_SUFFIX || suffix === '') {
      const hash = createHash('sha256').update(feature, 'utf8').digest('hex').slice(0, 8);
      suffix = `${suffix.slice(0, MAX_SUFFIX - 9)}_${hash}`;
    }
    const other = taken.get(suffix);
    if (other !== undefined && other !== feature) throw new Error(`features "${other}" and "${feature}" map to the same metric name suffix "${suffix}"`);
    taken.set(suffix, feature);
    suffixes.set(feature, suffix);
  }
  return suffixes;
}

export interface DriftMetrics {
  readonly namespace: string;
  readonly datums: readonly MetricDatum[];
  /** Metric name → feature name, for every per-feature metric. */
  readonly featureOfMetric: Readonly<Record<string, string>>;
}

export interface MetricContext {
  readonly project: string;
  readonly modelVersion: string;
  readonly timestamp: Date;
}

/** CloudWatch rejects non-zero magnitudes below about 8.5e-109 and above 2^360. */
function metricValue(value: number): number {
  if (Math.abs(value) < 1e-100) return 0;
  return Math.max(-(2 ** 360), Math.min(2 ** 360, value));
}

export function buildDriftMetrics(result: MonitorResult, config: MonitorConfig, context: MetricContext): DriftMetrics {
  const values: Record<string, string> = { ...config.metrics.staticDimensions, Project: context.project, ModelVersion: context.modelVersion };
  const dimensionSets = config.metrics.dimensionSets.map((set) => set.map((name) => ({ Name: name, Value: values[name] })));
  for (const set of dimensionSets) {
    for (const d of set) {
      if (d.Value.length === 0 || d.Value.length > PUT_METRIC_DATA_LIMITS.dimensionValueLength) {
        throw new Error(`dimension ${d.Name} must have 1 to ${PUT_METRIC_DATA_LIMITS.dimensionValueLength} characters`);
      }
    }
  }
  const suffixes = metricSuffixes(result.features.map((f) => f.name));
  const featureOfMetric: Record<string, string> = {};
  const datums: MetricDatum[] = [];
  const add = (metricName: string, value: number): void => {
    for (const dimensions of dimensionSets) datums.push({ MetricName: metricName, Dimensions: dimensions, Timestamp: context.timestamp, Value: metricValue(value), Unit: 'None' });
  };
  for (const feature of result.features) {
    const suffix = suffixes.get(feature.name)!;
    if (feature.distance !== undefined) {
      featureOfMetric[FEATURE_DRIFT_PREFIX + suffix] = feature.name;
      add(FEATURE_DRIFT_PREFIX + suffix, feature.distance);
    }
    featureOfMetric[FEATURE_NON_NULL_PREFIX + suffix] = feature.name;
    add(FEATURE_NON_NULL_PREFIX + suffix, feature.batchCompleteness);
  }
  add(DRIFT_SCORE_METRIC, result.driftScore);
  return { namespace: config.metrics.namespace, datums, featureOfMetric };
}

/** Bytes of one datum in the Query form encoding (`&MetricData.member.N.…=…`). */
export function datumRequestBytes(datum: MetricDatum, position: number): number {
  const at = `&MetricData.member.${position}.`;
  let bytes = at.length + 'MetricName='.length + encodeURIComponent(datum.MetricName).length;
  bytes += at.length + 'Value='.length + String(datum.Value).length;
  bytes += at.length + 'Unit='.length + datum.Unit.length;
  bytes += at.length + 'Timestamp='.length + encodeURIComponent(datum.Timestamp.toISOString()).length;
  datum.Dimensions.forEach((d, j) => {
    const dim = `${at}Dimensions.member.${j + 1}.`;
    bytes += dim.length + 'Name='.length + encodeURIComponent(d.Name).length;
    bytes += dim.length + 'Value='.length + encodeURIComponent(d.Value).length;
  });
  return bytes;
}

/** Splits datums into PutMetricData requests within the limits, in order; one request when they fit. */
export function putMetricDataRequests(namespace: string, datums: readonly MetricDatum[], limits = PUT_METRIC_DATA_LIMITS): PutMetricDataRequest[] {
  const header = `Action=PutMetricData&Version=2010-08-01&Namespace=${encodeURIComponent(namespace)}`.length;
  const requests: PutMetricDataRequest[] = [];
  let current: MetricDatum[] = [];
  let bytes = header;
  for (const datum of datums) {
    if (datum.Dimensions.length > limits.dimensionsPerDatum) throw new Error(`metric ${datum.MetricName} has ${datum.Dimensions.length} dimensions; at most ${limits.dimensionsPerDatum}`);
    if (datum.MetricName.length > limits.nameLength) throw new Error(`metric name ${datum.MetricName.slice(0, 40)}… is longer than ${limits.nameLength} characters`);
    let size = datumRequestBytes(datum, current.length + 1);
    if (current.length > 0 && (current.length === limits.datumsPerRequest || bytes + size > limits.requestBytes)) {
      requests.push({ Namespace: namespace, MetricData: current });
      current = [];
      bytes = header;
      size = datumRequestBytes(datum, 1);
    }
    if (header + size > limits.requestBytes) throw new Error(`metric ${datum.MetricName} alone exceeds the ${limits.requestBytes}-byte request budget`);
    current.push(datum);
    bytes += size;
  }
  if (current.length > 0) requests.push({ Namespace: namespace, MetricData: current });
  return requests;
}

/**
 * `metrics.json` beside a monitor's outputs, written once every PutMetricData call of the run
 * succeeded: the metrics' timestamp and the calls made. A retry that finds it publishes nothing.
 */
const MetricsPublication = z.object({ timestamp: z.iso.datetime(), requests: z.number().int().min(0) });
export type MetricsPublication = z.output<typeof MetricsPublication>;

export function metricsPublicationJson(timestamp: Date, requests: number): string {
  return JSON.stringify({ timestamp: timestamp.toISOString(), requests } satisfies MetricsPublication, null, 2);
}

/** Reads metrics.json; an error names the key when the bytes are not such a record. */
export function parseMetricsPublication(bytes: Uint8Array, key: string): MetricsPublication {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new Error(`${key} is not JSON: ${(error as Error).message}`);
  }
  const parsed = MetricsPublication.safeParse(json);
  if (!parsed.success) throw new Error(`${key} is not a metrics publication record: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
