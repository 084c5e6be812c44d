/**
 * One numeric batch column, in two passes over its values, into:
 * - its Model Monitor statistics, by the profiler's rules (`profile-dataset.ts`): Neumaier
 *   sum, population standard deviation, 10 equal-width buckets (lower <= x < upper, the
 *   last also x = max), and a sketch of every value (n <= 2048) or the values at ranks
 *   ⌊(i + 0.5)·n/2048⌋ of the sorted column;
 * - the slot counts against the baseline's sketch points (see `baseline-reference.ts`).
 *
 * Why not sort: sorting a million doubles takes about 150 ms here, fifty columns 7 s. A slot
 * lookup is a uniform grid of cells over the points' range plus a search within one cell
 * (see `SlotIndex`). The cell and the slot are both order-preserving, and so is their sum,
 * the value's *key*: a finer bucket (a slot split at cell edges; one key per (cell, slot)
 * pair that occurs). The sketch's order statistics come from the key counts: a rank in an
 * equality slot's key is that point; otherwise only the values of the few keys holding a
 * wanted rank (each a small share of the column) are gathered and selected among
 * (quickselect; a native sort for a key holding many ranks).
 */
import { KLL_PARAMETERS, type KllBucket, type MonitorNumericalStatistics } from '../datasets/model-monitor-format';
import { HISTOGRAM_BUCKETS, SKETCH_MAX_VALUES } from '../datasets/profile-dataset';
import type { NumericReference } from './baseline-reference';

/** Grid cells per sketch point (see SlotIndex). */
const CELLS_PER_POINT = 16;

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
  /** Cells are 0 … cells (values are clamped into them). */
  readonly cells: number;
  readonly slotCount: number;
  /** Keys (cell + slot) are 0 … keyCount − 1. */
  readonly keyCount: number;

  /** `values`: how many values will be looked up (a small column needs no fine grid). */
  constructor(
    readonly points: Float64Array,
    values = Infinity,
  ) {
    const k = points.length;
    this.slotCount = 2 * k + 1;
    // Fine enough that most values fall in a cell without points (the slot is then the cell's
    // alone) and that few values share a key; no finer than the values are many.
    this.cells = Math.max(1024, Math.min(CELLS_PER_POINT * k, values));
    this.keyCount = this.cells + this.slotCount;
    const range = points[k - 1] - points[0];
    this.scale = k > 1 && range > 0 && Number.isFinite(this.cells / range) ? this.cells / range : 0;
    this.cellFirst = new Int32Array(this.cells + 2);
    const perCell = new Int32Array(this.cells + 1);
    for (let j = 0; j < k; j++) perCell[this.cellOf(points[j])]++;
    for (let g = 0; g <= this.cells; g++) this.cellFirst[g + 1] = this.cellFirst[g] + perCell[g];
  }

  cellOf(x: number): number {
    const c = Math.floor((x - this.points[0]) * this.scale);
    // `!(c > 0)` also takes NaN (∞ · 0 when the points' range overflows and scale is 0) to cell 0.
    return !(c > 0) ? 0 : c > this.cells ? this.cells : c;
  }

  slotOf(x: number): number {
    const points = this.points;
    const k = points.length;
    if (x < points[0]) return 0;
    if (x > points[k - 1]) return 2 * k;
    const c = this.cellOf(x);
    // No point in x's cell: every point before it is below x, every one after above.
    if (this.cellFirst[c] === this.cellFirst[c + 1]) return 2 * this.cellFirst[c];
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
  keys = new Int32Array(0);
  values = new Float64Array(0);

  ensure(n: number): void {
    if (this.keys.length < n) this.keys = new Int32Array(n);
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

/**
 * Counts the equal-width buckets: a guess from one multiplication, accepted when
 * edges[b] <= x < edges[b + 1] (edges[0] = −∞, edges[10] = +∞, the others min + b·width
 * like the profiler's), else the profiler's own rule (`bucketOf`).
 */
function countBuckets(values: Float64Array, min: number, width: number, counts: Float64Array): void {
  const last = HISTOGRAM_BUCKETS - 1;
  const edges = new Float64Array(HISTOGRAM_BUCKETS + 1);
  for (let b = 1; b < HISTOGRAM_BUCKETS; b++) edges[b] = min + b * width;
  edges[0] = -Infinity;
  edges[HISTOGRAM_BUCKETS] = Infinity;
  const perWidth = 1 / width;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    // Any int32 will do as a guess (`| 0` wraps huge products): it is checked.
    let b = ((x - min) * perWidth) | 0;
    if (b > last) b = last;
    else if (b < 0) b = 0;
    if (x < edges[b] || x >= edges[b + 1]) b = bucketOf(x, min, width);
    counts[b]++;
  }
}

/**
 * Each value's key (cell + slot, see the file comment) and the count per key: `SlotIndex.slotOf`
 * inlined over a column (this loop is the monitor's hottest). Values below the points get
 * key 0, above them the last key (cells + 2k), like clamped cells would.
 */
function countKeys(values: Float64Array, index: SlotIndex, keys: Int32Array, keyCounts: Int32Array): void {
  const points = index.points;
  const cellFirst = index.cellFirst;
  const k = points.length;
  const first = points[0];
  const lastPoint = points[k - 1];
  const scale = index.scale;
  const cells = index.cells;
  const topKey = cells + 2 * k;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    let key: number;
    if (x < first) key = 0;
    else if (x > lastPoint) key = topKey;
    else {
      let c = Math.floor((x - first) * scale);
      if (c > cells) c = cells;
      else if (!(c > 0)) c = 0;
      const before = cellFirst[c];
      let high = cellFirst[c + 1] - 1;
      if (high < before) {
        // No point in x's cell (see SlotIndex): slot 2·before.
        key = c + 2 * before;
      } else {
        let low = before - 1;
        if (low < 0) low = 0;
        if (high - low <= 4) {
          while (low < high && points[low + 1] <= x) low++;
        } else {
          while (low < high) {
            const mid = (low + high + 1) >> 1;
            if (points[mid] <= x) low = mid;
            else high = mid - 1;
          }
        }
        key = c + (points[low] === x ? 2 * low + 1 : 2 * low + 2);
      }
    }
    keys[i] = key;
    keyCounts[key]++;
  }
}

