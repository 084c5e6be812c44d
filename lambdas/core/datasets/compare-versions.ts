/**
 * Comparing two dataset versions from their profile summaries (profile.json): what changed
 * in the schema (columns added, removed, or with a new type), in the statistics (mean shift
 * in units of the older version's standard deviation, spread, range, distinct values, top
 * categories) and in quality (missing and invalid cells). A schema change between
 * consecutive uploads is reported with the same function.
 *
 * Flags mark the differences a reviewer should look at, using thresholds that can be
 * overridden; the numbers are always reported, flagged or not.
 */
import type { CategoricalColumnSummary, ColumnSummary, NumericColumnSummary, ProfileSummary } from './profile-dataset';

export interface ComparisonThresholds {
  /** |mean_b - mean_a| / std_a above this is flagged. @default 0.25 */
  readonly standardizedMeanShift: number;
  /** std_b / std_a outside [1/x, x] is flagged. @default 1.5 */
  readonly spreadRatio: number;
  /** A change of missing percentage (points) above this is flagged. @default 5 */
  readonly missingPoints: number;
}

export const DEFAULT_COMPARISON_THRESHOLDS: ComparisonThresholds = { standardizedMeanShift: 0.25, spreadRatio: 1.5, missingPoints: 5 };

export interface SchemaChange {
  readonly added: readonly { readonly name: string; readonly type: string }[];
  readonly removed: readonly { readonly name: string; readonly type: string }[];
  readonly typeChanged: readonly { readonly name: string; readonly from: string; readonly to: string }[];
  readonly changed: boolean;
}

export interface ColumnDifference {
  readonly name: string;
  readonly kind: 'numeric' | 'categorical';
  readonly missingPercent: { readonly from: number; readonly to: number };
  readonly mean?: { readonly from?: number; readonly to?: number; readonly standardizedShift?: number };
  readonly stdDev?: { readonly from?: number; readonly to?: number; readonly ratio?: number };
  readonly range?: { readonly from: readonly [number?, number?]; readonly to: readonly [number?, number?] };
  readonly distinct?: { readonly from: number; readonly to: number };
  /** Top categories of the newer version absent from the older one's top list, and the reverse. */
  readonly topCategories?: { readonly appeared: readonly string[]; readonly disappeared: readonly string[] };
  readonly flags: readonly string[];
}

export interface DatasetComparison {
  readonly rows: { readonly from: number; readonly to: number };
  readonly schema: SchemaChange;
  readonly columns: readonly ColumnDifference[];
  /** Every flag, prefixed with its column: what a reviewer reads first. */
  readonly flags: readonly string[];
}

const isNumeric = (column: ColumnSummary): column is NumericColumnSummary => column.type === 'integral' || column.type === 'fractional';
const round = (x: number, digits = 4): number => Number(x.toFixed(digits));

