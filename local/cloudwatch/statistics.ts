/**
 * CloudWatch statistics over the observations of one period: SampleCount, Average, Sum,
 * Minimum, Maximum, and percentiles (`p90`, `p99.9`).
 *
 * Percentiles need raw values (CloudWatch user guide, "Percentiles"): they are available
 * when every observation was published as Value or Values/Counts, or as a statistic set
 * whose SampleCount is 1 or whose Minimum equals its Maximum; and not when any value is
 * negative. CloudWatch does not publish its interpolation, so the local cloud uses the
 * nearest-rank percentile: the smallest value with at least p% of the samples at or below it.
 */

/** One PutMetricData datum as stored: its statistic set, and its raw values when known. */
export interface MetricObservation {
  readonly timestamp: Date;
  readonly unit: string;
  readonly sampleCount: number;
  readonly sum: number;
  readonly minimum: number;
  readonly maximum: number;
  /** Raw values with how often each occurred; undefined for a statistic set. */
  readonly values: readonly { readonly value: number; readonly count: number }[] | undefined;
}

export type StandardStatistic = 'SampleCount' | 'Average' | 'Sum' | 'Minimum' | 'Maximum';
export const STANDARD_STATISTICS: readonly StandardStatistic[] = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'];

export type StatisticSpec =
  | { readonly kind: 'standard'; readonly name: StandardStatistic }
  | { readonly kind: 'percentile'; readonly name: string; readonly percentile: number };

/** Parses an ExtendedStatistic; returns the reason as a string when it is not a percentile. */
export function parsePercentile(text: string): StatisticSpec | string {
  const match = /^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$/.exec(text);
  if (!match) {
    return /^(tm|wm|tc|ts|TM|WM|TC|TS|PR|IQM)/.test(text)
      ? `${text} is a trimmed or ranked statistic; the local cloud models percentiles (pNN) only`
      : `${text} is not an extended statistic like p90 or p99.9`;
  }
  return { kind: 'percentile', name: text, percentile: Number(match[1]) };
}

export interface AggregatedValue {
  readonly value: number;
  readonly sampleCount: number;
}

function rawValues(observations: readonly MetricObservation[]): { value: number; count: number }[] | undefined {
  const out: { value: number; count: number }[] = [];
  for (const o of observations) {
    if (o.values) out.push(...o.values);
    else if (o.sampleCount === 1 || o.minimum === o.maximum) out.push({ value: o.minimum, count: o.sampleCount });
    else return undefined;
  }
  return out;
}

function percentileOf(observations: readonly MetricObservation[], percentile: number): number | undefined {
  const values = rawValues(observations);
  if (!values || values.some((v) => v.value < 0)) return undefined;
  const sorted = values.filter((v) => v.count > 0).sort((a, b) => a.value - b.value);
  const total = sorted.reduce((sum, v) => sum + v.count, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil((percentile / 100) * total));
  let seen = 0;
  for (const v of sorted) {
    seen += v.count;
    if (seen >= rank) return v.value;
  }
  return sorted[sorted.length - 1]!.value;
}

/** The statistic over the observations, or undefined when there are none or it is not available. */
export function aggregate(observations: readonly MetricObservation[], statistic: StatisticSpec): AggregatedValue | undefined {
  if (observations.length === 0) return undefined;
  const sampleCount = observations.reduce((s, o) => s + o.sampleCount, 0);
  if (statistic.kind === 'percentile') {
    const value = percentileOf(observations, statistic.percentile);
    return value === undefined ? undefined : { value, sampleCount };
  }
  switch (statistic.name) {
    case 'SampleCount':
      return { value: sampleCount, sampleCount };
    case 'Sum':
      return { value: observations.reduce((s, o) => s + o.sum, 0), sampleCount };
    case 'Average':
      return sampleCount === 0 ? undefined : { value: observations.reduce((s, o) => s + o.sum, 0) / sampleCount, sampleCount };
    case 'Minimum':
      return { value: Math.min(...observations.map((o) => o.minimum)), sampleCount };
    case 'Maximum':
      return { value: Math.max(...observations.map((o) => o.maximum)), sampleCount };
  }
}
