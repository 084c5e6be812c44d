/**
 * summariseNumeric against the definitions it shortcuts, computed the slow way on random
 * columns: slot counts by bisection over the baseline points, the sketch by sorting the
 * whole column, the equal-width buckets by the profiler's rule (the first b with
 * x < min + (b + 1)·width, else the last).
 */
import fc from 'fast-check';
import { SKETCH_MAX_VALUES } from '../../../lambdas/core/datasets/profile-dataset';
import type { NumericReference } from '../../../lambdas/core/monitoring/baseline-reference';
import { NumericScratch, SlotIndex, summariseNumeric } from '../../../lambdas/core/monitoring/numeric-feature';

function referenceWithPoints(points: readonly number[]): NumericReference {
  const k = points.length;
  return {
    kind: 'numeric',
    name: 'x',
    inferredType: 'Fractional',
    completeness: 1,
    points: Float64Array.from(points),
    cumulative: Float64Array.from(points, (_, j) => (j + 1) / k),
    pointCounts: new Float64Array(k).fill(1),
    psiSlotBounds: [0, 2 * k + 1],
    psiBinLabels: ['all'],
    psiBaseline: [1],
  };
}

/** Slot by bisection: 0 below the points, 2j + 1 at points[j], 2j + 2 between points[j] and points[j + 1], 2k above. */
function slotByBisection(points: readonly number[], x: number): number {
  let low = 0;
  let high = points.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (points[mid] < x) low = mid + 1;
    else high = mid;
  }
  return low < points.length && points[low] === x ? 2 * low + 1 : 2 * low;
}

/** Zeros of either sign as 0: a sketch value is an order statistic, and -0 and 0 tie. */
const unsigned = (xs: ArrayLike<number>): number[] => Array.from(xs, (x) => (x === 0 ? 0 : x));

/** A deterministic column from a seed: repeats of the points, values near and between them, outside them, zeros. */
function column(points: readonly number[], n: number, seed: number, spread: number): Float64Array {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const lo = points[0];
  const hi = points[points.length - 1];
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = random();
    const p = points[Math.floor(random() * points.length)];
    if (u < 0.3) values[i] = p;
    else if (u < 0.4) values[i] = p + (random() - 0.5) * Number.EPSILON * Math.max(1, Math.abs(p)) * 4;
    else if (u < 0.8) values[i] = Number((lo + (hi - lo) * random()).toPrecision(3));
    else if (u < 0.95) values[i] = lo - spread + (hi - lo + 2 * spread) * random();
    else values[i] = random() < 0.5 ? 0 : -0;
  }
  return values;
}

const pointSets = fc.oneof(
  fc.uniqueArray(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 40 }),
  fc.uniqueArray(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 300 }),
  fc.uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 50 }),
  fc.constantFrom([5], [0, 1], [-1e308, 1e308], [-Number.MAX_VALUE, 0, Number.MAX_VALUE], [0, Number.MIN_VALUE, 2 * Number.MIN_VALUE], [1, 1 + Number.EPSILON]),
);

describe('summariseNumeric', () => {
  it('gives the slot counts, sketch and buckets of the slow definitions', () => {
    const scratch = new NumericScratch();
    fc.assert(
      fc.property(
        pointSets.map((points) => [...new Set(points.map((p) => (p === 0 ? 0 : p)))].sort((a, b) => a - b)),
        fc.integer({ min: 1, max: 6000 }),
        fc.integer(),
        fc.constantFrom(0, 1, 1e6),
        (points, n, seed, spread) => {
          const values = column(points, n, seed, spread).filter(Number.isFinite);
          if (values.length === 0) return;
          const summary = summariseNumeric(values, 0, referenceWithPoints(points), scratch);

          const slotCounts = new Array<number>(2 * points.length + 1).fill(0);
          for (const x of values) slotCounts[slotByBisection(points, x)]++;
          expect(Array.from(summary.slotCounts!)).toEqual(slotCounts);

          const sorted = Float64Array.from(values).sort();
          const m = sorted.length;
          const sketch = m <= SKETCH_MAX_VALUES ? sorted : Array.from({ length: SKETCH_MAX_VALUES }, (_, i) => sorted[Math.floor(((i + 0.5) * m) / SKETCH_MAX_VALUES)]);
          const statistics = summary.statistics;
          expect(unsigned(statistics.distribution.kll.sketch.data[0])).toEqual(unsigned(sketch));

          const min = sorted[0];
          const max = sorted[m - 1];
          expect(unsigned([statistics.min!, statistics.max!])).toEqual(unsigned([min, max]));
          const width = (max - min) / 10;
          const counts = new Array<number>(10).fill(0);
          for (const x of values) {
            let b = 0;
            while (b < 9 && !(x < min + (b + 1) * width)) b++;
            counts[b]++;
          }
          const buckets = statistics.distribution.kll.buckets;
          if (min === max) expect(buckets).toEqual([{ lower_bound: min, upper_bound: max, count: m }]);
          else expect(buckets.map((bucket) => bucket.count)).toEqual(counts);
        },
      ),
      { seed: 410, numRuns: 300 },
    );
  });
});

describe('SlotIndex', () => {
  it('finds the slot of any value, points spanning more than the largest double included', () => {
    fc.assert(
      fc.property(pointSets, fc.array(fc.double({ noNaN: true }), { maxLength: 50 }), (raw, extra) => {
        const points = [...new Set(raw.map((p) => (p === 0 ? 0 : p)))].sort((a, b) => a - b);
        const index = new SlotIndex(Float64Array.from(points));
        for (const x of [...points, ...extra, ...points.map((p) => p * (1 + 1e-12))]) expect(index.slotOf(x)).toBe(slotByBisection(points, x));
      }),
      { seed: 411, numRuns: 300 },
    );
  });
});
