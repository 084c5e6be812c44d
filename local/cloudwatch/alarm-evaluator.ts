/**
 * CloudWatch metric alarms, evaluated from the template's own AWS::CloudWatch::Alarm
 * properties against the local metric store (CloudWatch user guide, "Using Amazon CloudWatch
 * alarms": evaluating an alarm, M out of N, how missing data is treated):
 *
 * - Periods slide: at time T the newest period is [T' - Period, T') with T' = T truncated to
 *   the minute (to 10 s for high-resolution periods); a datapoint is stamped with its start.
 * - CloudWatch looks back over an evaluation range longer than EvaluationPeriods (N). The
 *   guide's worked examples use N + 2 for N = 3, so the range is N + 2 unless the caller
 *   says otherwise (`extraRangePeriods`).
 * - With N or more real datapoints in the range, the N most recent are evaluated and
 *   TreatMissingData plays no part. With fewer, every real datapoint is used and only as
 *   many missing ones as needed are filled: breaching / notBreaching fill them; missing and
 *   ignore leave them unknown (ALARM when at least M real ones breach, OK when any real one
 *   does not, else INSUFFICIENT_DATA, or the current state for ignore). The documented
 *   premature-alarm rule applies under missing: when every real datapoint breaches and the
 *   oldest is at least M periods old, the alarm goes to ALARM.
 * - No datapoint at all: missing → INSUFFICIENT_DATA, ignore → current state, breaching →
 *   ALARM, notBreaching → OK.
 *
 * Both tables of the guide's "How alarm state is evaluated when data is missing" are
 * reproduced by the unit tests. Metric math, anomaly bands and trimmed statistics are refused
 * with AlarmDefinitionError; a `Metrics` list holding one plain metric (what CDK writes for a
 * labelled metric) is read like the flat form.
 */
import {
  type AlarmActions,
  type AlarmContext,
  type AlarmResource,
  type AlarmState,
  type AlarmStateValue,
  AlarmDefinitionError,
  alarmArn,
  readActions,
  requireString,
} from './alarm-definition';
import { double, formatAlarmTimestamp, formatReasonDate, javaDouble, javaJson } from './cloudwatch-format';
import { type MetricReader, STANDARD_UNITS } from './metrics-store';
import { type StandardStatistic, type StatisticSpec, STANDARD_STATISTICS, aggregate, parsePercentile } from './statistics';

export type ComparisonOperator = 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

export interface MetricAlarmDefinition extends AlarmActions {
  readonly kind: 'metric';
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly description: string | undefined;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly unit: string | undefined;
  readonly statistic: StatisticSpec;
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly treatMissingData: TreatMissingData;
  readonly evaluateLowSampleCountPercentile: 'evaluate' | 'ignore' | undefined;
  /** The Id of the metric when the template used the `Metrics` form. */
  readonly metricId: string | undefined;
}

export interface EvaluatedDatapoint {
  /** Start of the datapoint's period. */
  readonly timestamp: Date;
  /** undefined for a missing datapoint. */
  readonly value: number | undefined;
  readonly sampleCount: number | undefined;
  /** undefined for a missing datapoint that TreatMissingData leaves unknown. */
  readonly breaching: boolean | undefined;
  /** True for a missing datapoint that TreatMissingData turned into breaching or not. */
  readonly filled: boolean;
}

export interface AlarmEvaluation {
  /** The state after this evaluation; the current state object itself when it did not change. */
  readonly state: AlarmState;
  readonly changed: boolean;
  /** The datapoints the decision used, newest first. */
  readonly datapoints: readonly EvaluatedDatapoint[];
}

export interface EvaluationOptions {
  /** Periods the evaluation range reaches back beyond EvaluationPeriods. @default 2 */
  readonly extraRangePeriods?: number;
}

