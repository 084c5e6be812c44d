/**
 * Joined outcomes turned into the stored performance result and its CloudWatch metrics.
 *
 * Figures per (time window, model version, variant), per model version and variant over all
 * time, per model version (all variants), a reliability table per model version, and, when
 * the endpoint served both A/B variants, the A/B test (serving/ab-significance.ts). Windows
 * are by prediction time, as in ground-truth.ts performanceOverTime; accuracy uses each
 * prediction's own decision threshold when it was logged (the endpoint logs it), else the
 * default.
 *
 * Metrics (namespace LuminaOps/ModelPerformance), from each series' latest window, stamped
 * with the computation time so an alarm sees them now: `auc` (only where both classes were
 * seen), `accuracy`, `calibration_error` (ECE, 10 bins) and `labelled_predictions`, under
 * {Project} (the latest window over every version: what users got), {Project, ModelVersion}
 * and {Project, ModelVersion, Variant}.
 *
 * The result schema is the one contract between the writer (`lumina labels put`) and the
 * readers (the project report): readers parse the stored JSON with it.
 */
import * as z from 'zod';
import { auc, calibration, logLoss } from '../ml/metrics';
import type { MetricDatum } from '../monitoring/drift-metrics';
import { evaluateAbTest } from '../serving/ab-significance';
import type { JoinedOutcome } from './ground-truth';

export const PERFORMANCE_NAMESPACE = 'LuminaOps/ModelPerformance';
export const PERFORMANCE_METRICS = { auc: 'auc', accuracy: 'accuracy', calibrationError: 'calibration_error', count: 'labelled_predictions' } as const;
export const DEFAULT_WINDOW_MS = 86_400_000;
export const DEFAULT_DECISION_THRESHOLD = 0.5;
const CALIBRATION_BINS = 10;

const Figures = {
  count: z.number().int().min(1),
  positives: z.number().int().min(0),
  /** null when only one class was observed. */
  auc: z.number().min(0).max(1).nullable(),
  accuracy: z.number().min(0).max(1),
  /** Expected calibration error over 10 equal-width bins. */
  ece: z.number().min(0).max(1),
  logLoss: z.number().min(0),
  meanPredicted: z.number().min(0).max(1),
  observedRate: z.number().min(0).max(1),
};

export const PerformanceWindowSchema = z.object({ start: z.iso.datetime(), end: z.iso.datetime(), modelVersion: z.number().int().positive(), variant: z.string().min(1), ...Figures });
export type PerformanceWindowFigures = z.output<typeof PerformanceWindowSchema>;

export const VersionPerformanceSchema = z.object({
  modelVersion: z.number().int().positive(),
  /** null: every variant of the version together. */
  variant: z.string().min(1).nullable(),
  firstPrediction: z.iso.datetime(),
  lastPrediction: z.iso.datetime(),
  ...Figures,
});
export type VersionPerformance = z.output<typeof VersionPerformanceSchema>;

const ReliabilityBinSchema = z.object({ lower: z.number(), upper: z.number(), count: z.number().int().min(0), meanPredicted: z.number().nullable(), fractionPositive: z.number().nullable() });

export const PerformanceResultSchema = z.object({
  schemaVersion: z.literal(1),
  project: z.string().min(1),
  generatedAt: z.iso.datetime(),
  windowMs: z.number().int().positive(),
  defaultThreshold: z.number().min(0).max(1),
  /** The labels uploads the figures come from, oldest first. */
  uploads: z.array(z.string().min(1)),
  outcomes: z.number().int().min(0),
  joined: z.object({ total: z.number().int().min(0), byRequest: z.number().int().min(0), byEntity: z.number().int().min(0), endpoint: z.number().int().min(0), batch: z.number().int().min(0) }),
  windows: z.array(PerformanceWindowSchema),
  versions: z.array(VersionPerformanceSchema),
  calibration: z.array(z.object({ modelVersion: z.number().int().positive(), ece: z.number(), maxCalibrationError: z.number(), bins: z.array(ReliabilityBinSchema) })),
  /** The A/B test when champion and challenger both have outcomes; its shape is serving/ab-significance.ts AbTestReport. */
  abTest: z.record(z.string(), z.unknown()).nullable(),
});
export type PerformanceResult = z.output<typeof PerformanceResultSchema>;

