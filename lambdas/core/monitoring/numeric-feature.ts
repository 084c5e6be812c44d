/**
 * One numeric batch column, in two passes over its values, into:
 * - its Model Monitor statistics, by the profiler's rules (`profile-dataset.ts`): Neumaier
 *   sum, population standard deviation, 10 equal-width buckets (lower <= x < upper, the
 *   last also x = max), and a sketch of every value (n <= 2048) or the values at ranks
 *   ⌊(i + 0.5)·n/2048⌋ of the sorted column;
 * - the slot counts against the baseline's sketch points (see `baseline-reference.ts`).
 *
 * Why not sort: sorting a million doubles takes about 150 ms here, fifty columns 7 s. The
 * slot of each value is an order-preserving bucket, so the sketch's order statistics come
 * from scattering values by slot and selecting within the few slots that hold a wanted
 * rank (quickselect; a native sort for a slot holding many ranks). A slot lookup is a
 * uniform grid over the points' range plus a binary search within one grid cell.
 */
import { KLL_PARAMETERS, type KllBucket, type MonitorNumericalStatistics } from '../datasets/model-monitor-format';
import { HISTOGRAM_BUCKETS, SKETCH_MAX_VALUES } from '../datasets/profile-dataset';
import type { NumericReference } from './baseline-reference';

export interface NumericSummary {
  readonly statistics: MonitorNumericalStatistics;
  /** Counts per slot (2k + 1 slots), when the baseline has points. */
  readonly slotCounts?: Float64Array;
}

/**
 * Finds a value's slot against sorted distinct points in about O(1): a uniform grid of
 * cells over the points' range, `cell(x) = floor((x − u_0) · scale)`. The same monotone
 * function places the points, so every point in an earlier cell is below x and every point
 * in a later cell above it: the answer is among the points of x's own cell (plus the one
 * before), searched linearly when few, by bisection otherwise.
 */
export class SlotIndex {
  /** cellFirst[g] = how many points fall in cells before g. */
  readonly cellFirst: Int32Array;
  readonly scale: number;
  readonly cells: number;
  readonly slotCount: number;

  constructor(readonly points: Float64Array) {
    const k = points.length;
    this.slotCount = 2 * k + 1;
    this.cells = Math.max(1024, 4 * k);
    const range = points[k - 1] - points[0];
    this.scale = k > 1 && range > 0 && Number.isFinite(this.cells / range) ? this.cells / range : 0;
    this.cellFirst = new Int32Array(this.cells + 2);
    const perCell = new Int32Array(this.cells + 1);
    for (let j = 0; j < k; j++) perCell[this.cellOf(points[j])]++;
    for (let g = 0; g <= this.cells; g++) this.cellFirst[g + 1] = this.cellFirst[g] + perCell[g];
  }

  cellOf(x: number): number {
    const c = Math.floor((x - this.points[0]) * this.scale);
    return c < 0 ? 0 : c > this.cells ? this.cells : c;
  }

  slotOf(x: number): number {
    const points = this.points;
    const k = points.length;
    if (x < points[0]) return 0;
    if (x > points[k - 1]) return 2 * k;
    const c = this.cellOf(x);
    let low = this.cellFirst[c] - 1;
    if (low < 0) low = 0;
    let high = this.cellFirst[c + 1] - 1;
    if (high - low <= 4) {
      while (low < high && points[low + 1] <= x) low++;
    } else {
      // Largest j with points[j] <= x.
      while (low < high) {
        const mid = (low + high + 1) >> 1;
        if (points[mid] <= x) low = mid;
        else high = mid - 1;
      }
    }
    return points[low] === x ? 2 * low + 1 : 2 * low + 2;
  }
}

/** Reusable work buffers (one set per monitor run, sized to the longest column). */
export class NumericScratch {
  slots = new Uint16Array(0);
  values = new Float64Array(0);

  ensure(n: number): void {
    if (this.slots.length < n) this.slots = new Uint16Array(n);
    if (this.values.length < n) this.values = new Float64Array(n);
  }
}