const METRIC_ALARM_PROPERTIES = [
  'ActionsEnabled', 'AlarmActions', 'AlarmDescription', 'AlarmName', 'ComparisonOperator', 'DatapointsToAlarm', 'Dimensions',
  'EvaluateLowSampleCountPercentile', 'EvaluationPeriods', 'ExtendedStatistic', 'InsufficientDataActions', 'MetricName', 'Metrics',
  'Namespace', 'OKActions', 'Period', 'Statistic', 'Tags', 'Threshold', 'ThresholdMetricId', 'TreatMissingData', 'Unit',
];
const COMPARATORS: Record<ComparisonOperator, (value: number, threshold: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  GreaterThanThreshold: (v, t) => v > t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};
const PHRASES: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};
const BAND_OPERATORS = ['LessThanLowerOrGreaterThanUpperThreshold', 'LessThanLowerThreshold', 'GreaterThanUpperThreshold'];
const TREATMENTS: readonly TreatMissingData[] = ['missing', 'notBreaching', 'breaching', 'ignore'];
const DEFAULT_EXTRA_RANGE_PERIODS = 2;

// ---------------------------------------------------------------- reading the properties

/** CloudFormation hands Number parameters over as strings; accept both like it does. */
function toNumber(alarm: string, field: string, value: unknown): number {
  const n = typeof value === 'string' && /^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new AlarmDefinitionError(alarm, field, `must be a number, not ${JSON.stringify(value)}`);
  return n;
}

function toInteger(alarm: string, field: string, value: unknown, min: number): number {
  const n = toNumber(alarm, field, value);
  if (!Number.isInteger(n) || n < min) throw new AlarmDefinitionError(alarm, field, `must be a whole number of at least ${min}, not ${JSON.stringify(value)}`);
  return n;
}

function optional<T>(value: unknown, read: (v: unknown) => T): T | undefined {
  return value === undefined ? undefined : read(value);
}

function toDimensions(alarm: string, field: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!Array.isArray(value)) throw new AlarmDefinitionError(alarm, field, 'must be a list of {Name, Value}');
  if (value.length > 30) throw new AlarmDefinitionError(alarm, field, `a metric has at most 30 dimensions, found ${value.length}`);
  const out: Record<string, string> = {};
  value.forEach((d: unknown, i) => {
    const entry = (d ?? {}) as Record<string, unknown>;
    out[requireString(alarm, `${field}[${i}].Name`, entry.Name)] = requireString(alarm, `${field}[${i}].Value`, entry.Value);
  });
  return out;
}

function toStatistic(alarm: string, field: string, text: string): StatisticSpec {
  if ((STANDARD_STATISTICS as readonly string[]).includes(text)) return { kind: 'standard', name: text as StandardStatistic };
  const percentile = parsePercentile(text);
  if (typeof percentile === 'string') throw new AlarmDefinitionError(alarm, field, percentile);
  return percentile;
}

interface MetricSelection {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: StatisticSpec;
  readonly period: number;
  readonly unit: string | undefined;
  readonly metricId: string | undefined;
}

function readMetricsForm(alarm: string, props: Readonly<Record<string, unknown>>): MetricSelection {
  const metrics = props.Metrics;
  for (const flat of ['MetricName', 'Namespace', 'Dimensions', 'Statistic', 'ExtendedStatistic', 'Period', 'Unit']) {
    if (props[flat] !== undefined) throw new AlarmDefinitionError(alarm, flat, 'cannot be combined with Metrics');
  }
  if (!Array.isArray(metrics) || metrics.length === 0) throw new AlarmDefinitionError(alarm, 'Metrics', 'must be a non-empty list');
  metrics.forEach((m: unknown, i) => {
    const entry = (m ?? {}) as Record<string, unknown>;
    if (entry.Expression !== undefined) {
      throw new AlarmDefinitionError(alarm, `Metrics[${i}].Expression`, `metric math ("${String(entry.Expression)}") is not modelled by the local cloud; alarm on a single metric instead`);
    }
    if (entry.AccountId !== undefined) throw new AlarmDefinitionError(alarm, `Metrics[${i}].AccountId`, 'cross-account metrics are not modelled by the local cloud');
  });
  if (metrics.length !== 1) {
    throw new AlarmDefinitionError(alarm, 'Metrics', `holds ${metrics.length} metrics; without metric math an alarm watches exactly one`);
  }
  const entry = metrics[0] as Record<string, unknown>;
  if (entry.ReturnData === false || entry.ReturnData === 'false') throw new AlarmDefinitionError(alarm, 'Metrics[0].ReturnData', 'the only metric must return data');
  const stat = (entry.MetricStat ?? undefined) as Record<string, unknown> | undefined;
  if (!stat) throw new AlarmDefinitionError(alarm, 'Metrics[0].MetricStat', 'is required');
  const metric = (stat.Metric ?? {}) as Record<string, unknown>;
  const unit = optional(stat.Unit, (v) => requireString(alarm, 'Metrics[0].MetricStat.Unit', v));
  return {
    namespace: requireString(alarm, 'Metrics[0].MetricStat.Metric.Namespace', metric.Namespace),
    metricName: requireString(alarm, 'Metrics[0].MetricStat.Metric.MetricName', metric.MetricName),
    dimensions: toDimensions(alarm, 'Metrics[0].MetricStat.Metric.Dimensions', metric.Dimensions),
    statistic: toStatistic(alarm, 'Metrics[0].MetricStat.Stat', requireString(alarm, 'Metrics[0].MetricStat.Stat', stat.Stat)),
    period: toInteger(alarm, 'Metrics[0].MetricStat.Period', stat.Period, 1),
    unit,
    metricId: optional(entry.Id, (v) => requireString(alarm, 'Metrics[0].Id', v)),
  };
}

