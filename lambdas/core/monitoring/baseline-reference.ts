/**
 * The baseline as the monitor uses it: the two Model Monitor files parsed (zod, at the
 * edge) and turned into per-feature references that make the comparison one pass.
 *
 * Numeric features. The baseline's distribution is its quantile sketch (`kll.sketch.data`,
 * equally weighted points; see `profile-dataset.ts`). With u_0 < … < u_{k-1} the distinct
 * sketch points, a batch value falls in one of 2k + 1 ordered *slots*: below u_0, equal to
 * u_j, strictly between u_j and u_{j+1}, above u_{k-1}. Slot counts are enough for:
 * - KS: both CDFs are step functions, so the supremum of their difference is reached just
 *   before or at some u_j; slot counts give the batch CDF at exactly those places.
 * - PSI on decile bins: the cut points are the sketch's min, the values at positions
 *   ⌊q·m⌋ of the m sorted sketch points for q = 0.1 … 0.9, and its max, deduplicated
 *   (E_0 < … < E_r). Bins: (−∞, E_0), [E_0, E_1), …, [E_{r−1}, E_r], (E_r, +∞); with one
 *   distinct value v: (−∞, v), [v, v], (v, +∞). Values outside the baseline's range get
 *   bins of their own (baseline share 0), so a shift beyond the range is seen.
 * - the batch's own quantile sketch, by bucketing values per slot (see `numeric-feature.ts`).
 */
import * as z from 'zod';
import type { MonitorConstraints, MonitorStatistics } from '../datasets/model-monitor-format';

const Count = z.number().int().min(0);
const Common = z.object({ num_present: Count, num_missing: Count });

const NumericalStatisticsSchema = z.object({
  common: Common,
  mean: z.number().optional(),
  sum: z.number().optional(),
  std_dev: z.number().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  distribution: z.object({
    kll: z.object({
      buckets: z.array(z.object({ lower_bound: z.number(), upper_bound: z.number(), count: z.number().min(0) })),
      sketch: z.object({ parameters: z.object({ c: z.number(), k: z.number() }), data: z.array(z.array(z.number())) }),
    }),
  }),
});

const StringStatisticsSchema = z.object({
  common: Common,
  distinct_count: z.number().min(0),
  distribution: z.object({ categorical: z.object({ buckets: z.array(z.object({ value: z.string(), count: z.number().min(0) })) }) }),
});

const FeatureStatisticsSchema = z.union([
  z.object({ name: z.string().min(1), inferred_type: z.enum(['Integral', 'Fractional']), numerical_statistics: NumericalStatisticsSchema }),
  z.object({ name: z.string().min(1), inferred_type: z.enum(['String', 'Unknown']), string_statistics: StringStatisticsSchema }),
]);

export const BaselineStatisticsSchema = z.object({
  version: z.literal(0),
  dataset: z.object({ item_count: Count }),
  features: z.array(FeatureStatisticsSchema).min(1),
});

export const BaselineConstraintsSchema = z.object({
  version: z.literal(0),
  features: z.array(
    z.object({
      name: z.string().min(1),
      inferred_type: z.enum(['Integral', 'Fractional', 'String', 'Unknown']),
      completeness: z.number().min(0).max(1),
      num_constraints: z.object({ is_non_negative: z.boolean() }).optional(),
      string_constraints: z.object({ domains: z.array(z.string()) }).optional(),
    }),
  ),
  monitoring_config: z.unknown().optional(),
});

