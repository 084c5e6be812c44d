/**
 * ONNX scoring speed in onnxruntime-node for a 100-tree, depth-6, 30-feature binary model:
 * 10,000-row batch throughput (target >= 200k rows/s) and in-process single-row latency
 * (target p95 <= 100 µs). Also checks the conversion (max |p_onnx - p_engine|) and shows
 * the engine's own TypeScript scorer for comparison.
 *
 * The model comes from bench/benchmark-model.ts: trained by the embedded trainer on a seeded
 * synthetic set (or, if training fails, seeded random trees; the output says which).
 *
 * Run: npx tsx bench/onnx-scoring.ts
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { convertToOnnx, ONNX_INPUT, ONNX_PROBABILITIES_OUTPUT, verifyOnnxConversion } from '../lambdas/core/ml/onnx';
import { predictBatch, predictRow } from '../lambdas/core/ml/predict';
import { BENCH_DEPTH, BENCH_FEATURES as FEATURES, benchmarkModel, holdoutRows } from './benchmark-model';

const BATCH_ROWS = 10_000;
const BATCH_RUNS = 20;
const SINGLE_RUNS = 5_000;

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function round(n: number): number {
  return Number(n.toFixed(2));
}

interface ScoringFigures {
  readonly batchMedianMs: number;
  readonly batchRowsPerSecond: number;
  readonly batchBestRowsPerSecond: number;
  readonly singleRowP50Us: number;
  readonly singleRowP95Us: number;
  readonly singleRowP99Us: number;
}

async function measure(session: InferenceSession, batch: Float32Array, singles: Float32Array): Promise<ScoringFigures> {
  const feeds = { [ONNX_INPUT]: new Tensor('float32', batch, [BATCH_ROWS, FEATURES]) };
  for (let i = 0; i < 3; i++) await session.run(feeds, [ONNX_PROBABILITIES_OUTPUT]);
  const batchMs: number[] = [];
  for (let i = 0; i < BATCH_RUNS; i++) {
    const start = process.hrtime.bigint();
    await session.run(feeds, [ONNX_PROBABILITIES_OUTPUT]);
    batchMs.push(elapsedMs(start));
  }
  batchMs.sort((a, b) => a - b);

  // One session.run per row, as the endpoint does
  const singleUs: number[] = [];
  for (let i = 0; i < SINGLE_RUNS + 500; i++) {
    const r = i % SINGLE_RUNS;
    const tensor = new Tensor('float32', singles.subarray(r * FEATURES, (r + 1) * FEATURES), [1, FEATURES]);
    const start = process.hrtime.bigint();
    await session.run({ [ONNX_INPUT]: tensor }, [ONNX_PROBABILITIES_OUTPUT]);
    if (i >= 500) singleUs.push(elapsedMs(start) * 1000);
  }
  singleUs.sort((a, b) => a - b);
  return {
    batchMedianMs: round(percentile(batchMs, 0.5)),
    batchRowsPerSecond: Math.round(BATCH_ROWS / (percentile(batchMs, 0.5) / 1000)),
    batchBestRowsPerSecond: Math.round(BATCH_ROWS / (batchMs[0] / 1000)),
    singleRowP50Us: round(percentile(singleUs, 0.5)),
    singleRowP95Us: round(percentile(singleUs, 0.95)),
    singleRowP99Us: round(percentile(singleUs, 0.99)),
  };
}

async function main(): Promise<void> {
  const { model, source, description } = await benchmarkModel();
  console.log(`model: ${description}`);

  let start = process.hrtime.bigint();
  const bytes = convertToOnnx(model);
  const convertMs = elapsedMs(start);

  start = process.hrtime.bigint();
  const session = await InferenceSession.create(bytes);
  const sessionMs = elapsedMs(start);
  await session.release();

  const sample = holdoutRows(1_000);
  const check = await verifyOnnxConversion(model, bytes, sample);

  const batch = holdoutRows(BATCH_ROWS, 1_000);
  const singles = holdoutRows(SINGLE_RUNS, 1_000 + BATCH_ROWS);
  // ORT's default uses every core; a Lambda function below 1,769 MB has one vCPU, so one
  // intra-op thread is the deployed setting. On a shared machine the two-thread figures
  // swing with the other load; the one-thread figures are steady.
  const byThreads: Record<string, ScoringFigures> = {};
  for (const [label, options] of [['default', {}], ['1 thread', { intraOpNumThreads: 1 }]] as const) {
    const scoringSession = await InferenceSession.create(bytes, options);
    byThreads[label] = await measure(scoringSession, batch, singles);
    await scoringSession.release();
  }

  // The engine's TypeScript scorer on the same inputs
  start = process.hrtime.bigint();
  predictBatch(model, batch, BATCH_ROWS);
  const engineBatchMs = elapsedMs(start);
  const engineUs: number[] = [];
  for (let r = 0; r < 2_000; r++) {
    const row = singles.subarray(r * FEATURES, (r + 1) * FEATURES);
    start = process.hrtime.bigint();
    predictRow(model, row);
    engineUs.push(elapsedMs(start) * 1000);
  }
  engineUs.sort((a, b) => a - b);

  const result = {
    benchmark: 'onnx-scoring',
    model: { source, trees: model.trees.length, maxDepth: BENCH_DEPTH, features: FEATURES, onnxBytes: bytes.length },
    convertMs: round(convertMs),
    sessionCreateMs: round(sessionMs),
    conversionMaxAbsDiff: check.maxAbsDiff,
    batchRows: BATCH_ROWS,
    onnx: byThreads,
    engineBatchRowsPerSecond: Math.round(BATCH_ROWS / (engineBatchMs / 1000)),
    engineSingleRowP95Us: round(percentile(engineUs, 0.95)),
    targets: { batchRowsPerSecond: 200_000, singleRowP95Us: 100 },
  };
  const fmt = (n: number): string => n.toLocaleString('en-US');
  console.log(`convert to ONNX: ${result.convertMs} ms, ${fmt(bytes.length)} bytes; InferenceSession.create: ${result.sessionCreateMs} ms`);
  console.log(`conversion check on 1,000 rows: max |p_onnx - p_engine| = ${check.maxAbsDiff.toExponential(2)}`);
  for (const [label, f] of Object.entries(byThreads)) {
    console.log(`ONNX (${label}) batch of ${fmt(BATCH_ROWS)} rows: median ${f.batchMedianMs} ms -> ${fmt(f.batchRowsPerSecond)} rows/s, best ${fmt(f.batchBestRowsPerSecond)} rows/s (target >= 200,000)`);
    console.log(`ONNX (${label}) single row: p50 ${f.singleRowP50Us} µs, p95 ${f.singleRowP95Us} µs, p99 ${f.singleRowP99Us} µs (target p95 <= 100 µs)`);
  }
  console.log(`engine (TypeScript) for comparison: batch ${fmt(result.engineBatchRowsPerSecond)} rows/s, single row p95 ${result.engineSingleRowP95Us} µs`);
  console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
