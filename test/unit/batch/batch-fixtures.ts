/**
 * A small model (age numeric, colour categorical, smoker boolean) converted to real ONNX, a
 * registry with it in production, and helpers that run plan → score chunks → merge through
 * the core functions with in-memory objects and operations table.
 */
import { memoryBatchObjects } from '../../../lambdas/core/batch/batch-objects';
import { mergeBatch, markBatchRunSucceeded, type MergedBatch } from '../../../lambdas/core/batch/merge-batch';
import { onnxScoringModel } from '../../../lambdas/core/batch/onnx-scoring-model';
import { memoryOperationsStore } from '../../../lambdas/core/batch/operations-store';
import { type PlanBatchOutput, planBatch } from '../../../lambdas/core/batch/plan-batch';
import { registryProductionModelSource } from '../../../lambdas/core/batch/production-model';
import { type ChunkResult, scoreChunk, type ScoringModel } from '../../../lambdas/core/batch/score-chunk';
import type { GbdtModel } from '../../../lambdas/core/ml/model';
import { convertToOnnx, readOnnxMetadata } from '../../../lambdas/core/ml/onnx';
import { registryKeys } from '../../../lambdas/core/registry/keys';
import { type MemoryRegistryStore, memoryRegistryStore } from '../../../lambdas/core/registry/memory-store';
import { handBuiltModel, handTree } from '../ml/hand-built-gbdt';

export const PROJECT = 'adherence';
export const BUCKET = 'artifacts';
export const ONNX_KEY = `projects/${PROJECT}/runs/train-1/artifacts/model.onnx`;
export const INBOX = `projects/${PROJECT}/inference/inbox/`;

export const batchModel: GbdtModel = {
  ...handBuiltModel,
  features: [...handBuiltModel.features, { name: 'c', column: 'smoker', type: 'boolean' }],
  encodings: [...(handBuiltModel.encodings ?? []), { kind: 'boolean', column: 'smoker' }],
  trees: [
    ...handBuiltModel.trees,
    handTree([
      { left: 1, right: 2, feature: 2, threshold: 0.5, defaultLeft: 1, cover: 10, gain: 1 },
      { left: -1, right: -1, leaf: -0.3, cover: 6 },
      { left: -1, right: -1, leaf: 0.4, cover: 4 },
    ]),
  ],
};

export interface BatchWorld {
  readonly objects: ReturnType<typeof memoryBatchObjects>;
  readonly operations: ReturnType<typeof memoryOperationsStore>;
  readonly registry: MemoryRegistryStore;
  clock: number;
  modelLoads: number;
  scoredChunks: number[];
}

export async function batchWorld(options: { production?: number | null } = {}): Promise<BatchWorld> {
  const objects = memoryBatchObjects(1000);
  const registry = memoryRegistryStore();
  const production = options.production === undefined ? 3 : options.production;
  if (production !== null) {
    await registry.put('registry', { ...registryKeys.stages(PROJECT), staging: null, production, revision: 1 });
    await registry.put('registry', { ...registryKeys.version(PROJECT, production), version: production, artifacts: { onnxKey: ONNX_KEY } });
  }
  await objects.put(BUCKET, ONNX_KEY, convertToOnnx(batchModel), 'application/octet-stream');
  return { objects, operations: memoryOperationsStore(), registry, clock: Date.parse('2025-03-01T10:00:00Z'), modelLoads: 0, scoredChunks: [] };
}

export async function drop(world: BatchWorld, name: string, csv: string, etag: string): Promise<{ bucket: string; key: string; etag: string }> {
  await world.objects.put(BUCKET, `${INBOX}${name}`, csv, 'text/csv');
  return { bucket: BUCKET, key: `${INBOX}${name}`, etag };
}

const models = new Map<string, Promise<ScoringModel>>();

function deps(world: BatchWorld) {
  return {
    objects: world.objects,
    operations: world.operations,
    now: () => new Date(world.clock),
    models: registryProductionModelSource(world.registry),
    loadModelMetadata: async (bucket: string, key: string) => readOnnxMetadata(world.objects.objects.get(`${bucket}/${key}`) as Uint8Array),
    loadModel: async (model: { onnxKey: string }) => {
      world.modelLoads++;
      const bytes = world.objects.objects.get(`${BUCKET}/${model.onnxKey}`) as Uint8Array;
      if (!models.has(model.onnxKey)) models.set(model.onnxKey, onnxScoringModel(bytes));
      return models.get(model.onnxKey) as Promise<ScoringModel>;
    },
  };
}

export function plan(world: BatchWorld, input: { bucket: string; key: string; etag: string }, executionId: string, extra: { resume?: boolean } = {}, rowsPerChunk = 4): Promise<PlanBatchOutput> {
  return planBatch({ ...input, executionId, ...extra }, { project: PROJECT, artifactBucket: BUCKET, rowsPerChunk }, deps(world));
}

export interface RunOutcome {
  readonly plan: PlanBatchOutput;
  readonly chunkResults: ChunkResult[];
  readonly merged?: MergedBatch;
}

/**
 * Runs the whole batch as the workflow does (chunks in order). `killAfterChunks` stops the
 * execution after that many chunks, like a StopExecution between Map iterations.
 */
export async function runBatch(world: BatchWorld, input: { bucket: string; key: string; etag: string }, executionId: string, options: { killAfterChunks?: number; resume?: boolean; rowsPerChunk?: number } = {}): Promise<RunOutcome> {
  const planned = await plan(world, input, executionId, { resume: options.resume }, options.rowsPerChunk);
  if (planned.alreadyScored) return { plan: planned, chunkResults: [] };
  const chunkResults: ChunkResult[] = [];
  for (const chunk of planned.chunks) {
    if (options.killAfterChunks !== undefined && chunkResults.length === options.killAfterChunks) return { plan: planned, chunkResults };
    const result = await scoreChunk({ runId: planned.runId, input: planned.input, model: planned.model, header: planned.header, chunk, executionId }, { project: PROJECT }, deps(world));
    if (!result.skipped) world.scoredChunks.push(chunk.index);
    chunkResults.push(result);
  }
  const merged = await mergeBatch(
    { runId: planned.runId, runKey: planned.runKey, input: planned.input, model: planned.model, header: planned.header, chunks: [...planned.chunks], records: planned.records, bytes: planned.bytes, executionId },
    { project: PROJECT },
    deps(world),
  );
  await markBatchRunSucceeded(world.operations, PROJECT, planned.runId, executionId, new Date(world.clock));
  return { plan: planned, chunkResults, merged };
}

export function text(world: BatchWorld, key: string): string {
  const body = world.objects.objects.get(`${BUCKET}/${key}`);
  if (!body) throw new Error(`no object ${key}`);
  return new TextDecoder().decode(body);
}