/** Just the columns' names and types: a profile summary, or a dataset version record's columns. */
export interface SchemaOf {
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

/** Columns present in both versions with the same kind are compared; the rest is schema change. */
export function compareSchemas(older: SchemaOf, newer: SchemaOf): SchemaChange {
  const before = new Map(older.columns.map((c) => [c.name, c.type]));
  const after = new Map(newer.columns.map((c) => [c.name, c.type]));
  const added = newer.columns.filter((c) => !before.has(c.name)).map((c) => ({ name: c.name, type: c.type }));
  const removed = older.columns.filter((c) => !after.has(c.name)).map((c) => ({ name: c.name, type: c.type }));
  const typeChanged = newer.columns
    .filter((c) => before.has(c.name) && before.get(c.name) !== c.type)
    .map((c) => ({ name: c.name, from: before.get(c.name)!, to: c.type }));
  return { added, removed, typeChanged, changed: added.length + removed.length + typeChanged.length > 0 };
}

function numericDifference(a: NumericColumnSummary, b: NumericColumnSummary, t: ComparisonThresholds): ColumnDifference {
  const flags: string[] = [];
  let standardizedShift: number | undefined;
  if (a.mean !== undefined && b.mean !== undefined && a.stdDev !== undefined) {
    // A constant older column has no spread: any move of the mean is a shift of infinite size.
    standardizedShift = a.stdDev > 0 ? round(Math.abs(b.mean - a.mean) / a.stdDev) : b.mean === a.mean ? 0 : Number.POSITIVE_INFINITY;
    if (standardizedShift > t.standardizedMeanShift) flags.push(`mean moved ${standardizedShift === Infinity ? 'off a constant value' : `${standardizedShift} standard deviations`} (${a.mean} → ${b.mean})`);
  }
  let ratio: number | undefined;
  if (a.stdDev !== undefined && b.stdDev !== undefined && a.stdDev > 0) {
    ratio = round(b.stdDev / a.stdDev);
    if (ratio > t.spreadRatio || ratio < 1 / t.spreadRatio) flags.push(`spread changed ${ratio}x (std ${a.stdDev} → ${b.stdDev})`);
  }
  return {
    name: a.name,
    kind: 'numeric',
    missingPercent: { from: a.missingPercent, to: b.missingPercent },
    mean: { from: a.mean, to: b.mean, standardizedShift },
    stdDev: { from: a.stdDev, to: b.stdDev, ratio },
    range: { from: [a.min, a.max], to: [b.min, b.max] },
    flags: [...flags, ...missingFlag(a, b, t)],
  };
}

function categoricalDifference(a: CategoricalColumnSummary, b: CategoricalColumnSummary, t: ComparisonThresholds): ColumnDifference {
  const before = new Set(a.topCategories.map((c) => c.value));
  const after = new Set(b.topCategories.map((c) => c.value));
  const appeared = [...after].filter((v) => !before.has(v));
  const disappeared = [...before].filter((v) => !after.has(v));
  const flags: string[] = [];
  if (appeared.length > 0) flags.push(`new frequent values: ${appeared.join(', ')}`);
  if (disappeared.length > 0) flags.push(`frequent values gone: ${disappeared.join(', ')}`);
  return {
    name: a.name,
    kind: 'categorical',
    missingPercent: { from: a.missingPercent, to: b.missingPercent },
    distinct: { from: a.distinct, to: b.distinct },
    topCategories: { appeared, disappeared },
    flags: [...flags, ...missingFlag(a, b, t)],
  };
}

function missingFlag(a: ColumnSummary, b: ColumnSummary, t: ComparisonThresholds): string[] {
  const points = round(b.missingPercent - a.missingPercent, 2);
  return Math.abs(points) > t.missingPoints ? [`missing values ${points > 0 ? 'up' : 'down'} ${Math.abs(points)} points (${a.missingPercent}% → ${b.missingPercent}%)`] : [];
}

export function compareDatasetVersions(older: ProfileSummary, newer: ProfileSummary, thresholds: Partial<ComparisonThresholds> = {}): DatasetComparison {
  const t = { ...DEFAULT_COMPARISON_THRESHOLDS, ...thresholds };
  const schema = compareSchemas(older, newer);
  const after = new Map(newer.columns.map((c) => [c.name, c]));
  const columns: ColumnDifference[] = [];
  for (const a of older.columns) {
    const b = after.get(a.name);
    if (!b || a.type !== b.type) continue;
    columns.push(isNumeric(a) && isNumeric(b) ? numericDifference(a, b, t) : categoricalDifference(a as CategoricalColumnSummary, b as CategoricalColumnSummary, t));
  }
  const flags = [
    ...schema.added.map((c) => `${c.name}: column added (${c.type})`),
    ...schema.removed.map((c) => `${c.name}: column removed (was ${c.type})`),
    ...schema.typeChanged.map((c) => `${c.name}: type changed from ${c.from} to ${c.to}`),
    ...columns.flatMap((c) => c.flags.map((flag) => `${c.name}: ${flag}`)),
  ];
  return { rows: { from: older.rows, to: newer.rows }, schema, columns, flags };
}