function readFlatForm(alarm: string, props: Readonly<Record<string, unknown>>): MetricSelection {
  const statistic = props.Statistic;
  const extended = props.ExtendedStatistic;
  if ((statistic === undefined) === (extended === undefined)) {
    throw new AlarmDefinitionError(alarm, 'Statistic', 'give exactly one of Statistic and ExtendedStatistic');
  }
  const spec =
    statistic !== undefined
      ? toStatistic(alarm, 'Statistic', requireString(alarm, 'Statistic', statistic))
      : toStatistic(alarm, 'ExtendedStatistic', requireString(alarm, 'ExtendedStatistic', extended));
  if (statistic !== undefined && spec.kind !== 'standard') {
    throw new AlarmDefinitionError(alarm, 'Statistic', `${String(statistic)} belongs in ExtendedStatistic`);
  }
  if (props.Period === undefined) throw new AlarmDefinitionError(alarm, 'Period', 'is required');
  return {
    namespace: requireString(alarm, 'Namespace', props.Namespace),
    metricName: requireString(alarm, 'MetricName', props.MetricName),
    dimensions: toDimensions(alarm, 'Dimensions', props.Dimensions),
    statistic: spec,
    period: toInteger(alarm, 'Period', props.Period, 1),
    unit: optional(props.Unit, (v) => requireString(alarm, 'Unit', v)),
    metricId: undefined,
  };
}

