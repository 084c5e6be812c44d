/**
 * The data-quality monitor: compares an inference batch with the model's baseline (the
 * training pipeline's Model Monitor `statistics.json` / `constraints.json`) and returns the
 * batch's statistics, the constraint violations in Model Monitor's format, per-feature
 * drift and one drift score.
 *
 * Checks (Model Monitor's names):
 * - `missing_column_check`: a baseline feature is not in the batch header.
 * - `extra_column_check`: a batch column is neither a baseline feature nor ignored.
 * - `completeness_check`: batch completeness (present values / rows; for numeric features
 *   cells that are not numbers count as missing, as in the profiler) below the baseline
 *   constraint's completeness minus `completenessTolerance`.
 * - `data_type_check` (numeric features): share of present cells that are not finite numbers
 *   (or not integers for an Integral feature) above `dataTypeTolerance`.
 * - `categorical_values_check` (text features whose baseline values are all known): share of
 *   present values never seen in the baseline above `unknownCategoryTolerance`.
 * - `baseline_drift_check`: the feature's distance above its threshold. Numeric: KS (default)
 *   or PSI on the baseline's decile bins; categorical: L-infinity between category shares.
 *   PSI, KS, L-infinity and chi-squared (p-value) are all reported whichever one decides.
 *
 * Drift score = max over features with a distance of distance × (default threshold /
 * feature threshold): the largest distance, each rescaled so that its own threshold maps to
 * the default one. Without per-feature thresholds it is simply the largest distance; in
 * every case it exceeds the default threshold exactly when some feature drifts, so one alarm
 * on the score at the project's threshold agrees with the per-feature checks. 0 when no
 * feature could be compared. Completeness and schema problems are violations, not drift.
 */
import type { MonitorFeatureStatistics, MonitorStatistics, MonitorStringStatistics } from '../datasets/model-monitor-format';
import { MAX_CATEGORICAL_BUCKETS } from '../datasets/profile-dataset';
import type { BaselineReference, CategoricalReference, FeatureReference, NumericReference } from './baseline-reference';
import { binSlots } from './baseline-reference';
import { readBatchCsv, type BatchTable, type CategoricalColumnData, type ColumnPlan, type NumericColumnData } from './columnar-csv';
import { chiSquaredHomogeneity, lInfinityDistance, populationStabilityIndex, type ChiSquaredResult } from './drift-statistics';
import { driftThresholdFor, type MonitorConfig } from './monitor-config';
import { ksFromSlots, NumericScratch, summariseNumeric } from './numeric-feature';

export type ConstraintCheckType =
  | 'data_type_check'
  | 'completeness_check'
  | 'baseline_drift_check'
  | 'missing_column_check'
  | 'extra_column_check'
  | 'categorical_values_check';

/** One entry of constraint_violations.json. */
export interface ConstraintViolation {
  readonly feature_name: string;
  readonly constraint_check_type: ConstraintCheckType;
  readonly description: string;
}

/** constraint_violations.json */
export interface ConstraintViolations {
  readonly violations: readonly ConstraintViolation[];
}

export type DriftMeasure = 'ks' | 'psi' | 'linf';

/** Baseline and batch shares over the bins a feature is compared on (for charts). */
export interface DistributionComparison {
  readonly labels: readonly string[];
  readonly baseline: readonly number[];
  readonly batch: readonly number[];
}

export interface FeatureDrift {
  readonly name: string;
  readonly kind: 'numeric' | 'categorical';
  /**
   * `compared`; `missing-column` (not in the batch); `no-batch-values` (all missing);
   * `no-baseline-distribution` (the baseline had no values, or too many categories to list).
   */
  readonly status: 'compared' | 'missing-column' | 'no-batch-values' | 'no-baseline-distribution';
  readonly baselineCompleteness: number;
  readonly batchCompleteness: number;
  /** The distance compared with the threshold. */
  readonly measure: DriftMeasure;
  readonly distance?: number;
  readonly threshold: number;
  readonly drifted: boolean;
  readonly ks?: number;
  readonly psi?: number;
  readonly lInfinity?: number;
  readonly chiSquared?: ChiSquaredResult;
  /** Share of present cells of the wrong type (numeric features). */
  readonly dataTypeMismatchShare?: number;
  /** Share of present values never seen in the baseline (when the baseline's values are all known). */
  readonly unknownCategoryShare?: number;
  readonly unknownCategoryExamples?: readonly string[];
  readonly distribution?: DistributionComparison;
}

