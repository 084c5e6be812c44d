/**
 * The model the scoring and TreeSHAP benchmarks measure: 100 trees of depth 6 on 30
 * features, trained by the embedded trainer (trainGbdt) on a seeded synthetic binary set.
 * If training fails (the trainer is new code), the benchmarks fall back to the seeded
 * random-but-valid model of synthetic-gbdt-model.ts and say so in their output.
 */
import type { GbdtModel } from '../lambdas/core/ml/model';
import { trainGbdt } from '../lambdas/core/ml/trainer';
import { seededRandom, syntheticModel, syntheticRows } from './synthetic-gbdt-model';

export interface BenchmarkModel {
  readonly model: GbdtModel;
  readonly source: 'trained' | 'synthetic';
  /** One line for the benchmark's output: how the model was made. */
  readonly description: string;
  readonly trainMs?: number;
}

export const BENCH_TREES = 100;
export const BENCH_DEPTH = 6;
export const BENCH_FEATURES = 30;
const TRAINING_ROWS = 20_000;

/** Labels from a seeded logistic function of 10 features plus one non-linear term. */
function syntheticLabels(rows: Float32Array, nRows: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const labels = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    let z = 0;
    for (let f = 0; f < 10; f++) {
      const v = rows[r * BENCH_FEATURES + f];
      z += (v === v ? v : 0) * (f % 2 === 1 ? 0.8 : -0.6);
    }
    const bend = rows[r * BENCH_FEATURES + 10];
    z += Math.sin(3 * (bend === bend ? bend : 0));
    labels[r] = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return labels;
}

export async function benchmarkModel(seed = 20240601): Promise<BenchmarkModel> {
  const rows = syntheticRows(TRAINING_ROWS, BENCH_FEATURES, seed);
  const featureSpecs = Array.from({ length: BENCH_FEATURES }, (_, i) => ({ name: `f${i}`, column: `f${i}`, type: 'float' as const }));
  const started = performance.now();
  try {
    const { model } = await trainGbdt(
      {
        objective: 'binary:logistic',
        features: { values: rows, nRows: TRAINING_ROWS, nCols: BENCH_FEATURES },
        labels: syntheticLabels(rows, TRAINING_ROWS, seed + 1),
        featureSpecs,
      },
      { nEstimators: BENCH_TREES, maxDepth: BENCH_DEPTH, learningRate: 0.1, seed },
    );
    const trainMs = performance.now() - started;
    return {
      model,
      source: 'trained',
      trainMs,
      description: `trained by trainGbdt on ${TRAINING_ROWS.toLocaleString('en-US')} seeded synthetic rows (${Math.round(trainMs)} ms): ${model.trees.length} trees, depth <= ${BENCH_DEPTH}, ${BENCH_FEATURES} features`,
    };
  } catch (error) {
    const model = syntheticModel({ trees: BENCH_TREES, depth: BENCH_DEPTH, features: BENCH_FEATURES, seed });
    return {
      model,
      source: 'synthetic',
      description: `synthetic (seeded random trees, ${BENCH_TREES} x depth ${BENCH_DEPTH}, ${BENCH_FEATURES} features) because training failed: ${(error as Error).message}`,
    };
  }
}
