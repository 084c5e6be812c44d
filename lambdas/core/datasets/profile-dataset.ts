/**
 * Profiles a validated dataset into the SageMaker Model Monitor data-quality baseline
 * (`statistics.json`, `constraints.json`) plus a short summary for the pipeline's output.
 *
 * Rows are folded into one accumulator per column as they are read; no parsed row is
 * kept. Numeric columns keep their values in a Float64Array (8 bytes a value) because the
 * histogram and quantiles below are exact; text columns keep counts per distinct value up
 * to `MAX_TRACKED_CATEGORIES`, then switch to a HyperLogLog estimate.
 *
 * What the numbers are:
 * - `std_dev` is the population standard deviation (divides by n, as Deequ, the library
 *   behind Model Monitor, does).
 * - `kll.buckets` are `HISTOGRAM_BUCKETS` equal-width buckets from min to max; a bucket
 *   holds lower_bound <= x < upper_bound, the last one also x = max. A constant column has
 *   one bucket [v, v].
 * - `kll.sketch` is NOT a KLL compactor hierarchy. It is one level of exact quantiles:
 *   every value when there are at most `SKETCH_MAX_VALUES`, otherwise the values at ranks
 *   (i + 0.5)·n/2048 of the sorted column, each standing for n/2048 rows. Any reader that
 *   treats the level's items as equally weighted (as KLL does within a level) gets the
 *   column's empirical distribution. `parameters` records SageMaker's c and k so the file
 *   reads like theirs.
 * - Booleans are profiled as `String` features (`true`/`false`): Model Monitor has no
 *   boolean type. A column with no values is `Unknown` with string statistics.
 */
import { classifyCell, COLUMN_TYPES, isNumericKind, type ColumnType } from './cell-kind';
import { readCsvRecords } from './csv-records';
import { DistinctEstimator } from './fingerprint';
import {
  DEFAULT_MONITORING_CONFIG,
  KLL_PARAMETERS,
  type CategoricalBucket,
  type KllBucket,
  type MonitorConstraints,
  type MonitorFeatureConstraints,
  type MonitorFeatureStatistics,
  type MonitorStatistics,
} from './model-monitor-format';

export interface ProfileColumn {
  readonly name: string;
  readonly type: ColumnType;
}

/** The columns to profile, in the order the baseline lists them. Other CSV columns are ignored. */
export interface ProfileSchema {
  readonly columns: readonly ProfileColumn[];
}

export type CellValue = string | number | boolean | null | undefined;

/** One row as an object keyed by column name; absent keys are missing values. */
export type DatasetRecord = Readonly<Record<string, CellValue>>;

export interface NumericColumnSummary {
  readonly name: string;
  readonly type: 'integral' | 'fractional';
  /** Percentage of rows without a usable number (0..100, two decimals). */
  readonly missingPercent: number;
  /** Cells that held something other than a number (counted as missing). */
  readonly invalid: number;
  readonly min?: number;
  readonly max?: number;
  /** Mean and standard deviation rounded to 6 significant digits. */
  readonly mean?: number;
  readonly stdDev?: number;
}

export interface CategoricalColumnSummary {
  readonly name: string;
  readonly type: 'string' | 'boolean' | 'unknown';
  readonly missingPercent: number;
  readonly distinct: number;
  /** Most frequent values (values shortened to 64 characters). */
  readonly topCategories: readonly { readonly value: string; readonly count: number }[];
}

export type ColumnSummary = NumericColumnSummary | CategoricalColumnSummary;

/** A compact, human-readable profile for the pipeline's output. */
export interface ProfileSummary {
  readonly rows: number;
  readonly columns: readonly ColumnSummary[];
}

export interface DatasetProfile {
  readonly statistics: MonitorStatistics;
  readonly constraints: MonitorConstraints;
  readonly summary: ProfileSummary;
}

/** Raised when the schema is unusable or the CSV does not match it. */
export class DatasetProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetProfileError';
  }
}

