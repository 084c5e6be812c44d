/**
 * The local CloudWatch metric store: PutMetricData input captured in process, checked
 * against the API's documented limits (CloudWatch API reference, PutMetricData and
 * MetricDatum), and read back per metric (namespace, name and exact dimension set; CloudWatch
 * treats every distinct dimension combination as its own metric) over a time window.
 *
 * A request is all or nothing: every datum is checked before any is stored. Errors carry the
 * service's error code and name the parameter the way the Query API does
 * (`MetricData.member.2.Dimensions.member.1.Value`, 1-based).
 */
import type { MetricObservation } from './statistics';

export type CloudWatchErrorCode = 'InvalidParameterValue' | 'MissingParameter' | 'InvalidParameterCombination';

export class CloudWatchValidationError extends Error {
  constructor(
    readonly code: CloudWatchErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'CloudWatchValidationError';
  }
}

export const STANDARD_UNITS = [
  'Seconds', 'Microseconds', 'Milliseconds',
  'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes',
  'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits',
  'Percent', 'Count',
  'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second',
  'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second',
  'Count/Second', 'None',
] as const;

export interface Dimension {
  readonly Name?: string;
  readonly Value?: string;
}

export interface StatisticSet {
  readonly SampleCount?: number;
  readonly Sum?: number;
  readonly Minimum?: number;
  readonly Maximum?: number;
}

/** One MetricDatum, shaped like the SDK's PutMetricData input. */
export interface MetricDatum {
  readonly MetricName?: string;
  readonly Dimensions?: readonly Dimension[];
  readonly Timestamp?: Date | string;
  readonly Value?: number;
  readonly StatisticValues?: StatisticSet;
  readonly Values?: readonly number[];
  readonly Counts?: readonly number[];
  readonly Unit?: string;
  readonly StorageResolution?: number;
}

export interface PutMetricDataInput {
  readonly Namespace?: string;
  readonly MetricData?: readonly MetricDatum[];
}

export interface MetricQuery {
  readonly namespace: string;
  readonly metricName: string;
  /** The metric's full dimension set, by name. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Inclusive. */
  readonly start: Date;
  /** Exclusive. */
  readonly end: Date;
  /** Only observations published with this unit. */
  readonly unit?: string;
}

/** What alarm evaluation needs from a store. */
export interface MetricReader {
  observations(query: MetricQuery): readonly MetricObservation[];
}

export interface MetricIdentity {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** One stored datum: which metric it belongs to and what was observed (what persistence writes). */
export interface StoredDatum extends MetricIdentity {
  readonly observation: MetricObservation;
}

export const LIMITS = {
  metricDataPerRequest: 1000,
  dimensionsPerMetric: 30,
  valuesPerDatum: 150,
  nameLength: 255,
  dimensionValueLength: 1024,
  /** Values must lie within ±2^360 (PutMetricData). */
  maxMagnitude: 2 ** 360,
  maxAgeMs: 14 * 24 * 3600 * 1000,
  maxFutureMs: 2 * 3600 * 1000,
} as const;

function invalid(message: string): CloudWatchValidationError {
  return new CloudWatchValidationError('InvalidParameterValue', message);
}

function missing(parameter: string): CloudWatchValidationError {
  return new CloudWatchValidationError('MissingParameter', `The parameter ${parameter} is required.`);
}

function tooMany(collection: string, limit: number): CloudWatchValidationError {
  return invalid(`The collection ${collection} must not have a size greater than ${limit}.`);
}

/** ASCII without control characters, at least one non-space, within the length limit. */
function checkName(parameter: string, value: string | undefined, maxLength: number, allowLeadingColon = true): string {
  if (value === undefined || value === '') throw missing(parameter);
  if (value.length > maxLength) throw invalid(`The parameter ${parameter} must be shorter than ${maxLength + 1} characters.`);
  // CloudWatch names are printable ASCII.
  if (!/^[\x20-\x7e]+$/.test(value)) throw invalid(`The value ${value} for parameter ${parameter} contains non-ASCII or control characters.`);
  if (value.trim() === '') throw invalid(`The parameter ${parameter} must contain at least one non-whitespace character.`);
  if (!allowLeadingColon && value.startsWith(':')) throw invalid(`The value ${value} for parameter ${parameter} must not start with ":".`);
  return value;
}

function checkNumber(parameter: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(`The value ${String(value)} for parameter ${parameter} is invalid: special values (NaN, Infinity) are not supported.`);
  }
  if (Math.abs(value) > LIMITS.maxMagnitude) {
    throw invalid(`The value ${value} for parameter ${parameter} is invalid: values must be in the range of -2^360 to 2^360.`);
  }
  return value;
}