/** Reads one AWS::CloudWatch::Alarm; throws AlarmDefinitionError for what the local cloud cannot evaluate. */
export function parseMetricAlarm(resource: AlarmResource, context: AlarmContext): MetricAlarmDefinition {
  const props = resource.properties;
  const name = resource.name ?? (typeof props.AlarmName === 'string' ? props.AlarmName : resource.logicalId);
  for (const key of Object.keys(props)) {
    if (!METRIC_ALARM_PROPERTIES.includes(key)) throw new AlarmDefinitionError(name, key, 'is not an AWS::CloudWatch::Alarm property the local cloud knows');
  }
  if (props.ThresholdMetricId !== undefined) {
    throw new AlarmDefinitionError(name, 'ThresholdMetricId', 'anomaly detection bands are not modelled by the local cloud');
  }
  const operator = requireString(name, 'ComparisonOperator', props.ComparisonOperator);
  if (BAND_OPERATORS.includes(operator)) {
    throw new AlarmDefinitionError(name, 'ComparisonOperator', `${operator} compares against an anomaly detection band, which the local cloud does not model`);
  }
  if (!(operator in COMPARATORS)) throw new AlarmDefinitionError(name, 'ComparisonOperator', `unknown operator ${operator}`);

  const metric = props.Metrics !== undefined ? readMetricsForm(name, props) : readFlatForm(name, props);
  if (![10, 20, 30].includes(metric.period) && metric.period % 60 !== 0) {
    throw new AlarmDefinitionError(name, 'Period', `must be 10, 20, 30 or a multiple of 60 seconds, not ${metric.period}`);
  }
  if (metric.unit !== undefined && !(STANDARD_UNITS as readonly string[]).includes(metric.unit)) {
    throw new AlarmDefinitionError(name, 'Unit', `unknown unit ${metric.unit}`);
  }
  const evaluationPeriods = toInteger(name, 'EvaluationPeriods', props.EvaluationPeriods, 1);
  const range = metric.period * evaluationPeriods;
  if (range > 604_800 || (metric.period < 3600 && range > 86_400)) {
    throw new AlarmDefinitionError(
      name,
      'EvaluationPeriods',
      `Period × EvaluationPeriods is ${range} s; the limit is one day, or seven days for periods of an hour or more`,
    );
  }
  const datapointsToAlarm = props.DatapointsToAlarm === undefined ? evaluationPeriods : toInteger(name, 'DatapointsToAlarm', props.DatapointsToAlarm, 1);
  if (datapointsToAlarm > evaluationPeriods) {
    throw new AlarmDefinitionError(name, 'DatapointsToAlarm', `${datapointsToAlarm} is more than EvaluationPeriods (${evaluationPeriods})`);
  }
  if (props.Threshold === undefined) throw new AlarmDefinitionError(name, 'Threshold', 'is required');
  const treat = (props.TreatMissingData ?? 'missing') as TreatMissingData;
  if (!TREATMENTS.includes(treat)) throw new AlarmDefinitionError(name, 'TreatMissingData', `must be one of ${TREATMENTS.join(', ')}, not ${String(treat)}`);
  const lowSample = props.EvaluateLowSampleCountPercentile;
  if (lowSample !== undefined && lowSample !== 'evaluate' && lowSample !== 'ignore') {
    throw new AlarmDefinitionError(name, 'EvaluateLowSampleCountPercentile', `must be evaluate or ignore, not ${String(lowSample)}`);
  }
  return {
    kind: 'metric',
    logicalId: resource.logicalId,
    name,
    arn: alarmArn(context, name),
    description: optional(props.AlarmDescription, (v) => requireString(name, 'AlarmDescription', v)),
    ...metric,
    evaluationPeriods,
    datapointsToAlarm,
    threshold: toNumber(name, 'Threshold', props.Threshold),
    comparisonOperator: operator as ComparisonOperator,
    treatMissingData: treat,
    evaluateLowSampleCountPercentile: lowSample as 'evaluate' | 'ignore' | undefined,
    ...readActions(name, props),
  };
}

// ---------------------------------------------------------------- evaluation

/** One period of the evaluation range; `age` 0 is the newest. */
export interface RangeDatapoint {
  readonly age: number;
  readonly timestamp: Date;
  readonly value: number | undefined;
  readonly sampleCount: number | undefined;
}

type Decision =
  | { readonly kind: 'retain'; readonly datapoints: readonly EvaluatedDatapoint[] }
  | {
      readonly kind: 'state';
      readonly value: AlarmStateValue;
      readonly reason: string;
      readonly datapoints: readonly EvaluatedDatapoint[];
    };