export interface MonitorResult {
  readonly rows: number;
  /** The batch's statistics.json (baseline features found in the batch, baseline order). */
  readonly statistics: MonitorStatistics;
  readonly violations: ConstraintViolations;
  /** Every baseline feature, in baseline order. */
  readonly features: readonly FeatureDrift[];
  readonly driftScore: number;
  readonly driftedFeatures: readonly string[];
  readonly missingColumns: readonly string[];
  readonly extraColumns: readonly string[];
}

/** Raised when the batch cannot be monitored at all (no rows). */
export class MonitorInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MonitorInputError';
  }
}

const EXAMPLES = 5;
const CHART_CATEGORIES = 12;
const pct = (share: number): string => `${Number((share * 100).toFixed(2))}%`;
const num = (value: number): string => Number(value.toPrecision(4)).toString();

/** How to read each batch column, from the baseline. */
export function planColumns(header: readonly string[], baseline: BaselineReference, config: MonitorConfig): ColumnPlan[] {
  const byName = new Map(baseline.features.map((f) => [f.name, f]));
  const ignored = new Set(config.ignoreColumns);
  return header.map((name): ColumnPlan => {
    const feature = byName.get(name);
    if (feature === undefined || ignored.has(name)) return { kind: 'skip' };
    if (feature.kind === 'numeric') return { kind: feature.inferredType === 'Integral' ? 'integral' : 'fractional' };
    return { kind: 'categorical', lowercase: feature.lowercase, knownCategories: [...feature.categories.keys()] };
  });
}

/** Reads a batch CSV with the baseline's plan and monitors it. */
export function monitorCsvBatch(bytes: Uint8Array, baseline: BaselineReference, config: MonitorConfig): MonitorResult {
  return monitorBatch(
    readBatchCsv(bytes, (header) => planColumns(header, baseline, config)),
    baseline,
    config,
  );
}

function numericDrift(
  reference: NumericReference,
  column: NumericColumnData,
  rows: number,
  config: MonitorConfig,
  scratch: NumericScratch,
): { statistics: MonitorFeatureStatistics; drift: FeatureDrift } {
  const summary = summariseNumeric(column.values, column.missing + column.mismatched, reference, scratch);
  const present = column.values.length;
  const cells = present + column.mismatched;
  const threshold = driftThresholdFor(config, reference.name);
  const measure = config.drift.numericMeasure;
  const base = {
    name: reference.name,
    kind: 'numeric' as const,
    baselineCompleteness: reference.completeness,
    batchCompleteness: present / rows,
    measure,
    threshold,
    ...(cells === 0 ? {} : { dataTypeMismatchShare: (column.mismatched + column.nonIntegral) / cells }),
  };
  const statistics: MonitorFeatureStatistics = { name: reference.name, inferred_type: reference.inferredType, numerical_statistics: summary.statistics };
  if (reference.points.length === 0) return { statistics, drift: { ...base, status: 'no-baseline-distribution', drifted: false } };
  if (present === 0 || summary.slotCounts === undefined) return { statistics, drift: { ...base, status: 'no-batch-values', drifted: false } };
  const ks = ksFromSlots(reference, summary.slotCounts);
  const batchBins = binSlots(summary.slotCounts, reference.psiSlotBounds);
  const psi = populationStabilityIndex(reference.psiBaseline, batchBins) ?? 0;
  const distance = measure === 'psi' ? psi : ks;
  return {
    statistics,
    drift: {
      ...base,
      status: 'compared',
      distance,
      drifted: distance > threshold,
      ks,
      psi,
      distribution: { labels: reference.psiBinLabels, baseline: reference.psiBaseline, batch: batchBins.map((c) => c / present) },
    },
  };
}