interface StoredMetric extends MetricIdentity {
  readonly observations: MetricObservation[];
}

function metricKey(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(dimensions)
    .sort()
    .map((k) => [k, dimensions[k]]);
  return JSON.stringify([namespace, metricName, sorted]);
}

export class MetricsStore implements MetricReader {
  private readonly metrics = new Map<string, StoredMetric>();

  /** `clock` is the service's now: it stamps data without a Timestamp and bounds the ones with one. */
  constructor(private readonly clock: () => Date) {}

  /** Validates and stores the request (all or nothing); returns what was stored. */
  putMetricData(input: PutMetricDataInput): StoredDatum[] {
    const namespace = checkName('Namespace', input.Namespace, LIMITS.nameLength, false);
    if (namespace.startsWith('AWS/')) {
      throw invalid(`The value ${namespace} for parameter Namespace is invalid: namespaces beginning with AWS/ are reserved for AWS services.`);
    }
    const data = input.MetricData;
    if (!data || data.length === 0) throw missing('MetricData');
    if (data.length > LIMITS.metricDataPerRequest) throw tooMany('MetricData', LIMITS.metricDataPerRequest);
    const now = this.clock();
    const checked = data.map((datum, i) => this.checkDatum(datum, `MetricData.member.${i + 1}`, now));
    const stored = checked.map(({ metricName, dimensions, observation }) => ({ namespace, metricName, dimensions, observation }));
    for (const datum of stored) this.restore(datum);
    return stored;
  }

  /** Stores a datum that was validated before (reloading persisted metrics); no checks. */
  restore(datum: StoredDatum): void {
    const key = metricKey(datum.namespace, datum.metricName, datum.dimensions);
    let metric = this.metrics.get(key);
    if (!metric) {
      metric = { namespace: datum.namespace, metricName: datum.metricName, dimensions: datum.dimensions, observations: [] };
      this.metrics.set(key, metric);
    }
    metric.observations.push(datum.observation);
  }

