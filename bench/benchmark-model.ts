/**
 * The model the scoring and TreeSHAP benchmarks measure: 100 trees of depth 6 on 30
 * features, trained by the embedded trainer (trainGbdt) on bench/train.ts's 100,000 x 30
 * make_classification set, with the same parameters: the model the targets name.
 * If training fails (the trainer is new code), the benchmarks fall back to the seeded
 * random-but-valid model of synthetic-gbdt-model.ts and say so in their output.
 */
import type { GbdtModel } from '../lambdas/core/ml/model';
import { trainGbdt } from '../lambdas/core/ml/trainer';
import { makeClassification } from './make-classification';
import { syntheticModel } from './synthetic-gbdt-model';

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
const TRAINING_ROWS = 100_000;

export async function benchmarkModel(seed = 42): Promise<BenchmarkModel> {
  const data = makeClassification(TRAINING_ROWS, seed);
  const positiveRate = data.labels.reduce((sum, y) => sum + y, 0) / TRAINING_ROWS;
  const featureSpecs = Array.from({ length: BENCH_FEATURES }, (_, i) => ({ name: `f${i}`, column: `f${i}`, type: 'float' as const }));
  const started = performance.now();
  try {
    const { model } = await trainGbdt(
      {
        objective: 'binary:logistic',
        features: { values: data.values, nRows: TRAINING_ROWS, nCols: BENCH_FEATURES },
        labels: data.labels,
        featureSpecs,
      },
      { nEstimators: BENCH_TREES, maxDepth: BENCH_DEPTH, learningRate: 0.1, maxBin: 256, nThreads: 2, baseScore: positiveRate, seed },
    );
    const trainMs = performance.now() - started;
    return {
      model,
      source: 'trained',
      trainMs,
      description: `trained by trainGbdt on ${TRAINING_ROWS.toLocaleString('en-US')} make_classification rows (bench/make-classification.ts) (${Math.round(trainMs)} ms): ${model.trees.length} trees, depth <= ${BENCH_DEPTH}, ${BENCH_FEATURES} features`,
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

/**
 * `count` rows from the benchmark model's own distribution that it never trained on (the
 * generator continued past the training rows), `skip` rows further on for distinct samples.
 */
export function holdoutRows(count: number, skip = 0, seed = 42): Float32Array {
  const data = makeClassification(TRAINING_ROWS + skip + count, seed);
  return data.values.slice((TRAINING_ROWS + skip) * BENCH_FEATURES);
}