/** End of the newest period: evaluations run on whole minutes (10 s for high resolution). */
function windowEnd(at: Date, period: number): number {
  const step = period >= 60 ? 60_000 : 10_000;
  return Math.floor(at.getTime() / step) * step;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function wasWere(n: number): string {
  return n === 1 ? 'was' : 'were';
}

function listed(points: readonly EvaluatedDatapoint[]): string {
  return `[${points.map((p) => `${javaDouble(p.value!)} (${formatReasonDate(p.timestamp)})`).join(', ')}]`;
}

function minimumSamples(percentile: number): number {
  const p = percentile / 100;
  return p >= 0.5 ? 10 / (1 - p) : 10 / p;
}

function decide(alarm: MetricAlarmDefinition, slots: readonly RangeDatapoint[]): Decision {
  const n = alarm.evaluationPeriods;
  const m = alarm.datapointsToAlarm;
  const compare = COMPARATORS[alarm.comparisonOperator];
  const phrase = PHRASES[alarm.comparisonOperator];
  const threshold = javaDouble(alarm.threshold);
  const real: (EvaluatedDatapoint & { age: number })[] = slots
    .filter((s) => s.value !== undefined)
    .map((s) => ({ timestamp: s.timestamp, value: s.value, sampleCount: s.sampleCount, breaching: compare(s.value!, alarm.threshold), filled: false, age: s.age }));
  const missingSlots = slots.filter((s) => s.value === undefined);
  const treat = alarm.treatMissingData;

  const byThreshold = (evaluated: EvaluatedDatapoint[]): Decision => {
    const breaching = evaluated.filter((p) => p.breaching).length;
    const filled = evaluated.filter((p) => p.filled);
    const filledNote = filled.length
      ? `, and ${plural(filled.length, 'missing datapoint')} ${wasWere(filled.length)} treated as [${treat === 'breaching' ? 'Breaching' : 'NonBreaching'}]`
      : '';
    const realShown = evaluated.filter((p) => !p.filled);
    if (realShown.length === 0) {
      const value = breaching >= m ? 'ALARM' : 'OK';
      return {
        kind: 'state',
        value,
        reason: `Threshold Crossed: no datapoints were received for ${plural(n, 'period')} and ${plural(n, 'missing datapoint')} ${wasWere(n)} treated as [${treat === 'breaching' ? 'Breaching' : 'NonBreaching'}].`,
        datapoints: evaluated,
      };
    }
    if (breaching >= m) {
      const shown = realShown.filter((p) => p.breaching);
      return {
        kind: 'state',
        value: 'ALARM',
        reason: `Threshold Crossed: ${breaching} out of the last ${n} datapoints ${listed(shown)} ${wasWere(breaching)} ${phrase} the threshold (${threshold})${filledNote} (minimum ${plural(m, 'datapoint')} for OK -> ALARM transition).`,
        datapoints: evaluated,
      };
    }
    const notBreaching = evaluated.length - breaching;
    const shown = realShown.filter((p) => p.breaching === false);
    return {
      kind: 'state',
      value: 'OK',
      reason: `Threshold Crossed: ${notBreaching} out of the last ${n} datapoints ${listed(shown)} ${wasWere(notBreaching)} not ${phrase} the threshold (${threshold})${filledNote} (minimum ${plural(n - m + 1, 'datapoint')} for ALARM -> OK transition).`,
      datapoints: evaluated,
    };
  };
  const fill = (slot: RangeDatapoint, breaching: boolean | undefined): EvaluatedDatapoint => ({
    timestamp: slot.timestamp,
    value: undefined,
    sampleCount: undefined,
    breaching,
    filled: breaching !== undefined,
  });
  const newestFirst = (points: EvaluatedDatapoint[]): EvaluatedDatapoint[] => points.sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime());
  const strip = ({ timestamp, value, sampleCount, breaching, filled }: EvaluatedDatapoint): EvaluatedDatapoint => ({ timestamp, value, sampleCount, breaching, filled });

  if (real.length >= n) return byThreshold(real.slice(0, n).map(strip));

  // Fewer real datapoints than N: fill as few missing ones as needed, newest first.
  const toFill = missingSlots.slice(0, n - real.length);
  if (treat === 'breaching' || treat === 'notBreaching') {
    return byThreshold(newestFirst([...real.map(strip), ...toFill.map((s) => fill(s, treat === 'breaching'))]));
  }
  const evaluated = newestFirst([...real.map(strip), ...toFill.map((s) => fill(s, undefined))]);
  const unknown = toFill.length;
  const insufficient = (): Decision =>
    treat === 'ignore'
      ? { kind: 'retain', datapoints: evaluated }
      : { kind: 'state', value: 'INSUFFICIENT_DATA', reason: `Insufficient Data: ${plural(unknown, 'datapoint')} ${wasWere(unknown)} unknown.`, datapoints: evaluated };
  if (real.length === 0) return insufficient();

  const breaching = real.filter((p) => p.breaching);
  if (breaching.length >= m) {
    return {
      kind: 'state',
      value: 'ALARM',
      reason: `Threshold Crossed: ${breaching.length} out of the last ${n} datapoints ${listed(breaching)} ${wasWere(breaching.length)} ${phrase} the threshold (${threshold}) (minimum ${plural(m, 'datapoint')} for OK -> ALARM transition).`,
      datapoints: evaluated,
    };
  }
  const notBreaching = real.filter((p) => !p.breaching);
  if (notBreaching.length > 0) {
    return {
      kind: 'state',
      value: 'OK',
      reason: `Threshold Crossed: ${notBreaching.length} out of the last ${n} datapoints ${listed(notBreaching)} ${wasWere(notBreaching.length)} not ${phrase} the threshold (${threshold}) (minimum ${plural(n - m + 1, 'datapoint')} for ALARM -> OK transition).`,
      datapoints: evaluated,
    };
  }
  // Every real datapoint breaches, but fewer than M: the premature-alarm rule.
  const oldest = real[real.length - 1]!;
  if (oldest.age + 1 >= m) {
    if (treat === 'ignore') return { kind: 'retain', datapoints: evaluated };
    return {
      kind: 'state',
      value: 'ALARM',
      reason: `Threshold Crossed: ${breaching.length} out of the last ${n} datapoints ${listed(breaching)} ${wasWere(breaching.length)} ${phrase} the threshold (${threshold}) and the ${plural(unknown, 'other datapoint')} ${wasWere(unknown)} missing (minimum ${plural(m, 'datapoint')} for OK -> ALARM transition).`,
      datapoints: evaluated,
    };
  }
  return insufficient();
}