function equalWidthBuckets(values: Float64Array, min: number, max: number, counts: Float64Array): KllBucket[] {
  const n = values.length;
  if (min === max) return [{ lower_bound: min, upper_bound: max, count: n }];
  const width = (max - min) / HISTOGRAM_BUCKETS;
  return Array.from(counts, (count, b) => ({
    lower_bound: min + b * width,
    upper_bound: b === HISTOGRAM_BUCKETS - 1 ? max : min + (b + 1) * width,
    count,
  }));
}

/** Neumaier-compensated sum (a million values lose no visible precision), min and max. */
function sumAndRange(values: Float64Array): { sum: number; min: number; max: number } {
  let sum = 0;
  let compensation = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const t = sum + v;
    compensation += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { sum: sum + compensation, min, max };
}

function sumOfSquares(values: Float64Array, mean: number): number {
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i] - mean;
    squares += d * d;
  }
  return squares;
}

function countBuckets(values: Float64Array, min: number, width: number, counts: Float64Array): void {
  const last = HISTOGRAM_BUCKETS - 1;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    // floor((x − min) / width), then nudged to the profiler's rule where rounding disagrees.
    let b = Math.floor((x - min) / width);
    if (b < 0) b = 0;
    else if (b > last) b = last;
    if (b > 0 && x < min + b * width) b = bucketOf(x, min, width);
    else if (b < last && x >= min + (b + 1) * width) b = bucketOf(x, min, width);
    counts[b]++;
  }
}

/** `SlotIndex.slotOf` inlined over a column (this loop is the monitor's hottest). */
function countSlots(values: Float64Array, index: SlotIndex, slots: Uint16Array, counts: Float64Array): void {
  const points = index.points;
  const cellFirst = index.cellFirst;
  const k = points.length;
  const first = points[0];
  const lastPoint = points[k - 1];
  const scale = index.scale;
  const cells = index.cells;
  const top = 2 * k;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    let s: number;
    if (x < first) s = 0;
    else if (x > lastPoint) s = top;
    else {
      let c = Math.floor((x - first) * scale);
      if (c > cells) c = cells;
      let low = cellFirst[c] - 1;
      if (low < 0) low = 0;
      let high = cellFirst[c + 1] - 1;
      if (high - low <= 4) {
        while (low < high && points[low + 1] <= x) low++;
      } else {
        while (low < high) {
          const mid = (low + high + 1) >> 1;
          if (points[mid] <= x) low = mid;
          else high = mid - 1;
        }
      }
      s = points[low] === x ? 2 * low + 1 : 2 * low + 2;
    }
    slots[i] = s;
    counts[s]++;
  }
}

/** The profiler's bucket of x: the first b with x < min + (b + 1)·width, else the last. */
function bucketOf(x: number, min: number, width: number): number {
  let b = Math.floor((x - min) / width);
  if (b < 0) b = 0;
  if (b > HISTOGRAM_BUCKETS - 1) b = HISTOGRAM_BUCKETS - 1;
  while (b > 0 && x < min + b * width) b--;
  while (b < HISTOGRAM_BUCKETS - 1 && x >= min + (b + 1) * width) b++;
  return b;
}