function rankedBuckets(counts: ReadonlyMap<string, number>): { value: string; count: number }[] {
  return [...counts]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

function categoricalDrift(
  reference: CategoricalReference,
  column: CategoricalColumnData,
  rows: number,
  config: MonitorConfig,
): { statistics: MonitorFeatureStatistics; drift: FeatureDrift } {
  let present = column.untracked;
  for (const count of column.counts.values()) present += count;
  const ranked = rankedBuckets(column.counts);
  const stringStatistics: MonitorStringStatistics = {
    common: { num_present: present, num_missing: column.missing },
    distinct_count: column.distinct,
    // Past the tracking limit the counts miss values: no distribution rather than a biased one (as the profiler).
    distribution: { categorical: { buckets: column.untracked > 0 ? [] : ranked.slice(0, MAX_CATEGORICAL_BUCKETS) } },
  };
  const inferredType = reference.inferredType === 'Unknown' && present > 0 ? 'String' : reference.inferredType;
  const statistics: MonitorFeatureStatistics = { name: reference.name, inferred_type: inferredType, string_statistics: stringStatistics };
  const threshold = driftThresholdFor(config, reference.name);

  let unknown = column.untracked;
  const unknownExamples: string[] = [];
  if (reference.domain !== undefined) {
    for (const { value, count } of ranked) {
      if (reference.domain.has(value)) continue;
      unknown += count;
      if (unknownExamples.length < EXAMPLES) unknownExamples.push(value.length > 40 ? `${value.slice(0, 39)}…` : value);
    }
  }
  const base = {
    name: reference.name,
    kind: 'categorical' as const,
    baselineCompleteness: reference.completeness,
    batchCompleteness: present / rows,
    measure: 'linf' as const,
    threshold,
    ...(reference.domain !== undefined && present > 0 ? { unknownCategoryShare: unknown / present, unknownCategoryExamples: unknownExamples } : {}),
  };
  if (!reference.hasDistribution) return { statistics, drift: { ...base, status: 'no-baseline-distribution', drifted: false } };
  if (present === 0) return { statistics, drift: { ...base, status: 'no-batch-values', drifted: false } };

  // One bin per listed baseline category; batch values outside them go to one bin per new
  // category when the baseline list is complete, else to one "other" bin with the baseline's unlisted mass.
  const labels: string[] = [];
  const baselineCounts: number[] = [];
  const batchCounts: number[] = [];
  for (const [value, count] of reference.categories) {
    labels.push(value);
    baselineCounts.push(count);
    batchCounts.push(column.counts.get(value) ?? 0);
  }
  let otherBatch = column.untracked;
  for (const { value, count } of ranked) {
    if (reference.categories.has(value)) continue;
    if (reference.unlistedCount === 0) {
      labels.push(value);
      baselineCounts.push(0);
      batchCounts.push(count);
    } else {
      otherBatch += count;
    }
  }
  if (reference.unlistedCount > 0 || otherBatch > 0) {
    labels.push('(other)');
    baselineCounts.push(reference.unlistedCount);
    batchCounts.push(otherBatch);
  }
  const lInfinity = lInfinityDistance(baselineCounts, batchCounts) ?? 0;
  const chiSquared = chiSquaredHomogeneity(baselineCounts, batchCounts);
  const baseTotal = baselineCounts.reduce((a, b) => a + b, 0);
  // The chart: the categories with the largest shares on either side.
  const order = labels
    .map((_, i) => i)
    .sort((a, b) => Math.max(baselineCounts[b] / baseTotal, batchCounts[b] / present) - Math.max(baselineCounts[a] / baseTotal, batchCounts[a] / present))
    .slice(0, CHART_CATEGORIES);
  return {
    statistics,
    drift: {
      ...base,
      status: 'compared',
      distance: lInfinity,
      drifted: lInfinity > threshold,
      lInfinity,
      ...(chiSquared === undefined ? {} : { chiSquared }),
      distribution: {
        labels: order.map((i) => labels[i]),
        baseline: order.map((i) => baselineCounts[i] / baseTotal),
        batch: order.map((i) => batchCounts[i] / present),
      },
    },
  };
}

function featureViolations(drift: FeatureDrift, reference: FeatureReference, config: MonitorConfig, column: NumericColumnData | CategoricalColumnData): ConstraintViolation[] {
  const out: ConstraintViolation[] = [];
  const feature_name = drift.name;
  if (drift.batchCompleteness < drift.baselineCompleteness - config.completenessTolerance) {
    out.push({
      feature_name,
      constraint_check_type: 'completeness_check',
      description: `Data completeness ${pct(drift.batchCompleteness)} is below the baseline's ${pct(drift.baselineCompleteness)} minus the tolerance ${pct(config.completenessTolerance)}`,
    });
  }
  if (column.kind === 'numeric' && drift.dataTypeMismatchShare !== undefined && drift.dataTypeMismatchShare > config.dataTypeTolerance) {
    const bad = column.mismatched + column.nonIntegral;
    const cells = column.values.length + column.mismatched;
    const examples = column.mismatchExamples.length > 0 ? `; e.g. ${column.mismatchExamples.map((e) => JSON.stringify(e)).join(', ')}` : '';
    const integral = reference.kind === 'numeric' && reference.inferredType === 'Integral';
    out.push({
      feature_name,
      constraint_check_type: 'data_type_check',
      description: `${bad} of ${cells} present values (${pct(drift.dataTypeMismatchShare)}) are not ${integral ? 'integers' : 'numbers'} as the baseline's ${reference.kind === 'numeric' ? reference.inferredType : ''} type requires, above the tolerance ${pct(config.dataTypeTolerance)}${examples}`,
    });
  }
  if (drift.unknownCategoryShare !== undefined && drift.unknownCategoryShare > config.unknownCategoryTolerance) {
    const examples = (drift.unknownCategoryExamples ?? []).map((e) => JSON.stringify(e)).join(', ');
    out.push({
      feature_name,
      constraint_check_type: 'categorical_values_check',
      description: `${pct(drift.unknownCategoryShare)} of present values are not in the baseline's categories, above the tolerance ${pct(config.unknownCategoryTolerance)}${examples === '' ? '' : `; new: ${examples}`}`,
    });
  }
  if (drift.drifted && drift.distance !== undefined) {
    out.push({
      feature_name,
      constraint_check_type: 'baseline_drift_check',
      description: `Baseline drift distance ${num(drift.distance)} (${drift.measure === 'ks' ? 'KS' : drift.measure === 'psi' ? 'PSI' : 'L-infinity'}) exceeds the threshold ${num(drift.threshold)}`,
    });
  }
  return out;
}

/** Monitors a batch already read into columns (see `readBatchCsv` and `planColumns`). */
export function monitorBatch(table: BatchTable, baseline: BaselineReference, config: MonitorConfig): MonitorResult {
  if (table.rows === 0) throw new MonitorInputError('the batch has a header but no data rows');
  const ignored = new Set(config.ignoreColumns);
  const baselineNames = new Set(baseline.features.map((f) => f.name));
  const headerNames = new Set(table.header);
  const scratch = new NumericScratch();
  const statistics: MonitorFeatureStatistics[] = [];
  const features: FeatureDrift[] = [];
  const violations: ConstraintViolation[] = [];
  const missingColumns: string[] = [];

  for (const reference of baseline.features) {
    if (ignored.has(reference.name)) continue;
    const column = table.columns.get(reference.name);
    if (!headerNames.has(reference.name) || column === undefined) {
      missingColumns.push(reference.name);
      features.push({
        name: reference.name,
        kind: reference.kind,
        status: 'missing-column',
        baselineCompleteness: reference.completeness,
        batchCompleteness: 0,
        measure: reference.kind === 'numeric' ? config.drift.numericMeasure : 'linf',
        threshold: driftThresholdFor(config, reference.name),
        drifted: false,
      });
      violations.push({ feature_name: reference.name, constraint_check_type: 'missing_column_check', description: `Baseline column "${reference.name}" is not in the batch` });
      continue;
    }
    const result =
      reference.kind === 'numeric' && column.kind === 'numeric'
        ? numericDrift(reference, column, table.rows, config, scratch)
        : reference.kind === 'categorical' && column.kind === 'categorical'
          ? categoricalDrift(reference, column, table.rows, config)
          : undefined;
    if (result === undefined) throw new Error(`column "${reference.name}" was read as ${column.kind} but the baseline feature is ${reference.kind}`);
    statistics.push(result.statistics);
    features.push(result.drift);
    violations.push(...featureViolations(result.drift, reference, config, column));
  }

  const extraColumns = table.header.filter((name) => !baselineNames.has(name) && !ignored.has(name));
  for (const name of extraColumns) {
    violations.push({ feature_name: name, constraint_check_type: 'extra_column_check', description: `Batch column "${name}" is not in the baseline` });
  }

  let driftScore = 0;
  for (const feature of features) {
    if (feature.distance === undefined) continue;
    driftScore = Math.max(driftScore, (feature.distance * config.drift.default) / feature.threshold);
  }
  return {
    rows: table.rows,
    statistics: { version: 0, dataset: { item_count: table.rows }, features: statistics },
    violations: { violations },
    features,
    driftScore,
    driftedFeatures: features.filter((f) => f.drifted).map((f) => f.name),
    missingColumns,
    extraColumns,
  };
}
