/**
 * Batch inference end to end in process: 1,000,000 rows x 30 features (plus an id column)
 * through planBatch → scoreChunk on 2 worker threads (like 2 concurrent ScoreChunk Lambdas,
 * onnxruntime-node with one intra-op thread each) → mergeBatch, against a temp directory.
 * The model is 100 trees of depth 6 (seeded synthetic trees), converted to ONNX.
 * Prints rows/s end to end (target >= 100,000 rows/s), each phase, and peak RSS (main
 * process, workers included: they share it), then a JSON line. Never fails on slowness.
 *
 * Run: npx tsx bench/batch-inference.ts [rows]
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { mergeBatch } from '../lambdas/core/batch/merge-batch';
import { memoryOperationsStore, type OperationsStore } from '../lambdas/core/batch/operations-store';
import { planBatch } from '../lambdas/core/batch/plan-batch';
import type { ChunkResult, ScoreChunkInput } from '../lambdas/core/batch/score-chunk';
import { convertToOnnx, readOnnxMetadata } from '../lambdas/core/ml/onnx';
import { directoryBatchObjects } from './batch-directory-objects';
import { seededRandom, syntheticModel } from './synthetic-gbdt-model';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const FEATURES = 30;
const WORKERS = 2;
const PROJECT = 'bench';
const BUCKET = 'artifacts';
const INPUT_KEY = `projects/${PROJECT}/inference/inbox/bench.csv`;
const ONNX_KEY = `projects/${PROJECT}/runs/bench/artifacts/model.onnx`;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);

async function writeInput(path: string): Promise<number> {
  const random = seededRandom(7);
  const out = createWriteStream(path);
  const header = ['patient_id', ...Array.from({ length: FEATURES }, (_, i) => `f${i}`)].join(',');
  out.write(`${header}\n`);
  let block: string[] = [];
  for (let r = 0; r < ROWS; r++) {
    const cells = [`p${r}`];
    for (let f = 0; f < FEATURES; f++) cells.push(random() < 0.03 ? '' : ((random() + random() + random() - 1.5) * 2).toFixed(4));
    block.push(cells.join(','));
    if (block.length === 10_000) {
      if (!out.write(`${block.join('\n')}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      block = [];
    }
  }
  if (block.length > 0) out.write(`${block.join('\n')}\n`);
  await new Promise<void>((resolve) => out.end(resolve));
  return (await stat(path)).size;
}

function startWorker(root: string, onnxPath: string, operations: OperationsStore): Worker {
  const worker = new Worker(join(__dirname, 'batch-inference-worker.ts'), { workerData: { root, project: PROJECT, onnxPath }, execArgv: ['--import', 'tsx'] });
  worker.on('message', async (message: { kind: string; id: number; method: keyof OperationsStore; args: never[] }) => {
    if (message.kind !== 'operations') return;
    const value = await (operations[message.method] as (...args: unknown[]) => Promise<unknown>)(...message.args);
    worker.postMessage({ kind: 'operations-result', id: message.id, value });
  });
  return worker;
}

function score(worker: Worker, request: ScoreChunkInput): Promise<ChunkResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { kind: string; result?: ChunkResult; error?: string }): void => {
      if (message.kind === 'scored') {
        worker.off('message', onMessage);
        resolve(message.result!);
      } else if (message.kind === 'failed') {
        worker.off('message', onMessage);
        reject(new Error(message.error));
      }
    };
    worker.on('message', onMessage);
    worker.postMessage({ kind: 'score', request });
  });
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'lumina-batch-bench-'));
  const objects = directoryBatchObjects(root);
  const operations = memoryOperationsStore();
  try {
    const model = syntheticModel({ trees: 100, depth: 6, features: FEATURES, seed: 11 });
    const onnx = convertToOnnx({ ...model, features: model.features.map((f, i) => ({ ...f, name: `f${i}`, column: `f${i}` })), encodings: model.features.map((_, i) => ({ kind: 'numeric' as const, column: `f${i}` })) });
    await objects.put(BUCKET, ONNX_KEY, onnx, 'application/octet-stream');
    await mkdir(join(root, BUCKET, 'projects', PROJECT, 'inference', 'inbox'), { recursive: true });
    const inputBytes = await writeInput(objects.path(BUCKET, INPUT_KEY));
    console.log(`input: ${ROWS.toLocaleString()} rows x ${FEATURES} features, ${(inputBytes / 1e6).toFixed(1)} MB`);

    // Workers start (and load the model) before the clock, as warm Lambda containers would.
    const workers = Array.from({ length: WORKERS }, () => startWorker(root, objects.path(BUCKET, ONNX_KEY), operations));
    const t0 = performance.now();
    const plan = await planBatch(
      { bucket: BUCKET, key: INPUT_KEY, etag: 'bench-etag', executionId: 'bench-execution' },
      { project: PROJECT, artifactBucket: BUCKET },
      {
        models: { production: async () => ({ version: 1, onnxKey: ONNX_KEY }) },
        loadModelMetadata: async (bucket, key) => readOnnxMetadata(await objects.read(bucket, key)),
        objects,
        operations,
        now: () => new Date(),
      },
    );
    if (plan.alreadyScored) throw new Error(plan.message);
    const t1 = performance.now();

    const queue = [...plan.chunks];
    const results: ChunkResult[] = [];
    await Promise.all(
      workers.map(async (worker) => {
        for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
          results.push(await score(worker, { runId: plan.runId, input: plan.input, model: plan.model, header: plan.header, chunk, executionId: 'bench-execution' }));
        }
      }),
    );
    const t2 = performance.now();
    const merged = await mergeBatch({ ...plan, chunks: [...plan.chunks], executionId: 'bench-execution' }, { project: PROJECT }, { objects, operations, now: () => new Date() });
    const t3 = performance.now();
    await Promise.all(workers.map((worker) => worker.terminate()));
    clearInterval(sampler);

    const outputBytes = (await stat(objects.path(BUCKET, merged.predictionsKey))).size;
    const seconds = (t3 - t0) / 1000;
    const rowsPerSecond = Math.round(ROWS / seconds);
    console.log(`plan:   ${(t1 - t0).toFixed(0)} ms (${plan.chunksTotal} chunks of ${plan.chunks[0].rows} rows, header checked, one streaming pass)`);
    console.log(`score:  ${(t2 - t1).toFixed(0)} ms on ${WORKERS} workers (${results.reduce((s, r) => s + r.scoringMs, 0)} ms of chunk time)`);
    console.log(`merge:  ${(t3 - t2).toFixed(0)} ms (${(outputBytes / 1e6).toFixed(1)} MB predictions.csv)`);
    console.log(`end to end: ${seconds.toFixed(2)} s, ${rowsPerSecond.toLocaleString()} rows/s (target >= 100,000), scored ${merged.rowsScored.toLocaleString()}, rejected ${merged.rowsRejected}`);
    console.log(`peak RSS: ${(peakRss / 1e6).toFixed(0)} MB (main thread and both workers)`);
    console.log(
      JSON.stringify({
        bench: 'batch-inference',
        rows: ROWS,
        features: FEATURES,
        workers: WORKERS,
        chunks: plan.chunksTotal,
        inputMB: Number((inputBytes / 1e6).toFixed(1)),
        planMs: Math.round(t1 - t0),
        scoreMs: Math.round(t2 - t1),
        mergeMs: Math.round(t3 - t2),
        seconds: Number(seconds.toFixed(2)),
        rowsPerSecond,
        rowsScored: merged.rowsScored,
        peakRssMB: Math.round(peakRss / 1e6),
      }),
    );
  } finally {
    clearInterval(sampler);
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