/** Rearranges a[lo..hi] so a[k] holds the value it would hold sorted (Hoare partition, median of three). */
function select(a: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    if (hi - lo < 16) {
      // Insertion sort: a subarray and a native sort per small range cost more than this.
      for (let i = lo + 1; i <= hi; i++) {
        const v = a[i];
        let j = i - 1;
        while (j >= lo && a[j] > v) {
          a[j + 1] = a[j];
          j--;
        }
        a[j + 1] = v;
      }
      return;
    }
    const mid = (lo + hi) >> 1;
    // Median of three as the pivot.
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function sketchRanks(n: number): Int32Array {
  const ranks = new Int32Array(SKETCH_MAX_VALUES);
  for (let i = 0; i < SKETCH_MAX_VALUES; i++) ranks[i] = Math.floor(((i + 0.5) * n) / SKETCH_MAX_VALUES);
  return ranks;
}

/** The sketch's order statistics using the slots as buckets (see the file comment). */
function sketchBySlots(values: Float64Array, slots: Uint16Array, slotCounts: Float64Array, points: Float64Array, buffer: Float64Array): number[] {
  const n = values.length;
  const slotCount = slotCounts.length;
  const starts = new Int32Array(slotCount + 1);
  for (let s = 0; s < slotCount; s++) starts[s + 1] = starts[s] + slotCounts[s];
  const fill = starts.slice(0, slotCount);
  for (let i = 0; i < n; i++) {
    const s = slots[i];
    // Equality slots need no values: they all equal their point.
    if ((s & 1) === 0) buffer[fill[s]++] = values[i];
  }
  const ranks = sketchRanks(n);
  const out = new Array<number>(SKETCH_MAX_VALUES);
  let r = 0;
  for (let s = 0; s < slotCount && r < SKETCH_MAX_VALUES; s++) {
    const start = starts[s];
    const end = starts[s + 1];
    if (ranks[r] >= end) continue;
    let last = r;
    while (last + 1 < SKETCH_MAX_VALUES && ranks[last + 1] < end) last++;
    if ((s & 1) === 1) {
      for (; r <= last; r++) out[r] = points[(s - 1) >> 1];
      continue;
    }
    if (last - r >= 8) {
      buffer.subarray(start, end).sort();
      for (; r <= last; r++) out[r] = buffer[ranks[r]];
    } else {
      let lo = start;
      for (; r <= last; r++) {
        select(buffer, lo, end - 1, ranks[r]);
        out[r] = buffer[ranks[r]];
        lo = ranks[r] + 1;
      }
    }
  }
  return out;
}

/** Summarises one numeric column (present values only); see the file comment. */
export function summariseNumeric(values: Float64Array, missing: number, reference: NumericReference | undefined, scratch: NumericScratch): NumericSummary {
  const n = values.length;
  const common = { num_present: n, num_missing: missing };
  const emptySketch = { parameters: { ...KLL_PARAMETERS }, data: [[]] as number[][] };
  if (n === 0) return { statistics: { common, distribution: { kll: { buckets: [], sketch: emptySketch } } } };

  const { sum, min, max } = sumAndRange(values);
  const mean = sum / n;

  const usesSlots = reference !== undefined && reference.points.length > 0;
  const index = usesSlots ? new SlotIndex(reference.points) : undefined;
  const slotCounts = index === undefined ? undefined : new Float64Array(index.slotCount);
  scratch.ensure(n);
  const slots = scratch.slots;
  const bucketCounts = new Float64Array(HISTOGRAM_BUCKETS);
  const width = (max - min) / HISTOGRAM_BUCKETS;
  const bucketed = max > min;
  // Separate simple loops: V8 optimises each far better than one loop doing everything.
  const squares = sumOfSquares(values, mean);
  if (bucketed) countBuckets(values, min, width, bucketCounts);
  if (index !== undefined) countSlots(values, index, slots, slotCounts!);

  let sketch: number[];
  if (n <= SKETCH_MAX_VALUES) {
    sketch = Array.from(Float64Array.from(values).sort());
  } else if (index !== undefined) {
    sketch = sketchBySlots(values, slots, slotCounts!, reference!.points, scratch.values);
  } else {
    const sorted = scratch.values.subarray(0, n);
    sorted.set(values);
    sorted.sort();
    sketch = Array.from(sketchRanks(n), (rank) => sorted[rank]);
  }

  return {
    statistics: {
      common,
      mean,
      sum,
      std_dev: Math.sqrt(squares / n),
      min,
      max,
      distribution: { kll: { buckets: equalWidthBuckets(values, min, max, bucketCounts), sketch: { parameters: { ...KLL_PARAMETERS }, data: [sketch] } } },
    },
    ...(slotCounts === undefined ? {} : { slotCounts }),
  };
}

/** KS statistic between the baseline sketch's CDF and the batch's, from slot counts (see baseline-reference.ts). */
export function ksFromSlots(reference: NumericReference, slotCounts: ArrayLike<number>): number {
  let total = 0;
  for (let s = 0; s < slotCounts.length; s++) total += slotCounts[s];
  if (total === 0) return 0;
  const k = reference.points.length;
  let running = slotCounts[0];
  let previous = 0;
  let ks = 0;
  for (let j = 0; j < k; j++) {
    ks = Math.max(ks, Math.abs(running / total - previous));
    running += slotCounts[2 * j + 1];
    ks = Math.max(ks, Math.abs(running / total - reference.cumulative[j]));
    running += slotCounts[2 * j + 2];
    previous = reference.cumulative[j];
  }
  return ks;
}