/** Raised when a baseline file is not a Model Monitor statistics/constraints file; names the field. */
export class BaselineFormatError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid baseline ${file}: ${problems.join('; ')}`);
    this.name = 'BaselineFormatError';
  }
}

function parseFile<S extends z.ZodType>(schema: S, value: unknown, file: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new BaselineFormatError(
    file,
    parsed.error.issues.slice(0, 10).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  );
}

/** Parses the baseline's statistics.json and constraints.json (already JSON-decoded). */
export function parseBaseline(statistics: unknown, constraints: unknown): { statistics: MonitorStatistics; constraints: MonitorConstraints } {
  const stats = parseFile(BaselineStatisticsSchema, statistics, 'statistics.json');
  const cons = parseFile(BaselineConstraintsSchema, constraints, 'constraints.json');
  const names = new Set<string>();
  for (const feature of stats.features) {
    if (names.has(feature.name)) throw new BaselineFormatError('statistics.json', [`feature "${feature.name}" appears twice`]);
    names.add(feature.name);
  }
  return { statistics: stats as MonitorStatistics, constraints: cons as MonitorConstraints };
}

export interface NumericReference {
  readonly kind: 'numeric';
  readonly name: string;
  readonly inferredType: 'Integral' | 'Fractional';
  readonly completeness: number;
  /** Distinct sketch points, ascending (empty when the baseline had no values). */
  readonly points: Float64Array;
  /** Share of sketch points at or below points[j]. */
  readonly cumulative: Float64Array;
  /** Sketch points equal to points[j]. */
  readonly pointCounts: Float64Array;
  /** PSI bin i is slots [psiSlotBounds[i], psiSlotBounds[i + 1]). */
  readonly psiSlotBounds: readonly number[];
  readonly psiBinLabels: readonly string[];
  /** Baseline share per PSI bin. */
  readonly psiBaseline: readonly number[];
}

export interface CategoricalReference {
  readonly kind: 'categorical';
  readonly name: string;
  readonly inferredType: 'String' | 'Unknown';
  readonly completeness: number;
  readonly presentCount: number;
  /** The categories the baseline lists, with counts. */
  readonly categories: ReadonlyMap<string, number>;
  /** Present baseline values not listed (the profiler lists the top 1,000). */
  readonly unlistedCount: number;
  /** False when the baseline has no categorical distribution (too many distinct values, or no values). */
  readonly hasDistribution: boolean;
  /** Every value the baseline had, when known (constraints' domains, or a complete bucket list). */
  readonly domain?: ReadonlySet<string>;
  /** true/false features (profiled in lower case): batch values are compared in lower case. */
  readonly lowercase: boolean;
}

export type FeatureReference = NumericReference | CategoricalReference;

export interface BaselineReference {
  readonly itemCount: number;
  readonly features: readonly FeatureReference[];
}

const formatEdge = (n: number): string => (Number.isInteger(n) ? String(n) : Number(n.toPrecision(4)).toString());

function numericReference(
  name: string,
  inferredType: 'Integral' | 'Fractional',
  stats: z.output<typeof NumericalStatisticsSchema>,
  completeness: number,
): NumericReference {
  const sketch = Float64Array.from(stats.distribution.kll.sketch.data.flat().filter((v) => Number.isFinite(v))).sort();
  const m = sketch.length;
  const unique: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < m; i++) {
    if (unique.length > 0 && unique[unique.length - 1] === sketch[i]) counts[counts.length - 1]++;
    else {
      unique.push(sketch[i]);
      counts.push(1);
    }
  }
  const k = unique.length;
  const cumulative = new Float64Array(k);
  let running = 0;
  for (let j = 0; j < k; j++) {
    running += counts[j];
    cumulative[j] = running / m;
  }
  let psiSlotBounds: number[] = [];
  let psiBinLabels: string[] = [];
  let psiBaseline: number[] = [];
  if (k > 0) {
    const indexOf = (value: number): number => unique.indexOf(value);
    const cutValues = [sketch[0], ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => sketch[Math.floor((d / 10) * m)]), sketch[m - 1]];
    const edges = [...new Set(cutValues.map(indexOf))].sort((a, b) => a - b);
    const last = edges[edges.length - 1];
    const inner = edges.length === 1 ? edges : edges.slice(0, -1);
    psiSlotBounds = [0, ...inner.map((e) => 2 * e + 1), 2 * last + 2, 2 * k + 1];
    const v = edges.map((e) => unique[e]);
    psiBinLabels = [`< ${formatEdge(v[0])}`];
    if (edges.length === 1) psiBinLabels.push(`= ${formatEdge(v[0])}`);
    else for (let i = 1; i < v.length; i++) psiBinLabels.push(i === v.length - 1 ? `[${formatEdge(v[i - 1])}, ${formatEdge(v[i])}]` : `[${formatEdge(v[i - 1])}, ${formatEdge(v[i])})`);
    psiBinLabels.push(`> ${formatEdge(v[v.length - 1])}`);
    // The baseline's sketch points all sit in equality slots 2j + 1.
    const slotCounts = new Float64Array(2 * k + 1);
    for (let j = 0; j < k; j++) slotCounts[2 * j + 1] = counts[j];
    psiBaseline = binSlots(slotCounts, psiSlotBounds).map((c) => c / m);
  }
  return {
    kind: 'numeric',
    name,
    inferredType,
    completeness,
    points: Float64Array.from(unique),
    cumulative,
    pointCounts: Float64Array.from(counts),
    psiSlotBounds,
    psiBinLabels,
    psiBaseline,
  };
}

/** Sums slot counts into bins given by slot bounds. */
export function binSlots(slotCounts: ArrayLike<number>, bounds: readonly number[]): number[] {
  const bins: number[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    let sum = 0;
    for (let s = bounds[b]; s < bounds[b + 1]; s++) sum += slotCounts[s];
    bins.push(sum);
  }
  return bins;
}

const BOOLEAN_WORDS = new Set(['true', 'false']);

/** Builds the per-feature references from parsed baseline files. */
export function baselineReference(statistics: MonitorStatistics, constraints: MonitorConstraints): BaselineReference {
  const itemCount = statistics.dataset.item_count;
  const constraintOf = new Map(constraints.features.map((f) => [f.name, f]));
  const features = statistics.features.map((feature): FeatureReference => {
    const constraint = constraintOf.get(feature.name);
    if ('numerical_statistics' in feature) {
      const s = feature.numerical_statistics;
      const completeness = constraint?.completeness ?? (itemCount === 0 ? 0 : s.common.num_present / itemCount);
      return numericReference(feature.name, feature.inferred_type, s as z.output<typeof NumericalStatisticsSchema>, completeness);
    }
    const s = feature.string_statistics;
    const completeness = constraint?.completeness ?? (itemCount === 0 ? 0 : s.common.num_present / itemCount);
    const categories = new Map(s.distribution.categorical.buckets.map((b) => [b.value, b.count] as const));
    const listed = [...categories.values()].reduce((a, b) => a + b, 0);
    const unlistedCount = Math.max(0, s.common.num_present - listed);
    const domains = constraint?.string_constraints?.domains;
    const complete = categories.size > 0 && unlistedCount === 0;
    const domain = domains !== undefined && domains.length > 0 ? new Set(domains) : complete ? new Set(categories.keys()) : undefined;
    const lowercase = domain !== undefined && [...domain].every((value) => BOOLEAN_WORDS.has(value));
    return {
      kind: 'categorical',
      name: feature.name,
      inferredType: feature.inferred_type,
      completeness,
      presentCount: s.common.num_present,
      categories,
      unlistedCount,
      hasDistribution: categories.size > 0,
      ...(domain === undefined ? {} : { domain }),
      lowercase,
    };
  });
  return { itemCount, features };
}