/** A joined prediction may carry the threshold it was labelled with (prediction-records.ts LoggedPrediction). */
type Joined = JoinedOutcome & { readonly prediction: JoinedOutcome['prediction'] & { readonly threshold?: number; readonly source?: 'endpoint' | 'batch' } };

export interface SummariseOptions {
  readonly project: string;
  readonly now: Date;
  readonly uploads: readonly string[];
  readonly outcomes: number;
  /** @default one day */
  readonly windowMs?: number;
  /** For predictions logged without their threshold. @default 0.5 */
  readonly defaultThreshold?: number;
}

/** The figures of a set of joined outcomes (at least one). */
export function figuresOf(members: readonly Joined[], defaultThreshold: number): z.output<z.ZodObject<typeof Figures>> {
  const y = Float64Array.from(members, (m) => m.outcome);
  const p = Float64Array.from(members, (m) => m.prediction.probability);
  const positives = members.reduce((n, m) => n + m.outcome, 0);
  const correct = members.reduce((n, m) => n + ((m.prediction.probability >= (m.prediction.threshold ?? defaultThreshold) ? 1 : 0) === m.outcome ? 1 : 0), 0);
  return {
    count: members.length,
    positives,
    auc: positives > 0 && positives < members.length ? auc(y, p) : null,
    accuracy: correct / members.length,
    ece: calibration(y, p, CALIBRATION_BINS).ece,
    logLoss: logLoss(y, p),
    meanPredicted: p.reduce((s, v) => s + v, 0) / members.length,
    observedRate: positives / members.length,
  };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

const byTime = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function windowStartOf(at: string, windowMs: number): number {
  return Math.floor(Date.parse(at) / windowMs) * windowMs;
}

export function summarisePerformance(joined: readonly Joined[], options: SummariseOptions): PerformanceResult {
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  if (!Number.isInteger(windowMs) || windowMs <= 0) throw new RangeError(`the window must be a positive whole number of milliseconds, got ${windowMs}`);
  const threshold = options.defaultThreshold ?? DEFAULT_DECISION_THRESHOLD;

  const windows = [...groupBy(joined, (j) => JSON.stringify([windowStartOf(j.prediction.at, windowMs), j.prediction.modelVersion, j.prediction.variant]))].map(([key, members]) => {
    const [start, modelVersion, variant] = JSON.parse(key) as [number, number, string];
    return { start: new Date(start).toISOString(), end: new Date(start + windowMs).toISOString(), modelVersion, variant, ...figuresOf(members, threshold) };
  });
  windows.sort((a, b) => byTime(a.start, b.start) || a.modelVersion - b.modelVersion || byTime(a.variant, b.variant));

  const versionFigures = (members: readonly Joined[], modelVersion: number, variant: string | null): VersionPerformance => {
    const times = members.map((m) => m.prediction.at).sort(byTime);
    return { modelVersion, variant, firstPrediction: new Date(times[0]).toISOString(), lastPrediction: new Date(times.at(-1)!).toISOString(), ...figuresOf(members, threshold) };
  };
  const versions: VersionPerformance[] = [];
  for (const [version, members] of groupBy(joined, (j) => String(j.prediction.modelVersion))) {
    versions.push(versionFigures(members, Number(version), null));
    for (const [variant, inVariant] of groupBy(members, (j) => j.prediction.variant)) versions.push(versionFigures(inVariant, Number(version), variant));
  }
  versions.sort((a, b) => a.modelVersion - b.modelVersion || (a.variant === null ? -1 : b.variant === null ? 1 : byTime(a.variant, b.variant)));

  const calibrations = [...groupBy(joined, (j) => String(j.prediction.modelVersion))].map(([version, members]) => {
    const c = calibration(
      Float64Array.from(members, (m) => m.outcome),
      Float64Array.from(members, (m) => m.prediction.probability),
      CALIBRATION_BINS,
    );
    return { modelVersion: Number(version), ece: c.ece, maxCalibrationError: c.maxCalibrationError, bins: c.bins.map((b) => ({ ...b })) };
  });
  calibrations.sort((a, b) => a.modelVersion - b.modelVersion);

  return {
    schemaVersion: 1,
    project: options.project,
    generatedAt: options.now.toISOString(),
    windowMs,
    defaultThreshold: threshold,
    uploads: [...options.uploads],
    outcomes: options.outcomes,
    joined: {
      total: joined.length,
      byRequest: joined.filter((j) => j.joinedBy === 'request').length,
      byEntity: joined.filter((j) => j.joinedBy === 'entity').length,
      endpoint: joined.filter((j) => j.prediction.source !== 'batch').length,
      batch: joined.filter((j) => j.prediction.source === 'batch').length,
    },
    windows,
    versions,
    calibration: calibrations,
    abTest: abTestOf(joined),
  };
}

/** The A/B test between the endpoint's champion and challenger (each the version most of its predictions came from). */
function abTestOf(joined: readonly Joined[]): Record<string, unknown> | null {
  const versionOf = (variant: string): number | undefined => {
    const counts = new Map<number, number>();
    for (const j of joined) if (j.prediction.variant === variant) counts.set(j.prediction.modelVersion, (counts.get(j.prediction.modelVersion) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0];
  };
  const champion = versionOf('champion');
  const challenger = versionOf('challenger');
  if (champion === undefined || challenger === undefined) return null;
  return { ...evaluateAbTest(joined, { champion, challenger }) };
}

export interface PerformanceMetricContext {
  readonly project: string;
  readonly timestamp: Date;
}

/** The latest window of each series as metric datums (see the file comment). */
/** The members whose prediction falls in the latest window of them all. */
function latestWindow(members: readonly Joined[], windowMs: number): Joined[] {
  const last = Math.max(...members.map((m) => windowStartOf(m.prediction.at, windowMs)));
  return members.filter((m) => windowStartOf(m.prediction.at, windowMs) === last);
}

/**
 * The latest window over every served version and variant — what users got lately, and what
 * the {Project} metrics and so the performance floor alarm judge; null with no outcomes joined.
 */
export function latestOverallFigures(result: PerformanceResult, joined: readonly Joined[]): (z.output<z.ZodObject<typeof Figures>> & { readonly start: string }) | null {
  if (joined.length === 0) return null;
  const members = latestWindow(joined, result.windowMs);
  return { start: new Date(windowStartOf(members[0].prediction.at, result.windowMs)).toISOString(), ...figuresOf(members, result.defaultThreshold) };
}

export function performanceMetricData(result: PerformanceResult, joined: readonly Joined[], context: PerformanceMetricContext): MetricDatum[] {
  const datums: MetricDatum[] = [];
  const add = (dimensions: Record<string, string>, figures: z.output<z.ZodObject<typeof Figures>>): void => {
    const Dimensions = Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }));
    const push = (MetricName: string, Value: number): void => {
      datums.push({ MetricName, Dimensions, Timestamp: context.timestamp, Value, Unit: 'None' });
    };
    if (figures.auc !== null) push(PERFORMANCE_METRICS.auc, figures.auc);
    push(PERFORMANCE_METRICS.accuracy, figures.accuracy);
    push(PERFORMANCE_METRICS.calibrationError, figures.ece);
    push(PERFORMANCE_METRICS.count, figures.count);
  };
  const latest = (members: readonly Joined[]): Joined[] => latestWindow(members, result.windowMs);
  if (joined.length === 0) return datums;
  add({ Project: context.project }, figuresOf(latest(joined), result.defaultThreshold));
  for (const [version, members] of groupBy(joined, (j) => String(j.prediction.modelVersion))) {
    add({ Project: context.project, ModelVersion: version }, figuresOf(latest(members), result.defaultThreshold));
    for (const [variant, inVariant] of groupBy(members, (j) => j.prediction.variant)) {
      add({ Project: context.project, ModelVersion: version, Variant: variant }, figuresOf(latest(inVariant), result.defaultThreshold));
    }
  }
  return datums;
}