/**
 * The slot of every key: keys ascend cell by cell, and within cell c over the slots from
 * 2·cellFirst[c] (below its first point) to 2·cellFirst[c + 1] (above its last).
 */
function slotsOfKeys(index: SlotIndex): Int32Array {
  const cellFirst = index.cellFirst;
  const slots = new Int32Array(index.keyCount);
  for (let c = 0; c <= index.cells; c++) {
    const last = 2 * cellFirst[c + 1];
    for (let slot = 2 * cellFirst[c]; slot <= last; slot++) slots[c + slot] = slot;
  }
  return slots;
}

function slotCountsOf(index: SlotIndex, keyCounts: Int32Array, slotOfKey: Int32Array): Float64Array {
  const slotCounts = new Float64Array(index.slotCount);
  for (let key = 0; key < keyCounts.length; key++) slotCounts[slotOfKey[key]] += keyCounts[key];
  return slotCounts;
}

/** The profiler's bucket of x: the first b with x < min + (b + 1)·width, else the last. */
function bucketOf(x: number, min: number, width: number): number {
  let b = Math.floor((x - min) / width);
  // NaN (0 / 0 when the width underflows to 0) starts at 0 too; the loops below decide.
  if (!(b > 0)) b = 0;
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

/** The sketch's order statistics from the keys (see the file comment). */
function sketchByKeys(values: Float64Array, keys: Int32Array, keyCounts: Int32Array, slotOfKey: Int32Array, index: SlotIndex, buffer: Float64Array): number[] {
  const n = values.length;
  const points = index.points;
  const ranks = sketchRanks(n);
  const out = new Array<number>(SKETCH_MAX_VALUES);
  // Locate the ranks. Keys holding ranks in a slot between points are numbered 1, 2, … in
  // `wanted`; for each: where it starts among all values, its first and last rank.
  const wanted = new Int32Array(index.keyCount);
  const wantedKeys: number[] = [0];
  const starts: number[] = [0];
  const firstRanks: number[] = [0];
  const lastRanks: number[] = [0];
  let r = 0;
  let before = 0;
  for (let key = 0; key < keyCounts.length && r < SKETCH_MAX_VALUES; key++) {
    const end = before + keyCounts[key];
    if (ranks[r] < end) {
      const slot = slotOfKey[key];
      let last = r;
      while (last + 1 < SKETCH_MAX_VALUES && ranks[last + 1] < end) last++;
      if ((slot & 1) === 1) {
        // Equality slots need no values: they all equal their point.
        for (; r <= last; r++) out[r] = points[(slot - 1) >> 1];
      } else {
        wanted[key] = starts.length;
        wantedKeys.push(key);
        starts.push(before);
        firstRanks.push(r);
        lastRanks.push(last);
        r = last + 1;
      }
    }
    before = end;
  }
  if (starts.length === 1) return out;

  // Gather the wanted keys' values, each key's in one stretch of `buffer`.
  const count = starts.length;
  const from = new Int32Array(count + 1);
  for (let w = 1; w < count; w++) from[w + 1] = from[w] + keyCounts[wantedKeys[w]];
  const fill = from.slice(0, count);
  for (let i = 0; i < n; i++) {
    const w = wanted[keys[i]];
    if (w !== 0) buffer[fill[w]++] = values[i];
  }
  for (let w = 1; w < count; w++) {
    // Rank ranks[q] among all values is rank ranks[q] − starts[w] within the key.
    const offset = from[w] - starts[w];
    const start = from[w];
    const end = from[w + 1];
    if (lastRanks[w] - firstRanks[w] >= 8) {
      buffer.subarray(start, end).sort();
      for (let q = firstRanks[w]; q <= lastRanks[w]; q++) out[q] = buffer[ranks[q] + offset];
    } else {
      let lo = start;
      for (let q = firstRanks[w]; q <= lastRanks[w]; q++) {
        const at = ranks[q] + offset;
        select(buffer, lo, end - 1, at);
        out[q] = buffer[at];
        lo = at + 1;
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
  const index = usesSlots ? new SlotIndex(reference.points, n) : undefined;
  const keyCounts = index === undefined ? undefined : new Int32Array(index.keyCount);
  scratch.ensure(n);
  const keys = scratch.keys;
  const bucketCounts = new Float64Array(HISTOGRAM_BUCKETS);
  const width = (max - min) / HISTOGRAM_BUCKETS;
  const bucketed = max > min;
  // Separate simple loops: V8 optimises each far better than one loop doing everything.
  const squares = sumOfSquares(values, mean);
  if (bucketed) countBuckets(values, min, width, bucketCounts);
  if (index !== undefined) countKeys(values, index, keys, keyCounts!);
  const slotOfKey = index === undefined ? undefined : slotsOfKeys(index);
  const slotCounts = index === undefined ? undefined : slotCountsOf(index, keyCounts!, slotOfKey!);

  let sketch: number[];
  if (n <= SKETCH_MAX_VALUES) {
    sketch = Array.from(Float64Array.from(values).sort());
  } else if (index !== undefined) {
    sketch = sketchByKeys(values, keys, keyCounts!, slotOfKey!, index, scratch.values);
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
