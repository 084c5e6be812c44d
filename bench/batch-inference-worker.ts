/**
 * A scoring worker for bench/batch-inference.ts: one thread, like one ScoreChunk Lambda
 * container. It scores the chunks the main thread sends through the core's scoreChunk; the
 * operations table lives in the main thread and is reached by messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { onnxScoringModel } from '../lambdas/core/batch/onnx-scoring-model';
import type { OperationsStore } from '../lambdas/core/batch/operations-store';
import { scoreChunk, type ScoreChunkInput, type ScoringModel } from '../lambdas/core/batch/score-chunk';
import { directoryBatchObjects } from './batch-directory-objects';

const { root, project, onnxPath } = workerData as { root: string; project: string; onnxPath: string };
const port = parentPort!;
const objects = directoryBatchObjects(root);
const pending = new Map<number, (value: unknown) => void>();
let nextCall = 0;
const call = (method: string, args: unknown[]): Promise<never> =>
  new Promise((resolve) => {
    const id = nextCall++;
    pending.set(id, resolve as (value: unknown) => void);
    port.postMessage({ kind: 'operations', id, method, args });
  });
const operations: OperationsStore = {
  get: (...args) => call('get', args),
  putIfAbsent: (...args) => call('putIfAbsent', args),
  updateIf: (...args) => call('updateIf', args),
  add: (...args) => call('add', args),
};
let model: Promise<ScoringModel> | undefined;

port.on('message', async (message: { kind: 'operations-result'; id: number; value: unknown } | { kind: 'score'; request: ScoreChunkInput }) => {
  if (message.kind === 'operations-result') {
    pending.get(message.id)?.(message.value);
    pending.delete(message.id);
    return;
  }
  try {
    model ??= readFile(onnxPath).then((bytes) => onnxScoringModel(bytes));
    const result = await scoreChunk(message.request, { project }, { objects, operations, loadModel: () => model!, now: () => new Date() });
    port.postMessage({ kind: 'scored', result });
  } catch (error) {
    port.postMessage({ kind: 'failed', error: (error as Error).stack ?? String(error) });
  }
});