export const HISTOGRAM_BUCKETS = 10;
export const SKETCH_MAX_VALUES = 2048;
/** Distinct values counted exactly per text column; beyond, distinct_count is estimated. */
export const MAX_TRACKED_CATEGORIES = 10_000;
/** Most frequent values listed in a text column's categorical distribution. */
export const MAX_CATEGORICAL_BUCKETS = 1_000;
/** A text column with at most this many values gets a `domains` constraint. */
export const MAX_DOMAIN_VALUES = 50;
const SUMMARY_TOP_CATEGORIES = 5;
const SUMMARY_VALUE_CHARS = 64;

function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100;
}

function sixDigits(value: number): number {
  return Number(value.toPrecision(6));
}

interface FinishedColumn {
  readonly statistics: MonitorFeatureStatistics;
  readonly constraints: MonitorFeatureConstraints;
  readonly summary: ColumnSummary;
}

interface ColumnAccumulator {
  add(value: CellValue): void;
  finish(itemCount: number): FinishedColumn;
}

class NumericAccumulator implements ColumnAccumulator {
  private values = new Float64Array(1024);
  private count = 0;
  private missing = 0;
  private invalid = 0;

  constructor(
    private readonly name: string,
    private readonly type: 'integral' | 'fractional',
  ) {}

  add(value: CellValue): void {
    if (value === null || value === undefined) {
      this.missing++;
    } else if (typeof value === 'number') {
      if (Number.isFinite(value)) this.push(value);
      else if (Number.isNaN(value)) this.missing++;
      else this.invalid++;
    } else if (typeof value === 'boolean') {
      this.invalid++;
    } else {
      const kind = classifyCell(value);
      if (kind === 'missing') this.missing++;
      else if (isNumericKind(kind)) this.push(Number(value));
      else this.invalid++;
    }
  }

  private push(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = value;
  }

  finish(itemCount: number): FinishedColumn {
    const n = this.count;
    const missing = this.missing + this.invalid;
    const values = this.values.subarray(0, n).sort();
    const inferred_type = this.type === 'integral' ? 'Integral' : 'Fractional';
    const common = { num_present: n, num_missing: missing };
    const completeness = itemCount === 0 ? 0 : n / itemCount;
    const summaryBase = { name: this.name, type: this.type, missingPercent: percent(missing, itemCount), invalid: this.invalid };
    if (n === 0) {
      return {
        statistics: {
          name: this.name,
          inferred_type,
          numerical_statistics: { common, distribution: { kll: { buckets: [], sketch: { parameters: { ...KLL_PARAMETERS }, data: [[]] } } } },
        },
        constraints: { name: this.name, inferred_type, completeness },
        summary: summaryBase,
      };
    }
    // Neumaier summation: a million values lose no visible precision.
    let sum = 0;
    let compensation = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const t = sum + v;
      compensation += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
      sum = t;
    }
    sum += compensation;
    const mean = sum / n;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
    const stdDev = Math.sqrt(squares / n);
    const min = values[0];
    const max = values[n - 1];
    return {
      statistics: {
        name: this.name,
        inferred_type,
        numerical_statistics: {
          common,
          mean,
          sum,
          std_dev: stdDev,
          min,
          max,
          distribution: {
            kll: { buckets: equalWidthBuckets(values, min, max), sketch: { parameters: { ...KLL_PARAMETERS }, data: [quantilePoints(values)] } },
          },
        },
      },
      constraints: { name: this.name, inferred_type, completeness, num_constraints: { is_non_negative: min >= 0 } },
      summary: { ...summaryBase, min, max, mean: sixDigits(mean), stdDev: sixDigits(stdDev) },
    };
  }
}

/** Equal-width histogram of sorted values (see the file comment for the bucket rule). */
function equalWidthBuckets(sorted: Float64Array, min: number, max: number): KllBucket[] {
  const n = sorted.length;
  if (min === max) return [{ lower_bound: min, upper_bound: max, count: n }];
  const width = (max - min) / HISTOGRAM_BUCKETS;
  const buckets: KllBucket[] = [];
  let next = 0;
  for (let b = 0; b < HISTOGRAM_BUCKETS; b++) {
    const lower = min + b * width;
    const last = b === HISTOGRAM_BUCKETS - 1;
    const upper = last ? max : min + (b + 1) * width;
    const start = next;
    if (last) next = n;
    else while (next < n && sorted[next] < upper) next++;
    buckets.push({ lower_bound: lower, upper_bound: upper, count: next - start });
  }
  return buckets;
}