  /** Observations of exactly this metric with start <= timestamp < end, oldest first. */
  observations(query: MetricQuery): MetricObservation[] {
    const metric = this.metrics.get(metricKey(query.namespace, query.metricName, query.dimensions));
    if (!metric) return [];
    const start = query.start.getTime();
    const end = query.end.getTime();
    return metric.observations
      .filter((o) => o.timestamp.getTime() >= start && o.timestamp.getTime() < end && (query.unit === undefined || o.unit === query.unit))
      .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  listMetrics(): MetricIdentity[] {
    return [...this.metrics.values()].map(({ namespace, metricName, dimensions }) => ({ namespace, metricName, dimensions }));
  }

  private checkDatum(datum: MetricDatum, at: string, now: Date): { metricName: string; dimensions: Record<string, string>; observation: MetricObservation } {
    const metricName = checkName(`${at}.MetricName`, datum.MetricName, LIMITS.nameLength);
    const dimensions = this.checkDimensions(datum.Dimensions ?? [], `${at}.Dimensions`);

    const forms = (['Value', 'StatisticValues', 'Values'] as const).filter((f) => datum[f] !== undefined);
    if (forms.length > 1) {
      throw new CloudWatchValidationError(
        'InvalidParameterCombination',
        `The parameters ${at}.${forms[0]} and ${at}.${forms[1]} are mutually exclusive and you have specified both.`,
      );
    }
    if (forms.length === 0) throw missing(`${at}.Value`);
    if (datum.Counts !== undefined && datum.Values === undefined) {
      throw new CloudWatchValidationError('InvalidParameterCombination', `The parameter ${at}.Counts requires ${at}.Values.`);
    }

    const unit = datum.Unit ?? 'None';
    if (!(STANDARD_UNITS as readonly string[]).includes(unit)) {
      throw invalid(`The value ${unit} for parameter ${at}.Unit is invalid. Valid units: ${STANDARD_UNITS.join(', ')}.`);
    }
    if (datum.StorageResolution !== undefined && datum.StorageResolution !== 1 && datum.StorageResolution !== 60) {
      throw invalid(`The value ${datum.StorageResolution} for parameter ${at}.StorageResolution is invalid: use 1 or 60.`);
    }
    const timestamp = this.checkTimestamp(datum.Timestamp, `${at}.Timestamp`, now);

    let observation: MetricObservation;
    if (datum.Value !== undefined) {
      const value = checkNumber(`${at}.Value`, datum.Value);
      observation = { timestamp, unit, sampleCount: 1, sum: value, minimum: value, maximum: value, values: [{ value, count: 1 }] };
    } else if (datum.StatisticValues !== undefined) {
      observation = { timestamp, unit, ...this.checkStatisticSet(datum.StatisticValues, `${at}.StatisticValues`), values: undefined };
    } else {
      observation = { timestamp, unit, ...this.checkValues(datum.Values!, datum.Counts, at) };
    }
    return { metricName, dimensions, observation };
  }

  private checkDimensions(raw: readonly Dimension[], at: string): Record<string, string> {
    if (raw.length > LIMITS.dimensionsPerMetric) throw tooMany(at, LIMITS.dimensionsPerMetric);
    const dimensions: Record<string, string> = {};
    raw.forEach((d, j) => {
      const name = checkName(`${at}.member.${j + 1}.Name`, d.Name, LIMITS.nameLength, false);
      const value = checkName(`${at}.member.${j + 1}.Value`, d.Value, LIMITS.dimensionValueLength);
      if (Object.prototype.hasOwnProperty.call(dimensions, name)) {
        throw invalid(`The collection ${at} must not contain duplicate dimension names; ${name} appears twice.`);
      }
      dimensions[name] = value;
    });
    return dimensions;
  }

  private checkTimestamp(raw: Date | string | undefined, at: string, now: Date): Date {
    if (raw === undefined) return now;
    const timestamp = raw instanceof Date ? raw : new Date(raw);
    if (Number.isNaN(timestamp.getTime())) throw invalid(`The value ${String(raw)} for parameter ${at} is not a valid timestamp.`);
    if (now.getTime() - timestamp.getTime() > LIMITS.maxAgeMs) {
      throw invalid(`The parameter ${at} must specify a time no more than two weeks in the past.`);
    }
    if (timestamp.getTime() - now.getTime() > LIMITS.maxFutureMs) {
      throw invalid(`The parameter ${at} must specify a time no more than two hours in the future.`);
    }
    return timestamp;
  }

  private checkStatisticSet(set: StatisticSet, at: string): Pick<MetricObservation, 'sampleCount' | 'sum' | 'minimum' | 'maximum'> {
    for (const field of ['SampleCount', 'Sum', 'Minimum', 'Maximum'] as const) {
      if (set[field] === undefined) throw missing(`${at}.${field}`);
    }
    const sampleCount = checkNumber(`${at}.SampleCount`, set.SampleCount);
    const sum = checkNumber(`${at}.Sum`, set.Sum);
    const minimum = checkNumber(`${at}.Minimum`, set.Minimum);
    const maximum = checkNumber(`${at}.Maximum`, set.Maximum);
    if (sampleCount <= 0) throw invalid(`The value ${sampleCount} for parameter ${at}.SampleCount must be greater than 0.`);
    if (minimum > maximum) throw invalid(`The parameter ${at}.Minimum (${minimum}) must not be greater than ${at}.Maximum (${maximum}).`);
    return { sampleCount, sum, minimum, maximum };
  }

  private checkValues(values: readonly number[], counts: readonly number[] | undefined, at: string): Omit<MetricObservation, 'timestamp' | 'unit'> {
    if (values.length === 0) throw missing(`${at}.Values`);
    if (values.length > LIMITS.valuesPerDatum) throw tooMany(`${at}.Values`, LIMITS.valuesPerDatum);
    if (counts !== undefined && counts.length !== values.length) {
      throw new CloudWatchValidationError(
        'InvalidParameterCombination',
        `The parameters ${at}.Values and ${at}.Counts must be of the same size (${values.length} and ${counts.length}).`,
      );
    }
    const pairs = values.map((v, k) => {
      const value = checkNumber(`${at}.Values.member.${k + 1}`, v);
      const count = counts === undefined ? 1 : checkNumber(`${at}.Counts.member.${k + 1}`, counts[k]);
      if (count < 0) throw invalid(`The value ${count} for parameter ${at}.Counts.member.${k + 1} must not be negative.`);
      return { value, count };
    });
    const sampleCount = pairs.reduce((s, p) => s + p.count, 0);
    if (sampleCount === 0) throw invalid(`The parameter ${at}.Counts must add up to more than 0.`);
    const counted = pairs.filter((p) => p.count > 0);
    return {
      sampleCount,
      sum: pairs.reduce((s, p) => s + p.value * p.count, 0),
      minimum: Math.min(...counted.map((p) => p.value)),
      maximum: Math.max(...counted.map((p) => p.value)),
      values: pairs,
    };
  }
}
