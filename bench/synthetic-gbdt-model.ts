/**
 * A random but valid gradient-boosted tree model for benchmarks, deterministic from a
 * seed: trees are grown on a synthetic data set by random splits at data quantiles, so
 * covers, missing-value directions and depths look like a trained model's. Scoring and
 * explanation cost depend on tree shape, not on how good the model is.
 */
import type { GbdtModel, Tree } from '../lambdas/core/ml/model';

/** mulberry32: small, fast, deterministic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Row-major float32 rows, standard-normal-ish values, `missingRate` of them NaN. */
export function syntheticRows(nRows: number, nFeatures: number, seed: number, missingRate = 0.05): Float32Array {
  const random = seededRandom(seed);
  const rows = new Float32Array(nRows * nFeatures);
  for (let i = 0; i < rows.length; i++) {
    rows[i] = random() < missingRate ? NaN : (random() + random() + random() - 1.5) * 2;
  }
  return rows;
}

export interface SyntheticModelOptions {
  readonly trees: number;
  readonly depth: number;
  readonly features: number;
  readonly seed: number;
  /** Rows the trees are grown on (covers come from them). */
  readonly rows?: number;
}

export function syntheticModel(options: SyntheticModelOptions): GbdtModel {
  const { trees: treeCount, depth, features: width, seed } = options;
  const nRows = options.rows ?? 4000;
  const random = seededRandom(seed);
  const data = syntheticRows(nRows, width, seed + 1);
  const trees: Tree[] = [];
  for (let t = 0; t < treeCount; t++) {
    const left: number[] = [];
    const right: number[] = [];
    const feature: number[] = [];
    const threshold: number[] = [];
    const defaultLeft: number[] = [];
    const leafValue: number[] = [];
    const cover: number[] = [];
    const gain: number[] = [];
    const grow = (rows: number[], level: number): number => {
      const node = left.length;
      left.push(-1); right.push(-1); feature.push(0); threshold.push(0); defaultLeft.push(0);
      leafValue.push(0); cover.push(rows.length * 0.25); gain.push(0);
      if (level === depth || rows.length < 4) {
        leafValue[node] = Math.fround((random() - 0.5) * 0.4);
        return node;
      }
      const f = Math.floor(random() * width);
      const present = rows.map((r) => data[r * width + f]).filter((v) => v === v).sort((a, b) => a - b);
      const cut = present.length === 0 ? 0 : present[Math.floor((0.2 + 0.6 * random()) * (present.length - 1))];
      const goesLeftWhenMissing = random() < 0.5;
      const toLeft: number[] = [];
      const toRight: number[] = [];
      for (const r of rows) {
        const x = data[r * width + f];
        if (x !== x ? goesLeftWhenMissing : x < cut) toLeft.push(r);
        else toRight.push(r);
      }
      if (toLeft.length === 0 || toRight.length === 0) {
        leafValue[node] = Math.fround((random() - 0.5) * 0.4);
        return node;
      }
      feature[node] = f;
      threshold[node] = cut;
      defaultLeft[node] = goesLeftWhenMissing ? 1 : 0;
      gain[node] = random() * 10;
      left[node] = grow(toLeft, level + 1);
      right[node] = grow(toRight, level + 1);
      return node;
    };
    grow(Array.from({ length: nRows }, (_, i) => i), 0);
    trees.push({
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      feature: Int32Array.from(feature),
      threshold: Float32Array.from(threshold),
      defaultLeft: Uint8Array.from(defaultLeft),
      leafValue: Float64Array.from(leafValue),
      cover: Float64Array.from(cover),
      gain: Float64Array.from(gain),
    });
  }
  return {
    objective: 'binary:logistic',
    baseMargin: -0.3,
    features: Array.from({ length: width }, (_, i) => ({ name: `f${i}`, column: `f${i}`, type: 'float' as const })),
    trees,
  };
}