/** Exact quantiles at evenly spaced ranks (every value when there are few). */
function quantilePoints(sorted: Float64Array): number[] {
  const n = sorted.length;
  if (n <= SKETCH_MAX_VALUES) return Array.from(sorted);
  const points: number[] = new Array<number>(SKETCH_MAX_VALUES);
  for (let i = 0; i < SKETCH_MAX_VALUES; i++) points[i] = sorted[Math.floor(((i + 0.5) * n) / SKETCH_MAX_VALUES)];
  return points;
}

class CategoricalAccumulator implements ColumnAccumulator {
  private readonly counts = new Map<string, number>();
  private estimator?: DistinctEstimator;
  private present = 0;
  private missing = 0;

  constructor(
    private readonly name: string,
    private readonly type: 'string' | 'boolean' | 'unknown',
  ) {}

  add(value: CellValue): void {
    if (value === null || value === undefined) {
      this.missing++;
      return;
    }
    let text = typeof value === 'string' ? value.trim() : String(value);
    if (text === '') {
      this.missing++;
      return;
    }
    // Model Monitor has no boolean type: keep one spelling so "TRUE" and "true" are one category.
    if (this.type === 'boolean') text = text.toLowerCase();
    this.present++;
    const count = this.counts.get(text);
    if (count !== undefined) {
      this.counts.set(text, count + 1);
    } else if (this.estimator === undefined && this.counts.size < MAX_TRACKED_CATEGORIES) {
      this.counts.set(text, 1);
    } else {
      if (this.estimator === undefined) {
        // Every distinct value so far is a key of `counts`: seed the estimate with them.
        this.estimator = new DistinctEstimator();
        for (const key of this.counts.keys()) this.estimator.add(key);
      }
      this.estimator.add(text);
    }
  }

  finish(itemCount: number): FinishedColumn {
    const overflowed = this.estimator !== undefined;
    const distinct = overflowed ? Math.max(this.estimator?.estimate() ?? 0, this.counts.size) : this.counts.size;
    const ranked: CategoricalBucket[] = [...this.counts]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    // Past the tracking limit the counts miss later values: no distribution rather than a biased one.
    const buckets = overflowed ? [] : ranked.slice(0, MAX_CATEGORICAL_BUCKETS);
    const inferred_type = this.type === 'unknown' ? 'Unknown' : 'String';
    const completeness = itemCount === 0 ? 0 : this.present / itemCount;
    const domains =
      !overflowed && this.counts.size > 0 && this.counts.size <= MAX_DOMAIN_VALUES && this.type !== 'unknown'
        ? [...this.counts.keys()].sort()
        : undefined;
    return {
      statistics: {
        name: this.name,
        inferred_type,
        string_statistics: {
          common: { num_present: this.present, num_missing: this.missing },
          distinct_count: distinct,
          distribution: { categorical: { buckets } },
        },
      },
      constraints: { name: this.name, inferred_type, completeness, ...(domains === undefined ? {} : { string_constraints: { domains } }) },
      summary: {
        name: this.name,
        type: this.type,
        missingPercent: percent(this.missing, itemCount),
        distinct,
        topCategories: ranked.slice(0, SUMMARY_TOP_CATEGORIES).map(({ value, count }) => ({
          value: value.length > SUMMARY_VALUE_CHARS ? `${value.slice(0, SUMMARY_VALUE_CHARS - 1)}…` : value,
          count,
        })),
      },
    };
  }
}

function checkSchema(schema: ProfileSchema): void {
  if (schema.columns.length === 0) throw new DatasetProfileError('the profile schema has no columns');
  const seen = new Set<string>();
  schema.columns.forEach((column, index) => {
    if (column.name.trim() === '') throw new DatasetProfileError(`schema column ${index + 1} has no name`);
    if (seen.has(column.name)) throw new DatasetProfileError(`schema column "${column.name}" appears twice`);
    if (!COLUMN_TYPES.includes(column.type)) {
      throw new DatasetProfileError(`schema column "${column.name}" has type "${String(column.type)}"; expected one of ${COLUMN_TYPES.join(', ')}`);
    }
    seen.add(column.name);
  });
}