function reasonData(alarm: MetricAlarmDefinition, at: Date, datapoints: readonly EvaluatedDatapoint[]): string {
  const oldest = datapoints.reduce<Date | undefined>((min, p) => (min === undefined || p.timestamp < min ? p.timestamp : min), undefined);
  const recent = datapoints
    .filter((p) => p.value !== undefined)
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())
    .map((p) => double(p.value!));
  return javaJson({
    version: '1.0',
    queryDate: formatAlarmTimestamp(at),
    startDate: oldest ? formatAlarmTimestamp(oldest) : undefined,
    statistic: alarm.statistic.kind === 'standard' ? alarm.statistic.name : undefined,
    extendedStatistic: alarm.statistic.kind === 'percentile' ? alarm.statistic.name : undefined,
    unit: alarm.unit,
    period: alarm.period,
    recentDatapoints: recent,
    threshold: double(alarm.threshold),
  });
}

/** The alarm's datapoints for the evaluation range ending at `at`, newest first. */
export function collectDatapoints(alarm: MetricAlarmDefinition, metrics: MetricReader, at: Date, options: EvaluationOptions = {}): RangeDatapoint[] {
  const extra = options.extraRangePeriods ?? DEFAULT_EXTRA_RANGE_PERIODS;
  const periodMs = alarm.period * 1000;
  const end = windowEnd(at, alarm.period);
  const slots: RangeDatapoint[] = [];
  for (let age = 0; age < alarm.evaluationPeriods + extra; age++) {
    const start = end - (age + 1) * periodMs;
    const observations = metrics.observations({
      namespace: alarm.namespace,
      metricName: alarm.metricName,
      dimensions: alarm.dimensions,
      start: new Date(start),
      end: new Date(start + periodMs),
      unit: alarm.unit,
    });
    const aggregated = aggregate(observations, alarm.statistic);
    slots.push({ age, timestamp: new Date(start), value: aggregated?.value, sampleCount: aggregated?.sampleCount });
  }
  return slots;
}

/** Evaluates a metric alarm at `at` against the metrics, from its current state. */
export function evaluateMetricAlarm(
  alarm: MetricAlarmDefinition,
  metrics: MetricReader,
  at: Date,
  current: AlarmState,
  options: EvaluationOptions = {},
): AlarmEvaluation {
  const decision = decide(alarm, collectDatapoints(alarm, metrics, at, options));
  if (
    alarm.statistic.kind === 'percentile' &&
    alarm.evaluateLowSampleCountPercentile === 'ignore' &&
    decision.datapoints.some((p) => p.sampleCount !== undefined && p.sampleCount < minimumSamples((alarm.statistic as { percentile: number }).percentile))
  ) {
    return { state: current, changed: false, datapoints: decision.datapoints };
  }
  if (decision.kind === 'retain' || decision.value === current.value) {
    return { state: current, changed: false, datapoints: decision.datapoints };
  }
  return {
    state: { value: decision.value, reason: decision.reason, reasonData: reasonData(alarm, at, decision.datapoints), timestamp: at },
    changed: true,
    datapoints: decision.datapoints,
  };
}

export * from './alarm-definition';
export {
  type AlarmRuleNode,
  type CompositeAlarmDefinition,
  type CompositeEvaluation,
  AlarmRuleError,
  alarmsReferenced,
  evaluateAlarmRule,
  evaluateCompositeAlarm,
  parseAlarmRule,
  parseCompositeAlarm,
} from './composite-alarm';
export { alarmConfiguration, buildAlarmStateChangeEvent } from './alarm-state-change-event';