/**
 * Folds rows into column accumulators. Feed it from any source (CSV, a stream parser,
 * records) and call `finish` once.
 */
export class DatasetProfiler {
  private readonly accumulators: ColumnAccumulator[];
  private rows = 0;

  constructor(readonly schema: ProfileSchema) {
    checkSchema(schema);
    this.accumulators = schema.columns.map((column) =>
      column.type === 'integral' || column.type === 'fractional'
        ? new NumericAccumulator(column.name, column.type)
        : new CategoricalAccumulator(column.name, column.type),
    );
  }

  /** Adds a row given as an object keyed by column name. */
  addRecord(record: DatasetRecord): void {
    const { columns } = this.schema;
    for (let i = 0; i < columns.length; i++) this.accumulators[i].add(record[columns[i].name]);
    this.rows++;
  }

  /** Adds a row given as values in schema column order. */
  addRow(values: readonly CellValue[]): void {
    for (let i = 0; i < this.accumulators.length; i++) this.accumulators[i].add(values[i]);
    this.rows++;
  }

  /** Adds a CSV record whose schema columns sit at `indices`. */
  addFields(fields: readonly string[], indices: readonly number[]): void {
    for (let i = 0; i < this.accumulators.length; i++) this.accumulators[i].add(fields[indices[i]]);
    this.rows++;
  }

  finish(): DatasetProfile {
    const finished = this.accumulators.map((accumulator) => accumulator.finish(this.rows));
    return {
      statistics: { version: 0, dataset: { item_count: this.rows }, features: finished.map((f) => f.statistics) },
      constraints: { version: 0, features: finished.map((f) => f.constraints), monitoring_config: DEFAULT_MONITORING_CONFIG },
      summary: { rows: this.rows, columns: finished.map((f) => f.summary) },
    };
  }
}

function profileCsv(bytes: Uint8Array, profiler: DatasetProfiler): void {
  let width = -1;
  let indices: number[] = [];
  readCsvRecords(bytes, {
    onHeader: (fields, line) => {
      const header = fields.map((field) => field.trim());
      width = header.length;
      indices = profiler.schema.columns.map((column) => {
        const index = header.indexOf(column.name);
        if (index === -1) throw new DatasetProfileError(`column "${column.name}" of the schema is not in the CSV header (line ${line})`);
        return index;
      });
      return true;
    },
    onRecord: (fields, line) => {
      if (fields.length !== width) {
        throw new DatasetProfileError(`line ${line} has ${fields.length} field${fields.length === 1 ? '' : 's'}, expected ${width} like the header`);
      }
      profiler.addFields(fields, indices);
      return true;
    },
    onSyntaxProblem: (problem) => {
      throw new DatasetProfileError(`line ${problem.line}: ${problem.message}`);
    },
  });
  if (width === -1) throw new DatasetProfileError('the CSV has no header row');
}

/**
 * Profiles a dataset: CSV bytes (UTF-8, header first, a BOM is skipped) or records
 * (any iterable, e.g. a generator, so rows need not all be in memory at once).
 */
export function profileDataset(input: Uint8Array | Iterable<DatasetRecord>, schema: ProfileSchema): DatasetProfile {
  const profiler = new DatasetProfiler(schema);
  if (input instanceof Uint8Array) profileCsv(input, profiler);
  else for (const record of input) profiler.addRecord(record);
  return profiler.finish();
}

/** Builds a profile schema from validated columns, leaving out some (e.g. the target). */
export function profileSchemaOf(
  columns: readonly { readonly name: string; readonly inferredType: ColumnType }[],
  exclude: readonly string[] = [],
): ProfileSchema {
  return { columns: columns.filter((c) => !exclude.includes(c.name)).map((c) => ({ name: c.name, type: c.inferredType })) };
}
